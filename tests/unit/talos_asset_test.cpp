#include <lzma.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <random>

#include "core/error.hpp"
#include "talos/asset.hpp"
#include "talos/cache_policy.hpp"
#include "talos/decompress.hpp"
#include "talos/digest.hpp"

using namespace mb::talos;

TEST_CASE("The seed's openstack.raw is fetched as openstack-<arch>.raw.xz and decompressed", "[talos][asset]") {
    const auto r = parse_asset("openstack.raw", "amd64");
    CHECK_FALSE(r.checksum);
    CHECK(r.asset.kind == AssetKind::disk);
    CHECK(r.asset.platform == "openstack");
    CHECK(r.asset.served_name == "openstack-amd64.raw");
    CHECK(r.asset.upstream_path == "openstack-amd64.raw.xz");
    CHECK(r.asset.decompress == Codec::xz);
    CHECK(r.asset.content_type == "application/octet-stream");
    const auto m = parse_asset("metal-arm64.raw", "arm64");
    CHECK(m.asset.upstream_path == "metal-arm64.raw.zst");
    CHECK(m.asset.decompress == Codec::zst);
    CHECK(parse_asset("metal.raw", "arm64", RawSource::xz).asset.upstream_path == "metal-arm64.raw.xz");
    const auto sum = parse_asset("openstack.raw.sha256", "amd64");
    CHECK(sum.checksum);
    CHECK(sum.asset.served_name == "openstack-amd64.raw");
}

TEST_CASE("Compressed and other assets pass through under their factory names", "[talos][asset]") {
    struct Case {
        const char* name;
        const char* arch;
        const char* served;
        const char* type;
    };
    for (const auto& c :
         {Case{"metal-arm64.raw.xz", "arm64", "metal-arm64.raw.xz", "application/x-xz"},
          Case{"metal.raw.zst", "arm64", "metal-arm64.raw.zst", "application/zstd"},
          Case{"kernel", "arm64", "kernel-arm64", "application/octet-stream"},
          Case{"kernel-amd64", "amd64", "kernel-amd64", "application/octet-stream"},
          Case{"initramfs.xz", "arm64", "initramfs-arm64.xz", "application/x-xz"},
          Case{"cmdline-metal", "arm64", "cmdline-metal-arm64", "text/plain; charset=utf-8"},
          Case{"cmdline-metal-amd64-secureboot", "amd64", "cmdline-metal-amd64-secureboot",
               "text/plain; charset=utf-8"},
          Case{"metal-amd64-secureboot.iso", "amd64", "metal-amd64-secureboot.iso", "application/x-iso9660-image"},
          Case{"metal-amd64-uki.efi", "amd64", "metal-amd64-uki.efi", "application/efi"},
          Case{"installer-arm64.tar", "arm64", "installer-arm64.tar", "application/x-tar"},
          Case{"metal-installer-amd64.tar", "amd64", "metal-installer-amd64.tar", "application/x-tar"},
          Case{"gcp.raw.tar.gz", "amd64", "gcp-amd64.raw.tar.gz", "application/gzip"},
          Case{"digital-ocean-amd64.raw.gz", "amd64", "digital-ocean-amd64.raw.gz", "application/gzip"},
          Case{"nocloud.qcow2", "amd64", "nocloud-amd64.qcow2", "application/octet-stream"}}) {
        INFO(c.name);
        const auto r = parse_asset(c.name, c.arch);
        CHECK(r.asset.served_name == c.served);
        CHECK(r.asset.upstream_path == c.served);
        CHECK(r.asset.decompress == Codec::none);
        CHECK(r.asset.content_type == c.type);
    }
}

TEST_CASE("Bad asset names and architectures are refused with the reason", "[talos][asset]") {
    for (const char* bad : {"", "../x", "a/b", ".raw", "openstack.raw.xz.xz", "openstack.raw.bz2", "openstack.img",
                            "nowhere.raw", "metal-arm64.raw", "kernel.bin", "initramfs", "initramfs.gz",
                            "cmdline-metal.txt", "metal-amd64-uki.iso", "metal%00.raw", "installer.zip"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_asset(bad, "amd64"), mb::Error);
    }
    CHECK_THROWS_AS(parse_asset("metal.raw", "x86_64"), mb::Error);
    try {
        parse_asset("metal-arm64.raw.xz", "amd64");
    } catch (const mb::Error& e) {
        CHECK(std::string(e.what()).find("arm64") != std::string::npos);
    }
}

namespace {

std::string sample(size_t n) {
    std::string s(n, '\0');
    std::mt19937 rng(7);
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 4096 < 2048 ? 0 : rng() & 0xff);
    return s;
}

