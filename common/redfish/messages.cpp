#include "redfish/messages.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

namespace mb::redfish::messages {

namespace {

constexpr const char* kPrefix = "Base.1.19.";

void add(Reply& r, int status, std::string_view id, std::string message, std::vector<std::string> args,
         std::string_view severity, std::string_view resolution) {
    if (r.rendered) {  // a message served from its serialised copy: back to a document to extend
        r.body = ojson::parse(r.rendered->text);
        r.rendered.reset();
    }
    r.status = status;
    ojson msg;
    msg["@odata.type"] = "#Message.v1_1_1.Message";
    msg["MessageId"] = std::string(kPrefix) + std::string(id);
    msg["Message"] = message;
    msg["MessageArgs"] = args;
    msg["MessageSeverity"] = std::string(severity);
    msg["Severity"] = std::string(severity);  // deprecated, but sushy picks the message by it
    msg["Resolution"] = std::string(resolution);
    if (!r.body.is_object() || !r.body.contains("error")) {
        r.body = ojson::object();
        r.body["error"]["code"] = msg["MessageId"];
        r.body["error"]["message"] = message;
        r.body["error"]["@Message.ExtendedInfo"] = ojson::array();
    } else {
        r.body["error"]["code"] = fmt::format("{}GeneralError", kPrefix);
        r.body["error"]["message"] =
            "A general error has occurred.  See Resolution for information on how to resolve the error.";
    }
    r.body["error"]["@Message.ExtendedInfo"].push_back(std::move(msg));
}

std::string s(std::string_view v) {
    return std::string(v);
}

}  // namespace

void resource_not_found(Reply& r, std::string_view type, std::string_view id) {
    add(r, 404, "ResourceNotFound",
        fmt::format("The requested resource of type {} named '{}' was not found.", type, id), {s(type), s(id)},
        "Critical", "Provide a valid resource identifier and resubmit the request.");
}
void resource_missing_at_uri(Reply& r, std::string_view uri) {
    add(r, 404, "ResourceMissingAtURI", fmt::format("The resource at the URI '{}' was not found.", uri), {s(uri)},
        "Critical", "Place a valid resource at the URI or correct the URI and resubmit the request.");
}
void property_value_not_in_list(Reply& r, std::string_view value, std::string_view property) {
    add(r, 400, "PropertyValueNotInList",
        fmt::format("The value '{}' for the property {} is not in the list of acceptable values.", value, property),
        {s(value), s(property)}, "Warning",
        "Choose a value from the enumeration list that the implementation can support and resubmit the request if "
        "the operation failed.");
}
void property_value_type_error(Reply& r, std::string_view value, std::string_view property) {
    add(r, 400, "PropertyValueTypeError",
        fmt::format("The value '{}' for the property {} is not a type that the property can accept.", value, property),
        {s(value), s(property)}, "Warning",
        "Correct the value for the property in the request body and resubmit the request if the operation failed.");
}
void property_value_out_of_range(Reply& r, std::string_view value, std::string_view property) {
    add(r, 400, "PropertyValueOutOfRange",
        fmt::format("The value '{}' for the property {} is not in the supported range of acceptable values.", value,
                    property),
        {s(value), s(property)}, "Warning",
        "Correct the value for the property in the request body and resubmit the request if the operation failed.");
}
void property_unknown(Reply& r, std::string_view property) {
    add(r, 400, "PropertyUnknown",
        fmt::format("The property {} is not in the list of valid properties for the resource.", property),
        {s(property)}, "Warning",
        "Remove the unknown property from the request body and resubmit the request if the operation failed.");
}
void property_not_writable(Reply& r, std::string_view property) {
    add(r, 400, "PropertyNotWritable",
        fmt::format("The property {} is a read only property and cannot be assigned a value.", property), {s(property)},
        "Warning", "Remove the property from the request body and resubmit the request if the operation failed.");
}
void property_missing(Reply& r, std::string_view property) {
    add(r, 400, "PropertyMissing",
        fmt::format("The property {} is a required property and must be included in the request.", property),
        {s(property)}, "Warning",
        "Ensure that the property is in the request body and has a valid value and resubmit the request if the "
        "operation failed.");
}
void property_value_conflict(Reply& r, std::string_view property, std::string_view other) {
    add(r, 400, "PropertyValueConflict",
        fmt::format("The property '{}' could not be written because its value would conflict with the value of the "
                    "'{}' property.",
                    property, other),
        {s(property), s(other)}, "Warning", "No resolution is required.");
}
void action_parameter_missing(Reply& r, std::string_view action, std::string_view parameter) {
    add(r, 400, "ActionParameterMissing",
        fmt::format("The action {} requires the parameter {} to be present in the request body.", action, parameter),
        {s(action), s(parameter)}, "Critical",
        "Supply the action with the required parameter in the request body when the request is resubmitted.");
}
void action_parameter_not_supported(Reply& r, std::string_view value, std::string_view action) {
    add(r, 400, "ActionParameterNotSupported",
        fmt::format("The parameter {} for the action {} is not supported on the target resource.", value, action),
        {s(value), s(action)}, "Warning",
        "Remove the parameter supplied and resubmit the request if the operation failed.");
}
void action_parameter_value_format_error(Reply& r, std::string_view value, std::string_view parameter,
                                         std::string_view action) {
    add(r, 400, "ActionParameterValueFormatError",
        fmt::format("The value '{}' for the parameter {} in the action {} is of a different format than the parameter "
                    "can accept.",
                    value, parameter, action),
        {s(value), s(parameter), s(action)}, "Warning",
        "Correct the value for the parameter in the request body and resubmit the request if the operation failed.");
}
void action_parameter_value_conflict(Reply& r, std::string_view parameter, std::string_view value) {
    add(r, 400, "ActionParameterValueConflict",
        fmt::format("The parameter '{}' with the requested value of '{}' does not meet the constraints of the "
                    "implementation.",
                    parameter, value),
        {s(parameter), s(value)}, "Warning", "No resolution is required.");
}
void action_parameter_value_not_in_list(Reply& r, std::string_view value, std::string_view parameter,
                                        std::string_view action) {
    add(r, 400, "ActionParameterValueNotInList",
        fmt::format("The value '{}' for the parameter {} in the action {} is not in the list of acceptable values.",
                    value, parameter, action),
        {s(value), s(parameter), s(action)}, "Warning",
        "Choose a value from the enumeration list that the implementation can support and resubmit the request if "
        "the operation failed.");
}
void action_parameter_value_type_error(Reply& r, std::string_view value, std::string_view parameter,
                                       std::string_view action) {
    add(r, 400, "ActionParameterValueTypeError",
        fmt::format("The value '{}' for the parameter {} in the action {} is of a different type than the parameter "
                    "can accept.",
                    value, parameter, action),
        {s(value), s(parameter), s(action)}, "Warning",
        "Correct the value for the parameter in the request body and resubmit the request if the operation failed.");
}
void action_parameter_unknown(Reply& r, std::string_view action, std::string_view parameter) {
    add(r, 400, "ActionParameterUnknown",
        fmt::format("The action {} was submitted with the invalid parameter {}.", action, parameter),
        {s(action), s(parameter)}, "Warning",
        "Correct the invalid parameter and resubmit the request if the operation failed.");
}
void malformed_json(Reply& r) {
    add(r, 400, "MalformedJSON",
        "The request body submitted was malformed JSON and could not be parsed by the receiving service.", {},
        "Critical", "Ensure that the request body is valid JSON and resubmit the request.");
}
void unrecognized_request_body(Reply& r) {
    add(r, 400, "UnrecognizedRequestBody",
        "The service detected a malformed request body that it was unable to interpret.", {}, "Warning",
        "Correct the request body and resubmit the request if it failed.");
}
void precondition_failed(Reply& r) {
    add(r, 412, "PreconditionFailed", "The ETag supplied did not match the ETag required to change this resource.", {},
        "Critical", "Try the operation again using the appropriate ETag.");
}
void operation_not_allowed(Reply& r) {
    add(r, 405, "OperationNotAllowed", "The HTTP method is not allowed on this resource.", {}, "Critical", "None.");
}
void insufficient_privilege(Reply& r) {
    add(r, 403, "InsufficientPrivilege",
        "There are insufficient privileges for the account or credentials associated with the current session to "
        "perform the requested operation.",
        {}, "Critical",
        "Either abandon the operation or change the associated access rights and resubmit the request if the "
        "operation failed.");
}
void no_valid_session(Reply& r) {
    add(r, 401, "NoValidSession", "There is no valid session established with the implementation.", {}, "Critical",
        "Establish a session before attempting any operations.");
}
void resource_at_uri_unauthorized(Reply& r, std::string_view uri) {
    add(r, 401, "ResourceAtUriUnauthorized",
        fmt::format("While accessing the resource at '{}', the service received an authorization error.", uri),
        {s(uri)}, "Critical",
        "Ensure that the appropriate access is provided for the service in order for it to access the URI.");
}
void query_not_supported(Reply& r, std::string_view parameter) {
    add(r, 501, "QueryParameterUnsupported", fmt::format("The query parameter '{}' is not supported.", parameter),
        {s(parameter)}, "Warning", "Correct or remove the query parameter and resubmit the request.");
}
void query_parameter_value_format_error(Reply& r, std::string_view value, std::string_view parameter) {
    add(r, 400, "QueryParameterValueFormatError",
        fmt::format("The value '{}' for the parameter {} is of a different format than the parameter can accept.",
                    value, parameter),
        {s(value), s(parameter)}, "Warning",
        "Correct the value for the query parameter in the request and resubmit the request if the operation failed.");
}
void payload_too_large(Reply& r, size_t limit) {
    add(r, 413, "GeneralError",
        fmt::format("The request body is larger than the {} bytes this service accepts.", limit), {}, "Critical",
        "Reduce the size of the request body and resubmit the request.");
}
void internal_error(Reply& r) {
    add(r, 500, "InternalError",
        "The request failed due to an internal service error.  The service is still operational.", {}, "Critical",
        "Resubmit the request.  If the problem persists, consider resetting the service.");
}
void service_temporarily_unavailable(Reply& r, int retry_after_s) {
    // The answer to every request of a flood beyond a device's action queue: as the only message
    // it is served from a serialised copy per retry interval (add() expands it again if another
    // message follows).
    static std::mutex mutex;
    static std::map<int, std::shared_ptr<const RenderedBody>> alone;
    r.header("Retry-After", std::to_string(retry_after_s));
    const bool only = r.body.is_null() && !r.rendered;
    if (only) {
        std::lock_guard lock(mutex);
        if (auto it = alone.find(retry_after_s); it != alone.end()) {
            r.status = 503;
            r.rendered = it->second;
            return;
        }
    }
    add(r, 503, "ServiceTemporarilyUnavailable",
        fmt::format("The service is temporarily unavailable.  Retry in {} seconds.", retry_after_s),
        {std::to_string(retry_after_s)}, "Critical", "Wait for the indicated retry duration and retry the operation.");
    if (!only) return;
    auto rb = std::make_shared<RenderedBody>();
    rb->text = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(mutex);
    alone.emplace(retry_after_s, rb);
    r.rendered = std::move(rb);
}
void resource_in_use(Reply& r) {
    add(r, 409, "ResourceInUse",
        "The change to the requested resource failed because the resource is in use or in transition.", {}, "Warning",
        "Remove the condition and resubmit the request if the operation failed.");
}
void create_failed_missing_req_properties(Reply& r, std::string_view property) {
    add(r, 400, "CreateFailedMissingReqProperties",
        fmt::format("The create operation failed because the required property {} was missing from the request.",
                    property),
        {s(property)}, "Critical",
        "Correct the body to include the required property with a valid value and resubmit the request if the "
        "operation failed.");
}
void string_value_too_long(Reply& r, std::string_view property, size_t max) {
    add(r, 400, "StringValueTooLong",
        fmt::format("The string provided for property {} exceeds the length limit {}.", property, max),
        {s(property), std::to_string(max)}, "Warning", "Resubmit the request with an appropriate string length.");
}
void success(Reply& r) {
    r.status = 200;
    ojson msg;
    msg["@odata.type"] = "#Message.v1_1_1.Message";
    msg["MessageId"] = fmt::format("{}Success", kPrefix);
    msg["Message"] = "The request completed successfully.";
    msg["MessageArgs"] = ojson::array();
    msg["MessageSeverity"] = "OK";
    msg["Severity"] = "OK";
    msg["Resolution"] = "None.";
    r.body["@Message.ExtendedInfo"] = ojson::array({msg});
}

}  // namespace mb::redfish::messages
