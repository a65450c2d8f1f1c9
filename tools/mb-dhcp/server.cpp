// The only file of mb-dhcp that includes Boost.Asio. Per interface one UDP socket on the server
// port (SO_BINDTODEVICE, IP_PKTINFO, SO_BROADCAST), optionally one on 4011, and one AF_PACKET
// socket for unicast replies to clients that have no address yet (RFC 2131 §4.1).
#include "server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/tool.hpp"
#include "core/error.hpp"
#include "daemon/daemon.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/service.hpp"
#include "log/log.hpp"
#include "pcap/pcap.hpp"
#include "store.hpp"

namespace asio = boost::asio;
using asio::ip::udp;

namespace mb::dhcp_tool {

namespace {

struct IfInfo {
    std::string name;
    dhcp::Ipv4 address = 0;
    std::array<uint8_t, 6> mac{};
};

std::map<int, IfInfo> interfaces_now() {
    std::map<int, IfInfo> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr) continue;
        int idx = static_cast<int>(if_nametoindex(a->ifa_name));
        if (!idx) continue;
        auto& info = out[idx];
        info.name = a->ifa_name;
        if (a->ifa_addr->sa_family == AF_INET && !info.address) {
            info.address = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
        } else if (a->ifa_addr->sa_family == AF_PACKET) {
            auto* ll = reinterpret_cast<sockaddr_ll*>(a->ifa_addr);
            if (ll->sll_halen == 6) std::copy_n(ll->sll_addr, 6, info.mac.begin());
        }
    }
    freeifaddrs(list);
    return out;
}

std::string describe(const dhcp::Packet& q, const dhcp::Outcome& out) {
    const auto mt = q.message_type();
    return fmt::format("{} {} xid 0x{:08x} ({})", mt ? dhcp::message_type_name(*mt) : "BOOTP", dhcp::mac_str(q.mac()),
                       q.xid, dhcp::class_name(out.cls.cls));
}

int64_t epoch_now() {
    return static_cast<int64_t>(std::time(nullptr));
}

