#include "talos/cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "talos/cache_policy.hpp"
#include "talos/digest.hpp"
#include "talos/factory_client.hpp"
#include "talos/sparse_file.hpp"
#include "talos/zero_runs.hpp"

namespace fs = std::filesystem;

namespace mb::talos {

namespace {

constexpr std::string_view kPart = ".part";
constexpr std::string_view kSidecar = ".sha256";

bool safe_segment(std::string_view s) {
    if (s.empty() || s.size() > 200 || s == "." || s == ".." || s.front() == '.') return false;
    for (const char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '+'))
            return false;
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw io_error("cannot open directory " + dir.string(), errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) throw io_error("fsync of directory " + dir.string() + " failed", err);
}

std::string read_small(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string hash_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error("cannot open " + path.string(), errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw io_error("cannot stat " + path.string(), err);
    }
    try {
        auto hex = hash_sparse_fd(fd, static_cast<uint64_t>(st.st_size));
        ::close(fd);
        return hex;
    } catch (const std::exception& e) {
        ::close(fd);
        throw io_error(path.string() + ": " + e.what());
    }
}

std::chrono::system_clock::time_point mtime_of(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::chrono::system_clock::now();
    return std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                 std::chrono::nanoseconds(st.st_mtim.tv_nsec));
}

double thread_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// True when another open file holds flock(LOCK_EX) on `path`: the .part of a download (and, after
// its rename, the file until its sidecar is written) in progress in another process, or in another
// Cache on the same directory. Every download holds that lock on its .part from creation to commit.
bool being_written(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return busy;
}

fs::path sidecar_of(const fs::path& path) {
    return fs::path(path.string() + std::string(kSidecar));
}

}  // namespace

void validate_key(const CacheKey& key) {
    for (const auto* part : {&key.version, &key.schematic, &key.name})
        if (!safe_segment(*part))
            throw data_error("cache key component " + mb::quoted(*part) + " is not a safe file name");
}

void write_file_durable(const fs::path& path, std::string_view content) {
    const fs::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error("cannot create " + tmp.string(), errno);
    size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw io_error("cannot write " + tmp.string(), err);
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot sync " + tmp.string(), err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot rename " + tmp.string(), err);
    }
    fsync_dir(path.parent_path());
}

std::vector<std::string> open_files_under(const fs::path& root) {
    std::vector<std::string> out;
    const std::string prefix = root.string() + "/";
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/self/fd", ec)) {
        std::error_code ec2;
        const auto target = fs::read_symlink(fd.path(), ec2);
        if (ec2) continue;
        const auto t = target.string();
        if (t.rfind(prefix, 0) == 0) out.push_back(t.substr(prefix.size()));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Flight

Flight::Flight(CacheKey key, fs::path final_path, int fd)
    : key_(std::move(key)),
      final_path_(std::move(final_path)),
      part_path_(final_path_.string() + std::string(kPart)),
      fd_(fd),
      hasher_(std::make_unique<TailHasher>(fd)) {}

Flight::~Flight() {
    hasher_.reset();  // joins its thread
    if (fd_ >= 0) ::close(fd_);
}

void Flight::notify(std::unique_lock<std::mutex>& lock) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    lock.unlock();
    for (auto& w : waiters) w();
}

void Flight::set_head(std::optional<uint64_t> final_length) {
    std::unique_lock lock(mu_);
    final_length_ = final_length;
    if (state_ == State::waiting) state_ = State::streaming;
    notify(lock);
}

namespace {

// Disk images are mostly zeros: whole all-zero blocks become holes in the .part (zero_runs.hpp),
// which saves the page-cache copy and the disk space; readers and the hasher see them as zeros.
constexpr size_t kSparseBlock = 64 * 1024;

void pwrite_all(int fd, const char* data, size_t size, uint64_t offset, const fs::path& path) {
    size_t off = 0;
    while (off < size) {
        const ssize_t n = ::pwrite(fd, data + off, size - off, static_cast<off_t>(offset + off));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw io_error("cannot write " + path.string(), errno);
        }
        off += static_cast<uint64_t>(n);
    }
}

}  // namespace

