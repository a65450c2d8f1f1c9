#pragma once
// What the Redfish tree is built from: devices, their power, UEFI variables, inspection inventory
// and Redfish's own state. TreeBackend reads and writes the config tree; tests use a fake.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "device/mac.hpp"
#include "device/pi_serial.hpp"
#include "efi/variable.hpp"

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
    // Changes whenever devices() would return a different list; 0 = unknown (callers re-read the
    // list every time).
    virtual uint64_t devices_generation() { return 0; }
    // The last known power state; must return at once (never waits for a switch).
    virtual PowerInfo power(const DeviceInfo& d) = 0;
    // Queues a power action; returns at once (false, queuing nothing, when the device already has
    // kMaxQueuedActions waiting). Actions for one device run in order.
    virtual bool reset(const DeviceInfo& d, ResetType type, Progress progress) = 0;
    static constexpr size_t kMaxQueuedActions = 8;
    // Actions queued for the device and not yet started (reset() refuses at kMaxQueuedActions).
    virtual size_t queued_actions(const DeviceInfo&) { return 0; }
    // The device's variables from firmware/<mac>.json (empty when absent; throws mb::Error 65 when
    // malformed) and their atomic replacement (virt-fw-vars JSON).
    virtual efi::Variables load_firmware(const device::Mac& mac) = 0;
    virtual void store_firmware(const device::Mac& mac, const efi::Variables& vars) = 0;
    // The live variables of the base image firmware/RPI_EFI.fd (empty when there is none), which
    // the device's are merged over when its image is rendered.
    virtual efi::Variables base_variables() = 0;
    // Read-modify-write of the device's variables (under the file's lock where other tools write
    // it too); stores them when `edit` returns true.
    virtual void edit_firmware(const device::Mac& mac, const std::function<bool(efi::Variables&)>& edit) {
        auto vars = load_firmware(mac);
        if (edit(vars)) store_firmware(mac, vars);
    }
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
    // A number that changes whenever anything a device's resources are rendered from changes (its
    // firmware JSON, Redfish state, inventory, the base image, the device records) and is never
    // reused for other contents — not its power state, which callers add themselves. 0 = unknown:
    // do not cache.
    virtual uint64_t stamp(const device::Mac&) { return 0; }
};

}  // namespace mb::redfish
