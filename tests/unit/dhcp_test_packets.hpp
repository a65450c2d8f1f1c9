#pragma once
// Byte-exact request packets from dhcp.md §2.1 / §10 shared by the dhcp_* unit tests.
#include <string>
#include <vector>

#include "core/strings.hpp"
#include "dhcp/packet.hpp"

namespace dhcp_test {

inline mb::dhcp::Bytes hex(const std::string& h) {
    return *mb::parse_hex(h);
}

inline std::string strip(std::string s) {
    std::string out;
    for (char c : s)
        if (c != ' ') out += c;
    return out;
}

// BOOTREQUEST header for chaddr `mac` (6 bytes hex), xid, flags; options appended by the caller
// (without the magic cookie).
inline mb::dhcp::Bytes request(const std::string& mac, uint32_t xid, uint16_t flags, const std::string& options_hex,
                               uint32_t giaddr = 0, uint8_t hops = 0) {
    mb::dhcp::Bytes b(236, 0);
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    b[3] = hops;
    for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<uint8_t>(xid >> (24 - 8 * i));
    b[10] = static_cast<uint8_t>(flags >> 8);
    b[11] = static_cast<uint8_t>(flags);
    for (int i = 0; i < 4; ++i) b[24 + i] = static_cast<uint8_t>(giaddr >> (24 - 8 * i));
    auto m = hex(mac);
    std::copy(m.begin(), m.end(), b.begin() + 28);
    auto o = hex("63825363" + strip(options_hex));
    b.insert(b.end(), o.begin(), o.end());
    return b;
}

// The Pi 4 EEPROM DISCOVER of dhcp.md §2.1 (scapy recipe values: rev c03111, serial 1234abcd).
inline const std::string kPiOptions =
    "350101"
    "370c2b3c4243808182838485868 7"
    "5d020000"
    "5e03010201"
    "3c20505845436c69656e743a417263683a30303030303a554e44493a303032303031"
    "611100525069341131c00032010203cdab3412"
    "ff";

inline mb::dhcp::Bytes pi_discover(const std::string& mac = "dca632010203") {
    return request(mac, 0x26f30339, 0, kPiOptions);
}
// EDK2 arm64 PXE DISCOVER: broadcast flag, 57 = 1472, 93 = 0x0b, 94 = 1.3.0.
inline mb::dhcp::Bytes edk2_arm64_discover(const std::string& mac = "525400770001") {
    return request(mac, 0x11223344, 0x8000,
                   "350101"
                   "3902"
                   "05c0"
                   "5d02000b"
                   "5e03010300"
                   "3c20505845436c69656e743a417263683a30303031313a554e44493a303033303030"
                   "611100"
                   "7ab0c0de000040008000000000000001"
                   "ff");
}
inline mb::dhcp::Bytes edk2_x64_discover(const std::string& mac = "525400770002") {
    return request(mac, 0x55667788, 0x8000,
                   "350101"
                   "39"
                   "02"
                   "05c0"
                   "5d020007"
                   "5e03010300"
                   "3c20505845436c69656e743a417263683a30303030373a554e44493a303033303030"
                   "ff");
}
// EDK2 arm64 HTTP boot DISCOVER: HTTPClient:Arch:00019, 93 = 0x13.
inline mb::dhcp::Bytes http_discover(const std::string& mac = "525400770003") {
    return request(mac, 0x01020304, 0x8000,
                   "350101"
                   "5d020013"
                   "5e03010300"
                   "3c21"
                   "48545450436c69656e743a417263683a30303031393a554e44493a303033303030"
                   "ff");
}
// iPXE (arm64 EFI): 77 raw "iPXE", 175 present, 93 = 0x0b.
inline mb::dhcp::Bytes ipxe_discover(const std::string& mac = "dca632010203") {
    return request(mac, 0x0a0b0c0d, 0,
                   "350101"
                   "4d0469505845"
                   "af06130101240101"
                   "5d02000b"
                   "5e0301030a"
                   "3c20505845436c69656e743a417263683a30303031313a554e44493a303033303130"
                   "ff");
}
// x86 BIOS PXE ROM, arch 0, non-Pi MAC, no option 97.
inline mb::dhcp::Bytes bios_discover(const std::string& mac = "525400770004") {
    return request(mac, 0x99887766, 0,
                   "350101"
                   "5d020000"
                   "5e03010201"
                   "3c20505845436c69656e743a417263683a30303030303a554e44493a303032303031"
                   "ff");
}

}  // namespace dhcp_test
