#include <catch2/catch.hpp>

#include "tftp/gso.hpp"

using namespace mb::tftp;

TEST_CASE("gso: DATA packets per send", "[tftp][gso]") {
    CHECK(gso_segments(1468) == 44);  // 44 * 1472 = 64,768 bytes
    CHECK(gso_segments(1468) * 1472 <= kGsoMaxBytes);
    CHECK((gso_segments(1468) + 1) * 1472 > kGsoMaxBytes);
    CHECK(gso_segments(512) == 64);  // the segment limit, not the byte limit
    CHECK(gso_segments(8) == 64);
    CHECK(gso_segments(1024) == 63);  // 63 * 1028 = 64,764
    CHECK(gso_segments(32752) == 1);  // two would be 65,512 bytes
    CHECK(gso_segments(32749) == 2);  // 2 * 32,753 = 65,506
    CHECK(gso_segments(65464) == 1);
}
