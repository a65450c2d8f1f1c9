#pragma once
// Adaptive busy polling for the reply a transfer waits on (the next ACK of a lock-step or windowed
// read, the next DATA of an upload). On a machine whose idle CPUs halt, every round trip of a
// lock-step transfer pays a sleep and a wake-up of the server; spinning for a bounded time on the
// transfer's socket instead saves that wake-up when the client answers quickly (loopback, a LAN
// client that answers in tens of microseconds). Pure policy, no I/O: the server asks whether to
// spin, spins for at most budget(), and reports whether the reply came in time.
//
// Rules: disabled when the budget is 0 or more transfers are active than `max_sessions` (then the
// event loop has other work and rarely sleeps); a spin that runs out of budget doubles the number of
// waits that skip spinning (up to `max_skip`), so a slow client (a Pi across a switch, a client
// that stalls) costs at most one budget per many blocks; a reply within budget resets the backoff.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace mb::tftp {

struct BusyPollPolicy {
    std::chrono::microseconds budget{0};  // 0: never spin
    size_t max_sessions = 4;              // spin only while at most this many transfers are active
    uint32_t max_skip = 256;              // longest backoff, in waits
};

class BusyPoll {
public:
    explicit BusyPoll(BusyPollPolicy policy = {}) : policy_(policy) {}

    // Whether the coming wait should spin, given the number of active transfers. Consumes one
    // backoff step when it says no because of an earlier miss.
    bool should_spin(size_t active_sessions);
    // The spin saw the reply within the budget.
    void hit();
    // The budget ran out (or another socket needed the loop first) before the reply.
    void miss();

    std::chrono::microseconds budget() const { return policy_.budget; }
    uint32_t backoff() const { return backoff_; }
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }

private:
    BusyPollPolicy policy_;
    uint32_t backoff_ = 0;  // waits to skip after the latest miss (0, 1, 2, 4 ... max_skip)
    uint32_t skip_ = 0;     // waits still to skip
    uint64_t hits_ = 0;
    uint64_t misses_ = 0;
};

}  // namespace mb::tftp