// Writes files off the event loop, so fsync never delays a reply. Per path only the newest pending
// content is kept: bursts of lease changes coalesce into one write.
class BackgroundWriter {
public:
    BackgroundWriter() : thread_([this] { loop(); }) {}
    ~BackgroundWriter() {
        {
            std::lock_guard<std::mutex> g(m_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    void submit(std::string path, std::string content, bool sync) {
        {
            std::lock_guard<std::mutex> g(m_);
            pending_[std::move(path)] = {std::move(content), sync};
        }
        cv_.notify_one();
    }

private:
    void loop() {
        for (;;) {
            std::map<std::string, std::pair<std::string, bool>> jobs;
            {
                std::unique_lock<std::mutex> lk(m_);
                cv_.wait(lk, [this] { return stop_ || !pending_.empty(); });
                if (pending_.empty() && stop_) return;
                jobs.swap(pending_);
            }
            for (const auto& [path, job] : jobs) {
                try {
                    write_atomic(path, job.first, job.second);
                } catch (const Error& e) {
                    log::error("cannot write {}: {}", path, e.what());
                }
            }
        }
    }
    std::mutex m_;
    std::condition_variable cv_;
    std::map<std::string, std::pair<std::string, bool>> pending_;
    bool stop_ = false;
    std::thread thread_;
};

class Server {
public:
    Server(asio::io_context& io, const Globals& g, const Options& o)
        : io_(io),
          globals_(g),
          options_(o),
          flush_timer_(io_),
          tick_timer_(io_),
          malformed_limit_(1.0, 5.0),
          refused_limit_(2.0, 10.0) {}
    ~Server();

    // Loads leases, opens the sockets; throws mb::Error (usage, config, unavailable) on failure.
    void start(const daemon::Snapshot& snapshot);
    // A new config snapshot: device choices and reservations apply at once.
    void apply(const daemon::Snapshot& snapshot);
    // Closes the sockets and persists what is pending.
    void stop();

private:
    struct Listener {
        std::unique_ptr<udp::socket> socket;
        std::string ifname;  // "" = all interfaces
        bool pxe_port = false;
    };

    void open_listener(const std::string& ifname, uint16_t port, bool pxe);
    void arm(Listener& l);
    void drain(Listener& l);
    void handle(Listener& l, std::span<const uint8_t> data, const sockaddr_in& from, int ifindex, dhcp::Ipv4 dst);
    void send(Listener& l, const dhcp::Outcome& out, const dhcp::Packet& request, int ifindex, dhcp::Ipv4 local);
    void schedule_flush();
    void flush();
    void tick();
    const IfInfo* iface(int ifindex);
    void capture(const std::array<uint8_t, 6>& src_mac, const std::array<uint8_t, 6>& dst_mac, dhcp::Ipv4 src,
                 dhcp::Ipv4 dst, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload);

    asio::io_context& io_;
    Globals globals_;
    Options options_;
    asio::steady_timer flush_timer_;
    asio::steady_timer tick_timer_;
    bool flush_pending_ = false;
    std::vector<std::unique_ptr<Listener>> listeners_;
    int packet_fd_ = -1;
    std::map<int, IfInfo> ifaces_;
    std::chrono::steady_clock::time_point ifaces_at_{};
    std::shared_ptr<Devices> devices_;
    std::unique_ptr<dhcp::LeaseEngine> engine_;
    std::vector<std::string> other_lease_lines_;
    size_t declined_written_ = 0;
    std::unique_ptr<BackgroundWriter> writer_;
    std::unique_ptr<dhcp::Service> service_;
    std::unique_ptr<Learner> learner_;
    std::unique_ptr<pcap::Writer> capture_;
    log::RateLimiter malformed_limit_;
    log::RateLimiter refused_limit_;
    uint64_t received_ = 0, answered_ = 0, malformed_ = 0;
};

void Server::open_listener(const std::string& ifname, uint16_t port, bool pxe) {
    auto l = std::make_unique<Listener>();
    l->ifname = ifname;
    l->pxe_port = pxe;
    l->socket = std::make_unique<udp::socket>(io_);
    boost::system::error_code ec;
    l->socket->open(udp::v4(), ec);
    if (ec) throw io_error(fmt::format("cannot open a UDP socket: {}", ec.message()));
    int fd = l->socket->native_handle();
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (!ifname.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), ifname.size() + 1) != 0)
        throw io_error(fmt::format("SO_BINDTODEVICE {}", ifname), errno);
    l->socket->bind(udp::endpoint(asio::ip::address_v4::any(), port), ec);
    if (ec)
        throw Error(kExitUnavailable, fmt::format("cannot bind UDP port {}{}: {}", port,
                                                  ifname.empty() ? "" : " on " + ifname, ec.message()));
    l->socket->non_blocking(true);
    log::info("listening on {}:{}{}", ifname.empty() ? "*" : ifname, port, pxe ? " (PXE boot server)" : "");
    listeners_.push_back(std::move(l));
}

void Server::arm(Listener& l) {
    l.socket->async_wait(udp::socket::wait_read, [this, &l](const boost::system::error_code& ec) {
        if (ec) return;
        drain(l);
        arm(l);
    });
}

void Server::drain(Listener& l) {
    uint8_t buf[2048];
    alignas(cmsghdr) uint8_t control[256];
    for (int n = 0; n < 256; ++n) {  // bounded so one busy socket cannot starve the others
        sockaddr_in from{};
        iovec iov{buf, sizeof buf};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t got = recvmsg(l.socket->native_handle(), &msg, MSG_DONTWAIT);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::write_limited(malformed_limit_, log::Level::warn,
                                   fmt::format("recvmsg: {}", std::strerror(errno)));
            break;
        }
        int ifindex = 0;
        dhcp::Ipv4 dst = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                auto* pi = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
                ifindex = pi->ipi_ifindex;
                dst = ntohl(pi->ipi_addr.s_addr);
            }
        }
        handle(l, std::span<const uint8_t>(buf, static_cast<size_t>(got)), from, ifindex, dst);
    }
    if (engine_ && engine_->dirty()) schedule_flush();
}

