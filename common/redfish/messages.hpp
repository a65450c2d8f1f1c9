#pragma once
// Redfish error responses as named helpers (Base message registry 1.19): each sets the HTTP status
// and appends one message to error.@Message.ExtendedInfo, so every 4xx/5xx has the same shape.
// A second message turns error.code into Base.1.19.GeneralError (as bmcweb does).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mb::redfish {

using ojson = nlohmann::ordered_json;

// A 200 GET body already serialised, with its ETag (a cached rendering).
struct RenderedBody {
    std::string text;
    std::string etag;
    std::string schema;  // "ComputerSystem"
    std::string link;    // the Link header value pointing at the schema, "" without one
};

// What a handler builds: status, JSON body (empty = no body) and extra headers.
struct Reply {
    int status = 200;
    ojson body;
    std::shared_ptr<const RenderedBody> rendered;  // when set, replaces body
    std::vector<std::pair<std::string, std::string>> headers;
    void header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
    bool ok() const { return status < 400; }
};

namespace messages {

void resource_not_found(Reply& r, std::string_view type, std::string_view id);
void resource_missing_at_uri(Reply& r, std::string_view uri);
void property_value_not_in_list(Reply& r, std::string_view value, std::string_view property);
void property_value_type_error(Reply& r, std::string_view value, std::string_view property);
void property_value_out_of_range(Reply& r, std::string_view value, std::string_view property);
void property_unknown(Reply& r, std::string_view property);
void property_not_writable(Reply& r, std::string_view property);
void property_missing(Reply& r, std::string_view property);
void property_value_conflict(Reply& r, std::string_view property, std::string_view other);
void action_parameter_missing(Reply& r, std::string_view action, std::string_view parameter);
void action_parameter_not_supported(Reply& r, std::string_view value, std::string_view action);
void action_parameter_value_not_in_list(Reply& r, std::string_view value, std::string_view parameter,
                                        std::string_view action);
void action_parameter_value_type_error(Reply& r, std::string_view value, std::string_view parameter,
                                       std::string_view action);
void action_parameter_value_format_error(Reply& r, std::string_view value, std::string_view parameter,
                                         std::string_view action);
// The value is well formed but the implementation cannot do it (ActionParameterValueConflict).
void action_parameter_value_conflict(Reply& r, std::string_view parameter, std::string_view value);
void action_parameter_unknown(Reply& r, std::string_view action, std::string_view parameter);
void malformed_json(Reply& r);
void unrecognized_request_body(Reply& r);
void precondition_failed(Reply& r);
void operation_not_allowed(Reply& r);  // 405; the caller adds Allow
void insufficient_privilege(Reply& r);
void no_valid_session(Reply& r);
void resource_at_uri_unauthorized(Reply& r, std::string_view uri);
void query_not_supported(Reply& r, std::string_view parameter);
void query_parameter_value_format_error(Reply& r, std::string_view value, std::string_view parameter);
void payload_too_large(Reply& r, size_t limit);
void internal_error(Reply& r);
void service_temporarily_unavailable(Reply& r, int retry_after_s);
void resource_in_use(Reply& r);
void create_failed_missing_req_properties(Reply& r, std::string_view property);
void string_value_too_long(Reply& r, std::string_view property, size_t max);
// Success message body for 200 replies to PATCH/POST actions.
void success(Reply& r);

}  // namespace messages
}  // namespace mb::redfish
