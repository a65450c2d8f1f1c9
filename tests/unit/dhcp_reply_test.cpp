#include <catch2/catch.hpp>

#include "core/strings.hpp"
#include "dhcp/addressing.hpp"
#include "dhcp/classify.hpp"
#include "dhcp/reply.hpp"
#include "dhcp_test_packets.hpp"

using namespace mb::dhcp;
using dhcp_test::hex;

namespace {

BootSettings settings() {
    BootSettings s;
    s.server_id = *parse_ip("10.99.0.1");
    s.tftp_server = *parse_ip("10.99.0.1");
    s.http_base_url = "http://10.99.0.1:8080";
    return s;
}

Packet reply_for(const Bytes& wire, ServerMode mode, const DeviceChoices& dev = {}, const LeaseGrant* lease = nullptr) {
    Packet q = Packet::unpack(wire);
    auto c = classify(q, ClassifyConfig{});
    auto s = settings();
    auto r = build_reply(ReplyRequest{q, c, MessageType::offer, mode, s, dev, lease});
    REQUIRE(r);
    // every reply must survive the wire and fit the client's limit
    auto bytes = r->pack(max_reply_size(q));
    return Packet::unpack(bytes);
}

}  // namespace

TEST_CASE("Classification per packet", "[dhcp][classify]") {
    ClassifyConfig cfg;
    auto cls = [&](const Bytes& w) { return classify(Packet::unpack(w), cfg).cls; };
    CHECK(cls(dhcp_test::pi_discover()) == ClientClass::pi_bootloader);
    // FourCC alone (non-Pi OUI, user-set DHCP_OPTION97 keeps RPi4) still a Pi at arch 0
    CHECK(cls(dhcp_test::pi_discover("525400000009")) == ClientClass::pi_bootloader);
    // Pi OUI without option 97 at arch 0 is a Pi
    CHECK(cls(dhcp_test::bios_discover("dca632000001")) == ClientClass::pi_bootloader);
    CHECK(cls(dhcp_test::bios_discover("2ccf67000001")) == ClientClass::pi_bootloader);
    // arch 0 alone is NOT a Pi
    CHECK(cls(dhcp_test::bios_discover()) == ClientClass::pxe);
    CHECK(cls(dhcp_test::edk2_arm64_discover()) == ClientClass::pxe);
    CHECK(cls(dhcp_test::edk2_x64_discover()) == ClientClass::pxe);
    CHECK(cls(dhcp_test::http_discover()) == ClientClass::http_boot);
    // iPXE on a Pi MAC is iPXE, not the bootloader
    CHECK(cls(dhcp_test::ipxe_discover()) == ClientClass::ipxe);
    // option 175 alone identifies iPXE; an RFC 3004 "iPXE" item too
    CHECK(cls(dhcp_test::request("525400000001", 1, 0, "350101 af03b00101 ff")) == ClientClass::ipxe);
    CHECK(cls(dhcp_test::request("525400000001", 1, 0, "350101 4d050469505845 ff")) == ClientClass::ipxe);
    // a configured custom user class breaks the loop too
    cfg.ipxe_user_classes.push_back("Tinkerbell");
    CHECK(cls(dhcp_test::request("525400000001", 1, 0, "350101 4d0a54696e6b657262656c6c ff")) == ClientClass::ipxe);
    // configurable OUI list
    cfg.pi_ouis = {0x525400};
    CHECK(cls(dhcp_test::bios_discover()) == ClientClass::pi_bootloader);
    CHECK(cls(dhcp_test::bios_discover("dca632000001")) == ClientClass::pxe);
    // plain client with a Pi OUI (the OS after boot) gets no boot class
    CHECK(cls(dhcp_test::request("dca632000001", 1, 0, "350101 ff")) == ClientClass::plain);
    // PXEClient with a bad option 97 is demoted to plain
    auto bad97 = classify(
        Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350101 5d020007 3c09505845436c69656e74 610201 02 ff")),
        ClassifyConfig{});
    CHECK(bad97.cls == ClientClass::plain);
    CHECK_FALSE(bad97.note.empty());
}

TEST_CASE("Pi REQUEST without option 60 is still the Pi by its FourCC", "[dhcp][classify]") {
    auto w = dhcp_test::request("dca632010203", 0x26f30339, 0,
                                "350103 3204 0a630047 3604 0a630001 611100525069341131c00032010203cdab3412 ff");
    CHECK(classify(Packet::unpack(w), ClassifyConfig{}).cls == ClientClass::pi_bootloader);
}

