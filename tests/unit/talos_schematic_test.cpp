#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "talos/catalog.hpp"
#include "talos/schematic.hpp"
#include "talos/version.hpp"

using namespace mb::talos;

TEST_CASE("The default schematic is the factory's documented ID", "[talos][schematic]") {
    Schematic s;
    CHECK(canonical_yaml(s) == "customization: {}\n");
    CHECK(schematic_id(s) == "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba");
}

TEST_CASE("The Raspberry Pi overlay schematic has the well-known ID", "[talos][schematic]") {
    Schematic s;
    s.overlay_image = "siderolabs/sbc-raspberrypi";
    s.overlay_name = "rpi_generic";
    CHECK(canonical_yaml(s) ==
          "overlay:\n    image: siderolabs/sbc-raspberrypi\n    name: rpi_generic\ncustomization: {}\n");
    CHECK(schematic_id(s) == "ee21ef4a5ef808a9b7484cc0dda0f25075021691c8c09a276591eedb638ea1f9");
}

TEST_CASE("Extensions and kernel args are written as go-yaml does, sorted and unique", "[talos][schematic]") {
    Schematic s;
    s.extensions = {"siderolabs/util-linux-tools", "siderolabs/iscsi-tools", "siderolabs/iscsi-tools"};
    s.extra_kernel_args = {"console=ttyS0", "-init_on_alloc"};
    s.normalize();
    CHECK(canonical_yaml(s) ==
          "customization:\n"
          "    extraKernelArgs:\n"
          "        - console=ttyS0\n"
          "        - -init_on_alloc\n"
          "    systemExtensions:\n"
          "        officialExtensions:\n"
          "            - siderolabs/iscsi-tools\n"
          "            - siderolabs/util-linux-tools\n");
    Schematic reordered;
    reordered.extensions = {"siderolabs/iscsi-tools", "siderolabs/util-linux-tools"};
    reordered.extra_kernel_args = s.extra_kernel_args;
    reordered.normalize();
    CHECK(schematic_id(reordered) == schematic_id(s));
    CHECK(is_schematic_id(schematic_id(s)));
    CHECK_FALSE(is_schematic_id("376567988AD370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"));
    CHECK_FALSE(is_schematic_id("abc"));
}

TEST_CASE("YAML scalars are quoted only when plain text would change meaning", "[talos][schematic]") {
    CHECK(yaml_scalar("siderolabs/iscsi-tools") == "siderolabs/iscsi-tools");
    CHECK(yaml_scalar("console=ttyS0,115200") == "console=ttyS0,115200");
    CHECK(yaml_scalar("true") == "\"true\"");
    CHECK(yaml_scalar("123") == "\"123\"");
    CHECK(yaml_scalar("1.5") == "\"1.5\"");
    CHECK(yaml_scalar("null") == "\"null\"");
    CHECK(yaml_scalar("{}") == "'{}'");
    CHECK(yaml_scalar("a: b") == "'a: b'");
    CHECK(yaml_scalar("it's #x") == "'it''s #x'");
    CHECK(yaml_scalar("") == "''");
    CHECK(yaml_scalar("tab\there") == "\"tab\\there\"");
}

TEST_CASE("latest is the highest stable semver; pre-releases lose", "[talos][version]") {
    const auto versions = parse_versions_json(
        R"(["v1.5.0","v1.10.2","v1.11.5","v1.9.9","v1.12.0-alpha.1","v1.12.0-beta.0","v1.11.5-rc.1"])");
    CHECK(latest_stable(versions) == std::optional<std::string>("v1.11.5"));
    CHECK_FALSE(latest_stable({"v1.12.0-alpha.1"}).has_value());
    CHECK_FALSE(latest_stable({}).has_value());
    CHECK(latest_stable({"garbage", "v1.2.3"}) == std::optional<std::string>("v1.2.3"));
    CHECK_THROWS_AS(parse_versions_json("{}"), mb::Error);
    CHECK_THROWS_AS(parse_versions_json("[1]"), mb::Error);
    CHECK_THROWS_AS(parse_versions_json("[\"v1"), mb::Error);
}

