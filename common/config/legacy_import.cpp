#include "config/legacy_import.hpp"

#include <map>

#include "config/visitors.hpp"
#include "core/error.hpp"
#include "device/record.hpp"

namespace mb::config {

const char* legacy_format_name(LegacyFormat format) {
    switch (format) {
    case LegacyFormat::netboot: return "netboot";
    case LegacyFormat::backend: return "backend";
    case LegacyFormat::smee: return "smee";
    }
    return "?";
}

LegacyFormat parse_legacy_format(const std::string& name) {
    if (name == "netboot") return LegacyFormat::netboot;
    if (name == "backend") return LegacyFormat::backend;
    if (name == "smee") return LegacyFormat::smee;
    throw usage_error("--format: expected auto, netboot, backend or smee, got '" + name + "'");
}

LegacyFormat detect_legacy_format(const YAML::Node& document) {
    if (document.IsMap()) {
        for (const auto& kv : document) {
            const YAML::Node& entry = kv.second;
            if (!entry.IsMap()) continue;
            if (entry["Netboot"] || entry["IPAddress"] || entry["MACAddress"] || entry["Power"]) return LegacyFormat::backend;
            if (entry["netboot"] || entry["ipAddress"] || entry["hostname"]) return LegacyFormat::smee;
            return LegacyFormat::netboot;
        }
    }
    return LegacyFormat::netboot;
}

namespace {

// Copies src[from] to dst[path...] when present and not null/empty-string-null.
void copy(const YAML::Node& src, const char* from, YAML::Node dst, std::initializer_list<const char*> path) {
    const YAML::Node value = src[from];
    if (!value.IsDefined() || value.IsNull()) return;
    if (value.IsScalar() && (value.Scalar() == "<nil>")) return;
    YAML::Node cur = dst;
    const char* last = nullptr;
    for (const char* p : path) {
        if (last) {
            if (!cur[last].IsDefined()) cur[last] = YAML::Node(YAML::NodeType::Map);
            cur.reset(cur[last]);
        }
        last = p;
    }
    cur[last] = value;
}

void warn_unknown(const YAML::Node& entry, std::initializer_list<const char*> known, const std::string& where,
                  std::vector<std::string>& warnings) {
    if (!entry.IsMap()) return;
    for (const auto& kv : entry) {
        bool found = false;
        for (const char* k : known) found = found || kv.first.Scalar() == k;
        if (!found) warnings.push_back(where + ": key '" + kv.first.Scalar() + "' has no equivalent; ignored");
    }
}

YAML::Node convert_netboot(const YAML::Node& e, const std::string& where, std::vector<std::string>& warnings) {
    YAML::Node r(YAML::NodeType::Map);
    copy(e, "allow_pxe", r, {"netboot", "allow_pxe"});
    copy(e, "console", r, {"netboot", "console"});
    copy(e, "facility", r, {"netboot", "facility"});
    copy(e, "ipxe_script", r, {"netboot", "ipxe_script"});
    copy(e, "ipxe_script_url", r, {"netboot", "ipxe_script_url"});
    copy(e, "arch", r, {"netboot", "arch"});
    if (e["osie"] && e["osie"].IsMap()) {
        copy(e["osie"], "kernel", r, {"netboot", "osie", "kernel"});
        copy(e["osie"], "initrd", r, {"netboot", "osie", "initrd"});
        copy(e["osie"], "base_url", r, {"netboot", "osie", "base_url"});
        copy(e["osie"], "baseURL", r, {"netboot", "osie", "base_url"});
    }
    warn_unknown(e, {"allow_pxe", "console", "facility", "ipxe_script", "ipxe_script_url", "arch", "osie"}, where,
                 warnings);
    return r;
}

YAML::Node normalise_arch(const YAML::Node& arch) {
    if (!arch.IsScalar()) return arch;
    const std::string a = to_lower(arch.Scalar());
    if (a == "aarch64") return YAML::Node("arm64");
    if (a == "amd64" || a == "x86-64") return YAML::Node("x86_64");
    if (a.empty()) return YAML::Node("auto");
    return arch;
}

YAML::Node convert_backend(const YAML::Node& e, const std::string& where, std::vector<std::string>& warnings) {
    YAML::Node r(YAML::NodeType::Map);
    copy(e, "Hostname", r, {"hostname"});
    copy(e, "IPAddress", r, {"dhcp", "ip"});
    copy(e, "DefaultGateway", r, {"dhcp", "gateway"});
    copy(e, "NameServers", r, {"dhcp", "dns"});
    if (e["LeaseTime"] && e["LeaseTime"].IsScalar() && e["LeaseTime"].Scalar() != "0")
        copy(e, "LeaseTime", r, {"dhcp", "lease_time"});
    if (e["Arch"]) r["netboot"]["arch"] = normalise_arch(e["Arch"]);
    if (const YAML::Node n = e["Netboot"]; n && n.IsMap()) {
        copy(n, "AllowPXE", r, {"netboot", "allow_pxe"});
        copy(n, "Console", r, {"netboot", "console"});
        copy(n, "Facility", r, {"netboot", "facility"});
        copy(n, "IPXEScript", r, {"netboot", "ipxe_script"});
        copy(n, "IPXEScriptURL", r, {"netboot", "ipxe_script_url"});
    }
    if (const YAML::Node p = e["Power"]; p && p.IsMap()) {
        copy(p, "device_id", r, {"power", "switch"});
        copy(p, "port", r, {"power", "port"});
    }
    if (e["Disabled"] && e["Disabled"].IsScalar() && to_lower(e["Disabled"].Scalar()) == "true") {
        r["netboot"]["allow_pxe"] = "false";
        warnings.push_back(where + ": Disabled: true imported as netboot.allow_pxe: false");
    }
    warn_unknown(e,
                 {"Hostname", "IPAddress", "DefaultGateway", "NameServers", "LeaseTime", "Arch", "Netboot", "Power",
                  "Disabled", "MACAddress", "BroadcastAddress", "SubnetMask", "DomainName", "DomainSearch",
                  "NTPServers", "VLANID"},
                 where, warnings);
    return r;
}

YAML::Node convert_smee(const YAML::Node& e, const std::string& where, std::vector<std::string>& warnings) {
    YAML::Node r(YAML::NodeType::Map);
    copy(e, "hostname", r, {"hostname"});
    copy(e, "ipAddress", r, {"dhcp", "ip"});
    copy(e, "defaultGateway", r, {"dhcp", "gateway"});
    copy(e, "nameServers", r, {"dhcp", "dns"});
    copy(e, "leaseTime", r, {"dhcp", "lease_time"});
    if (e["arch"]) r["netboot"]["arch"] = normalise_arch(e["arch"]);
    if (const YAML::Node n = e["netboot"]; n && n.IsMap()) {
        copy(n, "allowPxe", r, {"netboot", "allow_pxe"});
        copy(n, "ipxeScriptUrl", r, {"netboot", "ipxe_script_url"});
        copy(n, "ipxeScript", r, {"netboot", "ipxe_script"});
        copy(n, "console", r, {"netboot", "console"});
        copy(n, "facility", r, {"netboot", "facility"});
    }
    warn_unknown(e,
                 {"hostname", "ipAddress", "defaultGateway", "nameServers", "leaseTime", "arch", "netboot",
                  "subnetMask", "domainName", "broadcastAddress", "ntpServers", "domainSearch", "vlanID", "power"},
                 where, warnings);
    return r;
}

}  // namespace

LegacyResult convert_legacy(const YAML::Node& document, const std::string& display_name, LegacyFormat format) {
    LegacyResult result;
    result.format = format;
    if (!document.IsDefined() || document.IsNull()) return result;
    if (!document.IsMap())
        throw config_error(display_name + ": expected a mapping of MAC addresses to device entries");
    std::map<device::Mac, int> seen;
    for (const auto& kv : document) {
        const int line = kv.first.Mark().line + 1;
        const std::string key = kv.first.Scalar();
        const std::string where = display_name + ":" + std::to_string(line);
        auto mac = device::Mac::parse(key);
        if (!mac) throw config_error(where + ": " + mb::quoted(key) + " is not a MAC address");
        if (auto it = seen.find(*mac); it != seen.end())
            throw config_error(where + ": " + mac->colon() + " is already defined on line " + std::to_string(it->second));
        seen[*mac] = line;
        if (!kv.second.IsMap()) throw config_error(where + ": " + key + ": expected a mapping of keys");
        YAML::Node record;
        switch (format) {
        case LegacyFormat::netboot: record = convert_netboot(kv.second, where, result.warnings); break;
        case LegacyFormat::backend: record = convert_backend(kv.second, where, result.warnings); break;
        case LegacyFormat::smee: record = convert_smee(kv.second, where, result.warnings); break;
        }
        // Validate now, so an invalid entry is reported against its own line.
        device::Record check;
        DecodeContext ctx{display_name, nullptr};
        apply_yaml(record, check, ctx, mac->colon());
        result.entries.push_back({*mac, record, line});
    }
    return result;
}

}  // namespace mb::config