std::string xz_compress(const std::string& in) {
    std::string out(lzma_stream_buffer_bound(in.size()), '\0');
    size_t pos = 0;
    REQUIRE(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(in.data()),
                                    in.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()) == LZMA_OK);
    out.resize(pos);
    return out;
}

std::string zstd_compress(const std::string& in) {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

std::string run(Codec codec, const std::string& compressed, size_t chunk, bool finish = true) {
    auto d = make_decompressor(codec);
    std::string out;
    const auto sink = [&](const char* p, size_t n) { out.append(p, n); };
    for (size_t i = 0; i < compressed.size(); i += chunk) d->feed(std::string_view(compressed).substr(i, chunk), sink);
    if (finish) d->finish(sink);
    return out;
}

}  // namespace

TEST_CASE("xz and zstd streams decompress in any chunking; truncation is an error", "[talos][decompress]") {
    const auto plain = sample(3 << 20);
    const auto xz = xz_compress(plain);
    const auto zst = zstd_compress(plain);
    for (const size_t chunk : {size_t(1) << 20, size_t(4093), size_t(65536)}) {
        CHECK(run(Codec::xz, xz, chunk) == plain);
        CHECK(run(Codec::zst, zst, chunk) == plain);
    }
    CHECK(run(Codec::none, "abc", 1) == "abc");
    CHECK_THROWS_AS(run(Codec::xz, xz.substr(0, xz.size() - 10), 8192), mb::Error);
    CHECK_THROWS_AS(run(Codec::zst, zst.substr(0, zst.size() / 2), 8192), mb::Error);
    CHECK_THROWS_AS(run(Codec::zst, "", 8192), mb::Error);
    std::string garbage = xz;
    garbage[garbage.size() / 2] ^= 0x55;
    CHECK_THROWS_AS(run(Codec::xz, garbage, 8192), mb::Error);
    CHECK_THROWS_AS(run(Codec::zst, "not zstd at all", 8192), mb::Error);
}

TEST_CASE("Decoders hand over output in full batches; flush hands over what they hold", "[talos][decompress]") {
    const auto plain = sample(3 << 20);
    for (const auto codec : {Codec::xz, Codec::zst}) {
        const auto compressed = codec == Codec::xz ? xz_compress(plain) : zstd_compress(plain);
        auto d = make_decompressor(codec);
        std::string out;
        std::vector<size_t> sizes;
        const auto sink = [&](const char* p, size_t n) {
            out.append(p, n);
            sizes.push_back(n);
        };
        const size_t half = compressed.size() / 2;
        for (size_t i = 0; i < half; i += 1000)
            d->feed(std::string_view(compressed).substr(i, std::min<size_t>(1000, half - i)), sink);
        for (const auto n : sizes) CHECK(n == kOutputBatch);  // small inputs, yet only full batches
        const size_t before = out.size();
        d->flush(sink);
        CHECK(out.size() > before);  // what was held is handed over
        CHECK(out.size() < plain.size());
        CHECK(plain.compare(0, out.size(), out) == 0);
        d->flush(sink);  // nothing held: no call
        CHECK(sizes.size() == before / kOutputBatch + 1);
        d->feed(std::string_view(compressed).substr(half), sink);
        d->finish(sink);
        CHECK(out == plain);
    }
}

TEST_CASE("SHA-256 incremental and sha256sum lines", "[talos][digest]") {
    Sha256 h;
    h.update("customization: {}");
    h.update("\n");
    const auto hex = h.final_hex();
    CHECK(hex == "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba");
    CHECK(sha256sum_line(hex, "x.raw") == hex + "  x.raw\n");
    const auto parsed = parse_sha256sum(sha256sum_line(hex, "x.raw"));
    REQUIRE(parsed);
    CHECK(parsed->hex == hex);
    CHECK(parsed->name == "x.raw");
    CHECK(parse_sha256sum(hex + " *bin.raw\n")->name == "bin.raw");
    CHECK_FALSE(parse_sha256sum("zz"));
    CHECK_FALSE(parse_sha256sum(std::string(64, 'g')));
}

TEST_CASE("Eviction takes least recently used entries and skips those in use", "[talos][cache]") {
    using namespace std::chrono;
    const auto t0 = system_clock::now();
    std::vector<EvictionCandidate> entries = {
        {"old-busy", 100, t0 - hours(3), true},
        {"old", 100, t0 - hours(2), false},
        {"mid", 100, t0 - hours(1), false},
        {"new", 100, t0, false},
    };
    CHECK(choose_evictions(entries, 250) == std::vector<std::string>{"old", "mid"});
    CHECK(choose_evictions(entries, 400).empty());
    CHECK(choose_evictions(entries, 0) == std::vector<std::string>{"old", "mid", "new"});
}
