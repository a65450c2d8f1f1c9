// The Beast/Asio side of mb::http::Server: acceptors, one Connection per socket (plain or TLS),
// request reading with limits and deadlines, and the three body writers (string, file, stream).
#include "http/server.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "http/beast_glue.hpp"
#include "http/wire.hpp"
#include "log/log.hpp"

namespace mb::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

log::RateLimiter g_conn_errors(1.0, 10.0);
log::RateLimiter g_accept_errors(1.0, 5.0);

const std::string& cached_date() {
    thread_local std::time_t last = 0;
    thread_local std::string text;
    const std::time_t now = std::time(nullptr);
    if (now != last) {
        last = now;
        text = http_date(now);
    }
    return text;
}

std::string endpoint_text(const tcp::endpoint& ep) {
    const auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
    return addr.to_string();
}

class ConnBase : public std::enable_shared_from_this<ConnBase> {
public:
    virtual ~ConnBase() = default;
    virtual void shutdown_if_idle() = 0;
};

}  // namespace

struct Server::Impl {
    Impl(asio::io_context& io, const Router& r, ServerOptions o) : ioc(io), router(r), opts(std::move(o)) {}
    asio::io_context& ioc;
    const Router& router;
    ServerOptions opts;
    std::atomic<bool> stopping{false};
    std::atomic<size_t> open{0};
    std::mutex mu;
    std::unordered_map<ConnBase*, std::weak_ptr<ConnBase>> conns;
    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;

    void add(ConnBase* c, std::weak_ptr<ConnBase> w) {
        std::lock_guard lock(mu);
        conns.emplace(c, std::move(w));
    }
    void remove(ConnBase* c) {
        std::lock_guard lock(mu);
        conns.erase(c);
    }
};

namespace {

constexpr size_t kTlsChunk = 256 * 1024;

template <bool kTls>
class Connection : public ConnBase {
public:
    using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

    Connection(std::shared_ptr<Server::Impl> srv, tcp::socket socket, ssl::context* ctx)
        : srv_(std::move(srv)), stream_(make_stream(std::move(socket), ctx)), timer_(stream_.get_executor()) {
        ++srv_->open;
    }
    ~Connection() override {
        --srv_->open;
        srv_->remove(this);
    }

    void start() {
        srv_->add(this, weak_from_this());
        beast::error_code ec;
        auto& sock = lowest().socket();
        const auto remote = sock.remote_endpoint(ec);
        if (!ec) {
            remote_addr_ = endpoint_text(remote);
            remote_port_ = remote.port();
        }
        const auto local = sock.local_endpoint(ec);
        if (!ec) {
            local_addr_ = endpoint_text(local);
            local_port_ = local.port();
        }
        sock.set_option(tcp::no_delay(true), ec);
        // Timeouts (Beast closes the socket itself when one fires) reset the connection instead of
        // sending a FIN; our own orderly closes switch this off first. See close_reset().
        sock.set_option(asio::socket_base::linger(true, 0), ec);
        if constexpr (kTls) {
            lowest().expires_after(srv_->opts.header_timeout);
            stream_.async_handshake(ssl::stream_base::server, [self = self()](beast::error_code e) {
                if (e) {
                    log::write_limited(g_conn_errors, log::Level::debug, "TLS handshake failed",
                                       {{"remote", self->remote_addr_}, {"error", e.message()}});
                    self->close_now();
                    return;
                }
                self->read_request();
            });
        } else {
            read_request();
        }
    }

    void shutdown_if_idle() override {
        asio::post(stream_.get_executor(), [self = self()] {
            if (self->idle_) self->close_now();
        });
    }

private:
    static Stream make_stream(tcp::socket socket, ssl::context* ctx) {
        if constexpr (kTls)
            return Stream(std::move(socket), *ctx);
        else
            return Stream(std::move(socket));
    }

    std::shared_ptr<Connection> self() { return std::static_pointer_cast<Connection>(shared_from_this()); }
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
    const ServerOptions& opts() const { return srv_->opts; }

    // ---- reading ---------------------------------------------------------------------------

