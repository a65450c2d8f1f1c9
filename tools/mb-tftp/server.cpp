#include "server.hpp"

#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <vector>

#include "capture.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "tftp/path.hpp"

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

}  // namespace

struct Session;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    asio::io_context& io;
    Catalog& catalog;
    ServerOptions options;
    udp::socket listener;
    udp::endpoint listen_ep;
    udp::endpoint from;
    std::array<uint8_t, 65536> rx{};
    std::vector<uint8_t> tx;  // one send buffer for every session: sends are synchronous
    std::map<udp::endpoint, std::shared_ptr<Session>> sessions;
    std::unique_ptr<Capture> capture;
    ServerStats stats;
    bool closed = false;
    log::RateLimiter refuse_log{2.0, 10.0};
    log::RateLimiter fail_log{2.0, 10.0};

    Impl(asio::io_context& io_, Catalog& c, ServerOptions o)
        : io(io_), catalog(c), options(std::move(o)), listener(io_) {}

    void open();
    void receive();
    void on_datagram(size_t n);
    void on_request(const Request& r, const udp::endpoint& client);
    void send_error(udp::socket& sock, const udp::endpoint& to, ErrorCode code, std::string_view message);
    void send(udp::socket& sock, const udp::endpoint& to, std::span<const uint8_t> bytes);
    void finished(const std::shared_ptr<Session>& s);
};

struct Session : std::enable_shared_from_this<Session> {
    Server::Impl& srv;
    udp::endpoint peer;
    std::optional<udp::socket> own;  // per-transfer TID socket (absent in single-port mode)
    asio::steady_timer timer;
    std::string name;  // as requested
    std::string origin;
    std::string device;
    std::function<void()> on_complete;
    SourcePtr source;
    Transfer transfer;
    Time started;
    std::array<uint8_t, 600> rx{};  // ACKs are 4 bytes, ERRORs short; longer is truncated
    udp::endpoint from;
    bool ended = false;
    bool timer_pending = false;
    Time timer_at{};

    Session(Server::Impl& s, udp::endpoint p, SourcePtr src, Negotiated n)
        : srv(s),
          peer(p),
          timer(s.io),
          source(std::move(src)),
          transfer(*source, std::move(n), s.options.retry),
          started(Clock::now()) {}

    udp::socket& sock() { return own ? *own : srv.listener; }

    void start() {
        if (own) receive();
        apply(transfer.start(Clock::now()));
    }

    void receive() {
        auto self = shared_from_this();
        own->async_receive_from(asio::buffer(rx), from, [self](const boost::system::error_code& ec, size_t n) {
            if (ec == asio::error::operation_aborted || self->ended) return;
            if (ec) {
                // ICMP port unreachable surfaces as connection_refused on Linux: the client is gone.
                if (ec == asio::error::connection_refused) {
                    self->end();
                    return;
                }
                self->receive();
                return;
            }
            if (self->from != self->peer) {
                self->srv.stats.foreign_tid++;
                self->srv.send_error(*self->own, self->from, ErrorCode::unknown_tid, "Unknown transfer ID");
            } else {
                self->on_packet(std::span<const uint8_t>(self->rx.data(), n));
            }
            if (!self->ended) self->receive();
        });
    }

    void on_packet(std::span<const uint8_t> bytes) {
        if (srv.capture)
            srv.capture->write(v4(peer.address()), peer.port(), v4(srv.listen_ep.address()), local_port(), bytes);
        apply(transfer.on_packet(bytes, Clock::now()));
    }

    void on_duplicate_request() { apply(transfer.on_duplicate_request(Clock::now())); }

    uint16_t local_port() {
        boost::system::error_code ec;
        return own ? own->local_endpoint(ec).port() : srv.listen_ep.port();
    }

