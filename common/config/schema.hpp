#pragma once
// The config schema is declared once per struct, as a field list:
//
//   struct TftpSettings {
//       bool enabled = true;
//       uint16_t port = 69;
//       template <class V> void visit(V& v) {
//           v.field("enabled", enabled, "Run the TFTP server.");
//           v.field("port", port, "UDP port to listen on.", Range{1, 65535});
//       }
//   };
//
// and the same list drives every use: decoding YAML layers with file:line: key errors
// (yaml_decoder.hpp), encoding the effective values as JSON or YAML (json_encoder.hpp), and
// listing every key with its type and documentation (key_lister.hpp, for `config keys` and the
// test that keeps mb-config(5) complete). Field types: bool, integers, double, std::string,
// std::optional<T>, std::vector<T>, std::map<std::string, std::string>, and nested structs with
// their own visit(). A check is an optional last argument.
#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mb::config {

// The visitor every schema struct is walked with to discover whether a type is a section.
struct SchemaProbe {
    template <class T, class... Rest>
    void field(const char*, T&, const char*, Rest&&...) {}
};

template <class T>
concept Section = requires(T& t, SchemaProbe& p) { t.visit(p); };

// No extra constraint.
struct NoCheck {
    template <class T>
    std::optional<std::string> operator()(const T&) const {
        return std::nullopt;
    }
    std::string describe() const { return ""; }
};

// An integer in [min, max] (inclusive).
struct Range {
    int64_t min;
    int64_t max;
    template <class T>
    std::optional<std::string> operator()(const T& value) const {
        const auto v = static_cast<int64_t>(value);
        if (v < min || v > max) return "expected an integer " + std::to_string(min) + "-" + std::to_string(max);
        return std::nullopt;
    }
    std::string describe() const { return std::to_string(min) + "-" + std::to_string(max); }
};

// One of a fixed list of strings (also checks each element of a list of strings).
struct OneOf {
    std::vector<std::string> values;
    std::optional<std::string> operator()(const std::string& value) const;
    std::optional<std::string> operator()(const std::vector<std::string>& values) const;
    std::string describe() const;
};

// A byte count: a plain integer or one with a binary unit suffix: 512K, 40M, 10G, 1T, 10GiB.
struct ByteSize {
    template <class T>
    std::optional<std::string> operator()(const T&) const {
        return std::nullopt;
    }
    std::string describe() const { return "bytes, K/M/G/T suffixes accepted"; }
};
// Parses a ByteSize text; nullopt when it is not one.
std::optional<uint64_t> parse_byte_size(const std::string& text);

// Text formats, checked when not empty: an IPv4 address, an IPv4 CIDR, a MAC address, an
// http(s) URL, a host:port or port, a Pi serial, a hex string, a size like 10G.
enum class Format { ipv4, ipv4_cidr, mac, url, chain_url, pi_serial, hex, path };  // chain_url: url or tftp://
struct TextFormat {
    Format format;
    std::optional<std::string> operator()(const std::string& value) const;
    std::optional<std::string> operator()(const std::vector<std::string>& values) const;
    std::string describe() const;
};

// Validates one text value against a format; nullopt when valid (or empty).
std::optional<std::string> check_format(Format format, const std::string& value);

}  // namespace mb::config
