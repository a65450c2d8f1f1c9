#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tftp/mapping.hpp"
#include "tftp/path.hpp"

using namespace mb::tftp;
namespace fs = std::filesystem;

namespace {
std::string ok(std::string_view name) {
    auto r = normalize_name(name);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}
PathError refused(std::string_view name) {
    auto r = normalize_name(name);
    REQUIRE(std::holds_alternative<PathError>(r));
    return std::get<PathError>(r);
}

struct TempRoot {
    fs::path dir;
    fs::path outside;
    int fd = -1;
    TempRoot() {
        char tmpl[] = "/tmp/mbt-tftp-path-XXXXXX";
        fs::path base = mkdtemp(tmpl);
        dir = base / "root";
        outside = base / "secret";
        fs::create_directories(dir / "sub");
        fs::create_directories(dir / "5b154510");
        std::ofstream(dir / "config.txt") << "arm_64bit=1\n";
        std::ofstream(dir / "sub" / "x") << "x";
        std::ofstream(outside) << "secret";
        fs::create_symlink(outside, dir / "escape");
        fs::create_symlink("config.txt", dir / "inner-link");
        fs::create_symlink(base, dir / "sub" / "updir");
        fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    ~TempRoot() {
        ::close(fd);
        fs::remove_all(dir.parent_path());
    }
};

std::variant<OpenedFile, PathError> open_close(int fd, const std::string& rel, bool follow = false) {
    auto r = open_beneath(fd, rel, follow);
    if (auto* f = std::get_if<OpenedFile>(&r)) ::close(f->fd);
    return r;
}
}  // namespace

TEST_CASE("Names are normalised: backslashes, leading slash, doubled slashes, dot", "[tftp][path]") {
    CHECK(ok("config.txt") == "config.txt");
    CHECK(ok("/config.txt") == "config.txt");
    CHECK(ok("\\boot\\RPI_EFI.fd") == "boot/RPI_EFI.fd");
    CHECK(ok("5b154510//start4.elf") == "5b154510/start4.elf");
    CHECK(ok("./overlays/./x.dtbo") == "overlays/x.dtbo");
    CHECK(ok("pxelinux.cfg/01-aa-bb") == "pxelinux.cfg/01-aa-bb");
}

TEST_CASE("Traversal and hostile names are refused without echoing paths", "[tftp][path]") {
    for (const char* name : {"../x", "..\\x", "sub/../x", "a/b/..", "..", "/../etc/passwd", "\\..\\..\\etc"}) {
        INFO(name);
        auto e = refused(name);
        CHECK(e.code == ErrorCode::access_violation);
        CHECK(e.message.find("..") != std::string::npos);
        CHECK(e.message.find('/') == std::string::npos);
    }
    CHECK(refused(std::string("a\0b", 3)).message.find("NUL") != std::string::npos);
    CHECK(refused("a\x01"
                  "b")
              .message.find("control") != std::string::npos);
    CHECK(refused("a\nb").code == ErrorCode::access_violation);
    CHECK(refused("").code == ErrorCode::access_violation);
    CHECK(refused("/").code == ErrorCode::access_violation);
    CHECK(refused(std::string(600, 'a')).message == "File name too long");
    CHECK(ok(std::string(255, 'a')).size() == 255);
    // "..." and "..x" are ordinary names.
    CHECK(ok("...") == "...");
    CHECK(ok("..x") == "..x");
}

TEST_CASE("open_beneath confines to the root, with openat2 and with the fallback walk", "[tftp][path]") {
    TempRoot root;
    REQUIRE(root.fd >= 0);
    for (bool fallback : {false, true}) {
        INFO("fallback " << fallback);
        force_openat2_fallback(fallback);
        auto r = open_beneath(root.fd, "config.txt");
        REQUIRE(std::holds_alternative<OpenedFile>(r));
        CHECK(std::get<OpenedFile>(r).size == 12);
        ::close(std::get<OpenedFile>(r).fd);
        CHECK(std::holds_alternative<OpenedFile>(open_close(root.fd, "sub/x")));

        auto missing = open_close(root.fd, "nope.bin");
        REQUIRE(std::holds_alternative<PathError>(missing));
        CHECK(std::get<PathError>(missing).code == ErrorCode::file_not_found);
        CHECK(std::get<PathError>(missing).message == "File not found");

        auto escape = open_close(root.fd, "escape");
        REQUIRE(std::holds_alternative<PathError>(escape));
        CHECK(std::get<PathError>(escape).code == ErrorCode::access_violation);
        CHECK(std::get<PathError>(escape).message.find(root.dir.string()) == std::string::npos);

        CHECK(std::holds_alternative<PathError>(open_close(root.fd, "sub/updir/secret")));
        CHECK(std::holds_alternative<PathError>(open_close(root.fd, "inner-link")));
        // A directory is "not found", not a read of a directory.
        auto dir = open_close(root.fd, "sub");
        REQUIRE(std::holds_alternative<PathError>(dir));
        CHECK(std::get<PathError>(dir).code == ErrorCode::file_not_found);
    }
    force_openat2_fallback(false);
    // With symlinks allowed beneath the root, an inner link works and an escaping one still fails.
    CHECK(std::holds_alternative<OpenedFile>(open_close(root.fd, "inner-link", true)));
    CHECK(std::holds_alternative<PathError>(open_close(root.fd, "escape", true)));
    CHECK(std::holds_alternative<PathError>(open_close(root.fd, "sub/updir/secret", true)));
    CHECK(exists_beneath(root.fd, "config.txt"));
    CHECK_FALSE(exists_beneath(root.fd, "escape"));
}

TEST_CASE("Request mapping: serial, dashed MAC, source IP, shared fallback", "[tftp][mapping]") {
    const auto pi = *mb::device::Mac::parse("dc:a6:32:01:36:c2");
    const auto other = *mb::device::Mac::parse("d8:3a:dd:5a:44:0c");
    IdentityLookup lookup;
    lookup.by_serial = [&](std::string_view s) -> std::optional<mb::device::Mac> {
        if (s == "5b154510") return pi;
        return std::nullopt;
    };
    lookup.by_ip = [&](std::string_view ip) -> std::optional<mb::device::Mac> {
        if (ip == "10.0.0.7") return other;
        return std::nullopt;
    };
    auto m = map_request("5b154510/start4.elf", "10.0.0.9", lookup);
    CHECK(m.mac == pi);
    CHECK(m.via == IdentitySource::serial);
    CHECK(m.prefix == "5b154510");
    CHECK(m.relative == "start4.elf");

    m = map_request("5B154510/config.txt", "", lookup);
    CHECK(m.mac == pi);

    m = map_request("dc-a6-32-01-36-c2/RPI_EFI.fd", "10.0.0.7", lookup);
    CHECK(m.mac == pi);
    CHECK(m.via == IdentitySource::mac_prefix);
    CHECK(m.relative == "RPI_EFI.fd");

    // Unknown serial: prefix stripped, identity from the source IP.
    m = map_request("deadbeef/start4.elf", "10.0.0.7", lookup);
    CHECK(m.mac == other);
    CHECK(m.via == IdentitySource::source_ip);
    CHECK(m.prefix == "deadbeef");
    CHECK(m.relative == "start4.elf");

    m = map_request("deadbeef/start4.elf", "10.0.0.8", lookup);
    CHECK_FALSE(m.mac);
    CHECK(m.relative == "start4.elf");

    m = map_request("overlays/miniuart-bt.dtbo", "10.0.0.8", lookup);
    CHECK_FALSE(m.mac);
    CHECK(m.prefix.empty());
    CHECK(m.relative == "overlays/miniuart-bt.dtbo");

    // A bare serial-looking name with no slash is a file, not a prefix.
    m = map_request("5b154510", "", lookup);
    CHECK(m.relative == "5b154510");
    CHECK_FALSE(m.mac);
    CHECK_FALSE(looks_like_serial("5b15451"));
    CHECK_FALSE(parse_dashed_mac("dc:a6:32:01:36:c2"));
}
