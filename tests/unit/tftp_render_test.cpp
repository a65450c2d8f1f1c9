#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "tftp/render.hpp"

using namespace mb::tftp;

TEST_CASE("Templates substitute placeholders and name unknown ones with line", "[tftp][render]") {
    TemplateVars v{{"mac", "dc-a6-32-01-36-c2"}, {"serial", "5b154510"}};
    CHECK(render_template("a={{mac}}\nb={{ serial }}\n", v, "t") == "a=dc-a6-32-01-36-c2\nb=5b154510\n");
    CHECK(render_template("no placeholders", v, "t") == "no placeholders");
    try {
        render_template("x\ny={{seriall}}\n", v, "config.txt");
        FAIL("expected an error");
    } catch (const mb::Error& e) {
        CHECK(std::string(e.what()) == "config.txt:2: unknown placeholder 'seriall' (did you mean 'serial'?)");
        CHECK(e.code() == mb::kExitDataErr);
    }
    CHECK_THROWS_AS(render_template("{{mac", v, "t"), mb::Error);
}

TEST_CASE("Built-in config.txt renders for both RPI_EFI.fd variants", "[tftp][render]") {
    TemplateVars v{{"mac", "m"}, {"serial", "s"}};
    auto w = device_tree_window(3997696);
    v["device_tree_address"] = w.address;
    v["device_tree_end"] = w.end;
    auto text = render_template(builtin_template("config.txt"), v, "config.txt");
    CHECK(text.find("armstub=RPI_EFI.fd\n") != std::string::npos);
    CHECK(text.find("device_tree_address=0x3e0000\n") != std::string::npos);
    CHECK(text.find("device_tree_end=0x400000\n") != std::string::npos);
    CHECK(device_tree_window(2031616).address == "0x1f0000");
    CHECK(device_tree_window(std::nullopt).end == "0x400000");
    CHECK(is_templated("cmdline.txt"));
    CHECK_FALSE(is_templated("start4.elf"));
}

TEST_CASE("RenderCache renders once per key and evicts by size", "[tftp][render]") {
    RenderCache cache(100);
    int calls = 0;
    auto make = [&](size_t n) {
        return [&calls, n] {
            calls++;
            auto bytes = std::make_shared<const std::vector<uint8_t>>(n, 1);
            return Rendered{std::make_shared<MemorySource>(bytes), n};
        };
    };
    auto a = cache.get_or_render("a", make(60));
    auto a2 = cache.get_or_render("a", make(60));
    CHECK(a == a2);
    CHECK(calls == 1);
    cache.get_or_render("b", make(60));  // evicts a (LRU), keeps b
    CHECK(cache.entries() == 1);
    cache.get_or_render("a", make(60));
    CHECK(calls == 3);
    CHECK(cache.hits() == 1);
    CHECK(a->size() == 60);  // evicted entries stay valid for transfers holding them
    CHECK_THROWS(cache.get_or_render("c", []() -> Rendered { throw mb::data_error("bad"); }));
    CHECK(cache.entries() == 1);
}

TEST_CASE("sha256_hex", "[tftp][render]") {
    const std::string abc = "abc";
    CHECK(sha256_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(abc.data()), 3)) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
