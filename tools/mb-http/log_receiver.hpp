#pragma once
// The UDP boot-log receiver: netconsole / syslog datagrams → state/http/logs/<mac>.log, the
// sender's IP mapped to its MAC through the dnsmasq lease file (dhcp.lease_file) and the devices'
// observed addresses; unknown senders are logged under their IP.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <array>
#include <ctime>
#include <map>
#include <string>

#include "config/loader.hpp"
#include "device/mac.hpp"
#include "http/metrics.hpp"

namespace mbhttp {

class LogReceiver {
public:
    LogReceiver(boost::asio::io_context& io, std::shared_ptr<const mb::config::Snapshot> snap, mb::http::Metrics& metrics);
    void apply(std::shared_ptr<const mb::config::Snapshot> snap) { snap_ = std::move(snap); }
    void close();
    uint16_t port() const { return port_; }

private:
    void receive();
    void store(const std::string& from, std::string_view datagram);
    std::string name_for(const std::string& ip);

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint sender_;
    std::array<char, 65536> buf_{};
    std::shared_ptr<const mb::config::Snapshot> snap_;
    mb::http::Metrics& metrics_;
    std::map<std::string, mb::device::Mac> leases_;
    std::time_t leases_checked_ = 0;
    std::time_t leases_mtime_ = 0;
    uint16_t port_ = 0;
};

// Path of a device's boot log.
std::string log_path(const mb::config::Tree& tree, const std::string& name);

}  // namespace mbhttp