void Flight::write(const char* data, size_t size) {
    if (size == 0) return;
    uint64_t base;
    {
        std::lock_guard lock(mu_);
        base = written_;  // only the producer thread writes: written_ is stable while we do
    }
    const auto runs = zero_block_runs(data, size, base, kSparseBlock);
    for (const auto& run : runs)
        if (!run.zero) pwrite_all(fd_, data + run.offset, run.length, base + run.offset, part_path_);
    // a trailing hole: extend the file so readers at any offset below written_ see its zeros
    if (runs.back().zero && ::ftruncate(fd_, static_cast<off_t>(base + size)) != 0)
        throw io_error("cannot extend " + part_path_.string(), errno);
    std::unique_lock lock(mu_);
    if (state_ == State::waiting) state_ = State::streaming;
    written_ += size;
    hasher_->advance(written_);
    notify(lock);
}

void Flight::finish_data() {
    std::unique_lock lock(mu_);
    data_complete_ = true;
    notify(lock);
}

void Flight::finish_ok(std::string sha256) {
    std::unique_lock lock(mu_);
    sha256_ = std::move(sha256);
    state_ = State::done;
    notify(lock);
}

void Flight::finish_failed(std::string error, long upstream_status) {
    std::unique_lock lock(mu_);
    error_ = std::move(error);
    upstream_status_ = upstream_status;
    state_ = State::failed;
    notify(lock);
}

void Flight::read_async(uint64_t offset, size_t max, ReadCallback cb) {
    std::unique_lock lock(mu_);
    if (state_ == State::failed) {
        lock.unlock();
        cb(Read::failed, {});
        return;
    }
    if (offset < written_) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(written_ - offset, max));
        lock.unlock();
        std::string chunk(n, '\0');  // std::string cannot be left uninitialised: holes stay as is
        if (!read_sparse(fd_, chunk.data(), n, offset, true)) {
            cb(Read::failed, {});
            return;
        }
        cb(Read::data, std::move(chunk));
        return;
    }
    if (state_ == State::done || data_complete_) {
        lock.unlock();
        cb(Read::end, {});
        return;
    }
    waiters_.push_back([this, offset, max, cb = std::move(cb)]() mutable { read_async(offset, max, std::move(cb)); });
}

void Flight::when_head(HeadCallback cb) {
    std::unique_lock lock(mu_);
    if (state_ != State::waiting) {
        const bool ok = state_ != State::failed;
        lock.unlock();
        cb(ok);
        return;
    }
    waiters_.push_back([this, cb = std::move(cb)]() mutable { when_head(std::move(cb)); });
}

void Flight::when_done(DoneCallback cb) {
    std::unique_lock lock(mu_);
    if (state_ == State::done || state_ == State::failed) {
        const bool ok = state_ == State::done;
        lock.unlock();
        cb(ok);
        return;
    }
    waiters_.push_back([this, cb = std::move(cb)]() mutable { when_done(std::move(cb)); });
}

Flight::State Flight::state() const {
    std::lock_guard lock(mu_);
    return state_;
}
uint64_t Flight::written() const {
    std::lock_guard lock(mu_);
    return written_;
}
std::optional<uint64_t> Flight::final_length() const {
    std::lock_guard lock(mu_);
    return final_length_;
}
std::string Flight::error() const {
    std::lock_guard lock(mu_);
    return error_;
}
long Flight::upstream_status() const {
    std::lock_guard lock(mu_);
    return upstream_status_;
}
std::string Flight::sha256() const {
    std::lock_guard lock(mu_);
    return sha256_;
}

// ---------------------------------------------------------------------------------------------
// Cache

std::shared_ptr<Cache> Cache::create(fs::path root, uint64_t max_bytes) {
    return std::shared_ptr<Cache>(new Cache(std::move(root), max_bytes));
}

Cache::Cache(fs::path root, uint64_t max_bytes) : root_(std::move(root)), max_bytes_(max_bytes) {}

