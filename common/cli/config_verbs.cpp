// The `config` verbs every tool shares: check, show, devices, keys, import, init.
#include <iostream>
#include <set>

#include "cli/tool.hpp"
#include "config/atomic_file.hpp"
#include "config/legacy_import.hpp"
#include "config/settings.hpp"
#include "config/visitors.hpp"
#include "config/yaml_io.hpp"
#include "core/error.hpp"
#include "log/log.hpp"

namespace mb::cli {
namespace {

nlohmann::ordered_json record_json(const device::Record& r) { return config::to_json(r); }

void print_warnings(const config::Snapshot& s) {
    for (const auto& w : s.warnings) std::cerr << "warning: " << w << "\n";
}

void config_check(const GlobalOptions& g, bool strict) {
    auto snap = g.load();
    print_warnings(*snap);
    const bool failed = strict && !snap->warnings.empty();
    if (g.json) {
        nlohmann::ordered_json j;
        j["ok"] = !failed;
        j["root"] = snap->tree.root().string();
        j["devices"] = snap->devices.size();
        j["sources"] = snap->sources;
        j["warnings"] = snap->warnings;
        print_json(j);
    } else {
        std::cerr << (failed ? "failed" : "ok") << ": " << snap->tree.root().string() << ": " << snap->sources.size()
                  << " files, " << snap->devices.size() << " devices, " << snap->warnings.size() << " warnings\n";
    }
    if (failed) set_exit_code(kExitConfig);
}

void config_show(const GlobalOptions& g, const std::string& mac_text, bool sources) {
    auto snap = g.load();
    print_warnings(*snap);
    nlohmann::ordered_json out;
    if (mac_text.empty()) {
        out = config::to_json(snap->settings);
    } else {
        device::Mac mac;
        if (auto m = device::Mac::parse(mac_text)) mac = *m;
        else if (auto by_id = snap->find_by_id(mac_text)) mac = *by_id;
        else throw Error(kExitNoInput, "no device " + mb::quoted(mac_text) + " (expected a MAC address or a device id)");
        out = record_json(snap->effective(mac));
        out["known"] = snap->find(mac) != nullptr;
        out["id"] = snap->effective(mac).id();
        if (sources) {
            nlohmann::ordered_json src = nlohmann::ordered_json::object();
            if (auto it = snap->provenance.find(mac); it != snap->provenance.end())
                for (const auto& [k, v] : it->second) src[k] = v;
            out["sources"] = src;
        }
    }
    if (g.json) print_json(out);
    else std::cout << config::emit_yaml(out);
}

void config_devices(const GlobalOptions& g) {
    auto snap = g.load();
    print_warnings(*snap);
    auto arr = nlohmann::ordered_json::array();
    for (const auto& [mac, r] : snap->devices) {
        nlohmann::ordered_json d;
        d["mac"] = mac.colon();
        d["id"] = r.id();
        d["hostname"] = r.hostname;
        d["serial"] = r.serial.empty() ? r.observed.serial : r.serial;
        d["allow_pxe"] = r.netboot.allow_pxe;
        d["ip"] = r.dhcp.ip;
        d["power"] = r.power.switch_name.empty() ? "" : r.power.switch_name + ":" + std::to_string(r.power.port);
        arr.push_back(d);
    }
    if (g.json) {
        print_json(arr);
        return;
    }
    std::printf("%-18s %-20s %-9s %-6s %-15s %s\n", "MAC", "ID", "SERIAL", "PXE", "IP", "POWER");
    for (const auto& d : arr)
        std::printf("%-18s %-20s %-9s %-6s %-15s %s\n", d["mac"].get<std::string>().c_str(),
                    d["id"].get<std::string>().c_str(), d["serial"].get<std::string>().c_str(),
                    d["allow_pxe"].get<bool>() ? "yes" : "no", d["ip"].get<std::string>().c_str(),
                    d["power"].get<std::string>().c_str());
}

std::vector<config::KeyDoc> all_keys() {
    auto keys = config::list_keys<config::Settings>();
    for (auto& k : config::list_keys<device::Record>("devices/<mac>.yaml")) keys.push_back(std::move(k));
    return keys;
}

void config_keys(const GlobalOptions& g) {
    const auto keys = all_keys();
    if (g.json) {
        auto arr = nlohmann::ordered_json::array();
        for (const auto& k : keys)
            arr.push_back({{"key", k.path}, {"type", k.type}, {"check", k.check}, {"default", k.default_value},
                           {"doc", k.doc}});
        print_json(arr);
        return;
    }
    for (const auto& k : keys) {
        std::cout << k.path << " (" << k.type;
        if (!k.check.empty()) std::cout << ", " << k.check;
        if (!k.default_value.is_null() && k.type != "section") std::cout << ", default " << k.default_value.dump();
        std::cout << ")\n    " << k.doc << "\n";
    }
}

// Removes keys whose value equals the built-in default, so imported files stay short.
nlohmann::ordered_json minimal(const nlohmann::ordered_json& value, const nlohmann::ordered_json& defaults) {
    if (!value.is_object() || !defaults.is_object()) return value;
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (defaults.contains(it.key()) && defaults[it.key()] == it.value()) continue;
        auto child = defaults.contains(it.key()) ? minimal(it.value(), defaults[it.key()]) : it.value();
        if (child.is_object() && child.empty()) continue;
        out[it.key()] = child;
    }
    return out;
}

void config_import(const GlobalOptions& g, const std::string& file, const std::string& format_name, bool force,
                   bool dry_run) {
    const auto tree = g.tree();
    const std::string text = config::read_file(file);
    const YAML::Node doc = config::parse_yaml(text, file);
    const auto format =
        format_name == "auto" ? config::detect_legacy_format(doc) : config::parse_legacy_format(format_name);
    const auto result = config::convert_legacy(doc, file, format);
    for (const auto& w : result.warnings) std::cerr << "warning: " << w << "\n";
    // Check every target first so that nothing is written when anything would fail.
    std::vector<std::pair<std::filesystem::path, std::string>> writes;
    const auto defaults = config::to_json(device::Record{});
    for (const auto& e : result.entries) {
        device::Record r;
        config::DecodeContext ctx{file, nullptr};
        config::apply_yaml(e.record, r, ctx, e.mac.colon());
        r.mac = e.mac.colon();
        auto j = minimal(config::to_json(r), defaults);
        nlohmann::ordered_json ordered;
        ordered["mac"] = e.mac.colon();
        for (auto it = j.begin(); it != j.end(); ++it)
            if (it.key() != "mac") ordered[it.key()] = it.value();
        const auto path = tree.device_file(e.mac);
        if (!force && std::filesystem::exists(path))
            throw Error(kExitCantCreate, tree.display(path) + " already exists (use --force to replace it)");
        writes.emplace_back(path, "# imported from " + file + " (" + config::legacy_format_name(format) + " format)\n" +
                                      config::emit_yaml(ordered));
    }
    auto out = nlohmann::ordered_json::array();
    for (const auto& [path, content] : writes) {
        if (!dry_run) config::write_file_atomic(path, content);
        out.push_back(tree.display(path));
    }
    if (g.json) {
        print_json(nlohmann::ordered_json{{"format", config::legacy_format_name(format)},
                                          {"written", dry_run ? nlohmann::ordered_json::array() : out},
                                          {"would_write", dry_run ? out : nlohmann::ordered_json::array()},
                                          {"warnings", result.warnings}});
    } else {
        std::cerr << (dry_run ? "would write " : "wrote ") << writes.size() << " device records ("
                  << config::legacy_format_name(format) << " format)\n";
    }
}

const char* kStarterSettings = R"(# metal-boot.yaml: settings of this Metal Boot server. Every key: man 5 mb-config.
server:
  address: ""          # this server's address as clients see it; empty = the receiving interface's
  interfaces: []
dhcp:
  mode: proxy          # proxy: next to an existing DHCP server; full: hand out addresses too
tftp:
  root: tftp
http:
  port: 8080
  root: http
defaults:
  netboot:
    allow_pxe: true
)";

