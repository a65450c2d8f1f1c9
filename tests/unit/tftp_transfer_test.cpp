#include <catch2/catch.hpp>
#include <numeric>

#include "tftp/options.hpp"
#include "tftp/transfer.hpp"

using namespace mb::tftp;
using namespace std::chrono_literals;

namespace {

Bytes pattern(size_t n) {
    auto v = std::make_shared<std::vector<uint8_t>>(n);
    for (size_t i = 0; i < n; ++i) (*v)[i] = static_cast<uint8_t>(i * 7 + i / 251);
    return v;
}

std::vector<uint8_t> ack(uint16_t block) {
    std::vector<uint8_t> out;
    encode_ack(block, out);
    return out;
}

std::vector<uint8_t> error(uint16_t code, std::string_view msg) {
    std::vector<uint8_t> out;
    encode_error(static_cast<ErrorCode>(code), msg, out);
    return out;
}

Negotiated plain(uint32_t blksize = 512, uint16_t window = 1, bool oack = false) {
    Negotiated n;
    n.blksize = blksize;
    n.windowsize = window;
    if (oack) n.oack.push_back({"blksize", std::to_string(blksize)});
    return n;
}

// Collects DATA packets that an Actions asked for.
struct Wire {
    Transfer& t;
    std::vector<std::vector<uint8_t>> sent;
    void take(const Actions& a) {
        for (uint64_t b = a.data_first; b < a.data_first + a.data_count; ++b) {
            std::vector<uint8_t> buf(t.packet_capacity());
            buf.resize(t.encode_block(b, buf));
            sent.push_back(std::move(buf));
        }
    }
};

uint16_t block_of(const std::vector<uint8_t>& pkt) {
    return static_cast<uint16_t>(pkt[2] << 8 | pkt[3]);
}

// A well-behaved client: ACKs each window's last block, reassembles, returns the file.
std::vector<uint8_t> run_client(Transfer& t, Time& now, uint64_t* packets = nullptr) {
    Wire w{t, {}};
    Actions a = t.start(now);
    if (a.send_oack) a = t.on_packet(ack(0), now);
    std::vector<uint8_t> file;
    uint64_t n = 0;
    while (!a.done) {
        REQUIRE(a.data_count > 0);
        w.sent.clear();
        w.take(a);
        n += w.sent.size();
        for (auto& p : w.sent) file.insert(file.end(), p.begin() + 4, p.end());
        now += 1ms;
        a = t.on_packet(ack(block_of(w.sent.back())), now);
    }
    if (packets) *packets = n;
    return file;
}

}  // namespace

TEST_CASE("Small file without options: DATA 1 directly, ACK 1 completes", "[tftp][transfer]") {
    MemorySource src(pattern(100));
    Transfer t(src, plain());
    Time now{};
    auto a = t.start(now);
    CHECK_FALSE(a.send_oack);
    CHECK(a.data_first == 1);
    CHECK(a.data_count == 1);
    REQUIRE(a.timer);
    CHECK(*a.timer == now + 1000ms);
    a = t.on_packet(ack(1), now + 5ms);
    CHECK(a.done);
    CHECK(t.outcome() == Outcome::completed);
}

TEST_CASE("Files of 0 bytes, exact multiples and odd sizes arrive intact", "[tftp][transfer]") {
    for (size_t size : {size_t{0}, size_t{1}, size_t{511}, size_t{512}, size_t{1024}, size_t{1025}, size_t{512 * 7}}) {
        for (uint16_t window : {uint16_t{1}, uint16_t{4}, uint16_t{32}}) {
            INFO("size " << size << " window " << window);
            auto bytes = pattern(size);
            MemorySource src(bytes);
            Transfer t(src, plain(512, window, true));
            Time now{};
            uint64_t packets = 0;
            auto file = run_client(t, now, &packets);
            CHECK(file == *bytes);
            CHECK(packets == size / 512 + 1);  // exact multiples end with an empty DATA
            CHECK(t.outcome() == Outcome::completed);
            CHECK(t.stats().retransmits == 0);
        }
    }
}

TEST_CASE("RPI_EFI.fd at blksize 1024 ends with empty DATA 3905", "[tftp][transfer]") {
    auto bytes = pattern(3997696);
    MemorySource src(bytes);
    Transfer t(src, plain(1024, 1, true));
    CHECK(t.last_block() == 3905);
    std::vector<uint8_t> buf(t.packet_capacity());
    CHECK(t.encode_block(3905, buf) == 4);
    CHECK(t.encode_block(3904, buf) == 4 + 1024);
}

