#include "dhcp/packet.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace mb::dhcp {

namespace {

uint32_t rd32(std::span<const uint8_t> b, size_t at) {
    return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}
void put32(Bytes& out, uint32_t v) {
    out.push_back(static_cast<uint8_t>(v >> 24));
    out.push_back(static_cast<uint8_t>(v >> 16));
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

std::string cstring_field(std::span<const uint8_t> b) {
    size_t n = 0;
    while (n < b.size() && b[n] != 0) ++n;
    return std::string(reinterpret_cast<const char*>(b.data()), n);
}

// Parses one option area [begin, end) of `wire`, appending to (or concatenating into) `opts`.
void parse_area(std::span<const uint8_t> wire, size_t begin, size_t end, std::string_view area,
                std::vector<Option>& opts) {
    size_t i = begin;
    while (i < end) {
        uint8_t code = wire[i];
        if (code == opt::pad) {
            ++i;
            continue;
        }
        if (code == opt::end) return;
        if (i + 1 >= end)
            throw data_error(fmt::format("DHCP {}: option {} at offset {} has no length byte", area, code, i));
        size_t len = wire[i + 1];
        if (i + 2 + len > end)
            throw data_error(fmt::format("DHCP {}: option {} at offset {} has length {} but only {} bytes remain", area,
                                         code, i, len, end - i - 2));
        auto it = std::find_if(opts.begin(), opts.end(), [&](const Option& o) { return o.code == code; });
        if (it == opts.end()) {
            opts.push_back(Option{code, Bytes(wire.begin() + i + 2, wire.begin() + i + 2 + len)});
        } else {  // RFC 3396: concatenate instances in order
            it->data.insert(it->data.end(), wire.begin() + i + 2, wire.begin() + i + 2 + len);
        }
        i += 2 + len;
    }
}

}  // namespace

std::string_view message_type_name(MessageType t) {
    switch (t) {
        case MessageType::discover: return "DISCOVER";
        case MessageType::offer: return "OFFER";
        case MessageType::request: return "REQUEST";
        case MessageType::decline: return "DECLINE";
        case MessageType::ack: return "ACK";
        case MessageType::nak: return "NAK";
        case MessageType::release: return "RELEASE";
        case MessageType::inform: return "INFORM";
    }
    return "UNKNOWN";
}

Packet Packet::unpack(std::span<const uint8_t> wire) {
    if (wire.size() < kFixedSize + 4)
        throw data_error(fmt::format("DHCP packet truncated: {} bytes, the fixed header and magic cookie need {}",
                                     wire.size(), kFixedSize + 4));
    Packet p;
    p.op = wire[0];
    p.htype = wire[1];
    p.hlen = wire[2];
    p.hops = wire[3];
    if (p.op != 1 && p.op != 2) throw data_error(fmt::format("DHCP field op at offset 0: invalid value {}", p.op));
    if (p.hlen > 16) throw data_error(fmt::format("DHCP field hlen at offset 2: {} exceeds 16", p.hlen));
    p.xid = rd32(wire, 4);
    p.secs = static_cast<uint16_t>(wire[8] << 8 | wire[9]);
    p.flags = static_cast<uint16_t>(wire[10] << 8 | wire[11]);
    p.ciaddr = rd32(wire, 12);
    p.yiaddr = rd32(wire, 16);
    p.siaddr = rd32(wire, 20);
    p.giaddr = rd32(wire, 24);
    std::copy_n(wire.begin() + 28, 16, p.chaddr.begin());
    uint32_t cookie = rd32(wire, kFixedSize);
    if (cookie != kMagicCookie)
        throw data_error(fmt::format("DHCP magic cookie at offset {}: {:08x}, expected 63825363", kFixedSize, cookie));
    parse_area(wire, kFixedSize + 4, wire.size(), "options", p.options_);
    auto ov =
        std::find_if(p.options_.begin(), p.options_.end(), [](const Option& o) { return o.code == opt::overload; });
    if (ov != p.options_.end()) {
        if (ov->data.size() != 1 || ov->data[0] < 1 || ov->data[0] > 3)
            throw data_error(fmt::format("DHCP option 52 (overload): invalid value of {} bytes", ov->data.size()));
        p.overloaded = ov->data[0];
        p.options_.erase(ov);
        // RFC 3396 order: options field, then file, then sname.
        if (p.overloaded & 1) parse_area(wire, 108, 236, "file (overloaded)", p.options_);
        if (p.overloaded & 2) parse_area(wire, 44, 108, "sname (overloaded)", p.options_);
        if (p.has(opt::overload)) throw data_error("DHCP option 52 (overload) repeated inside an overloaded field");
    }
    if (!(p.overloaded & 2)) p.sname = cstring_field(wire.subspan(44, 64));
    if (!(p.overloaded & 1)) p.file = cstring_field(wire.subspan(108, 128));
    return p;
}

Bytes Packet::pack(size_t max_size) const {
    if (sname.size() > 63) throw data_error(fmt::format("DHCP sname of {} bytes exceeds 63", sname.size()));
    if (file.size() > 127) throw data_error(fmt::format("DHCP file of {} bytes exceeds 127", file.size()));
    Bytes out;
    out.reserve(kMinMessageSize);
    out.push_back(op);
    out.push_back(htype);
    out.push_back(hlen);
    out.push_back(hops);
    put32(out, xid);
    out.push_back(static_cast<uint8_t>(secs >> 8));
    out.push_back(static_cast<uint8_t>(secs));
    out.push_back(static_cast<uint8_t>(flags >> 8));
    out.push_back(static_cast<uint8_t>(flags));
    put32(out, ciaddr);
    put32(out, yiaddr);
    put32(out, siaddr);
    put32(out, giaddr);
    out.insert(out.end(), chaddr.begin(), chaddr.end());
    out.insert(out.end(), sname.begin(), sname.end());
    out.resize(44 + 64, 0);
    out.insert(out.end(), file.begin(), file.end());
    out.resize(kFixedSize, 0);
    put32(out, kMagicCookie);
    auto emit = [&out](const Option& o) {
        size_t off = 0;
        do {  // RFC 3396: split long options; an empty option is one instance of length 0
            size_t n = std::min<size_t>(255, o.data.size() - off);
            out.push_back(o.code);
            out.push_back(static_cast<uint8_t>(n));
            out.insert(out.end(), o.data.begin() + off, o.data.begin() + off + n);
            off += n;
        } while (off < o.data.size());
    };
    if (const Bytes* mt = get(opt::message_type)) emit(Option{opt::message_type, *mt});
    for (const auto& o : options_)
        if (o.code != opt::message_type && o.code != opt::pad && o.code != opt::end) emit(o);
    out.push_back(opt::end);
    if (out.size() > max_size)
        throw data_error(
            fmt::format("DHCP reply of {} bytes exceeds the client's maximum of {}", out.size(), max_size));
    if (out.size() < kMinBootpSize) out.resize(kMinBootpSize, 0);
    return out;
}

std::array<uint8_t, 6> Packet::mac() const {
    std::array<uint8_t, 6> m{};
    std::copy_n(chaddr.begin(), 6, m.begin());
    return m;
}

const Bytes* Packet::get(uint8_t code) const {
    for (const auto& o : options_)
        if (o.code == code) return &o.data;
    return nullptr;
}

void Packet::set(uint8_t code, Bytes data) {
    for (auto& o : options_)
        if (o.code == code) {
            o.data = std::move(data);
            return;
        }
    options_.push_back(Option{code, std::move(data)});
}

void Packet::remove(uint8_t code) {
    std::erase_if(options_, [code](const Option& o) { return o.code == code; });
}

void Packet::set_u16(uint8_t code, uint16_t v) {
    set(code, Bytes{static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)});
}

