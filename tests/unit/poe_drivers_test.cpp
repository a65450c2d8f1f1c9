#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"
#include "poe/command_driver.hpp"
#include "poe/settings.hpp"
#include "poe/snmp_discover.hpp"
#include "poe/snmp_driver.hpp"
#include "poe/unifi_driver.hpp"

using namespace mb::poe;
using nlohmann::json;

TEST_CASE("PSE port text gives (group, port)", "[poe]") {
    CHECK(parse_pse_port("5") == std::pair<uint32_t, uint32_t>{1, 5});
    CHECK(parse_pse_port("2.7") == std::pair<uint32_t, uint32_t>{2, 7});
    CHECK(parse_pse_port("2/7") == std::pair<uint32_t, uint32_t>{2, 7});
    for (const char* bad : {"", "0", "1.0", "x", "1.", ".3", "1.2.3"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_pse_port(bad), mb::Error);
    }
}

TEST_CASE("RFC 3621 AdminEnable and DetectionStatus map to power", "[poe]") {
    CHECK(pse_status(1, 3).power == Power::on);
    CHECK(pse_status(1, 2).power == Power::powering_on);
    CHECK(pse_status(2, 1).power == Power::off);
    CHECK(pse_status(2, 3).power == Power::off);
    CHECK(pse_status(1, 4).power == Power::fault);
    CHECK(pse_status(2, 6).power == Power::fault);
    CHECK(pse_status(1, 3).detail == "deliveringPower");
    CHECK(*pse_status(2, 1).admin_enabled == false);
}

TEST_CASE("command placeholders are substituted shell-quoted", "[poe]") {
    PortRef p{"rack 1", "3", "dc:a6:32:01:02:03"};
    CHECK(expand_command("/bin/pw {action} {switch} {port} {mac}", Action::cycle, p) ==
          "/bin/pw 'cycle' 'rack 1' '3' 'dc:a6:32:01:02:03'");
    PortRef evil{"sw", "1'; rm -rf /; '", ""};
    CHECK(expand_command("x {port}", Action::on, evil) == "x '1'\\''; rm -rf /; '\\'''");
    CHECK(expand_command("awk '{{print}}' {action}", Action::off, p) == "awk '{print}' 'off'");
    CHECK_THROWS_AS(expand_command("x {host}", Action::on, p), mb::Error);
    CHECK_THROWS_AS(expand_command("x {port", Action::on, p), mb::Error);
}

TEST_CASE("command status contract: JSON, a word, or the exit code", "[poe]") {
    CHECK(parse_status_output(0, "").power == Power::on);
    CHECK(parse_status_output(1, "").power == Power::off);
    CHECK(parse_status_output(0, "off\n").power == Power::off);
    auto st = parse_status_output(0, R"({"power":"powering_on","detail":"relay 2","watts":4.5})");
    CHECK(st.power == Power::powering_on);
    CHECK(st.detail == "relay 2");
    CHECK(*st.watts == 4.5);
    CHECK_THROWS_AS(parse_status_output(0, "{\"power\":3}"), mb::Error);
    CHECK_THROWS_AS(parse_status_output(0, "maybe"), mb::Error);
    CHECK_THROWS_AS(parse_status_output(2, ""), mb::Error);
    try {
        parse_status_output(69, "");
        FAIL("no throw");
    } catch (const mb::Error& e) {
        CHECK(e.code() == mb::kExitUnavailable);
    }
}

TEST_CASE("UniFi port_overrides read-modify-write keeps others and appends", "[poe]") {
    json dev = json::parse(R"({"port_overrides":[{"port_idx":1,"name":"up","poe_mode":"off"},
                                                 {"port_idx":5,"poe_mode":"auto","speed":100}]})");
    auto out = merged_port_overrides(dev, 5, "off");
    CHECK(out ==
          json::parse(R"([{"port_idx":1,"name":"up","poe_mode":"off"},{"port_idx":5,"poe_mode":"off","speed":100}])"));
    out = merged_port_overrides(dev, 7, "auto");
    CHECK(out.size() == 3);
    CHECK(out[2] == json::parse(R"({"port_idx":7,"poe_mode":"auto"})"));
    CHECK(merged_port_overrides(json::object(), 2, "off") == json::parse(R"([{"port_idx":2,"poe_mode":"off"}])"));
}

