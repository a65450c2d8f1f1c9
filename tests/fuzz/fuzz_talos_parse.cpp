// Fuzzes what mb-talos parses from clients and from the factory: route asset names, Range
// headers, sha256sum lines, the factory's JSON lists, YAML scalar quoting, and the xz/zstd
// decoders fed arbitrary (possibly truncated or corrupt) compressed bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "talos/asset.hpp"
#include "talos/catalog.hpp"
#include "talos/decompress.hpp"
#include "talos/digest.hpp"
#include "talos/range.hpp"
#include "talos/schematic.hpp"
#include "talos/version.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    const uint8_t selector = data[0];
    const std::string_view in = all.substr(1);
    try {
        switch (selector % 7) {
            case 0: {
                const auto r = mb::talos::parse_asset(in, selector & 0x80 ? "arm64" : "amd64");
                if (r.asset.served_name.empty() || r.asset.upstream_path.empty()) __builtin_trap();
                break;
            }
            case 1: {
                const auto d = mb::talos::decide_range(in, std::nullopt, "\"x\"", selector * 37u);
                if (d.kind == mb::talos::RangeDecision::partial && d.offset + d.length > selector * 37u)
                    __builtin_trap();
                break;
            }
            case 2: (void)mb::talos::parse_sha256sum(in); break;
            case 3: (void)mb::talos::latest_stable(mb::talos::parse_versions_json(in)); break;
            case 4: {
                const auto list = mb::talos::parse_extensions_json(in);
                (void)mb::talos::resolve_extensions({"iscsi-tools"}, list, "v1");
                break;
            }
            case 5: {
                mb::talos::Schematic s;
                s.extensions = {std::string(in)};
                s.extra_kernel_args = mb::talos::split_list(in);
                (void)mb::talos::canonical_yaml(s);
                break;
            }
            case 6: {
                auto dec = mb::talos::make_decompressor(selector & 0x80 ? mb::talos::Codec::xz : mb::talos::Codec::zst);
                size_t produced = 0;
                const auto sink = [&](const char*, size_t n) {
                    produced += n;
                    if (produced > (64u << 20)) throw mb::data_error("too much output");
                };
                dec->feed(in, sink);
                dec->finish(sink);
                break;
            }
        }
    } catch (const mb::Error&) {
    }
    return 0;
}
