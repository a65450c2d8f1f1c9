#pragma once
// Static files under one root directory: GET/HEAD, Range (single → 206, several →
// multipart/byteranges), If-None-Match / If-Modified-Since / If-Match / If-Unmodified-Since /
// If-Range, Content-Type by extension, Last-Modified, a strong ETag from inode+size+mtime, and a
// zero-copy FileBody. Never redirects; a directory is 404 (no listings); lookups are confined to
// the root by openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) (symlinks that stay inside the root
// work, ones that leave it are 404), with a /proc/self/fd check on kernels without openat2.
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace mb::http {

class StaticFiles {
public:
    // Throws mb::Error (kExitNoInput) when `root` is not a readable directory.
    explicit StaticFiles(std::string root);
    ~StaticFiles();
    StaticFiles(const StaticFiles&) = delete;
    StaticFiles& operator=(const StaticFiles&) = delete;

    // Serves `relative` (a decoded path inside the root, leading '/' optional) for `req`
    // (GET or HEAD; anything else → 405). 404 for missing files, directories and anything outside
    // the root, 403 for unreadable files.
    Response serve(const Request& req, std::string_view relative) const;

    const std::string& root() const { return root_; }

    // Opens `relative` beneath the root read-only; -1 with errno on failure (ENOENT, EXDEV for an
    // escape, ELOOP, EACCES ...).
    int open_beneath(std::string_view relative) const;

private:
    std::string root_;
    std::string real_root_;
    int root_fd_ = -1;
};

}  // namespace mb::http
