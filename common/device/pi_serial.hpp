#pragma once
// Raspberry Pi board identity: the 32-bit serial the EEPROM uses as TFTP prefix ("5b154510") and
// the board revision code ("c03114") with its decoded fields.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mb::device {

class PiSerial {
public:
    PiSerial() = default;
    explicit PiSerial(uint32_t value) : value_(value) {}
    // Accepts 8 hex digits (any case), optionally "0x"-prefixed, or the 16-digit /proc/cpuinfo form
    // "10000000" + 8 digits; returns nullopt otherwise.
    static std::optional<PiSerial> parse(std::string_view text);
    uint32_t value() const { return value_; }
    std::string str() const;  // 8 lower-case hex digits: the EEPROM's TFTP prefix
    auto operator<=>(const PiSerial&) const = default;

private:
    uint32_t value_ = 0;
};

// A new-style board revision code (bit 23 set), e.g. 0xc03114.
struct BoardRevision {
    uint32_t code = 0;
    bool new_style() const { return code & (1u << 23); }
    unsigned pcb_revision() const { return code & 0xf; }
    unsigned type() const { return (code >> 4) & 0xff; }
    unsigned processor() const { return (code >> 12) & 0xf; }
    unsigned manufacturer() const { return (code >> 16) & 0xf; }
    unsigned memory_code() const { return (code >> 20) & 0x7; }
    // Installed RAM in MiB (256 << memory_code), 0 for old-style codes.
    uint32_t memory_mib() const { return new_style() ? 256u << memory_code() : 0; }
    std::string model() const;  // "Raspberry Pi 4 Model B", "Raspberry Pi 400", "Compute Module 4"...
    std::string hex() const;    // "c03114"
    static std::optional<BoardRevision> parse(std::string_view text);
};

}  // namespace mb::device
