// Fuzz target: the transfer state machine driven by arbitrary event sequences. The first bytes pick
// the file size, blksize, windowsize and OACK; then each step is a timer tick or a client packet
// (ACK near the window, duplicate RRQ, ERROR, raw junk). Invariants: blocks asked for are within
// [1, last_block], windows never exceed windowsize, a finished transfer asks for nothing, encoded
// DATA has the right length, and the transfer ends within a bounded number of timer expiries.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tftp/transfer.hpp"

using namespace mb::tftp;

namespace {
struct Reader {
    const uint8_t* p;
    size_t n;
    uint8_t u8() {
        if (!n) return 0;
        n--;
        return *p++;
    }
    uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader in{data, size};
    const size_t file_size = in.u16() % 20000;
    auto bytes = std::make_shared<std::vector<uint8_t>>(file_size, 0x5a);
    MemorySource src(bytes);
    Negotiated n;
    n.blksize = 8 + in.u16() % 1461;
    n.windowsize = static_cast<uint16_t>(1 + in.u8() % 64);
    if (in.u8() & 1) n.oack.push_back({"blksize", std::to_string(n.blksize)});
    RetryPolicy policy;
    policy.max_retries = 1 + in.u8() % 6;
    Transfer t(src, n, policy);
    Time now{};
    std::vector<uint8_t> buf(t.packet_capacity());
    auto check = [&](const Actions& a) {
        if (a.data_count) {
            if (a.data_first < 1 || a.data_first + a.data_count - 1 > t.last_block()) std::abort();
            if (a.data_count > n.windowsize) std::abort();
            for (uint64_t b = a.data_first; b < a.data_first + a.data_count; ++b) {
                const size_t len = t.encode_block(b, buf);
                const uint64_t off = (b - 1) * n.blksize;
                const size_t want = off >= file_size ? 0 : std::min<size_t>(n.blksize, file_size - off);
                if (len != 4 + want) std::abort();
            }
        }
        if (a.done && !t.finished()) std::abort();
    };
    check(t.start(now));
    uint64_t last_acked_wire = 0;
    unsigned timer_only = 0;
    while (in.n && !t.finished()) {
        const uint8_t op = in.u8();
        now += std::chrono::milliseconds(in.u8() * 16);
        Actions a;
        std::vector<uint8_t> pkt;
        switch (op % 6) {
            case 0: a = t.on_timer(now); break;
            case 1: a = t.on_duplicate_request(now); break;
            case 2:
                encode_ack(static_cast<uint16_t>(last_acked_wire + in.u8() % 70), pkt);
                a = t.on_packet(pkt, now);
                break;
            case 3:
                encode_ack(in.u16(), pkt);
                a = t.on_packet(pkt, now);
                break;
            case 4:
                if (in.u8() < 8) {
                    encode_error(static_cast<ErrorCode>(in.u8() % 9), "x", pkt);
                } else {
                    for (int i = in.u8() % 8; i > 0; --i) pkt.push_back(in.u8());
                }
                a = t.on_packet(pkt, now);
                break;
            default: {
                // A well-behaved ACK of the current window's end.
                encode_ack(static_cast<uint16_t>(last_acked_wire + n.windowsize), pkt);
                a = t.on_packet(pkt, now);
            }
        }
        check(a);
        if (a.data_count) last_acked_wire = (a.data_first - 1) & 0xffff;
    }
    // Only timers from here on: the transfer must end after a bounded number of expiries.
    while (!t.finished()) {
        if (++timer_only > 64 * (policy.max_retries + 2)) std::abort();
        Actions a = t.on_timer(t.deadline());
        check(a);
        if (!t.finished() && !a.timer && !a.done) std::abort();
    }
    if (t.outcome() == Outcome::running) std::abort();
    return 0;
}
