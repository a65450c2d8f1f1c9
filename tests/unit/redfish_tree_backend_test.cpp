#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "config/loader.hpp"
#include "redfish/tree_backend.hpp"
#include "support.hpp"

using mb::device::Mac;
using mb::redfish::TreeBackend;

namespace {

struct Tree {
    mb::test::TempDir dir;
    Mac a = *Mac::parse("d8:3a:dd:5a:44:0c");
    Mac b = *Mac::parse("d8:3a:dd:5a:44:0d");
    Tree() {
        dir.write("metal-boot.yaml", "log: {level: warn}\n");
        dir.write("devices/d8-3a-dd-5a-44-0c.yaml", "name: rpi-01\n");
        dir.write("devices/d8-3a-dd-5a-44-0d.yaml", "name: rpi-02\n");
    }
    std::shared_ptr<const mb::config::Snapshot> load() { return mb::config::load_tree(mb::config::Tree(dir.path())); }
};

}  // namespace

TEST_CASE("TreeBackend stamps: one number per content, never reused, own writes seen at once", "[redfish]") {
    Tree t;
    TreeBackend backend(t.load());
    const auto a1 = backend.stamp(t.a);
    const auto b1 = backend.stamp(t.b);
    CHECK(a1 != 0);
    CHECK(b1 != 0);
    CHECK(a1 != b1);
    CHECK(backend.stamp(t.a) == a1);  // unchanged inputs: same number
    std::set<uint64_t> seen{a1, b1};

    // Our own write of a's variables: a new number at once (no waiting for the stat() interval).
    backend.store_state(t.a, {{"x", 1}});
    const auto a2 = backend.stamp(t.a);
    CHECK(a2 != a1);
    CHECK(seen.insert(a2).second);
    const auto b2 = backend.stamp(t.b);  // every device re-checks after a write: a fresh number too
    CHECK(seen.insert(b2).second);

    // Another tool writes b's inventory: seen once the stamp is older than kStampMaxAge.
    t.dir.write("state/http/inventory/d8-3a-dd-5a-44-0d.json", R"({"inventory":{}})");
    std::this_thread::sleep_for(TreeBackend::kStampMaxAge + std::chrono::milliseconds(50));
    const auto b3 = backend.stamp(t.b);
    CHECK(b3 != b2);
    CHECK(seen.insert(b3).second);

    // A reload (new snapshot) changes the device list's generation and every stamp.
    const auto gen = backend.devices_generation();
    CHECK(gen != 0);
    backend.set_snapshot(t.load());
    CHECK(backend.devices_generation() != gen);
    CHECK(seen.insert(backend.stamp(t.a)).second);
}
