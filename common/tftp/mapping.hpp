#pragma once
// Which device asked, and which file it means. Pure: the lookups that need state (serials learned
// by mb-dhcp, leases) come in through IdentityLookup.
//
// Order (design/tftp.md §2.2): a first path component that is a known Pi serial -> that device;
// one that is a dashed MAC -> that device; otherwise the client's source IP through the leases;
// otherwise no device (shared defaults). A prefix that names no known device is stripped, so an
// unknown `<serial>/start4.elf` is answered from the shared root and the Pi keeps its prefix.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "device/mac.hpp"

namespace mb::tftp {

struct IdentityLookup {
    std::function<std::optional<device::Mac>(std::string_view serial)> by_serial;  // 8 lower-case hex
    std::function<std::optional<device::Mac>(std::string_view ip)> by_ip;
};

enum class IdentitySource { none, serial, mac_prefix, source_ip };
std::string_view identity_source_name(IdentitySource s);

struct MappedRequest {
    std::optional<device::Mac> mac;
    IdentitySource via = IdentitySource::none;
    std::string prefix;    // the stripped first component ("5b154510", "dc-a6-32-01-02-03") or ""
    std::string relative;  // the file within the device's view ("config.txt", "overlays/x.dtbo")
};

// `normalized` comes from normalize_name().
MappedRequest map_request(const std::string& normalized, std::string_view client_ip, const IdentityLookup& lookup);

// True for exactly 8 hex digits (the EEPROM's default TFTP_PREFIX), any case.
bool looks_like_serial(std::string_view s);
// True for exactly the lower- or upper-case dashed MAC form "dc-a6-32-01-02-03".
std::optional<device::Mac> parse_dashed_mac(std::string_view s);

}  // namespace mb::tftp
