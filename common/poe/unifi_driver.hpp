#pragma once
// UniFi Network controller driver (libcurl): API key or login with CSRF-token rotation;
// on/off = read-modify-write of the switch's port_overrides (other ports' overrides preserved, a
// missing entry appended); cycle = devmgr power-cycle when the port delivers power, else off/on;
// 429 answers are retried after Retry-After. Port syntax: the port_idx ("5").
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "poe/driver.hpp"
#include "poe/settings.hpp"

namespace mb::poe {

// The port_overrides list to PUT so that port `port_idx` gets `poe_mode` (pure).
nlohmann::json merged_port_overrides(const nlohmann::json& device, int port_idx, const std::string& poe_mode);
// Power of port `port_idx` from a stat/device entry (pure; poe.md §2.5).
PortStatus unifi_port_status(const nlohmann::json& device, int port_idx);
// Devices behind switch `switch_mac` from stat/sta and the switch's port_table (pure).
std::vector<Learned> unifi_learned(const std::string& switch_name, const std::string& switch_mac,
                                   const nlohmann::json& clients, const nlohmann::json& device);

class UnifiDriver : public Driver {
public:
    explicit UnifiDriver(SwitchSettings s);
    ~UnifiDriver() override;
    void on(const PortRef& port) override;
    void off(const PortRef& port) override;
    PortStatus status(const PortRef& port) override;
    void cycle(const PortRef& port, const CycleOptions& options) override;
    std::vector<Learned> discover() override;
    std::string_view kind() const override { return "unifi"; }

    struct Client;

private:
    void set_mode(const PortRef& port, const std::string& mode);
    nlohmann::json device();
    SwitchSettings s_;
    std::unique_ptr<Client> client_;
    std::recursive_mutex mutex_;  // one controller conversation (and read-modify-write) at a time
};

}  // namespace mb::poe