    void read_request() {
        idle_ = true;
        if (srv_->stopping) {
            close_now();
            return;
        }
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts().max_header_bytes, UINT32_MAX)));
        // Beast compares Content-Length with body_limit while parsing the head; the per-route limit
        // is applied in on_header once the route is known.
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        req_ = Request{};
        match_ = Router::Match{};
        exchange_ = Exchange{};
        lowest().expires_after(requests_ == 0 ? opts().header_timeout : opts().idle_timeout);
        bhttp::async_read_header(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t n) {
            self->on_header(ec, n);
        });
    }

    void on_header(beast::error_code ec, size_t n) {
        idle_ = false;
        exchange_.bytes_in += n;
        if (ec) {
            if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
                ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
                ec == ssl::error::stream_truncated || buffer_.size() == 0) {
                // Nothing (complete) arrived: a closed keep-alive connection, a slowloris, a reset.
                if (ec == beast::error::timeout && buffer_.size() > 0)
                    log::write_limited(g_conn_errors, log::Level::info, "request head timed out",
                                       {{"remote", remote_addr_}});
                if (ec == beast::error::timeout ||
                    ((ec == bhttp::error::end_of_stream || ec == asio::error::eof) && send_queue_empty()))
                    close_reset();
                else
                    close_now();
                return;
            }
            reject(detail::status_for_parse_error(ec), ec.message());
            return;
        }
        started_ = std::chrono::steady_clock::now();
        std::string why;
        const int bad = detail::fill_request_head(parser_->get().base(), req_, why);
        if (bad) {
            reject(bad, why);
            return;
        }
        match_ = srv_->router.match(req_.method, req_.path);
        const size_t limit = match_.max_body.value_or(opts().max_body_bytes);
        const auto length = parser_->content_length();
        if (length && *length > limit) {
            reject(413, fmt::format("body of {} bytes exceeds {} for {}", *length, limit, req_.path));
            return;
        }
        parser_->body_limit(limit);
        if (parser_->is_done()) {
            dispatch();
            return;
        }
        const auto expect = req_.header("Expect");
        if (expect && iequals(*expect, "100-continue") && req_.version == 11) {
            continue_ = "HTTP/1.1 100 Continue\r\n\r\n";
            lowest().expires_after(opts().write_timeout);
            asio::async_write(stream_, asio::buffer(continue_), [self = self()](beast::error_code e, size_t) {
                if (e) {
                    self->close_now();
                    return;
                }
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        lowest().expires_after(opts().body_timeout);
        bhttp::async_read(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t n) {
            self->exchange_.bytes_in += n;
            if (ec) {
                if (ec == bhttp::error::body_limit || ec == bhttp::error::bad_chunk ||
                    ec == bhttp::error::bad_chunk_extension || ec == bhttp::error::bad_content_length) {
                    self->reject(detail::status_for_parse_error(ec), ec.message());
                    return;
                }
                if (ec == beast::error::timeout)
                    log::write_limited(g_conn_errors, log::Level::info, "request body timed out",
                                       {{"remote", self->remote_addr_}, {"target", self->req_.target}});
                self->close_now();
                return;
            }
            self->dispatch();
        });
    }

    void fill_exchange() {
        exchange_.method = req_.method;
        exchange_.target = req_.target;
        if (remote_text_.empty()) remote_text_ = fmt::format("{}:{}", remote_addr_, remote_port_);
        exchange_.remote = remote_text_;
        exchange_.tls = kTls;
        if (auto ua = req_.header("User-Agent")) exchange_.user_agent = std::string(*ua);
    }

    // Answers an error before any handler ran, then closes (the rest of the input is unusable).
    void reject(int status, const std::string& why) {
        log::write_limited(g_conn_errors, log::Level::info, "rejected request",
                           {{"remote", remote_addr_}, {"status", std::to_string(status)}, {"reason", why}});
        if (started_ == std::chrono::steady_clock::time_point{}) started_ = std::chrono::steady_clock::now();
        exchange_.route = match_.route ? match_.name : status == 413 ? "(too large)" : "(bad request)";
        if (req_.version == 0) req_.version = 11;
        force_close_ = true;
        auto res = text_response(status, std::string(reason_phrase(status)) + "\n");
        send(std::move(res));
    }

    void dispatch() {
        req_.body = std::move(parser_->get().body());
        req_.remote_address = remote_addr_;
        req_.remote_port = remote_port_;
        req_.local_address = local_addr_;
        req_.local_port = local_port_;
        req_.tls = kTls;
        keep_alive_request_ = parser_->get().keep_alive();
        ++requests_;
        lowest().expires_never();
        auto exec = stream_.get_executor();
        // The responder keeps the connection alive: it owns the Request the handler reads.
        srv_->router.dispatch(req_, match_, [self = self(), exec](Response res) {
            asio::dispatch(exec, [self, res = std::move(res)]() mutable { self->send(std::move(res)); });
        });
        exchange_.route = req_.route;
    }

    // ---- writing ---------------------------------------------------------------------------

    void send(Response res) {
        if (sending_) return;
        sending_ = true;
        res_ = std::move(res);
        if (exchange_.route.empty()) exchange_.route = req_.route;
        if (res_.file && !res_.file->open) {
            const int fd = ::open(res_.file->path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                log::write_limited(g_conn_errors, log::Level::error, "cannot open response file",
                                   {{"path", res_.file->path}, {"error", std::strerror(errno)}});
                res_ = text_response(500, "internal error\n");
            } else {
                res_.file->open = std::make_shared<OpenFile>(fd);
            }
        }
        head_only_ = req_.method == "HEAD";
        plan_ = plan_body(res_, req_.version);
        keep_alive_ = !force_close_ && keep_alive_request_ && !res_.close && !srv_->stopping &&
                      plan_.framing != Framing::eof;
        if (res_.stream && (head_only_ || plan_.framing == Framing::none)) {
            res_.stream->cancel();
            res_.stream.reset();
        }
        exchange_.status = res_.status;
        head_ = serialize_head(res_, plan_, keep_alive_, req_.version, cached_date(), opts().server_name);
        const bool body = !head_only_ && plan_.framing != Framing::none;
        const bool inline_body = body && !res_.file && !res_.stream;
        const std::array<asio::const_buffer, 2> bufs{asio::buffer(head_),
                                                     inline_body ? asio::buffer(res_.body) : asio::const_buffer()};
        lowest().expires_after(opts().write_timeout);
        asio::async_write(stream_, bufs, [self = self(), body, inline_body](beast::error_code ec, size_t n) {
            self->exchange_.bytes_out += n;
            if (ec) {
                self->abort();
                return;
            }
            if (!body || inline_body) {
                self->finish();
                return;
            }
            if (self->res_.file) {
                self->file_pos_ = self->res_.file->offset;
                self->file_left_ = self->res_.file->length;
                self->send_file();
            } else {
                self->pull_stream();
            }
        });
    }

    void send_file() {
        if constexpr (!kTls) {
            auto& sock = lowest().socket();
            beast::error_code ec;
            if (!sock.native_non_blocking()) sock.native_non_blocking(true, ec);
            const int fd = res_.file->open->fd();
            size_t this_turn = 0;
            while (file_left_ > 0) {
                off_t off = static_cast<off_t>(file_pos_);
                const size_t want = static_cast<size_t>(std::min<uint64_t>(file_left_, 1u << 30));
                const ssize_t n = ::sendfile(sock.native_handle(), fd, &off, want);
                if (n > 0) {
                    file_pos_ += static_cast<uint64_t>(n);
                    file_left_ -= static_cast<uint64_t>(n);
                    exchange_.bytes_out += static_cast<uint64_t>(n);
                    this_turn += static_cast<size_t>(n);
                    if (this_turn >= 16 * 1024 * 1024 && file_left_ > 0) {
                        // Let other connections run.
                        asio::post(stream_.get_executor(), [self = self()] { self->send_file(); });
                        return;
                    }
                    continue;
                }
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    timer_.expires_after(opts().write_timeout);
                    timer_.async_wait([self = self()](beast::error_code e) {
                        if (!e) {
                            beast::error_code ignored;
                            self->lowest().socket().cancel(ignored);
                        }
                    });
                    sock.async_wait(tcp::socket::wait_write, [self = self()](beast::error_code e) {
                        self->timer_.cancel();
                        if (e) {
                            self->abort();
                            return;
                        }
                        self->send_file();
                    });
                    return;
                }
                if (n == 0)
                    log::write_limited(g_conn_errors, log::Level::warn, "file shorter than announced",
                                       {{"path", res_.file->path}});
                abort();
                return;
            }
            finish();
        } else {
            if (file_left_ == 0) {
                finish();
                return;
            }
            chunk_.resize(static_cast<size_t>(std::min<uint64_t>(file_left_, kTlsChunk)));
            ssize_t n;
            do {
                n = ::pread(res_.file->open->fd(), chunk_.data(), chunk_.size(), static_cast<off_t>(file_pos_));
            } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                log::write_limited(g_conn_errors, log::Level::warn, "file shorter than announced",
                                   {{"path", res_.file->path}});
                abort();
                return;
            }
            chunk_.resize(static_cast<size_t>(n));
            file_pos_ += static_cast<uint64_t>(n);
            file_left_ -= static_cast<uint64_t>(n);
            lowest().expires_after(opts().write_timeout);
            asio::async_write(stream_, asio::buffer(chunk_), [self = self()](beast::error_code ec, size_t w) {
                self->exchange_.bytes_out += w;
                if (ec) {
                    self->abort();
                    return;
                }
                self->send_file();
            });
        }
    }

    void pull_stream() {
        auto exec = stream_.get_executor();
        auto stream = res_.stream;
        stream->pull([self = self(), exec](bool ok, std::string chunk) {
            asio::post(exec, [self, ok, chunk = std::move(chunk)]() mutable { self->on_chunk(ok, std::move(chunk)); });
        });
    }

    void on_chunk(bool ok, std::string chunk) {
        if (!res_.stream) return;  // already aborted
        if (!ok) {
            log::write_limited(g_conn_errors, log::Level::info, "stream aborted by its producer",
                               {{"target", req_.target}});
            res_.stream.reset();
            abort();
            return;
        }
        if (chunk.empty()) {
            if (plan_.framing == Framing::length && stream_sent_ != plan_.length) {
                log::write_limited(g_conn_errors, log::Level::warn, "stream ended short of its Content-Length",
                                   {{"target", req_.target}});
                res_.stream.reset();
                abort();
                return;
            }
            if (plan_.framing == Framing::chunked) {
                chunk_head_.clear();
                chunk_ = "0\r\n\r\n";
                write_chunk(true);
                return;
            }
            finish();
            return;
        }
        bool overrun = false;
        if (plan_.framing == Framing::length && stream_sent_ + chunk.size() > plan_.length) {
            chunk.resize(static_cast<size_t>(plan_.length - stream_sent_));
            overrun = true;
        }
        stream_sent_ += chunk.size();
        // chunked framing goes out as a gathered write (size line, data, CRLF): no copy of the data
        chunk_head_ = plan_.framing == Framing::chunked ? fmt::format("{:x}\r\n", chunk.size()) : std::string();
        chunk_ = std::move(chunk);
        if (overrun) {
            log::write_limited(g_conn_errors, log::Level::warn, "stream longer than its Content-Length",
                               {{"target", req_.target}});
            res_.stream->cancel();
            force_close_ = true;
            keep_alive_ = false;
        }
        write_chunk(overrun);
    }

    void write_chunk(bool last) {
        lowest().expires_after(opts().write_timeout);
        static constexpr std::string_view kCrlf = "\r\n";
        const std::array<asio::const_buffer, 3> parts{
            asio::buffer(chunk_head_), asio::buffer(chunk_),
            chunk_head_.empty() ? asio::const_buffer() : asio::buffer(kCrlf.data(), kCrlf.size())};
        asio::async_write(stream_, parts, [self = self(), last](beast::error_code ec, size_t n) {
            self->exchange_.bytes_out += n;
            if (ec) {
                if (self->res_.stream) self->res_.stream->cancel();
                self->res_.stream.reset();
                self->abort();
                return;
            }
            if (last) {
                self->res_.stream.reset();
                self->finish();
                return;
            }
            self->pull_stream();
        });
    }

    void record(bool aborted) {
        // Filled only when someone reads it: the access log (info) or the on_exchange hook.
        const bool access_log = opts().access_log && log::enabled(log::Level::info);
        if (!access_log && !opts().on_exchange) return;
        fill_exchange();
        exchange_.aborted = aborted;
        exchange_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        if (access_log)
            log::write(log::Level::info, "request",
                       {{"remote", exchange_.remote},
                        {"method", exchange_.method},
                        {"target", exchange_.target},
                        {"status", std::to_string(exchange_.status)},
                        {"bytes", std::to_string(exchange_.bytes_out)},
                        {"ms", fmt::format("{:.1f}", exchange_.seconds * 1000)},
                        {"route", exchange_.route},
                        {"ua", exchange_.user_agent},
                        {"aborted", aborted ? "true" : "false"}});
        if (opts().on_exchange) opts().on_exchange(exchange_);
    }

    void finish() {
        record(false);
        sending_ = false;
        res_ = Response{};
        chunk_.clear();
        chunk_.shrink_to_fit();
        head_.clear();
        stream_sent_ = 0;
        if (keep_alive_ && !force_close_) {
            read_request();
            return;
        }
        close_graceful();
    }

    // The response could not be completed: no terminator, close now so the client sees truncation.
    void abort() {
        if (res_.stream) {
            res_.stream->cancel();
            res_.stream.reset();
        }
        record(true);
        close_now();
    }

    void close_now() {
        timer_.cancel();
        beast::error_code ec;
        lowest().socket().set_option(asio::socket_base::linger(false, 0), ec);  // orderly: FIN, not RST
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
    }

    // A timed-out connection is reset, not closed with a FIN (SO_LINGER 0 is set at accept, so this
    // also holds when Beast closes the socket on a timeout): its peer is often a machine that lost
    // power mid-boot, and a FIN to it would keep the address/port pair in FIN-WAIT for minutes. Boot
    // firmware (GRUB, some EDK2 builds) reuses the same source ports after a power cycle, and its SYN
    // to a pair the server still holds is never answered with a new connection.
    void close_reset() {
        timer_.cancel();
        beast::error_code ec;
        lowest().socket().set_option(asio::socket_base::linger(true, 0), ec);
        lowest().close();
    }

    // Everything we sent is acknowledged. A client that closed its side while idle then needs no
    // FIN from us, and must not get one: GRUB closes with a zero receive window, so our FIN would
    // wait behind window probes for minutes and pin the pair (see close_reset()).
    bool send_queue_empty() {
        int unsent = 0;
        return ::ioctl(lowest().socket().native_handle(), SIOCOUTQ, &unsent) == 0 && unsent == 0;
    }

    // Lingering close: send FIN, then drain what the client still sends (e.g. a body we refused)
    // for a moment, so its kernel does not answer our last bytes with a reset.
    void close_graceful() {
        if constexpr (kTls) {
            lowest().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = self()](beast::error_code) { self->close_now(); });
        } else {
            beast::error_code ec;
            lowest().socket().set_option(asio::socket_base::linger(false, 0), ec);  // orderly: FIN, not RST
            lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
            if (ec) {
                close_now();
                return;
            }
            lowest().expires_after(std::chrono::seconds(2));
            drain();
        }
    }

    void drain() {
        lowest().async_read_some(asio::buffer(drain_buf_), [self = self()](beast::error_code ec, size_t) {
            if (ec) {
                self->close_now();
                return;
            }
            self->drain();
        });
    }

    std::shared_ptr<Server::Impl> srv_;
    Stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Request req_;
    Router::Match match_;
    Response res_;
    Exchange exchange_;
    HeadPlan plan_;
    std::string head_;
    std::string chunk_;
    std::string chunk_head_;  // chunked framing: "<size hex>\r\n" before chunk_ (then CRLF)
    std::string continue_;
    std::array<char, 4096> drain_buf_{};
    std::string remote_addr_, local_addr_;
    std::string remote_text_;  // "ip:port" for the Exchange, made once per connection
    uint16_t remote_port_ = 0, local_port_ = 0;
    std::chrono::steady_clock::time_point started_{};
    uint64_t file_pos_ = 0, file_left_ = 0, stream_sent_ = 0;
    size_t requests_ = 0;
    bool idle_ = true;
    bool sending_ = false;
    bool head_only_ = false;
    bool keep_alive_ = false;
    bool keep_alive_request_ = false;
    bool force_close_ = false;
};

