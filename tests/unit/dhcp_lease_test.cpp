#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "dhcp/lease_engine.hpp"
#include "dhcp/lease_file.hpp"
#include "dhcp_test_packets.hpp"

using namespace mb::dhcp;
using dhcp_test::hex;
using Kind = Decision::Kind;

namespace {

const Ipv4 kServer = *parse_ip("10.99.0.1");

EngineConfig config() {
    EngineConfig c;
    PoolConfig p;
    p.network = *parse_ip("10.99.0.0");
    p.mask = *parse_ip("255.255.0.0");
    p.start = *parse_ip("10.99.0.10");
    p.end = *parse_ip("10.99.0.12");
    p.routers = {kServer};
    p.lease_seconds = 600;
    c.pools.push_back(p);
    c.reservations.push_back(Reservation{hex("dca6320000aa"), *parse_ip("10.99.0.200"), "pi-node01"});
    return c;
}

Packet msg(const std::string& mac, uint32_t xid, const std::string& opts, Ipv4 ciaddr = 0) {
    Packet p = Packet::unpack(dhcp_test::request(mac, xid, 0, opts));
    p.ciaddr = ciaddr;
    return p;
}
std::string ip_hex(const char* ip) {
    return fmt::format("{:08x}", *parse_ip(ip));
}

}  // namespace

TEST_CASE("DORA: offer, select, ack, then renew and rebind", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto d = e.handle(msg("525400000001", 7, "350101 ff"), kServer, kServer, 1000);
    REQUIRE(d.kind == Kind::offer);
    CHECK(ip_str(d.grant.address) == "10.99.0.10");
    CHECK(d.grant.lease_seconds == 600);
    CHECK(ip_str(d.grant.subnet_mask) == "255.255.0.0");
    CHECK_FALSE(e.dirty());  // an offer is not a lease
    auto a = e.handle(msg("525400000001", 7,
                          "350103 3204" + ip_hex("10.99.0.10") + " 3604" + ip_hex("10.99.0.1") + " 0c05686f7374 31 ff"),
                      kServer, kServer, 1001);
    REQUIRE(a.kind == Kind::ack);
    CHECK(ip_str(a.grant.address) == "10.99.0.10");
    CHECK(e.dirty());
    REQUIRE(e.leases().size() == 1);
    CHECK(e.leases()[0].expiry == 1601);
    CHECK(e.leases()[0].hostname == "host1");
    // renew: unicast, ciaddr set, no 54/50
    auto r = e.handle(msg("525400000001", 8, "350103 ff", *parse_ip("10.99.0.10")), kServer, kServer, 1300);
    REQUIRE(r.kind == Kind::ack);
    CHECK(e.leases()[0].expiry == 1900);
    // rebind of an address this client does not hold → NAK
    auto bad = e.handle(msg("525400000002", 9, "350103 ff", *parse_ip("10.99.0.10")), kServer, kServer, 1300);
    CHECK(bad.kind == Kind::nak);
    // the same MAC asking again gets the same address
    CHECK(e.handle(msg("525400000001", 10, "350101 ff"), kServer, kServer, 1400).grant.address ==
          *parse_ip("10.99.0.10"));
}

