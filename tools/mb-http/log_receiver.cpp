#include "log_receiver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cstring>
#include <filesystem>

#include "bootlog/bootlog.hpp"
#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "log/log.hpp"

namespace mbhttp {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
mb::log::RateLimiter g_log_errors(1.0, 5.0);
}

std::string log_path(const mb::config::Tree& tree, const std::string& name) {
    return (tree.state_dir("http") / "logs" / (name + ".log")).string();
}

LogReceiver::LogReceiver(asio::io_context& io, std::shared_ptr<const mb::config::Snapshot> snap,
                         mb::http::Metrics& metrics)
    : socket_(io), snap_(std::move(snap)), metrics_(metrics) {
    const auto& h = snap_->settings.http;
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(h.log_address, ec);
    if (ec) throw mb::config_error("http.log_address " + h.log_address + " is not an IP address");
    const udp::endpoint ep(addr, h.log_port);
    socket_.open(ep.protocol(), ec);
    if (!ec) socket_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) socket_.bind(ep, ec);
    if (ec)
        throw mb::Error(mb::kExitUnavailable,
                        "cannot listen for boot logs on udp " + h.log_address + ":" + std::to_string(h.log_port) + ": " +
                            ec.message());
    port_ = socket_.local_endpoint().port();
    std::error_code fs_ec;
    std::filesystem::create_directories(snap_->tree.state_dir("http") / "logs", fs_ec);
    mb::log::info("receiving boot logs on udp {}:{}", h.log_address, port_);
    receive();
}

void LogReceiver::close() {
    boost::system::error_code ec;
    socket_.close(ec);
}

void LogReceiver::receive() {
    socket_.async_receive_from(asio::buffer(buf_), sender_, [this](boost::system::error_code ec, size_t n) {
        if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
        if (!ec) store(sender_.address().to_string(), std::string_view(buf_.data(), n));
        receive();
    });
}

std::string LogReceiver::name_for(const std::string& ip) {
    const std::time_t now = std::time(nullptr);
    if (now != leases_checked_) {
        leases_checked_ = now;
        const auto file = snap_->tree.resolve(snap_->settings.dhcp.lease_file);
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0 && st.st_mtime != leases_mtime_) {
            leases_mtime_ = st.st_mtime;
            try {
                if (auto text = mb::config::read_file_if_exists(file)) leases_ = mb::bootlog::parse_leases(*text);
            } catch (const mb::Error& e) {
                mb::log::write_limited(g_log_errors, mb::log::Level::warn, "cannot read leases", {{"error", e.what()}});
            }
        }
    }
    if (auto it = leases_.find(ip); it != leases_.end()) return it->second.dashed();
    for (const auto& [mac, rec] : snap_->devices)
        if (rec.observed.ip == ip || rec.dhcp.ip == ip) return mac.dashed();
    return ip;
}

void LogReceiver::store(const std::string& from, std::string_view datagram) {
    const auto lines = mb::bootlog::format_datagram(datagram, std::time(nullptr));
    if (lines.empty()) return;
    const auto name = name_for(from);
    const auto path = log_path(snap_->tree, name);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) + lines.size() > snap_->settings.http.log_max_bytes)
        ::rename(path.c_str(), (path + ".1").c_str());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        mb::log::write_limited(g_log_errors, mb::log::Level::warn, "cannot write boot log",
                               {{"path", path}, {"error", std::strerror(errno)}});
        return;
    }
    // One write per datagram: O_APPEND keeps concurrent readers seeing whole lines.
    const ssize_t n = ::write(fd, lines.data(), lines.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(lines.size()))
        mb::log::write_limited(g_log_errors, mb::log::Level::warn, "short write to boot log", {{"path", path}});
    metrics_.add("log_datagrams_total", "Boot-log datagrams stored.");
}

}  // namespace mbhttp
