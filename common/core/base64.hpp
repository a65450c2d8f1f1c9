#pragma once
// Base64 decoding (pure).
#include <optional>
#include <string>
#include <string_view>

namespace mb {

// Standard base64 (RFC 4648, padding optional, whitespace ignored); nullopt on other characters.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mb
