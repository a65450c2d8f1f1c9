#pragma once
// RFC 3621 POWER-ETHERNET-MIB over SNMP v1/v2c/v3 (net-snmp's single-session API).
// Port syntax: "<port>" (group 1) or "<group>.<port>" / "<group>/<port>" — the PSE indices, not ifIndex.
//   on  = SET pethPsePortAdminEnable.g.p = true(1); off = false(2)
//   status = GET AdminEnable + DetectionStatus (deliveringPower(3) = on; searching(2) = powering on;
//   fault(4)/otherFault(6) = fault); one port per PDU.
//   discover = LLDP remote table + bridge forwarding tables → (MAC, port) (snmp_discover.hpp).
#include <cstdint>
#include <utility>

#include "poe/driver.hpp"
#include "poe/settings.hpp"

namespace mb::poe {

inline constexpr const char* kPethPsePortEntry = "1.3.6.1.2.1.105.1.1.1";

// (group, port) from the port text ("5" = default_group.5); throws kExitDataErr.
std::pair<uint32_t, uint32_t> parse_pse_port(const std::string& text, uint32_t default_group = 1);

// Maps AdminEnable and DetectionStatus to a power state (pure; §1.3 of poe.md).
PortStatus pse_status(long admin_enable, long detection_status);

class SnmpDriver : public Driver {
public:
    explicit SnmpDriver(SwitchSettings s);
    void on(const PortRef& port) override;
    void off(const PortRef& port) override;
    PortStatus status(const PortRef& port) override;
    // Walks the PSE port table, BRIDGE-MIB/Q-BRIDGE-MIB forwarding tables and the LLDP remote
    // table (snmp_discover.hpp); throws kExitUnavailable when the switch has none of them.
    std::vector<Learned> discover() override;
    std::string_view kind() const override { return "snmp"; }

private:
    void set_admin(const PortRef& port, long value);
    SwitchSettings s_;
};

}  // namespace mb::poe
