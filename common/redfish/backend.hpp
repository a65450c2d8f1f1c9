#pragma once
// What the Redfish tree is built from: devices, their power, UEFI variables, inspection inventory
// and Redfish's own state. TreeBackend reads and writes the config tree; tests use a fake.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "device/mac.hpp"
#include "device/pi_serial.hpp"

namespace mb::redfish {

struct DeviceInfo {
    std::string id;  // System/Chassis Id: the record's name when URL-safe, else the dashed MAC
    device::Mac mac;
    std::string name;
    std::string serial;  // Pi serial as hex text, when known
    std::optional<device::BoardRevision> revision;
    bool has_power = false;  // a switch port (or command) is configured for it
};

// Redfish PowerState plus health; state empty = unknown (the switch did not answer).
struct PowerInfo {
    std::string state;  // On, Off, PoweringOn, PoweringOff, or "" when unknown
    std::string health = "OK";
    std::string detail;
};

enum class ResetType { on, force_off, force_restart, power_cycle };
const char* reset_name(ResetType t);

// Progress of a long operation: percent, finished?, ok?, message.
using Progress = std::function<void(int percent, bool finished, bool ok, const std::string& message)>;

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::vector<DeviceInfo> devices() = 0;
    virtual PowerInfo power(const DeviceInfo& d) = 0;
    // Queues a power action; returns at once (false, queuing nothing, when the device already has
    // kMaxQueuedActions waiting). Actions for one device run in order.
    virtual bool reset(const DeviceInfo& d, ResetType type, Progress progress) = 0;
    static constexpr size_t kMaxQueuedActions = 8;
    // virt-fw-vars JSON of firmware/<mac>.json (null when absent) and its atomic replacement.
    virtual nlohmann::json load_firmware(const device::Mac& mac) = 0;
    virtual void store_firmware(const device::Mac& mac, const nlohmann::json& doc) = 0;
    // Redfish's own per-device state (state/redfish/<mac>.json); null when absent.
    virtual nlohmann::json load_state(const device::Mac& mac) = 0;
    virtual void store_state(const device::Mac& mac, const nlohmann::json& doc) = 0;
    // Service-wide state (state/redfish/service.json).
    virtual nlohmann::json load_service_state() = 0;
    virtual void store_service_state(const nlohmann::json& doc) = 0;
    // IPA inspection inventory stored by mb-http (state/http/inventory/<mac>.json); null when none.
    virtual nlohmann::json inventory(const device::Mac& mac) = 0;
    // Replaces the base UEFI image from `uri` (http/https), asynchronously.
    virtual void update_base_firmware(const std::string& uri, Progress progress) = 0;
    // Version of the base UEFI image ("v1.40"), when recognisable.
    virtual std::string base_firmware_version() = 0;
};

}  // namespace mb::redfish
