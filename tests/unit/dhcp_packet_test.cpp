#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "dhcp/option_defs.hpp"
#include "dhcp/options.hpp"
#include "dhcp/packet.hpp"
#include "dhcp_test_packets.hpp"

using namespace mb::dhcp;
using dhcp_test::hex;

TEST_CASE("Packet unpacks the Pi 4 EEPROM DISCOVER byte for byte", "[dhcp][packet]") {
    auto wire = dhcp_test::pi_discover();
    Packet p = Packet::unpack(wire);
    CHECK(p.op == 1);
    CHECK(p.xid == 0x26f30339);
    CHECK(p.flags == 0);
    CHECK_FALSE(p.broadcast_flag());
    CHECK(mac_str(p.mac()) == "dc:a6:32:01:02:03");
    CHECK(p.message_type() == MessageType::discover);
    CHECK(p.get_string(opt::vendor_class) == "PXEClient:Arch:00000:UNDI:002001");
    CHECK(client_arch(p) == 0);
    auto nii = client_nii(p);
    REQUIRE(nii);
    CHECK((nii->type == 1 && nii->major == 2 && nii->minor == 1));
    auto prl = p.get(opt::param_request);
    REQUIRE(prl);
    CHECK(*prl == hex("2b3c424380818283848586 87"));
    auto pi = pi_identity(*p.get(opt::client_uuid));
    REQUIRE(pi);
    CHECK(pi->fourcc == "RPi4");
    CHECK(pi->revision == 0x00c03111);
    CHECK(mac_str(pi->mac_tail) == "32:01:02:03");
    CHECK(pi->serial == 0x1234abcd);
}

TEST_CASE("Packet pack/unpack round trip keeps fields and puts 53 first, END last, no PAD", "[dhcp][packet]") {
    Packet p;
    p.op = 2;
    p.xid = 0xdeadbeef;
    p.flags = 0x8000;
    p.yiaddr = *parse_ip("10.99.0.71");
    p.siaddr = *parse_ip("10.99.0.1");
    p.chaddr[0] = 0xdc;
    p.file = "snp.efi";
    p.sname = "server";
    p.set_ip(opt::server_id, *parse_ip("10.99.0.1"));
    p.set_u8(opt::message_type, 2);
    p.set_string(opt::vendor_class, "PXEClient");
    auto wire = p.pack();
    CHECK(wire.size() == kMinBootpSize);
    CHECK(wire[240] == 53);
    CHECK(wire[241] == 1);
    CHECK(wire[242] == 2);
    CHECK(wire[243] == 54);
    // options end with 255 and the rest is zero fill, never a PAD between options
    size_t i = 240;
    while (wire[i] != 255) {
        REQUIRE(wire[i] != 0);
        i += 2 + wire[i + 1];
    }
    Packet q = Packet::unpack(wire);
    CHECK(q.xid == 0xdeadbeef);
    CHECK(q.broadcast_flag());
    CHECK(ip_str(q.yiaddr) == "10.99.0.71");
    CHECK(q.file == "snp.efi");
    CHECK(q.sname == "server");
    CHECK(q.get_ip(opt::server_id) == p.get_ip(opt::server_id));
}

TEST_CASE("RFC 3396: long options are split on pack and concatenated on unpack", "[dhcp][packet]") {
    Packet p;
    Bytes big(600);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
    p.set_u8(opt::message_type, 1);
    p.set(opt::vendor_specific, big);
    auto wire = p.pack();
    // three instances: 255 + 255 + 90
    CHECK(wire[243] == 43);
    CHECK(wire[244] == 255);
    CHECK(wire[245 + 255] == 43);
    Packet q = Packet::unpack(wire);
    REQUIRE(q.get(opt::vendor_specific));
    CHECK(*q.get(opt::vendor_specific) == big);
    // two instances of the same code in the wire are concatenated in order
    auto w2 = dhcp_test::request("525400000001", 1, 0, "350101 0c03616263 0c02 6465 ff");
    CHECK(Packet::unpack(w2).get_string(opt::hostname) == "abcde");
}

