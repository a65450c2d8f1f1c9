// The server over real loopback sockets: framing of the three body kinds, keep-alive and
// pipelining, limits, timeouts, async responders from other threads, stream aborts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "http/router.hpp"
#include "http/server.hpp"

using namespace mb::http;
using namespace std::chrono_literals;

namespace {

class Running {
public:
    Running(Router& router, ServerOptions opts) : server_(ioc_, router, std::move(opts)) {
        port = server_.listen({"127.0.0.1", 0, std::nullopt});
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~Running() {
        boost::asio::post(ioc_, [this] {
            server_.stop();
            ioc_.stop();
        });
        thread_.join();
    }
    uint16_t port = 0;
    boost::asio::io_context ioc_;

private:
    Server server_;
    std::thread thread_;
};

int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
    }
}

// Reads until the peer closes or `timeout` passes; returns what arrived and whether it closed.
std::pair<std::string, bool> read_all(int fd, std::chrono::milliseconds timeout, size_t until_size = SIZE_MAX) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (out.size() < until_size) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {out, false};
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {out, false};
        char buf[65536];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return {out, true};
        out.append(buf, static_cast<size_t>(n));
    }
    return {out, false};
}

std::string roundtrip(uint16_t port, std::string_view request, std::chrono::milliseconds timeout = 3000ms) {
    const int fd = connect_to(port);
    send_all(fd, request);
    auto [out, closed] = read_all(fd, timeout);
    ::close(fd);
    return out;
}

// A stream that delivers `chunks` from a separate thread, then ends (or aborts).
class ThreadedStream : public StreamBody {
public:
    ThreadedStream(std::vector<std::string> chunks, bool abort_at_end)
        : chunks_(std::move(chunks)), abort_(abort_at_end) {}
    void pull(Deliver deliver) override {
        std::thread([this, deliver = std::move(deliver)] {
            std::this_thread::sleep_for(2ms);
            if (i_ < chunks_.size())
                deliver(true, chunks_[i_++]);
            else
                deliver(!abort_, {});
        }).detach();
    }
    void cancel() override { cancelled = true; }
    std::atomic<bool> cancelled{false};

private:
    std::vector<std::string> chunks_;
    size_t i_ = 0;
    bool abort_;
};

ServerOptions quiet() {
    ServerOptions o;
    o.access_log = false;
    return o;
}

}  // namespace

TEST_CASE("server: string bodies, HEAD, keep-alive and pipelining", "[http][server]") {
    Router router;
    router.get("/a", [](const Request& req) { return text_response(200, "A:" + req.remote_address); });
    router.post("/echo", [](const Request& req) { return text_response(200, req.body); });
    std::vector<Exchange> seen;
    std::mutex mu;
    auto opts = quiet();
    opts.on_exchange = [&](const Exchange& e) {
        std::lock_guard l(mu);
        seen.push_back(e);
    };
    Running s(router, opts);
    const auto out = roundtrip(s.port,
                              "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                              "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                              "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(out.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK(out.find("Content-Length: 11\r\n\r\nA:127.0.0.1HTTP/1.1 200 OK") != std::string::npos);  // then HEAD
    CHECK(out.find("Content-Length: 11\r\n\r\nHTTP/1.1 200 OK") != std::string::npos);  // HEAD: no body
    CHECK(out.find("Content-Length: 5\r\n\r\nhello") != std::string::npos);
    CHECK(out.find("Connection: close\r\n\r\nA:127.0.0.1") != std::string::npos);
    std::this_thread::sleep_for(50ms);
    std::lock_guard l(mu);
    REQUIRE(seen.size() == 4);
    CHECK(seen[2].route == "/echo");
    CHECK(seen[2].status == 200);
    CHECK(seen[0].bytes_out > 11);
}

TEST_CASE("server: HTTP/1.0 closes unless keep-alive", "[http][server]") {
    Router router;
    router.get("/a", [](const Request&) { return text_response(200, "x"); });
    Running s(router, quiet());
    const int fd = connect_to(s.port);
    send_all(fd, "GET /a HTTP/1.0\r\n\r\n");
    auto [out, closed] = read_all(fd, 2000ms);
    ::close(fd);
    CHECK(closed);
    CHECK(out.find("HTTP/1.0 200 OK") == 0);
    const auto ka = roundtrip(s.port, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 300ms);
    CHECK(ka.find("Connection: keep-alive") != std::string::npos);
}

TEST_CASE("server: limits give 413, 431, 400, 505 and close", "[http][server]") {
    Router router;
    router.post("/small", [](const Request& req) { return text_response(200, req.body); });
    RouteOptions big;
    big.max_body = 1 << 20;
    router.post("/big", [](const Request& req) { return text_response(200, std::to_string(req.body.size())); }, big);
    auto opts = quiet();
    opts.max_body_bytes = 100;
    opts.max_header_bytes = 1024;
    Running s(router, opts);
    CHECK(roundtrip(s.port, "POST /small HTTP/1.1\r\nContent-Length: 101\r\n\r\n").find("HTTP/1.1 413") == 0);
    CHECK(roundtrip(s.port, "POST /small HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" + std::string(128, 'x') +
                               "\r\n0\r\n\r\n")
              .find("HTTP/1.1 413") == 0);
    const std::string body(5000, 'y');
    CHECK(roundtrip(s.port, "POST /big HTTP/1.1\r\nConnection: close\r\nContent-Length: 5000\r\n\r\n" + body).find("\r\n\r\n5000") !=
          std::string::npos);
    CHECK(roundtrip(s.port, "POST /big HTTP/1.1\r\nConnection: close\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n" + body)
              .find("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK") == 0);
    std::string flood = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 200; ++i) flood += "X-Flood-" + std::to_string(i) + ": aaaaaaaaaaaaaaaa\r\n";
    CHECK(roundtrip(s.port, flood + "\r\n").find("HTTP/1.1 431") == 0);
    CHECK(roundtrip(s.port, "BLAH\r\n\r\n").find("HTTP/1.1 400") == 0);
    CHECK(roundtrip(s.port, "GET /../../etc/passwd HTTP/1.1\r\n\r\n").find("HTTP/1.1 400") == 0);
    CHECK(roundtrip(s.port, "GET / HTTP/3.0\r\n\r\n").find(" 505 ") != std::string::npos);
    CHECK(roundtrip(s.port, "GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").find("HTTP/1.1 501") == 0);
}