void Cache::open(bool remove_stale_parts) {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw io_error("cannot create the cache directory " + root_.string() + ": " + ec.message());
    std::lock_guard lock(mu_);
    entries_.clear();
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) throw io_error("cannot scan the cache directory " + root_.string() + ": " + ec.message());
    for (const auto& p : files) {
        const auto name = p.filename().string();
        const auto rel = fs::relative(p, root_).string();
        if (ends_with(name, kPart) || ends_with(name, ".tmp")) {
            // <file>.part is a download, <file>.sha256.tmp the sidecar of a commit: leftovers unless
            // their writer (this process or another one on the same directory) still holds the lock
            std::string writer = p.string();
            if (ends_with(writer, ".tmp")) writer.resize(writer.size() - 4);
            if (ends_with(writer, kSidecar)) writer.resize(writer.size() - kSidecar.size());
            const auto key_rel =
                fs::relative(ends_with(writer, kPart) ? writer.substr(0, writer.size() - kPart.size()) : writer, root_)
                    .string();
            if (remove_stale_parts && flights_.find(key_rel) == flights_.end() && !being_written(writer)) {
                log::info("talos cache: removing leftover partial download {}", rel);
                fs::remove(p, ec);
            }
            continue;
        }
        if (ends_with(name, kSidecar)) {
            const fs::path data = p.string().substr(0, p.string().size() - kSidecar.size());
            if (remove_stale_parts && !fs::exists(data)) {
                log::warn("talos cache: removing sidecar without its file: {}", rel);
                fs::remove(p, ec);
            }
            continue;
        }
        const auto parts = split(rel, '/');
        if (parts.size() != 3) continue;
        CacheKey key{parts[0], parts[1], parts[2]};
        const auto sidecar = sidecar_of(p);
        const auto sum = fs::exists(sidecar) ? parse_sha256sum(read_small(sidecar)) : std::nullopt;
        if (!sum) {
            if (remove_stale_parts && !being_written(p)) {  // not a commit in progress elsewhere
                log::warn("talos cache: removing {} (no valid .sha256 sidecar: an interrupted commit)", rel);
                remove_files(p);
            }
            continue;
        }
        CacheEntry e;
        e.key = key;
        e.path = p;
        e.size = fs::file_size(p, ec);
        e.sha256 = sum->hex;
        e.last_used = mtime_of(sidecar);
        entries_[rel] = e;
    }
}

std::optional<CacheEntry> Cache::lookup(const CacheKey& key) {
    validate_key(key);
    std::lock_guard lock(mu_);
    const auto rel = key.relative();
    const auto it = entries_.find(rel);
    if (it == entries_.end()) {
        ++stats_.misses;
        return std::nullopt;
    }
    std::error_code ec;
    if (!fs::exists(it->second.path, ec)) {  // removed behind our back
        entries_.erase(it);
        ++stats_.misses;
        return std::nullopt;
    }
    ++stats_.hits;
    it->second.last_used = std::chrono::system_clock::now();
    handed_out_[rel] = std::chrono::steady_clock::now();
    ::utimensat(AT_FDCWD, sidecar_of(it->second.path).c_str(), nullptr, 0);  // persist LRU order
    auto out = it->second;
    out.in_use = true;
    return out;
}

std::shared_ptr<Flight> Cache::join_or_start(const CacheKey& key, Producer producer, bool& started) {
    validate_key(key);
    std::unique_lock lock(mu_);
    const auto rel = key.relative();
    started = false;
    if (auto it = flights_.find(rel); it != flights_.end()) {
        if (auto f = it->second.lock()) {
            ++stats_.joined;
            return f;
        }
    }
    const fs::path final_path = root_ / rel;
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) throw io_error("cannot create " + final_path.parent_path().string() + ": " + ec.message());
    const fs::path part = final_path.string() + std::string(kPart);
    const int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            throw Error(kExitTempFail, "talos cache: " + part.string() + " exists: another process is downloading it");
        throw io_error("cannot create " + part.string(), errno);
    }
    ::flock(fd, LOCK_EX | LOCK_NB);  // a new file: cannot fail; tells other processes it is being written
    auto flight = std::make_shared<Flight>(key, final_path, fd);
    flights_[rel] = flight;
    ++stats_.misses;
    started = true;
    lock.unlock();
    std::thread([self = shared_from_this(), flight, producer = std::move(producer)]() mutable {
        self->run_flight(std::move(flight), std::move(producer));
    }).detach();
    return flight;
}

