#include <catch2/catch.hpp>

#include "tftp/options.hpp"
#include "tftp/receive.hpp"
#include "tftp/source.hpp"

using namespace mb::tftp;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> data(uint16_t block, size_t n, uint8_t fill = 'x') {
    std::vector<uint8_t> payload(n, fill);
    std::vector<uint8_t> out;
    encode_data(block, payload, out);
    return out;
}

std::vector<uint8_t> error(uint16_t code, std::string_view msg) {
    std::vector<uint8_t> out;
    encode_error(static_cast<ErrorCode>(code), msg, out);
    return out;
}

Negotiated blk(uint32_t blksize, bool oack = false) {
    Negotiated n;
    n.blksize = blksize;
    if (oack) n.oack.push_back({"blksize", std::to_string(blksize)});
    return n;
}

Request wrq(std::vector<Option> options, Mode mode = Mode::octet) {
    Request r;
    r.opcode = Opcode::wrq;
    r.filename = "up/x";
    r.mode = mode;
    r.options = std::move(options);
    return r;
}

}  // namespace

TEST_CASE("Receive: no options -> ACK 0, in-order blocks written, short block commits", "[tftp][receive]") {
    Time now{};
    Receive r(blk(512), 1 << 20);
    auto a = r.start(now);
    REQUIRE(a.send_ack == 0);
    CHECK_FALSE(a.send_oack);
    REQUIRE(a.timer);
    a = r.on_packet(data(1, 512), now);
    CHECK(a.write.size() == 512);
    CHECK(a.send_ack == 1);
    CHECK_FALSE(a.commit);
    a = r.on_packet(data(2, 100), now);
    CHECK(a.write.size() == 100);
    CHECK(a.commit);
    CHECK(a.send_ack == 2);
    CHECK_FALSE(a.done);  // dallying: a repeated last DATA is re-ACKed
    CHECK(r.committed());
    a = r.on_packet(data(2, 100), now);
    CHECK(a.write.empty());
    CHECK_FALSE(a.commit);
    CHECK(a.send_ack == 2);
    a = r.on_timer(now + 10s);
    CHECK(a.done);
    CHECK(r.outcome() == ReceiveOutcome::completed);
}

TEST_CASE("Receive: OACK first, resent on timeout; duplicate DATA re-ACKed, never written twice", "[tftp][receive]") {
    Time now{};
    Receive r(blk(8, true), 1 << 20, RetryPolicy{1000ms, 8000ms, 2});
    auto a = r.start(now);
    CHECK(a.send_oack);
    a = r.on_timer(now + 1s);
    CHECK(a.send_oack);
    CHECK(r.stats().retransmits == 1);
    a = r.on_duplicate_request(now + 1100ms);
    CHECK(a.send_oack);
    a = r.on_packet(data(1, 8), now + 1200ms);
    CHECK(a.write.size() == 8);
    a = r.on_packet(data(1, 8), now + 1300ms);  // our ACK 1 was lost
    CHECK(a.write.empty());
    CHECK(a.send_ack == 1);
    CHECK(r.stats().duplicates == 1);
    a = r.on_packet(data(3, 8), now + 1300ms);  // out of order: ignored
    CHECK(a.write.empty());
    CHECK_FALSE(a.send_ack);
    a = r.on_timer(now + 2300ms);  // no DATA 2: resend ACK 1
    CHECK(a.send_ack == 1);
}

TEST_CASE("Receive: the client goes away -> timed out after the retries, nothing committed", "[tftp][receive]") {
    Time now{};
    Receive r(blk(512), 1 << 20, RetryPolicy{1000ms, 2000ms, 2});
    r.start(now);
    r.on_packet(data(1, 512), now);
    auto a = r.on_timer(now + 1s);
    CHECK(a.send_ack == 1);
    a = r.on_timer(now + 3s);
    CHECK(a.send_ack == 1);
    a = r.on_timer(now + 5s);
    CHECK(a.done);
    CHECK(r.outcome() == ReceiveOutcome::timed_out);
    CHECK_FALSE(r.committed());
}

