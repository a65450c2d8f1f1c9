// Redfish boot options on common/efi variables: which Boot#### a PXE/HTTP override uses, where a
// new one goes (a number free in the merged view, never over the base image's options) and the
// device path it gets (the structure of the Pi's own PXE/HTTP options).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "efi/render.hpp"
#include "efi/vars_json.hpp"
#include "efi/varstore.hpp"
#include "redfish/uefi_vars.hpp"
#include "support.hpp"

using namespace mb::redfish;
using mb::efi::Variables;

namespace {

Variables vars_fixture(const std::string& name) {
    std::ifstream in(mb::test::fixtures_dir() + "/efi/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return mb::efi::import_json(ss.str());
}

const mb::device::Mac kPi440c = *mb::device::Mac::parse("d8:3a:dd:5a:44:0c");

mb::efi::LoadOption option(const Variables& v, uint16_t n) {
    const auto* var = v.find(mb::efi::guids::kGlobal, mb::efi::boot_var_name(n));
    REQUIRE(var);
    return mb::efi::LoadOption::decode(var->data);
}

}  // namespace

TEST_CASE("PXE/HTTP override reuses the base image's option on this device's NIC", "[redfish][efi]") {
    auto base = vars_fixture("pi4-d83add5a440c.vars.json");
    Variables device;
    CHECK(uefi::entry_for(device, base, uefi::Target::pxe, kPi440c) == 3);         // UEFI PXEv4 (MAC:D83ADD5A440C)
    CHECK(uefi::entry_for(device, base, uefi::Target::uefi_http, kPi440c) == 5);   // UEFI HTTPv4
    CHECK(uefi::entry_for(device, base, uefi::Target::bios_setup, kPi440c) == 0);  // UiApp
    CHECK(uefi::entry_for(device, base, uefi::Target::hdd, kPi440c) ==
          8);               // UEFI iPXE on the SD card, first in BootOrder
    CHECK(device.empty());  // nothing had to be created
}

TEST_CASE("a new PXE option never overwrites the base image's Boot####", "[redfish][efi]") {
    // The base image was saved on another Pi (D8:3A:DD:5A:44:36): its network options are for that
    // NIC, Boot0000..0007 are taken.
    auto base = vars_fixture("pi4-d83add5a4436.vars.json");
    Variables device;
    auto n = uefi::entry_for(device, base, uefi::Target::pxe, kPi440c);
    REQUIRE(n == 8);
    REQUIRE(device.size() == 1);  // only the new Boot0008
    auto o = option(device, 8);
    CHECK(o.title() == "UEFI PXEv4 (MAC:D83ADD5A440C)");
    CHECK(o.active());
    CHECK(!o.auto_created());  // user-created: BDS keeps it
    // Byte for byte the structure of the Pi's own PXEv4 option (Boot0003 of the 440c dump).
    auto pi = option(vars_fixture("pi4-d83add5a440c.vars.json"), 3);
    CHECK(o.paths[0].encode() == pi.paths[0].encode());
    CHECK(o.path_text() == "MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)");
    // UefiHttp: the next free number, the structure of the Pi's HTTPv4 option (Boot0005).
    auto h = uefi::entry_for(device, base, uefi::Target::uefi_http, kPi440c);
    REQUIRE(h == 9);
    auto ho = option(device, 9);
    CHECK(ho.title() == "UEFI HTTPv4 (MAC:D83ADD5A440C)");
    CHECK(ho.paths[0].encode() == option(vars_fixture("pi4-d83add5a440c.vars.json"), 5).paths[0].encode());
    // The base's options are untouched in the merged view.
    auto view = uefi::merged(base, device);
    CHECK(option(view, 0).title() == "UiApp");
    CHECK(option(view, 3).title() == "UEFI PXEv4 (MAC:D83ADD5A4436)");
}

TEST_CASE("a new option skips numbers BootOrder or BootNext still name", "[redfish][efi]") {
    Variables base;
    mb::efi::set_boot_order(base, {0, 1});
    mb::efi::set_boot_next(base, 2);
    Variables device;
    CHECK(uefi::entry_for(device, base, uefi::Target::pxe, kPi440c) == 3);
}

TEST_CASE("the NIC path comes from _NDL when no option names the NIC (PCI NICs)", "[redfish][efi]") {
    // A NIC behind PCI (QEMU virtio-net): EDK2 only boots the full path, not a bare MAC().
    Variables base;
    auto ndl = mb::efi::DevicePath::parse("PciRoot(0x0)/Pci(0x1,0x0)/MAC(D83ADD5A440C,0x1)");
    base.set(mb::efi::Variable{
        *mb::efi::Guid::parse("e622443c-284e-4b47-a984-fd66b482dac0"), u"_NDL", 3, ndl.encode(), {}, 0, 0});
    Variables device;
    auto n = uefi::entry_for(device, base, uefi::Target::uefi_http, kPi440c);
    REQUIRE(n == 0);
    CHECK(option(device, 0).path_text() ==
          "PciRoot(0x0)/Pci(0x1,0x0)/MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri()");
    // An existing option on the NIC wins over _NDL for the prefix of another kind.
    auto p = uefi::entry_for(device, base, uefi::Target::pxe, kPi440c);
    REQUIRE(p == 1);
    CHECK(option(device, 1).path_text() ==
          "PciRoot(0x0)/Pci(0x1,0x0)/MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)");
}

TEST_CASE("override against the fixture RPI_EFI.fd renders into the store", "[redfish][efi]") {
    auto image = mb::efi::BaseImage::load(mb::test::fixtures_dir() + "/efi/RPI_EFI-v1.40.fd");
    const auto& base = image->store().vars;  // RamLimitTo3GB only: no boot options yet
    Variables device;
    auto n = uefi::entry_for(device, base, uefi::Target::pxe, kPi440c);
    REQUIRE(n == 0);
    mb::efi::set_boot_next(device, *n);
    auto rendered = mb::efi::parse_store(image->render(device));
    CHECK(mb::efi::boot_next(rendered.vars) == 0);
    CHECK(option(rendered.vars, 0).title() == "UEFI PXEv4 (MAC:D83ADD5A440C)");
    CHECK(rendered.vars.find(mb::efi::guids::kConfigDxe, u"RamLimitTo3GB"));  // the base's variable stays
}

TEST_CASE("the NIC location comes from another machine's network option of the same model", "[redfish][efi]") {
    // The base varstore was saved on a VM with another MAC: its PXE option says where the NIC sits.
    Variables base;
    mb::efi::LoadOption o;
    o.attributes = mb::efi::kLoadOptionActive;
    o.description = u"UEFI PXEv4 (MAC:525400123456)";
    o.paths.push_back(mb::efi::DevicePath::parse(
        "PciRoot(0x0)/Pci(0x1,0x0)/MAC(525400123456,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)"));
    mb::efi::set_boot_entry(base, 0, o);
    Variables device;
    auto n = uefi::entry_for(device, base, uefi::Target::pxe, kPi440c);
    REQUIRE(n == 1);  // not the other VM's Boot0000
    CHECK(option(device, 1).path_text() ==
          "PciRoot(0x0)/Pci(0x1,0x0)/MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)");
    // A Pi base (MAC-only options of another Pi) gives the Pi form.
    Variables device2;
    auto m = uefi::entry_for(device2, vars_fixture("pi4-d83add5a4436.vars.json"), uefi::Target::pxe, kPi440c);
    REQUIRE(m == 8);
    CHECK(option(device2, 8).path_text() == "MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)");
}
