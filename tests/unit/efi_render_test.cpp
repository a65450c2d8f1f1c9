#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "efi/render.hpp"
#include "efi/rpi_settings.hpp"
#include "core/strings.hpp"
#include "efi/vars_json.hpp"
#include "efi_test_util.hpp"

using namespace mb::efi;
using mb::efi::test::fixture;
using mb::efi::test::fixture_text;
using mb::efi::test::sha256_hex;

TEST_CASE("Render reproduces the golden virt-fw-vars images", "[efi][render]") {
    const BaseImage empty(fixture("RPI_EFI-rebuilt-empty.fd"));
    const BaseImage v138(fixture("RPI_EFI-v1.38.fd"));
    const auto a = import_json(fixture_text("pi4-d83add5a440c.vars.json"));
    const auto b = import_json(fixture_text("pi4-d83add5a4436.vars.json"));
    CHECK(sha256_hex(empty.render(a)) == "6137e1217b62bc89551574c6db2712c616f6a1ef7ac23794b2b8e9d008350539");
    CHECK(sha256_hex(empty.render(b)) == "c4894c476d06f8adb04b3e5083d8914c4bcaa4dde38d354b1615a27af7616430");
    CHECK(sha256_hex(v138.render(a)) == "e711960cda4d363780c96d54777aeb6bd4d95db4328743c1b54cd6469cd92f3e");
    CHECK(sha256_hex(empty.render(import_json(fixture_text("ramlimit-off.vars.json")))) ==
          "50286ef122cbc9efa5a9e2b22f012665b08664621a7ed199111ab92d564ac517");
    // The zero-copy view gives the same bytes, block by block.
    const RenderedImage view = empty.render_view(a);
    CHECK(sha256_hex(view.bytes()) == "6137e1217b62bc89551574c6db2712c616f6a1ef7ac23794b2b8e9d008350539");
    const auto whole = empty.render(a);
    std::vector<uint8_t> block(512);
    for (size_t off : {size_t{0}, size_t{0x3B0000}, size_t{0x3B0000 - 100}, size_t{0x3BE000 - 7}, whole.size() - 3}) {
        const size_t n = view.read(off, block);
        REQUIRE(n == std::min<size_t>(512, whole.size() - off));
        CHECK(std::equal(block.begin(), block.begin() + static_cast<long>(n), whole.begin() + static_cast<long>(off)));
    }
    CHECK(view.read(whole.size(), block) == 0);
}

TEST_CASE("Render keeps base variables and overrides them by (GUID, name)", "[efi][render]") {
    const BaseImage base(fixture("RPI_EFI-v1.40.fd"));  // RamLimitTo3GB = 0
    Variables dev;
    const SettingDef* limit = find_setting("ramlimitto3gb");
    REQUIRE(limit);
    set_setting(dev, *limit, 1);
    set_setting(dev, *find_setting("SystemTableMode"), "DT");
    const auto out = base.render(dev);
    const Store s = parse_store(out);
    CHECK(s.vars.size() == 2);
    CHECK(get_setting(s.vars, *limit) == 1);
    CHECK(get_setting(s.vars, *find_setting("SystemTableMode")) == 2);
    // Base bytes outside the record region are untouched.
    const auto& b = base.bytes();
    CHECK(std::equal(b.begin(), b.begin() + 0x3B0064, out.begin()));
    CHECK(std::equal(b.begin() + 0x3BE000, b.end(), out.begin() + 0x3BE000));
    // Overflow is refused.
    Variables big;
    big.set(Variable{guids::kGlobal, u"Big", 7, std::vector<uint8_t>(0xE000), {}, 0, 0});
    CHECK_THROWS_WITH(base.render(big), Catch::Contains("too small"));
}

TEST_CASE("Boot overrides: Once, Continuous, Disabled", "[efi][render]") {
    Variables v = import_json(fixture_text("pi4-d83add5a440c.vars.json"));
    const std::array<uint8_t, 6> mac{0xD8, 0x3A, 0xDD, 0x5A, 0x44, 0x0C};
    CHECK(apply_netboot_override(v, mac, NetbootKind::PxeV4, BootOverride::Once) == 3);
    CHECK(boot_next(v) == 3);
    CHECK(apply_netboot_override(v, mac, NetbootKind::HttpV4, BootOverride::Continuous) == 5);
    CHECK(boot_order(v).front() == 5);
    CHECK_FALSE(boot_next(v));
    apply_netboot_override(v, mac, NetbootKind::PxeV4, BootOverride::Once);
    apply_netboot_override(v, mac, NetbootKind::PxeV4, BootOverride::Disabled);
    CHECK_FALSE(boot_next(v));
}

TEST_CASE("RPi settings: widths, GUIDs, validation", "[efi][rpi]") {
    Variables v;
    set_setting(v, *find_setting("DisplayEnableScaledVModes"), 0x21);
    CHECK(v.find(guids::kConfigDxe, u"DisplayEnableScaledVModes")->data == std::vector<uint8_t>{0x21});
    set_setting(v, *find_setting("ConsolePref"), "serial");
    const Variable* cp = v.find(guids::kConsolePref, u"ConsolePref");
    REQUIRE(cp);
    CHECK(cp->attr == 3);
    CHECK(cp->data == std::vector<uint8_t>{1, 0, 0, 0});
    set_setting(v, *find_setting("ResetDelay"), 3500000);
    CHECK(mb::to_hex(v.find(guids::kRpiTokenSpace, u"ResetDelay")->data) == "e0673500");
    set_setting(v, *find_setting("AssetTag"), "rack-7");
    CHECK(v.find(guids::kConfigDxe, u"AssetTag")->data.size() == 66);
    CHECK(get_setting(v, *find_setting("AssetTag")) == "rack-7");
    set_setting(v, *find_setting("Timeout"), 0xFFFF);
    CHECK(v.find(guids::kGlobal, u"Timeout")->data == std::vector<uint8_t>{0xFF, 0xFF});
    CHECK(get_setting(v, *find_setting("FanTemp")).is_null());
    for (auto [name, value] : std::vector<std::pair<const char*, nlohmann::json>>{
             {"FanTemp", 90}, {"FanOnGpio", 5}, {"SystemTableMode", "bogus"}, {"CpuClock", 4},
             {"CustomCpuClock", 99}, {"AssetTag", std::string(33, 'x')}, {"DisplayEnableScaledVModes", 0x40},
             {"RamLimitTo3GB", -1}}) {
        INFO(name);
        CHECK_THROWS_AS(set_setting(v, *find_setting(name), value), mb::Error);
    }
    const auto fixture_vars = import_json(fixture_text("pi4-d83add5a440c.vars.json"));
    CHECK(get_setting(fixture_vars, *find_setting("RamLimitTo3GB")) == 0);
    CHECK(get_setting(fixture_vars, *find_setting("SystemTableMode")) == 2);
    CHECK(get_setting(fixture_vars, *find_setting("ResetDelay")) == 3500000);
    CHECK(get_setting(fixture_vars, *find_setting("BootDiscoveryPolicy")) == 2);
    CHECK(describe(*find_setting("CpuClock"))["allowed"].size() == 4);
    CHECK(setting_value_from_text(*find_setting("FanTemp"), "0x40") == 64);
    CHECK_FALSE(find_setting("NoSuchSetting"));
}
