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
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "background_writer.hpp"
#include "cli/tool.hpp"
#include "core/error.hpp"
#include "daemon/daemon.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/ping.hpp"
#include "dhcp/service.hpp"
#include "lease_sync.hpp"
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

class Server {
public:
    // `cli` as parsed from the command line; `cmd` tells which flags were given (they win over
    // metal-boot.yaml at start and on every reload).
    Server(asio::io_context& io, const Globals& g, const Options& cli, const CLI::App& cmd)
        : io_(io),
          globals_(g),
          cli_(cli),
          cmd_(cmd),
          options_(cli),
          flush_timer_(io_),
          tick_timer_(io_),
          malformed_limit_(1.0, 5.0),
          refused_limit_(2.0, 10.0) {}
    ~Server();

    // Loads leases, opens the sockets; throws mb::Error (usage, config, unavailable) on failure.
    void start(const daemon::Snapshot& snapshot);
    // A new config snapshot: device choices, reservations, mode, pools and boot settings apply at
    // once (interfaces and ports need a restart). Leases stay; see LeaseEngine::set_pools.
    void apply(const daemon::Snapshot& snapshot);
    // Closes the sockets and persists what is pending.
    void stop();

private:
    struct Listener {
        std::unique_ptr<udp::socket> socket;
        std::string ifname;  // "" = all interfaces
        bool pxe_port = false;
    };

    // An OFFER waiting for its address probe (dhcp.ping_check).
    struct Probe {
        explicit Probe(asio::io_context& io) : timer(io) {}
        Listener* listener = nullptr;
        dhcp::Packet request;
        dhcp::Ingress ingress;
        int ifindex = 0;
        dhcp::Outcome outcome;
        int attempt = 1;
        uint16_t seq = 0;
        asio::steady_timer timer;
    };