TEST_CASE("OACK is retransmitted (not DATA) until ACK 0, with backoff", "[tftp][transfer]") {
    MemorySource src(pattern(3000));
    Transfer t(src, plain(1468, 1, true));
    Time now{};
    auto a = t.start(now);
    CHECK(a.send_oack);
    CHECK(a.data_count == 0);
    CHECK(*a.timer == now + 1000ms);
    // Early timer: nothing sent, re-armed to the same deadline.
    auto early = t.on_timer(now + 500ms);
    CHECK_FALSE(early.send_oack);
    CHECK(*early.timer == now + 1000ms);
    a = t.on_timer(now + 1000ms);
    CHECK(a.send_oack);
    CHECK(a.data_count == 0);
    CHECK(*a.timer == now + 1000ms + 2000ms);
    a = t.on_timer(now + 3000ms);
    CHECK(a.send_oack);
    CHECK(*a.timer == now + 3000ms + 4000ms);
    // A stray ACK 1 while waiting for ACK 0 does nothing.
    CHECK(t.on_packet(ack(1), now + 3100ms).data_count == 0);
    a = t.on_packet(ack(0), now + 3200ms);
    CHECK(a.data_first == 1);
    CHECK(a.data_count == 1);
    CHECK(*a.timer == now + 3200ms + 1000ms);  // backoff reset on progress
    CHECK(t.stats().retransmits == 2);
}

TEST_CASE("Lost OACK: a duplicate RRQ is answered with the OACK from the same session", "[tftp][transfer]") {
    MemorySource src(pattern(10));
    Transfer t(src, plain(512, 1, true));
    Time now{};
    t.start(now);
    auto a = t.on_duplicate_request(now + 300ms);
    CHECK(a.send_oack);
    a = t.on_packet(ack(0), now + 400ms);
    CHECK(a.data_count == 1);
    // Once sending, another duplicate RRQ does not restart anything.
    auto d = t.on_duplicate_request(now + 500ms);
    CHECK_FALSE(d.send_oack);
    CHECK(d.data_count == 0);
}

TEST_CASE("Lost DATA 1 without options: a duplicate RRQ resends DATA 1", "[tftp][transfer]") {
    MemorySource src(pattern(10));
    Transfer t(src, plain());
    Time now{};
    t.start(now);
    auto a = t.on_duplicate_request(now + 300ms);
    CHECK(a.data_first == 1);
    CHECK(a.data_count == 1);
}

TEST_CASE("Duplicate ACKs never trigger a resend (Sorcerer's Apprentice)", "[tftp][transfer]") {
    MemorySource src(pattern(5000));
    Transfer t(src, plain(512));
    Time now{};
    t.start(now);
    auto a = t.on_packet(ack(1), now + 1ms);
    CHECK(a.data_first == 2);
    for (int i = 0; i < 5; ++i) {
        auto d = t.on_packet(ack(1), now + 2ms);
        CHECK(d.data_count == 0);
        CHECK_FALSE(d.timer);
    }
    CHECK(t.stats().duplicate_acks == 5);
    CHECK(t.stats().retransmits == 0);
    // ACK 0 after DATA 2 is stale: also ignored.
    CHECK(t.on_packet(ack(0), now + 3ms).data_count == 0);
    // A future ACK beyond the window is ignored.
    CHECK(t.on_packet(ack(7), now + 3ms).data_count == 0);
    a = t.on_packet(ack(2), now + 4ms);
    CHECK(a.data_first == 3);
}

TEST_CASE("Lost ACK: the timeout resends the current DATA block", "[tftp][transfer]") {
    MemorySource src(pattern(2000));
    Transfer t(src, plain(512));
    Time now{};
    t.start(now);
    auto a = t.on_packet(ack(1), now + 10ms);
    REQUIRE(a.data_first == 2);
    a = t.on_timer(*a.timer);
    CHECK(a.data_first == 2);
    CHECK(a.data_count == 1);
    CHECK(t.stats().retransmits == 1);
    a = t.on_packet(ack(2), now + 2000ms);
    CHECK(a.data_first == 3);
}

TEST_CASE("Windowsize: partial ACK restarts the window after the ACKed block", "[tftp][transfer]") {
    MemorySource src(pattern(512 * 20));
    Transfer t(src, plain(512, 4, true));
    Time now{};
    t.start(now);
    auto a = t.on_packet(ack(0), now);
    CHECK(a.data_first == 1);
    CHECK(a.data_count == 4);
    a = t.on_packet(ack(4), now + 1ms);
    CHECK(a.data_first == 5);
    CHECK(a.data_count == 4);
    // Block 7 lost: the client ACKs 6.
    a = t.on_packet(ack(6), now + 2ms);
    CHECK(a.data_first == 7);
    CHECK(a.data_count == 4);
    // The whole window lost: timeout resends 7..10.
    a = t.on_timer(*a.timer);
    CHECK(a.data_first == 7);
    CHECK(a.data_count == 4);
    CHECK(t.stats().retransmits == 4);
    // Last window is short: 21 blocks in total (20 full + empty).
    a = t.on_packet(ack(10), now + 5s);
    a = t.on_packet(ack(14), now + 5s);
    a = t.on_packet(ack(18), now + 5s);
    CHECK(a.data_first == 19);
    CHECK(a.data_count == 3);
    a = t.on_packet(ack(21), now + 5s);
    CHECK(a.done);
    CHECK(t.outcome() == Outcome::completed);
}

