#include "talos/tail_hasher.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include "core/error.hpp"
#include "talos/sparse_file.hpp"

namespace mb::talos {

namespace {

constexpr size_t kStep = 1 << 20;
const std::array<char, 64 * 1024> kZeros{};

}  // namespace

TailHasher::TailHasher(int fd, Mode mode) : fd_(fd), buf_(new char[kStep]) {
    if (mode == Mode::background) thread_ = std::thread([this] { run(); });
}

TailHasher::~TailHasher() {
    stop();
}

void TailHasher::stop() {
    stop_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TailHasher::advance(uint64_t available) {
    {
        std::lock_guard lock(mu_);
        if (available <= available_) return;
        available_ = available;
    }
    cv_.notify_one();
}

void TailHasher::run() {
    // Per thread on Linux: only this thread drops to the lowest priority. Failure is harmless.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    struct CpuClock {
        double& out;
        ~CpuClock() {
            timespec ts{};
            ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            out = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
        }
    } clock{background_cpu_};
    while (!stop_) {
        uint64_t limit;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stop_ || available_ > hashed_; });
            if (stop_) return;
            limit = available_;
        }
        while (hashed_ < limit && !stop_)
            if (step(limit) != 0) return;  // finish() retries the rest and reports the error
    }
}

int TailHasher::step(uint64_t limit) {
    const auto ext = extent_at(fd_, hashed_, std::min<uint64_t>(limit, hashed_ + kStep));
    if (!ext.data) {
        for (uint64_t left = ext.length; left > 0;) {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kZeros.size()));
            sha_.update(kZeros.data(), n);
            left -= n;
        }
        hashed_ += ext.length;
        return 0;
    }
    ssize_t r;
    do {
        r = ::pread(fd_, buf_.get(), static_cast<size_t>(ext.length), static_cast<off_t>(hashed_));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    if (r == 0) return EIO;  // shorter than announced
    sha_.update(buf_.get(), static_cast<size_t>(r));
    hashed_ += static_cast<uint64_t>(r);
    return 0;
}

std::string TailHasher::finish(uint64_t total) {
    stop();
    background_bytes_ = hashed_;
    if (hashed_ > total) throw io_error("the file shrank while it was hashed");
    while (hashed_ < total) {
        if (const int err = step(total))
            throw io_error("cannot read back byte " + std::to_string(hashed_) + " to hash it", err);
    }
    return sha_.final_hex();
}

std::string hash_sparse_fd(int fd, uint64_t size) {
    TailHasher h(fd, TailHasher::Mode::caller_only);
    return h.finish(size);
}

}  // namespace mb::talos
