#pragma once
// mb-dhcp's files: the dnsmasq lease file (+ declined addresses), what it learned per MAC
// (ROOT/state/dhcp/devices/<mac>.json), and the device records it reads (ROOT/devices/<mac>.yaml).
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "config/loader.hpp"
#include "dhcp/classify.hpp"
#include "dhcp/lease_engine.hpp"
#include "dhcp/reply.hpp"
#include "log/log.hpp"
#include "options.hpp"

namespace mb::dhcp_tool {

// temp + fsync + rename + directory fsync; creates parent directories.
void write_atomic(const std::string& path, const std::string& content, bool sync = true);
std::string read_text(const std::string& path, bool* exists = nullptr);

void load_leases(dhcp::LeaseEngine& engine, const std::string& lease_path, const std::string& declined_path,
                 int64_t now);
void save_leases(const dhcp::LeaseEngine& engine, const std::string& lease_path, const std::string& declined_path);
// The lease file content for `engine`, with `other_lines` (IPv6 / extras from dnsmasq) kept.
std::string format_leases(const dhcp::LeaseEngine& engine, const std::vector<std::string>& other_lines);
std::vector<std::string> other_lease_lines(const std::string& lease_path);
nlohmann::ordered_json lease_json(const dhcp::Lease& l, int64_t now);

// Per-device choices from the effective device records of a config snapshot (netboot.allow_pxe,
// netboot.arch, netboot.ipxe_script_url, netboot.boot_file, hostname / dhcp.hostname) and the
// static reservations (dhcp.ip).
class Devices {
public:
    explicit Devices(std::shared_ptr<const config::Snapshot> snapshot) : snapshot_(std::move(snapshot)) {}
    dhcp::DeviceChoices choices(const dhcp::Packet& request) const;
    std::vector<dhcp::Reservation> reservations() const;
    size_t size() const { return snapshot_ ? snapshot_->devices.size() : 0; }

private:
    std::shared_ptr<const config::Snapshot> snapshot_;
};

// What was observed per MAC; written in batches (flush()) so a flood of new MACs costs one write
// per MAC per flush interval at most. New MACs are taken at most kNewPerSecond per second (burst
// kNewBurst): a flood of random MACs (a DHCP starvation attack, perfdhcp) cannot turn into
// thousands of file writes a second; known MACs are always updated.
class Learner {
public:
    // `dir` = state/dhcp/devices; documents are {"observed": {...}} as the config loader merges them.
    static constexpr double kNewPerSecond = 100.0, kNewBurst = 1000.0;
    explicit Learner(std::string dir) : dir_(std::move(dir)), new_macs_(kNewPerSecond, kNewBurst) {}
    void observe(const dhcp::Packet& request, const dhcp::Classification& c, dhcp::Ipv4 ip, int64_t now);
    // The documents changed since the last call: (path, content).
    std::vector<std::pair<std::string, std::string>> take_dirty();

private:
    struct Seen {
        std::string path;
        nlohmann::ordered_json doc;  // the "observed" document
        dhcp::ClientClass cls{};
        std::optional<uint16_t> arch;
        std::optional<dhcp::PiIdentity> pi;
        dhcp::Ipv4 ip = 0;
        int64_t last_seen = 0;
        int64_t written_at = 0;
    };
    std::string dir_;
    std::unordered_map<uint64_t, Seen> known_;  // by MAC
    std::unordered_set<uint64_t> dirty_;
    log::RateLimiter new_macs_;
    log::RateLimiter skipped_log_{1.0 / 60, 1.0};
    uint64_t skipped_ = 0;
};

std::string rfc3339(int64_t epoch);

}  // namespace mb::dhcp_tool
