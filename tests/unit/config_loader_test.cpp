#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "config/state_store.hpp"
#include "core/error.hpp"
#include "support.hpp"

using mb::config::load_tree;
using mb::config::Tree;
using mb::device::Mac;
using mb::test::TempDir;

namespace {

std::string load_error(const TempDir& dir) {
    try {
        load_tree(Tree(dir.path()));
    } catch (const mb::Error& e) {
        CHECK(e.code() == mb::kExitConfig);
        return e.what();
    }
    FAIL("expected the tree to be rejected");
    return "";
}

const char* kSettings = R"(server:
  address: 10.0.0.1
poe:
  switches:
    - name: sw1
      driver: snmp
      address: 127.0.0.1:1161
defaults:
  netboot:
    console: ttyAMA0,115200
    osie:
      kernel: default.kernel
)";

}  // namespace

TEST_CASE("an empty tree loads with built-in defaults", "[config]") {
    TempDir dir;
    auto snap = load_tree(Tree(dir.path()));
    CHECK(snap->devices.empty());
    CHECK(snap->settings.dhcp.mode == "proxy");
    CHECK(snap->settings.tftp.port == 69);
    auto r = snap->effective(*Mac::parse("dc:a6:32:01:02:03"));
    CHECK(r.netboot.allow_pxe);
    CHECK(r.mac == "dc:a6:32:01:02:03");
    CHECK(r.id() == "dc-a6-32-01-02-03");
}

TEST_CASE("effective record merges defaults, device file and tool state in order", "[config][merge]") {
    TempDir dir;
    dir.write("metal-boot.yaml", kSettings);
    dir.write("devices/dc-a6-32-01-02-03.yaml", R"(name: rpi-01
netboot:
  osie:
    initrd: custom.initrd
power:
  switch: sw1
  port: 3
)");
    dir.write("state/dhcp/devices/dc-a6-32-01-02-03.json", R"({"observed": {"serial": "5b154510", "arch": "arm64"}})");
    // A field the dhcp tool does not own is ignored even if present in its state file.
    dir.write("state/dhcp/devices/dc-a6-32-01-02-04.json", R"({"netboot": {"allow_pxe": false}})");
    auto snap = load_tree(Tree(dir.path()));
    REQUIRE(snap->devices.size() == 1);
    const auto mac = *Mac::parse("dc-a6-32-01-02-03");
    const auto r = snap->effective(mac);
    CHECK(r.netboot.console == "ttyAMA0,115200");        // metal-boot.yaml defaults
    CHECK(r.netboot.osie.kernel == "default.kernel");    // defaults, nested
    CHECK(r.netboot.osie.initrd == "custom.initrd");     // device file wins
    CHECK(r.power.port == 3);
    CHECK(r.observed.serial == "5b154510");              // state layer
    CHECK(r.id() == "rpi-01");
    CHECK(snap->find_by_serial(*mb::device::PiSerial::parse("5b154510")) == mac);
    CHECK(snap->find_by_id("rpi-01") == mac);
    const auto& prov = snap->provenance.at(mac);
    CHECK(prov.at("netboot.console") == "metal-boot.yaml:10");
    CHECK(prov.at("netboot.osie.initrd") == "devices/dc-a6-32-01-02-03.yaml:4");
    CHECK(prov.at("observed.serial").find("state/dhcp/devices/dc-a6-32-01-02-03.json") == 0);
    // Unknown MACs get the defaults.
    CHECK(snap->effective(*Mac::parse("dc:a6:32:01:02:04")).netboot.allow_pxe);
}

