#pragma once
// The original Go project's device files, read as device-record layers or imported into
// devices/<mac>.yaml: the MAC-keyed netboot.yaml (allow_pxe, console, facility, ipxe_script,
// ipxe_script_url, osie), backend.yaml (Arch, Hostname, IPAddress, Netboot{...}, Power{...}) and
// Tinkerbell smee's file backend (camelCase: ipAddress, netboot{allowPxe, ipxeScriptUrl} ...).
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "device/mac.hpp"

namespace mb::config {

enum class LegacyFormat { netboot, backend, smee };

struct LegacyEntry {
    device::Mac mac;
    YAML::Node record;  // in our device-record schema; scalars keep their source line marks
    int line = 0;       // line of the MAC key
};

struct LegacyResult {
    LegacyFormat format = LegacyFormat::netboot;
    std::vector<LegacyEntry> entries;
    std::vector<std::string> warnings;  // keys with no equivalent, ignored
};

const char* legacy_format_name(LegacyFormat format);
// Throws mb::Error(kExitUsage) for an unknown name ("netboot", "backend", "smee").
LegacyFormat parse_legacy_format(const std::string& name);
// Guesses the format from the first entry's keys.
LegacyFormat detect_legacy_format(const YAML::Node& document);

// Converts every entry and validates it against the device-record schema. Throws
// mb::Error(kExitConfig) "<file>:<line>: <mac>: <key>: <reason>" on the first invalid entry, an
// invalid MAC key or a MAC given twice.
LegacyResult convert_legacy(const YAML::Node& document, const std::string& display_name, LegacyFormat format);

}  // namespace mb::config
