// Fuzz target: the NV store parser (volume scan, store header, record walk, FTW) and, when the
// input parses, a compact rewrite and re-parse (which must succeed and give the same live set).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/error.hpp"
#include "efi/varstore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> image(data, data + size);
    mb::efi::Store store;
    try {
        store = mb::efi::parse_store(image);
    } catch (const mb::Error&) {
        return 0;
    }
    try {
        mb::efi::write_compact(image, store.layout, store.vars);
    } catch (const mb::Error&) {
        return 0;  // a store that overflows when compacted cannot happen, but refusing is fine
    }
    const auto again = mb::efi::parse_store(image);
    if (again.vars.size() != store.vars.size()) std::abort();
    for (size_t i = 0; i < again.vars.size(); ++i) {
        if (!again.vars.find(store.vars[i].guid, store.vars[i].name)) std::abort();
    }
    return 0;
}
