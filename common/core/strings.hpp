#pragma once
// Small string helpers shared by codecs and the CLI.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with_icase(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep, bool skip_empty = false);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Lower-case hex of bytes ("" for none); parse_hex accepts upper/lower case and an optional
// separator (':', '-', ' ') between byte pairs, and returns nullopt on anything else.
std::string to_hex(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> parse_hex(std::string_view text);

// Parses a decimal (or 0x-prefixed hex) unsigned integer in [0, max]; nullopt otherwise.
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t max = UINT64_MAX);

// Quote a value for an error message: 'two', with control characters escaped and long text cut.
std::string quoted(std::string_view value, size_t max_len = 60);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within distance 2 (or a third of the word), if any.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mb