TEST_CASE("More than 65535 blocks: the wire block wraps to 0 and ACKs match modulo 65536", "[tftp][transfer]") {
    for (uint16_t window : {uint16_t{1}, uint16_t{4}, uint16_t{7}}) {
        INFO("window " << window);
        const size_t size = 512 * 65536 + 300;  // 65537 blocks
        auto bytes = pattern(size);
        MemorySource src(bytes);
        Transfer t(src, plain(512, window, true));
        Time now{};
        std::vector<uint8_t> buf(t.packet_capacity());
        auto a = t.start(now);
        a = t.on_packet(ack(0), now);
        uint64_t expected = 1;
        bool saw_zero = false;
        while (!a.done) {
            REQUIRE(a.data_first == expected);
            uint16_t last_wire = 0;
            for (uint64_t b = a.data_first; b < a.data_first + a.data_count; ++b) {
                t.encode_block(b, buf);
                last_wire = static_cast<uint16_t>(buf[2] << 8 | buf[3]);
                REQUIRE(last_wire == static_cast<uint16_t>(b & 0xffff));
                if (last_wire == 0) saw_zero = true;
            }
            expected = a.data_first + a.data_count;
            a = t.on_packet(ack(last_wire), now);
        }
        CHECK(saw_zero);
        CHECK(t.outcome() == Outcome::completed);
        CHECK(t.last_block() == 65537);
        CHECK(t.stats().bytes_acked == size);
    }
}

TEST_CASE("A stale ACK from before the wrap is not taken for a future block", "[tftp][transfer]") {
    const size_t size = 512 * 65540;
    MemorySource src(pattern(size));
    Transfer t(src, plain(512, 4, true));
    Time now{};
    t.start(now);
    auto a = t.on_packet(ack(0), now);
    // Walk up to block 65532 window by window.
    for (uint64_t last = 4; last < 65536; last += 4) a = t.on_packet(ack(static_cast<uint16_t>(last)), now);
    // Window is now 65533..65536 (wire 65533,65534,65535,0).
    REQUIRE(a.data_first == 65533);
    CHECK(t.on_packet(ack(65532), now).data_count == 0);  // duplicate
    CHECK(t.on_packet(ack(1), now).data_count == 0);      // beyond the window (block 65537)
    a = t.on_packet(ack(0), now);                         // block 65536
    CHECK(a.data_first == 65537);
}

TEST_CASE("Pi tsize probe: ERROR 0 'Early terminate' after OACK is a normal end", "[tftp][transfer]") {
    MemorySource src(pattern(100));
    Negotiated n = plain(1468, 1, true);
    n.tsize = true;
    Transfer t(src, n);
    Time now{};
    t.start(now);
    auto a = t.on_packet(error(0, "Early terminate"), now + 1ms);
    CHECK(a.done);
    CHECK(t.outcome() == Outcome::probe_aborted);
    CHECK(outcome_ok(t.outcome()));
    CHECK(t.stats().client_error == "Early terminate");
}

TEST_CASE("EDK2 probe: ERROR 8 after OACK is a normal end", "[tftp][transfer]") {
    MemorySource src(pattern(100));
    Transfer t(src, plain(1468, 4, true));
    Time now{};
    t.start(now);
    t.on_packet(error(8, "User aborted the transfer"), now);
    CHECK(t.outcome() == Outcome::probe_aborted);
}

TEST_CASE("ERROR during DATA ends the transfer as a client error, nothing is sent back", "[tftp][transfer]") {
    MemorySource src(pattern(5000));
    Transfer t(src, plain());
    Time now{};
    t.start(now);
    auto a = t.on_packet(error(3, "Disk full"), now);
    CHECK(a.done);
    CHECK(a.data_count == 0);
    CHECK(t.outcome() == Outcome::client_error);
    CHECK_FALSE(outcome_ok(t.outcome()));
    // Events after the end do nothing.
    CHECK(t.on_timer(now + 10s).data_count == 0);
    CHECK(t.on_packet(ack(1), now).data_count == 0);
}

