#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"

namespace mb::talos_tool {

namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 1024 * 1024;

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 206: return "Partial Content";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 416: return "Range Not Satisfiable";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

std::pair<std::string, uint16_t> split_listen(const std::string& listen) {
    std::string host, port;
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find(']');
        if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
            throw usage_error("listen address " + mb::quoted(listen) + " is not [addr]:port");
        host = listen.substr(1, close - 1);
        port = listen.substr(close + 2);
    } else {
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) throw usage_error("listen address " + mb::quoted(listen) + " has no :port");
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
    }
    const auto p = parse_uint(port, 65535);
    if (!p) throw usage_error("listen address " + mb::quoted(listen) + ": bad port");
    return {host.empty() ? "0.0.0.0" : host, static_cast<uint16_t>(*p)};
}

}  // namespace

HttpServer::HttpServer(const std::string& listen, Handler handler) : handler_(std::move(handler)) {
    const auto [host, port] = split_listen(listen);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
        throw usage_error("listen address " + mb::quoted(listen) + ": " + gai_strerror(rc));
    listen_fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listen_fd_ < 0 || ::bind(listen_fd_, res->ai_addr, res->ai_addrlen) != 0 || ::listen(listen_fd_, 128) != 0) {
        const int err = errno;
        freeaddrinfo(res);
        throw Error(kExitUnavailable, "cannot listen on " + listen + ": " + std::strerror(err));
    }
    freeaddrinfo(res);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

HttpServer::~HttpServer() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void HttpServer::stop() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
}

void HttpServer::run() {
    while (!stopping_) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
            if (stopping_) break;
            throw io_error("accept failed", errno);
        }
        char host[INET6_ADDRSTRLEN] = "";
        uint16_t peer_port = 0;
        if (ss.ss_family == AF_INET) {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            peer_port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            peer_port = ntohs(a->sin6_port);
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread([this, fd, peer = std::string(host), peer_port] { serve_connection(fd, peer, peer_port); }).detach();
    }
}

void HttpServer::serve_connection(int fd, std::string peer, uint16_t peer_port) {
    std::string buf;
    bool keep_alive = true;
    while (keep_alive) {
        size_t head_end;
        while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
            if (buf.size() > kMaxHead) {
                write_all(fd, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                ::close(fd);
                return;
            }
            char tmp[16384];
            const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fd);
                return;
            }
            buf.append(tmp, static_cast<size_t>(n));
        }
        const std::string head = buf.substr(0, head_end);
        buf.erase(0, head_end + 4);
        http::Request req;
        req.remote_address = peer;
        req.remote_port = peer_port;
        const auto lines = split(head, '\n');
        const auto request_line = split(trim(lines.at(0)), ' ', true);
        bool bad = request_line.size() != 3 || request_line[2].rfind("HTTP/1.", 0) != 0;
        const bool http10 = !bad && request_line[2] == "HTTP/1.0";
        for (size_t i = 1; i < lines.size() && !bad; ++i) {
            const auto line = trim(lines[i]);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                bad = true;
                break;
            }
            req.headers.add(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
        }
        std::optional<http::Response> early;
        if (!bad) {
            req.method = request_line[0];
            req.target = request_line[1];
            const auto q = req.target.find('?');
            auto path = http::percent_decode(std::string_view(req.target).substr(0, q));
            if (!path || path->empty() || path->front() != '/') bad = true;
            else req.path = *path;
            if (q != std::string::npos) req.query = req.target.substr(q + 1);
        }
        if (!bad) {
            const auto conn = req.header("Connection");
            keep_alive = http10 ? (conn && iequals(*conn, "keep-alive")) : !(conn && iequals(*conn, "close"));
            if (const auto cl = req.header("Content-Length")) {
                const auto n = parse_uint(*cl, kMaxBody);
                if (!n) {
                    bad = true;
                } else {
                    while (buf.size() < *n) {
                        char tmp[16384];
                        const ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
                        if (r <= 0) {
                            ::close(fd);
                            return;
                        }
                        buf.append(tmp, static_cast<size_t>(r));
                    }
                    req.body = buf.substr(0, *n);
                    buf.erase(0, *n);
                }
            }
            if (req.header("Transfer-Encoding")) bad = true;
        }
        http::Response resp;
        if (bad) {
            resp = http::text_response(400, "malformed HTTP request\n");
            keep_alive = false;
        } else {
            try {
                resp = handler_(req);
            } catch (const std::exception& e) {
                resp = http::text_response(500, std::string(e.what()) + "\n");
            }
        }
        if (resp.close) keep_alive = false;
        const bool head_only = req.method == "HEAD";
        int file_fd = -1;
        if (resp.file) {
            file_fd = ::open(resp.file->path.c_str(), O_RDONLY | O_CLOEXEC);
            if (file_fd < 0) {
                resp = http::text_response(503, "the cached file went away; retry\n");
                resp.headers.set("Retry-After", "1");
            }
        }
        std::optional<uint64_t> length;
        if (resp.file) length = resp.file->length;
        else if (resp.stream) length = resp.content_length;
        else if (resp.content_length) length = resp.content_length;
        else if (!(head_only && resp.body.empty())) length = resp.body.size();  // a HEAD may not know the length
        const bool chunked = resp.stream && !length && !http10;
        if (resp.stream && !length && http10) keep_alive = false;
        std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
        for (const auto& [k, v] : resp.headers.fields()) {
            if (iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding") || iequals(k, "Connection")) continue;
            out += k + ": " + v + "\r\n";
        }
        if (length) out += "Content-Length: " + std::to_string(*length) + "\r\n";
        if (chunked) out += "Transfer-Encoding: chunked\r\n";
        out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
        out += "Server: mb-talos/" MB_VERSION "\r\n\r\n";
        bool ok = write_all(fd, out);
        if (ok && !head_only) {
            if (file_fd >= 0) {
                off_t off = static_cast<off_t>(resp.file->offset);
                uint64_t left = resp.file->length;
                while (ok && left > 0) {
                    const ssize_t n = ::sendfile(fd, file_fd, &off, std::min<uint64_t>(left, 1u << 30));
                    if (n < 0 && errno == EINTR) continue;
                    if (n <= 0) ok = false;
                    else left -= static_cast<uint64_t>(n);
                }
            } else if (resp.stream) {
                uint64_t sent = 0;
                while (ok) {
                    std::promise<std::pair<bool, std::string>> p;
                    auto f = p.get_future();
                    resp.stream->pull([&p](bool good, std::string chunk) { p.set_value({good, std::move(chunk)}); });
                    auto [good, chunk] = f.get();
                    if (!good) {
                        ok = false;  // upstream failed: cut the connection, no terminating chunk
                        break;
                    }
                    if (chunk.empty()) {
                        if (length && sent != *length) ok = false;
                        else if (chunked) ok = write_all(fd, "0\r\n\r\n");
                        break;
                    }
                    sent += chunk.size();
                    if (chunked) {
                        char size_line[32];
                        std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
                        ok = write_all(fd, size_line) && write_all(fd, chunk) && write_all(fd, "\r\n");
                    } else {
                        ok = write_all(fd, chunk);
                    }
                    if (!ok) resp.stream->cancel();
                }
            } else {
                ok = write_all(fd, resp.body);
            }
        }
        if (file_fd >= 0) ::close(file_fd);
        log::debug("{} {} {} -> {}", peer, req.method, req.target, resp.status);
        if (!ok) {
            ::shutdown(fd, SHUT_RDWR);
            break;
        }
    }
    ::close(fd);
}

}  // namespace mb::talos_tool