const IfInfo* Server::iface(int ifindex) {
    auto it = ifaces_.find(ifindex);
    if (it == ifaces_.end() || !it->second.address) {
        auto now = std::chrono::steady_clock::now();
        if (now - ifaces_at_ > std::chrono::seconds(1)) {
            ifaces_ = interfaces_now();
            ifaces_at_ = now;
        }
        it = ifaces_.find(ifindex);
    }
    return it == ifaces_.end() ? nullptr : &it->second;
}

void Server::capture(const std::array<uint8_t, 6>& src_mac, const std::array<uint8_t, 6>& dst_mac, dhcp::Ipv4 src,
                     dhcp::Ipv4 dst, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload) {
    if (!capture_) return;
    auto t = std::chrono::system_clock::now().time_since_epoch();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t).count();
    capture_->write(us / 1000000, static_cast<uint32_t>(us % 1000000),
                    pcap::build_udp_frame(src_mac, dst_mac, src, dst, sport, dport, payload));
}

void Server::handle(Listener& l, std::span<const uint8_t> data, const sockaddr_in& from, int ifindex, dhcp::Ipv4 dst) {
    ++received_;
    const IfInfo* info = iface(ifindex);
    const dhcp::Ipv4 src = ntohl(from.sin_addr.s_addr);
    const uint16_t sport = ntohs(from.sin_port);
    const uint16_t lport = l.pxe_port ? options_.pxe_port : options_.port;
    dhcp::Packet q;
    try {
        q = dhcp::Packet::unpack(data);
    } catch (const Error& e) {
        ++malformed_;
        log::write_limited(malformed_limit_, log::Level::warn,
                           fmt::format("dropped malformed packet from {}:{}: {}", dhcp::ip_str(src), sport, e.what()));
        return;
    }
    if (capture_) {
        std::array<uint8_t, 6> bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        capture(q.giaddr ? std::array<uint8_t, 6>{} : q.mac(), info ? info->mac : bcast, src, dst, sport, lport, data);
    }
    // Our address: where a unicast (relay, renew, 4011) was sent, else the interface's address.
    dhcp::Ipv4 local = (dst && dst != 0xffffffffu) ? dst : (info ? info->address : 0);
    if (!local) {
        log::write_limited(refused_limit_, log::Level::warn,
                           fmt::format("no IPv4 address on interface {} to answer from", ifindex));
        return;
    }
    const int64_t now = epoch_now();
    dhcp::Outcome out = service_->handle(q, dhcp::Ingress{local, src, sport, l.pxe_port}, now);
    if (learner_) learner_->observe(q, out.cls, out.reply ? out.reply->yiaddr : 0, now);
    if (!out.reply) {
        if (log::enabled(log::Level::debug)) log::debug("{}: no reply: {}", describe(q, out), out.note);
        return;
    }
    send(l, out, q, ifindex, local);
    const log::Level level = out.cls.cls == dhcp::ClientClass::plain ? log::Level::debug : log::Level::info;
    if (log::enabled(level)) {
        const auto rt = out.reply->message_type();
        log::write(level, fmt::format("{} → {} yiaddr {} file '{}' {}", describe(q, out),
                                      rt ? dhcp::message_type_name(*rt) : "?", dhcp::ip_str(out.reply->yiaddr),
                                      out.reply->file, out.destination.describe()));
    }
}

