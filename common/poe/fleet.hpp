#pragma once
// What mb-poe needs from the config tree: the `poe:` settings of metal-boot.yaml, where each device
// is plugged in (the device record's `power: {switch, port}`, else what `mb-poe discover` learned
// into state/poe/<mac>.json) and one driver per switch, created lazily so that an unreachable
// switch never stops a daemon from starting.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "device/mac.hpp"
#include "poe/driver.hpp"
#include "poe/settings.hpp"

namespace mb::poe {

std::unique_ptr<Driver> make_driver(const SwitchSettings& s);

class Fleet {
public:
    // Reads <root>/metal-boot.yaml (absent = no switches).
    static Fleet load(const std::filesystem::path& root);
    Fleet(std::filesystem::path root, PoeSettings settings) : root_(std::move(root)), settings_(std::move(settings)) {}
    Fleet(Fleet&&) = default;

    const PoeSettings& settings() const { return settings_; }
    const std::filesystem::path& root() const { return root_; }

    // Where device `mac` is powered from, or nullopt when nothing says.
    std::optional<PortRef> locate(const device::Mac& mac) const;
    // "<mac>" or "<switch>:<port>" → port; throws kExitUsage/kExitNoInput/kExitConfig with a clear message.
    PortRef resolve(const std::string& target) const;
    // The driver for a switch (created on first use, shared afterwards).
    std::shared_ptr<Driver> driver(const std::string& switch_name);
    CycleOptions cycle_options(const std::string& switch_name) const;

    // Stores a discovery result under state/poe/<mac>.json (atomic write).
    void remember(const Learned& l) const;

private:
    std::filesystem::path root_;
    PoeSettings settings_;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
    std::map<std::string, std::shared_ptr<Driver>> drivers_;
};

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename, fsync dir).
void write_file_atomic(const std::filesystem::path& path, const std::string& data);

}  // namespace mb::poe
