#pragma once
// A 48-bit Ethernet MAC address: the identity of every device in the config tree.
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mb::device {

class Mac {
public:
    Mac() = default;
    explicit Mac(const std::array<uint8_t, 6>& bytes) : bytes_(bytes) {}

    // Accepts every common spelling, case-insensitive: "dc:a6:32:01:02:03", "dc-a6-32-01-02-03",
    // "dca632010203", "dca6.3201.0203" (Cisco), and the PXELINUX form "01-dc-a6-32-01-02-03".
    static std::optional<Mac> parse(std::string_view text);
    // Like parse(), but throws mb::Error (kExitDataErr) naming the text.
    static Mac parse_or_throw(std::string_view text);

    const std::array<uint8_t, 6>& bytes() const { return bytes_; }
    std::string colon() const;   // "dc:a6:32:01:02:03" (dnsmasq leases, JSON)
    std::string dashed() const;  // "dc-a6-32-01-02-03" (file names, TFTP prefixes)
    std::string bare() const;    // "dca632010203"
    std::string upper_bare() const;  // "DCA632010203" (EDK2 variable names and titles)
    uint32_t oui() const { return static_cast<uint32_t>(bytes_[0]) << 16 | bytes_[1] << 8 | bytes_[2]; }
    bool is_zero() const;
    bool is_multicast() const { return bytes_[0] & 1; }

    auto operator<=>(const Mac&) const = default;

private:
    std::array<uint8_t, 6> bytes_{};
};

}  // namespace mb::device

template <>
struct std::hash<mb::device::Mac> {
    size_t operator()(const mb::device::Mac& m) const noexcept {
        uint64_t v = 0;
        for (uint8_t b : m.bytes()) v = v << 8 | b;
        return std::hash<uint64_t>{}(v);
    }
};
