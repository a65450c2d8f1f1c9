#include "inventory/inventory.hpp"

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::inventory {

namespace {

void add_candidate(std::vector<device::Mac>& out, const nlohmann::json& value) {
    if (!value.is_string()) return;
    auto mac = device::Mac::parse(value.get<std::string>());
    if (!mac || mac->is_zero()) return;
    for (const auto& m : out)
        if (m == *mac) return;
    out.push_back(*mac);
}

const nlohmann::json* member(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}

}  // namespace

Inspection parse_inspection(std::string_view body) {
    Inspection out;
    try {
        out.body = nlohmann::json::parse(body.begin(), body.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw data_error("inspection body is not JSON (byte " + std::to_string(e.byte) + ")");
    }
    if (!out.body.is_object()) throw data_error("inspection body must be a JSON object");
    const auto* inv = member(out.body, "inventory");
    if (!inv || !inv->is_object()) throw data_error("inspection body lacks an 'inventory' object");
    const auto* ifaces = member(*inv, "interfaces");
    if (!ifaces || !ifaces->is_array() || ifaces->empty())
        throw data_error("inventory.interfaces must be a non-empty array");
    for (size_t i = 0; i < ifaces->size(); ++i) {
        const auto* mac = member((*ifaces)[i], "mac_address");
        if (!mac || !mac->is_string())
            throw data_error("inventory.interfaces[" + std::to_string(i) + "].mac_address must be a string");
    }
    if (const auto* b = member(out.body, "boot_interface")) add_candidate(out.candidates, *b);
    if (const auto* boot = member(*inv, "boot"))
        if (const auto* p = member(*boot, "pxe_interface")) add_candidate(out.candidates, *p);
    for (const auto& iface : *ifaces) add_candidate(out.candidates, iface["mac_address"]);
    if (out.candidates.empty()) throw data_error("no valid MAC address in the inspection body");
    return out;
}

nlohmann::ordered_json stored_document(const Inspection& in, const device::Mac& mac, const std::string& device_id,
                                       const std::string& received_at, const std::string& source, bool has_logs) {
    nlohmann::ordered_json doc;
    doc["mac"] = mac.colon();
    doc["device_id"] = device_id;
    doc["received_at"] = received_at;
    doc["source"] = source;
    auto copy = [&](const char* key) {
        const auto* v = member(in.body, key);
        doc[key] = v ? nlohmann::ordered_json::parse(v->dump()) : nlohmann::ordered_json(nullptr);
    };
    copy("inventory");
    copy("root_disk");
    copy("boot_interface");
    copy("configuration");
    copy("error");
    doc["has_logs"] = has_logs;
    return doc;
}

std::optional<std::string> decoded_logs(const Inspection& in) {
    const auto* logs = member(in.body, "logs");
    if (!logs || !logs->is_string()) return std::nullopt;
    return mb::base64_decode(logs->get_ref<const std::string&>());
}

nlohmann::ordered_json summary(const nlohmann::json& stored) {
    nlohmann::ordered_json s;
    s["mac"] = stored.value("mac", "");
    s["device_id"] = stored.value("device_id", "");
    s["received_at"] = stored.value("received_at", "");
    const auto* inv = member(stored, "inventory");
    nlohmann::json cpu, memory, disks, boot;
    if (inv) {
        if (const auto* c = member(*inv, "cpu")) cpu = *c;
        if (const auto* m = member(*inv, "memory")) memory = *m;
        if (const auto* d = member(*inv, "disks")) disks = *d;
        if (const auto* b = member(*inv, "boot")) boot = *b;
    }
    s["cpus"] = cpu.is_object() && cpu.contains("count") ? cpu["count"] : nlohmann::json(nullptr);
    s["architecture"] = cpu.is_object() && cpu.contains("architecture") ? cpu["architecture"] : nlohmann::json(nullptr);
    s["memory_mb"] =
        memory.is_object() && memory.contains("physical_mb") ? memory["physical_mb"] : nlohmann::json(nullptr);
    uint64_t total = 0;
    size_t count = 0;
    if (disks.is_array())
        for (const auto& d : disks) {
            ++count;
            if (d.is_object() && d.contains("size") && d["size"].is_number_unsigned())
                total += d["size"].get<uint64_t>();
        }
    s["disks"] = count;
    s["disk_bytes"] = total;
    s["pxe_interface"] =
        boot.is_object() && boot.contains("pxe_interface") ? boot["pxe_interface"] : nlohmann::json(nullptr);
    return s;
}

}  // namespace mb::inventory
