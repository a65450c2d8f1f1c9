// log/settings: the command line's --log-level wins over the config tree's log.level.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "log/log.hpp"
#include "log/settings.hpp"

using mb::log::Level;

TEST_CASE("Log level: command line over config over the default", "[log]") {
    SECTION("no command-line choice: the config applies, empty means info") {
        mb::log::set_command_line("", "");
        mb::log::apply_config("warn", "text");
        CHECK(mb::log::level() == Level::warn);
        mb::log::apply_config("", "");
        CHECK(mb::log::level() == Level::info);
    }
    SECTION("--log-level given: every config load keeps it") {
        mb::log::set_command_line("error", "");
        mb::log::apply_config("debug", "text");
        CHECK(mb::log::level() == Level::error);
        mb::log::apply_config("trace", "json");
        CHECK(mb::log::level() == Level::error);
    }
    SECTION("an unknown name is a usage error") {
        mb::log::set_command_line("", "");
        CHECK_THROWS_AS(mb::log::apply_config("loud", "text"), mb::Error);
    }
    mb::log::set_command_line("", "");
    mb::log::apply_config("", "");
}
