// Fuzz target: YAML text decoded as a device record layer. Any input must end in a decoded record
// or an mb::Error (kExitConfig) naming file, line and key; never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/visitors.hpp"
#include "config/yaml_io.hpp"
#include "core/error.hpp"
#include "device/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const YAML::Node node = mb::config::parse_yaml(text, "devices/fuzz.yaml");
        mb::device::Record record;
        mb::config::Provenance provenance;
        mb::config::DecodeContext ctx{"devices/fuzz.yaml", &provenance};
        mb::config::apply_yaml(node, record, ctx);
        (void)mb::config::to_json(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const mb::Error& e) {
        if (e.code() != mb::kExitConfig) __builtin_trap();
    }
    return 0;
}