void config_init(const GlobalOptions& g, bool force) {
    const auto tree = g.tree();
    if (!force && std::filesystem::exists(tree.settings_file()))
        throw Error(kExitCantCreate, tree.settings_file().string() + " already exists (use --force to replace it)");
    for (const auto& dir : {tree.devices_dir(), tree.firmware_dir(), tree.templates_dir(), tree.state_root(),
                            tree.cache_dir(), tree.root() / "tftp", tree.root() / "http"})
        std::filesystem::create_directories(dir);
    config::write_file_atomic(tree.settings_file(), kStarterSettings);
    std::cerr << "initialised " << tree.root().string() << "\n";
}

}  // namespace

void add_config_verbs(CLI::App& app, GlobalOptions& global) {
    auto* config = app.add_subcommand("config", "Check, show and import the config tree");
    config->require_subcommand(1);

    auto* check = config->add_subcommand("check", "Validate the whole tree; exit 78 naming file, line and key");
    auto strict = std::make_shared<bool>(false);
    check->add_flag("--strict", *strict, "Also fail (exit 78) on warnings");
    check->callback([&global, strict] { config_check(global, *strict); });

    auto* show = config->add_subcommand("show", "Print the settings, or a device's effective record");
    auto mac = std::make_shared<std::string>();
    auto sources = std::make_shared<bool>(false);
    show->add_option("device", *mac, "MAC address or id of a device (omit for the server settings)");
    show->add_flag("--sources", *sources, "Also show which file and line set each value");
    show->callback([&global, mac, sources] { config_show(global, *mac, *sources); });

    auto* devices = config->add_subcommand("devices", "List the known devices");
    devices->callback([&global] { config_devices(global); });

    auto* keys = config->add_subcommand("keys", "List every configuration key with its type and meaning");
    keys->callback([&global] { config_keys(global); });

    auto* import = config->add_subcommand(
        "import", "Import the original project's netboot.yaml / backend.yaml (or a smee file) into devices/");
    auto file = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("auto");
    auto force = std::make_shared<bool>(false);
    auto dry_run = std::make_shared<bool>(false);
    import->add_option("file", *file, "File to import")->required();
    import->add_option("--format", *format, "auto, netboot, backend or smee")
        ->check(CLI::IsMember({"auto", "netboot", "backend", "smee"}));
    import->add_flag("--force", *force, "Replace existing device files");
    import->add_flag("--dry-run", *dry_run, "Validate and list what would be written");
    import->callback([&global, file, format, force, dry_run] { config_import(global, *file, *format, *force, *dry_run); });

    auto* init = config->add_subcommand("init", "Create a starter tree (metal-boot.yaml and directories)");
    auto init_force = std::make_shared<bool>(false);
    init->add_flag("--force", *init_force, "Replace an existing metal-boot.yaml");
    init->callback([&global, init_force] { config_init(global, *init_force); });
}

}  // namespace mb::cli