    static constexpr size_t kBatch = 32;
    // Buffers for one recvmmsg (allocated once; the loop runs on one thread).
    struct RecvBatch {
        std::array<std::array<uint8_t, 2048>, kBatch> buf;
        std::array<std::array<uint8_t, 256>, kBatch> control;
        std::array<sockaddr_in, kBatch> from;
        std::array<iovec, kBatch> iov;
        std::array<mmsghdr, kBatch> msgs;
    };
    // A reply queued for the next sendmmsg of its listener.
    struct PendingSend {
        dhcp::Bytes bytes;
        sockaddr_in to{};
        alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in_pktinfo))]{};
    };

    void open_listener(const std::string& ifname, uint16_t port, bool pxe);
    void flush_sends(Listener& l);
    void arm(Listener& l);
    void drain(Listener& l);
    void handle(Listener& l, std::span<const uint8_t> data, const sockaddr_in& from, int ifindex, dhcp::Ipv4 dst);
    void send(Listener& l, const dhcp::Outcome& out, const dhcp::Packet& request, int ifindex, dhcp::Ipv4 local);
    void log_reply(const dhcp::Packet& q, const dhcp::Outcome& out);
    void open_pinger();
    void arm_pinger();
    void drain_pinger();
    void probe(Listener& l, const dhcp::Packet& q, const dhcp::Ingress& in, int ifindex, dhcp::Outcome out,
               int attempt);
    void probe_answered(std::unique_ptr<Probe> p);
    void start_full_mode();
    void rebuild_service();
    void schedule_flush();
    void flush(bool final = false);
    void tick();
    const IfInfo* iface(int ifindex);
    void capture(const std::array<uint8_t, 6>& src_mac, const std::array<uint8_t, 6>& dst_mac, dhcp::Ipv4 src,
                 dhcp::Ipv4 dst, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload);

    asio::io_context& io_;
    Globals globals_;
    const Options cli_;
    const CLI::App& cmd_;
    Options options_;  // cli_ + metal-boot.yaml
    asio::steady_timer flush_timer_;
    asio::steady_timer tick_timer_;
    bool flush_pending_ = false;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::unique_ptr<RecvBatch> recv_batch_ = std::make_unique<RecvBatch>();
    std::vector<PendingSend> pending_sends_;
    bool batching_ = false;  // inside drain(): replies wait for flush_sends()
    int packet_fd_ = -1;
    std::map<int, IfInfo> ifaces_;
    std::chrono::steady_clock::time_point ifaces_at_{};
    std::shared_ptr<Devices> devices_;
    std::unique_ptr<dhcp::LeaseEngine> engine_;
    size_t declined_written_ = 0;
    std::unique_ptr<BackgroundWriter> writer_;
    std::unique_ptr<LeaseSync> lease_sync_;
    std::unique_ptr<dhcp::Service> service_;
    std::unique_ptr<Learner> learner_;
    std::unique_ptr<pcap::Writer> capture_;
    std::unique_ptr<asio::posix::stream_descriptor> pinger_;  // ICMP socket for address probes
    bool pinger_raw_ = false;  // SOCK_RAW (replies carry the IP header) vs. an unprivileged ICMP datagram socket
    uint16_t ping_id_ = 0, ping_seq_ = 0;
    std::map<dhcp::Ipv4, std::unique_ptr<Probe>> probes_;
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
    // recvmmsg/sendmmsg: when packets queue up (a storm, or the loop was descheduled), one system
    // call reads a batch and one sends its replies.
    RecvBatch& rb = *recv_batch_;
    batching_ = true;
    for (int round = 0; round < 8; ++round) {  // bounded so one busy socket cannot starve the others
        for (size_t i = 0; i < kBatch; ++i) {
            rb.iov[i] = iovec{rb.buf[i].data(), rb.buf[i].size()};
            msghdr& m = rb.msgs[i].msg_hdr;
            m = msghdr{};
            m.msg_name = &rb.from[i];
            m.msg_namelen = sizeof rb.from[i];
            m.msg_iov = &rb.iov[i];
            m.msg_iovlen = 1;
            m.msg_control = rb.control[i].data();
            m.msg_controllen = rb.control[i].size();
        }
        int got = recvmmsg(l.socket->native_handle(), rb.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::write_limited(malformed_limit_, log::Level::warn,
                                   fmt::format("recvmmsg: {}", std::strerror(errno)));
            break;
        }
        for (int i = 0; i < got; ++i) {
            msghdr& m = rb.msgs[i].msg_hdr;
            int ifindex = 0;
            dhcp::Ipv4 dst = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    in_pktinfo pi;
                    std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    ifindex = pi.ipi_ifindex;
                    dst = ntohl(pi.ipi_addr.s_addr);
                }
            }
            handle(l, std::span<const uint8_t>(rb.buf[i].data(), rb.msgs[i].msg_len), rb.from[i], ifindex, dst);
        }
        flush_sends(l);
        if (got < static_cast<int>(kBatch)) break;
    }
    batching_ = false;
    flush_sends(l);
    if (engine_ && engine_->dirty()) schedule_flush();
}

void Server::flush_sends(Listener& l) {
    size_t done = 0;
    while (done < pending_sends_.size()) {
        const size_t n = std::min(pending_sends_.size() - done, kBatch);
        std::array<mmsghdr, kBatch> msgs{};
        std::array<iovec, kBatch> iov{};
        for (size_t i = 0; i < n; ++i) {
            PendingSend& p = pending_sends_[done + i];
            iov[i] = iovec{p.bytes.data(), p.bytes.size()};
            msghdr& m = msgs[i].msg_hdr;
            m.msg_name = &p.to;
            m.msg_namelen = sizeof p.to;
            m.msg_iov = &iov[i];
            m.msg_iovlen = 1;
            m.msg_control = p.control;
            m.msg_controllen = sizeof p.control;
        }
        int sent = sendmmsg(l.socket->native_handle(), msgs.data(), static_cast<unsigned>(n), 0);
        if (sent < 0) {  // the first message failed: report it, go on with the next
            const PendingSend& p = pending_sends_[done];
            log::write_limited(refused_limit_, log::Level::warn,
                               fmt::format("send to {}:{} failed: {}", dhcp::ip_str(ntohl(p.to.sin_addr.s_addr)),
                                           ntohs(p.to.sin_port), std::strerror(errno)));
            sent = 1;
        } else {
            answered_ += static_cast<uint64_t>(sent);
        }
        done += static_cast<size_t>(sent);
    }
    pending_sends_.clear();
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
    const dhcp::Ingress in{local, src, sport, l.pxe_port};
    dhcp::Outcome out = service_->handle(q, in, now);
    if (learner_) learner_->observe(q, out.cls, out.reply ? out.reply->yiaddr : 0, now);
    if (!out.reply) {
        if (log::enabled(log::Level::debug)) log::debug("{}: no reply: {}", describe(q, out), out.note);
        return;
    }
    if (out.probe && pinger_) {
        probe(l, q, in, ifindex, std::move(out), 1);
        return;
    }
    send(l, out, q, ifindex, local);
    log_reply(q, out);
}