TEST_CASE("Receive: size limit ends with ERROR 3 before the excess is written", "[tftp][receive]") {
    Time now{};
    Receive r(blk(512), 1000);
    r.start(now);
    auto a = r.on_packet(data(1, 512), now);
    CHECK(a.write.size() == 512);
    a = r.on_packet(data(2, 512), now);
    CHECK(a.write.empty());
    CHECK(a.send_error == ErrorCode::disk_full);
    CHECK(a.done);
    CHECK(r.outcome() == ReceiveOutcome::too_large);
    CHECK_FALSE(r.committed());
}

TEST_CASE("Receive: client ERROR aborts; storage failure sends our ERROR", "[tftp][receive]") {
    Time now{};
    Receive r(blk(512), 1 << 20);
    r.start(now);
    auto a = r.on_packet(error(0, "cancelled"), now);
    CHECK(a.done);
    CHECK(r.outcome() == ReceiveOutcome::client_error);
    CHECK(r.stats().client_error == "cancelled");

    Receive s(blk(512), 1 << 20);
    s.start(now);
    a = s.on_packet(data(1, 3), now);
    CHECK(a.commit);
    a = s.storage_failed(ErrorCode::disk_full, "Disk full or allocation exceeded");
    CHECK(a.done);
    CHECK(a.send_error == ErrorCode::disk_full);
    CHECK_FALSE(a.send_ack);
    CHECK(s.outcome() == ReceiveOutcome::failed);
    CHECK_FALSE(s.committed());
}

TEST_CASE("Receive: block numbers wrap to 0 after 65535", "[tftp][receive]") {
    Time now{};
    Receive r(blk(8), 1ull << 30);
    r.start(now);
    for (uint32_t b = 1; b <= 65535; ++b) REQUIRE(r.on_packet(data(static_cast<uint16_t>(b), 8), now).send_ack == b);
    auto a = r.on_packet(data(0, 8), now);
    CHECK(a.write.size() == 8);
    CHECK(a.send_ack == 0);
    a = r.on_packet(data(1, 2), now);
    CHECK(a.commit);
    CHECK(r.stats().bytes == 65536ull * 8 + 2);
}

TEST_CASE("negotiate_write: blksize, tsize echoed, windowsize refused, junk ignored", "[tftp][receive]") {
    Limits l;
    auto n = negotiate_write(wrq({{"tsize", "1234"}, {"BLKSIZE", "1468"}, {"windowsize", "8"}, {"timeout", "3"}}), l);
    REQUIRE(n.oack.size() == 3);
    CHECK(n.oack[0] == Option{"blksize", "1468"});
    CHECK(n.oack[1] == Option{"tsize", "1234"});
    CHECK(n.oack[2] == Option{"timeout", "3"});
    CHECK(n.windowsize == 1);
    CHECK(announced_size(wrq({{"tsize", "1234"}})) == 1234u);
    CHECK_FALSE(announced_size(wrq({{"tsize", "enable"}})));
    CHECK(negotiate_write(wrq({{"tsize", "enable"}}), l).oack.empty());
}

TEST_CASE("NetasciiDecoder: CR LF and CR NUL across block boundaries", "[tftp][receive]") {
    NetasciiDecoder d;
    std::vector<uint8_t> out;
    const std::string a = "one\r";
    const std::string b = "\ntwo\r";
    const std::string c = std::string("\0three\r\n", 8);
    d.feed({reinterpret_cast<const uint8_t*>(a.data()), a.size()}, out);
    d.feed({reinterpret_cast<const uint8_t*>(b.data()), b.size()}, out);
    d.feed({reinterpret_cast<const uint8_t*>(c.data()), c.size()}, out);
    d.finish(out);
    CHECK(std::string(out.begin(), out.end()) == "one\ntwo\rthree\n");
    // Round trip with the encoder.
    const std::string text = "a\r\nb\rc\n\n\r";
    auto wire = to_netascii({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    NetasciiDecoder e;
    std::vector<uint8_t> back;
    for (size_t i = 0; i < wire.size(); i += 3)
        e.feed(std::span<const uint8_t>(wire).subspan(i, std::min<size_t>(3, wire.size() - i)), back);
    e.finish(back);
    CHECK(std::string(back.begin(), back.end()) == text);
}
