#pragma once
// mb::Error: an error that carries the exit code a one-shot command should end with. Messages name
// what was wrong (file, line, key, offset, packet field) and never need a stack trace to be useful.
#include <stdexcept>
#include <string>

#include "core/exit_codes.hpp"

namespace mb {

class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

private:
    ExitCode code_;
};

// A usage error (exit 64).
inline Error usage_error(const std::string& message) { return Error(kExitUsage, message); }
// Malformed input data (exit 65).
inline Error data_error(const std::string& message) { return Error(kExitDataErr, message); }
// An invalid configuration (exit 78).
inline Error config_error(const std::string& message) { return Error(kExitConfig, message); }
// An I/O failure (exit 74); appends strerror(errnum) when errnum != 0.
Error io_error(const std::string& message, int errnum = 0);
// A missing input (exit 66).
inline Error no_input(const std::string& message) { return Error(kExitNoInput, message); }

}  // namespace mb
