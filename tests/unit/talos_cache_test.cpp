#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "core/error.hpp"
#include "talos/cache.hpp"
#include "talos/cache_policy.hpp"
#include "talos/digest.hpp"
#include "talos/range.hpp"
#include "talos/schematic.hpp"
#include "talos/sparse_file.hpp"
#include "talos/tail_hasher.hpp"
#include "talos/zero_runs.hpp"

using namespace mb::talos;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/mbt-talos-unit-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads a flight to the end through read_async, as a StreamBody would.
std::pair<bool, std::string> drain(const std::shared_ptr<Flight>& f) {
    std::string out;
    while (true) {
        std::promise<std::pair<Flight::Read, std::string>> p;
        f->read_async(out.size(), 4096, [&p](Flight::Read r, std::string chunk) {
            p.set_value({r, std::move(chunk)});
        });
        auto [r, chunk] = p.get_future().get();
        if (r == Flight::Read::failed) return {false, out};
        if (r == Flight::Read::end) return {true, out};
        out += chunk;
    }
}

bool wait_done(const std::shared_ptr<Flight>& f) {
    std::promise<bool> p;
    f->when_done([&p](bool ok) { p.set_value(ok); });
    return p.get_future().get();
}

}  // namespace

TEST_CASE("One flight per key: concurrent readers share one producer and see every byte", "[talos][cache]") {
    TempDir dir;
    auto cache = Cache::create(dir.path / "cache", 0);
    cache->open();
    const CacheKey key{"v1.11.1", std::string(64, 'a'), "metal-arm64.raw"};
    std::atomic<int> producers{0};
    std::promise<void> gate;
    auto gate_future = gate.get_future().share();
    std::string expected;
    for (int i = 0; i < 200; ++i) expected += std::string(1000, static_cast<char>('a' + i % 26));
    auto producer = [&](Flight& f) {
        ++producers;
        f.set_head(expected.size());
        gate_future.wait();
        for (size_t off = 0; off < expected.size(); off += 7000)
            f.write(expected.data() + off, std::min<size_t>(7000, expected.size() - off));
    };
    std::vector<std::shared_ptr<Flight>> flights;
    int started_count = 0;
    for (int i = 0; i < 10; ++i) {
        bool started = false;
        flights.push_back(cache->join_or_start(key, producer, started));
        started_count += started;
    }
    CHECK(started_count == 1);
    CHECK(fs::exists(cache->path_of(key).string() + ".part"));
    std::vector<std::future<std::pair<bool, std::string>>> readers;
    for (auto& f : flights) readers.push_back(std::async(std::launch::async, [f] { return drain(f); }));
    gate.set_value();
    for (auto& r : readers) {
        auto [ok, data] = r.get();
        CHECK(ok);
        CHECK(data == expected);
    }
    CHECK(wait_done(flights[0]));
    CHECK(producers == 1);
    const auto entry = cache->lookup(key);
    REQUIRE(entry);
    CHECK(entry->size == expected.size());
    CHECK(entry->sha256 == sha256_hex(expected));
    CHECK(read_all(entry->path) == expected);
    CHECK(read_all(entry->path.string() + ".sha256") == entry->sha256 + "  metal-arm64.raw\n");
    CHECK_FALSE(fs::exists(cache->path_of(key).string() + ".part"));
}

TEST_CASE("Zero blocks become holes; readers and the checksum see every zero", "[talos][cache]") {
    TempDir dir;
    auto cache = Cache::create(dir.path / "cache", 0);
    cache->open();
    const CacheKey key{"v1.11.1", std::string(64, 'b'), "metal-amd64.raw"};
    // 8 MiB: data, 3 MiB of zeros, data not aligned to the 64 KiB block, zeros up to the end
    std::string expected(8 << 20, '\0');
    for (size_t i = 0; i < (1 << 20); ++i) expected[i] = static_cast<char>('a' + i % 23);
    for (size_t i = (4 << 20) + 1000; i < (5 << 20) + 3; ++i) expected[i] = static_cast<char>(i * 7 % 251 + 1);
    auto producer = [&](Flight& f) {
        f.set_head(expected.size());
        for (size_t off = 0; off < expected.size(); off += 300000)  // chunks across block borders
            f.write(expected.data() + off, std::min<size_t>(300000, expected.size() - off));
    };
    bool started = false;
    auto flight = cache->join_or_start(key, producer, started);
    auto [ok, data] = drain(flight);
    CHECK(ok);
    CHECK(data == expected);
    REQUIRE(wait_done(flight));
    const auto entry = cache->lookup(key);
    REQUIRE(entry);
    CHECK(entry->sha256 == sha256_hex(expected));
    CHECK(fs::file_size(entry->path) == expected.size());
    CHECK(read_all(entry->path) == expected);
    struct stat st {};
    REQUIRE(::stat(entry->path.c_str(), &st) == 0);
    // about 2 MiB of data blocks on disk, not 8 MiB (file systems without holes would store all)
    CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < expected.size() / 2);
}

