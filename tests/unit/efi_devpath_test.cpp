#include <catch2/catch.hpp>
#include <map>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/boot.hpp"
#include "efi/devpath.hpp"
#include "efi/load_option.hpp"
#include "efi/vars_json.hpp"
#include "efi_test_util.hpp"

using namespace mb::efi;
using mb::efi::test::fixture_text;

namespace {

std::vector<uint8_t> hex(std::string_view s) {
    return *mb::parse_hex(s);
}

void check_round_trip(const DevicePath& p) {
    const auto bytes = p.encode();
    const auto text = p.to_text();
    INFO(text);
    const DevicePath back = DevicePath::parse(text);
    CHECK(back.encode() == bytes);
    CHECK(back.to_text() == text);
}

}  // namespace

TEST_CASE("Fixture boot entries decode to edk2 text and round-trip", "[efi][devpath]") {
    const Variables vars = import_json(fixture_text("pi4-d83add5a440c.vars.json"));
    const auto entries = boot_entries(vars);
    REQUIRE(entries.size() == 10);
    std::map<uint16_t, std::string> text;
    for (const auto& e : entries) {
        REQUIRE(e.option);
        text[e.number] = e.option->summary();
        CHECK(e.option->encode() == vars.find(guids::kGlobal, boot_var_name(e.number))->data);
        for (const auto& p : e.option->paths) check_round_trip(p);
    }
    CHECK(text[3] ==
          "title=\"UEFI PXEv4 (MAC:D83ADD5A440C)\" devpath=MAC(D83ADD5A440C,0x1)/"
          "IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0) optdata=4eac0881119f594d850ee21a522c59b2");
    CHECK(text[4] ==
          "title=\"UEFI PXEv6 (MAC:D83ADD5A440C)\" devpath=MAC(D83ADD5A440C,0x1)/"
          "IPv6(0000:0000:0000:0000:0000:0000:0000:0000,0x0,Static,0000:0000:0000:0000:0000:0000:0000:0000,0x40,"
          "0000:0000:0000:0000:0000:0000:0000:0000) optdata=4eac0881119f594d850ee21a522c59b2");
    CHECK(text[5].find("/Uri()") != std::string::npos);
    CHECK(text[0] ==
          "title=\"UiApp\" devpath=Fv(9A15AA37-D555-4A4E-B541-86391FF68164)/"
          "FvFile(462CAA21-7614-4503-836E-8AB6F4662331)");
    CHECK(text[2] ==
          "title=\"UEFI SupTronics X862 20210100007C\" devpath=PcieRoot(0x0)/Pci(0x0,0x0)/Pci(0x0,0x0)/"
          "USB(0x2,0x0) optdata=4eac0881119f594d850ee21a522c59b2");
    CHECK(text[2].find("USB(0x2,0x0)") != std::string::npos);
    CHECK(text[8] ==
          "title=\"UEFI iPXE\" devpath=VenHw(100C2CFA-B586-4198-9B4C-1683D195B1DA)/"
          "HD(1,MBR,0x00000000,0x800,0x76E4800)/\\efi\\boot\\bootaa64.efi");
    CHECK(text[0x99] == "title=\"netboot ipxe.efi\" devpath=Uri(tftp://10.0.50.1/ipxe.efi)");
    CHECK(entries[1].option->auto_created());
    CHECK_FALSE(entries[8].option->auto_created());
    CHECK(entries[7].option->attributes == 0);
    CHECK(entries[0].option->attributes == 0x109);
    // Multi-instance ConOut and the UsbClass ConIn.
    const auto conout = DevicePath::decode(vars.find(guids::kGlobal, u"ConOut")->data);
    CHECK(conout.to_text() ==
          "VenHw(C5DEAE31-FAD2-4030-841B-CFC9644D2C5B),VenHw(D3987D4B-971A-435F-8CAF-4967EB627241)/"
          "Uart(115200,8,N,1)/VenMsg(7D916D80-5BB1-458C-A48F-E25FDD51EF94)");
    check_round_trip(conout);
    const auto conin = DevicePath::decode(vars.find(guids::kGlobal, u"ConIn")->data);
    CHECK(conin.to_text().starts_with("UsbHID(0xFFFF,0xFFFF,0x1,0x1),"));
    check_round_trip(conin);
    CHECK(boot_order(vars) == std::vector<uint16_t>{8, 3, 2, 4, 5, 6, 1, 0, 7});
    CHECK(boot_next(vars) == 0x99);
    CHECK(boot_timeout(vars) == 5);
}