std::shared_ptr<ssl::context> make_tls_context(const TlsFiles& files) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    ctx->use_certificate_chain_file(files.cert_file, ec);
    if (ec) throw config_error("TLS certificate " + files.cert_file + ": " + ec.message());
    ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
    if (ec) throw config_error("TLS key " + files.key_file + ": " + ec.message());
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
        throw config_error("TLS key " + files.key_file + " does not match certificate " + files.cert_file);
    return ctx;
}

void accept_loop(std::shared_ptr<Server::Impl> srv, std::shared_ptr<tcp::acceptor> acc,
                 std::shared_ptr<ssl::context> tls) {
    // The io_context runs on one thread (see server.hpp): connections use its executor directly. A
    // strand per connection cost ~17 allocations and as many atomic reference counts per request.
    acc->async_accept(srv->ioc, [srv, acc, tls](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acc->is_open()) return;
        if (ec) {
            log::write_limited(g_accept_errors, log::Level::warn, "accept failed", {{"error", ec.message()}});
            // EMFILE and friends: back off briefly instead of spinning.
            auto timer = std::make_shared<asio::steady_timer>(srv->ioc, std::chrono::milliseconds(100));
            timer->async_wait([srv, acc, tls, timer](beast::error_code) { accept_loop(srv, acc, tls); });
            return;
        }
        if (srv->open.load() >= srv->opts.max_connections) {
            log::write_limited(g_accept_errors, log::Level::warn, "connection limit reached, closing new connection",
                               {{"limit", std::to_string(srv->opts.max_connections)}});
            beast::error_code ignored;
            socket.close(ignored);
        } else if (tls) {
            std::make_shared<Connection<true>>(srv, std::move(socket), tls.get())->start();
        } else {
            std::make_shared<Connection<false>>(srv, std::move(socket), nullptr)->start();
        }
        accept_loop(srv, acc, tls);
    });
}

}  // namespace

