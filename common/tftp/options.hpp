#pragma once
// RFC 2347 option negotiation for a read request: which of blksize (2348), tsize and timeout
// (2349) and windowsize (7440) the server accepts, and the OACK that lists exactly those, in the
// stable order blksize, tsize, timeout, windowsize. Unknown options and junk values (atftp's
// "tsize enable") are left out; a request with nothing acceptable gets DATA 1 directly.
#include <cstdint>
#include <optional>
#include <vector>

#include "tftp/packet.hpp"

namespace mb::tftp {

inline constexpr uint32_t kDefaultBlockSize = 512;
inline constexpr uint32_t kMinBlockSize = 8;
inline constexpr uint32_t kMaxBlockSize = 65464;
// IPv4 over Ethernet: 1500 - 20 (IP) - 8 (UDP) - 4 (TFTP header).
inline constexpr uint32_t kEthernetIpv4BlockSize = 1468;
inline constexpr uint32_t kEthernetIpv6BlockSize = 1448;

struct Limits {
    uint32_t max_blksize = kEthernetIpv4BlockSize;  // path MTU clamp
    uint16_t max_windowsize = 32;                   // dnsmasq's cap; values above 64 broke clients
    bool blksize = true;                            // per-option switches (like dnsmasq tftp-no-blocksize)
    bool tsize = true;
    bool timeout = true;
    bool windowsize = true;
    // tsize for a 0-byte file: curl (7.88) rejects "tsize 0" in an OACK as invalid, so by default an
    // empty file is sent without tsize (RFC 2349 lets the server decline the option).
    bool tsize_for_empty = false;
};

struct Negotiated {
    uint32_t blksize = kDefaultBlockSize;
    uint16_t windowsize = 1;
    std::optional<uint8_t> timeout_s;  // the client's retransmit interval, if accepted
    bool tsize = false;                // tsize was requested and is in the OACK
    std::vector<Option> oack;          // empty: no option accepted, send DATA 1 directly
};

// `size` is the exact number of bytes the transfer will send (after rendering); for netascii the
// caller passes nullopt because block offsets no longer map to file offsets, and windowsize is
// refused too.
Negotiated negotiate(const Request& request, std::optional<uint64_t> size, const Limits& limits);

// Negotiation for a write request: blksize and timeout as for reads; tsize (the size the client
// announces) is echoed when it is a number (the caller refuses sizes over its limit first, see
// announced_size); windowsize is never granted for writes, so every block is ACKed.
Negotiated negotiate_write(const Request& request, const Limits& limits);
// The size a WRQ announces with tsize, if any (and numeric).
std::optional<uint64_t> announced_size(const Request& request);

}  // namespace mb::tftp
