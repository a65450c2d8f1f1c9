#include "server.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <map>
#include <vector>

#include "capture.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "tftp/gso.hpp"
#include "tftp/path.hpp"
#include "tftp/receive.hpp"
#include "upload.hpp"

namespace mb::tftp {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

std::string endpoint_text(const udp::endpoint& ep) {
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

uint32_t v4(const asio::ip::address& a) {
    return a.is_v4() ? a.to_v4().to_uint() : 0;
}

// Per-transfer sockets are not connected (a packet from a foreign TID must still reach us to be
// answered with ERROR 5), so ICMP errors are only reported with IP_RECVERR. The error then also sits
// on the socket's error queue with the destination of the datagram that bounced.
// The socket's family is the client's (no getsockname per request).
void enable_icmp_errors(udp::socket& sock, const udp& protocol) {
    const int on = 1;
    if (protocol == udp::v4())
        ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    else
        ::setsockopt(sock.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
}

// Drains the socket's error queue; true if one of the queued errors is "port unreachable" for a
// datagram sent to `peer` (the client's TID is gone). Errors for other destinations (an ERROR 5
// sent to a foreign TID that went away) are dropped.
bool peer_port_unreachable(udp::socket& sock, const udp::endpoint& peer) {
    bool hit = false;
    for (int i = 0; i < 64; ++i) {
        sockaddr_storage name{};
        std::array<uint8_t, 512> control{};
        std::array<uint8_t, 64> data{};
        iovec iov{data.data(), data.size()};
        msghdr msg{};
        msg.msg_name = &name;
        msg.msg_namelen = sizeof name;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        if (::recvmsg(sock.native_handle(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            const bool v4err = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
            const bool v6err = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4err && !v6err) continue;
            sock_extended_err ee{};
            std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
            if (ee.ee_errno != ECONNREFUSED) continue;
            udp::endpoint to;
            if (msg.msg_namelen <= to.capacity()) {
                std::memcpy(to.data(), &name, msg.msg_namelen);
                to.resize(msg.msg_namelen);
                if (to == peer) hit = true;
            }
        }
    }
    return hit;
}

}  // namespace

struct SessionBase;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    asio::io_context& io;
    Catalog& catalog;
    ServerOptions options;
    udp::socket listener;
    udp::endpoint listen_ep;
    udp::endpoint from;
    std::array<uint8_t, 65536> rx{};
    std::vector<uint8_t> tx;  // one send buffer for every session: sends are synchronous
    std::map<udp::endpoint, std::shared_ptr<SessionBase>> sessions;
    std::unique_ptr<Capture> capture;
    ServerStats stats;
    bool closed = false;
    log::RateLimiter refuse_log{2.0, 10.0};
    log::RateLimiter fail_log{2.0, 10.0};
    std::vector<std::string> write_dirs;  // normalised tftp.write_dirs

    Impl(asio::io_context& io_, Catalog& c, ServerOptions o)
        : io(io_),
          catalog(c),
          options(std::move(o)),
          listener(io_),
          write_dirs(normalize_write_dirs(options.write_dirs)) {}

    void open();
    void receive();
    void on_datagram(size_t n);
    void on_request(const Request& r, const udp::endpoint& client);
    void on_write_request(const Request& r, const udp::endpoint& client);
    // Gives a new session its own TID socket (unless single-port), registers and starts it.
    bool launch(const std::shared_ptr<SessionBase>& s, const udp::endpoint& client);
    void send_error(udp::socket& sock, const udp::endpoint& to, ErrorCode code, std::string_view message);
    // Returns the send error (would_block is not reported: the retransmission timer covers it).
    boost::system::error_code send(udp::socket& sock, const udp::endpoint& to, std::span<const uint8_t> bytes);
    // Sends `bytes` as datagrams of `segment` bytes (the last may be shorter) with one sendmsg
    // (UDP_SEGMENT). Sets `unsupported` (and sends nothing) when the kernel or the path refuses
    // it, e.g. a segment larger than the path MTU; the caller then sends packet by packet.
    boost::system::error_code send_segments(udp::socket& sock, const udp::endpoint& to, std::span<const uint8_t> bytes,
                                            size_t segment, bool& unsupported);
    void finished(const std::shared_ptr<SessionBase>& s);
    void report_read(const struct Session& s);
    void report_write(const struct WriteSession& s);
};

// What every transfer has: the client's TID, its own socket (or the listener in single-port mode),
// one lazily re-armed timer, the receive loop and the ICMP check. Read and write sessions add their
// state machine.
struct SessionBase : std::enable_shared_from_this<SessionBase> {
    Server::Impl& srv;
    udp::endpoint peer;
    std::optional<udp::socket> own;  // per-transfer TID socket (absent in single-port mode)
    asio::steady_timer timer;
    std::string name;  // as requested
    Time started;
    std::array<uint8_t, 600> rx{};  // ACKs are 4 bytes, ERRORs short; longer is truncated
    udp::endpoint from;
    bool ended = false;
    bool timer_pending = false;
    Time timer_at{};

    SessionBase(Server::Impl& s, udp::endpoint p) : srv(s), peer(p), timer(s.io), started(Clock::now()) {}
    virtual ~SessionBase() = default;

    udp::socket& sock() { return own ? *own : srv.listener; }
    virtual std::span<uint8_t> rx_buffer() { return rx; }

    virtual void start() = 0;
    virtual void handle(std::span<const uint8_t> bytes) = 0;
    virtual void on_duplicate_request() = 0;
    virtual void on_timer() = 0;
    virtual void unreachable() = 0;
    virtual void report() = 0;

    void receive() {
        auto self = shared_from_this();
        auto buf = rx_buffer();
        own->async_receive_from(asio::buffer(buf.data(), buf.size()), from,
                                [self](const boost::system::error_code& ec, size_t n) {
                                    if (ec == asio::error::operation_aborted || self->ended) return;
                                    self->on_receive(ec, n);
                                });
    }

    void on_receive(const boost::system::error_code& ec, size_t n) {
        if (ec) {
            // ICMP port unreachable surfaces as connection_refused (IP_RECVERR): if it came back
            // from the client's TID, the client is gone and retransmitting is pointless.
            if (ec == asio::error::connection_refused && peer_port_unreachable(*own, peer)) {
                unreachable();
                return;
            }
            receive();
            return;
        }
        if (from != peer) {
            srv.stats.foreign_tid++;
            srv.send_error(*own, from, ErrorCode::unknown_tid, "Unknown transfer ID");
        } else {
            on_packet(std::span<const uint8_t>(rx_buffer().data(), n));
        }
        if (!ended) receive();
    }

    void on_packet(std::span<const uint8_t> bytes) {
        if (srv.capture)
            srv.capture->write(v4(peer.address()), peer.port(), v4(srv.listen_ep.address()), local_port(), bytes);
        handle(bytes);
    }

    uint16_t local_port() {
        boost::system::error_code ec;
        return own ? own->local_endpoint(ec).port() : srv.listen_ep.port();
    }

    // A send failed with connection_refused: true (and the session is ended) if the ICMP error
    // was for our client.
    bool peer_gone(const boost::system::error_code& ec) {
        if (ec != asio::error::connection_refused || !own || !peer_port_unreachable(*own, peer)) return false;
        unreachable();
        return true;
    }

    // Lazy timer: most ACKs only move the deadline later, so a pending wait is left alone and
    // fires early; the state machine's on_timer then answers with the real deadline. This saves
    // two timerfd updates per DATA packet.
    void arm(std::optional<Time> at) {
        if (!at || (timer_pending && *at >= timer_at)) return;
        timer_pending = true;
        timer_at = *at;
        timer.expires_at(*at);
        auto self = shared_from_this();
        timer.async_wait([self](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted) return;
            self->timer_pending = false;
            if (self->ended) return;
            self->on_timer();
        });
    }

    void end() {
        if (ended) return;
        ended = true;
        timer.cancel();
        if (own) {
            boost::system::error_code ec;
            own->close(ec);
        }
        srv.finished(shared_from_this());
    }
};

struct Session final : SessionBase {
    std::string origin;
    std::string device;
    std::function<void()> on_complete;  // after a completed transfer (e.g. BootNext consumed)
    SourcePtr source;
    Transfer transfer;
    // DATA packets per send: several with UDP GSO when a window has more than one (not with
    // --capture, which records each datagram), 1 after the kernel refused GSO once.
    size_t per_send;

