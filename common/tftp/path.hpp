#pragma once
// Request names to safe relative paths, and opening them confined to a root directory.
//
// normalize_name() is pure: `\` becomes `/`, leading `/` is stripped (an absolute name means "under
// the root"), `//` and `./` collapse; any `..` component, NUL, control character, an empty name or
// one longer than kMaxNameLength is refused with a short human-readable reason that never names a
// server path (the Pi shows TFTP error text to the user).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "tftp/packet.hpp"

namespace mb::tftp {

inline constexpr size_t kMaxNameLength = 255;

struct PathError {
    ErrorCode code = ErrorCode::access_violation;
    std::string message;  // goes on the wire
};

std::variant<std::string, PathError> normalize_name(std::string_view name);

// An open regular file (descriptor owned by the caller) and its size.
struct OpenedFile {
    int fd = -1;
    uint64_t size = 0;
};

// Opens `relative` (already normalised) read-only beneath the directory `root_fd` with
// openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS); on kernels without openat2
// (ENOSYS) walks the components with O_NOFOLLOW. `follow_symlinks_beneath` drops
// RESOLVE_NO_SYMLINKS (symlinks are then still confined to the root). Directories and special
// files are refused. Errors are PathErrors suitable for the wire (file not found / access violation).
std::variant<OpenedFile, PathError> open_beneath(int root_fd, const std::string& relative,
                                                 bool follow_symlinks_beneath = false);

// Opens the directory `relative` (already normalised) beneath root_fd with the same confinement
// (no symlinks at all); the descriptor is owned by the caller. For uploads.
std::variant<int, PathError> open_dir_beneath(int root_fd, const std::string& relative);

// Whether a regular file exists beneath root_fd (same confinement as open_beneath).
bool exists_beneath(int root_fd, const std::string& relative);

// Test hook: force the ENOSYS fallback walk.
void force_openat2_fallback(bool force);

}  // namespace mb::tftp
