#include <catch2/catch.hpp>

#include "tftp/busy_poll.hpp"

using namespace mb::tftp;
using namespace std::chrono_literals;

namespace {

// How many of the next `n` waits would spin.
int spins(BusyPoll& b, int n, size_t active = 1) {
    int s = 0;
    for (int i = 0; i < n; ++i) s += b.should_spin(active) ? 1 : 0;
    return s;
}

}  // namespace

TEST_CASE("busy poll: a zero budget never spins", "[tftp][busy_poll]") {
    BusyPoll b({0us, 4, 256});
    CHECK(spins(b, 10) == 0);
}

TEST_CASE("busy poll: spins while few transfers are active", "[tftp][busy_poll]") {
    BusyPoll b({30us, 4, 256});
    CHECK(b.should_spin(1));
    CHECK(b.should_spin(4));
    CHECK_FALSE(b.should_spin(5));
    CHECK_FALSE(b.should_spin(200));
    CHECK(b.budget() == 30us);
}

TEST_CASE("busy poll: misses back off exponentially, a hit resets", "[tftp][busy_poll]") {
    BusyPoll b({30us, 4, 8});
    b.miss();
    CHECK(b.backoff() == 1);
    CHECK_FALSE(b.should_spin(1));  // skips one wait
    CHECK(b.should_spin(1));
    b.miss();
    CHECK(b.backoff() == 2);
    CHECK(spins(b, 3) == 1);  // two skipped, then a spin
    b.miss();
    CHECK(b.backoff() == 4);
    b.miss();
    CHECK(b.backoff() == 8);
    b.miss();
    CHECK(b.backoff() == 8);  // capped at max_skip
    CHECK(spins(b, 8) == 0);
    CHECK(b.should_spin(1));
    b.hit();
    CHECK(b.backoff() == 0);
    CHECK(spins(b, 5) == 5);
    CHECK(b.hits() == 1);
    CHECK(b.misses() == 5);
}

TEST_CASE("busy poll: a hit during the backoff ends it at once", "[tftp][busy_poll]") {
    BusyPoll b({30us, 4, 256});
    for (int i = 0; i < 6; ++i) b.miss();
    CHECK(b.backoff() == 32);
    b.hit();
    CHECK(b.should_spin(1));
}

TEST_CASE("busy poll: too many transfers does not consume the backoff", "[tftp][busy_poll]") {
    BusyPoll b({30us, 2, 256});
    b.miss();
    CHECK_FALSE(b.should_spin(3));  // refused for load, the skip is still owed
    CHECK_FALSE(b.should_spin(1));  // the skipped wait
    CHECK(b.should_spin(1));
}
