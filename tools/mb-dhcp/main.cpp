// mb-dhcp: proxy and full DHCP for Raspberry Pi, UEFI PXE, UEFI HTTP boot and iPXE.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "log/log.hpp"
#include "options.hpp"
#include "server.hpp"
#include "verbs.hpp"

using namespace mb::dhcp_tool;

int main(int argc, char** argv) {
    CLI::App app{"mb-dhcp: DHCP for network-booting Raspberry Pis, UEFI (PXE and HTTP) and iPXE clients"};
    app.require_subcommand(1);
    Globals g;
    app.add_option("--root", g.root, "Config tree root (default: $MB_ROOT, else /var/lib/metal-boot)");
    app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|off")->capture_default_str();
    app.add_option("--log-format", g.log_format, "text|json")->capture_default_str();
    app.add_flag("--json", g.json, "Machine output as JSON on stdout");

    Options serve_opts, replay_opts, lease_opts;
    int rc = 0;

    auto* serve_cmd = app.add_subcommand("serve", "Run the DHCP server in the foreground");
    serve_opts.add_flags(*serve_cmd, true);

    std::string decode_file;
    auto* decode_cmd = app.add_subcommand("decode", "Explain every DHCP packet of a capture (client class, options)");
    decode_cmd->add_option("FILE", decode_file, "pcap or pcapng file")->required();

    std::string replay_file;
    auto* replay_cmd = app.add_subcommand("replay", "Show what this configuration would answer to each request");
    replay_cmd->add_option("FILE", replay_file, "pcap or pcapng file")->required();
    replay_opts.add_flags(*replay_cmd, false);

    auto* leases_cmd = app.add_subcommand("leases", "List, add or remove leases in the dnsmasq-format lease file");
    leases_cmd->require_subcommand(1);
    auto* list_cmd = leases_cmd->add_subcommand("list", "List leases");
    
    list_cmd->add_option("--lease-file", lease_opts.lease_file, "Lease file (default ROOT/state/dhcp/dnsmasq.leases)");
    std::string add_mac, add_ip, add_host, rm_what;
    int64_t add_time = 0;
    auto* add_cmd = leases_cmd->add_subcommand("add", "Add (or replace) a lease; infinite unless --lease-time");
    add_cmd->add_option("MAC", add_mac, "Client MAC address")->required();
    add_cmd->add_option("IP", add_ip, "IPv4 address")->required();
    add_cmd->add_option("--hostname", add_host, "Host name");
    add_cmd->add_option("--lease-file", lease_opts.lease_file, "Lease file (default ROOT/state/dhcp/dnsmasq.leases)");
    add_cmd->add_option("--lease-time", add_time, "Lease length in seconds (default: infinite)");
    
    auto* rm_cmd = leases_cmd->add_subcommand("rm", "Remove the lease of a MAC or an address");
    rm_cmd->add_option("MAC|IP", rm_what, "MAC or IPv4 address")->required();
    rm_cmd->add_option("--lease-file", lease_opts.lease_file, "Lease file (default ROOT/state/dhcp/dnsmasq.leases)");

    try {
        app.parse(argc, argv);
        mb::log::set_program("mb-dhcp");
        mb::log::set_level(mb::log::parse_level(g.log_level));
        mb::log::set_format(mb::log::parse_format(g.log_format));
        if (serve_cmd->parsed()) rc = serve(g, serve_opts);
        if (decode_cmd->parsed()) rc = decode(g, decode_file);
        if (replay_cmd->parsed()) rc = replay(g, replay_opts, replay_file);
        if (list_cmd->parsed()) rc = leases_list(g, lease_opts);
        if (add_cmd->parsed()) rc = leases_add(g, lease_opts, add_mac, add_ip, add_host, add_time);
        if (rm_cmd->parsed()) rc = leases_rm(g, lease_opts, rm_what);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return e.get_exit_code() == 0 ? 0 : mb::kExitUsage;
    } catch (const mb::Error& e) {
        std::cerr << "mb-dhcp: " << e.what() << "\n";
        return e.code();
    } catch (const std::exception& e) {
        std::cerr << "mb-dhcp: " << e.what() << "\n";
        return mb::kExitSoftware;
    }
    return rc;
}
