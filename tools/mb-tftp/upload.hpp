#pragma once
// The file side of a WRQ: where an upload may go (tftp.write_dirs), and writing it so that no
// partial file is ever visible. The bytes go to an unnamed O_TMPFILE file in the target directory
// (opened with openat2 beneath the served root, no symlinks), or a hidden named temp file where the
// file system lacks O_TMPFILE; commit() fsyncs it, links it to the target (no overwrite: linkat
// fails if the name exists) or renames it over the target (overwrite), and fsyncs the directory.
// Anything not committed disappears when the Upload is destroyed (abort, timeout, client error).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "tftp/path.hpp"

namespace mb::tftp {

struct UploadPolicy {
    std::vector<std::string> dirs;  // normalised directories under the root; empty: read-only
    uint64_t max_bytes = 0;
    bool overwrite = false;
};

// Normalises tftp.write_dirs entries; throws mb::ConfigError naming the bad entry.
std::vector<std::string> normalize_write_dirs(const std::vector<std::string>& dirs);

// True if `relative` (normalised) lies strictly beneath one of `dirs`.
bool write_allowed(const std::vector<std::string>& dirs, const std::string& relative);

class Upload {
public:
    // Creates the temp file for `relative` beneath root_fd. Errors are wire-safe: ERROR 6 when the
    // target exists and overwriting is off, ERROR 2 for a target that is not a regular file, ERROR 1
    // when the directory does not exist.
    static std::variant<std::unique_ptr<Upload>, PathError> create(int root_fd, const std::string& relative,
                                                                   bool overwrite);
    ~Upload();
    Upload(const Upload&) = delete;
    Upload& operator=(const Upload&) = delete;

    // Appends; false with errno set on failure.
    bool write(std::span<const uint8_t> bytes);
    // fsync + rename into place + fsync the directory. On failure the temp file is removed and a
    // wire-safe error is returned.
    std::optional<PathError> commit();
    uint64_t written() const { return written_; }

private:
    Upload(int dir_fd, int fd, std::string temp, std::string name, bool overwrite);
    void discard();
    bool link_unnamed(const std::string& target);

    int dir_fd_;
    int fd_;
    std::string temp_;
    std::string name_;
    bool overwrite_;
    bool committed_ = false;
    uint64_t written_ = 0;
};

}  // namespace mb::tftp