void Server::log_reply(const dhcp::Packet& q, const dhcp::Outcome& out) {
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
    in_pktinfo pi{};
    if (d.kind == dhcp::Destination::Kind::broadcast) pi.ipi_ifindex = ifindex;
    pi.ipi_spec_dst.s_addr = htonl(local);
    std::array<uint8_t, 6> bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    capture(our_mac, d.kind == dhcp::Destination::Kind::broadcast ? bcast : std::array<uint8_t, 6>{}, local, d.ip,
            sport, d.port, bytes);
    PendingSend& p = pending_sends_.emplace_back();
    p.bytes = std::move(bytes);
    p.to = to;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(p.control);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    if (!batching_) flush_sends(l);  // a probe's timer, not the receive loop: send now
}

// ---- address probes (dhcp.ping_check) ---------------------------------------------------------

constexpr int kMaxProbes = 8;               // addresses tried per DISCOVER before giving up
constexpr int64_t kInUseHoldSeconds = 600;  // an address that answered is not offered this long

void Server::open_pinger() {
    int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    pinger_raw_ = fd >= 0;
    if (fd < 0) fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) {
        log::warn(
            "dhcp.ping_check: no ICMP socket ({}; needs CAP_NET_RAW or net.ipv4.ping_group_range): addresses "
            "are offered without a probe",
            std::strerror(errno));
        return;
    }
    ping_id_ = static_cast<uint16_t>(::getpid());
    pinger_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    arm_pinger();
    log::info("probing addresses with ICMP echo before offering them (timeout {} ms)", options_.ping_timeout_ms);
}

void Server::arm_pinger() {
    pinger_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec || !pinger_) return;
        drain_pinger();
        arm_pinger();
    });
}

void Server::drain_pinger() {
    uint8_t buf[1500];
    for (int n = 0; n < 64; ++n) {
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t got = ::recvfrom(pinger_->native_handle(), buf, sizeof buf, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &fl);
        if (got < 0) break;
        auto echo = dhcp::parse_echo_reply(std::span<const uint8_t>(buf, static_cast<size_t>(got)), pinger_raw_);
        if (!echo || (pinger_raw_ && echo->id != ping_id_)) continue;  // a datagram socket filters by id itself
        auto it = probes_.find(ntohl(from.sin_addr.s_addr));
        if (it == probes_.end() || it->second->seq != echo->seq) continue;
        auto p = std::move(it->second);
        probes_.erase(it);
        p->timer.cancel();
        probe_answered(std::move(p));
    }
}

