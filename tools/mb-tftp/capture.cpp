#include "capture.hpp"

#include <chrono>

namespace mb::tftp {

Capture::Capture(const std::string& path) : writer_(std::make_unique<pcap::Writer>(path, pcap::kRaw)) {}

Capture::~Capture() = default;

void Capture::write(uint32_t src_ip, uint16_t src_port, uint32_t dst_ip, uint16_t dst_port,
                    std::span<const uint8_t> payload) {
    if (payload.size() + 28 > 65535) return;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    writer_->write(us / 1000000, static_cast<uint32_t>(us % 1000000),
                   pcap::build_ipv4_udp(src_ip, dst_ip, src_port, dst_port, payload));
}

}  // namespace mb::tftp
