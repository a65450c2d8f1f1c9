#pragma once
// SHA-256 on a thread of its own, fed by the thread that produces the data: a cold image is
// decompressed, written and hashed on two cores instead of one after the other. The producer hands
// over copies of its chunks (runs of zeros as a count only); at most `max_pending` bytes wait in the
// queue, beyond that `update` blocks until the hasher catches up.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "talos/digest.hpp"

namespace mb::talos {

class ParallelHasher {
public:
    explicit ParallelHasher(size_t max_pending = 32 << 20);
    ~ParallelHasher();  // abandons the hash (a failed download) and joins the thread
    ParallelHasher(const ParallelHasher&) = delete;
    ParallelHasher& operator=(const ParallelHasher&) = delete;

    void update(const char* data, size_t size);
    void update_zeros(size_t count);
    // Waits until every byte handed over is hashed; the lower-case hex digest. Call once.
    std::string finish();

private:
    struct Piece {
        std::string data;  // empty: `zeros` zero bytes
        size_t zeros = 0;
        size_t size() const { return data.empty() ? zeros : data.size(); }
    };
    void push(Piece piece);
    void run();

    const size_t max_pending_;
    std::mutex mu_;
    std::condition_variable has_work_;
    std::condition_variable has_room_;
    std::deque<Piece> queue_;  // guarded by mu_
    size_t pending_ = 0;
    bool finishing_ = false;
    bool abandoned_ = false;
    Sha256 sha_;  // hasher thread only until joined
    std::thread thread_;
};

}  // namespace mb::talos