void Server::probe(Listener& l, const dhcp::Packet& q, const dhcp::Ingress& in, int ifindex, dhcp::Outcome out,
                   int attempt) {
    const dhcp::Ipv4 ip = out.reply->yiaddr;
    if (probes_.count(ip)) return;  // a retransmitted DISCOVER: the running probe answers it
    auto p = std::make_unique<Probe>(io_);
    p->listener = &l;
    p->request = q;
    p->ingress = in;
    p->ifindex = ifindex;
    p->outcome = std::move(out);
    p->attempt = attempt;
    p->seq = ++ping_seq_;
    const auto echo = dhcp::build_echo_request(ping_id_, p->seq);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(ip);
    if (::sendto(pinger_->native_handle(), echo.data(), echo.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
        log::write_limited(
            refused_limit_, log::Level::warn,
            fmt::format("ping {}: {}; offering without a probe", dhcp::ip_str(ip), std::strerror(errno)));
        send(l, p->outcome, q, ifindex, in.local_address);
        log_reply(q, p->outcome);
        return;
    }
    const uint16_t seq = p->seq;
    p->timer.expires_after(std::chrono::milliseconds(options_.ping_timeout_ms));
    p->timer.async_wait([this, ip, seq](const boost::system::error_code& ec) {
        if (ec) return;
        auto it = probes_.find(ip);
        if (it == probes_.end() || it->second->seq != seq) return;
        auto done = std::move(it->second);
        probes_.erase(it);
        // nobody answered: the address is free
        send(*done->listener, done->outcome, done->request, done->ifindex, done->ingress.local_address);
        log_reply(done->request, done->outcome);
    });
    probes_[ip] = std::move(p);
}

void Server::probe_answered(std::unique_ptr<Probe> p) {
    const dhcp::Ipv4 ip = p->outcome.reply->yiaddr;
    const int64_t now = epoch_now();
    log::warn("{} answered a ping but has no lease (a static address?); not offered for {} s", dhcp::ip_str(ip),
              kInUseHoldSeconds);
    if (!engine_ || !service_) return;
    engine_->mark_in_use(ip, now + kInUseHoldSeconds);
    schedule_flush();
    if (p->attempt >= kMaxProbes) {
        log::warn("{}: {} addresses in a row answered a ping; no offer this time", describe(p->request, p->outcome),
                  p->attempt);
        return;
    }
    dhcp::Outcome next = service_->handle(p->request, p->ingress, now);
    if (!next.reply) {
        log::warn("{}: no other address to offer: {}", describe(p->request, next), next.note);
        return;
    }
    if (next.probe) {
        probe(*p->listener, p->request, p->ingress, p->ifindex, std::move(next), p->attempt + 1);
        return;
    }
    send(*p->listener, next, p->request, p->ifindex, p->ingress.local_address);
    log_reply(p->request, next);
}

// ---- persistence ------------------------------------------------------------------------------

void Server::schedule_flush() {
    if (flush_pending_) return;
    flush_pending_ = true;
    flush_timer_.expires_after(std::chrono::milliseconds(100));
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
        flush_pending_ = false;
        if (!ec) flush();
    });
}

void Server::flush(bool final) {
    if (!writer_) return;
    if (engine_ && lease_sync_) {
        if (engine_->dirty()) {
            auto declined = engine_->declined();
            if (!declined.empty() || declined_written_)
                writer_->submit(options_.declined_path(globals_), dhcp::format_declined(declined), true);
            declined_written_ = declined.size();
        }
        // also picks up edits others made to the lease file; busy lock: retry shortly
        try {
            if (!lease_sync_->sync(*engine_, epoch_now(), final)) schedule_flush();
        } catch (const Error& e) {
            if (final) throw;
            log::write_limited(refused_limit_, log::Level::error, fmt::format("lease file: {}", e.what()));
        }
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
        }
        flush();  // writes what changed and merges what others changed in the lease file
        tick();
    });
}

void Server::rebuild_service() {
    auto devices = devices_;
    service_ = std::make_unique<dhcp::Service>(options_.service_config(), engine_.get(),
                                               [devices](const dhcp::Packet& p) { return devices->choices(p); });
}

// Creates the lease engine from options_ and loads the lease file under its lock.
void Server::start_full_mode() {
    auto cfg = options_.engine_config();
    for (const auto& r : devices_->reservations()) cfg.reservations.push_back(r);
    if (cfg.pools.empty() && cfg.reservations.empty())
        throw config_error("full mode needs at least one pool (dhcp.pools or --pool) or a reservation");
    auto engine = std::make_unique<dhcp::LeaseEngine>(cfg);
    auto sync = std::make_unique<LeaseSync>(options_.lease_path(globals_), *writer_);
    sync->load(*engine, dhcp::parse_declined(read_text(options_.declined_path(globals_))), epoch_now());
    engine_ = std::move(engine);
    lease_sync_ = std::move(sync);
    declined_written_ = engine_->declined().size();
    log::info("full mode: {} pool(s), {} lease(s) loaded from {}", cfg.pools.size(), engine_->size(),
              options_.lease_path(globals_));
    if (options_.ping_check && !pinger_) open_pinger();
}

