#pragma once
// Which log level and format a program runs with: --log-level/--log-format on the command line
// win; otherwise the config tree's log.level/log.format (metal-boot.yaml), applied by every
// load and reload of the tree (one-shot verbs and daemons alike); otherwise info/text.
#include <string>
#include <string_view>

namespace mb::log {

// The command line's choices; empty = not given. Call once, after parsing.
void set_command_line(std::string level, std::string format);

// Applies the config's level and format (empty = the default) where the command line gave none.
// Throws mb::Error(kExitUsage) for an unknown name (the config schema already rejects those).
void apply_config(std::string_view level, std::string_view format);

}  // namespace mb::log
