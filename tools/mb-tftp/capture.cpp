#include "capture.hpp"

#include <pcap/pcap.h>
#include <sys/time.h>

#include <vector>

#include "core/error.hpp"

namespace mb::tftp {

Capture::Capture(const std::string& path) {
    pcap_ = pcap_open_dead(DLT_RAW, 65535);
    if (!pcap_) throw io_error("cannot start a packet capture");
    dumper_ = pcap_dump_open(pcap_, path.c_str());
    if (!dumper_) {
        std::string msg = pcap_geterr(pcap_);
        pcap_close(pcap_);
        throw Error(kExitCantCreate, path + ": cannot write capture: " + msg);
    }
}

Capture::~Capture() {
    if (dumper_) pcap_dump_close(dumper_);
    if (pcap_) pcap_close(pcap_);
}

void Capture::write(uint32_t src_ip, uint16_t src_port, uint32_t dst_ip, uint16_t dst_port,
                    std::span<const uint8_t> payload) {
    const size_t len = 28 + payload.size();
    if (len > 65535) return;
    std::vector<uint8_t> pkt(len);
    auto put16 = [&](size_t at, uint32_t v) {
        pkt[at] = static_cast<uint8_t>(v >> 8);
        pkt[at + 1] = static_cast<uint8_t>(v);
    };
    auto put32 = [&](size_t at, uint32_t v) {
        put16(at, v >> 16);
        put16(at + 2, v & 0xffff);
    };
    pkt[0] = 0x45;
    put16(2, static_cast<uint32_t>(len));
    put16(4, ip_id_++);
    put16(6, 0x4000);  // DF
    pkt[8] = 64;
    pkt[9] = 17;
    put32(12, src_ip);
    put32(16, dst_ip);
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(pkt[i] << 8 | pkt[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    put16(10, ~sum & 0xffff);
    put16(20, src_port);
    put16(22, dst_port);
    put16(24, static_cast<uint32_t>(8 + payload.size()));
    put16(26, 0);  // UDP checksum optional over IPv4
    std::copy(payload.begin(), payload.end(), pkt.begin() + 28);
    struct pcap_pkthdr h {};
    gettimeofday(&h.ts, nullptr);
    h.caplen = h.len = static_cast<bpf_u_int32>(len);
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, pkt.data());
}

void Capture::flush() {
    if (dumper_) pcap_dump_flush(dumper_);
}

}  // namespace mb::tftp
