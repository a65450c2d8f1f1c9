// Fuzz target: the DHCPv4 packet parser (fixed header, cookie, options with RFC 3396
// concatenation, option overload) and everything that renders a parsed packet; also the ICMP echo
// reply parser of the address probe (it reads whatever arrives on the ICMP socket).
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/options.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/ping.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mb::dhcp;
    (void)parse_echo_reply(std::span<const uint8_t>(data, size), true);
    (void)parse_echo_reply(std::span<const uint8_t>(data, size), false);
    Packet p;
    try {
        p = Packet::unpack(std::span<const uint8_t>(data, size));
    } catch (const mb::Error&) {
        return 0;
    }
    (void)packet_to_json(p).dump();
    (void)client_arch(p);
    (void)client_nii(p);
    for (const auto& o : p.options()) {
        (void)parse_suboptions(o.data);
        (void)parse_user_class(o.data);
        (void)pi_identity(o.data);
        (void)client_uuid(o.data);
    }
    // whatever parsed must pack, and the packed form must parse back to the same options
    Bytes wire;
    try {
        wire = p.pack(65535);
    } catch (const mb::Error&) {
        return 0;  // sname/file longer than their fields after overload: refused, not crashed
    }
    Packet q = Packet::unpack(wire);
    if (q.options().size() != p.options().size()) __builtin_trap();
    for (const auto& o : p.options()) {
        const Bytes* b = q.get(o.code);
        if (o.code != opt::pad && o.code != opt::end && (!b || *b != o.data)) __builtin_trap();
    }
    return 0;
}
