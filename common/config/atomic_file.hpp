#pragma once
// Atomic file replacement: write a temp file in the same directory, fsync it, rename it over the
// target, fsync the directory. A reader sees the old or the new content, never a mix; a crash at
// any point leaves the previous version or the new one.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mb::config {

// Creates missing parent directories. Throws mb::Error (kExitCantCreate / kExitIoErr) naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Reads a whole file; nullopt if it does not exist. Throws mb::Error on other failures.
std::optional<std::string> read_file_if_exists(const std::filesystem::path& path);
// Reads a whole file; throws mb::Error(kExitNoInput) if missing.
std::string read_file(const std::filesystem::path& path);

// fsync a directory (after a rename or unlink inside it).
void fsync_directory(const std::filesystem::path& dir);

}  // namespace mb::config
