#include <catch2/catch.hpp>

#include "bootlog/bootlog.hpp"
#include "core/base64.hpp"
#include "core/error.hpp"
#include "inventory/inventory.hpp"

using namespace mb::inventory;

namespace {
const char* kBody = R"({
  "inventory": {
    "interfaces": [{"name": "wlan0", "mac_address": "dc:a6:32:aa:bb:cc"},
                   {"name": "end0", "mac_address": "DC:A6:32:01:02:03", "ipv4_address": "10.1.1.23"}],
    "cpu": {"count": 4, "architecture": "aarch64"},
    "memory": {"total": 8201547776, "physical_mb": 8192},
    "disks": [{"name": "/dev/mmcblk0", "size": 31914983424}, {"name": "/dev/sda", "size": 1000}],
    "boot": {"current_boot_mode": "uefi", "pxe_interface": "dc:a6:32:01:02:03"}
  },
  "root_disk": {"name": "/dev/mmcblk0"},
  "boot_interface": "01-dc-a6-32-01-02-03",
  "error": null,
  "logs": "aGVsbG8gd29ybGQ="
})";
}

TEST_CASE("IPA inspection bodies are validated like Ironic", "[inventory]") {
    auto in = parse_inspection(kBody);
    REQUIRE(in.candidates.size() == 2);
    CHECK(in.candidates[0].colon() == "dc:a6:32:01:02:03");  // boot_interface first, PXELINUX form accepted
    CHECK(in.candidates[1].colon() == "dc:a6:32:aa:bb:cc");
    CHECK(decoded_logs(in) == std::optional<std::string>("hello world"));

    for (const char* bad : {"", "[]", "{}", "nope", R"({"inventory": []})", R"({"inventory": {}})",
                            R"({"inventory": {"interfaces": []}})", R"({"inventory": {"interfaces": [{}]}})",
                            R"({"inventory": {"interfaces": [{"mac_address": 5}]}})",
                            R"({"inventory": {"interfaces": [{"mac_address": "zz"}]}})"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_inspection(bad), mb::Error);
    }
}

TEST_CASE("stored document and summary", "[inventory]") {
    auto in = parse_inspection(kBody);
    auto doc = stored_document(in, in.candidates[0], "pi-03", "2026-11-24T21:00:00Z", "10.1.1.23", true);
    CHECK(doc["mac"] == "dc:a6:32:01:02:03");
    CHECK(doc["device_id"] == "pi-03");
    CHECK(doc["root_disk"]["name"] == "/dev/mmcblk0");
    CHECK(doc["has_logs"] == true);
    CHECK_FALSE(doc.contains("logs"));
    auto s = summary(nlohmann::json::parse(doc.dump()));
    CHECK(s["cpus"] == 4);
    CHECK(s["memory_mb"] == 8192);
    CHECK(s["disks"] == 2);
    CHECK(s["disk_bytes"] == 31914984424ULL);
    CHECK(summary(nlohmann::json::object())["cpus"].is_null());
}

TEST_CASE("base64", "[inventory]") {
    CHECK(mb::base64_decode("") == std::optional<std::string>(""));
    CHECK(mb::base64_decode("Zg==") == std::optional<std::string>("f"));
    CHECK(mb::base64_decode("Zm8=") == std::optional<std::string>("fo"));
    CHECK(mb::base64_decode("Zm9v") == std::optional<std::string>("foo"));
    CHECK(mb::base64_decode("Zm9v\nYmFy") == std::optional<std::string>("foobar"));
    CHECK_FALSE(mb::base64_decode("Zm9v!"));
    CHECK_FALSE(mb::base64_decode("Zg==Zg"));
    CHECK_FALSE(mb::base64_decode("Z"));
}

TEST_CASE("boot logs: leases and datagrams", "[bootlog]") {
    auto leases = mb::bootlog::parse_leases(
        "1732485600 dc:a6:32:01:02:03 10.1.1.23 pi-03 01:dc:a6:32:01:02:03\n"
        "garbage\n"
        "duid 00:01:00:01\n"
        "1732485601 dc:a6:32:01:02:04 10.1.1.24 * *\n");
    REQUIRE(leases.size() == 2);
    CHECK(leases.at("10.1.1.23").dashed() == "dc-a6-32-01-02-03");
    const std::time_t t = 1795986000;  // 2026-11-30T...
    const auto stamp = mb::bootlog::format_datagram("x", t).substr(0, 21);
    CHECK(mb::bootlog::format_datagram("<6>[    1.0] Booting Linux\n", t) == stamp + "[    1.0] Booting Linux\n");
    CHECK(mb::bootlog::format_datagram("<13>1 2026-11-24T21:00:00Z pi app - - msg", t) ==
          stamp + "2026-11-24T21:00:00Z pi app - - msg\n");
    CHECK(mb::bootlog::format_datagram("6,1234,5678,-;ext line\r\n", t) == stamp + "ext line\n");
    CHECK(mb::bootlog::format_datagram("a\nb\x01\n\n", t) == stamp + "a\n" + stamp + "b?\n");
    CHECK(mb::bootlog::format_datagram("\r\n", t).empty());
}
