#pragma once
// Packet captures of boot traffic: read classic pcap (either byte order, µs or ns) and pcapng
// files into frames with timestamps, write classic pcap, and decode/encode the Ethernet (802.1Q),
// Linux cooked (SLL, SLL2) or raw IPv4 → UDP layers that DHCP and TFTP live in. Pure except
// read_file() and Writer.
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mb::pcap {

using Bytes = std::vector<uint8_t>;

enum LinkType : uint32_t { kEthernet = 1, kRaw = 101, kLinuxSll = 113, kIpv4 = 228, kLinuxSll2 = 276 };

struct Frame {
    int64_t ts_sec = 0;
    uint32_t ts_usec = 0;
    uint32_t linktype = kEthernet;
    uint32_t orig_len = 0;
    Bytes data;
};

// Throws mb::Error(kExitDataErr) naming the offset on a malformed capture.
std::vector<Frame> parse(std::span<const uint8_t> file);
// Throws mb::Error(kExitNoInput) when the file cannot be read.
std::vector<Frame> read_file(const std::string& path);

struct UdpDatagram {
    std::array<uint8_t, 6> src_mac{}, dst_mac{};  // zero for raw IP captures
    uint32_t src_ip = 0, dst_ip = 0;              // host order
    uint16_t src_port = 0, dst_port = 0;
    std::span<const uint8_t> payload;  // points into the frame
};
// nullopt for anything that is not an unfragmented IPv4/UDP datagram.
std::optional<UdpDatagram> decode_udp(uint32_t linktype, std::span<const uint8_t> frame);

// An Ethernet + IPv4 + UDP frame with valid IP and UDP checksums.
Bytes build_udp_frame(const std::array<uint8_t, 6>& src_mac, const std::array<uint8_t, 6>& dst_mac, uint32_t src_ip,
                      uint32_t dst_ip, uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload);
// IPv4 + UDP only (for IP-level raw sockets).
Bytes build_ipv4_udp(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
                     std::span<const uint8_t> payload);

// Writes a classic (µs, little-endian) pcap file, Ethernet link type; flushed after every frame.
class Writer {
public:
    explicit Writer(const std::string& path, uint32_t linktype = kEthernet);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    void write(int64_t ts_sec, uint32_t ts_usec, std::span<const uint8_t> frame);

private:
    std::FILE* f_ = nullptr;
};

}  // namespace mb::pcap