TEST_CASE("invalid values are reported with file, line and key", "[config][errors]") {
    TempDir dir;
    dir.write("metal-boot.yaml", kSettings);
    SECTION("wrong type") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "name: x\nlabels: {}\n\n\n\npower:\n  port: two\n");
        CHECK(load_error(dir) == "devices/dc-a6-32-01-02-03.yaml:7: power.port: expected an integer 0-1024, got 'two'");
    }
    SECTION("port beyond the switch's port count") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "power:\n  switch: sw1\n  port: 60\n");
        CHECK(load_error(dir) == "devices/dc-a6-32-01-02-03.yaml:3: power.port: expected an integer 1-52, got '60'");
    }
    SECTION("unknown key with a suggestion") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "netboot:\n  alow_pxe: true\n");
        CHECK(load_error(dir) ==
              "devices/dc-a6-32-01-02-03.yaml:2: netboot.alow_pxe: unknown key (did you mean 'allow_pxe'?)");
    }
    SECTION("bad bool") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "netboot:\n  allow_pxe: maybe\n");
        CHECK(load_error(dir) ==
              "devices/dc-a6-32-01-02-03.yaml:2: netboot.allow_pxe: expected true or false, got 'maybe'");
    }
    SECTION("malformed YAML") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "netboot: [unclosed\n");
        CHECK(load_error(dir).rfind("devices/dc-a6-32-01-02-03.yaml:2:", 0) == 0);
    }
    SECTION("value outside a list") {
        dir.write("metal-boot.yaml", "dhcp:\n  mode: relay\n");
        CHECK(load_error(dir) == "metal-boot.yaml:2: dhcp.mode: expected one of proxy, full, got 'relay'");
    }
    SECTION("invalid IPv4") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "dhcp:\n  ip: 10.0.0.300\n");
        CHECK(load_error(dir) == "devices/dc-a6-32-01-02-03.yaml:2: dhcp.ip: expected an IPv4 address, got '10.0.0.300'");
    }
    SECTION("chain URL scheme") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "netboot:\n  ipxe_script_url: ftp://10.0.0.1/x.ipxe\n");
        CHECK(load_error(dir) ==
              "devices/dc-a6-32-01-02-03.yaml:2: netboot.ipxe_script_url: expected an http://, "
              "https:// or tftp:// URL, got 'ftp://10.0.0.1/x.ipxe'");
        dir.write("devices/dc-a6-32-01-02-03.yaml", "netboot:\n  ipxe_script_url: tftp://10.0.0.1/x.ipxe\n");
        CHECK_NOTHROW(load_tree(Tree(dir.path())));
    }
    SECTION("file name is not a MAC") {
        dir.write("devices/rpi-01.yaml", "name: x\n");
        CHECK(load_error(dir).find("devices/rpi-01.yaml: file name is not a MAC address") == 0);
    }
    SECTION("duplicate device in two spellings") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "");
        dir.write("devices/DCA632010203.yaml", "");
        CHECK(load_error(dir).find("duplicate device") != std::string::npos);
    }
    SECTION("mac inside the file does not match its name") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "mac: dc:a6:32:01:02:04\n");
        CHECK(load_error(dir) ==
              "devices/dc-a6-32-01-02-03.yaml:1: mac: dc:a6:32:01:02:04 does not match the file name (dc:a6:32:01:02:03)");
    }
    SECTION("two devices with one id") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "name: rpi\n");
        dir.write("devices/dc-a6-32-01-02-04.yaml", "name: rpi\n");
        CHECK(load_error(dir).find("'rpi' is also the id of dc:a6:32:01:02:03") != std::string::npos);
    }
    SECTION("two devices with one reserved address") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "dhcp: {ip: 10.0.0.5}\n");
        dir.write("devices/dc-a6-32-01-02-04.yaml", "dhcp: {ip: 10.0.0.5}\n");
        CHECK(load_error(dir).find("dhcp.ip: 10.0.0.5 is also reserved for dc:a6:32:01:02:03") != std::string::npos);
    }
    SECTION("duplicate switch") {
        dir.write("metal-boot.yaml", "poe:\n  switches:\n    - {name: a}\n    - {name: a}\n");
        CHECK(load_error(dir) == "metal-boot.yaml: poe.switches[1].name: duplicate switch name 'a'");
    }
    SECTION("duplicate key") {
        dir.write("devices/dc-a6-32-01-02-03.yaml", "name: a\nname: b\n");
        CHECK(load_error(dir).find(": name: duplicate key") != std::string::npos);
    }
}

TEST_CASE("legacy files are read as a device layer below devices/", "[config][legacy]") {
    TempDir dir;
    dir.write("metal-boot.yaml", "legacy:\n  netboot_yaml: " + mb::test::fixtures_dir() + "/config/netboot.yaml\n");
    dir.write("devices/d8-3a-dd-5a-44-0c.yaml", "netboot:\n  allow_pxe: false\n");
    auto snap = load_tree(Tree(dir.path()));
    CHECK(snap->devices.size() == 3);
    CHECK(snap->effective(*Mac::parse("e0:92:8f:45:b4:40")).netboot.osie.kernel == "ironic-python-agent.kernel");
    CHECK_FALSE(snap->effective(*Mac::parse("d8:3a:dd:5a:44:0c")).netboot.allow_pxe);
}

TEST_CASE("an unknown switch is a warning, not an error", "[config]") {
    TempDir dir;
    dir.write("devices/dc-a6-32-01-02-03.yaml", "power: {switch: nope, port: 2}\n");
    auto snap = load_tree(Tree(dir.path()));
    REQUIRE(snap->warnings.size() == 1);
    CHECK(snap->warnings[0].find("no switch named 'nope'") != std::string::npos);
}

TEST_CASE("byte sizes accept binary suffixes", "[config]") {
    TempDir dir;
    dir.write("metal-boot.yaml", "talos:\n  max_cache_size: 40M\n");
    CHECK(load_tree(Tree(dir.path()))->settings.talos.max_cache_size == 40ull << 20);
    dir.write("metal-boot.yaml", "talos:\n  max_cache_size: 10737418240\n");
    CHECK(load_tree(Tree(dir.path()))->settings.talos.max_cache_size == 10737418240ull);
    dir.write("metal-boot.yaml", "talos:\n  max_cache_size: 10X\n");
    CHECK(load_error(dir) ==
          "metal-boot.yaml:2: talos.max_cache_size: expected a size in bytes (e.g. 10737418240 or 10G), got '10X'");
}
