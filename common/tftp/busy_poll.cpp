#include "tftp/busy_poll.hpp"

#include <algorithm>

namespace mb::tftp {

bool BusyPoll::should_spin(size_t active_sessions) {
    if (policy_.budget.count() <= 0 || active_sessions > policy_.max_sessions) return false;
    if (skip_ > 0) {
        --skip_;
        return false;
    }
    return true;
}

void BusyPoll::hit() {
    hits_++;
    backoff_ = 0;
    skip_ = 0;
}

void BusyPoll::miss() {
    misses_++;
    backoff_ = backoff_ == 0 ? 1 : std::min<uint32_t>(backoff_ * 2, std::max<uint32_t>(policy_.max_skip, 1));
    skip_ = backoff_;
}

}  // namespace mb::tftp
