#include <catch2/catch.hpp>

#include "core/strings.hpp"
#include "dhcp/service.hpp"
#include "dhcp_test_packets.hpp"

using namespace mb::dhcp;

namespace {

const Ipv4 kLocal = *parse_ip("10.99.0.1");

ServiceConfig proxy_config() {
    ServiceConfig c;
    c.mode = ServerMode::proxy;
    c.boot.http_base_url = "http://{server}:8080";
    return c;
}

}  // namespace

TEST_CASE("Proxy service: DISCOVER answered, REQUEST on 67 ignored, 4011 REQUEST ACKed back", "[dhcp][service]") {
    Service s(proxy_config(), nullptr, nullptr);
    auto disc = s.handle(Packet::unpack(dhcp_test::edk2_arm64_discover()), Ingress{kLocal, 0, 68, false}, 0);
    REQUIRE(disc.reply);
    CHECK(disc.reply->message_type() == MessageType::offer);
    CHECK(disc.reply->file == "snp.efi");
    CHECK(ip_str(disc.reply->siaddr) == "10.99.0.1");
    CHECK(disc.destination.kind == Destination::Kind::broadcast);

    auto req = Packet::unpack(dhcp_test::request("525400770030", 7, 0, "350103 5d02000b 3c09505845436c69656e74 ff"));
    auto on67 = s.handle(req, Ingress{kLocal, 0, 68, false}, 0);
    CHECK_FALSE(on67.reply);
    CHECK_THAT(on67.note, Catch::Contains("only DISCOVER"));

    req.ciaddr = *parse_ip("10.99.0.147");
    auto on4011 = s.handle(req, Ingress{kLocal, *parse_ip("10.99.0.147"), 4011, true}, 0);
    REQUIRE(on4011.reply);
    CHECK(on4011.reply->message_type() == MessageType::ack);
    CHECK(on4011.reply->file == "snp.efi");
    CHECK(on4011.reply->yiaddr == 0);
    CHECK(on4011.destination.kind == Destination::Kind::unicast);
    CHECK(on4011.destination.port == 4011);
    CHECK(ip_str(on4011.destination.ip) == "10.99.0.147");

    // the {server} placeholder becomes the ingress address
    auto http = s.handle(Packet::unpack(dhcp_test::http_discover()), Ingress{*parse_ip("10.99.0.3"), 0, 68, false}, 0);
    REQUIRE(http.reply);
    CHECK(http.reply->file == "http://10.99.0.3:8080/ipxe/snp.efi");
    CHECK(ip_str(*http.reply->get_ip(opt::server_id)) == "10.99.0.3");

    // BOOTREPLY and BOOTP are not served
    Packet reply = Packet::unpack(dhcp_test::pi_discover());
    reply.op = 2;
    CHECK_FALSE(s.handle(reply, Ingress{kLocal, 0, 68, false}, 0).reply);
    Packet bootp = Packet::unpack(dhcp_test::request("525400000001", 1, 0, "ff"));
    CHECK_FALSE(s.handle(bootp, Ingress{kLocal, 0, 68, false}, 0).reply);
}

TEST_CASE("Full service: device lookup, NAK, hostname from the reservation", "[dhcp][service]") {
    EngineConfig ec;
    PoolConfig p;
    p.network = *parse_ip("10.99.0.0");
    p.mask = *parse_ip("255.255.0.0");
    p.start = *parse_ip("10.99.0.10");
    p.end = *parse_ip("10.99.0.20");
    ec.pools.push_back(p);
    ec.reservations.push_back(Reservation{dhcp_test::hex("dca632010203"), *parse_ip("10.99.0.99"), "pi-node01"});
    LeaseEngine engine(ec);
    ServiceConfig c = proxy_config();
    c.mode = ServerMode::full;
    Service s(c, &engine, [](const Packet& q) {
        DeviceChoices d;
        d.allow_pxe = q.chaddr[5] != 0x10;
        return d;
    });
    auto pi = s.handle(Packet::unpack(dhcp_test::pi_discover()), Ingress{kLocal, 0, 68, false}, 0);
    REQUIRE(pi.reply);
    CHECK(ip_str(pi.reply->yiaddr) == "10.99.0.99");
    CHECK(pi.reply->get_string(opt::hostname) == "pi-node01");
    CHECK(pi.reply->has(opt::vendor_specific));
    auto denied = s.handle(Packet::unpack(dhcp_test::bios_discover("525400000010")), Ingress{kLocal, 0, 68, false}, 0);
    REQUIRE(denied.reply);
    CHECK_FALSE(denied.reply->has(opt::vendor_specific));
    CHECK(denied.reply->file.empty());
    auto nak = s.handle(
        Packet::unpack(dhcp_test::request("525400000011", 5, 0, "350103 3204c0a80105 ff")),
        Ingress{kLocal, 0, 68, false}, 0);
    REQUIRE(nak.reply);
    CHECK(nak.reply->message_type() == MessageType::nak);
    CHECK(nak.destination.kind == Destination::Kind::broadcast);
}
