#pragma once
// Talos versions ("v1.11.1", "v1.12.0-alpha.1") and the resolution of "latest": the highest stable
// semver in the factory's /versions list, pre-releases dropped — what the factory itself does for
// OCI installer tags, since /image/<id>/latest/... is not resolved by the factory.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::talos {

struct SemVer {
    uint64_t major = 0, minor = 0, patch = 0;
    std::string prerelease;  // "" for a release
    std::string build;       // ignored in comparisons

    bool stable() const { return prerelease.empty(); }
    std::string text() const;  // with the leading 'v'
};

// Parses "v1.2.3", "1.2.3", "v1.2.3-rc.1+build"; nullopt on anything else.
std::optional<SemVer> parse_semver(std::string_view text);
// Semver 2.0 precedence (build metadata ignored).
std::strong_ordering compare(const SemVer& a, const SemVer& b);

// Parses the body of GET /versions (a JSON array of strings); throws data_error on malformed JSON.
std::vector<std::string> parse_versions_json(std::string_view body);
// The highest stable version among `versions` (as written in the list), or nullopt.
std::optional<std::string> latest_stable(const std::vector<std::string>& versions);
// True for a version path component we accept: "latest" or a parseable semver starting with 'v'.
bool valid_version_text(std::string_view text);

}  // namespace mb::talos
