// SessionService, Sessions (201 + X-Auth-Token + Location, DELETE = logout), AccountService with the
// predefined roles. Accounts come from metal-boot.yaml (operator-owned), so they are read-only here.
#include <fmt/format.h>

#include "redfish/service.hpp"

namespace mb::redfish {

namespace {

constexpr const char* kSessions = "/redfish/v1/SessionService/Sessions";

ojson session_json(const Session& s) {
    ojson b;
    b["@odata.id"] = fmt::format("{}/{}", kSessions, s.id);
    b["@odata.type"] = "#Session.v1_7_0.Session";
    b["Id"] = s.id;
    b["Name"] = "User Session";
    b["UserName"] = s.username;
    b["Password"] = nullptr;
    if (!s.client.empty()) b["ClientOriginIPAddress"] = s.client;
    return b;
}

void create_session(Context& c, Reply& r) {
    const auto& req = c.request;
    if (!req.tls && !c.service.config().allow_credentials_over_http) {
        messages::resource_at_uri_unauthorized(r, req.path);
        return;
    }
    auto& b = c.body;
    if (!only_known(r, b, {"UserName", "Password", "Context", "@odata.type"})) return;
    for (const char* k : {"UserName", "Password"}) {
        if (!b.contains(k)) return messages::create_failed_missing_req_properties(r, k);
        if (!b[k].is_string()) return messages::property_value_type_error(r, json_text(b[k]), k);
    }
    auto* a = c.service.check_password(b["UserName"].get<std::string>(), b["Password"].get<std::string>());
    if (!a) {
        messages::resource_at_uri_unauthorized(r, req.path);
        return;
    }
    auto* s = c.service.create_session(a->username, a->role, req.remote_address, std::chrono::steady_clock::now());
    if (!s) return messages::service_temporarily_unavailable(r, 30);
    r.status = 201;
    r.body = session_json(*s);
    r.header("X-Auth-Token", s->token);
    r.header("Location", fmt::format("{}/{}", kSessions, s->id));
}

ojson role_json(const std::string& role) {
    ojson privs = ojson::array();
    for (auto p : role_privileges(role)) privs.push_back(privilege_name(p));
    return {{"@odata.id", "/redfish/v1/AccountService/Roles/" + role},
            {"@odata.type", "#Role.v1_3_1.Role"},
            {"Id", role},
            {"Name", role + " Role"},
            {"RoleId", role},
            {"IsPredefined", true},
            {"AssignedPrivileges", privs},
            {"OemPrivileges", ojson::array()}};
}

const char* kRoles[] = {"Administrator", "Operator", "ReadOnly"};

}  // namespace

void register_sessions(Service& s) {
    s.route("/redfish/v1/SessionService", "GET", Privilege::login, [](Context& c, Reply& r) {
        r.body = {{"@odata.id", "/redfish/v1/SessionService"},
                  {"@odata.type", "#SessionService.v1_1_9.SessionService"},
                  {"Id", "SessionService"},
                  {"Name", "Session Service"},
                  {"ServiceEnabled", true},
                  {"SessionTimeout", c.service.session_timeout()},
                  {"Sessions", odata_link(kSessions)}};
    });
    s.route("/redfish/v1/SessionService", "PATCH", Privilege::configure_manager, [](Context& c, Reply& r) {
        if (!only_known(r, c.body, {"SessionTimeout", "ServiceEnabled"})) return;
        if (c.body.contains("ServiceEnabled")) return messages::property_not_writable(r, "ServiceEnabled");
        if (!c.body.contains("SessionTimeout")) return messages::property_missing(r, "SessionTimeout");
        auto& v = c.body["SessionTimeout"];
        if (!v.is_number_integer()) return messages::property_value_type_error(r, json_text(v), "SessionTimeout");
        auto n = v.get<long long>();
        if (n < 30 || n > 86400) return messages::property_value_out_of_range(r, json_text(v), "SessionTimeout");
        c.service.set_session_timeout(static_cast<int>(n));
        r.status = 204;
    });
    auto list = [](Context& c, Reply& r) {
        ojson members = ojson::array();
        for (auto& s : c.service.sessions())
            if (c.has(Privilege::configure_manager) || s.username == c.username)
                members.push_back(odata_link(fmt::format("{}/{}", kSessions, s.id)));
        r.body = {{"@odata.id", kSessions},
                  {"@odata.type", "#SessionCollection.SessionCollection"},
                  {"Name", "Session Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    };
    s.route(kSessions, "GET", Privilege::login, list);
    s.route(kSessions, "POST", Privilege::none, create_session);
    s.route(fmt::format("{}/Members", kSessions), "POST", Privilege::none, create_session);
    auto own_or_manager = [](Context& c, Reply& r, const Session*& out) {
        out = c.service.find_session(c.params[0]);
        if (!out || (!c.has(Privilege::configure_manager) && out->username != c.username)) {
            messages::resource_not_found(r, "Session", c.params[0]);
            return false;
        }
        return true;
    };
    s.route(fmt::format("{}/{{}}", kSessions), "GET", Privilege::login, [own_or_manager](Context& c, Reply& r) {
        const Session* s = nullptr;
        if (own_or_manager(c, r, s)) r.body = session_json(*s);
    });
    s.route(fmt::format("{}/{{}}", kSessions), "DELETE", Privilege::login, [own_or_manager](Context& c, Reply& r) {
        const Session* s = nullptr;
        if (!own_or_manager(c, r, s)) return;
        c.service.delete_session(c.params[0]);
        r.status = 204;
    });
}

void register_accounts(Service& s) {
    s.route("/redfish/v1/AccountService", "GET", Privilege::login, [](Context&, Reply& r) {
        r.body = {{"@odata.id", "/redfish/v1/AccountService"},
                  {"@odata.type", "#AccountService.v1_13_0.AccountService"},
                  {"Id", "AccountService"},
                  {"Name", "Account Service"},
                  {"ServiceEnabled", true},
                  {"LocalAccountAuth", "Enabled"},
                  {"Accounts", odata_link("/redfish/v1/AccountService/Accounts")},
                  {"Roles", odata_link("/redfish/v1/AccountService/Roles")}};
    });
    s.route("/redfish/v1/AccountService/Accounts", "GET", Privilege::login, [](Context& c, Reply& r) {
        ojson members = ojson::array();
        for (auto& a : c.service.config().accounts)
            if (c.has(Privilege::configure_users) || a.username == c.username)
                members.push_back(odata_link("/redfish/v1/AccountService/Accounts/" + a.username));
        r.body = {{"@odata.id", "/redfish/v1/AccountService/Accounts"},
                  {"@odata.type", "#ManagerAccountCollection.ManagerAccountCollection"},
                  {"Name", "Accounts Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    });
    s.route("/redfish/v1/AccountService/Accounts/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        for (auto& a : c.service.config().accounts) {
            if (a.username != c.params[0]) continue;
            if (!c.has(Privilege::configure_users) && a.username != c.username) break;
            r.body = {{"@odata.id", "/redfish/v1/AccountService/Accounts/" + a.username},
                      {"@odata.type", "#ManagerAccount.v1_10_0.ManagerAccount"},
                      {"Id", a.username},
                      {"Name", "User Account"},
                      {"UserName", a.username},
                      {"RoleId", a.role},
                      {"Enabled", true},
                      {"Locked", false},
                      {"Password", nullptr},
                      {"AccountTypes", ojson::array({"Redfish"})},
                      {"Links", {{"Role", odata_link("/redfish/v1/AccountService/Roles/" + a.role)}}}};
            return;
        }
        messages::resource_not_found(r, "ManagerAccount", c.params[0]);
    });
    s.route("/redfish/v1/AccountService/Roles", "GET", Privilege::login, [](Context&, Reply& r) {
        ojson members = ojson::array();
        for (auto* role : kRoles) members.push_back(odata_link(std::string("/redfish/v1/AccountService/Roles/") + role));
        r.body = {{"@odata.id", "/redfish/v1/AccountService/Roles"},
                  {"@odata.type", "#RoleCollection.RoleCollection"},
                  {"Name", "Roles Collection"},
                  {"Members@odata.count", members.size()},
                  {"Members", members}};
    });
    s.route("/redfish/v1/AccountService/Roles/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        for (auto* role : kRoles)
            if (c.params[0] == role) {
                r.body = role_json(role);
                return;
            }
        messages::resource_not_found(r, "Role", c.params[0]);
    });
}

}  // namespace mb::redfish