TEST_CASE("Every node type survives text in both directions", "[efi][devpath]") {
    for (const char* t :
         {"PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)/"
          "HD(1,GPT,0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0,0x800,0x100000)",
          "PcieRoot(0x1)/Pci(0x0,0x0)/NVMe(0x1,08-07-06-05-04-03-02-01)",
          "MAC(D83ADD5A440C,0x1)/IPv4(192.168.1.1,UDP,Static,192.168.1.20,192.168.1.254,255.255.255.0)",
          "MAC(D83ADD5A440C,0x1)/IPv6(FE80:0000:0000:0000:0000:0000:0000:0001,TCP,StatelessAutoConfigure,"
          "2001:0DB8:0000:0000:0000:0000:0000:0002,0x40,0000:0000:0000:0000:0000:0000:0000:0000)",
          "MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri(http://10.0.0.1/snp.efi)",
          "VenHw(100C2CFA-B586-4198-9B4C-1683D195B1DA,0102AB)/SD(0x0)",
          "VenHw(100C2CFA-B586-4198-9B4C-1683D195B1DA)/eMMC(0x1)/CDROM(0x0,0x10,0x200)",
          "Fv(9A15AA37-D555-4A4E-B541-86391FF68164)/FvFile(462CAA21-7614-4503-836E-8AB6F4662331)",
          "Acpi(PNP0303,0x0)/Keyboard(0x0)/Serial(0x1)/Acpi(0x12345678,0x2)",
          "Uart(DEFAULT,DEFAULT,D,D)",
          "Uart(9600,7,E,1.5)",
          "Scsi(0x1,0x2)/Ctrl(0x3)/Vlan(100)",
          "MemoryMapped(0xB,0x1000,0x1FFF)/Offset(0x10,0x20)",
          "VenMsg(7D916D80-5BB1-458C-A48F-E25FDD51EF94,FF)",
          "VenPcAnsi()",
          "VenUtf8()",
          "UsbClass(0x1234,0x5678,0xFF,0x1,0x2)",
          "UsbMassStorage(0x1,0x2,0x6,0x50)",
          "VenMedia(0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0)",
          "\\EFI\\BOOT\\BOOTAA64.EFI",
          "HD(2,MBR,0xA1B2C3D4,0x800,0x1000)",
          "Path(128,1,00FF)",
          "Msg(99)",
          "Uri()"}) {
        INFO(t);
        const DevicePath p = DevicePath::parse(t);
        CHECK(p.to_text() == t);
        check_round_trip(p);
    }
}

TEST_CASE("efibootmgr and virt-firmware spellings are accepted", "[efi][devpath]") {
    auto same = [](const char* a, const char* b) {
        INFO(a << " vs " << b);
        CHECK(DevicePath::parse(a).encode() == DevicePath::parse(b).encode());
    };
    same("FvVol(9a15aa37-d555-4a4e-b541-86391ff68164)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)",
         "Fv(9A15AA37-D555-4A4E-B541-86391FF68164)/FvFile(462CAA21-7614-4503-836E-8AB6F4662331)");
    same("FvName(9a15aa37-d555-4a4e-b541-86391ff68164)/FvFileName(462caa21-7614-4503-836e-8ab6f4662331)",
         "Fv(9A15AA37-D555-4A4E-B541-86391FF68164)/FvFile(462CAA21-7614-4503-836E-8AB6F4662331)");
    same("File(\\EFI\\x.efi)", "\\EFI\\x.efi");
    same("FilePath(\\EFI\\x.efi)", "\\EFI\\x.efi");
    same("PciRoot()/PCI(dev=1f:2)", "PciRoot(0x0)/Pci(0x1F,0x2)");
    same("ACPI(hid=0xa0841d0,uid=0x0)", "PcieRoot(0x0)");
    same("USB(2,0)", "USB(0x2,0x0)");
    same("USB(port=2)", "USB(0x2,0x0)");
    same("Sata(0,65535,0)", "Sata(0x0,0xFFFF,0x0)");
    same("SATA(port=0)", "Sata(0x0,0xFFFF,0x0)");
    same("MAC(d83add5a440c,1)", "MAC(D83ADD5A440C,0x1)");
    same("URI(http://x/y)", "Uri(http://x/y)");
    same("IPv6(fe80::1,TCP,Static,::,0x40,::)",
         "IPv6(FE80:0000:0000:0000:0000:0000:0000:0001,TCP,Static,0000:0000:0000:0000:0000:0000:0000:0000,0x40,"
         "0000:0000:0000:0000:0000:0000:0000:0000)");
    same("UsbClass(0xFFFF,0xFFFF,0x3,0x1,0x1)", "UsbHID(0xFFFF,0xFFFF,0x1,0x1)");
}

