#include <catch2/catch.hpp>

#include "core/strings.hpp"
#include "log/log.hpp"

TEST_CASE("hex, integers and suggestions", "[core]") {
    CHECK(mb::to_hex(std::vector<uint8_t>{0x00, 0xab, 0xff}) == "00abff");
    CHECK(*mb::parse_hex("00:AB-ff") == std::vector<uint8_t>{0x00, 0xab, 0xff});
    CHECK_FALSE(mb::parse_hex("0"));
    CHECK_FALSE(mb::parse_hex("zz"));
    CHECK(*mb::parse_uint("0x10") == 16);
    CHECK_FALSE(mb::parse_uint("18446744073709551616"));
    CHECK_FALSE(mb::parse_uint("7", 6));
    CHECK(mb::quoted("a\nb") == "'a\\x0ab'");
    CHECK(mb::closest_match("alow_pxe", {"allow_pxe", "arch"}) == "allow_pxe");
    CHECK_FALSE(mb::closest_match("zzzzzz", {"allow_pxe", "arch"}));
    CHECK(mb::split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
    CHECK(mb::split("a,,b", ',', true) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("RateLimiter allows a burst, then counts suppressed messages", "[log]") {
    mb::log::RateLimiter limiter(1.0, 3.0);
    auto t = std::chrono::steady_clock::now();
    uint64_t suppressed = 0;
    int allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += limiter.allow_at(t, suppressed);
    CHECK(allowed == 3);
    CHECK(limiter.allow_at(t + std::chrono::seconds(2), suppressed));
    CHECK(suppressed == 7);
}

TEST_CASE("iequals folds ASCII case only", "[core]") {
    CHECK(mb::iequals("Content-Length", "content-LENGTH"));
    CHECK(mb::iequals("", ""));
    CHECK_FALSE(mb::iequals("Date", "Dates"));
    CHECK_FALSE(mb::iequals("a", "b"));
    CHECK_FALSE(mb::iequals("@", "`"));  // 0x40 / 0x60: not letters, not folded
    CHECK_FALSE(mb::iequals("[", "{"));
    CHECK(mb::iequals("\xc3\x84", "\xc3\x84"));
    CHECK_FALSE(mb::iequals("\xc3\x84", "\xc3\xa4"));  // UTF-8 Ä/ä: bytes compared as they are
    CHECK(mb::starts_with_icase("Basic abc", "basic "));
}
