#pragma once
// A Talos image-factory schematic and its identity. The factory names every schematic by the
// lower-case hex SHA-256 of the YAML that go-yaml emits for it (field order overlay → customization,
// 4-space indentation, empty fields omitted, an empty customization written as `{}`). We build that
// canonical text ourselves so the ID is known offline and can key the cache; the factory's answer to
// POST /schematics stays authoritative and is compared with it.
#include <string>
#include <vector>

namespace mb::talos {

struct Schematic {
    std::string overlay_image;                   // e.g. "siderolabs/sbc-raspberrypi"
    std::string overlay_name;                    // e.g. "rpi_generic"
    std::vector<std::string> extra_kernel_args;  // customization.extraKernelArgs
    std::vector<std::string> extensions;         // customization.systemExtensions.officialExtensions

    // Sorts and de-duplicates the extension list, so "a,b" and "b,a" name the same schematic.
    void normalize();
    bool empty() const {
        return overlay_image.empty() && overlay_name.empty() && extra_kernel_args.empty() && extensions.empty();
    }
};

// The canonical YAML (exact bytes the factory hashes), trailing newline included.
std::string canonical_yaml(const Schematic& schematic);
// Lower-case hex SHA-256 of `text` (OpenSSL EVP).
std::string sha256_hex(std::string_view text);
// sha256_hex(canonical_yaml(schematic)).
std::string schematic_id(const Schematic& schematic);
// True when `text` is 64 lower-case hex digits.
bool is_schematic_id(std::string_view text);

// A YAML scalar as go-yaml writes it: plain when that reads back as the same string, double-quoted
// when plain text would resolve to another type (true, 12, null, 1.5), single-quoted otherwise.
std::string yaml_scalar(std::string_view value);

}  // namespace mb::talos
