#pragma once
// Backend over the config tree: the effective device records of a config Snapshot, power through
// mb-poe's drivers (one worker thread per device while actions are queued, one status reader per
// switch while reads are queued: requests never wait for a switch), firmware/<mac>.json, state/redfish/
// (devices/<mac>.json, service.json), state/http/inventory/<mac>.json (written by mb-http), and the base image
// firmware/RPI_EFI.fd.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "poe/fleet.hpp"
#include "redfish/backend.hpp"

namespace mb::redfish {

// The version string inside an RPi UEFI image ("v1.40" from UTF-16 "UEFI Firmware v1.40").
std::string uefi_image_version(const std::string& image_bytes);

class TreeBackend : public Backend {
public:
    explicit TreeBackend(std::shared_ptr<const config::Snapshot> snapshot);
    ~TreeBackend() override;

    std::vector<DeviceInfo> devices() override;
    uint64_t devices_generation() override;
    PowerInfo power(const DeviceInfo& d) override;
    bool reset(const DeviceInfo& d, ResetType type, Progress progress) override;
    size_t queued_actions(const DeviceInfo& d) override;
    efi::Variables load_firmware(const device::Mac& mac) override;
    void store_firmware(const device::Mac& mac, const efi::Variables& vars) override;
    efi::Variables base_variables() override;
    void edit_firmware(const device::Mac& mac, const std::function<bool(efi::Variables&)>& edit) override;
    nlohmann::json load_state(const device::Mac& mac) override;
    void store_state(const device::Mac& mac, const nlohmann::json& doc) override;
    nlohmann::json load_service_state() override;
    void store_service_state(const nlohmann::json& doc) override;
    nlohmann::json inventory(const device::Mac& mac) override;
    void update_base_firmware(const std::string& uri, Progress progress) override;
    std::string base_firmware_version() override;
    uint64_t stamp(const device::Mac& mac) override;

    // A reading of a port is re-read in the background once older than kPowerMaxAge
    // (kPowerErrorRetry when the last read failed); older than kPowerStale it no longer counts.
    static constexpr auto kPowerMaxAge = std::chrono::milliseconds(1000);
    static constexpr auto kPowerErrorRetry = std::chrono::milliseconds(5000);
    static constexpr auto kPowerStale = std::chrono::milliseconds(30000);
    // How long a device's file stamps are reused before the files are stat()ed again.
    static constexpr auto kStampMaxAge = std::chrono::milliseconds(100);
    // Bumped whenever a cached power state or an action phase changes (tests).
    uint64_t power_generation();

    // A new snapshot after a reload (SIGHUP / tree change); drivers are re-created lazily.
    void set_snapshot(std::shared_ptr<const config::Snapshot> snapshot);
    // Waits until every queued power action and update finished (tests, shutdown).
    void drain();

    struct Shared;

private:
    void wrote();                              // our own write of a device file: stamps are stale at once
    std::filesystem::path base_store() const;  // the base image whose variables devices' merge over
    config::Tree tree_;
    std::shared_ptr<Shared> shared_;
};

}  // namespace mb::redfish