TEST_CASE("zero_block_runs: aligned all-zero blocks, edges cut by the chunk, merged runs", "[talos][cache]") {
    const size_t B = 16;
    std::string d(100, '\0');
    // file offset 40: blocks [40,48) [48,64) [64,80) [80,96) [96,112) [112,128) [128,140)
    d[10] = 'x';  // offset 50: block [48,64) is data
    d[90] = 'y';  // offset 130: the cut last block [128,140) is data
    const auto runs = zero_block_runs(d.data(), d.size(), 40, B);
    const std::vector<ByteRun> want{{0, 8, true}, {8, 16, false}, {24, 64, true}, {88, 12, false}};
    CHECK(runs == want);
    CHECK(zero_block_runs(d.data(), 0, 0, B).empty());
    CHECK(zero_block_runs(d.data(), 5, 3, B) == std::vector<ByteRun>{{0, 5, true}});
    const std::string ones(40, '1');
    CHECK(zero_block_runs(ones.data(), ones.size(), 0, B) == std::vector<ByteRun>{{0, 40, false}});
    CHECK(all_zero(d.data(), 10));
    CHECK_FALSE(all_zero(d.data(), 11));
    std::string big(1000, '\0');
    CHECK(all_zero(big.data(), big.size()));
    big[999] = 1;  // in the tail after the 64-byte words
    CHECK_FALSE(all_zero(big.data(), big.size()));
    big[999] = 0;
    big[130] = 1;
    CHECK_FALSE(all_zero(big.data(), big.size()));
}

namespace {

// A sparse file: `content` with its 4 KiB-aligned all-zero blocks left as holes.
int make_sparse_file(const fs::path& path, const std::string& content) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    for (const auto& run : zero_block_runs(content.data(), content.size(), 0, 4096))
        if (!run.zero)
            REQUIRE(::pwrite(fd, content.data() + run.offset, run.length, run.offset) == (ssize_t)run.length);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(content.size())) == 0);
    return fd;
}

}  // namespace

