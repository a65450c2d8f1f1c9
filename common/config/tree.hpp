#pragma once
// The on-disk config tree every tool reads and writes (ARCHITECTURE.md):
//
//   metal-boot.yaml  devices/<mac>.yaml  firmware/<mac>.json  firmware/RPI_EFI.fd
//   tftp/  http/  templates/  state/<tool>/  cache/
#include <filesystem>
#include <string>
#include <string_view>

#include "device/mac.hpp"

namespace mb::config {

inline constexpr const char* kDefaultRoot = "/var/lib/metal-boot";

class Tree {
public:
    explicit Tree(std::filesystem::path root);
    // --root if given, else $MB_ROOT, else /var/lib/metal-boot.
    static Tree from_option(const std::string& root_option);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path settings_file() const { return root_ / "metal-boot.yaml"; }
    std::filesystem::path devices_dir() const { return root_ / "devices"; }
    std::filesystem::path device_file(const device::Mac& mac) const;
    std::filesystem::path firmware_dir() const { return root_ / "firmware"; }
    std::filesystem::path firmware_json(const device::Mac& mac) const;
    std::filesystem::path base_firmware() const { return firmware_dir() / "RPI_EFI.fd"; }
    std::filesystem::path templates_dir() const { return root_ / "templates"; }
    std::filesystem::path state_root() const { return root_ / "state"; }
    // state/<tool>/ (not created; StateStore creates it on first write).
    std::filesystem::path state_dir(std::string_view tool) const { return state_root() / std::string(tool); }
    std::filesystem::path cache_dir() const { return root_ / "cache"; }
    // A path from metal-boot.yaml: absolute stays, relative is taken under the root.
    std::filesystem::path resolve(const std::string& path) const;
    // Path relative to the root for messages ("devices/dc-a6-...yaml"); absolute if outside.
    std::string display(const std::filesystem::path& path) const;

private:
    std::filesystem::path root_;
};

}  // namespace mb::config
