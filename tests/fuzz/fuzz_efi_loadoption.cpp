// Fuzz target: EFI_LOAD_OPTION and binary device paths; what decodes must re-encode to the same
// bytes and survive edk2 text -> binary.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/error.hpp"
#include "efi/load_option.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);
    try {
        const auto opt = mb::efi::LoadOption::decode(in);
        const auto bytes = opt.encode();
        if (bytes.size() != size || !std::equal(bytes.begin(), bytes.end(), data)) std::abort();
        for (const auto& p : opt.paths) {
            const auto back = mb::efi::DevicePath::parse(p.to_text());
            if (back.encode() != p.encode()) std::abort();
        }
        (void)opt.summary();
    } catch (const mb::Error&) {
    }
    try {
        size_t used = 0;
        const auto p = mb::efi::DevicePath::decode(in, &used);
        const auto text = p.to_text();
        if (mb::efi::DevicePath::parse(text).encode() != p.encode()) std::abort();
    } catch (const mb::Error&) {
    }
    return 0;
}
