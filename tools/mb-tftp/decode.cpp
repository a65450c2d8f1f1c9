// `mb-tftp decode FILE.pcap`: reconstructs TFTP transfers from a capture (Ethernet, Linux cooked
// v1/v2, raw IP or loopback link types; IPv4/UDP): file, mode, options asked and granted, blocks,
// bytes, retransmitted DATA, duplicate ACKs, errors, duration and throughput.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "pcap/pcap.hpp"
#include "tftp/packet.hpp"
#include "verbs.hpp"

namespace mb::tftp {

namespace {

struct Endpoint {
    uint32_t ip = 0;
    uint16_t port = 0;
    auto operator<=>(const Endpoint&) const = default;
};

std::string ip_text(uint32_t ip) {
    return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}
std::string ep_text(const Endpoint& e) {
    return fmt::format("{}:{}", ip_text(e.ip), e.port);
}

struct Stamp {
    int64_t tv_sec = 0;
    uint32_t tv_usec = 0;
};

std::string iso_time(const Stamp& tv) {
    char buf[40];
    struct tm tm {};
    time_t secs = static_cast<time_t>(tv.tv_sec);
    gmtime_r(&secs, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03d}Z", buf, static_cast<int>(tv.tv_usec / 1000));
}

double seconds(const Stamp& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
}

struct Flow {
    Endpoint client;
    Endpoint server;  // the server's TID once known (request port until then)
    std::string opcode;
    std::string file;
    std::string mode;
    nlohmann::ordered_json requested = nlohmann::ordered_json::object();
    nlohmann::ordered_json granted = nlohmann::ordered_json::object();
    Stamp start{};
    Stamp end{};
    uint64_t bytes = 0;
    uint64_t blocks = 0;
    uint64_t retransmits = 0;
    uint64_t duplicate_acks = 0;
    uint64_t requests = 0;
    uint32_t blksize = 512;
    bool last_seen = false;
    bool last_acked = false;
    uint64_t max_block = 0;  // 64-bit block counter (rollover aware)
    uint16_t last_wire = 0;
    uint64_t rollovers = 0;
    std::set<uint64_t> seen;
    std::optional<uint16_t> last_ack;
    std::string error;
    std::string error_from;
    int error_code = -1;
};

nlohmann::ordered_json flow_json(const Flow& f) {
    nlohmann::ordered_json j;
    j["client"] = ep_text(f.client);
    j["server"] = ep_text(f.server);
    j["opcode"] = f.opcode;
    j["file"] = f.file;
    j["mode"] = f.mode;
    j["options_requested"] = f.requested;
    j["options_granted"] = f.granted;
    j["start"] = iso_time(f.start);
    const double secs = std::max(0.0, seconds(f.end) - seconds(f.start));
    j["seconds"] = std::round(secs * 1e6) / 1e6;
    j["requests"] = f.requests;
    j["blocks"] = f.seen.size();
    j["bytes"] = f.bytes;
    j["retransmits"] = f.retransmits;
    j["duplicate_acks"] = f.duplicate_acks;
    j["rollovers"] = f.rollovers;
    std::string outcome;
    if (f.error_code >= 0) {
        const bool probe = f.seen.empty() && f.error_from == "client" && (f.error_code == 0 || f.error_code == 8);
        outcome = probe ? "probe" : "error";
        j["error_code"] = f.error_code;
        j["error"] = f.error;
        j["error_from"] = f.error_from;
    } else if (f.last_seen) {
        outcome = f.last_acked ? "completed" : "completed-unacked";
    } else {
        outcome = f.seen.empty() ? "no-data" : "incomplete";
    }
    j["outcome"] = outcome;
    if (secs > 0 && f.bytes > 0) j["throughput_bps"] = std::round(static_cast<double>(f.bytes) / secs);
    return j;
}

}  // namespace

nlohmann::ordered_json decode_capture(const std::string& path, uint16_t server_port) {
    std::vector<pcap::Frame> frames;
    try {
        frames = pcap::read_file(path);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("{}: {}", path, e.what()));
    }
    std::vector<Flow> flows;
    std::map<Endpoint, size_t> by_client;  // client TID -> index of its live flow
    uint64_t packets = 0, tftp_packets = 0;
    for (const auto& frame : frames) {
        packets++;
        auto udp = pcap::decode_udp(frame.linktype, frame.data);
        if (!udp) continue;
        const Endpoint src{udp->src_ip, udp->src_port};
        const Endpoint dst{udp->dst_ip, udp->dst_port};
        const Stamp ts{frame.ts_sec, frame.ts_usec};
        const std::span<const uint8_t> bytes = udp->payload;
        if (bytes.size() < 2) continue;
        const uint16_t op = static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
        if (dst.port == server_port && (op == 1 || op == 2)) {
            Decoded d = decode(bytes);
            auto* p = std::get_if<Packet>(&d);
            if (!p) continue;
            const auto& r = std::get<Request>(*p);
            tftp_packets++;
            auto it = by_client.find(src);
            if (it != by_client.end() && flows[it->second].file == r.filename && flows[it->second].seen.empty() &&
                flows[it->second].error_code < 0) {
                flows[it->second].requests++;  // a retransmitted request
                flows[it->second].end = ts;
                continue;
            }
            Flow f;
            f.client = src;
            f.server = dst;
            f.opcode = r.opcode == Opcode::rrq ? "RRQ" : "WRQ";
            f.file = r.filename;
            f.mode = std::string(mode_name(r.mode));
            for (const auto& o : r.options) f.requested[o.name] = o.value;
            f.start = f.end = ts;
            f.requests = 1;
            flows.push_back(std::move(f));
            by_client[src] = flows.size() - 1;
            continue;
        }
        // Packets to or from a known client TID.
        const bool from_client = by_client.count(src) > 0;
        const bool to_client = by_client.count(dst) > 0;
        if (!from_client && !to_client) continue;
        Flow& f = flows[by_client[from_client ? src : dst]];
        Decoded d = decode(bytes);
        auto* p = std::get_if<Packet>(&d);
        if (!p) continue;
        tftp_packets++;
        f.end = ts;
        if (to_client) f.server = src;
        if (auto* o = std::get_if<OackPacket>(p)) {
            for (const auto& opt : o->options) {
                f.granted[opt.name] = opt.value;
                if (opt.name == "blksize")
                    f.blksize = static_cast<uint32_t>(std::strtoul(opt.value.c_str(), nullptr, 10));
            }
        } else if (auto* dp = std::get_if<DataPacket>(p)) {
            // 64-bit block: follow the wire counter forward through rollovers.
            uint64_t block;
            if (f.seen.empty()) {
                block = dp->block;
            } else {
                const uint16_t delta = static_cast<uint16_t>(dp->block - f.last_wire);
                if (delta < 0x8000) {
                    block = f.max_block + delta;
                } else {
                    block = f.max_block - static_cast<uint16_t>(f.last_wire - dp->block);
                }
            }
            if (block > f.max_block) {
                if (dp->block < f.last_wire) f.rollovers++;
                f.max_block = block;
                f.last_wire = dp->block;
            }
            if (!f.seen.insert(block).second) {
                f.retransmits++;
            } else {
                f.bytes += dp->payload.size();
            }
            if (dp->payload.size() < f.blksize) f.last_seen = true;
        } else if (auto* a = std::get_if<AckPacket>(p)) {
            if (f.last_ack && *f.last_ack == a->block) f.duplicate_acks++;
            f.last_ack = a->block;
            if (f.last_seen && a->block == f.last_wire) f.last_acked = true;
        } else if (auto* e = std::get_if<ErrorPacket>(p)) {
            f.error_code = e->code;
            f.error = e->message;
            f.error_from = from_client ? "client" : "server";
        }
    }
    nlohmann::ordered_json out;
    out["capture"] = path;
    out["packets"] = packets;
    out["tftp_packets"] = tftp_packets;
    out["transfers"] = nlohmann::ordered_json::array();
    for (const auto& f : flows) out["transfers"].push_back(flow_json(f));
    return out;
}

}  // namespace mb::tftp