TEST_CASE("TailHasher hashes a growing sparse file, in the background and on finish()", "[talos][cache]") {
    TempDir dir;
    std::string content(3 << 20, '\0');
    for (size_t i = 0; i < 100000; ++i) content[i] = static_cast<char>('a' + i % 19);
    for (size_t i = (2 << 20) + 5; i < (2 << 20) + 70000; ++i) content[i] = static_cast<char>(i % 250 + 1);
    const int fd = make_sparse_file(dir.path / "f", content);
    const auto want = sha256_hex(content);
    SECTION("background thread, advanced in steps, finished with the whole size") {
        TailHasher h(fd);
        for (uint64_t at = 0; at <= content.size(); at += 777777) h.advance(at);
        CHECK(h.finish(content.size()) == want);
        CHECK(h.hashed_in_background() <= content.size());
    }
    SECTION("the background thread catches up when given time") {
        TailHasher h(fd);
        h.advance(content.size());
        for (int i = 0; i < 500; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        CHECK(h.finish(content.size()) == want);
        CHECK(h.hashed_in_background() == content.size());
    }
    SECTION("caller only: finish() hashes everything; a prefix hashes the prefix") {
        CHECK(hash_sparse_fd(fd, content.size()) == want);
        CHECK(hash_sparse_fd(fd, 150000) == sha256_hex(content.substr(0, 150000)));
        TailHasher h(fd, TailHasher::Mode::caller_only);
        h.advance(content.size());
        CHECK(h.finish(content.size()) == want);
        CHECK(h.hashed_in_background() == 0);
    }
    SECTION("read_sparse fills holes with zeros, or leaves a zeroed buffer's holes alone") {
        std::string buf(content.size() - 1000, 'x');
        REQUIRE(read_sparse(fd, buf.data(), buf.size(), 1000));
        CHECK(buf == content.substr(1000));
        std::string zeroed(content.size(), '\0');
        REQUIRE(read_sparse(fd, zeroed.data(), zeroed.size(), 0, true));
        CHECK(zeroed == content);
        CHECK_FALSE(read_sparse(fd, buf.data(), buf.size(), 2000));  // past the end of the file
    }
    SECTION("a file shorter than the size asked for is an error") {
        CHECK_THROWS_WITH(hash_sparse_fd(fd, content.size() + 10), Catch::Contains("cannot read back"));
    }
    SECTION("abandoned: destroyed without finish() joins, no hang") {
        {
            TailHasher h(fd);
            h.advance(content.size());
        }                                   // the destructor joins the thread (a hang here fails the test by timeout)
        CHECK(::fcntl(fd, F_GETFD) != -1);  // and leaves the caller's descriptor open
    }
    ::close(fd);
}

TEST_CASE("A failing producer leaves no entry and readers see the failure", "[talos][cache]") {
    TempDir dir;
    auto cache = Cache::create(dir.path, 0);
    cache->open();
    const CacheKey key{"v1.11.1", std::string(64, 'b'), "kernel-arm64"};
    bool started = false;
    auto f = cache->join_or_start(
        key,
        [](Flight& fl) {
            fl.set_head(std::nullopt);
            fl.write("partial", 7);
            throw mb::Error(mb::kExitUnavailable, "connection cut");
        },
        started);
    auto [ok, data] = drain(f);
    CHECK_FALSE(ok);
    CHECK_FALSE(wait_done(f));
    CHECK(f->error().find("connection cut") != std::string::npos);
    CHECK_FALSE(cache->lookup(key));
    CHECK_FALSE(fs::exists(cache->path_of(key)));
    CHECK_FALSE(fs::exists(cache->path_of(key).string() + ".part"));
    // A short body (less than the announced length) is a failure too.
    auto g = cache->join_or_start(
        key,
        [](Flight& fl) {
            fl.set_head(100);
            fl.write("12345", 5);
        },
        started);
    CHECK(started);
    CHECK_FALSE(wait_done(g));
    CHECK(g->error().find("size mismatch") != std::string::npos);
    CHECK_FALSE(cache->lookup(key));
}

TEST_CASE("Entries survive a reopen; half-committed files and stale parts are removed", "[talos][cache]") {
    TempDir dir;
    const CacheKey key{"v1.10.0", std::string(64, 'c'), "initramfs-amd64.xz"};
    {
        auto cache = Cache::create(dir.path, 0);
        cache->open();
        bool started = false;
        auto f = cache->join_or_start(
            key, [](Flight& fl) { fl.write("hello", 5); }, started);
        REQUIRE(wait_done(f));
    }
    const auto base = dir.path / "v1.10.0" / std::string(64, 'c');
    std::ofstream(base / "orphan.raw") << "no sidecar";
    std::ofstream(base / "other.raw.part") << "stale";
    auto cache = Cache::create(dir.path, 0);
    cache->open(false);
    CHECK(fs::exists(base / "orphan.raw"));  // one-shot verbs never remove anything
    cache->open(true);
    CHECK_FALSE(fs::exists(base / "orphan.raw"));
    CHECK_FALSE(fs::exists(base / "other.raw.part"));
    const auto e = cache->lookup(key);
    REQUIRE(e);
    CHECK(read_all(e->path) == "hello");
    // Corruption is found by verify and the entry removed.
    std::ofstream(e->path, std::ios::trunc) << "hellO";
    const auto report = cache->verify(true);
    CHECK(report.bad.size() == 1);
    CHECK_FALSE(cache->lookup(key));
}

TEST_CASE("Opening the cache spares the .part another process is writing", "[talos][cache]") {
    TempDir dir;
    const CacheKey key{"v1.10.0", std::string(64, 'e'), "metal-amd64.raw"};
    auto writer = Cache::create(dir.path, 0);
    writer->open();
    std::promise<void> gate;
    auto gate_future = gate.get_future().share();
    bool started = false;
    auto f = writer->join_or_start(
        key,
        [gate_future](Flight& fl) {
            fl.write("partial", 7);
            gate_future.wait();
            fl.write(" and the rest", 13);
        },
        started);
    const auto part = writer->path_of(key).string() + ".part";
    for (int i = 0; i < 500 && f->written() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(fs::exists(part));
    std::ofstream(dir.path / "v1.10.0" / std::string(64, 'e') / "stale.raw.part") << "left behind";
    auto other = Cache::create(dir.path, 0);  // e.g. a second serving process starting up
    other->open(true);
    CHECK(fs::exists(part));  // locked by the writer: spared
    CHECK_FALSE(fs::exists(dir.path / "v1.10.0" / std::string(64, 'e') / "stale.raw.part"));
    gate.set_value();
    REQUIRE(wait_done(f));  // its commit (rename, sidecar) still works
    const auto e = writer->lookup(key);
    REQUIRE(e);
    CHECK(read_all(e->path) == "partial and the rest");
}

TEST_CASE("Eviction keeps the budget and spares entries in use", "[talos][cache]") {
    TempDir dir;
    auto cache = Cache::create(dir.path, 25);
    cache->set_handout_grace(std::chrono::seconds(0));
    cache->open();
    auto put = [&](const std::string& name) {
        bool started = false;
        auto f = cache->join_or_start(
            {"v1.0.0", std::string(64, 'd'), name}, [](Flight& fl) { fl.write("0123456789", 10); }, started);
        REQUIRE(wait_done(f));
    };
    put("a.raw");
    put("b.raw");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // a.raw is open in this process (as a server sending it would have it).
    std::ifstream holder(cache->path_of({"v1.0.0", std::string(64, 'd'), "a.raw"}));
    put("c.raw");  // 30 > 25: the least recently used not in use goes
    std::vector<std::string> names;
    for (const auto& e : cache->list()) names.push_back(e.key.name);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"a.raw", "c.raw"});
    CHECK(cache->total_bytes() == 20);
    CHECK_THROWS_AS(validate_key({"../x", "y", "z"}), mb::Error);
    CHECK_THROWS_AS(validate_key({"v1", "y", "a/b"}), mb::Error);
}

