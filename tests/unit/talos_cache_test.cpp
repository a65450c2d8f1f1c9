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
#include "talos/parallel_hasher.hpp"
#include "talos/range.hpp"
#include "talos/schematic.hpp"

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

TEST_CASE("ParallelHasher equals a one-shot SHA-256 and handles back-pressure", "[talos][cache]") {
    std::string data;
    for (int i = 0; i < 5000; ++i) data += std::to_string(i * 7919) + ",";
    ParallelHasher h(4096);  // a tiny budget: update blocks until the hasher catches up
    h.update(data.data(), 1000);
    h.update_zeros(70000);
    h.update(data.data() + 1000, data.size() - 1000);
    CHECK(h.finish() == sha256_hex(data.substr(0, 1000) + std::string(70000, '\0') + data.substr(1000)));
    ParallelHasher abandoned;  // destroyed without finish(): joins, no hang
    abandoned.update(data.data(), data.size());
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
