#pragma once
// What mb-poe needs from the config tree: the drivers' settings from metal-boot.yaml `poe:`, where
// each device is plugged in (the effective device record's `power: {switch, port}`, which includes
// what `mb-poe discover --write` learned into state/poe/devices/<mac>.json) and one driver per
// switch, created lazily so that an unreachable switch never stops a daemon from starting.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "device/mac.hpp"
#include "poe/driver.hpp"
#include "poe/settings.hpp"

namespace mb::poe {

std::unique_ptr<Driver> make_driver(const SwitchSettings& s);

class Fleet {
public:
    // Throws kExitConfig when a switch's settings are unusable.
    explicit Fleet(std::shared_ptr<const config::Snapshot> snapshot);

    const PoeSettings& settings() const { return settings_; }
    const config::Snapshot& snapshot() const { return *snapshot_; }

    // Where device `mac` is powered from, or nullopt when its record does not say.
    std::optional<PortRef> locate(const device::Mac& mac) const;
    // "<mac>", a device id (name/hostname) or "<switch>:<port>" → port; throws kExitUsage,
    // kExitNoInput (unknown device or no power section) or kExitConfig (unknown switch).
    PortRef resolve(const std::string& target) const;
    // The driver for a switch (created on first use, shared afterwards; thread-safe).
    std::shared_ptr<Driver> driver(const std::string& switch_name);
    CycleOptions cycle_options() const;

    // Stores a discovery result as power.{switch,port} in state/poe/devices/<mac>.json.
    void remember(const Learned& l) const;

private:
    std::shared_ptr<const config::Snapshot> snapshot_;
    PoeSettings settings_;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
    std::map<std::string, std::shared_ptr<Driver>> drivers_;
};

}  // namespace mb::poe
