#pragma once
// Client classification, decided per packet and never cached: the same chaddr is a Pi EEPROM,
// EDK2 PXE, EDK2 HTTP boot, iPXE and a plain OS client within one minute (dhcp.md §1).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp/options.hpp"
#include "dhcp/packet.hpp"

namespace mb::dhcp {

enum class ClientClass {
    pi_bootloader,  // Pi 4/5 EEPROM: arch 0 + (opt 97 "RPi4"/"RPi5" or a Pi OUI)
    ipxe,           // user class iPXE (or a configured one) or option 175 present
    http_boot,      // option 60 HTTPClient...
    pxe,            // option 60 PXEClient... (BIOS PXE, UEFI PXE)
    plain,          // anything else: an OS or a firmware we give no boot options
};
std::string_view class_name(ClientClass c);  // "pi-bootloader", "ipxe", "http-boot", "pxe", "plain"

struct ClassifyConfig {
    std::vector<uint32_t> pi_ouis = default_pi_ouis();
    std::vector<std::string> ipxe_user_classes{"iPXE"};
    static std::vector<uint32_t> default_pi_ouis();
};

struct Classification {
    ClientClass cls = ClientClass::plain;
    std::optional<uint16_t> arch;  // option 93, first element
    std::string vendor_class;      // option 60
    std::vector<std::string> user_classes;
    bool user_class_raw = false;
    bool ipxe_encap = false;         // option 175 present
    bool pi_oui = false;             // chaddr OUI in the Pi list
    std::optional<PiIdentity> pi;    // option 97 in the EEPROM layout
    std::optional<ClientUuid> uuid;  // option 97 when 17 bytes
    std::string note;                // why a PXE-looking packet was demoted to plain
};

Classification classify(const Packet& request, const ClassifyConfig& config);

}  // namespace mb::dhcp