void Server::send(Listener& l, const dhcp::Outcome& out, const dhcp::Packet& q, int ifindex, dhcp::Ipv4 local) {
    dhcp::Bytes bytes;
    try {
        bytes = out.reply->pack(dhcp::max_reply_size(q));
    } catch (const Error& e) {
        log::write_limited(refused_limit_, log::Level::warn, fmt::format("reply not sent: {}", e.what()));
        return;
    }
    dhcp::Destination d = out.destination;
    const uint16_t sport = l.pxe_port ? options_.pxe_port : options_.port;
    if (d.kind == dhcp::Destination::Kind::broadcast || d.kind == dhcp::Destination::Kind::link_layer)
        d.port = options_.client_port;
    const IfInfo* info = iface(ifindex);
    std::array<uint8_t, 6> our_mac = info ? info->mac : std::array<uint8_t, 6>{};
    if (d.kind == dhcp::Destination::Kind::link_layer && packet_fd_ >= 0 && ifindex > 0) {
        auto ipudp = pcap::build_ipv4_udp(local, d.ip, sport, d.port, bytes);
        sockaddr_ll ll{};
        ll.sll_family = AF_PACKET;
        ll.sll_protocol = htons(ETH_P_IP);
        ll.sll_ifindex = ifindex;
        ll.sll_halen = 6;
        std::copy(d.mac.begin(), d.mac.end(), ll.sll_addr);
        if (sendto(packet_fd_, ipudp.data(), ipudp.size(), 0, reinterpret_cast<sockaddr*>(&ll), sizeof ll) >= 0) {
            ++answered_;
            capture(our_mac, d.mac, local, d.ip, sport, d.port, bytes);
            return;
        }
        log::write_limited(refused_limit_, log::Level::warn,
                           fmt::format("packet socket send failed ({}), broadcasting instead", std::strerror(errno)));
    }
    if (d.kind == dhcp::Destination::Kind::link_layer) {
        d.kind = dhcp::Destination::Kind::broadcast;
        d.ip = 0xffffffffu;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(d.port);
    to.sin_addr.s_addr = htonl(d.ip);
    iovec iov{bytes.data(), bytes.size()};
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in_pktinfo))]{};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    if (d.kind == dhcp::Destination::Kind::broadcast) pi.ipi_ifindex = ifindex;
    pi.ipi_spec_dst.s_addr = htonl(local);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    if (sendmsg(l.socket->native_handle(), &msg, 0) < 0) {
        log::write_limited(refused_limit_, log::Level::warn,
                           fmt::format("send to {} failed: {}", d.describe(), std::strerror(errno)));
        return;
    }
    ++answered_;
    std::array<uint8_t, 6> bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    capture(our_mac, d.kind == dhcp::Destination::Kind::broadcast ? bcast : std::array<uint8_t, 6>{}, local, d.ip,
            sport, d.port, bytes);
}

void Server::schedule_flush() {
    if (flush_pending_) return;
    flush_pending_ = true;
    flush_timer_.expires_after(std::chrono::milliseconds(100));
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
        flush_pending_ = false;
        if (!ec) flush();
    });
}

void Server::flush() {
    if (!writer_) return;
    if (engine_ && engine_->dirty()) {
        auto declined = engine_->declined();
        if (!declined.empty() || declined_written_)
            writer_->submit(options_.declined_path(globals_), dhcp::format_declined(declined), true);
        declined_written_ = declined.size();
        writer_->submit(options_.lease_path(globals_), format_leases(*engine_, other_lease_lines_), true);
        engine_->clear_dirty();
    }
    // learned state is observational: no fsync, at most one write per device per tick
    if (learner_)
        for (auto& [path, content] : learner_->take_dirty()) writer_->submit(path, std::move(content), false);
}

void Server::tick() {
    tick_timer_.expires_after(std::chrono::seconds(2));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        if (engine_) {
            size_t n = engine_->reap(epoch_now());
            if (n) log::info("reaped {} expired lease(s)", n);
            if (engine_->dirty()) schedule_flush();
        }
        if (learner_) flush();
        tick();
    });
}

