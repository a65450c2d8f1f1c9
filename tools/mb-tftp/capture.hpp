#pragma once
// `serve --capture FILE`: every TFTP datagram mb-tftp sends or receives, written as raw IPv4/UDP
// packets (LINKTYPE_RAW) through common/pcap, readable by tshark and `mb-tftp decode`.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pcap/pcap.hpp"

namespace mb::tftp {

class Capture {
public:
    explicit Capture(const std::string& path);
    ~Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    // Addresses in host byte order.
    void write(uint32_t src_ip, uint16_t src_port, uint32_t dst_ip, uint16_t dst_port,
               std::span<const uint8_t> payload);

private:
    std::unique_ptr<pcap::Writer> writer_;
};

}  // namespace mb::tftp
