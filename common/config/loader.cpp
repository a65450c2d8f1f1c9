#include "config/loader.hpp"

#include <algorithm>
#include <set>

#include "config/atomic_file.hpp"
#include "config/legacy_import.hpp"
#include "config/remote_backend.hpp"
#include "config/visitors.hpp"
#include "config/yaml_io.hpp"
#include "core/error.hpp"
#include "log/log.hpp"

namespace mb::config {

const std::map<std::string, std::vector<std::string>>& state_ownership() {
    static const std::map<std::string, std::vector<std::string>> owners = {
        {"dhcp", {"observed"}},
        {"poe", {"power"}},
    };
    return owners;
}

const PoeSwitch* Settings::find_switch(const std::string& name) const {
    for (const auto& s : poe.switches)
        if (s.name == name) return &s;
    return nullptr;
}

device::Record Snapshot::effective(const device::Mac& mac) const {
    if (auto it = devices.find(mac); it != devices.end()) return it->second;
    device::Record r = unknown_device;
    r.mac = mac.colon();
    return r;
}

const device::Record* Snapshot::find(const device::Mac& mac) const {
    auto it = devices.find(mac);
    return it == devices.end() ? nullptr : &it->second;
}

std::optional<device::Mac> Snapshot::find_by_serial(const device::PiSerial& serial) const {
    std::optional<device::Mac> observed_match;
    for (const auto& [mac, r] : devices) {
        if (auto s = device::PiSerial::parse(r.serial); s && *s == serial) return mac;
        if (auto s = device::PiSerial::parse(r.observed.serial); s && *s == serial) observed_match = mac;
    }
    return observed_match;
}

std::optional<device::Mac> Snapshot::find_by_id(const std::string& id) const {
    for (const auto& [mac, r] : devices)
        if (r.id() == id) return mac;
    if (auto m = device::Mac::parse(id); m && devices.count(*m)) return m;
    return std::nullopt;
}

namespace {

struct Layer {
    YAML::Node node;
    DecodeContext ctx;
};

struct DeviceLayers {
    std::vector<Layer> layers;  // in merge order, above the settings defaults
};

std::optional<YAML::Node> load_yaml_file(const Tree& tree, const std::filesystem::path& path,
                                         std::vector<std::string>& sources) {
    auto text = read_file_if_exists(path);
    if (!text) return std::nullopt;
    sources.push_back(tree.display(path));
    return parse_yaml(*text, tree.display(path));
}

void validate_pools(const Settings& s, const std::string& file) {
    for (size_t i = 0; i < s.dhcp.pools.size(); ++i) {
        const auto& p = s.dhcp.pools[i];
        const std::string key = file + ": dhcp.pools[" + std::to_string(i) + "]";
        if (p.subnet.empty()) throw config_error(key + ".subnet: required");
        if (p.range_start.empty() != p.range_end.empty())
            throw config_error(key + ": range_start and range_end go together");
    }
}

void validate_settings(const Settings& s, const std::string& file) {
    std::set<std::string> names;
    for (size_t i = 0; i < s.poe.switches.size(); ++i) {
        const auto& sw = s.poe.switches[i];
        const std::string key = file + ": poe.switches[" + std::to_string(i) + "]";
        if (sw.name.empty()) throw config_error(key + ".name: required");
        if (!names.insert(sw.name).second) throw config_error(key + ".name: duplicate switch name '" + sw.name + "'");
        if (sw.driver == "unifi" && sw.unifi.url.empty()) throw config_error(key + ".unifi.url: required by the unifi driver");
        if (sw.driver == "command" && (sw.command.on.empty() || sw.command.off.empty()))
            throw config_error(key + ".command: on and off are required by the command driver");
    }
    std::set<std::string> users;
    for (size_t i = 0; i < s.redfish.users.size(); ++i) {
        const auto& u = s.redfish.users[i];
        const std::string key = file + ": redfish.users[" + std::to_string(i) + "]";
        if (u.name.empty()) throw config_error(key + ".name: required");
        if (!users.insert(u.name).second) throw config_error(key + ".name: duplicate user '" + u.name + "'");
    }
    if (!s.defaults.mac.empty()) throw config_error(file + ": defaults.mac: a MAC cannot be a default");
    validate_pools(s, file);
}

void apply_state(const Tree& tree, const device::Mac& mac, device::Record& record, Provenance& provenance,
                 std::vector<std::string>& warnings) {
    for (const auto& [tool, keys] : state_ownership()) {
        const auto path = tree.state_dir(tool) / "devices" / (mac.dashed() + ".json");
        std::optional<std::string> text;
        try {
            text = read_file_if_exists(path);
        } catch (const Error& e) {
            warnings.push_back(e.what());
            continue;
        }
        if (!text || text->empty()) continue;
        const std::string display = tree.display(path);
        try {
            const nlohmann::json doc = nlohmann::json::parse(*text);
            if (!doc.is_object()) throw config_error(display + ": expected a JSON object");
            nlohmann::json owned = nlohmann::json::object();
            for (const auto& key : keys)
                if (doc.contains(key)) owned[key] = doc[key];
            DecodeContext ctx{display, &provenance};
            apply_yaml(json_to_yaml(owned), record, ctx);
        } catch (const nlohmann::json::exception& e) {
            warnings.push_back(display + ": ignored: invalid JSON (" + e.what() + ")");
        } catch (const Error& e) {
            warnings.push_back(std::string("ignored state: ") + e.what());
        }
    }
}

}  // namespace

std::shared_ptr<const Snapshot> load_tree(const Tree& tree, const LoadOptions& options) {
    auto snap = std::make_shared<Snapshot>(tree);
    const std::string settings_name = tree.display(tree.settings_file());

    // 1. metal-boot.yaml
    YAML::Node settings_node;
    if (auto node = load_yaml_file(tree, tree.settings_file(), snap->sources)) {
        settings_node = *node;
        DecodeContext ctx{settings_name, nullptr};
        apply_yaml(settings_node, snap->settings, ctx);
    }
    validate_settings(snap->settings, settings_name);
    const YAML::Node defaults_node = settings_node.IsMap() ? settings_node["defaults"] : YAML::Node();

    // 2. Device layers by MAC: remote backend, legacy files, devices/<mac>.yaml.
    std::map<device::Mac, DeviceLayers> layers;
    if (options.include_backend && snap->settings.backend.type != "none") {
        try {
            for (auto& [mac, layer] : fetch_remote_records(snap->settings.backend))
                layers[mac].layers.push_back({layer.node, DecodeContext{layer.source, nullptr}});
        } catch (const Error& e) {
            snap->warnings.push_back(std::string("remote backend unavailable, using local records only: ") + e.what());
        }
    }
    for (const auto* legacy_path : {&snap->settings.legacy.netboot_yaml, &snap->settings.legacy.backend_yaml}) {
        if (legacy_path->empty()) continue;
        const auto path = tree.resolve(*legacy_path);
        auto node = load_yaml_file(tree, path, snap->sources);
        if (!node) throw config_error(settings_name + ": legacy: " + tree.display(path) + " does not exist");
        auto result = convert_legacy(*node, tree.display(path), detect_legacy_format(*node));
        for (auto& w : result.warnings) snap->warnings.push_back(w);
        for (auto& e : result.entries)
            layers[e.mac].layers.push_back({e.record, DecodeContext{tree.display(path), nullptr}});
    }
    std::map<device::Mac, std::string> device_files;
    std::error_code ec;
    if (std::filesystem::is_directory(tree.devices_dir(), ec)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(tree.devices_dir(), ec)) {
            const auto name = entry.path().filename().string();
            if (name.starts_with(".")) continue;  // temp and lock files
            const auto ext = entry.path().extension();
            if (ext != ".yaml" && ext != ".yml") continue;
            files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& path : files) {
            const std::string display = tree.display(path);
            auto mac = device::Mac::parse(path.stem().string());
            if (!mac)
                throw config_error(display + ": file name is not a MAC address (expected e.g. dc-a6-32-01-02-03.yaml)");
            if (auto it = device_files.find(*mac); it != device_files.end())
                throw config_error(display + ": duplicate device: " + it->second + " already describes " + mac->colon());
            device_files[*mac] = display;
            auto node = load_yaml_file(tree, path, snap->sources);
            YAML::Node doc = node ? *node : YAML::Node();
            if (doc.IsDefined() && !doc.IsNull() && !doc.IsMap())
                throw config_error(display + ":1: expected a mapping of keys");
            if (doc.IsMap() && doc["mac"] && doc["mac"].IsScalar()) {
                auto inner = device::Mac::parse(doc["mac"].Scalar());
                if (inner && *inner != *mac)
                    throw config_error(display + ":" + std::to_string(doc["mac"].Mark().line + 1) +
                                       ": mac: " + inner->colon() + " does not match the file name (" + mac->colon() + ")");
            }
            layers[*mac].layers.push_back({doc, DecodeContext{display, nullptr}});
        }
    }

