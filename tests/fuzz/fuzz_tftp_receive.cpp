// Fuzz target: the receive (WRQ) state machine driven by arbitrary event sequences. The first bytes
// pick blksize, OACK, size limit and retries; then each step is a timer tick or a client packet
// (DATA near the expected block with a chosen length, duplicate WRQ, ERROR, raw junk). Invariants:
// the bytes asked to be written never exceed the limit and equal the accepted DATA payloads, a
// commit happens at most once and only with a short block, nothing is written after the commit,
// a finished session asks for nothing, and it ends within a bounded number of timer expiries.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tftp/receive.hpp"

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
    Negotiated n;
    n.blksize = 8 + in.u16() % 1461;
    if (in.u8() & 1) n.oack.push_back({"blksize", std::to_string(n.blksize)});
    const uint64_t limit = in.u16();
    RetryPolicy policy;
    policy.max_retries = 1 + in.u8() % 6;
    Receive r(n, limit, policy);
    Time now{};
    uint64_t written = 0;
    unsigned commits = 0;
    uint16_t expected = 1;
    auto check = [&](const ReceiveActions& a) {
        if (commits && !a.write.empty()) std::abort();
        written += a.write.size();
        if (written > limit) std::abort();
        if (a.write.size() > n.blksize) std::abort();
        if (a.commit) {
            if (++commits > 1 || a.write.size() >= n.blksize) std::abort();
        }
        if (!a.write.empty()) expected++;
        if (a.done && !r.finished()) std::abort();
    };
    check(r.start(now));
    unsigned timer_only = 0;
    std::vector<uint8_t> pkt;
    while (in.n && !r.finished()) {
        const uint8_t op = in.u8();
        now += std::chrono::milliseconds(in.u8() * 16);
        switch (op % 6) {
            case 0:
                check(r.on_timer(now));
                timer_only++;
                break;
            case 1:
            case 2: {
                const auto block = static_cast<uint16_t>(expected + static_cast<int8_t>(in.u8() % 5) - 2);
                const size_t len = in.u8() & 1 ? n.blksize : in.u16() % (n.blksize + 2);
                std::vector<uint8_t> payload(len, 0x33);
                encode_data(block, payload, pkt);
                const uint64_t before = written;
                check(r.on_packet(pkt, now));
                if (written != before) timer_only = 0;
                break;
            }
            case 3: check(r.on_duplicate_request(now)); break;
            case 4:
                encode_error(ErrorCode::undefined, "x", pkt);
                if (in.u8() & 1) check(r.on_packet(pkt, now));
                break;
            default: {
                std::vector<uint8_t> junk(in.u8() % 16);
                for (auto& b : junk) b = in.u8();
                check(r.on_packet(junk, now));
            }
        }
        if (timer_only > 200) std::abort();
    }
    // Only timers from here on: the session must end.
    for (int i = 0; i < 64 && !r.finished(); ++i) {
        now += std::chrono::seconds(300);
        check(r.on_timer(now));
    }
    if (!r.finished()) std::abort();
    if (r.committed() != (r.outcome() == ReceiveOutcome::completed)) std::abort();
    return 0;
}
