#include "pcap/pcap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace mb::pcap {

namespace {

struct Reader {
    std::span<const uint8_t> b;
    bool swap = false;
    uint32_t u32(size_t at) const {
        if (at + 4 > b.size()) throw data_error(fmt::format("capture truncated at offset {}", at));
        uint32_t v = uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24;
        return swap ? __builtin_bswap32(v) : v;
    }
    uint16_t u16(size_t at) const {
        if (at + 2 > b.size()) throw data_error(fmt::format("capture truncated at offset {}", at));
        uint16_t v = static_cast<uint16_t>(b[at] | b[at + 1] << 8);
        return swap ? __builtin_bswap16(v) : v;
    }
};

std::vector<Frame> parse_classic(std::span<const uint8_t> b) {
    Reader r{b};
    uint32_t magic = r.u32(0);
    bool nsec = false;
    if (magic == 0xa1b2c3d4) {
    } else if (magic == 0xd4c3b2a1) {
        r.swap = true;
    } else if (magic == 0xa1b23c4d) {
        nsec = true;
    } else if (magic == 0x4d3cb2a1) {
        nsec = true;
        r.swap = true;
    }
    if (b.size() < 24) throw data_error("capture truncated: the pcap file header needs 24 bytes");
    uint32_t linktype = r.u32(20) & 0x0fffffff;
    std::vector<Frame> frames;
    size_t at = 24;
    while (at < b.size()) {
        if (at + 16 > b.size()) throw data_error(fmt::format("pcap record header truncated at offset {}", at));
        Frame f;
        f.ts_sec = r.u32(at);
        uint32_t frac = r.u32(at + 4);
        f.ts_usec = nsec ? frac / 1000 : frac;
        uint32_t incl = r.u32(at + 8);
        f.orig_len = r.u32(at + 12);
        f.linktype = linktype;
        if (incl > 262144 || at + 16 + incl > b.size())
            throw data_error(fmt::format("pcap record at offset {}: captured length {} runs past the end", at, incl));
        f.data.assign(b.begin() + at + 16, b.begin() + at + 16 + incl);
        frames.push_back(std::move(f));
        at += 16 + incl;
    }
    return frames;
}

std::vector<Frame> parse_pcapng(std::span<const uint8_t> b) {
    Reader r{b};
    std::vector<Frame> frames;
    struct Iface {
        uint32_t linktype;
        uint64_t units_per_sec;
    };
    std::vector<Iface> ifaces;
    size_t at = 0;
    while (at + 12 <= b.size()) {
        uint32_t type = r.u32(at);
        if (type == 0x0a0d0d0a) {  // section header: byte order magic decides
            uint32_t bom = uint32_t{b[at + 8]} | uint32_t{b[at + 9]} << 8 | uint32_t{b[at + 10]} << 16 |
                           uint32_t{b[at + 11]} << 24;
            if (bom == 0x1a2b3c4d)
                r.swap = false;
            else if (bom == 0x4d3c2b1a)
                r.swap = true;
            else
                throw data_error(fmt::format("pcapng section at offset {}: bad byte-order magic", at));
            ifaces.clear();
        }
        uint32_t len = r.u32(at + 4);
        if (len < 12 || len % 4 || at + len > b.size())
            throw data_error(fmt::format("pcapng block at offset {}: length {} is invalid", at, len));
        if (type == 1) {  // interface description
            Iface i{r.u16(at + 8), 1000000};
            size_t o = at + 16;
            while (o + 4 <= at + len - 4) {
                uint16_t code = r.u16(o), olen = r.u16(o + 2);
                if (code == 0) break;
                if (code == 9 && olen >= 1 && o + 4 < b.size()) {  // if_tsresol
                    uint8_t v = b[o + 4];
                    uint64_t u = 1;
                    if (v & 0x80)
                        for (int k = 0; k < (v & 0x7f) && k < 63; ++k) u *= 2;
                    else
                        for (int k = 0; k < v && k < 19; ++k) u *= 10;
                    i.units_per_sec = u;
                }
                o += 4 + ((olen + 3u) & ~3u);
            }
            ifaces.push_back(i);
        } else if (type == 6) {  // enhanced packet
            uint32_t id = r.u32(at + 8);
            if (id >= ifaces.size())
                throw data_error(fmt::format("pcapng packet at offset {}: unknown interface {}", at, id));
            uint64_t ts = uint64_t{r.u32(at + 12)} << 32 | r.u32(at + 16);
            uint32_t incl = r.u32(at + 20);
            if (28 + uint64_t{incl} > len)
                throw data_error(
                    fmt::format("pcapng packet at offset {}: captured length {} runs past the block", at, incl));
            Frame f;
            f.linktype = ifaces[id].linktype;
            f.ts_sec = static_cast<int64_t>(ts / ifaces[id].units_per_sec);
            f.ts_usec = static_cast<uint32_t>((ts % ifaces[id].units_per_sec) * 1000000 / ifaces[id].units_per_sec);
            f.orig_len = r.u32(at + 24);
            f.data.assign(b.begin() + at + 28, b.begin() + at + 28 + incl);
            frames.push_back(std::move(f));
        } else if (type == 3 && !ifaces.empty()) {  // simple packet
            Frame f;
            f.linktype = ifaces[0].linktype;
            f.orig_len = r.u32(at + 8);
            uint32_t incl = std::min<uint32_t>(f.orig_len, len - 16);
            f.data.assign(b.begin() + at + 12, b.begin() + at + 12 + incl);
            frames.push_back(std::move(f));
        }
        at += len;
    }
    if (at != b.size()) throw data_error(fmt::format("pcapng truncated at offset {}", at));
    return frames;
}

uint16_t be16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t be32(std::span<const uint8_t> b, size_t at) {
    return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

uint32_t csum_add(uint32_t sum, std::span<const uint8_t> d) {
    for (size_t i = 0; i + 1 < d.size(); i += 2) sum += uint32_t{d[i]} << 8 | d[i + 1];
    if (d.size() % 2) sum += uint32_t{d.back()} << 8;
    return sum;
}
uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}
void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}

}  // namespace

