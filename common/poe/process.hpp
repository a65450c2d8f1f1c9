#pragma once
// Runs a shell command line with a deadline and captures its output (the command driver's edge).
#include <chrono>
#include <string>

namespace mb::poe {

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal or the deadline
    bool timed_out = false;
    std::string out;
    std::string err;
};

// Runs `/bin/sh -c command_line`, stdin from /dev/null; kills the process group at the deadline.
// Output beyond 64 KiB per stream is dropped. Throws kExitOsErr if the process cannot start.
ProcessResult run_shell(const std::string& command_line, std::chrono::milliseconds timeout);

// 'text' quoted for a POSIX shell.
std::string shell_quote(const std::string& text);

}  // namespace mb::poe
