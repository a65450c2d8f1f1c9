#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "device/mac.hpp"
#include "device/pi_serial.hpp"

using mb::device::BoardRevision;
using mb::device::Mac;
using mb::device::PiSerial;

TEST_CASE("Mac parses every common spelling to the same address", "[device][mac]") {
    const auto expected = Mac::parse("dc:a6:32:01:02:03");
    REQUIRE(expected);
    for (const char* text : {"DC:A6:32:01:02:03", "dc-a6-32-01-02-03", "DC-A6-32-01-02-03", "dca632010203",
                             "DCA632010203", "dca6.3201.0203", "01-dc-a6-32-01-02-03", "  dc:a6:32:01:02:03 "}) {
        INFO(text);
        auto m = Mac::parse(text);
        REQUIRE(m);
        CHECK(*m == *expected);
    }
    CHECK(expected->colon() == "dc:a6:32:01:02:03");
    CHECK(expected->dashed() == "dc-a6-32-01-02-03");
    CHECK(expected->bare() == "dca632010203");
    CHECK(expected->upper_bare() == "DCA632010203");
    CHECK(expected->oui() == 0xdca632);
}

TEST_CASE("Mac rejects malformed text", "[device][mac]") {
    for (const char* text : {"", "dc:a6:32:01:02", "dc:a6:32:01:02:03:04", "dc:a6-32:01:02:03", "dc:a6:32:01:02:0g",
                             "dca63201020", "d:ca6:32:01:02:03", "dca6.32010203", "xx"}) {
        INFO(text);
        CHECK_FALSE(Mac::parse(text));
    }
    CHECK_THROWS_AS(Mac::parse_or_throw("nope"), mb::Error);
}

TEST_CASE("PiSerial and BoardRevision", "[device][pi]") {
    auto s = PiSerial::parse("5B154510");
    REQUIRE(s);
    CHECK(s->str() == "5b154510");
    CHECK(PiSerial::parse("100000005b154510")->value() == 0x5b154510u);
    CHECK_FALSE(PiSerial::parse("5b15451"));
    CHECK_FALSE(PiSerial::parse("5b15451z"));
    BoardRevision r{0xd03114};
    CHECK(r.model() == "Raspberry Pi 4 Model B");
    CHECK(r.memory_mib() == 8192);
    CHECK(BoardRevision{0xa03111}.memory_mib() == 1024);
    CHECK(BoardRevision{0xc03130}.model() == "Raspberry Pi 400");
}