    void apply(const Actions& a) {
        try {
            if (a.send_oack) {
                encode_oack(transfer.oack_options(), srv.tx);
                srv.send(sock(), peer, srv.tx);
            }
            if (a.data_count) {
                if (srv.tx.size() < transfer.packet_capacity()) srv.tx.resize(transfer.packet_capacity());
                for (uint64_t b = a.data_first; b < a.data_first + a.data_count; ++b) {
                    const size_t n = transfer.encode_block(b, srv.tx);
                    srv.send(sock(), peer, std::span<const uint8_t>(srv.tx.data(), n));
                }
            }
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
        // Lazy timer: most ACKs only move the deadline later, so a pending wait is left alone and
        // fires early; Transfer::on_timer then answers with the real deadline. This saves two
        // timerfd updates per DATA packet.
        if (a.timer && (!timer_pending || *a.timer < timer_at)) {
            timer_pending = true;
            timer_at = *a.timer;
            timer.expires_at(*a.timer);
            auto self = shared_from_this();
            timer.async_wait([self](const boost::system::error_code& ec) {
                if (ec == asio::error::operation_aborted) return;
                self->timer_pending = false;
                if (self->ended) return;
                self->apply(self->transfer.on_timer(Clock::now()));
            });
        }
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

void Server::Impl::send(udp::socket& sock, const udp::endpoint& to, std::span<const uint8_t> bytes) {
    boost::system::error_code ec;
    sock.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
    // would_block: the socket buffer is full; the retransmission timer covers the loss.
    if (capture) {
        boost::system::error_code e2;
        capture->write(v4(listen_ep.address()), sock.local_endpoint(e2).port(), v4(to.address()), to.port(), bytes);
    }
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
    if (r.opcode == Opcode::wrq) return refuse(ErrorCode::access_violation, "Uploads are not allowed", "write request");
    if (sessions.size() >= options.max_sessions)
        return refuse(ErrorCode::undefined, "Server busy, try again", "too many transfers");
    auto norm = normalize_name(r.filename);
    if (auto* e = std::get_if<PathError>(&norm)) return refuse(e->code, e->message, e->message);
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
    Limits limits = options.limits;
    Negotiated n = negotiate(r, size, limits);
    auto s = std::make_shared<Session>(*this, client, res.source, std::move(n));
    s->name = r.filename;
    s->origin = res.origin;
    s->device = mapped.mac ? mapped.mac->colon() : "";
    s->on_complete = std::move(res.on_complete);
    if (!options.single_port) {
        boost::system::error_code ec;
        s->own.emplace(io);
        s->own->open(client.protocol(), ec);
        if (!ec) s->own->bind(udp::endpoint(listen_ep.address(), 0), ec);
        if (!ec) s->own->non_blocking(true, ec);
        if (ec) return refuse(ErrorCode::undefined, "Server busy, try again", ec.message());
    }
    sessions.emplace(client, s);
    stats.active = sessions.size();
    log::debug("{} {} {} from {} ({}, device {})", opcode_name(static_cast<uint16_t>(r.opcode)), mb::quoted(r.filename),
               mode_name(r.mode), client_text, res.origin, s->device.empty() ? "-" : s->device);
    s->start();
}

void Server::Impl::finished(const std::shared_ptr<Session>& s) {
    const auto& t = s->transfer;
    const auto& st = t.stats();
    const double secs = std::chrono::duration<double>(Clock::now() - s->started).count();
    switch (t.outcome()) {
        case Outcome::completed:
        case Outcome::completed_unacked:
            stats.completed++;
            stats.bytes += t.size();
            log::info("sent {} to {} ({} bytes, blksize {}, window {}, {} retransmits, {:.3f} s{}{})",
                      mb::quoted(s->name), endpoint_text(s->peer), t.size(), t.negotiated().blksize,
                      t.negotiated().windowsize, st.retransmits, secs, s->device.empty() ? "" : ", device " + s->device,
                      t.outcome() == Outcome::completed_unacked ? ", final ACK never came" : "");
            if (s->on_complete) {
                try {
                    s->on_complete();
                } catch (const std::exception& e) {
                    log::error("after sending {} to {}: {}", mb::quoted(s->name), endpoint_text(s->peer), e.what());
                }
            }
            break;
        case Outcome::probe_aborted:
            stats.probes++;
            log::debug("size probe {} from {} ended by the client ({})", mb::quoted(s->name), endpoint_text(s->peer),
                       mb::quoted(st.client_error));
            break;
        default:
            stats.failed++;
            log::write_limited(
                fail_log, log::Level::warn,
                fmt::format("transfer of {} to {} {}{}", mb::quoted(s->name), endpoint_text(s->peer),
                            outcome_name(t.outcome()),
                            st.client_error.empty() ? "" : ": client said " + mb::quoted(st.client_error)));
    }
    if (auto it = sessions.find(s->peer); it != sessions.end() && it->second == s) sessions.erase(it);
    stats.active = sessions.size();
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
