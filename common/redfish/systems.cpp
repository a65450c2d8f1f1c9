// ComputerSystem: collection, one System per device, PATCH Boot, #ComputerSystem.Reset, and the
// inventory sub-resources (Processors, EthernetInterfaces, SimpleStorage) from the IPA inventory.
#include <fmt/format.h>

#include <cmath>

#include "core/strings.hpp"
#include "redfish/boot_override.hpp"
#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"

namespace mb::redfish {

using nlohmann::json;

// Applies pending BIOS settings (Bios/Settings) to the firmware variables: the next boot renders them.
void apply_pending_bios(Backend& backend, const device::Mac& mac);

namespace {

constexpr const char* kSystems = "/redfish/v1/Systems";
const std::vector<std::string> kResetTypes = {"On", "ForceOff", "ForceRestart", "PowerCycle"};
const std::vector<std::string> kAllResetTypes = {
    "On",    "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart",
    "Nmi",   "ForceOn",  "PushPowerButton",  "PowerCycle",      "Suspend",
    "Pause", "Resume",   "FullPowerCycle"};

std::string system_uuid(const DeviceInfo& d) {
    // The Pi's SMBIOS system GUID: Data1 = board revision, node = MAC (what UEFI sends as DHCP option 97).
    uint32_t rev = d.revision ? d.revision->code : 0;
    return fmt::format("{:08x}-0000-0000-0000-{}", rev, d.mac.bare());
}

json inventory_of(Context& c, const DeviceInfo& d) {
    auto inv = c.service.backend().inventory(d.mac);
    if (inv.is_object() && inv.contains("inventory") && inv["inventory"].is_object()) return inv["inventory"];
    return inv.is_object() ? inv : json::object();
}

std::optional<int> memory_gib(const json& inv, const DeviceInfo& d) {
    if (inv.contains("memory") && inv["memory"].is_object()) {
        const auto& m = inv["memory"];
        if (m.contains("physical_mb") && m["physical_mb"].is_number())
            return std::max(1, static_cast<int>(std::lround(m["physical_mb"].get<double>() / 1024.0)));
        if (m.contains("total") && m["total"].is_number())
            return std::max(1, static_cast<int>(std::lround(m["total"].get<double>() / (1024.0 * 1024 * 1024))));
    }
    if (d.revision && d.revision->memory_mib() >= 1024) return static_cast<int>(d.revision->memory_mib() / 1024);
    return std::nullopt;
}

struct Cpu {
    std::string model = "Cortex-A72";  // BCM2711: every Pi 4, Pi 400 and CM4
    int count = 4;
    int mhz = 1500;
};

Cpu cpu_of(const json& inv, const DeviceInfo& d) {
    Cpu c;
    if (d.revision && d.revision->model().find("400") != std::string::npos) c.mhz = 1800;
    if (inv.contains("cpu") && inv["cpu"].is_object()) {
        const auto& j = inv["cpu"];
        if (j.contains("model_name") && j["model_name"].is_string()) c.model = j["model_name"].get<std::string>();
        if (j.contains("count") && j["count"].is_number_integer()) c.count = j["count"].get<int>();
        if (j.contains("frequency")) {
            if (j["frequency"].is_number())
                c.mhz = static_cast<int>(j["frequency"].get<double>());
            else if (j["frequency"].is_string())
                c.mhz = static_cast<int>(
                    parse_uint(split(j["frequency"].get<std::string>(), '.')[0], 100000).value_or(c.mhz));
        }
    }
    return c;
}

ojson power_state(const PowerInfo& p) {
    return p.state.empty() ? ojson(nullptr) : ojson(p.state);
}

std::string health_of(const PowerInfo& p) {
    return p.state.empty() ? "Warning" : p.health;
}

void get_system(Context& c, Reply& r, const DeviceInfo& d, const PowerInfo& power) {
    auto& backend = c.service.backend();
    auto view = uefi::merged(backend.base_variables(), backend.load_firmware(d.mac));
    auto st = backend.load_state(d.mac);
    auto boot = read_boot_override(view, st);
    auto inv = inventory_of(c, d);
    auto cpu = cpu_of(inv, d);
    std::string base = fmt::format("{}/{}", kSystems, d.id);
    auto& b = r.body;
    b["@odata.id"] = base;
    b["@odata.type"] = "#ComputerSystem.v1_20_0.ComputerSystem";
    b["Id"] = d.id;
    b["Name"] = d.name.empty() ? d.id : d.name;
    b["SystemType"] = "Physical";
    b["Manufacturer"] = "Raspberry Pi Ltd";
    b["Model"] = d.revision ? d.revision->model() : "Raspberry Pi 4";
    if (!d.serial.empty()) b["SerialNumber"] = d.serial;
    b["UUID"] = system_uuid(d);
    auto version = backend.base_firmware_version();
    if (!version.empty()) b["BiosVersion"] = version;
    b["PowerState"] = power_state(power);
    b["Status"] = {{"State", "Enabled"}, {"Health", health_of(power)}};
    b["Boot"] = {{"BootSourceOverrideEnabled", boot.enabled},
                 {"BootSourceOverrideEnabled@Redfish.AllowableValues", kBootEnabled},
                 {"BootSourceOverrideTarget", boot.target},
                 {"BootSourceOverrideTarget@Redfish.AllowableValues", kBootTargets},
                 {"BootSourceOverrideMode", "UEFI"},
                 {"BootSourceOverrideMode@Redfish.AllowableValues", ojson::array({"UEFI"})},
                 {"@Redfish.WriteableProperties", kBootWritable}};
    b["ProcessorSummary"] = {{"Count", 1}, {"CoreCount", cpu.count}, {"Model", cpu.model}};
    // (MemorySummary/Status is deprecated since ComputerSystem v1_16: not emitted)
    if (auto gib = memory_gib(inv, d)) b["MemorySummary"] = {{"TotalSystemMemoryGiB", *gib}};
    b["Processors"] = odata_link(base + "/Processors");
    b["EthernetInterfaces"] = odata_link(base + "/EthernetInterfaces");
    b["SimpleStorage"] = odata_link(base + "/SimpleStorage");
    b["Bios"] = odata_link(base + "/Bios");
    b["VirtualMedia"] = odata_link(base + "/VirtualMedia");
    b["Links"] = {{"ManagedBy", ojson::array({odata_link(manager_uri(d))})},
                  {"Chassis", ojson::array({odata_link("/redfish/v1/Chassis/" + d.id)})}};
    b["Actions"] = {{"#ComputerSystem.Reset",
                     {{"target", base + "/Actions/ComputerSystem.Reset"},
                      {"ResetType@Redfish.AllowableValues", d.has_power ? kResetTypes : std::vector<std::string>{}}}}};
}

const DeviceInfo* device_or_404(Context& c, Reply& r) {
    auto* d = c.service.find_device(c.params[0]);
    if (!d) messages::resource_not_found(r, "ComputerSystem", c.params[0]);
    return d;
}

void patch_system(Context& c, Reply& r) {
    auto* d = device_or_404(c, r);
    if (!d) return;
    static const char* read_only[] = {"Id",
                                      "Name",
                                      "SystemType",
                                      "Manufacturer",
                                      "Model",
                                      "SerialNumber",
                                      "UUID",
                                      "BiosVersion",
                                      "PowerState",
                                      "Status",
                                      "ProcessorSummary",
                                      "MemorySummary",
                                      "Processors",
                                      "EthernetInterfaces",
                                      "SimpleStorage",
                                      "Bios",
                                      "VirtualMedia",
                                      "Links",
                                      "Actions",
                                      "@odata.id",
                                      "@odata.type"};
    for (auto it = c.body.begin(); it != c.body.end(); ++it) {
        if (it.key() == "Boot") continue;
        bool ro = false;
        for (auto* k : read_only) ro |= it.key() == k;
        if (ro)
            messages::property_not_writable(r, it.key());
        else
            messages::property_unknown(r, it.key());
        return;
    }
    if (!c.body.contains("Boot")) return messages::property_missing(r, "Boot");
    if (!edit_device(c.service.backend(), d->mac, [&](efi::Variables& fw, const efi::Variables& base, json& st) {
            return apply_boot_patch(r, c.body["Boot"], fw, base, st, d->mac);
        }))
        return;
    r.status = 204;
}

void reset_system(Context& c, Reply& r) {
    auto* d = device_or_404(c, r);
    if (!d) return;
    const char* action = "ComputerSystem.Reset";
    for (auto it = c.body.begin(); it != c.body.end(); ++it)
        if (it.key() != "ResetType") return messages::action_parameter_unknown(r, action, it.key());
    if (!c.body.contains("ResetType")) return messages::action_parameter_missing(r, action, "ResetType");
    const auto& v = c.body["ResetType"];
    if (!v.is_string()) return messages::action_parameter_value_type_error(r, json_text(v), "ResetType", action);
    auto type = v.get<std::string>();
    if (std::find(kAllResetTypes.begin(), kAllResetTypes.end(), type) == kAllResetTypes.end())
        return messages::action_parameter_value_not_in_list(r, type, "ResetType", action);
    if (!d->has_power || std::find(kResetTypes.begin(), kResetTypes.end(), type) == kResetTypes.end())
        return messages::action_parameter_not_supported(r, type, action);
    ResetType t = type == "On"             ? ResetType::on
                  : type == "ForceOff"     ? ResetType::force_off
                  : type == "ForceRestart" ? ResetType::force_restart
                                           : ResetType::power_cycle;
    // A refused action leaves no Task behind: a flood of refusals must not push the tasks of
    // accepted actions out of the bounded task list (nor cost a state write each).
    auto& backend = c.service.backend();
    if (backend.queued_actions(*d) >= Backend::kMaxQueuedActions)
        return messages::service_temporarily_unavailable(r, 5);
    auto id = c.service.create_task(fmt::format("Reset {} {}", d->id, type), c.now);
    if (!backend.reset(*d, t, c.service.task_progress(id))) {
        c.service.drop_task(id);
        return messages::service_temporarily_unavailable(r, 5);
    }
    if (t != ResetType::force_off) apply_pending_bios(c.service.backend(), d->mac);
    r.status = 202;
    r.header("Location", "/redfish/v1/TaskService/TaskMonitors/" + id);
    r.body = {{"@odata.id", "/redfish/v1/TaskService/Tasks/" + id},
              {"@odata.type", "#Task.v1_7_0.Task"},
              {"Id", id},
              {"Name", fmt::format("Reset {} {}", d->id, type)},
              {"TaskState", "Running"},
              {"TaskStatus", "OK"},
              {"TaskMonitor", "/redfish/v1/TaskService/TaskMonitors/" + id}};
}

std::string safe_id(std::string s) {
    for (auto& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
    return s.empty() ? "if" : s;
}

// Interfaces: (Id, MAC, speed) from the inventory, else the device's own MAC.
std::vector<std::tuple<std::string, std::string, std::optional<int>>> interfaces_of(const json& inv,
                                                                                    const DeviceInfo& d) {
    std::vector<std::tuple<std::string, std::string, std::optional<int>>> out;
    if (inv.contains("interfaces") && inv["interfaces"].is_array())
        for (auto& i : inv["interfaces"]) {
            if (!i.is_object() || !i.contains("mac_address") || !i["mac_address"].is_string()) continue;
            auto mac = device::Mac::parse(i["mac_address"].get<std::string>());
            if (!mac) continue;
            std::optional<int> speed;
            if (i.contains("speed_mbps") && i["speed_mbps"].is_number_integer()) speed = i["speed_mbps"].get<int>();
            out.emplace_back(safe_id(i.value("name", "eth" + std::to_string(out.size()))), mac->colon(), speed);
        }
    if (out.empty()) out.emplace_back("eth0", d.mac.colon(), std::nullopt);
    return out;
}

ojson collection(const std::string& id, const std::string& type, const std::string& name, const ojson& members) {
    return {{"@odata.id", id},
            {"@odata.type", "#" + type + "." + type},
            {"Name", name},
            {"Members@odata.count", members.size()},
            {"Members", members}};
}

}  // namespace

void register_systems(Service& s) {
    s.route(kSystems, "GET", Privilege::login, [](Context& c, Reply& r) {
        ojson members = ojson::array();
        for (auto& d : c.service.devices()) members.push_back(odata_link(fmt::format("{}/{}", kSystems, d.id)));
        r.body = collection(kSystems, "ComputerSystemCollection", "Computer System Collection", members);
    });
    s.route(std::string(kSystems) + "/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        auto& backend = c.service.backend();
        auto power = backend.power(*d);  // never waits for the switch
        std::string variant = power.state;
        variant += '|';
        variant += power.health;
        c.service.cached_get(c, r, backend.stamp(d->mac), variant, [&](Reply& out) { get_system(c, out, *d, power); });
    });
    s.route(std::string(kSystems) + "/{}", "PATCH", Privilege::configure_components, patch_system);
    s.route(std::string(kSystems) + "/{}/Actions/ComputerSystem.Reset", "POST", Privilege::configure_components,
            reset_system);

