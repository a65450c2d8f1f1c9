#include "store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "device/pi_serial.hpp"
#include "dhcp/lease_file.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/options.hpp"
#include "log/log.hpp"

namespace fs = std::filesystem;

namespace mb::dhcp_tool {

void write_atomic(const std::string& path, const std::string& content, bool sync) {
    fs::path p(path);
    std::error_code ec;
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    std::string tmp = path + fmt::format(".tmp{}", getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error(fmt::format("{}: cannot create", tmp), errno);
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw io_error(fmt::format("{}: write failed", tmp), e);
        }
        off += static_cast<size_t>(n);
    }
    if (sync && ::fsync(fd) != 0) {
        int e = errno;
        ::close(fd);
        throw io_error(fmt::format("{}: fsync failed", tmp), e);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw io_error(fmt::format("{}: rename failed", path), e);
    }
    if (sync) {
        int dfd = ::open(p.has_parent_path() ? p.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
    }
}

std::string read_text(const std::string& path, bool* exists) {
    std::ifstream in(path, std::ios::binary);
    if (exists) *exists = static_cast<bool>(in);
    if (!in) return {};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void load_leases(dhcp::LeaseEngine& engine, const std::string& lease_path, const std::string& declined_path,
                 int64_t now) {
    std::vector<std::string> warnings;
    auto file = dhcp::parse_lease_file(read_text(lease_path), &warnings);
    for (const auto& w : warnings) log::warn("{}: {} (line skipped)", lease_path, w);
    engine.load(file.leases, dhcp::parse_declined(read_text(declined_path)), now);
}

std::string format_leases(const dhcp::LeaseEngine& engine, const std::vector<std::string>& other_lines) {
    dhcp::LeaseFile f;
    f.leases = engine.leases();
    f.other_lines = other_lines;
    return dhcp::format_lease_file(f);
}

std::vector<std::string> other_lease_lines(const std::string& lease_path) {
    return dhcp::parse_lease_file(read_text(lease_path)).other_lines;
}

void save_leases(const dhcp::LeaseEngine& engine, const std::string& lease_path, const std::string& declined_path) {
    // keep IPv6 and extra lines another writer (dnsmasq) left in the file
    write_atomic(lease_path, format_leases(engine, other_lease_lines(lease_path)));
    auto declined = engine.declined();
    bool exists = false;
    read_text(declined_path, &exists);
    if (!declined.empty() || exists) write_atomic(declined_path, dhcp::format_declined(declined));
}

std::string rfc3339(int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::ordered_json lease_json(const dhcp::Lease& l, int64_t now) {
    nlohmann::ordered_json j;
    j["mac"] = dhcp::hwaddr_str(l);
    j["ip"] = dhcp::ip_str(l.ip);
    j["hostname"] = l.hostname.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(l.hostname);
    j["client_id"] =
        l.client_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(dhcp::mac_str(l.client_id));
    if (l.infinite()) {
        j["expires"] = nullptr;
        j["remaining"] = nullptr;
    } else {
        j["expires"] = rfc3339(l.expiry);
        j["remaining"] = std::max<int64_t>(0, l.expiry - now);
    }
    return j;
}

namespace {

std::optional<uint16_t> arch_code(const std::string& a) {
    if (a == "arm64") return 0x0b;
    if (a == "x86_64") return 0x07;
    if (a == "x86") return 0x00;
    if (a == "arm32") return 0x0a;
    return std::nullopt;  // auto: option 93 decides
}

}  // namespace

dhcp::DeviceChoices Devices::choices(const dhcp::Packet& request) const {
    dhcp::DeviceChoices c;
    if (!snapshot_ || request.htype != 1 || request.hlen != 6) return c;
    // by reference: no per-packet copy of the effective record
    const device::Record* found = snapshot_->find(device::Mac(request.mac()));
    const device::Record& r = found ? *found : snapshot_->unknown_device;
    c.allow_pxe = r.netboot.allow_pxe;
    c.arch_override = arch_code(r.netboot.arch);
    c.ipxe_script_url = r.netboot.ipxe_script_url;
    c.boot_file = r.netboot.boot_file;
    c.hostname = !r.dhcp.hostname.empty() ? r.dhcp.hostname : r.hostname;
    return c;
}

std::vector<dhcp::Reservation> Devices::reservations() const {
    std::vector<dhcp::Reservation> out;
    if (!snapshot_) return out;
    for (const auto& [mac, r] : snapshot_->devices) {
        if (r.dhcp.ip.empty()) continue;
        auto ip = dhcp::parse_ip(r.dhcp.ip);
        if (!ip) continue;  // the loader validated the format already
        out.push_back(dhcp::Reservation{dhcp::Bytes(mac.bytes().begin(), mac.bytes().end()), *ip,
                                        !r.dhcp.hostname.empty() ? r.dhcp.hostname : r.hostname});
    }
    return out;
}

void Learner::observe(const dhcp::Packet& q, const dhcp::Classification& c, dhcp::Ipv4 ip, int64_t now) {
    if (q.htype != 1 || q.hlen != 6) return;
    const auto mac = q.mac();
    uint64_t key = 0;
    for (uint8_t b : mac) key = key << 8 | b;
    auto it = known_.find(key);
    if (it == known_.end()) {
        uint64_t ignored = 0;
        if (!new_macs_.allow(ignored)) {
            ++skipped_;
            uint64_t suppressed = 0;
            if (skipped_log_.allow(suppressed))
                log::warn("more than {:.0f} new MACs a second: {} not recorded in {}", kNewPerSecond, skipped_, dir_);
            return;
        }
    }
    const bool fresh = it == known_.end();
    if (fresh) it = known_.try_emplace(key).first;
    Seen& s = it->second;
    if (fresh) {  // pick up what an earlier run recorded
        s.path = dir_ + "/" + device::Mac(mac).dashed() + ".json";
        bool exists = false;
        auto text = read_text(s.path, &exists);
        if (exists) {
            auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
            if (parsed.is_object() && parsed.contains("observed") && parsed["observed"].is_object())
                s.doc = parsed["observed"];
        }
        if (!s.doc.is_object()) s.doc = nlohmann::ordered_json::object();
    }
    // compare in binary form; JSON is touched only when something changed (not per packet)
    const bool changed = fresh || c.cls != s.cls || c.arch != s.arch || (ip && ip != s.ip) ||
                         (c.pi && (!s.pi || c.pi->serial != s.pi->serial || c.pi->revision != s.pi->revision));
    s.last_seen = now;
    if (changed) {
        auto set = [&s](const char* k, const std::string& v) { s.doc[k] = v; };
        if (c.pi) {
            set("serial", fmt::format("{:08x}", c.pi->serial));
            set("revision", fmt::format("{:06x}", c.pi->revision));
            s.pi = c.pi;
        }
        if (c.arch) set("arch", std::string(dhcp::arch_name(*c.arch)));
        set("client_type", std::string(dhcp::class_name(c.cls)));
        if (ip) {
            set("ip", dhcp::ip_str(ip));
            s.ip = ip;
        }
        if (!s.doc.contains("first_seen")) set("first_seen", rfc3339(now));
        s.cls = c.cls;
        s.arch = c.arch;
    }
    if (changed || now - s.written_at >= 60) {
        dirty_.insert(key);
        s.written_at = now;
    }
}

std::vector<std::pair<std::string, std::string>> Learner::take_dirty() {
    std::vector<std::pair<std::string, std::string>> out;
    for (uint64_t key : dirty_) {
        Seen& s = known_[key];
        s.doc["last_seen"] = rfc3339(s.last_seen);
        nlohmann::ordered_json doc{{"observed", s.doc}};
        out.emplace_back(s.path, doc.dump(2) + "\n");
    }
    dirty_.clear();
    return out;
}

}  // namespace mb::dhcp_tool
