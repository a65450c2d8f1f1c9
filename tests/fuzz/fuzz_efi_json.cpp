// Fuzz target: the virt-fw-vars JSON importer and the exact exporter: an accepted document exports
// to JSON that imports to the same variables.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "efi/vars_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto vars = mb::efi::import_json(text);
        const auto out = mb::efi::export_json(vars);
        const auto back = mb::efi::import_json(out);
        if (back.size() != vars.size()) std::abort();
        for (size_t i = 0; i < vars.size(); ++i) {
            if (back[i].data != vars[i].data || back[i].guid != vars[i].guid || back[i].name != vars[i].name ||
                back[i].attr != vars[i].attr) {
                std::abort();
            }
        }
        mb::efi::Variables merged;
        mb::efi::merge(merged, mb::efi::parse_json(text));
        mb::efi::merge(merged, mb::efi::parse_json(text), mb::efi::MergeMode::NameOnly);
    } catch (const mb::Error&) {
    }
    return 0;
}
