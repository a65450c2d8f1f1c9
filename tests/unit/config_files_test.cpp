#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <thread>

#include "config/atomic_file.hpp"
#include "config/file_lock.hpp"
#include "config/remote_backend.hpp"
#include "config/state_store.hpp"
#include "config/watcher.hpp"
#include "core/error.hpp"
#include "support.hpp"

using namespace mb::config;
using mb::test::TempDir;

TEST_CASE("write_file_atomic replaces content and leaves no temp file", "[config][atomic]") {
    TempDir dir;
    const auto p = dir / "sub/dir/file.txt";
    write_file_atomic(p, "one");
    CHECK(read_file(p) == "one");
    write_file_atomic(p, "two", 0600);
    CHECK(read_file(p) == "two");
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(p.parent_path())) {
        (void)e;
        ++entries;
    }
    CHECK(entries == 1);
    CHECK_FALSE(read_file_if_exists(dir / "missing"));
    CHECK_THROWS_AS(read_file(dir / "missing"), mb::Error);
}

TEST_CASE("write_file_atomic reports an uncreatable target", "[config][atomic]") {
    TempDir dir;
    dir.write("blocker", "x");
    try {
        write_file_atomic(dir / "blocker/child", "x");
        FAIL("expected an error");
    } catch (const mb::Error& e) {
        CHECK(e.code() == mb::kExitCantCreate);
        CHECK(std::string(e.what()).find("blocker") != std::string::npos);
    }
}

TEST_CASE("StateStore update is a locked read-modify-write", "[config][state]") {
    TempDir dir;
    StateStore store(Tree(dir.path()), "dhcp");
    CHECK(store.read("devices/x.json").empty());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i)
                store.update("devices/x.json", [](nlohmann::json& doc) { doc["n"] = doc.value("n", 0) + 1; });
        });
    for (auto& t : threads) t.join();
    CHECK(store.read("devices/x.json")["n"] == 400);
    CHECK(store.list("devices") == std::vector<std::string>{"x.json"});
    CHECK(store.remove("devices/x.json"));
    CHECK_FALSE(store.remove("devices/x.json"));
    CHECK_THROWS_AS(store.path("../escape"), mb::Error);
    dir.write("state/dhcp/bad.json", "{not json");
    CHECK_THROWS_AS(store.read("bad.json"), mb::Error);
}

TEST_CASE("FileLock with a timeout reports a busy lock", "[config][lock]") {
    TempDir dir;
    FileLock held(dir / "doc.json", FileLock::Mode::exclusive);
    // flock locks belong to the open file description, so a second open in this process conflicts.
    try {
        FileLock second(dir / "doc.json", FileLock::Mode::exclusive, std::chrono::milliseconds(30));
        FAIL("expected the lock to be busy");
    } catch (const mb::Error& e) {
        CHECK(e.code() == mb::kExitTempFail);
    }
}

TEST_CASE("TreeWatcher reports changed files and skips temp files", "[config][watch]") {
    TempDir dir;
    std::filesystem::create_directories(dir / "devices");
    TreeWatcher watcher{Tree(dir.path())};
    CHECK(watcher.read_changes().empty());
    write_file_atomic(dir / "devices/dc-a6-32-01-02-03.yaml", "name: x\n");
    auto changes = watcher.read_changes();
    REQUIRE_FALSE(changes.empty());
    CHECK(std::find(changes.begin(), changes.end(), "devices/dc-a6-32-01-02-03.yaml") != changes.end());
    for (const auto& c : changes) CHECK(c.find("/.") == std::string::npos);
}

TEST_CASE("etcd gateway helpers", "[config][backend]") {
    CHECK(base64_encode("/metalboot/hw/") == "L21ldGFsYm9vdC9ody8=");
    CHECK(base64_decode("L21ldGFsYm9vdC9ody8=") == "/metalboot/hw/");
    CHECK(base64_decode("") == "");
    CHECK_THROWS_AS(base64_decode("abc"), mb::Error);
    CHECK(prefix_range_end("/metalboot/hw/") == "/metalboot/hw0");
    BackendSettings b;
    b.type = "etcd";
    b.endpoints = {"http://127.0.0.1:1"};
    b.timeout_ms = 200;
    try {
        fetch_remote_records(b);
        FAIL("expected unavailable");
    } catch (const mb::Error& e) {
        CHECK(e.code() == mb::kExitUnavailable);
    }
}