    // 3. Effective records.
    DecodeContext defaults_ctx{settings_name, nullptr};
    {
        Provenance p;
        defaults_ctx.provenance = &p;
        apply_yaml(defaults_node, snap->unknown_device, defaults_ctx);
    }
    std::map<std::string, device::Mac> ids;
    std::map<std::string, device::Mac> static_ips;
    for (auto& [mac, dl] : layers) {
        device::Record record;
        Provenance& provenance = snap->provenance[mac];
        DecodeContext dctx{settings_name, &provenance};
        apply_yaml(defaults_node, record, dctx);
        for (auto& layer : dl.layers) {
            layer.ctx.provenance = &provenance;
            apply_yaml(layer.node, record, layer.ctx);
        }
        if (options.include_state) apply_state(tree, mac, record, provenance, snap->warnings);
        record.mac = mac.colon();
        const std::string where = device_files.count(mac) ? device_files[mac] : mac.colon();
        const std::string id = record.id();
        if (auto it = ids.find(id); it != ids.end())
            throw config_error(where + ": name: '" + id + "' is also the id of " + it->second.colon());
        ids.emplace(id, mac);
        if (!record.dhcp.ip.empty()) {
            if (auto it = static_ips.find(record.dhcp.ip); it != static_ips.end())
                throw config_error(where + ": dhcp.ip: " + record.dhcp.ip + " is also reserved for " + it->second.colon());
            static_ips.emplace(record.dhcp.ip, mac);
        }
        if (!record.power.switch_name.empty()) {
            const auto* sw = snap->settings.find_switch(record.power.switch_name);
            if (!sw) {
                snap->warnings.push_back(where + ": power.switch: no switch named '" + record.power.switch_name +
                                         "' in poe.switches; power actions will fail");
            } else if (record.power.port > sw->ports) {
                const auto src = provenance.count("power.port") ? provenance["power.port"] : where;
                throw config_error(src + ": power.port: expected an integer 1-" + std::to_string(sw->ports) + ", got '" +
                                   std::to_string(record.power.port) + "'");
            }
        }
        snap->devices.emplace(mac, std::move(record));
    }
    return snap;
}

}  // namespace mb::config
