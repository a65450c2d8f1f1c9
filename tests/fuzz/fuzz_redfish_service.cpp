// Fuzzes mb-redfish's request handling end to end over an in-memory backend: the input is split
// into method, target, headers and body; every answer must be well-formed (a status, JSON or XML
// body) and the service must never throw or crash.
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "redfish/service.hpp"

using namespace mb::redfish;
using nlohmann::json;

namespace {

struct MemoryBackend : Backend {
    std::vector<DeviceInfo> devs;
    std::map<std::string, mb::efi::Variables> firmware;
    std::map<std::string, json> state;
    json service_state;
    MemoryBackend() {
        DeviceInfo d;
        d.mac = *mb::device::Mac::parse("d8:3a:dd:5a:44:0c");
        d.id = "rpi-01";
        d.has_power = true;
        devs.push_back(d);
    }
    std::vector<DeviceInfo> devices() override { return devs; }
    PowerInfo power(const DeviceInfo&) override { return {"On", "OK", ""}; }
    bool reset(const DeviceInfo&, ResetType, Progress p) override {
        p(100, true, true, "ok");
        return true;
    }
    mb::efi::Variables load_firmware(const mb::device::Mac& m) override {
        auto it = firmware.find(m.dashed());
        return it == firmware.end() ? mb::efi::Variables{} : it->second;
    }
    void store_firmware(const mb::device::Mac& m, const mb::efi::Variables& d) override { firmware[m.dashed()] = d; }
    mb::efi::Variables base_variables() override { return {}; }
    json load_state(const mb::device::Mac& m) override { return state.count(m.dashed()) ? state[m.dashed()] : json(); }
    void store_state(const mb::device::Mac& m, const json& d) override { state[m.dashed()] = d; }
    json load_service_state() override { return service_state; }
    void store_service_state(const json& d) override { service_state = d; }
    json inventory(const mb::device::Mac&) override { return json(); }
    void update_base_firmware(const std::string&, Progress p) override { p(100, true, false, "offline"); }
    std::string base_firmware_version() override { return ""; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static MemoryBackend backend;
    static Service* service = [] {
        ServiceConfig c;
        c.accounts = {{"admin", "secret", "Administrator"}};
        c.max_body = 8192;
        return new Service(c, backend);
    }();
    std::string in(reinterpret_cast<const char*>(data), size);
    // Layout: METHOD SP TARGET \n (Header: value \n)* \n body
    mb::http::Request req;
    auto nl = in.find('\n');
    std::string line = in.substr(0, nl);
    auto sp = line.find(' ');
    req.method = line.substr(0, sp);
    req.target = sp == std::string::npos ? "/redfish/v1" : line.substr(sp + 1);
    auto q = req.target.find('?');
    req.path = mb::http::percent_decode(req.target.substr(0, q)).value_or("/");
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    size_t pos = nl == std::string::npos ? in.size() : nl + 1;
    while (pos < in.size()) {
        auto e = in.find('\n', pos);
        std::string h = in.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
        pos = e == std::string::npos ? in.size() : e + 1;
        if (h.empty()) break;
        auto colon = h.find(':');
        if (colon != std::string::npos) req.headers.add(h.substr(0, colon), h.substr(colon + 1));
    }
    req.body = in.substr(std::min(pos, in.size()));
    req.tls = true;
    if (!req.headers.has("Authorization")) req.headers.add("Authorization", "Basic YWRtaW46c2VjcmV0");
    auto res = service->handle(req);
    if (res.status < 200 || res.status > 599 || res.status == 500) __builtin_trap();  // 500 = a handler threw
    if (!res.body.empty() && res.body[0] == '{' && json::parse(res.body, nullptr, false).is_discarded())
        __builtin_trap();
    return 0;
}