    Session(Server::Impl& s, udp::endpoint p, SourcePtr src, Negotiated n)
        : SessionBase(s, p),
          source(std::move(src)),
          transfer(*source, std::move(n), s.options.retry),
          per_send(s.capture ? 1 : gso_segments(transfer.negotiated().blksize)) {}

    void start() override {
        if (own) receive();
        apply(transfer.start(Clock::now()));
    }
    void handle(std::span<const uint8_t> bytes) override { apply(transfer.on_packet(bytes, Clock::now())); }
    void on_duplicate_request() override { apply(transfer.on_duplicate_request(Clock::now())); }
    void on_timer() override { apply(transfer.on_timer(Clock::now())); }
    void unreachable() override {
        transfer.peer_unreachable();
        end();
    }
    void report() override { srv.report_read(*this); }

    // Sends DATA blocks [first, end): a window of several blocks in GSO sends of up to per_send
    // packets, otherwise (or once GSO was refused) packet by packet.
    void send_data(uint64_t first, uint64_t end, boost::system::error_code& ec) {
        const size_t cap = transfer.packet_capacity();
        for (uint64_t b = first; !ec && b < end;) {
            const uint64_t n = std::min<uint64_t>(per_send, end - b);
            if (srv.tx.size() < n * cap) srv.tx.resize(n * cap);
            if (n == 1) {
                const size_t len = transfer.encode_block(b, srv.tx);
                ec = srv.send(sock(), peer, std::span<const uint8_t>(srv.tx.data(), len));
                ++b;
                continue;
            }
            size_t len = 0;
            bool full = true;  // every packet but the last one of the send is a whole segment
            for (uint64_t i = 0; i < n; ++i) {
                const size_t k = transfer.encode_block(b + i, std::span<uint8_t>(srv.tx.data() + len, cap));
                if (k != cap && i + 1 < n) full = false;
                len += k;
            }
            bool unsupported = !full;
            if (full)
                ec = srv.send_segments(sock(), peer, std::span<const uint8_t>(srv.tx.data(), len), cap, unsupported);
            if (unsupported) {
                per_send = 1;  // and send this batch again, packet by packet
                srv.stats.gso_refused++;
                log::debug("{} to {}: UDP GSO refused, sending packet by packet", mb::quoted(name),
                           endpoint_text(peer));
                continue;
            }
            srv.stats.gso_sends++;
            b += n;
        }
    }