void Server::apply(const daemon::Snapshot& snapshot) {
    Options next = cli_;
    auto next_devices = std::make_shared<Devices>(snapshot);
    try {
        next.apply_settings(*snapshot, cmd_);
        (void)next.service_config();  // validates before anything changes
        if (next.full()) (void)next.engine_config();
    } catch (const Error& e) {
        log::error("dhcp settings not applied, keeping the previous ones: {}", e.what());
        return;
    }
    if (next.interfaces != options_.interfaces || next.port != options_.port || next.proxy_4011 != options_.proxy_4011)
        log::warn("dhcp.interfaces, dhcp.port or dhcp.proxy_4011 changed: restart mb-dhcp to apply them");
    next.interfaces = options_.interfaces;
    next.port = options_.port;
    next.proxy_4011 = options_.proxy_4011;
    if (next.lease_path(globals_) != options_.lease_path(globals_) && engine_)
        log::warn("dhcp.lease_file changed: restart mb-dhcp to apply it");
    next.lease_file = options_.lease_file;
    const bool was_full = engine_ != nullptr;
    options_ = next;
    devices_ = next_devices;
    if (options_.full() && !was_full) {
        try {
            start_full_mode();
        } catch (const Error& e) {
            log::error("cannot switch to full mode, staying in proxy mode: {}", e.what());
            options_.mode = "proxy";
        }
    } else if (options_.full()) {
        auto cfg = options_.engine_config();
        for (const auto& r : devices_->reservations()) cfg.reservations.push_back(r);
        engine_->set_pools(std::move(cfg.pools));
        engine_->set_reservations(std::move(cfg.reservations));
        if (options_.ping_check && !pinger_) open_pinger();
    } else if (was_full) {
        probes_.clear();
        try {
            flush(true);  // the leases stay in the file for a later switch back
        } catch (const Error& e) {
            log::error("leases not saved: {}", e.what());
        }
        engine_.reset();
        lease_sync_.reset();
        log::info("switched to proxy mode; leases kept in {}", options_.lease_path(globals_));
    }
    if (!options_.ping_check && pinger_) {
        probes_.clear();
        pinger_.reset();
    }
    if (options_.learn && !learner_)
        learner_ = std::make_unique<Learner>(globals_.root_dir() + "/state/dhcp/devices");
    else if (!options_.learn)
        learner_.reset();
    rebuild_service();
    log::info("configuration applied: {} mode, {} pool(s), {} device record(s)", options_.mode,
              engine_ ? engine_->pools().size() : 0, devices_->size());
}

void Server::start(const daemon::Snapshot& snapshot) {
    options_.apply_settings(*snapshot, cmd_);
    (void)options_.service_config();  // validates flags before binding
    writer_ = std::make_unique<BackgroundWriter>();
    devices_ = std::make_shared<Devices>(snapshot);
    if (options_.full()) start_full_mode();
    if (options_.learn) learner_ = std::make_unique<Learner>(globals_.root_dir() + "/state/dhcp/devices");
    rebuild_service();
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
    probes_.clear();
    pinger_.reset();
    for (auto& l : listeners_) l->socket->close(ec);
    flush_timer_.cancel();
    tick_timer_.cancel();
    try {
        flush(true);
    } catch (const Error& e) {
        log::error("leases not saved: {}", e.what());
    }
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
    Globals g{global.tree().root().string(), global.json};
    // our own state (leases, learned devices) must not trigger a reload of ourselves
    d.set_reload_filter([](const std::string& path) { return path.rfind("state/dhcp/", 0) != 0; });
    Server server(d.io(), g, options, cmd);
    server.start(snapshot);
    d.on_reload([&server](const daemon::Snapshot& next) { server.apply(next); });
    d.on_stop([&server] { server.stop(); });
    return d.run();
}

}  // namespace mb::dhcp_tool
