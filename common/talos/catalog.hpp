#pragma once
// The factory's lists of official system extensions and overlays for one Talos version, and the
// validation of what a request or device record asks for against them. An unknown extension would
// only fail later, at image build time, inside the factory; we refuse it up front and name it.
#include <string>
#include <string_view>
#include <vector>

namespace mb::talos {

struct ExtensionInfo {
    std::string name;  // "siderolabs/iscsi-tools"
    std::string ref;
    std::string digest;
    std::string author;
    std::string description;
};

struct OverlayInfo {
    std::string name;   // "rpi_generic"
    std::string image;  // "siderolabs/sbc-raspberrypi"
    std::string ref;
    std::string digest;
};

// Bodies of GET /version/{v}/extensions/official and /version/{v}/overlays/official; throw
// data_error on malformed JSON or a missing name.
std::vector<ExtensionInfo> parse_extensions_json(std::string_view body);
std::vector<OverlayInfo> parse_overlays_json(std::string_view body);

// Maps each requested name to the official full name. Accepts the full name
// ("siderolabs/iscsi-tools") or, when unambiguous, the part after the last '/' ("iscsi-tools").
// Throws data_error naming the first unknown (or ambiguous) one, the version and a suggestion.
std::vector<std::string> resolve_extensions(const std::vector<std::string>& requested,
                                            const std::vector<ExtensionInfo>& official, std::string_view version);
// Finds an overlay by name; '-' and '_' are treated alike ("rpi-generic" finds "rpi_generic").
// Throws data_error naming the unknown overlay and the version.
OverlayInfo resolve_overlay(std::string_view requested, const std::vector<OverlayInfo>& official,
                            std::string_view version);

// Splits a comma-separated list ("a, b,,c") into trimmed, non-empty names.
std::vector<std::string> split_list(std::string_view text);

}  // namespace mb::talos