void Cache::run_flight(std::shared_ptr<Flight> flight, Producer producer) {
    const auto rel = flight->key().relative();
    try {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = thread_cpu_seconds();
        producer(*flight);
        const uint64_t written = flight->written();
        const auto expected = flight->final_length();
        if (expected && *expected != written)
            throw data_error("size mismatch: wrote " + std::to_string(written) + " bytes, expected " +
                             std::to_string(*expected));
        {
            std::lock_guard lock(mu_);
            ++committing_;
        }
        struct CommitDone {
            Cache& cache;
            ~CommitDone() {
                {
                    std::lock_guard lock(cache.mu_);
                    --cache.committing_;
                }
                cache.commits_done_.notify_all();
            }
        } commit_done{*this};
        flight->finish_data();
        const auto data_end = std::chrono::steady_clock::now();
        const double cpu_data = thread_cpu_seconds();
        const auto sha256 = flight->hasher_->finish(written);
        commit(*flight, sha256);
        const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
        log::info(
            "talos cache: stored {} ({} bytes; data in {:.2f} s using {:.2f} s CPU on the download thread; {:.0f} % "
            "hashed in the background, the rest and the commit took {:.2f} s)",
            rel, written, seconds(start, data_end), cpu_data - cpu_start,
            written
                ? 100.0 * static_cast<double>(flight->hasher_->hashed_in_background()) / static_cast<double>(written)
                : 100.0,
            seconds(data_end, std::chrono::steady_clock::now()));
    } catch (const std::exception& e) {
        std::error_code ec;
        fs::remove(flight->part_path_, ec);
        long status = 0;
        if (const auto* fse = dynamic_cast<const FactoryStatusError*>(&e)) status = fse->status();
        flight->hasher_->stop();
        log::error("talos cache: download of {} failed: {}", rel, e.what());
        {
            std::lock_guard lock(mu_);
            ++stats_.downloads_failed;
            flights_.erase(rel);
        }
        flight->finish_failed(e.what(), status);
        return;
    }
    {
        std::lock_guard lock(mu_);
        ++stats_.downloads_ok;
        flights_.erase(rel);
    }
    flight->finish_ok(flight->sha256_);
}

void Cache::commit(Flight& flight, const std::string& sha256) {
    if (::fsync(flight.fd_) != 0) throw io_error("fsync of " + flight.part_path_.string() + " failed", errno);
    if (::rename(flight.part_path_.c_str(), flight.final_path_.c_str()) != 0)
        throw io_error("cannot rename " + flight.part_path_.string(), errno);
    try {
        write_file_durable(sidecar_of(flight.final_path_), sha256sum_line(sha256, flight.key().name));
    } catch (...) {
        std::error_code ec;
        fs::remove(flight.final_path_, ec);
        throw;
    }
    {
        std::lock_guard lk(flight.mu_);
        flight.sha256_ = sha256;
    }
    std::lock_guard lock(mu_);
    CacheEntry e;
    e.key = flight.key();
    e.path = flight.final_path_;
    e.size = flight.written();
    e.sha256 = sha256;
    e.last_used = std::chrono::system_clock::now();
    const auto rel = flight.key().relative();
    entries_[rel] = e;
    handed_out_[rel] = std::chrono::steady_clock::now();
    if (max_bytes_ > 0) {
        uint64_t total = 0;
        for (const auto& [_, entry] : entries_) total += entry.size;
        if (total > max_bytes_) prune_locked(max_bytes_);
    }
}