    void apply(const Actions& a) {
        try {
            boost::system::error_code ec;
            if (a.send_oack) {
                encode_oack(transfer.oack_options(), srv.tx);
                ec = srv.send(sock(), peer, srv.tx);
            }
            if (a.data_count) send_data(a.data_first, a.data_first + a.data_count, ec);
            // A pending ICMP error is reported by the next send as well (and then cleared).
            if (peer_gone(ec)) return;
        } catch (const Error& e) {
            log::write_limited(srv.fail_log, log::Level::error,
                               fmt::format("{} for {}: {}", name, endpoint_text(peer), e.what()));
            srv.send_error(sock(), peer, ErrorCode::undefined, "Cannot read file");
            transfer.fail();
            end();
            return;
        }
        if (a.done || transfer.finished()) {
            end();
            return;
        }
        arm(a.timer);
    }
};

// A WRQ into one of tftp.write_dirs: tftp::Receive decides, Upload stores.
struct WriteSession final : SessionBase {
    std::string relative;
    std::unique_ptr<Upload> upload;
    Receive receive_sm;
    bool netascii = false;
    NetasciiDecoder decoder;
    std::vector<uint8_t> decoded;
    std::vector<uint8_t> big_rx;  // DATA packets are up to 4 + blksize bytes
    bool gone = false;

