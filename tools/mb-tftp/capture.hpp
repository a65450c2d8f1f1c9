#pragma once
// `serve --capture FILE`: every TFTP datagram mb-tftp sends or receives, written as raw IPv4/UDP
// packets (LINKTYPE_RAW) with libpcap, readable by tshark and `mb-tftp decode`.
#include <cstdint>
#include <span>
#include <string>

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace mb::tftp {

class Capture {
public:
    explicit Capture(const std::string& path);
    ~Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    // Addresses in host byte order.
    void write(uint32_t src_ip, uint16_t src_port, uint32_t dst_ip, uint16_t dst_port, std::span<const uint8_t> payload);
    void flush();

private:
    pcap_t* pcap_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    uint16_t ip_id_ = 0;
};

}  // namespace mb::tftp
