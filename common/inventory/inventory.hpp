#pragma once
// IPA inspection bodies (ironic.md §2): validation, device matching candidates, the document
// stored per device under state/http/inventory/<mac>.json, and the summary `inventory list` prints.
// Pure: bytes in, JSON out.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/mac.hpp"

namespace mb::inventory {

struct Inspection {
    nlohmann::json body;                     // the whole posted document
    std::vector<device::Mac> candidates;     // boot_interface, inventory.boot.pxe_interface, then
                                             // every interface MAC, in that order, no duplicates
};

// Parses and validates like Ironic's DATA_VALIDATOR: a JSON object with an `inventory` object whose
// `interfaces` array has at least one element, each with a string `mac_address`. Extra fields are
// allowed. Throws mb::Error(kExitDataErr) naming the offending field or the JSON byte offset.
Inspection parse_inspection(std::string_view body);

// The stored document: mac, device_id, received_at, source address, inventory, root_disk,
// boot_interface, configuration, error, and has_logs. `logs` is stored separately.
nlohmann::ordered_json stored_document(const Inspection& inspection, const device::Mac& mac,
                                       const std::string& device_id, const std::string& received_at,
                                       const std::string& source, bool has_logs);

// The decoded `logs` field (base64 of a tar.gz), nullopt when absent, null or not valid base64.
std::optional<std::string> decoded_logs(const Inspection& inspection);

// One line of `inventory list`: mac, device_id, received_at, cpus, memory_mb, disks, total disk
// bytes, architecture, pxe interface.
nlohmann::ordered_json summary(const nlohmann::json& stored);

}  // namespace mb::inventory