TEST_CASE("Option overload (52) continues options in file then sname", "[dhcp][packet]") {
    auto w = dhcp_test::request("525400000001", 1, 0, "350101 340103 ff");
    // file field at 108: option 12 "fi", then END; sname at 44: option 15 "sn"
    Bytes file_opts = hex("0c026669ff");
    std::copy(file_opts.begin(), file_opts.end(), w.begin() + 108);
    Bytes sname_opts = hex("0f02736eff");
    std::copy(sname_opts.begin(), sname_opts.end(), w.begin() + 44);
    Packet p = Packet::unpack(w);
    CHECK(p.overloaded == 3);
    CHECK(p.get_string(opt::hostname) == "fi");
    CHECK(p.get_string(opt::domain_name) == "sn");
    CHECK(p.file.empty());
    CHECK(p.sname.empty());
    CHECK_FALSE(p.has(opt::overload));
}

TEST_CASE("Packet::unpack rejects malformed input naming the field and offset", "[dhcp][packet]") {
    auto expect_error = [](const Bytes& w, const std::string& needle) {
        try {
            Packet::unpack(w);
            FAIL("no error for " << needle);
        } catch (const mb::Error& e) {
            CHECK(e.code() == mb::kExitDataErr);
            CHECK_THAT(e.what(), Catch::Contains(needle));
        }
    };
    auto good = dhcp_test::pi_discover();
    expect_error(Bytes(good.begin(), good.begin() + 200), "truncated");
    auto bad_cookie = good;
    bad_cookie[236] = 0x12;
    expect_error(bad_cookie, "magic cookie at offset 236");
    // option 60 claims 0x40 bytes but the packet ends first
    expect_error(dhcp_test::request("525400000001", 1, 0, "350101 3c40 5058"), "option 60 at offset 243");
    expect_error(dhcp_test::request("525400000001", 1, 0, "350101 3c"), "option 60 at offset 243 has no length");
    expect_error(dhcp_test::request("525400000001", 1, 0, "350101 340109 ff"), "option 52");
    auto hlen = good;
    hlen[2] = 17;
    expect_error(hlen, "hlen");
    auto op = good;
    op[0] = 7;
    expect_error(op, "op at offset 0");
    // an overloaded file field whose option runs past the end of the field
    auto ov = dhcp_test::request("525400000001", 1, 0, "350101 340101 ff");
    ov[108 + 126] = 12;
    ov[108 + 127] = 9;
    expect_error(ov, "file (overloaded)");
}

TEST_CASE("pack refuses a reply larger than the client's maximum", "[dhcp][packet]") {
    Packet p;
    p.set_u8(opt::message_type, 2);
    p.set(opt::vendor_specific, Bytes(400, 1));
    CHECK_THROWS_AS(p.pack(576), mb::Error);
    CHECK(p.pack(1500).size() > 576);
}

TEST_CASE("User class: RFC 3004 items and iPXE's raw form", "[dhcp][options]") {
    auto raw = parse_user_class(hex("69505845"));
    CHECK(raw.raw);
    CHECK(raw.items == std::vector<std::string>{"iPXE"});
    auto rfc = parse_user_class(hex("0469505845 0a54696e6b657262656c6c"));
    CHECK_FALSE(rfc.raw);
    CHECK(rfc.items == std::vector<std::string>{"iPXE", "Tinkerbell"});
    CHECK(encode_user_class({"iPXE", "Tinkerbell"}) == hex("0469505845 0a54696e6b657262656c6c"));
    // a length that overshoots means it was a raw string after all
    auto odd = parse_user_class(hex("0969505845"));
    CHECK(odd.raw);
}

