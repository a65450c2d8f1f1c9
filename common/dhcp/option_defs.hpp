#pragma once
// One table of DHCPv4 option definitions (name, code, type): adding an option is one row. Used to
// render packets as JSON (mb-dhcp decode) and to encode operator-given option values.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dhcp/packet.hpp"

namespace mb::dhcp {

enum class OptionType {
    ip,   // one IPv4 address
    ips,  // list of IPv4 addresses
    u8,
    u16,
    u32,
    i32,
    flag,  // u8 boolean
    string,
    bytes,         // shown as hex
    u8s,           // list of u8 (parameter request list)
    u16s,          // list of u16
    message_type,  // 53
    client_id,     // 61: hwtype + address, shown as hex pairs
    user_class,    // 77: RFC 3004 items or iPXE's raw string
    vendor,        // 43: PXE sub-options when option 60 says PXEClient, else hex
    relay,         // 82: relay agent sub-options
    arch,          // 93: list of u16 with names
    nii,           // 94: UNDI type, major, minor
    uuid,          // 97: type + 16 bytes; the Pi's RPi4 layout decoded
    ipxe,          // 175: iPXE encapsulated settings
};

struct OptionDef {
    uint8_t code;
    std::string_view name;
    OptionType type;
};

const OptionDef* find_option(uint8_t code);
const OptionDef* find_option(std::string_view name);

// The value of one option as JSON, decoded per its definition (hex when the payload does not fit
// the type). `pxe_vendor` selects the PXE layout for option 43.
nlohmann::ordered_json option_to_json(uint8_t code, std::span<const uint8_t> data, bool pxe_vendor);
// The whole packet: fixed fields and options keyed by name ("option-N" for unknown codes).
nlohmann::ordered_json packet_to_json(const Packet& p);

// Encodes a textual value per the option's type ("10.0.0.1,10.0.0.2", "600", "PXEClient",
// hex "01:02" for bytes). Throws mb::Error(kExitUsage) naming the option on bad text.
Bytes encode_option_text(const OptionDef& def, std::string_view text);

std::string mac_str(std::span<const uint8_t> bytes);  // "dc:a6:32:01:02:03" for any length

}  // namespace mb::dhcp
