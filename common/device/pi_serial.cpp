#include "device/pi_serial.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace mb::device {

std::optional<PiSerial> PiSerial::parse(std::string_view text) {
    text = trim(text);
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
    if (text.size() == 16 && text.substr(0, 8) == "10000000") text.remove_prefix(8);
    if (text.size() != 8) return std::nullopt;
    uint32_t v = 0;
    for (char c : text) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return std::nullopt;
        v = v << 4 | static_cast<uint32_t>(d);
    }
    return PiSerial(v);
}

std::string PiSerial::str() const { return fmt::format("{:08x}", value_); }

std::string BoardRevision::model() const {
    if (!new_style()) return "Raspberry Pi";
    switch (type()) {
    case 0x08: return "Raspberry Pi 3 Model B";
    case 0x0d: return "Raspberry Pi 3 Model B+";
    case 0x11: return "Raspberry Pi 4 Model B";
    case 0x13: return "Raspberry Pi 400";
    case 0x14: return "Raspberry Pi Compute Module 4";
    case 0x17: return "Raspberry Pi 5";
    default: return fmt::format("Raspberry Pi (type 0x{:02x})", type());
    }
}

std::string BoardRevision::hex() const { return fmt::format("{:06x}", code); }

std::optional<BoardRevision> BoardRevision::parse(std::string_view text) {
    auto v = parse_uint(text.substr(0, 2) == "0x" ? text : "0x" + std::string(text), 0xffffffff);
    if (!v) return std::nullopt;
    return BoardRevision{static_cast<uint32_t>(*v)};
}

}  // namespace mb::device
