#pragma once
// EFI_LOAD_OPTION (Boot####, Driver####, SysPrep####): decode with edk2's validation, encode, and
// the one-line form virt-fw-vars prints (title="..." devpath=... optdata=...).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "efi/devpath.hpp"

namespace mb::efi {

constexpr uint32_t kLoadOptionActive = 0x1;
constexpr uint32_t kLoadOptionForceReconnect = 0x2;
constexpr uint32_t kLoadOptionHidden = 0x8;
constexpr uint32_t kLoadOptionCategoryMask = 0x1F00;
constexpr uint32_t kLoadOptionCategoryApp = 0x100;

struct LoadOption {
    uint32_t attributes = kLoadOptionActive;
    std::u16string description;
    std::vector<DevicePath> paths;  // FilePathList; the first is the boot path
    std::vector<uint8_t> optional_data;

    // Throws mb::Error(65) naming the byte offset of what is wrong.
    static LoadOption decode(std::span<const uint8_t> bytes);
    std::vector<uint8_t> encode() const;

    bool active() const { return attributes & kLoadOptionActive; }
    // True when OptionalData is gBmAutoCreateBootOptionGuid (BDS owns and may delete the entry).
    bool auto_created() const;
    std::string title() const;      // UTF-8 description
    std::string path_text() const;  // edk2 text of every path, ';'-separated after the first
    // title="UEFI PXEv4 (MAC:D83ADD5A440C)" devpath=MAC(D83ADD5A440C,0x1)/IPv4(...) optdata=4eac...
    std::string summary() const;
    bool operator==(const LoadOption&) const = default;
};

}  // namespace mb::efi
