#include "verbs.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "config/file_lock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "dhcp/classify.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/service.hpp"
#include "log/log.hpp"
#include "pcap/pcap.hpp"
#include "store.hpp"

namespace mb::dhcp_tool {

namespace {

using ojson = nlohmann::ordered_json;

void print(const ojson& j) {
    cli::print_json(j);
}

bool dhcp_port(uint16_t p) {
    return p == 67 || p == 68 || p == 4011;
}

struct Datagram {
    size_t frame;  // 1-based, like tshark
    double time;   // seconds since the first frame
    int64_t epoch;
    pcap::UdpDatagram udp;
};

std::vector<Datagram> dhcp_datagrams(const std::vector<pcap::Frame>& frames) {
    std::vector<Datagram> out;
    for (size_t i = 0; i < frames.size(); ++i) {
        auto u = pcap::decode_udp(frames[i].linktype, frames[i].data);
        if (!u || !(dhcp_port(u->src_port) && dhcp_port(u->dst_port))) continue;
        double t = static_cast<double>(frames[i].ts_sec - frames[0].ts_sec) +
                   (static_cast<double>(frames[i].ts_usec) - frames[0].ts_usec) / 1e6;
        out.push_back(Datagram{i + 1, t, frames[i].ts_sec, *u});
    }
    return out;
}

std::string endpoint(dhcp::Ipv4 ip, uint16_t port) {
    return fmt::format("{}:{}", dhcp::ip_str(ip), port);
}

ojson summary(const dhcp::Packet& p, const dhcp::ClassifyConfig& cc) {
    ojson j;
    auto mt = p.message_type();
    j["type"] = mt ? std::string(dhcp::message_type_name(*mt)) : "BOOTP";
    j["chaddr"] = dhcp::mac_str(p.mac());
    j["xid"] = fmt::format("0x{:08x}", p.xid);
    if (p.op == 1) {
        auto c = dhcp::classify(p, cc);
        j["class"] = std::string(dhcp::class_name(c.cls));
        if (c.arch) j["arch"] = std::string(dhcp::arch_name(*c.arch));
        if (c.pi) {
            j["pi_serial"] = fmt::format("{:08x}", c.pi->serial);
            j["pi_revision"] = fmt::format("{:06x}", c.pi->revision);
        }
        if (!c.note.empty()) j["note"] = c.note;
    }
    return j;
}

void print_text_options(const ojson& pj) {
    for (const auto& [k, v] : pj["options"].items())
        std::cout << "    " << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    for (const char* f : {"ciaddr", "yiaddr", "siaddr", "giaddr"})
        if (pj[f] != "0.0.0.0") std::cout << "    " << f << ": " << pj[f].get<std::string>() << "\n";
    if (!pj["file"].get<std::string>().empty()) std::cout << "    file: " << pj["file"].get<std::string>() << "\n";
    if (!pj["sname"].get<std::string>().empty()) std::cout << "    sname: " << pj["sname"].get<std::string>() << "\n";
}

std::string describe_line(const Datagram& d, const ojson& s) {
    std::string line =
        fmt::format("#{} {:.6f} {} → {} {} {} xid {}", d.frame, d.time, endpoint(d.udp.src_ip, d.udp.src_port),
                    endpoint(d.udp.dst_ip, d.udp.dst_port), s["type"].get<std::string>(),
                    s["chaddr"].get<std::string>(), s["xid"].get<std::string>());
    if (s.contains("class")) line += " class=" + s["class"].get<std::string>();
    if (s.contains("arch")) line += " arch=" + s["arch"].get<std::string>();
    if (s.contains("pi_serial")) line += " pi-serial=" + s["pi_serial"].get<std::string>();
    return line;
}

// The lock mb-dhcp serve takes before it merges and rewrites the lease file.
config::FileLock lock_leases(const std::string& lease_path) {
    return config::FileLock(lease_path, config::FileLock::Mode::exclusive, std::chrono::seconds(10));
}

}  // namespace

void decode(const cli::GlobalOptions& g, const std::string& file) {
    auto frames = pcap::read_file(file);
    dhcp::ClassifyConfig cc;
    ojson all = ojson::array();
    size_t malformed = 0;
    for (const auto& d : dhcp_datagrams(frames)) {
        ojson entry;
        entry["frame"] = d.frame;
        entry["time"] = d.time;
        entry["src"] = endpoint(d.udp.src_ip, d.udp.src_port);
        entry["dst"] = endpoint(d.udp.dst_ip, d.udp.dst_port);
        try {
            auto p = dhcp::Packet::unpack(d.udp.payload);
            auto s = summary(p, cc);
            entry.update(s);
            entry["packet"] = dhcp::packet_to_json(p);
            if (g.json) {
                all.push_back(entry);
            } else {
                std::cout << describe_line(d, s) << "\n";
                print_text_options(entry["packet"]);
            }
        } catch (const Error& e) {
            ++malformed;
            entry["error"] = e.what();
            if (g.json)
                all.push_back(entry);
            else
                std::cout << fmt::format("#{} {} → {} malformed: {}\n", d.frame, entry["src"].get<std::string>(),
                                         entry["dst"].get<std::string>(), e.what());
        }
    }
    if (g.json) print(all);
    if (malformed) log::warn("{}: {} malformed DHCP packet(s)", file, malformed);
}

void replay(const cli::GlobalOptions& global, Options o, const CLI::App& cmd, const std::string& file) {
    auto snapshot = global.load();
    o.apply_settings(*snapshot, cmd);
    const Globals g{global.tree().root().string(), global.json};
    auto frames = pcap::read_file(file);
    auto datagrams = dhcp_datagrams(frames);
    dhcp::Ipv4 server = 0;
    if (!o.server_address.empty()) server = dhcp::parse_ip_or_throw(o.server_address, "--server-address");
    dhcp::Ipv4 first_server = 0;  // the source of the first reply in the capture
    for (const auto& d : datagrams)
        if (d.udp.src_port == 67 || d.udp.src_port == 4011) {
            first_server = d.udp.src_ip;
            break;
        }
    Devices devices(snapshot);
    if (!server && !snapshot->settings.server.address.empty())
        server = dhcp::parse_ip_or_throw(snapshot->settings.server.address, "server.address");
    std::unique_ptr<dhcp::LeaseEngine> engine;
    if (o.full()) {
        auto cfg = o.engine_config();
        for (const auto& r : devices.reservations()) cfg.reservations.push_back(r);
        engine = std::make_unique<dhcp::LeaseEngine>(cfg);
        load_leases(*engine, o.lease_path(g), o.declined_path(g), frames.empty() ? 0 : frames[0].ts_sec);
    }
    dhcp::Service service(o.service_config(), engine.get(), [&](const dhcp::Packet& p) { return devices.choices(p); });
    ojson all = ojson::array();
    for (const auto& d : datagrams) {
        if (d.udp.dst_port != 67 && d.udp.dst_port != 4011) continue;
        dhcp::Packet q;
        ojson entry;
        entry["frame"] = d.frame;
        entry["src"] = endpoint(d.udp.src_ip, d.udp.src_port);
        entry["dst"] = endpoint(d.udp.dst_ip, d.udp.dst_port);
        try {
            q = dhcp::Packet::unpack(d.udp.payload);
        } catch (const Error& e) {
            entry["error"] = e.what();
            if (g.json)
                all.push_back(entry);
            else
                std::cout << fmt::format("#{} malformed request: {} (dropped)\n", d.frame, e.what());
            continue;
        }
        if (q.op != 1) continue;
        dhcp::Ipv4 local = server;
        if (!local) local = d.udp.dst_ip != 0xffffffffu ? d.udp.dst_ip : first_server;
        if (!local) throw usage_error(fmt::format("{}: no server address in the capture; give --server-address", file));
        auto s = summary(q, service.config().classify);
        entry.update(s);
        auto out =
            service.handle(q, dhcp::Ingress{local, d.udp.src_ip, d.udp.src_port, d.udp.dst_port == 4011}, d.epoch);
        if (out.reply) {
            try {
                out.reply->pack(dhcp::max_reply_size(q));
            } catch (const Error& e) {
                entry["error"] = e.what();
            }
            auto rt = out.reply->message_type();
            entry["answer"] = rt ? std::string(dhcp::message_type_name(*rt)) : "?";
            entry["destination"] = out.destination.describe();
            entry["reply"] = dhcp::packet_to_json(*out.reply);
        } else {
            entry["answer"] = nullptr;
        }
        if (!out.note.empty()) entry["reason"] = out.note;
        if (g.json) {
            all.push_back(entry);
            continue;
        }
        std::cout << describe_line(d, s) << "\n";
        if (out.reply) {
            std::cout << fmt::format("  → {} to {}\n", entry["answer"].get<std::string>(), out.destination.describe());
            print_text_options(entry["reply"]);
        } else {
            std::cout << "  → no answer" << (out.note.empty() ? "" : ": " + out.note) << "\n";
        }
    }
    if (g.json) print(all);
}

std::string lease_file(const cli::GlobalOptions& g, const std::string& flag) {
    if (!flag.empty()) return flag;
    auto snapshot = g.load(config::LoadOptions{false, false});
    std::filesystem::path p(snapshot->settings.dhcp.lease_file);
    return (p.is_absolute() ? p : snapshot->tree.root() / p).string();
}

void leases_list(const cli::GlobalOptions& g, const std::string& path) {
    std::vector<std::string> warnings;
    bool exists = false;
    auto text = read_text(path, &exists);
    auto f = dhcp::parse_lease_file(text, &warnings);
    for (const auto& w : warnings) log::warn("{}: {}", path, w);
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    ojson all = ojson::array();
    for (const auto& l : f.leases) {
        auto j = lease_json(l, now);
        j["expired"] = !l.infinite() && l.expiry <= now;
        all.push_back(j);
    }
    if (g.json) {
        print(all);
    } else {
        for (const auto& j : all)
            std::cout << fmt::format("{:<17} {:<15} {:<20} {}\n", j["mac"].get<std::string>(),
                                     j["ip"].get<std::string>(),
                                     j["hostname"].is_null() ? "*" : j["hostname"].get<std::string>(),
                                     j["expires"].is_null() ? "never" : j["expires"].get<std::string>());
    }
}

void leases_add(const cli::GlobalOptions& g, const std::string& path, const std::string& mac_text,
                const std::string& ip_text, const std::string& hostname, int64_t lease_seconds) {
    auto mac = device::Mac::parse_or_throw(mac_text);
    dhcp::Lease l;
    l.hwaddr.assign(mac.bytes().begin(), mac.bytes().end());
    l.ip = dhcp::parse_ip_or_throw(ip_text, "IP");
    if (hostname.find_first_of(" \t\n") != std::string::npos)
        throw usage_error(fmt::format("hostname {} contains whitespace", mb::quoted(hostname)));
    l.hostname = hostname;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    l.expiry = lease_seconds > 0 ? now + lease_seconds : 0;
    auto lock = lock_leases(path);
    auto f = dhcp::parse_lease_file(read_text(path));
    std::erase_if(f.leases,
                  [&](const dhcp::Lease& x) { return x.ip == l.ip || (x.hwaddr == l.hwaddr && x.hwtype == 1); });
    f.leases.push_back(l);
    write_atomic(path, dhcp::format_lease_file(f));
    if (g.json) print(lease_json(l, now));
}

void leases_rm(const cli::GlobalOptions& g, const std::string& path, const std::string& what) {
    auto mac = device::Mac::parse(what);
    auto ip = dhcp::parse_ip(what);
    if (!mac && !ip) throw usage_error(fmt::format("{} is neither a MAC nor an IPv4 address", mb::quoted(what)));
    auto lock = lock_leases(path);
    auto f = dhcp::parse_lease_file(read_text(path));
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    ojson removed = ojson::array();
    std::erase_if(f.leases, [&](const dhcp::Lease& x) {
        bool hit = (ip && x.ip == *ip) ||
                   (mac && x.hwtype == 1 && x.hwaddr == dhcp::Bytes(mac->bytes().begin(), mac->bytes().end()));
        if (hit) removed.push_back(lease_json(x, now));
        return hit;
    });
    if (removed.empty()) {
        throw Error(kExitFailure, fmt::format("no lease for {} in {}", what, path));
    }
    write_atomic(path, dhcp::format_lease_file(f));
    if (g.json) print(removed);
}

}  // namespace mb::dhcp_tool