Server::Server(asio::io_context& ioc, const Router& router, ServerOptions options)
    : impl_(std::make_shared<Impl>(ioc, router, std::move(options))) {}

Server::~Server() { stop(); }

uint16_t Server::listen(const Listen& l) {
    std::shared_ptr<ssl::context> tls;
    if (l.tls) tls = make_tls_context(*l.tls);
    beast::error_code ec;
    const auto addr = asio::ip::make_address(l.address, ec);
    if (ec) throw config_error("listen address " + mb::quoted(l.address) + " is not an IP address");
    const tcp::endpoint ep(addr, l.port);
    auto acc = std::make_shared<tcp::acceptor>(impl_->ioc);
    const std::string where = fmt::format("{}:{}", l.address, l.port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && addr.is_v6() && addr.to_v6().is_unspecified()) acc->set_option(asio::ip::v6_only(false), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw Error(kExitUnavailable, "cannot listen on " + where + ": " + ec.message());
    const uint16_t port = acc->local_endpoint().port();
    impl_->acceptors.push_back(acc);
    accept_loop(impl_, acc, tls);
    log::info("listening on {}:{}{}", l.address, port, tls ? " (TLS)" : "");
    return port;
}

void Server::stop() {
    impl_->stopping = true;
    for (auto& acc : impl_->acceptors) {
        beast::error_code ec;
        acc->close(ec);
    }
    impl_->acceptors.clear();
    std::vector<std::shared_ptr<ConnBase>> live;
    {
        std::lock_guard lock(impl_->mu);
        for (auto& [ptr, weak] : impl_->conns)
            if (auto c = weak.lock()) live.push_back(std::move(c));
    }
    for (auto& c : live) c->shutdown_if_idle();
}

size_t Server::connections() const { return impl_->open.load(); }

}  // namespace mb::http