void Packet::set_u32(uint8_t code, uint32_t v) {
    Bytes b;
    put32(b, v);
    set(code, std::move(b));
}

void Packet::set_ips(uint8_t code, const std::vector<Ipv4>& ips) {
    Bytes b;
    for (Ipv4 ip : ips) put32(b, ip);
    set(code, std::move(b));
}

std::optional<uint8_t> Packet::get_u8(uint8_t code) const {
    const Bytes* b = get(code);
    if (!b || b->size() != 1) return std::nullopt;
    return (*b)[0];
}

std::optional<uint16_t> Packet::get_u16(uint8_t code) const {
    const Bytes* b = get(code);
    if (!b || b->size() != 2) return std::nullopt;
    return static_cast<uint16_t>((*b)[0] << 8 | (*b)[1]);
}

std::optional<uint32_t> Packet::get_u32(uint8_t code) const {
    const Bytes* b = get(code);
    if (!b || b->size() != 4) return std::nullopt;
    return rd32(*b, 0);
}

std::optional<std::string> Packet::get_string(uint8_t code) const {
    const Bytes* b = get(code);
    if (!b) return std::nullopt;
    return std::string(b->begin(), b->end());
}

std::optional<MessageType> Packet::message_type() const {
    auto v = get_u8(opt::message_type);
    if (!v || *v < 1 || *v > 8) return std::nullopt;
    return static_cast<MessageType>(*v);
}

}  // namespace mb::dhcp