TEST_CASE("A client that never sends the final ACK ends quietly; one that vanishes times out", "[tftp][transfer]") {
    MemorySource src(pattern(700));
    RetryPolicy p;
    p.max_retries = 3;
    {
        Transfer t(src, plain(512), p);
        Time now{};
        t.start(now);
        auto a = t.on_packet(ack(1), now);
        REQUIRE(a.data_first == 2);  // the last block
        int resends = 0;
        while (!a.done) {
            a = t.on_timer(*a.timer);
            if (a.data_count) resends++;
        }
        CHECK(resends == 3);
        CHECK(t.outcome() == Outcome::completed_unacked);
        CHECK(outcome_ok(t.outcome()));
    }
    {
        Transfer t(src, plain(512), p);
        Time now{};
        auto a = t.start(now);
        // Nothing ever ACKed while block 2 is still to come.
        while (!a.done) a = t.on_timer(*a.timer);
        CHECK(t.outcome() == Outcome::timed_out);
    }
    {
        Transfer t(src, plain(512, 1, true), p);
        Time now{};
        auto a = t.start(now);
        while (!a.done) a = t.on_timer(*a.timer);
        CHECK(t.outcome() == Outcome::timed_out);
        CHECK(t.stats().retransmits == 3);
    }
}

TEST_CASE("Backoff: 1, 2, 4, 8, 8 s by default; a negotiated timeout is used as is", "[tftp][transfer]") {
    MemorySource src(pattern(700));
    {
        Transfer t(src, plain());
        Time now{};
        auto a = t.start(now);
        std::vector<long> gaps;
        while (!a.done) {
            Time at = *a.timer;
            gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count());
            now = at;
            a = t.on_timer(now);
        }
        CHECK(gaps == std::vector<long>{1000, 2000, 4000, 8000, 8000, 8000});
    }
    {
        Negotiated n = plain(512, 1, true);
        n.timeout_s = 3;
        Transfer t(src, n);
        Time now{};
        auto a = t.start(now);
        CHECK(*a.timer == now + 3s);
        a = t.on_timer(now + 3s);
        CHECK(*a.timer == now + 6s);
    }
}

TEST_CASE("Garbage and unexpected packets on the transfer are ignored", "[tftp][transfer]") {
    MemorySource src(pattern(1000));
    Transfer t(src, plain());
    Time now{};
    t.start(now);
    const std::vector<uint8_t> junk = {0, 9, 1};
    CHECK(t.on_packet(junk, now).data_count == 0);
    std::vector<uint8_t> data;
    encode_data(1, std::vector<uint8_t>{1, 2}, data);
    CHECK(t.on_packet(data, now).data_count == 0);
    CHECK(t.stats().stray_packets == 2);
    CHECK_FALSE(t.finished());
}

TEST_CASE("ICMP port unreachable ends the transfer at once, no more retransmits", "[tftp][transfer]") {
    MemorySource src(pattern(5000));
    Transfer t(src, plain());
    Time now{};
    t.start(now);
    auto a = t.peer_unreachable();
    CHECK(a.done);
    CHECK(t.finished());
    CHECK(t.outcome() == Outcome::unreachable);
    CHECK(outcome_name(t.outcome()) == "unreachable");
    CHECK_FALSE(outcome_ok(t.outcome()));
    CHECK(t.on_timer(now + 10s).data_count == 0);
    CHECK(t.stats().retransmits == 0);
}

TEST_CASE("ReadAheadSource: same bytes as the inner source, far fewer inner reads", "[tftp][transfer]") {
    auto bytes = pattern(100000);
    auto inner = std::make_shared<MemorySource>(bytes);
    ReadAheadSource ra(inner, 16 * 1024, 2);
    std::vector<uint8_t> out(1468);
    uint64_t blocks = 0;
    for (uint64_t off = 0; off < bytes->size(); off += 1468, ++blocks) {
        const size_t n = ra.read(off, out);
        REQUIRE(n == std::min<uint64_t>(1468, bytes->size() - off));
        REQUIRE(std::equal(out.begin(), out.begin() + static_cast<long>(n), bytes->begin() + static_cast<long>(off)));
    }
    CHECK(ra.inner_reads() <= 2 + bytes->size() / (16 * 1024) + 2);
    CHECK(ra.inner_reads() < blocks / 5);
    // Going back (a window retransmission) refills from that offset.
    REQUIRE(ra.read(1468, out) == 1468);
    CHECK(std::equal(out.begin(), out.end(), bytes->begin() + 1468));
    CHECK(ra.read(bytes->size(), out) == 0);
    // A transfer run over it is byte-identical.
    auto wrapped = std::make_shared<ReadAheadSource>(inner);
    Transfer t(*wrapped, plain(1468, 4, true));
    Time now{};
    CHECK(run_client(t, now) == *bytes);
}