TEST_CASE("Sub-options: PXE 43, relay 82, iPXE 175", "[dhcp][options]") {
    auto subs = parse_suboptions(hex("0601030a0400505845091400001152617370626572727920506920426f6f74ff"));
    REQUIRE(subs);
    REQUIRE(subs->size() == 3);
    CHECK((*subs)[0].code == 6);
    CHECK((*subs)[1].code == 10);
    CHECK((*subs)[2].code == 9);
    CHECK_FALSE(parse_suboptions(hex("0605 0102")));
    auto relay = parse_suboptions(hex("0104 00010203 0206 525400000001"));
    REQUIRE(relay);
    CHECK(relay_suboption_name((*relay)[0].code) == "circuit-id");
    CHECK(relay_suboption_name((*relay)[1].code) == "remote-id");
    Packet p = Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350101 520c 010400010203 0204c0a80001 ff"));
    auto j = packet_to_json(p);
    CHECK(j["options"]["dhcp-agent-options"]["circuit-id"] == "00010203");
}

TEST_CASE("Option 97 as UUID, and the Pi UEFI layout that is not RPi4", "[dhcp][options]") {
    // as EDK2 sends it (capture x86-uefi-ovmf-pxe-tftp-ipxe-http.pcap): EFI_GUID byte order
    auto u = client_uuid(hex("00 dec0b07a000000408000000000000001"));
    REQUIRE(u);
    CHECK(u->guid() == "7ab0c0de-0000-4000-8000-000000000001");
    CHECK_FALSE(pi_identity(hex("00 7ab0c0de000040008000000000000001")));
    CHECK_FALSE(client_uuid(hex("00 7ab0")));
    auto pi5 = pi_identity(hex("00525069351131c00032010203cdab3412"));
    REQUIRE(pi5);
    CHECK(pi5->fourcc == "RPi5");
}

TEST_CASE("packet_to_json decodes options by the definition table", "[dhcp][options]") {
    Packet p = Packet::unpack(dhcp_test::pi_discover());
    auto j = packet_to_json(p);
    CHECK(j["chaddr"] == "dc:a6:32:01:02:03");
    CHECK(j["options"]["dhcp-message-type"] == "DISCOVER");
    CHECK(j["options"]["client-system"][0]["name"] == "x86 BIOS");
    CHECK(j["options"]["uuid-guid"]["pi"]["serial"] == "1234abcd");
    CHECK(j["options"]["uuid-guid"]["pi"]["revision"] == "c03111");
    CHECK(j["options"]["vendor-class-identifier"] == "PXEClient:Arch:00000:UNDI:002001");
    Packet ipxe = Packet::unpack(dhcp_test::ipxe_discover());
    auto ji = packet_to_json(ipxe);
    CHECK(ji["options"]["user-class"]["format"] == "raw");
    CHECK(ji["options"]["ipxe-encap-opts"]["http"] == "01");
}

TEST_CASE("encode_option_text encodes per the table", "[dhcp][options]") {
    CHECK(encode_option_text(*find_option("routers"), "10.0.0.1,10.0.0.2") == hex("0a0000010a000002"));
    CHECK(encode_option_text(*find_option(uint8_t{51}), "600") == hex("00000258"));
    CHECK(encode_option_text(*find_option("vendor-class-identifier"), "PXEClient") == hex("505845436c69656e74"));
    CHECK_THROWS_AS(encode_option_text(*find_option("subnet-mask"), "10.0.0"), mb::Error);
    CHECK(find_option("no-such-option") == nullptr);
}

TEST_CASE("packet_to_json escapes bytes that are not printable ASCII (found by fuzzing)", "[dhcp][options]") {
    auto w = dhcp_test::request("525400000001", 1, 0, "350101 0c03 61db62 4d02 ff41 ff");
    w[108] = 0xdb;  // file field
    Packet p = Packet::unpack(w);
    auto j = packet_to_json(p);
    CHECK(j["file"] == "\\xdb");
    CHECK(j["options"]["host-name"] == "61db62");  // not printable: shown as hex
    CHECK(j["options"]["user-class"]["classes"][0] == "\\xffA");
    CHECK_NOTHROW(j.dump());
}