TEST_CASE("Pending offers are keyed on (chaddr, xid): fixed-xid Pis get distinct addresses", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto a = e.handle(msg("dca632000001", 0x26f30339, "350101 ff"), kServer, kServer, 10);
    auto b = e.handle(msg("dca632000002", 0x26f30339, "350101 ff"), kServer, kServer, 10);
    REQUIRE(a.kind == Kind::offer);
    REQUIRE(b.kind == Kind::offer);
    CHECK(a.grant.address != b.grant.address);
    // b cannot take a's offered address
    auto steal =
        e.handle(msg("dca632000002", 0x26f30339,
                     "350103 3204" + fmt::format("{:08x}", a.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
                 kServer, kServer, 11);
    CHECK(steal.kind == Kind::nak);
    // after the offer hold expires the address is free again
    e.reap(100);
    std::vector<Ipv4> got;
    for (int i = 3; i < 6; ++i)
        got.push_back(
            e.handle(msg(fmt::format("dca6320000{:02x}", i), 1, "350101 ff"), kServer, kServer, 100).grant.address);
    CHECK(std::count(got.begin(), got.end(), a.grant.address) == 1);
}

TEST_CASE("REQUEST naming another server is ignored and frees the offer", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto o = e.handle(msg("525400000001", 1, "350101 ff"), kServer, kServer, 0);
    auto r =
        e.handle(msg("525400000001", 1,
                     "350103 3204" + fmt::format("{:08x}", o.grant.address) + " 3604" + ip_hex("10.99.0.250") + " ff"),
                 kServer, kServer, 1);
    CHECK(r.kind == Kind::ignore);
    CHECK_THAT(r.reason, Catch::Contains("not ours"));
    // the pool has three addresses: the freed one is offered again within the next three clients
    std::vector<Ipv4> got;
    for (int i = 2; i < 5; ++i)
        got.push_back(
            e.handle(msg(fmt::format("5254000000{:02x}", i), 2, "350101 ff"), kServer, kServer, 2).grant.address);
    CHECK(std::count(got.begin(), got.end(), o.grant.address) == 1);
}

TEST_CASE("INIT-REBOOT: NAK on foreign subnet or an address held by another", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto foreign = e.handle(msg("525400000001", 1, "350103 3204" + ip_hex("192.168.1.5") + " ff"), kServer, kServer, 0);
    CHECK(foreign.kind == Kind::nak);
    CHECK_THAT(foreign.reason, Catch::Contains("foreign subnet"));
    auto ok = e.handle(msg("525400000001", 2, "350103 3204" + ip_hex("10.99.0.11") + " ff"), kServer, kServer, 0);
    CHECK(ok.kind == Kind::ack);
    auto taken = e.handle(msg("525400000002", 3, "350103 3204" + ip_hex("10.99.0.11") + " ff"), kServer, kServer, 0);
    CHECK(taken.kind == Kind::nak);
    auto outside = e.handle(msg("525400000003", 3, "350103 3204" + ip_hex("10.99.5.5") + " ff"), kServer, kServer, 0);
    CHECK(outside.kind == Kind::nak);
}

TEST_CASE("Reservations, DECLINE, RELEASE, INFORM, pool exhaustion", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto r = e.handle(msg("dca6320000aa", 1, "350101 ff"), kServer, kServer, 0);
    CHECK(ip_str(r.grant.address) == "10.99.0.200");
    CHECK(r.hostname == "pi-node01");
    // DECLINE: the address is held and persisted
    auto o = e.handle(msg("525400000001", 1, "350101 ff"), kServer, kServer, 0);
    e.handle(msg("525400000001", 1,
                 "350103 3204" + fmt::format("{:08x}", o.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
             kServer, kServer, 0);
    e.clear_dirty();
    e.handle(msg("525400000001", 2,
                 "350104 3204" + fmt::format("{:08x}", o.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
             kServer, kServer, 5);
    CHECK(e.dirty());
    CHECK(e.size() == 0);
    REQUIRE(e.declined().size() == 1);
    CHECK(e.declined()[0].until == 605);
    auto again = e.handle(msg("525400000001", 3, "350101 ff"), kServer, kServer, 6);
    CHECK(again.grant.address != o.grant.address);
    // restart: declined survives load()
    LeaseEngine e2(config());
    e2.load(e.leases(), e.declined(), 10);
    CHECK(e2.handle(msg("525400000009", 3, "350101 ff"), kServer, kServer, 10).grant.address != o.grant.address);
    // RELEASE
    auto a = e.handle(
        msg("525400000001", 3,
            "350103 3204" + fmt::format("{:08x}", again.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
        kServer, kServer, 7);
    REQUIRE(a.kind == Kind::ack);
    CHECK(e.size() == 1);
    e.handle(msg("525400000001", 4, "350107 3604" + ip_hex("10.99.0.1") + " ff", again.grant.address), kServer, kServer,
             8);
    CHECK(e.size() == 0);
    // INFORM: ACK without an address
    auto inf = e.handle(msg("525400000005", 5, "350108 ff", *parse_ip("10.99.3.3")), kServer, kServer, 9);
    CHECK(inf.kind == Kind::ack);
    CHECK(inf.inform);
    CHECK(inf.grant.address == 0);
    // exhaustion: 3 addresses, one declined
    LeaseEngine small(config());
    int offers = 0;
    for (int i = 0; i < 5; ++i) {
        auto d = small.handle(msg(fmt::format("5254000001{:02x}", i), 1, "350101 ff"), kServer, kServer, 0);
        if (d.kind == Kind::offer) ++offers;
    }
    CHECK(offers == 3);
}

TEST_CASE("Relayed requests select the pool by giaddr", "[dhcp][lease]") {
    EngineConfig c = config();
    PoolConfig remote = c.pools[0];
    remote.network = *parse_ip("10.98.0.0");
    remote.start = *parse_ip("10.98.0.100");
    remote.end = *parse_ip("10.98.0.110");
    c.pools.push_back(remote);
    LeaseEngine e(c);
    auto d = e.handle(msg("525400000001", 1, "350101 ff"), kServer, *parse_ip("10.98.0.1"), 0);
    CHECK(ip_str(d.grant.address) == "10.98.0.100");
    CHECK(e.handle(msg("525400000001", 1, "350101 ff"), kServer, *parse_ip("172.16.0.1"), 0).kind == Kind::ignore);
}

TEST_CASE("Expired leases are reaped; infinite ones stay", "[dhcp][lease]") {
    LeaseEngine e(config());
    Lease inf;
    inf.hwaddr = hex("525400000077");
    inf.ip = *parse_ip("10.99.0.77");
    e.add(inf);
    e.handle(msg("525400000001", 1, "350103 3204" + ip_hex("10.99.0.10") + " ff"), kServer, kServer, 0);
    CHECK(e.size() == 2);
    CHECK(e.reap(599) == 0);
    CHECK(e.reap(600) == 1);
    CHECK(e.size() == 1);
    CHECK(e.leases()[0].infinite());
    // an ACK for an infinite lease says infinite
    auto a = e.handle(msg("525400000077", 1, "350103 ff", inf.ip), kServer, kServer, 700);
    CHECK(a.grant.lease_seconds == 0xffffffffu);
    CHECK(e.remove_ip(inf.ip));
    CHECK(e.size() == 0);
}

TEST_CASE("dnsmasq lease file round trip", "[dhcp][lease]") {
    const std::string text =
        "1795594078 dc:a6:32:01:ab:cd 10.99.0.71 pi-node01 01:dc:a6:32:01:ab:cd\n"
        "0 52:54:00:00:00:01 10.99.0.72 * *\n"
        "1795594000 20-aa:bb:cc:dd:ee:ff:00:11 10.99.0.73 ib0 *\n"
        "duid 00:01:00:01:2c:aa:bb:cc:52:54:00:00:00:01\n"
        "1795594078 1234 fd00::5 host6 00:01:02\n";
    std::vector<std::string> warnings;
    auto f = parse_lease_file(text + "garbage line\n", &warnings);
    REQUIRE(f.leases.size() == 3);
    CHECK(f.leases[0].expiry == 1795594078);
    CHECK(f.leases[0].hostname == "pi-node01");
    CHECK(f.leases[0].client_id == hex("01dca63201abcd"));
    CHECK(f.leases[1].infinite());
    CHECK(f.leases[1].hostname.empty());
    CHECK(f.leases[2].hwtype == 0x20);
    CHECK(f.leases[2].hwaddr.size() == 8);
    CHECK(f.other_lines.size() == 3);  // duid, the IPv6 lease, and the garbage after duid kept verbatim
    CHECK(format_lease_file(f) == text + "garbage line\n");
    auto g = parse_lease_file("x dc:a6:32:01:ab:cd 10.99.0.71 * *\n1 zz 10.0.0.1 * *\n1 dc:a6:32:01:ab:cd 10.0.0 * *\n",
                              &warnings);
    CHECK(g.leases.empty());
    CHECK(warnings.size() == 3);
    CHECK_THAT(warnings[0], Catch::Contains("line 1"));
    auto d = parse_declined(format_declined({Declined{*parse_ip("10.0.0.9"), 1234}}));
    REQUIRE(d.size() == 1);
    CHECK(d[0].until == 1234);
}

TEST_CASE("Reservations can change while offers and leases stay", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto o = e.handle(msg("525400000001", 1, "350101 ff"), kServer, kServer, 0);
    e.set_reservations({Reservation{hex("525400000002"), *parse_ip("10.99.0.201"), "n2"}});
    auto r = e.handle(msg("525400000002", 2, "350101 ff"), kServer, kServer, 0);
    CHECK(ip_str(r.grant.address) == "10.99.0.201");
    auto a =
        e.handle(msg("525400000001", 1,
                     "350103 3204" + fmt::format("{:08x}", o.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
                 kServer, kServer, 1);
    CHECK(a.kind == Kind::ack);
    // the old reservation (dc:a6:32:00:00:aa) is gone: it gets a pool address now
    auto p = e.handle(msg("dca6320000aa", 3, "350101 ff"), kServer, kServer, 2);
    CHECK(p.grant.address != *parse_ip("10.99.0.200"));
}

namespace {
Lease lease(const std::string& mac, const char* ip, int64_t expiry, const std::string& host = "") {
    Lease l;
    l.hwaddr = hex(mac);
    l.ip = *parse_ip(ip);
    l.expiry = expiry;
    l.hostname = host;
    return l;
}
}  // namespace

TEST_CASE("Out-of-band lease file edits are merged, not overwritten", "[dhcp][lease]") {
    LeaseEngine e(config());
    const std::vector<Lease> disk = {lease("525400000001", "10.99.0.10", 5000),
                                     lease("525400000002", "10.99.0.11", 5000)};
    e.load(disk, {}, 100);
    // meanwhile the server renews 01 and leases 12 to a new client
    e.handle(msg("525400000001", 1, "350103 ff", *parse_ip("10.99.0.10")), kServer, kServer, 200);
    e.handle(msg("525400000003", 2, "350103 3204" + ip_hex("10.99.0.12") + " ff"), kServer, kServer, 200);
    // and `leases rm 525400000002` + `leases add 52:54:00:aa:bb:cc 10.99.0.50` rewrote the file
    const std::vector<Lease> edited = {lease("525400000001", "10.99.0.10", 5000),
                                       lease("525400aabbcc", "10.99.0.50", 0, "static1")};
    auto c = e.apply_external(disk, edited, 300);
    CHECK(c.added == 1);
    CHECK(c.removed == 1);
    auto now = e.leases();
    REQUIRE(now.size() == 3);
    CHECK(ip_str(now[0].ip) == "10.99.0.10");
    CHECK(now[0].expiry == 800);  // our renewal survives the unchanged line
    CHECK(ip_str(now[1].ip) == "10.99.0.12");
    CHECK(ip_str(now[2].ip) == "10.99.0.50");
    CHECK(now[2].hostname == "static1");
    // a line changed there replaces ours; an expired line added there is ignored
    auto c2 =
        e.apply_external(edited,
                         {lease("525400000001", "10.99.0.13", 0), lease("525400aabbcc", "10.99.0.50", 0, "static1"),
                          lease("525400000009", "10.99.0.14", 10)},
                         300);
    CHECK(c2.added == 1);
    CHECK(c2.removed == 0);
    CHECK(e.leases()[0].ip == *parse_ip("10.99.0.12"));
    CHECK(e.leases()[1].ip == *parse_ip("10.99.0.13"));
    CHECK(e.size() == 3);
    // removed there, but the client moved to another address here meanwhile: kept
    LeaseEngine f(config());
    f.load({lease("525400000001", "10.99.0.10", 5000)}, {}, 100);
    f.remove_mac(hex("525400000001"));
    f.handle(msg("525400000001", 3, "350103 3204" + ip_hex("10.99.0.11") + " ff"), kServer, kServer, 200);
    CHECK(f.apply_external({lease("525400000001", "10.99.0.10", 5000)}, {}, 300).removed == 0);
    CHECK(f.size() == 1);
}

TEST_CASE("New pools on reload: leases outside the range stay until expiry but are not renewed", "[dhcp][lease]") {
    LeaseEngine e(config());
    e.handle(msg("525400000001", 1, "350103 3204" + ip_hex("10.99.0.10") + " ff"), kServer, kServer, 0);
    Lease fixed = lease("525400000077", "10.99.0.77", 0);
    e.add(fixed);
    auto pools = config().pools;
    pools[0].start = *parse_ip("10.99.0.30");
    pools[0].end = *parse_ip("10.99.0.31");
    e.set_pools(pools);
    CHECK(e.size() == 2);  // kept
    // renew (ciaddr) and init-reboot of the old address: NAK
    auto renew = e.handle(msg("525400000001", 2, "350103 ff", *parse_ip("10.99.0.10")), kServer, kServer, 10);
    CHECK(renew.kind == Kind::nak);
    CHECK_THAT(renew.reason, Catch::Contains("no longer in a pool range"));
    auto reboot = e.handle(msg("525400000001", 3, "350103 3204" + ip_hex("10.99.0.10") + " ff"), kServer, kServer, 10);
    CHECK(reboot.kind == Kind::nak);
    // a new DISCOVER gets an address of the new range; a static (infinite) lease is still honoured
    auto o = e.handle(msg("525400000001", 4, "350101 ff"), kServer, kServer, 10);
    REQUIRE(o.kind == Kind::offer);
    CHECK(ip_str(o.grant.address) == "10.99.0.30");
    CHECK(o.fresh);
    CHECK(e.handle(msg("525400000077", 5, "350103 ff", fixed.ip), kServer, kServer, 10).kind == Kind::ack);
    // the old lease expires normally
    CHECK(e.reap(600) == 1);
}

TEST_CASE("A retransmitted DISCOVER gets the same offer; a probed-in-use address is skipped", "[dhcp][lease]") {
    LeaseEngine e(config());
    auto a = e.handle(msg("525400000001", 1, "350101 ff"), kServer, kServer, 0);
    auto b = e.handle(msg("525400000001", 2, "350101 ff"), kServer, kServer, 1);
    REQUIRE(a.kind == Kind::offer);
    CHECK(a.fresh);
    CHECK(b.grant.address == a.grant.address);
    e.mark_in_use(a.grant.address, 600);
    auto c = e.handle(msg("525400000001", 2, "350101 ff"), kServer, kServer, 2);
    REQUIRE(c.kind == Kind::offer);
    CHECK(c.grant.address != a.grant.address);
    CHECK(e.declined().size() == 1);
    // an address the client holds is not fresh (no probe needed)
    e.handle(msg("525400000001", 2,
                 "350103 3204" + fmt::format("{:08x}", c.grant.address) + " 3604" + ip_hex("10.99.0.1") + " ff"),
             kServer, kServer, 3);
    CHECK_FALSE(e.handle(msg("525400000001", 3, "350101 ff"), kServer, kServer, 4).fresh);
}
