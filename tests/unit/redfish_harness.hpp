#pragma once
// A Redfish Service over an in-memory backend (two devices: rpi-01 with the fixture variables and
// a PoE port, dc-a6-32-01-02-03 with nothing), for the redfish_*_test files.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "efi/vars_json.hpp"
#include "redfish/service.hpp"
#include "support.hpp"

namespace mb::redfish::test {

using nlohmann::json;

struct FakeBackend : Backend {
    std::vector<DeviceInfo> devs;
    std::map<std::string, std::string> power_state;
    std::vector<std::string> resets;
    std::map<std::string, mb::efi::Variables> firmware;
    std::map<std::string, json> state;
    mb::efi::Variables base;
    uint64_t stamp_value = 0;  // 0 = no render caching
    json service_state;
    json inv;

    FakeBackend() {
        DeviceInfo d;
        d.mac = *mb::device::Mac::parse("d8:3a:dd:5a:44:0c");
        d.id = "rpi-01";
        d.name = "rpi-01";
        d.serial = "10000000abcdef01";
        d.revision = mb::device::BoardRevision::parse("c03115");
        d.has_power = true;
        devs.push_back(d);
        DeviceInfo e;
        e.mac = *mb::device::Mac::parse("dc:a6:32:01:02:03");
        e.id = "dc-a6-32-01-02-03";
        devs.push_back(e);
        power_state["rpi-01"] = "Off";
    }
    uint64_t devs_generation = 0;  // 0 = the service re-reads devs on every request
    std::vector<DeviceInfo> devices() override { return devs; }
    uint64_t devices_generation() override { return devs_generation; }
    PowerInfo power(const DeviceInfo& d) override {
        auto it = power_state.find(d.id);
        if (it == power_state.end()) return {"", "Warning", "none"};
        return {it->second, "OK", ""};
    }
    size_t queued = 0;         // actions waiting (queued_actions)
    bool refuse_next = false;  // reset() refuses although queued_actions said there was room
    size_t queued_actions(const DeviceInfo&) override { return queued; }
    bool reset(const DeviceInfo& d, ResetType t, Progress p) override {
        if (refuse_next) return refuse_next = false;
        resets.push_back(d.id + ":" + reset_name(t));
        power_state[d.id] = t == ResetType::force_off ? "Off" : "On";
        p(100, true, true, "done");
        return true;
    }
    mb::efi::Variables load_firmware(const mb::device::Mac& m) override {
        auto it = firmware.find(m.dashed());
        return it == firmware.end() ? mb::efi::Variables{} : it->second;
    }
    void store_firmware(const mb::device::Mac& m, const mb::efi::Variables& d) override { firmware[m.dashed()] = d; }
    mb::efi::Variables base_variables() override { return base; }
    uint64_t stamp(const mb::device::Mac&) override { return stamp_value; }
    json load_state(const mb::device::Mac& m) override {
        return state.count(m.dashed()) ? state[m.dashed()] : json(nullptr);
    }
    void store_state(const mb::device::Mac& m, const json& d) override { state[m.dashed()] = d; }
    json load_service_state() override { return service_state; }
    void store_service_state(const json& d) override { service_state = d; }
    json inventory(const mb::device::Mac&) override { return inv; }
    void update_base_firmware(const std::string&, Progress p) override { p(100, true, false, "no network in tests"); }
    std::string base_firmware_version() override { return "v1.40"; }
};

inline mb::efi::Variables fixture_vars(const std::string& name = "pi4-d83add5a440c.vars.json") {
    std::ifstream in(mb::test::fixtures_dir() + "/efi/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return mb::efi::import_json(ss.str());
}

struct Harness {
    FakeBackend backend;
    std::unique_ptr<Service> service;
    std::chrono::steady_clock::time_point mono = std::chrono::steady_clock::now();
    Harness() {
        ServiceConfig c;
        c.accounts = {{"admin", "secret", "Administrator"}, {"op", "oppass", "Operator"}, {"ro", "ropass", "ReadOnly"}};
        c.service_uuid = "2b9f1a1e-0000-4000-8000-000000000001";
        c.max_body = 4096;
        backend.firmware["d8-3a-dd-5a-44-0c"] = fixture_vars();
        service = std::make_unique<Service>(c, backend);
    }
    mb::http::Response req(const std::string& method, const std::string& target, const std::string& body = "",
                           const std::string& user = "admin",
                           std::vector<std::pair<std::string, std::string>> hdrs = {}) {
        mb::http::Request r;
        r.method = method;
        r.target = target;
        auto q = target.find('?');
        r.path = target.substr(0, q);
        r.query = q == std::string::npos ? "" : target.substr(q + 1);
        r.body = body;
        r.tls = true;
        r.remote_address = "127.0.0.1";
        static const std::map<std::string, std::string> basic = {
            {"admin", "YWRtaW46c2VjcmV0"}, {"op", "b3A6b3BwYXNz"}, {"ro", "cm86cm9wYXNz"}, {"bad", "YWRtaW46d3Jvbmc="}};
        if (!user.empty()) r.headers.add("Authorization", "Basic " + basic.at(user));
        for (auto& [k, v] : hdrs) r.headers.add(k, v);
        return service->handle_at(r, std::chrono::system_clock::now(), mono);
    }
    static json body(const mb::http::Response& r) { return json::parse(r.body); }
};

inline std::string error_id(const mb::http::Response& r) {
    auto j = json::parse(r.body);
    return j["error"]["@Message.ExtendedInfo"][0]["MessageId"].get<std::string>();
}

}  // namespace mb::redfish::test
