#include "dhcp/classify.hpp"

#include <algorithm>

namespace mb::dhcp {

std::string_view class_name(ClientClass c) {
    switch (c) {
        case ClientClass::pi_bootloader: return "pi-bootloader";
        case ClientClass::ipxe: return "ipxe";
        case ClientClass::http_boot: return "http-boot";
        case ClientClass::pxe: return "pxe";
        case ClientClass::plain: return "plain";
    }
    return "plain";
}

std::vector<uint32_t> ClassifyConfig::default_pi_ouis() {
    return {0xb827eb, 0xdca632, 0xe45f01, 0x28cdc1, 0xd83add, 0x2ccf67};
}

Classification classify(const Packet& p, const ClassifyConfig& config) {
    Classification c;
    c.arch = client_arch(p);
    if (auto vc = p.get_string(opt::vendor_class)) c.vendor_class = *vc;
    if (const Bytes* uc = p.get(opt::user_class)) {
        auto parsed = parse_user_class(*uc);
        c.user_classes = parsed.items;
        c.user_class_raw = parsed.raw;
    }
    c.ipxe_encap = p.has(opt::ipxe_encap);
    if (p.htype == 1 && p.hlen == 6) {
        uint32_t oui = uint32_t{p.chaddr[0]} << 16 | uint32_t{p.chaddr[1]} << 8 | p.chaddr[2];
        c.pi_oui = std::find(config.pi_ouis.begin(), config.pi_ouis.end(), oui) != config.pi_ouis.end();
    }
    const Bytes* o97 = p.get(opt::client_uuid);
    if (o97) {
        c.uuid = client_uuid(*o97);
        c.pi = pi_identity(*o97);
    }

    const bool pxe_vc = c.vendor_class.rfind("PXEClient", 0) == 0;
    const bool http_vc = c.vendor_class.rfind("HTTPClient", 0) == 0;
    const bool ipxe_uc = std::any_of(c.user_classes.begin(), c.user_classes.end(), [&](const std::string& u) {
        return std::find(config.ipxe_user_classes.begin(), config.ipxe_user_classes.end(), u) !=
               config.ipxe_user_classes.end();
    });

    if (ipxe_uc || c.ipxe_encap) {
        c.cls = ClientClass::ipxe;
        return c;
    }
    // The Pi EEPROM says arch 0 like any x86 BIOS: it takes the FourCC or the OUI on top. Its
    // REQUEST carries no option 60 (and no 93), so the FourCC alone identifies it there.
    const bool arch0 = c.arch && *c.arch == 0;
    if ((arch0 && (c.pi || c.pi_oui)) || (!c.arch && c.vendor_class.empty() && c.pi)) {
        c.cls = ClientClass::pi_bootloader;
        return c;
    }
    if (pxe_vc || http_vc) {
        if (o97 && (o97->size() != 17 || (*o97)[0] != 0)) {
            c.note = "option 97 is not 17 bytes of type 0";
            c.cls = ClientClass::plain;
            return c;
        }
        c.cls = http_vc ? ClientClass::http_boot : ClientClass::pxe;
        return c;
    }
    c.cls = ClientClass::plain;
    return c;
}

}  // namespace mb::dhcp
