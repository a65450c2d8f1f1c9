#pragma once
// metal-boot.yaml: `tftp:` section (mb-tftp).
#include <cstdint>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mb::config {

struct TftpSettings {
    bool enabled = true;
    std::string address = "0.0.0.0";
    uint16_t port = 69;
    std::string root = "tftp";
    uint32_t max_blksize = 1468;
    uint32_t max_windowsize = 32;
    uint32_t timeout_ms = 1000;
    uint32_t retries = 5;
    bool single_port = false;
    std::vector<std::string> write_dirs;
    uint64_t write_max_bytes = 64ull << 20;
    bool write_overwrite = false;

    template <class V>
    void visit(V& v) {
        v.field("enabled", enabled, "Run the TFTP service.");
        v.field("address", address, "Address to listen on.", TextFormat{Format::ipv4});
        v.field("port", port, "UDP port to listen on.", Range{1, 65535});
        v.field("root", root, "Directory served (relative to the config root).", TextFormat{Format::path});
        v.field("max_blksize", max_blksize, "Largest block size granted (RFC 2348).", Range{8, 65464});
        v.field("max_windowsize", max_windowsize, "Largest window size granted (RFC 7440).", Range{1, 64});
        v.field("timeout_ms", timeout_ms, "Initial retransmission timeout in milliseconds.", Range{100, 255000});
        v.field("retries", retries, "Retransmissions of one packet before a transfer is abandoned.", Range{1, 50});
        v.field("single_port", single_port, "Serve every transfer from port 69 (for NAT).");
        v.field("write_dirs", write_dirs,
                "Directories (under root) that accept WRQ uploads into existing directories beneath them; empty: "
                "read-only (every WRQ gets ERROR 2).");
        v.field("write_max_bytes", write_max_bytes,
                "Largest upload accepted (K, M, G suffixes accepted); larger ones end with ERROR 3.", ByteSize{});
        v.field("write_overwrite", write_overwrite,
                "Let an upload replace an existing file (default: ERROR 6 \"File already exists\").");
    }
};

}  // namespace mb::config
