// Fuzz target: the device-path text parser (edk2, efibootmgr and virt-firmware spellings). Anything
// it accepts must print and re-parse to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "efi/devpath.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto p = mb::efi::DevicePath::parse(text);
        const auto bytes = p.encode();
        const auto again = mb::efi::DevicePath::parse(p.to_text());
        if (again.encode() != bytes) std::abort();
        size_t used = 0;
        if (mb::efi::DevicePath::decode(bytes, &used).encode() != bytes || used != bytes.size()) std::abort();
    } catch (const mb::Error&) {
    }
    return 0;
}