TEST_CASE("semver precedence follows semver 2.0", "[talos][version]") {
    auto v = [](const char* t) { return parse_semver(t).value(); };
    CHECK(((compare(v("v1.0.0-alpha"), v("v1.0.0-alpha.1"))) < 0));
    CHECK(((compare(v("v1.0.0-alpha.1"), v("v1.0.0-alpha.beta"))) < 0));
    CHECK(((compare(v("v1.0.0-beta.2"), v("v1.0.0-beta.11"))) < 0));
    CHECK(((compare(v("v1.0.0-rc.1"), v("v1.0.0"))) < 0));
    CHECK(((compare(v("v1.10.0"), v("v1.9.0"))) > 0));
    CHECK(((compare(v("v1.0.0+b1"), v("v1.0.0+b2"))) == 0));
    CHECK(v("1.2.3-rc.1+x").text() == "v1.2.3-rc.1+x");
    for (const char* bad : {"", "v", "v1", "v1.2", "v1.2.3.4", "v01.2.3", "v1.2.x", "v1.2.3-", "v1.2.3-01", "vv1.2.3"})
        CHECK_FALSE(parse_semver(bad).has_value());
    CHECK(valid_version_text("latest"));
    CHECK(valid_version_text("v1.11.1"));
    CHECK_FALSE(valid_version_text("1.11.1"));
    CHECK_FALSE(valid_version_text("../etc"));
}

TEST_CASE("Extensions are validated against the factory's list and the unknown one is named", "[talos][catalog]") {
    const auto official = parse_extensions_json(
        R"([{"name":"siderolabs/iscsi-tools","ref":"ghcr.io/siderolabs/iscsi-tools:v0.1.6","digest":"sha256:aa"},
            {"name":"siderolabs/qemu-guest-agent","ref":"r","digest":"d","author":"Sidero Labs","description":"x"},
            {"name":"siderolabs/util-linux-tools"}])");
    REQUIRE(official.size() == 3);
    CHECK(official[1].author == "Sidero Labs");
    CHECK(resolve_extensions({"qemu-guest-agent", "siderolabs/iscsi-tools"}, official, "v1.11.1") ==
          std::vector<std::string>{"siderolabs/qemu-guest-agent", "siderolabs/iscsi-tools"});
    try {
        resolve_extensions({"iscsi-tools", "qemu-guest-agnet"}, official, "v1.11.1");
        FAIL("no error");
    } catch (const mb::Error& e) {
        const std::string msg = e.what();
        CHECK(msg.find("'qemu-guest-agnet'") != std::string::npos);
        CHECK(msg.find("v1.11.1") != std::string::npos);
        CHECK(msg.find("qemu-guest-agent") != std::string::npos);  // the suggestion
        CHECK(e.code() == mb::kExitDataErr);
    }
    CHECK_THROWS_AS(resolve_extensions({"other/iscsi-tools"}, official, "v1"), mb::Error);
    CHECK_THROWS_AS(parse_extensions_json(R"([{"ref":"x"}])"), mb::Error);
    CHECK(parse_extensions_json("null").empty());
}

TEST_CASE("Overlays resolve by name to their image; '-' and '_' are alike", "[talos][catalog]") {
    const auto official = parse_overlays_json(
        R"([{"name":"rpi_generic","image":"siderolabs/sbc-raspberrypi","ref":"ghcr.io/siderolabs/sbc-raspberrypi:v0.1.0","digest":"sha256:bb"},
            {"name":"rock64","image":"siderolabs/sbc-rockchip"}])");
    CHECK(resolve_overlay("rpi_generic", official, "v1.11.1").image == "siderolabs/sbc-raspberrypi");
    CHECK(resolve_overlay("rpi-generic", official, "v1.11.1").name == "rpi_generic");
    try {
        resolve_overlay("rpi_9", official, "v1.11.1");
        FAIL("no error");
    } catch (const mb::Error& e) {
        CHECK(std::string(e.what()).find("'rpi_9'") != std::string::npos);
        CHECK(std::string(e.what()).find("rpi_generic, rock64") != std::string::npos);
    }
    CHECK_THROWS_AS(resolve_overlay("rpi_generic", {}, "v1.4.0"), mb::Error);
    CHECK_THROWS_AS(parse_overlays_json(R"([{"name":"x"}])"), mb::Error);
    CHECK(split_list(" a, b,,c ,") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_list("").empty());
}
