#include "talos/parallel_hasher.hpp"

#include <algorithm>
#include <array>

namespace mb::talos {

ParallelHasher::ParallelHasher(size_t max_pending) : max_pending_(max_pending), thread_([this] { run(); }) {}

ParallelHasher::~ParallelHasher() {
    {
        std::lock_guard lock(mu_);
        abandoned_ = true;
    }
    has_work_.notify_all();
    has_room_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ParallelHasher::update(const char* data, size_t size) {
    if (size == 0) return;
    Piece p;
    p.data.assign(data, size);
    push(std::move(p));
}

void ParallelHasher::update_zeros(size_t count) {
    if (count == 0) return;
    Piece p;
    p.zeros = count;
    push(std::move(p));
}

void ParallelHasher::push(Piece piece) {
    std::unique_lock lock(mu_);
    // a piece larger than the whole budget still goes in once the queue is empty
    has_room_.wait(lock, [&] { return abandoned_ || pending_ == 0 || pending_ + piece.size() <= max_pending_; });
    if (abandoned_) return;
    pending_ += piece.size();
    queue_.push_back(std::move(piece));
    lock.unlock();
    has_work_.notify_one();
}

std::string ParallelHasher::finish() {
    {
        std::lock_guard lock(mu_);
        finishing_ = true;
    }
    has_work_.notify_all();
    if (thread_.joinable()) thread_.join();
    return sha_.final_hex();
}

void ParallelHasher::run() {
    static const std::array<char, 64 * 1024> kZeros{};
    while (true) {
        Piece piece;
        {
            std::unique_lock lock(mu_);
            has_work_.wait(lock, [&] { return abandoned_ || finishing_ || !queue_.empty(); });
            if (abandoned_ || queue_.empty()) return;  // abandoned, or finishing with nothing left
            piece = std::move(queue_.front());
            queue_.pop_front();
        }
        if (piece.data.empty()) {
            for (size_t left = piece.zeros; left > 0;) {
                const size_t n = std::min(left, kZeros.size());
                sha_.update(kZeros.data(), n);
                left -= n;
            }
        } else {
            sha_.update(piece.data.data(), piece.data.size());
        }
        {
            std::lock_guard lock(mu_);
            pending_ -= piece.size();
        }
        has_room_.notify_one();
    }
}

}  // namespace mb::talos