    WriteSession(Server::Impl& s, udp::endpoint p, std::unique_ptr<Upload> u, Negotiated n, bool ascii)
        : SessionBase(s, p),
          upload(std::move(u)),
          receive_sm(n, s.options.write_max_bytes, s.options.retry),
          netascii(ascii),
          big_rx(4 + n.blksize + 1) {}

    std::span<uint8_t> rx_buffer() override { return big_rx; }
    void start() override {
        if (own) receive();
        apply(receive_sm.start(Clock::now()));
    }
    void handle(std::span<const uint8_t> bytes) override { apply(receive_sm.on_packet(bytes, Clock::now())); }
    void on_duplicate_request() override { apply(receive_sm.on_duplicate_request(Clock::now())); }
    void on_timer() override { apply(receive_sm.on_timer(Clock::now())); }
    void unreachable() override {
        gone = true;
        end();
    }
    void report() override { srv.report_write(*this); }

    // Appends (decoding netascii) and commits; on failure returns the ERROR to end with.
    std::optional<PathError> store(const ReceiveActions& a) {
        std::span<const uint8_t> out = a.write;
        if (netascii) {
            decoded.clear();
            decoder.feed(a.write, decoded);
            if (a.commit) decoder.finish(decoded);
            out = decoded;
        }
        if (!out.empty() && !upload->write(out))
            return errno == ENOSPC || errno == EDQUOT || errno == EFBIG
                       ? PathError{ErrorCode::disk_full, "Disk full or allocation exceeded"}
                       : PathError{ErrorCode::undefined, "Cannot store file"};
        if (a.commit) return upload->commit();
        return std::nullopt;
    }