    s.route(std::string(kSystems) + "/{}/Processors", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        auto base = fmt::format("{}/{}/Processors", kSystems, d->id);
        r.body = collection(base, "ProcessorCollection", "Processors Collection",
                            ojson::array({odata_link(base + "/CPU0")}));
    });
    s.route(std::string(kSystems) + "/{}/Processors/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        if (c.params[1] != "CPU0") return messages::resource_not_found(r, "Processor", c.params[1]);
        auto cpu = cpu_of(inventory_of(c, *d), *d);
        r.body = {{"@odata.id", fmt::format("{}/{}/Processors/CPU0", kSystems, d->id)},
                  {"@odata.type", "#Processor.v1_18_0.Processor"},
                  {"Id", "CPU0"},
                  {"Name", "Processor"},
                  {"Socket", "SoC"},
                  {"ProcessorType", "CPU"},
                  {"ProcessorArchitecture", "ARM"},
                  {"InstructionSet", "ARM-A64"},
                  {"Manufacturer", "ARM"},
                  {"Model", cpu.model},
                  {"MaxSpeedMHz", cpu.mhz},
                  {"TotalCores", cpu.count},
                  {"TotalThreads", cpu.count},
                  {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
    });
    s.route(std::string(kSystems) + "/{}/EthernetInterfaces", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        auto base = fmt::format("{}/{}/EthernetInterfaces", kSystems, d->id);
        ojson members = ojson::array();
        for (auto& [id, mac, speed] : interfaces_of(inventory_of(c, *d), *d))
            members.push_back(odata_link(base + "/" + id));
        r.body = collection(base, "EthernetInterfaceCollection", "Ethernet Interface Collection", members);
    });
    s.route(std::string(kSystems) + "/{}/EthernetInterfaces/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        for (auto& [id, mac, speed] : interfaces_of(inventory_of(c, *d), *d)) {
            if (id != c.params[1]) continue;
            r.body = {{"@odata.id", fmt::format("{}/{}/EthernetInterfaces/{}", kSystems, d->id, id)},
                      {"@odata.type", "#EthernetInterface.v1_9_0.EthernetInterface"},
                      {"Id", id},
                      {"Name", "Ethernet Interface " + id},
                      {"MACAddress", mac},
                      {"PermanentMACAddress", mac},
                      {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
            if (speed) r.body["SpeedMbps"] = *speed;
            return;
        }
        messages::resource_not_found(r, "EthernetInterface", c.params[1]);
    });
    s.route(std::string(kSystems) + "/{}/SimpleStorage", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        auto base = fmt::format("{}/{}/SimpleStorage", kSystems, d->id);
        r.body = collection(base, "SimpleStorageCollection", "Simple Storage Collection",
                            ojson::array({odata_link(base + "/1")}));
    });
    s.route(std::string(kSystems) + "/{}/SimpleStorage/{}", "GET", Privilege::login, [](Context& c, Reply& r) {
        auto* d = device_or_404(c, r);
        if (!d) return;
        if (c.params[1] != "1") return messages::resource_not_found(r, "SimpleStorage", c.params[1]);
        auto inv = inventory_of(c, *d);
        ojson devices = ojson::array();
        if (inv.contains("disks") && inv["disks"].is_array())
            for (auto& disk : inv["disks"]) {
                if (!disk.is_object()) continue;
                ojson dev{{"Name", disk.value("name", "disk")}, {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
                if (disk.contains("model") && disk["model"].is_string()) dev["Model"] = disk["model"];
                if (disk.contains("size") && disk["size"].is_number_integer()) dev["CapacityBytes"] = disk["size"];
                devices.push_back(dev);
            }
        r.body = {{"@odata.id", fmt::format("{}/{}/SimpleStorage/1", kSystems, d->id)},
                  {"@odata.type", "#SimpleStorage.v1_3_1.SimpleStorage"},
                  {"Id", "1"},
                  {"Name", "Simple Storage"},
                  {"Devices", devices},
                  {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
    });
}

}  // namespace mb::redfish
