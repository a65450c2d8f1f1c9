#include <catch2/catch.hpp>

#include "daemon/daemon.hpp"

using namespace std::chrono_literals;

TEST_CASE("Backoff grows exponentially with jitter and is capped", "[daemon]") {
    mb::daemon::Backoff b(100ms, 2000ms);
    auto prev_max = 0ms;
    for (int i = 0; i < 10; ++i) {
        const auto base = std::min<std::chrono::milliseconds>(100ms * (1 << i), 2000ms);
        const auto d = b.next();
        CHECK(d >= base / 2);
        CHECK(d <= base);
        prev_max = std::max(prev_max, d);
    }
    CHECK(prev_max <= 2000ms);
    CHECK(b.attempts() == 10);
    b.reset();
    CHECK(b.next() <= 100ms);
}