TEST_CASE("Lossy or invalid device-path text is refused", "[efi][devpath]") {
    for (const char* t : {"MAC()", "IPv4()", "Partition(nr=1)", "Msg(subtype=0x17)", "Pci(0x1F)", "Pci(0x100,0x0)",
                          "HD(1,XYZ,0,0x0,0x0)", "NoSuchNode(1)", "Pci(0x1,0x2", "Pci(0x1,0x2))", "",
                          "VenHw(not-a-guid)", "Uart(115200,8,Q,1)", "IPv4(300.1.1.1,UDP,DHCP,0.0.0.0)"}) {
        INFO(t);
        CHECK_THROWS_AS(DevicePath::parse(t), mb::Error);
    }
}

TEST_CASE("Odd binary nodes stay lossless through the generic form", "[efi][devpath]") {
    // IPv4 with ports (not in edk2 text), an odd-length PCI node, a FilePath with a slash, unknown type.
    for (const char* h : {"030c1b00000000000a0000010050005000110000000000000000000000007fff0400",
                          "01010700010203"
                          "7fff0400",
                          "04040c0061002f0062000000"
                          "7fff0400",
                          "aa0b0600beef7fff0400",
                          "01010600001f7f010400010106000002"
                          "7fff0400"}) {
        INFO(h);
        auto bytes = hex(h);
        DevicePath p;
        try {
            p = DevicePath::decode(bytes);
        } catch (const mb::Error&) {
            continue;  // malformed on purpose in one case: must be an Error, never UB
        }
        CHECK(p.encode() == bytes);
        check_round_trip(p);
    }
    CHECK_THROWS_WITH(DevicePath::decode(hex("01010200")), Catch::Contains("length 2"));
    CHECK_THROWS_WITH(DevicePath::decode(hex("0101060000ff")), Catch::Contains("End-Entire"));
}

TEST_CASE("Load options validate like edk2", "[efi][loadoption]") {
    CHECK_THROWS_WITH(LoadOption::decode(hex("0100")), Catch::Contains("6-byte"));
    CHECK_THROWS_WITH(LoadOption::decode(hex("01000000040041004200")), Catch::Contains("NUL"));
    CHECK_THROWS_WITH(LoadOption::decode(hex("0100000010004100000007ff0400")), Catch::Contains("FilePathListLength"));
    LoadOption o;
    o.description = u"netboot ipxe.efi";
    o.paths.push_back(DevicePath::parse("Uri(tftp://10.0.50.1/ipxe.efi)"));
    CHECK(
        mb::to_hex(o.encode()) ==
        "0100000021006e006500740062006f006f007400200069007000780065002e00650066006900000003181d00746674703a2f2f31302e30"
        "2e35302e312f697078652e6566697fff0400");
    CHECK(LoadOption::decode(o.encode()) == o);
}

TEST_CASE("Boot helpers: order, next, netboot entries", "[efi][boot]") {
    Variables vars = import_json(fixture_text("pi4-d83add5a4436.vars.json"));
    const std::array<uint8_t, 6> mac{0xD8, 0x3A, 0xDD, 0x5A, 0x44, 0x36};
    CHECK(find_netboot_entry(vars, NetbootKind::PxeV4, mac) == 3);
    CHECK(find_netboot_entry(vars, NetbootKind::HttpV4, mac) == 5);
    CHECK(ensure_netboot_entry(vars, NetbootKind::PxeV4, mac) == 3);
    const std::array<uint8_t, 6> other{0xDC, 0xA6, 0x32, 1, 2, 3};
    const uint16_t n = ensure_netboot_entry(vars, NetbootKind::PxeV4, other);
    CHECK(n == 8);
    const auto e = LoadOption::decode(vars.find(guids::kGlobal, u"Boot0008")->data);
    CHECK(e.title() == "UEFI PXEv4 (MAC:DCA632010203)");
    CHECK_FALSE(e.auto_created());
    CHECK(boot_order(vars).back() == 8);
    boot_first(vars, 8);
    CHECK(boot_order(vars).front() == 8);
    set_boot_next(vars, 3);
    CHECK(boot_next(vars) == 3);
    CHECK(vars.find(guids::kGlobal, u"BootNext")->attr == 7);
    set_boot_active(vars, 3, false);
    CHECK_FALSE(LoadOption::decode(vars.find(guids::kGlobal, u"Boot0003")->data).active());
    CHECK(remove_boot_entry(vars, 3));
    CHECK_FALSE(boot_next(vars));
    const auto order = boot_order(vars);
    CHECK(std::find(order.begin(), order.end(), 3) == order.end());
    CHECK(parse_boot_var_name(u"Boot001a") == std::nullopt);
    CHECK(parse_boot_var_name(u"Boot001A") == 0x1A);
    CHECK(parse_boot_number("Boot0099") == 0x99);
    CHECK(parse_boot_number("3") == 3);
    CHECK_FALSE(parse_boot_number("12345"));
}