TEST_CASE("server: slowloris and idle connections are closed by deadline", "[http][server]") {
    Router router;
    router.get("/a", [](const Request&) { return text_response(200, "x"); });
    auto opts = quiet();
    opts.header_timeout = 300ms;
    opts.idle_timeout = 300ms;
    Running s(router, opts);
    const int fd = connect_to(s.port);
    const auto start = std::chrono::steady_clock::now();
    bool closed = false;
    for (int i = 0; i < 40 && !closed; ++i) {
        send_all(fd, i == 0 ? "GET /a HTTP/1.1\r\n" : "X: y\r\n");
        auto r = read_all(fd, 50ms);
        closed = r.second;
    }
    const auto took = std::chrono::steady_clock::now() - start;
    ::close(fd);
    CHECK(closed);
    CHECK(took < 1500ms);
    // idle keep-alive connection
    const int fd2 = connect_to(s.port);
    send_all(fd2, "GET /a HTTP/1.1\r\n\r\n");
    auto [out, closed2] = read_all(fd2, 2000ms);
    ::close(fd2);
    CHECK(out.find("200 OK") != std::string::npos);
    CHECK(closed2);
}

TEST_CASE("server: async responders and streams from other threads", "[http][server]") {
    Router router;
    router.route_async("GET", "/later", [](const Request& req, Responder respond) {
        std::thread([path = req.path, respond = std::move(respond)] {
            std::this_thread::sleep_for(20ms);
            respond(text_response(200, "late " + path));
        }).detach();
    });
    std::shared_ptr<ThreadedStream> last;
    router.get("/chunked", [&](const Request&) {
        Response r;
        last = std::make_shared<ThreadedStream>(std::vector<std::string>{"abc", "defg"}, false);
        r.stream = last;
        return r;
    });
    router.get("/length", [](const Request&) {
        Response r;
        r.stream = std::make_shared<ThreadedStream>(std::vector<std::string>{"abc", "defg"}, false);
        r.content_length = 7;
        return r;
    });
    router.get("/aborted", [](const Request&) {
        Response r;
        r.stream = std::make_shared<ThreadedStream>(std::vector<std::string>{"abc"}, true);
        return r;
    });
    router.get("/short", [](const Request&) {
        Response r;
        r.stream = std::make_shared<ThreadedStream>(std::vector<std::string>{"abc"}, false);
        r.content_length = 10;
        return r;
    });
    Running s(router, quiet());
    CHECK(roundtrip(s.port, "GET /later HTTP/1.1\r\nConnection: close\r\n\r\n").find("\r\n\r\nlate /later") !=
          std::string::npos);
    auto chunked = roundtrip(s.port, "GET /chunked HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(chunked.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(chunked.find("\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n") != std::string::npos);
    auto head = roundtrip(s.port, "HEAD /chunked HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(head.find("\r\n\r\n") == head.size() - 4);
    std::this_thread::sleep_for(20ms);
    CHECK(last->cancelled);
    auto length = roundtrip(s.port, "GET /length HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(length.find("Content-Length: 7\r\n") != std::string::npos);
    CHECK(length.substr(length.size() - 7) == "abcdefg");
    // aborted: no terminating chunk, connection closed
    auto aborted = roundtrip(s.port, "GET /aborted HTTP/1.1\r\n\r\n");
    CHECK(aborted.find("3\r\nabc\r\n") != std::string::npos);
    CHECK(aborted.find("0\r\n\r\n") == std::string::npos);
    // a stream shorter than its Content-Length is cut, never padded
    auto shorter = roundtrip(s.port, "GET /short HTTP/1.1\r\n\r\n");
    CHECK(shorter.find("Content-Length: 10\r\n") != std::string::npos);
    CHECK(shorter.substr(shorter.size() - 3) == "abc");
}
