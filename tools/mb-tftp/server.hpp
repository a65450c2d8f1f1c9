#pragma once
// `mb-tftp serve`: the socket loop. One io_context; the listening socket takes requests, every
// transfer gets its own ephemeral-port socket (its TID) unless single-port mode is on, timers drive
// retransmission, and the pure tftp::Transfer decides everything else.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "tftp/options.hpp"
#include "tftp/transfer.hpp"

namespace boost::asio {
class io_context;
}

namespace mb::tftp {

class Capture;

struct ServerOptions {
    std::string address = "0.0.0.0";
    uint16_t port = 69;
    bool single_port = false;
    Limits limits;
    RetryPolicy retry;
    size_t max_sessions = 4096;
    std::string capture_path;  // pcap of every datagram sent and received
    // Uploads (WRQ): directories under the root that accept them (empty: read-only), the largest
    // upload, and whether an existing file may be replaced.
    std::vector<std::string> write_dirs;
    uint64_t write_max_bytes = 64ull << 20;
    bool write_overwrite = false;
};

struct ServerStats {
    uint64_t requests = 0;
    uint64_t completed = 0;
    uint64_t probes = 0;
    uint64_t failed = 0;
    uint64_t unreachable = 0;
    uint64_t uploads = 0;  // WRQs stored  // ended by ICMP port unreachable from the client
    uint64_t refused = 0;
    uint64_t duplicate_requests = 0;
    uint64_t foreign_tid = 0;
    uint64_t gso_sends = 0;    // windows (or parts) sent as one UDP GSO sendmsg
    uint64_t gso_refused = 0;  // transfers that fell back to one send per packet
    uint64_t bytes = 0;
    size_t active = 0;
};

class Server {
public:
    Server(boost::asio::io_context& io, Catalog& catalog, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    uint16_t port() const;
    // Stop taking requests and cancel running transfers.
    void close();
    ServerStats stats() const;

    struct Impl;  // server.cpp

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace mb::tftp
