#include "options.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"

namespace mb::dhcp_tool {

void Options::add_flags(CLI::App& app, bool serving) {
    app.add_option("--mode", mode, "proxy: answer only network-boot clients; full: also lease addresses")
        ->check(CLI::IsMember({"proxy", "full"}))
        ->capture_default_str();
    app.add_option("--pool", pools, "Address pool SUBNET/PREFIX,START,END[,GATEWAY] (full mode; repeatable)");
    app.add_option("--dns", dns, "DNS server for option 6 (repeatable)");
    app.add_option("--domain", domain, "Domain name (option 15)");
    app.add_option("--lease-time", lease_time, "Lease time in seconds")->capture_default_str();
    app.add_option("--lease-file", lease_file, "dnsmasq-format lease file (default ROOT/state/dhcp/dnsmasq.leases)");
    app.add_option("--reserve", reservations, "Static reservation MAC=IP[,HOSTNAME] (repeatable)");
    app.add_option("--pi-oui", pi_ouis, "OUI that marks a Raspberry Pi (repeatable; replaces the built-in list)");
    app.add_option("--pi-menu-text", pi_menu_text, "PXE menu text the Pi EEPROM matches (PXE_OPTION43)")
        ->capture_default_str();
    app.add_option("--ipxe-user-class", ipxe_user_classes, "Extra user class marking our iPXE (repeatable)");
    app.add_option("--tftp-server", tftp_server, "TFTP server address for siaddr/option 66 (default: ours)");
    app.add_option("--http-base-url", http_base_url, "mb-http base URL, e.g. http://10.0.0.1:8080");
    app.add_option("--http-boot-path", http_boot_path, "Path of iPXE binaries for UEFI HTTP boot")
        ->capture_default_str();
    app.add_option("--ipxe-script-path", ipxe_script_path, "Path of the iPXE script ({mac} = dashed MAC)")
        ->capture_default_str();
    app.add_option("--bios-boot-file", bios_boot_file, "Boot file for BIOS PXE")->capture_default_str();
    app.add_option("--x64-boot-file", x64_boot_file, "Boot file for x64 UEFI")->capture_default_str();
    app.add_option("--arm64-boot-file", arm64_boot_file, "Boot file for arm64 UEFI")->capture_default_str();
    app.add_flag("!--no-ipxe-no-pxedhcp", no_pxedhcp, "Do not send option 175 no-pxedhcp to iPXE in full mode");
    if (serving) {
        app.add_option("-i,--interface", interfaces, "Interface to serve (repeatable; default all)");
        app.add_option("--port", port, "UDP server port")->capture_default_str();
        app.add_option("--client-port", client_port, "UDP client port replies go to")->capture_default_str();
        app.add_flag("--proxy-4011", proxy_4011, "Also answer PXE boot-server (BINL) requests on port 4011");
        app.add_option("--pxe-port", pxe_port, "Port of the PXE boot-server responder")->capture_default_str();
        app.add_option("--capture", capture, "Record received and sent DHCP packets to this pcap file");
        app.add_flag("!--no-learn", learn, "Do not record observed clients in ROOT/state/dhcp/devices/");
        app.add_flag("--ping-check,!--no-ping-check", ping_check,
                     "Full mode: ICMP-probe an address before offering it (default on, dhcp.ping_check)");
        app.add_option("--ping-timeout", ping_timeout_ms, "Milliseconds to wait for the probe's echo reply")
            ->check(CLI::Range(10, 5000))
            ->capture_default_str();
    } else {
        app.add_option("--server-address", server_address,
                       "The address the server owns (default: the destination of each request if unicast, else "
                       "the source of the first reply in the capture)");
    }
}

void Options::apply_settings(const config::Snapshot& snap, const CLI::App& cmd) {
    const auto& d = snap.settings.dhcp;
    auto unset = [&cmd](const char* flag) {
        const CLI::Option* o = cmd.get_option_no_throw(flag);
        return o == nullptr || o->count() == 0;
    };
    if (unset("--mode")) mode = d.mode;
    if (unset("--interface")) interfaces = d.interfaces.empty() ? snap.settings.server.interfaces : d.interfaces;
    if (unset("--port")) port = d.port;
    if (unset("--proxy-4011")) proxy_4011 = d.proxy_4011;
    if (unset("--lease-time")) lease_time = d.lease_time;
    if (unset("--lease-file")) {
        std::filesystem::path p(d.lease_file);
        lease_file = (p.is_absolute() ? p : snap.tree.root() / p).string();
    }
    if (unset("--pool")) yaml_pools = d.pools;
    if (unset("--pi-oui")) pi_ouis = d.pi_ouis;
    if (unset("--pi-menu-text")) pi_menu_text = d.pi_menu_text;
    if (unset("--ipxe-user-class") && d.ipxe_user_class != "iPXE" && !d.ipxe_user_class.empty())
        ipxe_user_classes = {d.ipxe_user_class};
    if (unset("--http-boot-path")) http_boot_path = d.http_boot_path;
    if (unset("--ipxe-script-path")) ipxe_script_path = d.ipxe_script_path;
    if (unset("--bios-boot-file")) bios_boot_file = d.bios_boot_file;
    if (unset("--x64-boot-file")) x64_boot_file = d.x64_boot_file;
    if (unset("--arm64-boot-file")) arm64_boot_file = d.arm64_boot_file;
    if (unset("--no-ipxe-no-pxedhcp")) no_pxedhcp = d.ipxe_no_pxedhcp;
    if (unset("--no-learn")) learn = d.learn;
    if (unset("--ping-check")) ping_check = d.ping_check;
    if (unset("--ping-timeout")) ping_timeout_ms = d.ping_timeout_ms;
    const std::string& addr = snap.settings.server.address;
    if (unset("--tftp-server") && !addr.empty()) tftp_server = addr;
    if (unset("--http-base-url")) {
        const auto& h = snap.settings.http;
        http_base_url = !h.public_url.empty() ? h.public_url
                                              : fmt::format("http://{}:{}", addr.empty() ? "{server}" : addr, h.port);
    }
}

namespace {

uint32_t parse_oui(const std::string& text) {
    auto b = parse_hex(text);
    if (!b || b->size() != 3)
        throw usage_error(fmt::format("--pi-oui: {} is not an OUI like dc:a6:32", mb::quoted(text)));
    return uint32_t{(*b)[0]} << 16 | uint32_t{(*b)[1]} << 8 | (*b)[2];
}

}  // namespace

dhcp::ServiceConfig Options::service_config() const {
    dhcp::ServiceConfig c;
    c.mode = full() ? dhcp::ServerMode::full : dhcp::ServerMode::proxy;
    if (!pi_ouis.empty()) {
        c.classify.pi_ouis.clear();
        for (const auto& o : pi_ouis) c.classify.pi_ouis.push_back(parse_oui(o));
    }
    for (const auto& u : ipxe_user_classes) c.classify.ipxe_user_classes.push_back(u);
    auto& b = c.boot;
    if (!tftp_server.empty()) b.tftp_server = dhcp::parse_ip_or_throw(tftp_server, "--tftp-server");
    b.pi_menu_text = pi_menu_text;
    b.http_base_url = http_base_url;
    b.http_boot_path = http_boot_path;
    b.ipxe_script_path = ipxe_script_path;
    b.bios_boot_file = bios_boot_file;
    b.x64_boot_file = x64_boot_file;
    b.arm64_boot_file = arm64_boot_file;
    b.ipxe_no_pxedhcp = no_pxedhcp;
    return c;
}

dhcp::EngineConfig Options::engine_config() const {
    dhcp::EngineConfig c;
    std::vector<dhcp::Ipv4> dns_ips;
    for (const auto& d : dns) dns_ips.push_back(dhcp::parse_ip_or_throw(d, "--dns"));
    for (const auto& spec : pools) {
        auto parts = split(spec, ',');
        auto bad = [&](const std::string& why) {
            return usage_error(
                fmt::format("--pool {}: {} (expected SUBNET/PREFIX,START,END[,GATEWAY])", mb::quoted(spec), why));
        };
        if (parts.size() < 3 || parts.size() > 4) throw bad("wrong number of fields");
        auto slash = parts[0].find('/');
        if (slash == std::string::npos) throw bad("subnet lacks /PREFIX");
        dhcp::PoolConfig p;
        auto prefix = parse_uint(parts[0].substr(slash + 1), 32);
        auto net = dhcp::parse_ip(parts[0].substr(0, slash));
        if (!prefix || !net) throw bad("malformed subnet");
        p.mask = dhcp::prefix_mask(static_cast<unsigned>(*prefix));
        p.network = *net & p.mask;
        auto s = dhcp::parse_ip(parts[1]), e = dhcp::parse_ip(parts[2]);
        if (!s || !e) throw bad("malformed range");
        if (!p.contains(*s) || !p.contains(*e) || *e < *s) throw bad("range is not inside the subnet");
        p.start = *s;
        p.end = *e;
        if (parts.size() == 4) p.routers = {dhcp::parse_ip_or_throw(parts[3], "--pool gateway")};
        p.dns = dns_ips;
        p.domain = domain;
        p.lease_seconds = lease_time;
        c.pools.push_back(p);
    }
    for (const auto& y : yaml_pools) {
        auto bad = [&](const std::string& why) {
            return config_error(fmt::format("dhcp.pools {}: {}", y.subnet, why));
        };
        auto slash = y.subnet.find('/');
        auto net = dhcp::parse_ip(y.subnet.substr(0, slash));
        auto prefix = slash == std::string::npos ? std::nullopt : parse_uint(y.subnet.substr(slash + 1), 32);
        auto s = dhcp::parse_ip(y.range_start), e = dhcp::parse_ip(y.range_end);
        if (!net || !prefix) throw bad("subnet is not ADDRESS/PREFIX");
        if (!s || !e) throw bad("range_start and range_end are required");
        dhcp::PoolConfig p;
        p.mask = dhcp::prefix_mask(static_cast<unsigned>(*prefix));
        p.network = *net & p.mask;
        if (!p.contains(*s) || !p.contains(*e) || *e < *s) throw bad("the range is not inside the subnet");
        p.start = *s;
        p.end = *e;
        if (!y.gateway.empty()) p.routers = {dhcp::parse_ip_or_throw(y.gateway, "dhcp.pools gateway")};
        for (const auto& x : y.dns) p.dns.push_back(dhcp::parse_ip_or_throw(x, "dhcp.pools dns"));
        if (p.dns.empty()) p.dns = dns_ips;
        p.domain = y.domain.empty() ? domain : y.domain;
        p.lease_seconds = y.lease_time ? y.lease_time : lease_time;
        c.pools.push_back(p);
    }
    for (const auto& spec : reservations) {
        auto eq = spec.find('=');
        if (eq == std::string::npos)
            throw usage_error(fmt::format("--reserve {}: expected MAC=IP[,HOSTNAME]", mb::quoted(spec)));
        auto mac = device::Mac::parse(spec.substr(0, eq));
        auto parts = split(spec.substr(eq + 1), ',');
        if (!mac || parts.empty())
            throw usage_error(fmt::format("--reserve {}: expected MAC=IP[,HOSTNAME]", mb::quoted(spec)));
        dhcp::Reservation r;
        r.hwaddr.assign(mac->bytes().begin(), mac->bytes().end());
        r.ip = dhcp::parse_ip_or_throw(parts[0], "--reserve");
        if (parts.size() > 1) r.hostname = parts[1];
        c.reservations.push_back(r);
    }
    return c;
}

std::string Options::lease_path(const Globals& g) const {
    return lease_file.empty() ? g.root_dir() + "/state/dhcp/dnsmasq.leases" : lease_file;
}

std::string Options::declined_path(const Globals& g) const {
    return lease_path(g) + ".declined";
}

}  // namespace mb::dhcp_tool
