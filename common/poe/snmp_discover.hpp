#pragma once
// What SNMP tables say about which device hangs off which PSE port (pure): the LLDP remote table
// (LLDP-MIB lldpRemChassisId with subtype macAddress, keyed by the local port) and the bridge
// forwarding tables (BRIDGE-MIB dot1dTpFdbPort, Q-BRIDGE-MIB dot1qTpFdbPort: MAC → bridge port).
// Assumption, as on the switches WalT and pici drive: the PSE port index within the configured
// group equals the LLDP local port number and the bridge port number. A port where the bridge
// learned several MACs is an uplink (or a hub) and is skipped; so are ports the PSE table does
// not list. LLDP wins over the forwarding table.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "poe/driver.hpp"

namespace mb::poe {

inline constexpr const char* kDot1dTpFdbPort = "1.3.6.1.2.1.17.4.3.1.2";             // .<6 MAC octets> = bridge port
inline constexpr const char* kDot1qTpFdbPort = "1.3.6.1.2.1.17.7.1.2.2.1.2";         // .<fdb id>.<6 octets>
inline constexpr const char* kLldpRemChassisIdSubtype = "1.0.8802.1.1.2.1.4.1.1.4";  // .<time>.<local port>.<index>
inline constexpr const char* kLldpRemChassisId = "1.0.8802.1.1.2.1.4.1.1.5";

// One table cell: the OID suffix below the column and its value (integer or octets).
struct SnmpCell {
    std::vector<uint32_t> index;
    std::optional<long> integer;
    std::string octets;
};

struct DiscoveryTables {
    std::vector<SnmpCell> fdb;                    // dot1dTpFdbPort
    std::vector<SnmpCell> qfdb;                   // dot1qTpFdbPort
    std::vector<SnmpCell> lldp_subtype;           // lldpRemChassisIdSubtype
    std::vector<SnmpCell> lldp_chassis;           // lldpRemChassisId
    std::optional<std::set<uint32_t>> pse_ports;  // port indices of the group in pethPsePortTable
};

std::vector<Learned> learn_from_tables(const std::string& switch_name, const DiscoveryTables& t);

}  // namespace mb::poe
