#include "poe/snmp_discover.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "device/mac.hpp"

namespace mb::poe {

namespace {

std::optional<std::string> mac_of_octets(const std::vector<uint32_t>& idx, size_t from) {
    if (idx.size() < from + 6) return std::nullopt;
    std::string text;
    for (size_t i = from; i < from + 6; ++i) {
        if (idx[i] > 255) return std::nullopt;
        text += fmt::format("{}{:02x}", text.empty() ? "" : ":", idx[i]);
    }
    return text;
}

}  // namespace

std::vector<Learned> learn_from_tables(const std::string& switch_name, const DiscoveryTables& t) {
    auto is_pse = [&](long port) {
        return port > 0 && (!t.pse_ports || t.pse_ports->count(static_cast<uint32_t>(port)));
    };
    std::map<std::string, Learned> out;  // by MAC

    // Bridge forwarding tables: MAC → bridge port; a port with several MACs is an uplink.
    std::map<long, std::set<std::string>> macs_on_port;
    std::map<std::string, std::set<long>> ports_of_mac;
    auto add_fdb = [&](const std::vector<SnmpCell>& cells, size_t mac_at) {
        for (const auto& c : cells) {
            auto mac = mac_of_octets(c.index, mac_at);
            if (!mac || !c.integer || c.index.size() != mac_at + 6) continue;
            macs_on_port[*c.integer].insert(*mac);
            ports_of_mac[*mac].insert(*c.integer);
        }
    };
    add_fdb(t.fdb, 0);
    add_fdb(t.qfdb, 1);
    for (const auto& [mac, ports] : ports_of_mac) {
        if (ports.size() != 1) continue;  // moved between ports while we walked: not conclusive
        long port = *ports.begin();
        if (!is_pse(port) || macs_on_port[port].size() != 1) continue;
        out[mac] = {mac, switch_name, std::to_string(port), "snmp:dot1dTpFdb"};
    }

    // LLDP: chassis ids of subtype macAddress(4), keyed by (time mark, local port, index).
    std::map<std::vector<uint32_t>, long> subtype;
    for (const auto& c : t.lldp_subtype)
        if (c.integer) subtype[c.index] = *c.integer;
    for (const auto& c : t.lldp_chassis) {
        if (c.index.size() != 3 || c.octets.size() != 6) continue;
        auto st = subtype.find(c.index);
        if (st == subtype.end() || st->second != 4) continue;
        long port = c.index[1];
        if (!is_pse(port)) continue;
        std::vector<uint32_t> oct(c.octets.begin(), c.octets.end());
        for (auto& o : oct) o &= 0xff;
        auto mac = mac_of_octets(oct, 0);
        if (!mac) continue;
        out[*mac] = {*mac, switch_name, std::to_string(port), "snmp:lldpRemTable"};
    }

    std::vector<Learned> list;
    for (auto& [_, l] : out) list.push_back(l);
    std::sort(list.begin(), list.end(), [](const Learned& a, const Learned& b) {
        return std::stoul(a.port) != std::stoul(b.port) ? std::stoul(a.port) < std::stoul(b.port) : a.mac < b.mac;
    });
    return list;
}

}  // namespace mb::poe
