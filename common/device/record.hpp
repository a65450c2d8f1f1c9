#pragma once
// The device record: what the config tree says about one device. The same struct holds a single
// layer's values while decoding and the effective (merged) record afterwards; see
// config/loader.hpp for the merge order.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::device {

using config::Format;
using config::OneOf;
using config::Range;
using config::TextFormat;

struct OsieSettings {
    std::string base_url;  // where kernel and initrd live; empty = this server's http root URL
    std::string kernel = "ironic-python-agent.kernel";
    std::string initrd = "ironic-python-agent.initramfs";

    template <class V>
    void visit(V& v) {
        v.field("base_url", base_url, "Base URL of the kernel and initrd; empty means mb-http's own /images/ URL.",
                TextFormat{Format::url});
        v.field("kernel", kernel, "Kernel file name or URL (relative names are resolved against base_url).");
        v.field("initrd", initrd, "Initrd file name or URL (relative names are resolved against base_url).");
    }
};

struct NetbootSettings {
    bool allow_pxe = true;
    std::string arch = "auto";
    std::string ipxe_script;
    std::string ipxe_script_url;
    std::string boot_file;
    std::string console;
    std::string facility;
    std::string kernel_args;
    OsieSettings osie;

    template <class V>
    void visit(V& v) {
        v.field("allow_pxe", allow_pxe,
                "Answer this device's network-boot requests. false: it gets a plain lease (full mode) or nothing "
                "(proxy mode), and iPXE gets a script that exits to local boot.");
        v.field("arch", arch, "Architecture override; auto takes it from DHCP option 93.",
                OneOf{{"auto", "arm64", "x86_64", "x86", "arm32"}});
        v.field("ipxe_script", ipxe_script, "Inline iPXE script served as this device's script (wins over osie).");
        v.field("ipxe_script_url", ipxe_script_url, "URL iPXE chains to instead of the rendered script.",
                TextFormat{Format::chain_url});
        v.field("boot_file", boot_file, "Boot file override for UEFI/BIOS PXE (default: by architecture).");
        v.field("console", console, "Kernel console argument, e.g. ttyAMA0,115200 or tty1.");
        v.field("facility", facility, "Facility (site) label passed to the booted environment.");
        v.field("kernel_args", kernel_args, "Extra kernel command-line arguments.");
        v.field("osie", osie, "The default boot: a kernel and initrd (e.g. Ironic Python Agent).");
    }
};

struct DhcpReservation {
    std::string ip;
    std::string hostname;
    uint32_t lease_time = 0;
    std::string gateway;
    std::vector<std::string> dns;

    template <class V>
    void visit(V& v) {
        v.field("ip", ip, "Static IPv4 address for this device in full DHCP mode.", TextFormat{Format::ipv4});
        v.field("hostname", hostname, "Host name sent in DHCP option 12 (default: the device hostname).");
        v.field("lease_time", lease_time, "Lease time in seconds; 0 = the pool's.", Range{0, 31536000});
        v.field("gateway", gateway, "Router option override.", TextFormat{Format::ipv4});
        v.field("dns", dns, "DNS servers override.", TextFormat{Format::ipv4});
    }
};

struct PowerSettings {
    std::string switch_name;
    uint32_t port = 0;

    template <class V>
    void visit(V& v) {
        v.field("switch", switch_name, "Name of the PoE switch (poe.switches[].name) that powers this device.");
        v.field("port", port, "Switch port that powers this device (0 = none).", Range{0, 1024});
    }
};

struct TalosBoot {
    std::string version;
    std::vector<std::string> extensions;
    std::string overlay;

    template <class V>
    void visit(V& v) {
        v.field("version", version, "Talos version to netboot (e.g. v1.11.1 or latest); empty = no Talos boot.");
        v.field("extensions", extensions, "Official system extensions for the schematic.");
        v.field("overlay", overlay, "Overlay name, e.g. rpi_generic.");
    }
};

// What mb-dhcp observed about the device (state/dhcp/devices/<mac>.json); read-only for operators.
struct Observed {
    std::string serial;
    std::string revision;
    std::string arch;
    std::string client_type;
    std::string ip;
    std::string first_seen;
    std::string last_seen;

    template <class V>
    void visit(V& v) {
        v.field("serial", serial, "Pi serial from DHCP option 97.", TextFormat{Format::pi_serial});
        v.field("revision", revision, "Pi board revision code from DHCP option 97 (hex).");
        v.field("arch", arch, "Last client architecture seen (option 93 name).");
        v.field("client_type", client_type, "Last client class seen (pi-bootloader, uefi-pxe, uefi-http, ipxe...).");
        v.field("ip", ip, "Last address seen or leased.", TextFormat{Format::ipv4});
        v.field("first_seen", first_seen, "RFC 3339 time of the first packet seen.");
        v.field("last_seen", last_seen, "RFC 3339 time of the last packet seen.");
    }
};

struct Record {
    std::string mac;  // colon form; set from the file name, may be repeated inside the file
    std::string name;
    std::string hostname;
    std::string serial;
    std::string model;
    std::map<std::string, std::string> labels;
    NetbootSettings netboot;
    DhcpReservation dhcp;
    PowerSettings power;
    TalosBoot talos;
    Observed observed;

    template <class V>
    void visit(V& v) {
        v.field("mac", mac, "The device's MAC address; must match the file name when given.", TextFormat{Format::mac});
        v.field("name", name, "Stable id (Redfish System Id); default: hostname, else the dashed MAC.");
        v.field("hostname", hostname, "Host name of the device.");
        v.field("serial", serial, "Raspberry Pi serial (TFTP prefix), 8 hex digits.", TextFormat{Format::pi_serial});
        v.field("model", model, "Free-form model description (e.g. Raspberry Pi 4 Model B 8GB).");
        v.field("labels", labels, "Free-form labels (key: value).");
        v.field("netboot", netboot, "Network boot choices.");
        v.field("dhcp", dhcp, "Per-device DHCP settings (full mode).");
        v.field("power", power, "Where the device's power comes from.");
        v.field("talos", talos, "Talos netboot (image factory kernel/initramfs).");
        v.field("observed", observed, "Learned by mb-dhcp (state/dhcp); do not set by hand.");
    }

    // The id used in URLs (Redfish System Id): name, else hostname, else the dashed MAC.
    std::string id() const;
};

}  // namespace mb::device