TEST_CASE("Range decisions", "[talos][range]") {
    const std::string etag = "\"abc\"";
    auto d = decide_range(std::nullopt, std::nullopt, etag, 1000);
    CHECK((d.kind == RangeDecision::full && d.length == 1000));
    d = decide_range("bytes=0-99", std::nullopt, etag, 1000);
    CHECK((d.kind == RangeDecision::partial && d.offset == 0 && d.length == 100));
    d = decide_range("bytes=900-", std::nullopt, etag, 1000);
    CHECK((d.kind == RangeDecision::partial && d.offset == 900 && d.length == 100));
    d = decide_range("bytes=-10", etag, etag, 1000);
    CHECK((d.kind == RangeDecision::partial && d.offset == 990 && d.length == 10));
    d = decide_range("bytes=-2000", std::nullopt, etag, 1000);
    CHECK((d.kind == RangeDecision::partial && d.offset == 0 && d.length == 1000));
    d = decide_range("bytes=990-5000", std::nullopt, etag, 1000);
    CHECK((d.kind == RangeDecision::partial && d.length == 10));
    CHECK(decide_range("bytes=1000-", std::nullopt, etag, 1000).kind == RangeDecision::unsatisfiable);
    CHECK(decide_range("bytes=-0", std::nullopt, etag, 1000).kind == RangeDecision::unsatisfiable);
    CHECK(decide_range("bytes=0-1", "\"other\"", etag, 1000).kind == RangeDecision::full);
    for (const char* ignored : {"bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=x-1", "bytes=0x10-", "bytes="})
        CHECK(decide_range(ignored, std::nullopt, etag, 1000).kind == RangeDecision::full);
}

TEST_CASE("Byte sizes", "[talos][cache]") {
    CHECK(parse_byte_size("10737418240") == std::optional<uint64_t>(10737418240ull));
    CHECK(parse_byte_size("10G") == std::optional<uint64_t>(10ull << 30));
    CHECK(parse_byte_size("512 MiB") == std::optional<uint64_t>(512ull << 20));
    CHECK(parse_byte_size("0") == std::optional<uint64_t>(0));
    for (const char* bad : {"", "G", "10X", "-1", "99999999999999999999", "20000000T"})
        CHECK_FALSE(parse_byte_size(bad).has_value());
}