bool Cache::in_use_locked(const CacheKey& key, const std::vector<std::string>& open_files) const {
    const auto rel = key.relative();
    if (flights_.count(rel)) return true;
    for (const auto& f : open_files)
        if (f == rel) return true;
    if (const auto it = handed_out_.find(rel); it != handed_out_.end())
        if (std::chrono::steady_clock::now() - it->second < grace_) return true;
    return false;
}

std::vector<CacheEntry> Cache::prune_locked(uint64_t target_bytes) {
    const auto open_files = open_files_under(root_);
    std::vector<EvictionCandidate> candidates;
    for (const auto& [rel, e] : entries_)
        candidates.push_back({rel, e.size, e.last_used, in_use_locked(e.key, open_files)});
    std::vector<CacheEntry> evicted;
    for (const auto& rel : choose_evictions(candidates, target_bytes)) {
        auto e = entries_.at(rel);
        remove_files(e.path);
        entries_.erase(rel);
        handed_out_.erase(rel);
        ++stats_.evicted;
        log::info("talos cache: evicted {} ({} bytes, budget {})", rel, e.size, target_bytes);
        evicted.push_back(std::move(e));
    }
    return evicted;
}

std::vector<CacheEntry> Cache::prune(uint64_t target_bytes) {
    std::lock_guard lock(mu_);
    return prune_locked(target_bytes);
}

void Cache::remove_files(const fs::path& path) {
    std::error_code ec;
    fs::remove(sidecar_of(path), ec);
    fs::remove(path, ec);
    std::error_code ec2;
    if (fs::is_empty(path.parent_path(), ec2)) fs::remove(path.parent_path(), ec2);
    if (fs::is_empty(path.parent_path().parent_path(), ec2)) fs::remove(path.parent_path().parent_path(), ec2);
}

bool Cache::remove(const CacheKey& key) {
    std::lock_guard lock(mu_);
    const auto it = entries_.find(key.relative());
    if (it == entries_.end()) return false;
    remove_files(it->second.path);
    entries_.erase(it);
    return true;
}

std::vector<CacheEntry> Cache::list() {
    std::lock_guard lock(mu_);
    const auto open_files = open_files_under(root_);
    std::vector<CacheEntry> out;
    for (const auto& [_, e] : entries_) {
        out.push_back(e);
        out.back().in_use = in_use_locked(e.key, open_files);
    }
    std::sort(out.begin(), out.end(),
              [](const CacheEntry& a, const CacheEntry& b) { return a.last_used > b.last_used; });
    return out;
}

uint64_t Cache::total_bytes() {
    std::lock_guard lock(mu_);
    uint64_t total = 0;
    for (const auto& [_, e] : entries_) total += e.size;
    return total;
}

VerifyReport Cache::verify(bool remove_bad, const std::function<void(const CacheEntry&)>& progress) {
    std::vector<CacheEntry> snapshot;
    {
        std::lock_guard lock(mu_);
        for (const auto& [_, e] : entries_) snapshot.push_back(e);
    }
    VerifyReport report;
    for (const auto& e : snapshot) {
        if (progress) progress(e);
        std::string reason;
        try {
            const auto actual = hash_file(e.path);
            if (actual != e.sha256) reason = "sha256 " + actual + " does not match the sidecar's " + e.sha256;
        } catch (const std::exception& ex) {
            reason = ex.what();
        }
        if (reason.empty()) {
            report.good.push_back(e);
            continue;
        }
        log::warn("talos cache: {} is corrupt: {}{}", e.key.relative(), reason, remove_bad ? " (removed)" : "");
        if (remove_bad) remove(e.key);
        report.bad.emplace_back(e, reason);
    }
    return report;
}

size_t Cache::wait_for_commits(std::chrono::seconds max) {
    std::unique_lock lock(mu_);
    if (committing_ > 0) log::info("talos cache: waiting for {} download(s) to be committed", committing_);
    commits_done_.wait_for(lock, max, [this] { return committing_ == 0; });
    return committing_;
}

Cache::Stats Cache::stats() {
    std::lock_guard lock(mu_);
    return stats_;
}

}  // namespace mb::talos
