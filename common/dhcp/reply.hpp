#pragma once
// The pure reply builder (dhcp.md §2.2, §3, §4, §5, §7): request + classification + the device's
// effective choices + server settings (+ a lease in full mode) → the reply packet. No I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dhcp/classify.hpp"
#include "dhcp/packet.hpp"

namespace mb::dhcp {

enum class ServerMode { proxy, full };

// Server-wide boot settings (metal-boot.yaml `dhcp:` and the addresses of mb-tftp/mb-http).
struct BootSettings {
    Ipv4 server_id = 0;                                 // option 54: our address on the ingress interface
    Ipv4 tftp_server = 0;                               // siaddr and option 66; 0 = server_id
    std::string pi_menu_text = "Raspberry Pi Boot";     // must equal the EEPROM's PXE_OPTION43
    std::string http_base_url;                          // "http://10.0.0.1:8080" (mb-http); "{server}" = server_id
    std::string http_boot_path = "/ipxe";               // HTTP boot URL = base + path + "/" + binary
    std::string ipxe_script_path = "/boot/{mac}.ipxe";  // iPXE script URL = base + path ({mac} dashed)
    std::string bios_boot_file = "undionly.kpxe";
    std::string x64_boot_file = "ipxe.efi";
    std::string arm64_boot_file = "snp.efi";
    bool ipxe_no_pxedhcp = true;  // full mode: send 175 {b0:1} so iPXE does not wait for a proxy
};

// The per-device choices from the effective device record.
struct DeviceChoices {
    bool allow_pxe = true;
    std::optional<uint16_t> arch_override;  // replaces option 93 for boot file selection
    std::string ipxe_script_url;            // overrides the default script URL
    std::string boot_file;                  // overrides the PXE boot file chosen by architecture
    std::string hostname;                   // option 12 in full mode
};

// What the lease engine granted (full mode). For INFORM only the network options are used.
struct LeaseGrant {
    Ipv4 address = 0;
    uint32_t lease_seconds = 0;  // 0xffffffff = infinite
    Ipv4 subnet_mask = 0;
    Ipv4 broadcast = 0;
    std::vector<Ipv4> routers;
    std::vector<Ipv4> dns;
    std::string domain;
};

enum class BootFileFamily { none, bios, x64, arm64 };
BootFileFamily boot_family(uint16_t arch);  // smee's table: 0–5 bios, 6–9/15/16 x64, 10/11/18/19/41 arm64

// The NBP (or HTTP URL, or script URL) a client gets, "" when it gets none.
std::string boot_target(const Packet& request, const Classification& c, const DeviceChoices& device,
                        const BootSettings& settings);

struct ReplyRequest {
    const Packet& request;
    const Classification& cls;
    MessageType type;  // offer / ack
    ServerMode mode;
    const BootSettings& settings;
    const DeviceChoices& device;
    const LeaseGrant* lease = nullptr;  // full mode; nullptr in proxy mode (yiaddr stays 0)
    bool inform = false;                // ACK to INFORM: no yiaddr, no lease times
};

// nullopt when this client gets no answer (proxy mode and nothing to boot).
std::optional<Packet> build_reply(const ReplyRequest& r);
Packet build_nak(const Packet& request, Ipv4 server_id, std::string_view message);

// The largest reply the client accepts: option 57 (at least 576), else 576.
size_t max_reply_size(const Packet& request);

// The Pi EEPROM menu (§2.2): 06 01 03, 0a 04 00 "PXE", 09 <len> 00 00 <len> text, ff.
Bytes pi_vendor_options(std::string_view menu_text);
// EDK2/BIOS PXE: 06 01 08 ff (use `file` directly, skip boot server discovery).
Bytes pxe_vendor_options();

}  // namespace mb::dhcp
