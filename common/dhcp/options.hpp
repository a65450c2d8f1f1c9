#pragma once
// Structured option payloads: RFC 3004 user class (and iPXE's raw form), encapsulated sub-options
// (43 PXE, 82 relay agent, 175 iPXE), RFC 4578 client architecture / NII / machine UUID, and the
// Raspberry Pi EEPROM's "RPi4" layout of option 97. Pure decoders; they never throw on odd input.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dhcp/packet.hpp"

namespace mb::dhcp {

// RFC 3004: a sequence of (len, data) items that exactly fills the option. iPXE sends the bare
// string "iPXE" instead; anything that does not parse as items is returned as one raw string.
struct UserClass {
    std::vector<std::string> items;
    bool raw = false;  // true: the option was not RFC 3004 encoded
};
UserClass parse_user_class(std::span<const uint8_t> data);
Bytes encode_user_class(const std::vector<std::string>& items);

// Encapsulated sub-options (code, len, data) with PAD skipped and END terminating. nullopt when a
// length runs past the end.
struct SubOption {
    uint8_t code;
    Bytes data;
};
std::optional<std::vector<SubOption>> parse_suboptions(std::span<const uint8_t> data);
// Encodes sub-options and appends END (255).
Bytes encode_suboptions(const std::vector<SubOption>& subs, bool with_end = true);

// Option 93: the first u16 of the list.
std::optional<uint16_t> client_arch(const Packet& p);
std::string_view arch_name(uint16_t arch);  // "x86 BIOS", "ARM64 UEFI", "ARM64 UEFI HTTP"...

// Option 94: type (1 = UNDI), major, minor.
struct ClientNii {
    uint8_t type = 0, major = 0, minor = 0;
};
std::optional<ClientNii> client_nii(const Packet& p);

// Option 97: type byte + 16 bytes.
struct ClientUuid {
    uint8_t type = 0;
    std::array<uint8_t, 16> bytes{};
    std::string guid() const;  // text form, bytes read as an EFI_GUID (first three fields LE)
};
std::optional<ClientUuid> client_uuid(std::span<const uint8_t> data);  // nullopt unless 17 bytes

// The Pi EEPROM's option 97: "RPi4"/"RPi5" FourCC, board revision (LE), MAC tail, serial (LE).
struct PiIdentity {
    std::string fourcc;     // "RPi4"
    uint32_t revision = 0;  // e.g. 0xc03111
    std::array<uint8_t, 4> mac_tail{};
    uint32_t serial = 0;  // e.g. 0x5b154510
};
std::optional<PiIdentity> pi_identity(std::span<const uint8_t> opt97);

// Option 82 sub-options by name (1 circuit-id, 2 remote-id, 5 link-selection, ...).
std::string relay_suboption_name(uint8_t code);
std::string pxe_suboption_name(uint8_t code);
std::string ipxe_suboption_name(uint8_t code);

}  // namespace mb::dhcp
