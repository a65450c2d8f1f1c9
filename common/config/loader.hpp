#pragma once
// Loads the whole config tree into an immutable Snapshot: metal-boot.yaml, every device record,
// and the effective record of each device, merged in one place for every tool:
//
//   built-in defaults ← metal-boot.yaml `defaults:` ← remote backend ← legacy files
//     (legacy.netboot_yaml / legacy.backend_yaml) ← devices/<mac>.yaml ← tool-owned state
//     (state/dhcp/devices/<mac>.json → observed, state/poe/devices/<mac>.json → power)
//
// Any invalid operator file makes load() throw mb::Error(kExitConfig) with
// "<file>:<line>: <key>: <reason>"; a daemon then keeps its last good Snapshot.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "config/tree.hpp"
#include "device/mac.hpp"
#include "device/pi_serial.hpp"
#include "device/record.hpp"

namespace mb::config {

// key path → "file:line" of the layer that set it last ("built-in" when no layer did).
using Provenance = std::map<std::string, std::string>;

struct Snapshot {
    Tree tree;
    Settings settings;
    std::map<device::Mac, device::Record> devices;    // effective records of all known devices
    std::map<device::Mac, Provenance> provenance;     // per device, where each value came from
    device::Record unknown_device;                    // effective record for a MAC with no record
    std::vector<std::string> warnings;                // non-fatal findings (ignored state files...)
    std::vector<std::string> sources;                 // files read, relative to the root

    explicit Snapshot(Tree t) : tree(std::move(t)) {}

    // The effective record of any MAC (known or not).
    device::Record effective(const device::Mac& mac) const;
    const device::Record* find(const device::Mac& mac) const;
    // By Pi serial (operator-set `serial` or the one mb-dhcp observed).
    std::optional<device::Mac> find_by_serial(const device::PiSerial& serial) const;
    // By id (name, hostname or dashed MAC), as used in Redfish URLs.
    std::optional<device::Mac> find_by_id(const std::string& id) const;
};

struct LoadOptions {
    bool include_state = true;    // merge tool-owned state (off: operator files only)
    bool include_backend = true;  // query the remote backend if configured
};

// Throws mb::Error(kExitConfig) on any invalid operator file.
std::shared_ptr<const Snapshot> load_tree(const Tree& tree, const LoadOptions& options = {});

// Which top-level record keys each tool's state/<tool>/devices/<mac>.json may set.
const std::map<std::string, std::vector<std::string>>& state_ownership();

}  // namespace mb::config
