#pragma once
// A small blocking HTTP/1.1 server (one thread per connection) that runs an mb::http handler:
// `mb-talos serve` uses it to run the Talos route alone. Bodies: in-memory, FileBody via
// sendfile(2), StreamBody with chunked encoding (or a known Content-Length); a stream that fails
// closes the connection without the terminating chunk, so the client sees a truncated transfer.
#include <atomic>
#include <functional>
#include <string>

#include "http/message.hpp"

namespace mb::talos_tool {

using Handler = std::function<http::Response(const http::Request&)>;

class HttpServer {
public:
    // Binds `listen` ("0.0.0.0:8083", "[::1]:8083", ":8083"); throws mb::Error on failure.
    HttpServer(const std::string& listen, Handler handler);
    ~HttpServer();
    uint16_t port() const { return port_; }
    // Accepts until stop() is called (from another thread or a signal-waiting thread).
    void run();
    void stop();

private:
    void serve_connection(int fd, std::string peer, uint16_t peer_port);

    int listen_fd_ = -1;
    uint16_t port_ = 0;
    Handler handler_;
    std::atomic<bool> stopping_{false};
};

}  // namespace mb::talos_tool
