// UpdateService: SimpleUpdate replaces the base UEFI image (firmware/RPI_EFI.fd) that every
// device's RPI_EFI.fd is rendered from; progress is a Task. TaskService serves the tasks and
// their monitors (202 + Task while running, 200 when done).
#include <fmt/format.h>

#include <algorithm>

#include "redfish/service.hpp"

namespace mb::redfish {

namespace {

constexpr const char* kBaseUefi = "/redfish/v1/UpdateService/FirmwareInventory/BaseUEFI";

// The Targets SimpleUpdate accepts: the base image itself or any System (every device's image is
// rendered from the one base image).
std::vector<std::string> update_targets(Service& s) {
    std::vector<std::string> t{kBaseUefi};
    for (auto& d : s.devices()) t.push_back("/redfish/v1/Systems/" + d.id);
    return t;
}

ojson task_json(const Task& t) {
    ojson b{{"@odata.id", "/redfish/v1/TaskService/Tasks/" + t.id},
            {"@odata.type", "#Task.v1_7_0.Task"},
            {"Id", t.id},
            {"Name", t.name},
            {"TaskState", t.state},
            {"TaskStatus", t.status},
            {"PercentComplete", t.percent},
            {"StartTime", t.start_time},
            {"TaskMonitor", "/redfish/v1/TaskService/TaskMonitors/" + t.id},
            {"Messages", ojson::array()}};
    if (!t.end_time.empty()) b["EndTime"] = t.end_time;
    if (!t.message.empty())
        b["Messages"].push_back({{"@odata.type", "#Message.v1_1_1.Message"},
                                 {"MessageId", t.state == "Exception"   ? "TaskEvent.1.0.TaskAborted"
                                               : t.state == "Completed" ? "TaskEvent.1.0.TaskCompletedOK"
                                                                        : "TaskEvent.1.0.TaskProgressChanged"},
                                 {"Message", t.message},
                                 {"MessageArgs", ojson::array({t.id})},
                                 {"MessageSeverity", t.status},
                                 {"Severity", t.status}});
    return b;
}

}  // namespace

void register_update_service(Service& s) {
    s.route("/redfish/v1/UpdateService", "GET", Privilege::login, [](Context& c, Reply& r) {
        r.body = {{"@odata.id", "/redfish/v1/UpdateService"},
                  {"@odata.type", "#UpdateService.v1_11_0.UpdateService"},
                  {"Id", "UpdateService"},
                  {"Name", "Update Service"},
                  {"ServiceEnabled", true},
                  {"FirmwareInventory", odata_link("/redfish/v1/UpdateService/FirmwareInventory")},
                  {"Actions",
                   {{"#UpdateService.SimpleUpdate",
                     {{"target", "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"},
                      {"TransferProtocol@Redfish.AllowableValues", ojson::array({"HTTP", "HTTPS"})},
                      {"Targets@Redfish.AllowableValues", update_targets(c.service)}}}}}};
    });
    s.route("/redfish/v1/UpdateService/FirmwareInventory", "GET", Privilege::login, [](Context&, Reply& r) {
        r.body = {{"@odata.id", "/redfish/v1/UpdateService/FirmwareInventory"},
                  {"@odata.type", "#SoftwareInventoryCollection.SoftwareInventoryCollection"},
                  {"Name", "Firmware Inventory"},
                  {"Members@odata.count", 1},
                  {"Members", ojson::array({odata_link(kBaseUefi)})}};
    });
    s.route("/redfish/v1/UpdateService/FirmwareInventory/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        if (c.params[0] != "BaseUEFI") return messages::resource_not_found(r, "SoftwareInventory", c.params[0]);
        auto version = c.service.backend().base_firmware_version();
        r.body = {{"@odata.id", kBaseUefi},
                  {"@odata.type", "#SoftwareInventory.v1_9_0.SoftwareInventory"},
                  {"Id", "BaseUEFI"},
                  {"Name", "Raspberry Pi 4 UEFI firmware (base image)"},
                  {"Updateable", true},
                  {"Version", version.empty() ? ojson(nullptr) : ojson(version)},
                  {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
    });
    s.route("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate", "POST", Privilege::configure_components,
            [](Context& c, Reply& r) {
                const char* action = "UpdateService.SimpleUpdate";
                auto& b = c.body;
                for (auto it = b.begin(); it != b.end(); ++it)
                    if (it.key() != "ImageURI" && it.key() != "TransferProtocol" && it.key() != "Targets")
                        return messages::action_parameter_unknown(r, action, it.key());
                if (!b.contains("ImageURI")) return messages::action_parameter_missing(r, action, "ImageURI");
                if (!b["ImageURI"].is_string())
                    return messages::action_parameter_value_type_error(r, json_text(b["ImageURI"]), "ImageURI", action);
                auto uri = b["ImageURI"].get<std::string>();
                std::string proto;
                if (b.contains("TransferProtocol")) {
                    if (!b["TransferProtocol"].is_string())
                        return messages::action_parameter_value_type_error(r, json_text(b["TransferProtocol"]),
                                                                           "TransferProtocol", action);
                    proto = b["TransferProtocol"].get<std::string>();
                    if (proto != "HTTP" && proto != "HTTPS")
                        return messages::action_parameter_value_not_in_list(r, proto, "TransferProtocol", action);
                }
                auto scheme = uri.substr(0, uri.find("://"));
                if (uri.find("://") == std::string::npos) {
                    if (proto.empty()) return messages::action_parameter_missing(r, action, "TransferProtocol");
                    uri = (proto == "HTTP" ? "http://" : "https://") + uri;
                } else if (scheme != "http" && scheme != "https") {
                    return messages::action_parameter_value_not_in_list(r, uri, "ImageURI", action);
                }
                if (b.contains("Targets")) {
                    if (!b["Targets"].is_array())
                        return messages::action_parameter_value_type_error(r, json_text(b["Targets"]), "Targets",
                                                                           action);
                    for (auto& t : b["Targets"]) {
                        if (!t.is_string())
                            return messages::action_parameter_value_type_error(r, json_text(t), "Targets", action);
                        auto target = t.get<std::string>();
                        auto allowed = update_targets(c.service);
                        if (std::find(allowed.begin(), allowed.end(), target) == allowed.end())
                            return messages::action_parameter_value_not_in_list(r, target, "Targets", action);
                    }
                }
                auto id = c.service.create_task("SimpleUpdate of the base UEFI image", c.now);
                c.service.backend().update_base_firmware(uri, c.service.task_progress(id));
                r.status = 202;
                r.header("Location", "/redfish/v1/TaskService/TaskMonitors/" + id);
                r.body = task_json(*c.service.task(id));
            });
}

void register_tasks(Service& s) {
    s.route("/redfish/v1/TaskService", "GET", Privilege::login, [](Context& c, Reply& r) {
        r.body = {{"@odata.id", "/redfish/v1/TaskService"},
                  {"@odata.type", "#TaskService.v1_2_0.TaskService"},
                  {"Id", "TaskService"},
                  {"Name", "Task Service"},
                  {"ServiceEnabled", true},
                  {"CompletedTaskOverWritePolicy", "Oldest"},
                  {"DateTime", iso_time(c.now)},
                  {"Tasks", odata_link("/redfish/v1/TaskService/Tasks")}};
    });
    s.route("/redfish/v1/TaskService/Tasks", "GET", Privilege::login, [](Context& c, Reply& r) {
        ojson members = ojson::array();
        for (auto& t : c.service.tasks()) members.push_back(odata_link("/redfish/v1/TaskService/Tasks/" + t.id));
        r.body = {{"@odata.id", "/redfish/v1/TaskService/Tasks"},
                  {"@odata.type", "#TaskCollection.TaskCollection"},
                  {"Name", "Task Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    });
    s.route("/redfish/v1/TaskService/Tasks/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto t = c.service.task(c.params[0]);
        if (!t) return messages::resource_not_found(r, "Task", c.params[0]);
        r.body = task_json(*t);
    });
    s.route("/redfish/v1/TaskService/TaskMonitors/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto t = c.service.task(c.params[0]);
        if (!t) return messages::resource_not_found(r, "Task", c.params[0]);
        r.body = task_json(*t);
        if (t->state == "Running" || t->state == "New") {
            r.status = 202;
            r.header("Location", "/redfish/v1/TaskService/TaskMonitors/" + t->id);
        }
    });
}

}  // namespace mb::redfish