TEST_CASE("Pi proxy OFFER carries the golden option 43 and echoes 97", "[dhcp][reply]") {
    Packet r = reply_for(dhcp_test::pi_discover(), ServerMode::proxy);
    CHECK(r.op == 2);
    CHECK(r.xid == 0x26f30339);
    CHECK(r.yiaddr == 0);
    CHECK(ip_str(r.siaddr) == "10.99.0.1");
    CHECK(r.message_type() == MessageType::offer);
    CHECK(mb::to_hex(*r.get(opt::vendor_specific)) ==
          "0601030a0400505845091400001152617370626572727920506920426f6f74ff");
    CHECK(r.get_string(opt::vendor_class) == "PXEClient");
    CHECK(*r.get(opt::client_uuid) == hex("00525069341131c00032010203cdab3412"));
    CHECK(r.get_ip(opt::server_id) == parse_ip("10.99.0.1"));
    CHECK_FALSE(r.has(opt::lease_time));
    CHECK_FALSE(r.has(opt::tftp_server));
    CHECK(r.file.empty());
    CHECK(r.sname.empty());
    CHECK(r.options().front().code == opt::message_type);
    // proxy offer (yiaddr 0) is broadcast
    CHECK(reply_destination(Packet::unpack(dhcp_test::pi_discover()), r).kind == Destination::Kind::broadcast);
}

TEST_CASE("Pi full-mode OFFER: lease options, 66 as text, unicast at L2", "[dhcp][reply]") {
    LeaseGrant g;
    g.address = *parse_ip("10.99.0.71");
    g.lease_seconds = 3600;
    g.subnet_mask = *parse_ip("255.255.0.0");
    g.broadcast = *parse_ip("10.99.255.255");
    g.routers = {*parse_ip("10.99.0.1")};
    Packet r = reply_for(dhcp_test::pi_discover(), ServerMode::full, {}, &g);
    CHECK(ip_str(r.yiaddr) == "10.99.0.71");
    CHECK(r.get_u32(opt::lease_time) == 3600u);
    CHECK(r.get_u32(opt::renewal_time) == 1800u);
    CHECK(r.get_u32(opt::rebinding_time) == 3150u);
    CHECK(r.get_string(opt::tftp_server) == "10.99.0.1");
    CHECK(mb::to_hex(*r.get(opt::vendor_specific)) ==
          "0601030a0400505845091400001152617370626572727920506920426f6f74ff");
    std::vector<uint8_t> order;
    for (const auto& o : r.options()) order.push_back(o.code);
    CHECK(order == std::vector<uint8_t>{53, 54, 51, 58, 59, 1, 28, 3, 60, 97, 43, 66});
    auto d = reply_destination(Packet::unpack(dhcp_test::pi_discover()), r);
    CHECK(d.kind == Destination::Kind::link_layer);
    CHECK(ip_str(d.ip) == "10.99.0.71");
    CHECK(d.port == 68);
}

TEST_CASE("The Pi menu text is configurable", "[dhcp][reply]") {
    CHECK(mb::to_hex(pi_vendor_options("Raspberry Pi Boot   ")) ==
          "0601030a0400505845091700001452617370626572727920506920426f6f74202020ff");
}

TEST_CASE("x86 BIOS arch 0 with a non-Pi MAC never gets the Pi menu", "[dhcp][reply]") {
    Packet r = reply_for(dhcp_test::bios_discover(), ServerMode::proxy);
    CHECK(mb::to_hex(*r.get(opt::vendor_specific)) == "060108ff");
    CHECK(r.file == "undionly.kpxe");
    CHECK(r.get_string(opt::vendor_class) == "PXEClient");
}

TEST_CASE("UEFI PXE gets {6:08}, siaddr and the boot file by arch", "[dhcp][reply]") {
    Packet a = reply_for(dhcp_test::edk2_arm64_discover(), ServerMode::proxy);
    CHECK(mb::to_hex(*a.get(opt::vendor_specific)) == "060108ff");
    CHECK(a.file == "snp.efi");
    CHECK(ip_str(a.siaddr) == "10.99.0.1");
    CHECK(a.get_string(opt::vendor_class) == "PXEClient");
    CHECK_FALSE(a.has(opt::bootfile));
    CHECK(a.has(opt::client_uuid));
    Packet x = reply_for(dhcp_test::edk2_x64_discover(), ServerMode::proxy);
    CHECK(x.file == "ipxe.efi");
    // per-device arch override
    DeviceChoices dev;
    dev.arch_override = 0x0b;
    CHECK(reply_for(dhcp_test::edk2_x64_discover(), ServerMode::proxy, dev).file == "snp.efi");
    // broadcast flag set by EDK2: broadcast even in full mode
    LeaseGrant g;
    g.address = *parse_ip("10.99.0.50");
    g.lease_seconds = 600;
    Packet f = reply_for(dhcp_test::edk2_arm64_discover(), ServerMode::full, {}, &g);
    CHECK(reply_destination(Packet::unpack(dhcp_test::edk2_arm64_discover()), f).kind == Destination::Kind::broadcast);
}

TEST_CASE("HTTP boot gets HTTPClient and an absolute URL in 67 and file", "[dhcp][reply]") {
    Packet r = reply_for(dhcp_test::http_discover(), ServerMode::proxy);
    CHECK(r.get_string(opt::vendor_class) == "HTTPClient");
    CHECK(r.get_string(opt::bootfile) == "http://10.99.0.1:8080/ipxe/snp.efi");
    CHECK(r.file == "http://10.99.0.1:8080/ipxe/snp.efi");
    CHECK_FALSE(r.has(opt::vendor_specific));
}