TEST_CASE("UniFi port state mapping", "[poe]") {
    auto dev = [](const char* mode, bool enable, const char* override_mode) {
        json d{{"port_table", {{{"port_idx", 4}, {"poe_mode", mode}, {"poe_enable", enable}, {"poe_power", "2.5"}}}}};
        if (override_mode) d["port_overrides"] = {{{"port_idx", 4}, {"poe_mode", override_mode}}};
        return d;
    };
    CHECK(unifi_port_status(dev("auto", true, nullptr), 4).power == Power::on);
    CHECK(*unifi_port_status(dev("auto", true, nullptr), 4).watts == 2.5);
    CHECK(unifi_port_status(dev("auto", false, nullptr), 4).power == Power::powering_on);
    CHECK(unifi_port_status(dev("off", false, nullptr), 4).power == Power::off);
    CHECK(unifi_port_status(dev("auto", true, "off"), 4).power == Power::powering_off);
    CHECK_THROWS_AS(unifi_port_status(dev("auto", true, nullptr), 5), mb::Error);
}

TEST_CASE("poe settings from metal-boot.yaml's poe section", "[poe]") {
    mb::config::PoeSettings c;
    c.cycle_delay_ms = 2000;
    mb::config::PoeSwitch a;
    a.name = "a";
    a.driver = "snmp";
    a.address = "10.0.0.2";
    a.snmp.community = "rw";
    a.snmp.group = 2;
    c.switches.push_back(a);
    mb::config::PoeSwitch u;
    u.name = "u";
    u.driver = "unifi";
    u.unifi.url = "https://u";
    u.unifi.api_key = "k";
    u.unifi.username = "admin";
    u.unifi.device_mac = "f4:e2:c6:50:60:bb";
    c.switches.push_back(u);
    auto s = from_config(c);
    CHECK(s.cycle_delay_ms == 2000);
    CHECK(s.get("a").snmp.community == "rw");
    CHECK(s.get("a").snmp.group == 2);
    CHECK(s.get("u").unifi.username.empty());  // an API key wins; never both
    CHECK_THROWS_WITH(s.get("aa"), Catch::Contains("did you mean a"));
    mb::config::PoeSwitch v3 = a;
    v3.snmp.version = "3";
    CHECK_THROWS_WITH(from_config(v3), Catch::Contains("snmp.user"));
    v3.snmp.user = "mb";
    v3.snmp.auth_password = "short";
    CHECK_THROWS_WITH(from_config(v3), Catch::Contains("auth_password"));
    mb::config::PoeSwitch noaddr = a;
    noaddr.address.clear();
    CHECK_THROWS_WITH(from_config(noaddr), Catch::Contains("address"));
    CHECK(parse_pse_port("7", 2) == std::pair<uint32_t, uint32_t>{2, 7});
}

TEST_CASE("SNMP discovery from LLDP and bridge tables", "[poe]") {
    using mb::poe::SnmpCell;
    mb::poe::DiscoveryTables t;
    auto fdb = [](std::vector<uint32_t> mac, long port) { return SnmpCell{std::move(mac), port, ""}; };
    t.fdb = {fdb({0xd8, 0x3a, 0xdd, 0x5a, 0x44, 0x0c}, 2),
             fdb({0, 0x11, 0x22, 0x33, 0x44, 0x55}, 8),  // two MACs on port 8: an uplink
             fdb({0, 0x11, 0x22, 0x33, 0x44, 0x66}, 8),
             fdb({0xaa, 0, 0, 0, 0, 0x0c}, 12),    // not a PSE port
             fdb({0xdc, 0xa6, 0x32, 1, 2, 4}, 3),  // LLDP says port 4: LLDP wins
             fdb({1, 2, 3}, 5)};                   // malformed index: ignored
    t.qfdb = {SnmpCell{{1, 0xdc, 0xa6, 0x32, 1, 2, 6}, 6, ""}};
    t.lldp_subtype = {SnmpCell{{0, 4, 1}, 4, ""}, SnmpCell{{0, 7, 1}, 7, ""}};
    t.lldp_chassis = {SnmpCell{{0, 4, 1}, std::nullopt, std::string("\xdc\xa6\x32\x01\x02\x04", 6)},
                      SnmpCell{{0, 7, 1}, std::nullopt, "sw-core"}};  // subtype local(7): not a MAC
    t.pse_ports = std::set<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8};
    auto l = mb::poe::learn_from_tables("sw1", t);
    REQUIRE(l.size() == 3);
    CHECK(l[0].mac == "d8:3a:dd:5a:44:0c");
    CHECK(l[0].port == "2");
    CHECK(l[0].source == "snmp:dot1dTpFdb");
    CHECK(l[1].mac == "dc:a6:32:01:02:04");
    CHECK(l[1].port == "4");
    CHECK(l[1].source == "snmp:lldpRemTable");
    CHECK(l[2].mac == "dc:a6:32:01:02:06");
    CHECK(l[2].port == "6");
    CHECK(l[2].switch_name == "sw1");
    // Without a PSE table every port counts.
    t.pse_ports.reset();
    CHECK(mb::poe::learn_from_tables("sw1", t).size() == 4);
}