    void apply(ReceiveActions a) {
        if (!a.write.empty() || a.commit) {
            if (auto e = store(a)) a = receive_sm.storage_failed(e->code, e->message);
        }
        boost::system::error_code ec;
        if (a.send_oack) {
            encode_oack(receive_sm.oack_options(), srv.tx);
            ec = srv.send(sock(), peer, srv.tx);
        }
        if (a.send_ack) {
            encode_ack(*a.send_ack, srv.tx);
            ec = srv.send(sock(), peer, srv.tx);
        }
        if (a.send_error) srv.send_error(sock(), peer, *a.send_error, a.error_message);
        if (peer_gone(ec)) return;
        if (a.done || receive_sm.finished()) {
            end();
            return;
        }
        arm(a.timer);
    }
};

void Server::Impl::open() {
    const auto addr = asio::ip::make_address(options.address);
    listen_ep = udp::endpoint(addr, options.port);
    listener.open(listen_ep.protocol());
    listener.set_option(udp::socket::reuse_address(true));
    listener.bind(listen_ep);
    listener.non_blocking(true);
    // Room for bursts of requests (a rack of Pis powering on probes many files at once); root may
    // exceed net.core.rmem_max.
    {
        const int want = 4 << 20;
        if (::setsockopt(listener.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0) {
            boost::system::error_code ec;
            listener.set_option(asio::socket_base::receive_buffer_size(want), ec);
        }
    }
    listen_ep = listener.local_endpoint();
    if (!options.capture_path.empty()) capture = std::make_unique<Capture>(options.capture_path);
    receive();
}

void Server::Impl::receive() {
    auto self = shared_from_this();
    listener.async_receive_from(asio::buffer(rx), from, [self](const boost::system::error_code& ec, size_t n) {
        if (ec == asio::error::operation_aborted || self->closed) return;
        if (!ec) self->on_datagram(n);
        self->receive();
    });
}

boost::system::error_code Server::Impl::send(udp::socket& sock, const udp::endpoint& to,
                                             std::span<const uint8_t> bytes) {
    boost::system::error_code ec;
    sock.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
    // would_block: the socket buffer is full; the retransmission timer covers the loss.
    if (capture) {
        boost::system::error_code e2;
        capture->write(v4(listen_ep.address()), sock.local_endpoint(e2).port(), v4(to.address()), to.port(), bytes);
    }
    return ec == asio::error::would_block ? boost::system::error_code{} : ec;
}

boost::system::error_code Server::Impl::send_segments(udp::socket& sock, const udp::endpoint& to,
                                                      std::span<const uint8_t> bytes, size_t segment,
                                                      bool& unsupported) {
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(uint16_t))> control{};
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr*>(to.data());
    msg.msg_namelen = static_cast<socklen_t>(to.size());
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const auto size = static_cast<uint16_t>(segment);
    std::memcpy(CMSG_DATA(c), &size, sizeof size);
    if (::sendmsg(sock.native_handle(), &msg, MSG_NOSIGNAL) >= 0) return {};
    const int e = errno;
    // EAGAIN: the socket buffer is full; the retransmission timer covers the loss.
    if (e == EAGAIN || e == EWOULDBLOCK) return {};
    if (e == EINVAL || e == EIO || e == EMSGSIZE || e == ENOPROTOOPT || e == EOPNOTSUPP) {
        unsupported = true;
        return {};
    }
    return {e, asio::error::get_system_category()};
}

void Server::Impl::send_error(udp::socket& sock, const udp::endpoint& to, ErrorCode code, std::string_view message) {
    std::vector<uint8_t> buf;
    encode_error(code, message, buf);
    send(sock, to, buf);
}

void Server::Impl::on_datagram(size_t n) {
    const std::span<const uint8_t> bytes(rx.data(), n);
    const udp::endpoint client = from;
    if (options.single_port) {
        if (auto it = sessions.find(client); it != sessions.end()) {
            auto s = it->second;
            // A repeated RRQ is handled by the transfer itself (lost OACK / DATA 1).
            s->on_packet(bytes);
            return;
        }
    }
    if (capture) capture->write(v4(client.address()), client.port(), v4(listen_ep.address()), listen_ep.port(), bytes);
    Decoded d = decode(bytes);
    if (auto* bad = std::get_if<Malformed>(&d)) {
        stats.refused++;
        log::write_limited(refuse_log, log::Level::warn,
                           fmt::format("malformed request from {}: {}", endpoint_text(client), bad->reason));
        if (n >= 2 && !(bytes[0] == 0 && bytes[1] == 5))
            send_error(listener, client, bad->code, "Illegal TFTP operation");
        return;
    }
    const Packet& p = std::get<Packet>(d);
    if (auto* r = std::get_if<Request>(&p)) {
        on_request(*r, client);
        return;
    }
    if (std::holds_alternative<ErrorPacket>(p)) return;  // never answer an ERROR
    stats.refused++;
    send_error(listener, client, options.single_port ? ErrorCode::unknown_tid : ErrorCode::illegal_operation,
               options.single_port ? "Unknown transfer ID" : "Illegal TFTP operation");
}

void Server::Impl::on_request(const Request& r, const udp::endpoint& client) {
    stats.requests++;
    if (auto it = sessions.find(client); it != sessions.end()) {
        // The same TID asked again while its session lives: the OACK or DATA 1 was lost.
        stats.duplicate_requests++;
        it->second->on_duplicate_request();
        return;
    }
    const std::string client_text = endpoint_text(client);
    auto refuse = [&](ErrorCode code, std::string_view message, std::string_view why) {
        stats.refused++;
        log::write_limited(refuse_log, code == ErrorCode::file_not_found ? log::Level::debug : log::Level::warn,
                           fmt::format("refused {} from {}: {}", mb::quoted(r.filename), client_text, why));
        send_error(listener, client, code, message);
    };
    if (r.opcode == Opcode::wrq && write_dirs.empty())
        return refuse(ErrorCode::access_violation, "Uploads are not allowed", "write request (server is read-only)");
    if (sessions.size() >= options.max_sessions)
        return refuse(ErrorCode::undefined, "Server busy, try again", "too many transfers");
    auto norm = normalize_name(r.filename);
    if (auto* e = std::get_if<PathError>(&norm)) return refuse(e->code, e->message, e->message);
    if (r.opcode == Opcode::wrq) {
        const std::string& rel = std::get<std::string>(norm);
        if (!write_allowed(write_dirs, rel))
            return refuse(ErrorCode::access_violation, "Uploads are not allowed to this directory",
                          "write request outside tftp.write_dirs");
        if (auto size = announced_size(r); size && *size > options.write_max_bytes)
            return refuse(
                ErrorCode::disk_full, "File too large for this server",
                fmt::format("announced tsize {} exceeds tftp.write_max_bytes {}", *size, options.write_max_bytes));
        if (catalog.root_fd() < 0) return refuse(ErrorCode::undefined, "Cannot store file", "no served root");
        auto up = Upload::create(catalog.root_fd(), rel, options.write_overwrite);
        if (auto* e = std::get_if<PathError>(&up)) return refuse(e->code, e->message, e->message);
        auto w = std::make_shared<WriteSession>(*this, client, std::move(std::get<std::unique_ptr<Upload>>(up)),
                                                negotiate_write(r, options.limits), r.mode == Mode::netascii);
        w->name = r.filename;
        w->relative = rel;
        if (!launch(w, client)) return refuse(ErrorCode::undefined, "Server busy, try again", "cannot open a socket");
        log::debug("WRQ {} {} from {}", mb::quoted(r.filename), mode_name(r.mode), client_text);
        w->start();
        return;
    }
    const auto mapped = catalog.map(std::get<std::string>(norm), client.address().to_string());
    std::variant<Resolved, PathError> opened;
    try {
        opened = catalog.open(mapped);
    } catch (const Error& e) {
        log::write_limited(fail_log, log::Level::error,
                           fmt::format("cannot render {} for {}: {}", mapped.relative, client_text, e.what()));
        return refuse(ErrorCode::undefined, "Cannot render file", e.what());
    }
    if (auto* e = std::get_if<PathError>(&opened)) return refuse(e->code, e->message, e->message);
    Resolved res = std::get<Resolved>(std::move(opened));
    std::optional<uint64_t> size = res.source->size();
    if (r.mode == Mode::netascii) {
        // netascii is converted in memory; it is meant for small text files.
        if (res.source->size() > (64u << 20))
            return refuse(ErrorCode::undefined, "File too large for netascii, use octet", "netascii of a large file");
        try {
            auto converted = std::make_shared<const std::vector<uint8_t>>(to_netascii(read_all(*res.source)));
            res.source = std::make_shared<MemorySource>(converted);
        } catch (const Error& e) {
            return refuse(ErrorCode::undefined, "Cannot read file", e.what());
        }
        size.reset();
    }
    // Static files are read with pread: a per-transfer read-ahead makes that one call per 16 KiB.
    if (dynamic_cast<const FileSource*>(res.source.get())) res.source = std::make_shared<ReadAheadSource>(res.source);
    Limits limits = options.limits;
    Negotiated n = negotiate(r, size, limits);
    auto s = std::make_shared<Session>(*this, client, res.source, std::move(n));
    s->name = r.filename;
    s->origin = res.origin;
    s->device = mapped.mac ? mapped.mac->colon() : "";
    s->on_complete = std::move(res.on_complete);
    if (!launch(s, client)) return refuse(ErrorCode::undefined, "Server busy, try again", "cannot open a socket");
    log::debug("{} {} {} from {} ({}, device {})", opcode_name(static_cast<uint16_t>(r.opcode)), mb::quoted(r.filename),
               mode_name(r.mode), client_text, res.origin, s->device.empty() ? "-" : s->device);
    s->start();
}

bool Server::Impl::launch(const std::shared_ptr<SessionBase>& s, const udp::endpoint& client) {
    if (!options.single_port) {
        boost::system::error_code ec;
        s->own.emplace(io);
        s->own->open(client.protocol(), ec);
        if (!ec) s->own->bind(udp::endpoint(listen_ep.address(), 0), ec);
        if (!ec) s->own->non_blocking(true, ec);
        if (!ec) enable_icmp_errors(*s->own, client.protocol());
        if (ec) return false;
    }
    sessions.emplace(client, s);
    stats.active = sessions.size();
    return true;
}

void Server::Impl::finished(const std::shared_ptr<SessionBase>& s) {
    s->report();
    if (auto it = sessions.find(s->peer); it != sessions.end() && it->second == s) sessions.erase(it);
    stats.active = sessions.size();
}

void Server::Impl::report_read(const Session& s) {
    const auto& t = s.transfer;
    const auto& st = t.stats();
    const double secs = std::chrono::duration<double>(Clock::now() - s.started).count();
    switch (t.outcome()) {
        case Outcome::completed:
        case Outcome::completed_unacked:
            stats.completed++;
            stats.bytes += t.size();
            log::info("sent {} to {} ({} bytes, blksize {}, window {}, {} retransmits, {:.3f} s{}{})",
                      mb::quoted(s.name), endpoint_text(s.peer), t.size(), t.negotiated().blksize,
                      t.negotiated().windowsize, st.retransmits, secs, s.device.empty() ? "" : ", device " + s.device,
                      t.outcome() == Outcome::completed_unacked ? ", final ACK never came" : "");
            if (s.on_complete) {
                try {
                    s.on_complete();
                } catch (const std::exception& e) {
                    log::error("after sending {} to {}: {}", mb::quoted(s.name), endpoint_text(s.peer), e.what());
                }
            }
            break;
        case Outcome::probe_aborted:
            stats.probes++;
            log::debug("size probe {} from {} ended by the client ({})", mb::quoted(s.name), endpoint_text(s.peer),
                       mb::quoted(st.client_error));
            break;
        default:
            stats.failed++;
            if (t.outcome() == Outcome::unreachable) stats.unreachable++;
            log::write_limited(
                fail_log, log::Level::warn,
                fmt::format("transfer of {} to {} {} after {:.3f} s, {} packets sent, {} retransmits{}",
                            mb::quoted(s.name), endpoint_text(s.peer), outcome_name(t.outcome()), secs, st.packets_sent,
                            st.retransmits,
                            st.client_error.empty() ? "" : ": client said " + mb::quoted(st.client_error)));
    }
}

void Server::Impl::report_write(const WriteSession& s) {
    const auto& r = s.receive_sm;
    const auto& st = r.stats();
    const double secs = std::chrono::duration<double>(Clock::now() - s.started).count();
    if (r.outcome() == ReceiveOutcome::completed && r.committed()) {
        stats.uploads++;
        log::info("received {} from {} ({} bytes, blksize {}, {} retransmits, {:.3f} s)", mb::quoted(s.relative),
                  endpoint_text(s.peer), s.upload->written(), r.negotiated().blksize, st.retransmits, secs);
        return;
    }
    stats.failed++;
    if (s.gone) stats.unreachable++;
    log::write_limited(
        fail_log, log::Level::warn,
        fmt::format("upload of {} from {} {} after {:.3f} s ({} bytes received, discarded){}", mb::quoted(s.name),
                    endpoint_text(s.peer), s.gone ? "unreachable" : receive_outcome_name(r.outcome()), secs, st.bytes,
                    st.client_error.empty() ? "" : ": client said " + mb::quoted(st.client_error)));
}

Server::Server(asio::io_context& io, Catalog& catalog, ServerOptions options)
    : impl_(std::make_shared<Impl>(io, catalog, std::move(options))) {
    impl_->open();
}

Server::~Server() {
    close();
}

uint16_t Server::port() const {
    return impl_->listen_ep.port();
}

void Server::close() {
    if (impl_->closed) return;
    impl_->closed = true;
    boost::system::error_code ec;
    impl_->listener.close(ec);
    auto sessions = impl_->sessions;
    for (auto& [ep, s] : sessions) s->end();
}

ServerStats Server::stats() const {
    return impl_->stats;
}

}  // namespace mb::tftp
