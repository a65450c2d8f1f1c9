#pragma once
// mb::http::Server: HTTP/1.1 (and HTTPS) on Boost.Beast/Asio, serving a Router. Boost stays in
// server.cpp; this header only forward-declares the io_context.
//
//   boost::asio::io_context ioc;                 // the daemon's one io_context
//   mb::http::Router router;
//   router.get("/healthz", [](const mb::http::Request&) { return mb::http::text_response(200, "ok\n"); });
//   router.get("/boot/{mac}.ipxe", [&](const mb::http::Request& req) { return render(req.param("mac")); });
//   router.route_async("GET", "/images/talos/{version}/{arch}/{asset}",
//                      [&](const mb::http::Request& req, mb::http::Responder respond) {
//                          respond(make_stream_response(req));    // now, or later from any thread
//                      });
//   router.post("/v1/continue", handler, {.max_body = 64 << 20});
//   mb::http::ServerOptions options;             // limits and timeouts, see below
//   mb::http::Server server(ioc, router, options);  // router must outlive the server
//   server.listen({"0.0.0.0", 8080});
//   server.listen({"::", 8443, mb::http::TlsFiles{"/etc/mb/cert.pem", "/etc/mb/key.pem"}});
//   ioc.run();                                   // stop: server.stop() on the io_context thread
//
// The io_context must be run by exactly one thread: connections use its executor without strands.
// Handlers may answer from other threads (Responder), which posts to that thread.
//
// Per connection: optional TLS handshake, then requests in a loop (keep-alive for HTTP/1.1 unless
// "Connection: close", for HTTP/1.0 only with "Connection: keep-alive"; pipelined requests are
// answered in order). Limits: header bytes (431), body bytes per route (413, checked against
// Content-Length before reading; "Expect: 100-continue" is answered), bad request-target or
// framing (400), unknown transfer coding (501). Timeouts: a whole request head must arrive within
// header_timeout (slowloris), a body within body_timeout, each write must make progress within
// write_timeout; a timed-out connection is closed. Responses always carry Content-Length unless
// they stream with unknown length (chunked; close-delimited for HTTP/1.0). HEAD gets the same
// head as GET and no body. The server never sends a redirect of its own.
// Bodies: Response::body (string), Response::file (sendfile on plain TCP, pread+write under TLS),
// Response::stream (pulled; chunks written as delivered; ok=false or a short stream closes the
// connection without the terminating chunk so the client sees truncation).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace mb::http {

struct TlsFiles {
    std::string cert_file;  // PEM, certificate chain (leaf first)
    std::string key_file;   // PEM private key
};

struct Listen {
    std::string address = "0.0.0.0";  // IPv4 or IPv6 literal ("::" also accepts IPv4 where the OS allows)
    uint16_t port = 0;                 // 0 = any free port (listen() returns it)
    std::optional<TlsFiles> tls;       // HTTPS on this listener
};

// One finished exchange, for the access log and metrics.
struct Exchange {
    std::string method;
    std::string target;
    std::string route;       // the route's metrics label, or "(not found)", "(bad request)" ...
    std::string remote;      // "ip:port"
    std::string user_agent;
    int status = 0;
    uint64_t bytes_in = 0;   // request head + body
    uint64_t bytes_out = 0;  // response head + body bytes written
    double seconds = 0;      // from the end of the request head to the last byte written
    bool aborted = false;    // the response did not complete (client gone, stream aborted, timeout)
    bool tls = false;
};

struct ServerOptions {
    std::string server_name = "metal-boot";  // Server header ("" = none)
    size_t max_header_bytes = 16 * 1024;
    size_t max_body_bytes = 1024 * 1024;      // default; RouteOptions::max_body overrides per route
    std::chrono::milliseconds header_timeout{10000};  // whole request head (first request, TLS handshake)
    std::chrono::milliseconds idle_timeout{15000};    // keep-alive: next request head
    std::chrono::milliseconds body_timeout{120000};   // whole request body
    std::chrono::milliseconds write_timeout{60000};   // no progress on a write for this long
    size_t max_connections = 4096;                    // further connections are closed at once
    bool access_log = true;                           // one info line per exchange
    std::function<void(const Exchange&)> on_exchange; // called on the io_context thread
};

class Server {
public:
    Server(boost::asio::io_context& ioc, const Router& router, ServerOptions options = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and starts accepting. Returns the bound port. Throws mb::Error: kExitUnavailable when
    // the address cannot be bound, kExitConfig for unreadable/mismatched TLS files or a bad address.
    uint16_t listen(const Listen& listen);
    // Stops accepting, closes idle keep-alive connections; busy ones close after their current
    // response. Call on the io_context thread (e.g. from the daemon's signal handler).
    void stop();
    // Open connections right now.
    size_t connections() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace mb::http
