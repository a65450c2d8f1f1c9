#pragma once
// The Talos image cache: <root>/<version>/<schematic>/<name> with a sha256sum(1)-format sidecar
// <name>.sha256 next to it. One upstream download per key however many clients ask at once (a
// Flight): the producer writes into <name>.part (opened O_EXCL) while every waiting client tails
// it and a low-priority thread hashes what is written (tail_hasher.hpp); at the end the size is
// checked, the hash completed, the file fsync'ed and renamed, the sidecar written and the directory
// fsync'ed. Clients get their last byte before that commit: until the sidecar exists the entry is
// not in the cache (a restart discards the .part). A failed download deletes the .part and leaves no entry. Entries are
// evicted least-recently-used under a byte budget, never while this process has them open or handed them out moments
// ago. File I/O lives here; the policy (which entry to evict) is in cache_policy.hpp.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "talos/digest.hpp"
#include "talos/tail_hasher.hpp"

namespace mb::talos {

struct CacheKey {
    std::string version;    // "v1.11.1"
    std::string schematic;  // 64 hex
    std::string name;       // served file name: "openstack-amd64.raw"
    std::string relative() const { return version + "/" + schematic + "/" + name; }
    bool operator<(const CacheKey& o) const { return relative() < o.relative(); }
};

// Checks the three components are safe path segments; throws data_error otherwise.
void validate_key(const CacheKey& key);

// One download in progress, shared by the producer thread and every client reading it.
class Flight {
public:
    enum class State { waiting, streaming, done, failed };
    enum class Read { data, end, failed };
    using ReadCallback = std::function<void(Read, std::string)>;
    using HeadCallback = std::function<void(bool ok)>;
    using DoneCallback = std::function<void(bool ok)>;

    Flight(CacheKey key, std::filesystem::path final_path, int fd);
    ~Flight();
    Flight(const Flight&) = delete;
    Flight& operator=(const Flight&) = delete;

    const CacheKey& key() const { return key_; }
    // Producer side (one thread).
    void set_head(std::optional<uint64_t> final_length);
    void write(const char* data, size_t size);
    // Consumer side: `cb` is called exactly once, now or later from the producer's thread.
    void read_async(uint64_t offset, size_t max, ReadCallback cb);
    void when_head(HeadCallback cb);
    void when_done(DoneCallback cb);

    State state() const;
    uint64_t written() const;
    std::optional<uint64_t> final_length() const;
    std::string error() const;
    long upstream_status() const;
    std::string sha256() const;  // valid once done

private:
    friend class Cache;
    // All bytes are written and checked (length, decoder end): readers may end their responses
    // while the commit (fsync, rename, sidecar) runs.
    void finish_data();
    void finish_ok(std::string sha256);
    void finish_failed(std::string error, long upstream_status);
    void notify(std::unique_lock<std::mutex>& lock);

    const CacheKey key_;
    const std::filesystem::path final_path_;
    const std::filesystem::path part_path_;
    int fd_;
    mutable std::mutex mu_;
    State state_ = State::waiting;
    uint64_t written_ = 0;
    bool data_complete_ = false;
    std::optional<uint64_t> final_length_;
    std::string error_;
    long upstream_status_ = 0;
    std::string sha256_;
    std::unique_ptr<TailHasher> hasher_;  // SHA-256 of the .part, read back at the lowest priority
    std::vector<std::function<void()>> waiters_;
};

struct CacheEntry {
    CacheKey key;
    std::filesystem::path path;
    uint64_t size = 0;
    std::string sha256;
    std::chrono::system_clock::time_point last_used;
    bool in_use = false;  // open or recently handed out by this process
};

struct VerifyReport {
    std::vector<CacheEntry> good;
    std::vector<std::pair<CacheEntry, std::string>> bad;  // entry, reason (removed when asked)
};

class Cache : public std::enable_shared_from_this<Cache> {
public:
    // A Producer fills a Flight from upstream (calls set_head once, then write); it throws on
    // failure. It runs on a thread of its own.
    using Producer = std::function<void(Flight&)>;

    static std::shared_ptr<Cache> create(std::filesystem::path root, uint64_t max_bytes);
    // Creates the root and indexes entries. With `remove_stale` (the serving process) it also removes
    // leftover *.part files and half-committed entries (a file without its sidecar or the reverse),
    // sparing those another process is still writing (each download holds flock(LOCK_EX) on its
    // .part until its commit); one-shot verbs pass false so they never race a running server.
    // Idempotent.
    void open(bool remove_stale = true);

    const std::filesystem::path& root() const { return root_; }
    uint64_t max_bytes() const { return max_bytes_; }
    std::filesystem::path path_of(const CacheKey& key) const { return root_ / key.relative(); }

    // A complete entry, marked used (LRU) and handed out (protected from eviction for a while).
    std::optional<CacheEntry> lookup(const CacheKey& key);
    // The running flight for `key`, or a new one running `producer` (started=true). Throws
    // Error(kExitTempFail) when another process is downloading the same key.
    std::shared_ptr<Flight> join_or_start(const CacheKey& key, Producer producer, bool& started);

    std::vector<CacheEntry> list();
    uint64_t total_bytes();
    // Re-hashes every entry against its sidecar; bad ones are removed when `remove_bad`.
    VerifyReport verify(bool remove_bad, const std::function<void(const CacheEntry&)>& progress = {});
    // Evicts least-recently-used entries not in use until the total is <= target; returns them.
    std::vector<CacheEntry> prune(uint64_t target_bytes);
    // Removes one entry (file and sidecar).
    bool remove(const CacheKey& key);
    // How long an entry handed out by lookup() stays protected even if no file is open yet.
    void set_handout_grace(std::chrono::seconds grace) { grace_ = grace; }

    // Waits (at most `max`) until no download is between the end of its data and its commit (hash,
    // fsync, rename, sidecar): a shutdown keeps an image whose every byte has arrived. Downloads
    // still receiving data are not waited for. Returns how many commits are still running.
    size_t wait_for_commits(std::chrono::seconds max);

    struct Stats {
        uint64_t hits = 0, misses = 0, joined = 0, downloads_ok = 0, downloads_failed = 0, evicted = 0;
    };
    Stats stats();

private:
    Cache(std::filesystem::path root, uint64_t max_bytes);
    void run_flight(std::shared_ptr<Flight> flight, Producer producer);
    void commit(Flight& flight, const std::string& sha256);
    std::vector<CacheEntry> prune_locked(uint64_t target_bytes);
    bool in_use_locked(const CacheKey& key, const std::vector<std::string>& open_files) const;
    void remove_files(const std::filesystem::path& path);

    const std::filesystem::path root_;
    const uint64_t max_bytes_;
    std::chrono::seconds grace_{2};
    std::mutex mu_;
    std::map<std::string, CacheEntry> entries_;  // by relative path
    std::map<std::string, std::chrono::steady_clock::time_point> handed_out_;
    std::map<std::string, std::weak_ptr<Flight>> flights_;
    size_t committing_ = 0;  // flights whose data is complete and whose commit runs
    std::condition_variable commits_done_;
    Stats stats_;
};

// Paths under `root` that this process has open (from /proc/self/fd).
std::vector<std::string> open_files_under(const std::filesystem::path& root);
// Writes `content` to `path` atomically (temp file, fsync, rename, fsync of the directory).
void write_file_durable(const std::filesystem::path& path, std::string_view content);

}  // namespace mb::talos
