// Test helper: N locked read-modify-write updates of one state document through StateStore, as
// several tools would do concurrently. Each update increments "count", appends to "writers"
// and rewrites a payload so that each write takes measurable time (for kill -9 tests).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "config/state_store.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s ROOT DOCUMENT UPDATES [PAYLOAD_BYTES]\n", argv[0]);
        return 64;
    }
    const mb::config::Tree tree(argv[1]);
    const mb::config::StateStore store(tree, "test");
    const long updates = std::atol(argv[3]);
    const size_t payload = argc > 4 ? static_cast<size_t>(std::atol(argv[4])) : 0;
    const std::string me = std::to_string(::getpid());
    try {
        for (long i = 0; i < updates; ++i) {
            store.update(argv[2], [&](nlohmann::json& doc) {
                doc["count"] = doc.value("count", 0) + 1;
                doc["last"] = me;
                if (payload) doc["payload"] = std::string(payload, static_cast<char>('a' + i % 26));
            });
        }
    } catch (const mb::Error& e) {
        std::fprintf(stderr, "state-writer: %s\n", e.what());
        return e.code();
    }
    return 0;
}