std::vector<Frame> parse(std::span<const uint8_t> b) {
    if (b.size() < 4) throw data_error("capture truncated: no file header");
    uint32_t m = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    if (m == 0x0a0d0d0a) return parse_pcapng(b);
    if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) return parse_classic(b);
    throw data_error(fmt::format("not a pcap or pcapng file (magic {:08x} at offset 0)", m));
}

std::vector<Frame> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw no_input(fmt::format("{}: cannot open capture", path));
    Bytes data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
        return parse(data);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", path, e.what()));
    }
}

std::optional<UdpDatagram> decode_udp(uint32_t linktype, std::span<const uint8_t> f) {
    UdpDatagram u;
    size_t ip = 0;
    uint16_t ethertype = 0;
    switch (linktype) {
        case kEthernet:
            if (f.size() < 14) return std::nullopt;
            std::copy_n(f.begin(), 6, u.dst_mac.begin());
            std::copy_n(f.begin() + 6, 6, u.src_mac.begin());
            ethertype = be16(f, 12);
            ip = 14;
            while ((ethertype == 0x8100 || ethertype == 0x88a8) && f.size() >= ip + 4) {
                ethertype = be16(f, ip + 2);
                ip += 4;
            }
            break;
        case kLinuxSll:  // 16-byte header: type, hatype, halen, addr[8], protocol
            if (f.size() < 16) return std::nullopt;
            if (be16(f, 4) == 6) std::copy_n(f.begin() + 6, 6, u.src_mac.begin());
            ethertype = be16(f, 14);
            ip = 16;
            break;
        case kLinuxSll2:  // 20-byte header: protocol, reserved, ifindex, hatype, pkttype, halen, addr[8]
            if (f.size() < 20) return std::nullopt;
            ethertype = be16(f, 0);
            if (f[11] == 6) std::copy_n(f.begin() + 12, 6, u.src_mac.begin());
            ip = 20;
            break;
        case kRaw:
        case kIpv4: ethertype = 0x0800; break;
        default: return std::nullopt;
    }
    if (ethertype != 0x0800 || f.size() < ip + 20) return std::nullopt;
    if ((f[ip] >> 4) != 4) return std::nullopt;
    size_t ihl = (f[ip] & 0x0f) * 4u;
    size_t total = be16(f, ip + 2);
    if (ihl < 20 || total < ihl + 8 || ip + total > f.size()) return std::nullopt;
    if (f[ip + 9] != 17) return std::nullopt;
    if (be16(f, ip + 6) & 0x3fff) return std::nullopt;  // fragment
    u.src_ip = be32(f, ip + 12);
    u.dst_ip = be32(f, ip + 16);
    size_t udp = ip + ihl;
    u.src_port = be16(f, udp);
    u.dst_port = be16(f, udp + 2);
    size_t ulen = be16(f, udp + 4);
    if (ulen < 8 || udp + ulen > ip + total) return std::nullopt;
    u.payload = f.subspan(udp + 8, ulen - 8);
    return u;
}

