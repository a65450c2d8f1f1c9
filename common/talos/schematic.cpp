#include "talos/schematic.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <regex>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

void Schematic::normalize() {
    std::sort(extensions.begin(), extensions.end());
    extensions.erase(std::unique(extensions.begin(), extensions.end()), extensions.end());
}

namespace {

// Would a plain scalar with this text resolve to a non-string (YAML 1.1/1.2 core types as go-yaml
// resolves them)?
bool resolves_to_non_string(std::string_view s) {
    static const std::regex kSpecial(
        "^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|"
        "[-+]?(\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN)$");
    static const std::regex kNumber(
        "^([-+]?(0|[1-9][0-9_]*)|[-+]?0b[01_]+|[-+]?0o?[0-7_]+|[-+]?0x[0-9a-fA-F_]+|"
        "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|"
        "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?)$");
    const std::string str(s);
    return std::regex_match(str, kSpecial) || std::regex_match(str, kNumber);
}

// May the text be written as a plain block scalar (libyaml's analysis, simplified to the
// characters that matter)?
bool plain_allowed(std::string_view s) {
    if (s.empty()) return false;
    if (s.front() == ' ' || s.back() == ' ') return false;
    static constexpr std::string_view kLeadingIndicators = "#,[]{}&*!|>'\"%@`";
    if (kLeadingIndicators.find(s.front()) != std::string_view::npos) return false;
    if ((s.front() == '-' || s.front() == '?' || s.front() == ':') && (s.size() == 1 || s[1] == ' ')) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
        if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
    }
    if (s.substr(0, 3) == "---" || s.substr(0, 3) == "...") return false;
    return true;
}

std::string double_quoted(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    static constexpr char kHex[] = "0123456789ABCDEF";
                    out += "\\x";
                    out += kHex[c >> 4];
                    out += kHex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

void append_list(std::string& out, const std::vector<std::string>& items, int indent) {
    for (const auto& item : items) out += std::string(indent, ' ') + "- " + yaml_scalar(item) + "\n";
}

}  // namespace

std::string yaml_scalar(std::string_view value) {
    if (resolves_to_non_string(value)) return double_quoted(value);
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) return double_quoted(value);
    }
    if (plain_allowed(value)) return std::string(value);
    std::string out = "'";
    for (const char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string canonical_yaml(const Schematic& s) {
    std::string out;
    if (!s.overlay_image.empty() || !s.overlay_name.empty()) {
        out += "overlay:\n";
        if (!s.overlay_image.empty()) out += "    image: " + yaml_scalar(s.overlay_image) + "\n";
        if (!s.overlay_name.empty()) out += "    name: " + yaml_scalar(s.overlay_name) + "\n";
    }
    if (s.extra_kernel_args.empty() && s.extensions.empty()) {
        out += "customization: {}\n";
        return out;
    }
    out += "customization:\n";
    if (!s.extra_kernel_args.empty()) {
        out += "    extraKernelArgs:\n";
        append_list(out, s.extra_kernel_args, 8);
    }
    if (!s.extensions.empty()) {
        out += "    systemExtensions:\n        officialExtensions:\n";
        append_list(out, s.extensions, 12);
    }
    return out;
}

std::string sha256_hex(std::string_view text) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1)
        throw Error(kExitSoftware, "OpenSSL SHA-256 failed");
    return to_hex(std::span<const uint8_t>(digest, len));
}

std::string schematic_id(const Schematic& schematic) {
    return sha256_hex(canonical_yaml(schematic));
}

bool is_schematic_id(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace mb::talos
