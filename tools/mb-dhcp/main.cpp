// mb-dhcp: proxy and full DHCP for Raspberry Pi, UEFI PXE, UEFI HTTP boot and iPXE. This file only
// wires CLI11 verbs to their functions (server.cpp, verbs.cpp).
#include "cli/tool.hpp"
#include "options.hpp"
#include "server.hpp"
#include "verbs.hpp"

using namespace mb::dhcp_tool;

namespace {

struct Args {
    Options serve, replay;
    std::string decode_file, replay_file, lease_file, mac, ip, hostname, what;
    int64_t lease_time = 0;
};

void setup(CLI::App& app, mb::cli::GlobalOptions& g) {
    static Args a;
    auto* serve_cmd = app.add_subcommand("serve", "Run the DHCP server in the foreground");
    a.serve.add_flags(*serve_cmd, true);
    serve_cmd->callback([&g, serve_cmd] { mb::cli::set_exit_code(serve(g, a.serve, *serve_cmd)); });

    auto* decode_cmd = app.add_subcommand("decode", "Explain every DHCP packet of a capture (client class, options)");
    decode_cmd->add_option("FILE", a.decode_file, "pcap or pcapng file")->required()->type_name("FILE");
    decode_cmd->callback([&g] { decode(g, a.decode_file); });

    auto* replay_cmd = app.add_subcommand("replay", "Show what this configuration would answer to each request");
    replay_cmd->add_option("FILE", a.replay_file, "pcap or pcapng file")->required()->type_name("FILE");
    a.replay.add_flags(*replay_cmd, false);
    replay_cmd->callback([&g, replay_cmd] { replay(g, a.replay, *replay_cmd, a.replay_file); });

    auto* leases = app.add_subcommand("leases", "List, add or remove leases in the dnsmasq-format lease file");
    leases->require_subcommand(1);
    const char* lf_help = "Lease file (default: dhcp.lease_file under the root)";
    auto* list = leases->add_subcommand("list", "List leases");
    list->add_option("--lease-file", a.lease_file, lf_help)->type_name("FILE");
    list->callback([&g] { leases_list(g, lease_file(g, a.lease_file)); });
    auto* add = leases->add_subcommand("add", "Add (or replace) a lease; infinite unless --lease-time");
    add->add_option("MAC", a.mac, "Client MAC address")->required();
    add->add_option("IP", a.ip, "IPv4 address")->required();
    add->add_option("--hostname", a.hostname, "Host name");
    add->add_option("--lease-time", a.lease_time, "Lease length in seconds (default: infinite)");
    add->add_option("--lease-file", a.lease_file, lf_help)->type_name("FILE");
    add->callback([&g] { leases_add(g, lease_file(g, a.lease_file), a.mac, a.ip, a.hostname, a.lease_time); });
    auto* rm = leases->add_subcommand("rm", "Remove the lease of a MAC or an address (exit 1 if none)");
    rm->add_option("TARGET", a.what, "MAC or IPv4 address")->required();
    rm->add_option("--lease-file", a.lease_file, lf_help)->type_name("FILE");
    rm->callback([&g] { leases_rm(g, lease_file(g, a.lease_file), a.what); });
}

}  // namespace

int main(int argc, char** argv) {
    return mb::cli::run_tool(argc, argv, "mb-dhcp",
                             "DHCP for network-booting Raspberry Pis, UEFI (PXE and HTTP boot) and iPXE clients",
                             setup);
}