TEST_CASE("iPXE gets the script URL (loop breaker), device URL wins", "[dhcp][reply]") {
    Packet r = reply_for(dhcp_test::ipxe_discover(), ServerMode::proxy);
    CHECK(r.file == "http://10.99.0.1:8080/boot/dc-a6-32-01-02-03.ipxe");
    CHECK_FALSE(r.has(opt::vendor_specific));
    CHECK_FALSE(r.has(opt::ipxe_encap));
    DeviceChoices dev;
    dev.ipxe_script_url = "http://10.99.0.9/custom.ipxe";
    CHECK(reply_for(dhcp_test::ipxe_discover(), ServerMode::proxy, dev).file == "http://10.99.0.9/custom.ipxe");
    LeaseGrant g;
    g.address = *parse_ip("10.99.0.50");
    g.lease_seconds = 600;
    Packet f = reply_for(dhcp_test::ipxe_discover(), ServerMode::full, {}, &g);
    CHECK(mb::to_hex(*f.get(opt::ipxe_encap)) == "b00101");
}

TEST_CASE("allow_pxe=false: plain lease in full mode, silence in proxy mode", "[dhcp][reply]") {
    DeviceChoices dev;
    dev.allow_pxe = false;
    Packet q = Packet::unpack(dhcp_test::pi_discover());
    auto c = classify(q, ClassifyConfig{});
    auto s = settings();
    CHECK_FALSE(build_reply(ReplyRequest{q, c, MessageType::offer, ServerMode::proxy, s, dev, nullptr}));
    LeaseGrant g;
    g.address = *parse_ip("10.99.0.50");
    g.lease_seconds = 600;
    auto r = build_reply(ReplyRequest{q, c, MessageType::offer, ServerMode::full, s, dev, &g});
    REQUIRE(r);
    CHECK_FALSE(r->has(opt::vendor_specific));
    CHECK_FALSE(r->has(opt::vendor_class));
    CHECK(r->siaddr == 0);
    // and a plain client gets nothing from a proxy
    Packet plain = Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350101 ff"));
    auto pc = classify(plain, ClassifyConfig{});
    CHECK_FALSE(build_reply(ReplyRequest{plain, pc, MessageType::offer, ServerMode::proxy, s, {}, nullptr}));
}

TEST_CASE("Reply addressing per RFC 2131 4.1", "[dhcp][addressing]") {
    auto s = settings();
    Packet relayed = Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350101 ff", *parse_ip("10.98.0.1"), 1));
    Packet reply;
    reply.yiaddr = *parse_ip("10.98.0.5");
    reply.set_u8(opt::message_type, 2);
    auto d = reply_destination(relayed, reply);
    CHECK(d.kind == Destination::Kind::relay);
    CHECK(ip_str(d.ip) == "10.98.0.1");
    CHECK(d.port == 67);
    auto nak = build_nak(relayed, s.server_id, "wrong address");
    CHECK(nak.broadcast_flag());
    CHECK(nak.hops == 1);
    CHECK(reply_destination(relayed, nak).kind == Destination::Kind::relay);
    Packet renew = Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350103 ff"));
    renew.ciaddr = *parse_ip("10.99.0.5");
    auto r = reply_destination(renew, reply);
    CHECK(r.kind == Destination::Kind::unicast);
    CHECK(ip_str(r.ip) == "10.99.0.5");
    CHECK(r.port == 68);
    auto local_nak = build_nak(renew, s.server_id, "");
    CHECK(reply_destination(renew, local_nak).kind == Destination::Kind::broadcast);
    auto from4011 = reply_destination(renew, reply, true, *parse_ip("10.99.0.7"), 4011);
    CHECK(from4011.kind == Destination::Kind::unicast);
    CHECK(from4011.port == 4011);
}

TEST_CASE("Replies respect option 57 and default to 576", "[dhcp][reply]") {
    CHECK(max_reply_size(Packet::unpack(dhcp_test::pi_discover())) == 576);
    CHECK(max_reply_size(Packet::unpack(dhcp_test::edk2_arm64_discover())) == 1472);
    CHECK(max_reply_size(Packet::unpack(dhcp_test::request("525400000001", 1, 0, "350101 39020100 ff"))) == 576);
}

TEST_CASE("Base URL placeholder {server} and per-device boot file", "[dhcp][reply]") {
    Packet q = Packet::unpack(dhcp_test::http_discover());
    auto c = classify(q, ClassifyConfig{});
    BootSettings s = settings();
    s.server_id = *parse_ip("10.99.0.7");
    s.http_base_url = "http://{server}:8080/";
    CHECK(boot_target(q, c, {}, s) == "http://10.99.0.7:8080/ipxe/snp.efi");
    Packet x = Packet::unpack(dhcp_test::edk2_x64_discover());
    DeviceChoices dev;
    dev.boot_file = "custom.efi";
    CHECK(boot_target(x, classify(x, ClassifyConfig{}), dev, s) == "custom.efi");
}
