#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "efi/vars_json.hpp"
#include "efi/varstore.hpp"
#include "efi_test_util.hpp"

using namespace mb::efi;
using mb::efi::test::fixture;
using mb::efi::test::fixture_text;

TEST_CASE("Export is byte-identical to virt-fw-vars for an image built from its output", "[efi][json]") {
    const std::string text = fixture_text("pi4-d83add5a4436.vars.json");
    REQUIRE(text.size() == 29726);
    // Build an image edk2-style (records in the JSON's store order) from the empty base.
    auto img = fixture("RPI_EFI-rebuilt-empty.fd");
    Store s = parse_store(img);
    write_append(img, s, import_json(text));
    Store built = parse_store(img);
    CHECK(built.vars.size() == 60);
    CHECK(export_json(built.vars) == text);
    CHECK(export_json(built.vars, true) == text + "\n");
}

TEST_CASE("Export formatting follows Python json.dumps(indent=4)", "[efi][json]") {
    Variables none;
    CHECK(export_json(none) == "{\n    \"version\": 2,\n    \"variables\": []\n}");
    Variables v;
    Variable x{guids::kGlobal, u"N\u00e9\"\\", 7, {}, {}, 0, 0};
    x.time.raw = {0xe9, 0x07, 3, 10, 2, 0x35, 0x1e, 0xAA, 0x39, 0x30, 0, 0, 0xFF, 0x07, 1, 0xBB};
    v.set(x);
    CHECK(export_json(v) ==
          "{\n    \"version\": 2,\n    \"variables\": [\n        {\n            \"name\": \"N\\u00e9\\\"\\\\\",\n"
          "            \"guid\": \"8be4df61-93ca-11d2-aa0d-00e098032b8c\",\n            \"attr\": 7,\n"
          "            \"data\": \"\",\n            \"time\": \"e907030a02351e00e02e0000"
          "00000000\"\n        }\n    ]\n}");
}

TEST_CASE("Import accepts every producer's spelling", "[efi][json]") {
    // awslabs order + timestamp + digest, QEMU order, symbolic GUID, bare array, unknown keys.
    const char* doc = R"([
      {"data": "0500", "guid": "EfiGlobalVariable", "name": "Timeout", "attr": 7, "extra": 1},
      {"guid": "d719b2cb-3d3a-4596-a3bc-dad00e67656f", "name": "db", "attr": 39, "data": "",
       "timestamp": "e907030a02351e000000000000000000", "digest": "00ff"},
      {"name": "RamLimitTo3GB", "guid": "cd7cc258-31db-22e6-9f22-63b0b8eed6b5", "data": "00000000"}
    ])";
    auto vars = import_json(doc);
    REQUIRE(vars.size() == 3);
    CHECK(vars[0].guid == guids::kGlobal);
    CHECK(vars[0].data == std::vector<uint8_t>{5, 0});
    CHECK(vars[1].time.is_set());
    CHECK(vars[1].attr == 39);
    CHECK(vars[2].attr == 7);  // RPi config default: NV|BS|RT
    CHECK(default_attr(guids::kConfigDxe, u"RamLimitTo3GB", true) == 3);  // what virt-fw-vars does
    // Fixture with non-standard indentation parses to 67 variables.
    CHECK(import_json(fixture_text("pi4-d83add5a440c.vars.json")).size() == 67);
}

TEST_CASE("Import errors name the JSON path", "[efi][json]") {
    auto expect = [](const char* doc, const char* needle) {
        INFO(doc);
        try {
            parse_json(doc);
            FAIL("no error");
        } catch (const mb::Error& e) {
            CHECK(e.code() == mb::kExitDataErr);
            CHECK_THAT(e.what(), Catch::Contains(needle));
        }
    };
    expect("{\"variables\": [", "byte");
    expect("{\"version\": 2}", "variables");
    expect("{\"variables\": [{\"name\": \"X\", \"guid\": \"NoSuchGuid\", \"data\": \"\"}]}", "variables[0].guid");
    expect("{\"variables\": [{}, {\"name\": \"X\", \"guid\": \"EfiGlobalVariable\", \"data\": \"0\"}]}",
           "variables[0].name");
    expect("[{\"name\": \"X\", \"guid\": \"EfiGlobalVariable\", \"data\": \"zz\"}]", "[0].data");
    expect("[{\"name\": \"X\", \"guid\": \"EfiGlobalVariable\", \"data\": \"\", \"attr\": -1}]", "[0].attr");
    expect("[{\"name\": \"X\", \"guid\": \"EfiGlobalVariable\", \"data\": \"\", \"time\": \"00\"}]", "[0].time");
    expect("42", "$");
}

TEST_CASE("Merge keys by (GUID, name), deletes, and offers name-only compatibility", "[efi][json]") {
    const auto ip6 = *Guid::parse("EfiIp6ConfigProtocol");
    const auto ip4 = *Guid::parse("EfiIp4Config2Protocol");
    Variables base;
    base.set(Variable{ip6, u"D83ADD5A440C", 3, {6}, {}, 0, 0});
    base.set(Variable{guids::kConfigDxe, u"CpuClock", 7, {1, 0, 0, 0}, {}, 5, 9});
    Variables keyed = base;
    auto upd = parse_json(R"([{"name": "D83ADD5A440C", "guid": "EfiIp4Config2Protocol", "data": "04"},
                              {"name": "CpuClock", "guid": "ConfigDxe", "data": "02000000"}])");
    CHECK(merge(keyed, upd) == 2);
    CHECK(keyed.size() == 3);
    CHECK(keyed.find(ip6, u"D83ADD5A440C")->data[0] == 6);
    CHECK(keyed.find(ip4, u"D83ADD5A440C")->attr == 3);
    const Variable* cpu = keyed.find(guids::kConfigDxe, u"CpuClock");
    CHECK(cpu->attr == 7);  // kept from the old copy
    CHECK(cpu->count == 0);
    CHECK(merge(keyed, upd) == 0);  // idempotent
    CHECK(merge(keyed, parse_json(R"([{"name": "D83ADD5A440C", "guid": "EfiIp6ConfigProtocol", "delete": true}])")) ==
          1);
    CHECK_FALSE(keyed.find(ip6, u"D83ADD5A440C"));
    CHECK(keyed.find(ip4, u"D83ADD5A440C"));
    // virt-fw-vars semantics: the Ip4Config2 entry replaces the Ip6Config one (the bug, reproduced on request).
    Variables compat = base;
    merge(compat, upd, MergeMode::NameOnly);
    CHECK(compat.size() == 2);
    CHECK(compat.find(ip4, u"D83ADD5A440C"));
    CHECK_FALSE(compat.find(ip6, u"D83ADD5A440C"));
}

TEST_CASE("A number that overflows is a data error, not a crash", "[efi][json]") {
    CHECK_THROWS_AS(parse_json(R"([{"name": 351e001830000000000000}])"), mb::Error);
    CHECK_THROWS_AS(parse_json(R"([{"name": "X", "guid": "EfiGlobalVariable", "data": "", "attr": 99999999999999999999999}])"),
                    mb::Error);
}