Bytes build_ipv4_udp(uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
                     std::span<const uint8_t> payload) {
    Bytes b;
    const uint16_t udp_len = static_cast<uint16_t>(8 + payload.size());
    b.reserve(20 + udp_len);
    b.push_back(0x45);
    b.push_back(0x10);  // low delay, as dnsmasq/Kea use for DHCP
    put16(b, static_cast<uint16_t>(20 + udp_len));
    put16(b, 0);       // id
    put16(b, 0x4000);  // DF
    b.push_back(64);
    b.push_back(17);
    put16(b, 0);
    put32(b, src_ip);
    put32(b, dst_ip);
    uint16_t ipsum = csum_fold(csum_add(0, b));
    b[10] = static_cast<uint8_t>(ipsum >> 8);
    b[11] = static_cast<uint8_t>(ipsum);
    put16(b, sport);
    put16(b, dport);
    put16(b, udp_len);
    put16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    uint32_t sum = csum_add(0, std::span<const uint8_t>(b.data() + 12, 8));  // pseudo header addresses
    sum += 17 + udp_len;
    sum = csum_add(sum, std::span<const uint8_t>(b.data() + 20, udp_len));
    uint16_t usum = csum_fold(sum);
    if (usum == 0) usum = 0xffff;
    b[26] = static_cast<uint8_t>(usum >> 8);
    b[27] = static_cast<uint8_t>(usum);
    return b;
}

Bytes build_udp_frame(const std::array<uint8_t, 6>& src_mac, const std::array<uint8_t, 6>& dst_mac, uint32_t src_ip,
                      uint32_t dst_ip, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload) {
    Bytes b(dst_mac.begin(), dst_mac.end());
    b.insert(b.end(), src_mac.begin(), src_mac.end());
    b.push_back(0x08);
    b.push_back(0x00);
    auto ip = build_ipv4_udp(src_ip, dst_ip, sport, dport, payload);
    b.insert(b.end(), ip.begin(), ip.end());
    return b;
}

Writer::Writer(const std::string& path, uint32_t linktype) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw io_error(fmt::format("{}: cannot create capture", path), errno);
    Bytes h;
    auto le32 = [&h](uint32_t v) {
        for (int i = 0; i < 4; ++i) h.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    le32(0xa1b2c3d4);
    h.push_back(2);
    h.push_back(0);
    h.push_back(4);
    h.push_back(0);
    le32(0);
    le32(0);
    le32(65535);
    le32(linktype);
    std::fwrite(h.data(), 1, h.size(), f_);
    std::fflush(f_);
}

Writer::~Writer() {
    if (f_) std::fclose(f_);
}

void Writer::write(int64_t ts_sec, uint32_t ts_usec, std::span<const uint8_t> frame) {
    uint32_t rec[4] = {static_cast<uint32_t>(ts_sec), ts_usec, static_cast<uint32_t>(frame.size()),
                       static_cast<uint32_t>(frame.size())};
    std::fwrite(rec, 1, sizeof rec, f_);  // host order = little-endian on every platform we build for
    std::fwrite(frame.data(), 1, frame.size(), f_);
    std::fflush(f_);
}

}  // namespace mb::pcap
