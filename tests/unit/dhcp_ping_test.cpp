#include <catch2/catch.hpp>

#include "dhcp/ping.hpp"
#include "dhcp_test_packets.hpp"

using namespace mb::dhcp;
using dhcp_test::hex;

TEST_CASE("ICMP echo request: header, checksum verifies to zero", "[dhcp][ping]") {
    auto p = build_echo_request(0x1234, 7);
    REQUIRE(p.size() >= 8);
    CHECK(p[0] == 8);
    CHECK(p[1] == 0);
    CHECK(p[4] == 0x12);
    CHECK(p[5] == 0x34);
    CHECK(p[7] == 7);
    CHECK(inet_checksum(p) == 0);
    // RFC 1071 example bytes: 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2, checksum 0x220d
    CHECK(inet_checksum(hex("0001f203f4f5f6f7")) == 0x220d);
    CHECK(inet_checksum(hex("01")) == static_cast<uint16_t>(~0x0100));
}

TEST_CASE("ICMP echo reply parsing, with and without the IPv4 header", "[dhcp][ping]") {
    auto reply =
        hex("00000000abcd0009"
            "6d622d64");
    auto r = parse_echo_reply(reply, false);
    REQUIRE(r);
    CHECK(r->id == 0xabcd);
    CHECK(r->seq == 9);
    auto ip = hex("4500002000004000400100000a63000a0a630001");  // 20-byte header, protocol 1
    ip.insert(ip.end(), reply.begin(), reply.end());
    REQUIRE(parse_echo_reply(ip, true));
    CHECK(parse_echo_reply(ip, true)->seq == 9);
    // not an echo reply, truncated, wrong protocol, bad IHL: ignored, never a crash
    CHECK_FALSE(parse_echo_reply(build_echo_request(1, 1), false));
    CHECK_FALSE(parse_echo_reply(hex("000000"), false));
    auto udp = ip;
    udp[9] = 17;
    CHECK_FALSE(parse_echo_reply(udp, true));
    auto bad = ip;
    bad[0] = 0x4f;  // IHL 60 > size
    CHECK_FALSE(parse_echo_reply(std::span<const uint8_t>(bad.data(), 30), true));
    CHECK_FALSE(parse_echo_reply(std::span<const uint8_t>(ip.data(), 10), true));
}
