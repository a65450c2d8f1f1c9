#pragma once
// SHA-256 of a file that is still being written (the cache's <name>.part), kept off the path that
// serves it: a thread at the lowest CPU priority (nice 19) reads back what is already written and
// hashes it with CPU time the download and the clients leave idle. When the download ends, finish()
// stops that thread and hashes the rest on the calling thread at its normal priority, so the cache
// entry is committed (renamed, sidecar written) only after every byte on disk is hashed: the sidecar
// is the digest of exactly the bytes the clients were sent from the file. Holes (zero blocks never
// written) are hashed as zeros without being read.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "talos/digest.hpp"

namespace mb::talos {

class TailHasher {
public:
    enum class Mode { background, caller_only };
    // `fd` stays owned by the caller and open until finish() returns or this object is destroyed.
    explicit TailHasher(int fd, Mode mode = Mode::background);
    ~TailHasher();  // abandons the hash (a failed download) and joins the thread
    TailHasher(const TailHasher&) = delete;
    TailHasher& operator=(const TailHasher&) = delete;

    // Bytes [0, available) of the file are written and will not change.
    void advance(uint64_t available);
    // Hashes [0, total) (the background thread's part plus the rest, here) and returns the lower-case
    // hex digest. Throws io_error when the file cannot be read or is shorter. Call once.
    std::string finish(uint64_t total);
    // Abandons the hash now (a failed download): the background thread stops and is joined.
    void stop();
    // Bytes the background thread had hashed when finish() took over (for logs and tests).
    uint64_t hashed_in_background() const { return background_bytes_; }
    // CPU seconds the background thread used (valid after finish()).
    double background_cpu_seconds() const { return background_cpu_; }

private:
    void run();
    // Hashes up to one step of [hashed_, limit); 0, or the errno of a failed read (EIO: too short).
    int step(uint64_t limit);

    const int fd_;
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t available_ = 0;  // guarded by mu_
    std::atomic<bool> stop_{false};
    // owned by the background thread until it is joined, then by finish()
    Sha256 sha_;
    uint64_t hashed_ = 0;
    std::unique_ptr<char[]> buf_;
    uint64_t background_bytes_ = 0;
    double background_cpu_ = 0;
    std::thread thread_;
};

// SHA-256 (hex) of the first `size` bytes of `fd`, skipping the reads of holes.
std::string hash_sparse_fd(int fd, uint64_t size);

}  // namespace mb::talos
