#include "background_writer.hpp"

#include <sys/stat.h>

#include "core/error.hpp"
#include "log/log.hpp"
#include "store.hpp"

namespace mb::dhcp_tool {

FileStamp stamp_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return FileStamp{st.st_ino, st.st_size, int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec,
                     int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec};
}

BackgroundWriter::BackgroundWriter() : thread_([this] { loop(); }) {}

BackgroundWriter::~BackgroundWriter() {
    {
        std::lock_guard<std::mutex> g(m_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void BackgroundWriter::submit(std::string path, std::string content, bool sync,
                              std::unique_ptr<config::FileLock> lock) {
    {
        std::lock_guard<std::mutex> g(m_);
        pending_[std::move(path)] = Job{std::move(content), sync, std::move(lock)};
    }
    cv_.notify_one();
}

BackgroundWriter::Written BackgroundWriter::written(const std::string& path) {
    std::lock_guard<std::mutex> g(m_);
    auto it = written_.find(path);
    return it == written_.end() ? Written{} : it->second;
}

void BackgroundWriter::loop() {
    for (;;) {
        std::map<std::string, Job> jobs;
        {
            std::unique_lock<std::mutex> lk(m_);
            cv_.wait(lk, [this] { return stop_ || !pending_.empty(); });
            if (pending_.empty() && stop_) return;
            jobs.swap(pending_);
        }
        for (auto& [path, job] : jobs) {
            try {
                write_atomic(path, job.content, job.sync);
                const FileStamp st = stamp_of(path);
                std::lock_guard<std::mutex> g(m_);
                auto& w = written_[path];
                w.stamp = st;
                ++w.generation;
            } catch (const Error& e) {
                log::error("cannot write {}: {}", path, e.what());
            }
            job.lock.reset();  // recorded before the lock is released
        }
    }
}

}  // namespace mb::dhcp_tool