void Server::apply(const daemon::Snapshot& snapshot) {
    devices_ = std::make_shared<Devices>(snapshot);
    if (engine_) {
        auto reservations = options_.engine_config().reservations;
        for (const auto& r : devices_->reservations()) reservations.push_back(r);
        engine_->set_reservations(std::move(reservations));
    }
    auto devices = devices_;
    service_ = std::make_unique<dhcp::Service>(options_.service_config(), engine_.get(),
                                               [devices](const dhcp::Packet& p) { return devices->choices(p); });
    log::info("configuration applied: {} device record(s)", devices_->size());
}

void Server::start(const daemon::Snapshot& snapshot) {
    (void)options_.service_config();  // validates flags before binding
    writer_ = std::make_unique<BackgroundWriter>();
    devices_ = std::make_shared<Devices>(snapshot);
    if (options_.full()) {
        auto cfg = options_.engine_config();
        if (cfg.pools.empty() && devices_->reservations().empty())
            throw config_error("full mode needs at least one pool (dhcp.pools or --pool) or a reservation");
        engine_ = std::make_unique<dhcp::LeaseEngine>(cfg);
        load_leases(*engine_, options_.lease_path(globals_), options_.declined_path(globals_), epoch_now());
        other_lease_lines_ = other_lease_lines(options_.lease_path(globals_));
        declined_written_ = engine_->declined().size();
        log::info("full mode: {} pool(s), {} lease(s) loaded from {}", cfg.pools.size(), engine_->size(),
                  options_.lease_path(globals_));
    }
    if (snapshot->settings.dhcp.ping_check)
        log::warn("dhcp.ping_check is set but mb-dhcp does not probe addresses before offering them");
    apply(snapshot);
    if (options_.learn) learner_ = std::make_unique<Learner>(globals_.root_dir() + "/state/dhcp/devices");
    if (!options_.capture.empty()) capture_ = std::make_unique<pcap::Writer>(options_.capture);
    ifaces_ = interfaces_now();
    if (options_.interfaces.empty()) {
        open_listener("", options_.port, false);
        if (options_.proxy_4011) open_listener("", options_.pxe_port, true);
    } else {
        for (const auto& i : options_.interfaces) {
            if (!if_nametoindex(i.c_str())) throw usage_error(fmt::format("interface {}: no such interface", i));
            open_listener(i, options_.port, false);
            if (options_.proxy_4011) open_listener(i, options_.pxe_port, true);
        }
    }
    packet_fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    if (packet_fd_ < 0)
        log::warn("no packet socket ({}): replies to clients without an address will be broadcast",
                  std::strerror(errno));
    else
        shutdown(packet_fd_, SHUT_RD);
    for (auto& l : listeners_) arm(*l);
    tick();
    log::info("mb-dhcp serving in {} mode", options_.mode);
}

void Server::stop() {
    boost::system::error_code ec;
    for (auto& l : listeners_) l->socket->close(ec);
    flush_timer_.cancel();
    tick_timer_.cancel();
    flush();
    writer_.reset();  // joins after the last write
    if (packet_fd_ >= 0) ::close(packet_fd_);
    packet_fd_ = -1;
    log::info("stopped: {} received, {} answered, {} malformed", received_, answered_, malformed_);
    // Nothing of ours is in flight any more (leases are on disk): end the loop without waiting
    // for the daemon's grace period.
    asio::post(io_, [this] { io_.stop(); });
}

Server::~Server() {
    if (writer_) stop();
}

}  // namespace

int serve(const cli::GlobalOptions& global, Options options, const CLI::App& cmd) {
    daemon::Daemon d("mb-dhcp", global.tree());
    auto snapshot = d.start();
    options.apply_settings(*snapshot, cmd);
    Globals g{global.tree().root().string(), global.json};
    // our own state (leases, learned devices) must not trigger a reload of ourselves
    d.set_reload_filter([](const std::string& path) { return path.rfind("state/dhcp/", 0) != 0; });
    Server server(d.io(), g, options);
    server.start(snapshot);
    d.on_reload([&server](const daemon::Snapshot& next) { server.apply(next); });
    d.on_stop([&server] { server.stop(); });
    return d.run();
}

}  // namespace mb::dhcp_tool
