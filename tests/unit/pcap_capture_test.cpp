#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "dhcp/packet.hpp"
#include "pcap/pcap.hpp"
#include "support.hpp"

using namespace mb::pcap;

namespace {
std::string fixture(const char* name) {
    return mb::test::fixtures_dir() + "/pcap/" + name;
}
}  // namespace

TEST_CASE("pcap reads the real firmware captures (counts match tshark)", "[pcap]") {
    struct Case {
        const char* file;
        size_t frames;
        size_t dhcp;  // UDP 67/68/4011 datagrams that unpack as DHCP
    };
    for (auto c :
         {Case{"x86-bios-seabios-ipxe-rom-virtio.pcap", 39, 7}, Case{"x86-uefi-ovmf-ipxe-efirom-http.pcap", 34, 7},
          Case{"arm64-uefi-aavmf-firmware-only-pxe4-pxe6-httpboot.pcap", 45, 15},
          Case{"x86-uefi-ovmf-pxe-tftp-ipxe-http.pcap", 1223, 14}}) {
        INFO(c.file);
        auto frames = read_file(fixture(c.file));
        CHECK(frames.size() == c.frames);
        size_t dhcp = 0;
        for (const auto& f : frames) {
            CHECK(f.linktype == kEthernet);
            auto u = decode_udp(f.linktype, f.data);
            if (!u) continue;
            bool port = u->src_port == 67 || u->dst_port == 67 || u->src_port == 4011 || u->dst_port == 4011;
            if (!port) continue;
            mb::dhcp::Packet::unpack(u->payload);
            ++dhcp;
        }
        CHECK(dhcp == c.dhcp);
    }
}

TEST_CASE("pcap writer output reads back, built frames decode with valid checksums", "[pcap]") {
    auto path = std::filesystem::temp_directory_path() / "mb-pcap-test.pcap";
    std::vector<uint8_t> payload{1, 2, 3, 4, 5};
    auto frame = build_udp_frame({0x52, 0x54, 0, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0x0a630001, 0xffffffff,
                                 67, 68, payload);
    {
        Writer w(path.string());
        w.write(1700000000, 123456, frame);
        w.write(1700000001, 5, frame);
    }
    auto frames = read_file(path.string());
    std::filesystem::remove(path);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].ts_sec == 1700000000);
    CHECK(frames[0].ts_usec == 123456);
    CHECK(frames[1].data == frame);
    auto u = decode_udp(kEthernet, frames[0].data);
    REQUIRE(u);
    CHECK(u->src_ip == 0x0a630001);
    CHECK(u->dst_port == 68);
    CHECK(std::vector<uint8_t>(u->payload.begin(), u->payload.end()) == payload);
    // IPv4 header checksum verifies to zero
    uint32_t sum = 0;
    for (size_t i = 14; i < 34; i += 2) sum += uint32_t{frame[i]} << 8 | frame[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    CHECK(sum == 0xffff);
}

TEST_CASE("pcap decodes Linux cooked captures and rejects garbage with an offset", "[pcap]") {
    auto ip = build_ipv4_udp(0x0a000001, 0x0a000002, 68, 67, std::vector<uint8_t>{9, 9});
    std::vector<uint8_t> sll{0, 0, 0, 1, 0, 6, 0x52, 0x54, 0, 0, 0, 7, 0, 0, 0x08, 0x00};
    sll.insert(sll.end(), ip.begin(), ip.end());
    auto u = decode_udp(kLinuxSll, sll);
    REQUIRE(u);
    CHECK(u->src_mac[5] == 7);
    CHECK(u->dst_port == 67);
    CHECK_FALSE(decode_udp(kEthernet, std::vector<uint8_t>(10, 0)));
    CHECK_THROWS_AS(parse(std::vector<uint8_t>{1, 2, 3, 4, 5}), mb::Error);
    std::vector<uint8_t> hdr{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0,    0,    0, 0, 0xff, 0xff, 0, 0,
                             1,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0};
    try {
        parse(hdr);
        FAIL("no error");
    } catch (const mb::Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("offset 24"));
    }
    CHECK_THROWS_AS(read_file("/nonexistent.pcap"), mb::Error);
}
