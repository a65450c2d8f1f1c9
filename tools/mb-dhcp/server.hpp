#pragma once
// `mb-dhcp serve`: the socket loop (one io_context) around dhcp::Service.
#include "cli/tool.hpp"
#include "options.hpp"

namespace mb::dhcp_tool {

// Runs under mb::daemon::Daemon (signals, reload on tree changes, sd_notify); `cmd` tells which
// settings were given as flags (they win over metal-boot.yaml).
int serve(const cli::GlobalOptions& global, Options options, const CLI::App& cmd);

}  // namespace mb::dhcp_tool
