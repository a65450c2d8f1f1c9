#include <catch2/catch.hpp>

#include <cstring>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/bytes.hpp"
#include "efi/guid.hpp"
#include "efi/vars_json.hpp"
#include "efi/varstore.hpp"
#include "efi_test_util.hpp"

using namespace mb::efi;
using mb::to_hex;
using mb::efi::test::fixture;
using mb::efi::test::fixture_text;
using mb::efi::test::sha256_hex;

namespace {

// Applies a JSON export to an image the way `virt-fw-vars -i IMG -o OUT --set-json JSON` does.
std::vector<uint8_t> apply_json(std::vector<uint8_t> image, const std::string& json, MergeMode mode = MergeMode::Key) {
    Store s = parse_store(image);
    check_writable(s);
    merge(s.vars, parse_json(json), mode);
    write_compact(image, s.layout, s.vars);
    return image;
}

std::vector<uint8_t> fresh_ovmf() {
    std::vector<uint8_t> img(0x20000, 0);
    format_volume(img, 0, *format_preset("ovmf"));
    return img;
}

// Appends a raw authenticated record at offset p; returns the next offset.
size_t put_record(std::vector<uint8_t>& img, size_t p, uint8_t state, const Guid& g, std::u16string name,
                  std::vector<uint8_t> data, uint32_t attr = 7) {
    Variables one;
    one.set(Variable{g, std::move(name), attr, std::move(data), {}, 0, 0});
    auto rec = serialize_records(one, true);
    rec[2] = state;
    std::memcpy(img.data() + p, rec.data(), rec.size());
    return p + rec.size();
}

}  // namespace

TEST_CASE("Guid text and on-disk bytes", "[efi][guid]") {
    auto g = Guid::parse("fff12b8d-7696-4c8b-a985-2747075b4f50");
    REQUIRE(g);
    CHECK(to_hex(g->bytes()) == "8d2bf1ff96768b4ca9852747075b4f50");
    CHECK(g->str() == "fff12b8d-7696-4c8b-a985-2747075b4f50");
    CHECK(g->name() == "NvData");
    CHECK(Guid::parse("EfiGlobalVariable")->str() == "8be4df61-93ca-11d2-aa0d-00e098032b8c");
    CHECK(Guid::parse("guid:efiglobalvariable") == Guid::parse("8BE4DF61-93CA-11D2-AA0D-00E098032B8C"));
    CHECK(Guid::parse("{cd7cc258-31db-22e6-9f22-63b0b8eed6b5}")->name() == "ConfigDxe");
    CHECK(guids::kConfigDxe != guids::kRpiTokenSpace);
    CHECK(guids::kAuthVars.upper() == "AAF32C78-947B-439A-A180-2E144EC37792");
    for (const char* bad : {"", "fff12b8d-7696-4c8b-a985-2747075b4f5", "fff12b8d-7696-4c8b-a985_2747075b4f50",
                            "gff12b8d-7696-4c8b-a985-2747075b4f50", "NoSuchName"}) {
        INFO(bad);
        CHECK_FALSE(Guid::parse(bad));
    }
}

TEST_CASE("Fixture images are located by scanning and walked like edk2", "[efi][varstore]") {
    struct Case {
        const char* file;
        size_t fv, records_begin, records_end, nrec;
    };
    for (const Case& c : {Case{"RPI_EFI-v1.38.fd", 0x1D0000, 0x1D0064, 0x1DE000, 1},
                          Case{"RPI_EFI-v1.40.fd", 0x3B0000, 0x3B0064, 0x3BE000, 1},
                          Case{"RPI_EFI-rebuilt-empty.fd", 0x3B0000, 0x3B0064, 0x3BE000, 0}}) {
        INFO(c.file);
        auto img = fixture(c.file);
        REQUIRE(!img.empty());
        Store s = parse_store(img);
        CHECK(s.layout.fv_offset == c.fv);
        CHECK(s.layout.fv_length == 0x20000);
        CHECK(s.layout.fv_checksum == 0xF919);
        CHECK(s.layout.authenticated);
        CHECK(s.layout.store_size == 0xDFB8);
        CHECK(s.layout.records_begin == c.records_begin);
        CHECK(s.layout.records_end == c.records_end);
        CHECK(s.records.size() == c.nrec);
        CHECK(s.vars.size() == c.nrec);
        CHECK_FALSE(s.dirty_free);
        CHECK(s.ftw.present);
        CHECK(s.ftw.offset == c.fv + 0xF000);
        CHECK(s.ftw.crc == 0x642CAF2C);
        CHECK(s.ftw.crc_ok);
        CHECK(s.ftw.queue_empty);
        CHECK_FALSE(s.ftw.pending);
        if (c.nrec) {
            const Variable* v = s.vars.find(guids::kConfigDxe, u"RamLimitTo3GB");
            REQUIRE(v);
            CHECK(v->attr == 7);
            CHECK(to_hex(v->data) == "00000000");
            CHECK_FALSE(v->time.is_set());
            CHECK(s.records[0].offset == c.records_begin);
            CHECK(s.used_end == c.records_begin + 0x5C);
        }
        // Round trip: a compact rewrite of an unmodified store reproduces the image exactly.
        auto copy = img;
        write_compact(copy, s.layout, s.vars);
        CHECK(copy == img);
    }
}

TEST_CASE("Golden virt-fw-vars results are reproduced byte for byte", "[efi][varstore][golden]") {
    const auto empty = fixture("RPI_EFI-rebuilt-empty.fd");
    const auto v138 = fixture("RPI_EFI-v1.38.fd");
    const auto v140 = fixture("RPI_EFI-v1.40.fd");
    REQUIRE(!empty.empty());
    auto out = apply_json(empty, fixture_text("ramlimit-off.vars.json"));
    CHECK(sha256_hex(out) == "50286ef122cbc9efa5a9e2b22f012665b08664621a7ed199111ab92d564ac517");
    CHECK(std::equal(out.begin() + 0x3B0000, out.end(), v140.begin() + 0x3B0000));
    out = apply_json(empty, fixture_text("pi4-d83add5a440c.vars.json"));
    CHECK(sha256_hex(out) == "6137e1217b62bc89551574c6db2712c616f6a1ef7ac23794b2b8e9d008350539");
    CHECK(parse_store(out).used_end == 0x3B3F1C);
    out = apply_json(empty, fixture_text("pi4-d83add5a4436.vars.json"));
    CHECK(sha256_hex(out) == "c4894c476d06f8adb04b3e5083d8914c4bcaa4dde38d354b1615a27af7616430");
    CHECK(parse_store(out).used_end - 0x3B0064 == 15084);
    out = apply_json(v138, fixture_text("pi4-d83add5a440c.vars.json"));
    CHECK(sha256_hex(out) == "e711960cda4d363780c96d54777aeb6bd4d95db4328743c1b54cd6469cd92f3e");
    // Name-only (virt-compat) merge gives the same bytes for these inputs.
    out = apply_json(v138, fixture_text("pi4-d83add5a440c.vars.json"), MergeMode::NameOnly);
    CHECK(sha256_hex(out) == "e711960cda4d363780c96d54777aeb6bd4d95db4328743c1b54cd6469cd92f3e");
    // Re-exporting gives the input's variable set, name-sorted.
    const auto in = import_json(fixture_text("pi4-d83add5a440c.vars.json"));
    Store s = parse_store(out);
    REQUIRE(s.vars.size() == in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        CHECK(s.vars[i] == in[i]);
    }
}

TEST_CASE("A 0x3E record without a live twin is live; with one it is not", "[efi][varstore]") {
    auto img = fresh_ovmf();
    Store s0 = parse_store(img);
    size_t p = s0.layout.records_begin;
    p = put_record(img, p, 0x3E, guids::kConfigDxe, u"Lonely", {1, 0, 0, 0});
    p = put_record(img, p, 0x3E, guids::kConfigDxe, u"Twin", {1, 0, 0, 0});
    p = put_record(img, p, 0x3C, guids::kConfigDxe, u"Gone", {9});
    p = put_record(img, p, 0x3F, guids::kConfigDxe, u"Twin", {2, 0, 0, 0});
    p = put_record(img, p, 0x3F, guids::kConfigDxe, u"Twin", {3, 0, 0, 0});  // first 0x3F wins
    Store s = parse_store(img);
    CHECK(s.records.size() == 5);
    CHECK(s.vars.size() == 2);
    REQUIRE(s.vars.find(guids::kConfigDxe, u"Lonely"));
    CHECK(s.vars.find(guids::kConfigDxe, u"Twin")->data[0] == 2);
    CHECK_FALSE(s.vars.find(guids::kConfigDxe, u"Gone"));
    CHECK(s.used_end == p);
}

TEST_CASE("A half-written header mid-store is skipped by its header size", "[efi][varstore]") {
    auto img = fresh_ovmf();
    size_t p = parse_store(img).layout.records_begin;
    p = put_record(img, p, 0x3F, guids::kGlobal, u"A", {1});
    // Header with State 0xFF and NameSize/DataSize 0xFFFFFFFF: edk2 advances by the header only.
    img[p] = 0xAA;
    img[p + 1] = 0x55;
    std::memset(img.data() + p + 2, 0xFF, 58);
    p += 60;
    p = put_record(img, p, 0x3F, guids::kGlobal, u"B", {2});
    Store s = parse_store(img);
    CHECK(s.records.size() == 3);
    CHECK(s.records[1].incomplete);
    CHECK(s.vars.size() == 2);
    CHECK(s.vars.find(guids::kGlobal, u"B"));
}

TEST_CASE("Same name under two GUIDs stays two variables", "[efi][varstore]") {
    auto img = fresh_ovmf();
    const auto ip6 = *Guid::parse("EfiIp6ConfigProtocol");
    const auto ip4 = *Guid::parse("EfiIp4Config2Protocol");
    size_t p = parse_store(img).layout.records_begin;
    p = put_record(img, p, 0x3F, ip6, u"D83ADD5A440C", {6}, 3);
    put_record(img, p, 0x3F, ip4, u"D83ADD5A440C", {4}, 3);
    Store s = parse_store(img);
    REQUIRE(s.vars.size() == 2);
    CHECK(s.vars.find(ip6, u"D83ADD5A440C")->data[0] == 6);
    CHECK(s.vars.find(ip4, u"D83ADD5A440C")->data[0] == 4);
    auto copy = img;
    write_compact(copy, s.layout, s.vars);
    CHECK(parse_store(copy).vars.size() == 2);
}

TEST_CASE("Dirty free space is reported and cleaned by a rewrite", "[efi][varstore]") {
    auto img = fresh_ovmf();
    size_t p = parse_store(img).layout.records_begin;
    p = put_record(img, p, 0x3F, guids::kGlobal, u"A", {1});
    img[p + 100] = 0x00;
    Store s = parse_store(img);
    REQUIRE(s.dirty_free);
    CHECK(*s.dirty_free == p + 100);
    write_compact(img, s.layout, s.vars);
    CHECK_FALSE(parse_store(img).dirty_free);
}

TEST_CASE("Bad inputs are refused with errors naming offsets", "[efi][varstore]") {
    auto expect_error = [](const std::vector<uint8_t>& img, const std::string& needle) {
        try {
            parse_store(img);
            FAIL("no error, expected: " << needle);
        } catch (const mb::Error& e) {
            CHECK(e.code() == mb::kExitDataErr);
            CHECK_THAT(e.what(), Catch::Contains(needle));
        }
    };
    expect_error(std::vector<uint8_t>(4096, 0), "blank");
    expect_error(std::vector<uint8_t>(64 * 1024, 0xFF), "blank");
    expect_error({}, "empty");
    expect_error(std::vector<uint8_t>(4096, 0x5A), "no NV firmware volume");
    auto img = fixture("RPI_EFI-v1.40.fd");
    auto bad = img;
    bad[0x3B0040] ^= 1;  // block map change breaks the checksum
    expect_error(bad, "checksum");
    expect_error(std::vector<uint8_t>(img.begin(), img.begin() + 0x3B8000), "0x3b0000");
    bad = img;
    put32(bad.data() + 0x3B0064 + 40, 0x100000);  // DataSize far beyond the store
    expect_error(bad, "0x3b0064");
    // Pending FTW write: header allocated, not complete.
    bad = img;
    bad[0x3BF020] = 0xFE;
    Store s = parse_store(bad);
    REQUIRE(s.ftw.pending);
    CHECK(*s.ftw.pending == 0x3BF020);
    CHECK_THROWS_WITH(check_writable(s), Catch::Contains("0x3bf020"));
    // Overflow: the store keeps its old bytes.
    Store ok = parse_store(img);
    Variables big = ok.vars;
    big.set(Variable{guids::kGlobal, u"Huge", 7, std::vector<uint8_t>(0xE000, 1), {}, 0, 0});
    auto before = img;
    CHECK_THROWS_WITH(write_compact(img, ok.layout, big), Catch::Contains("too small"));
    CHECK(img == before);
    // Two NV volumes: refuse to pick one silently.
    std::vector<uint8_t> two(0x40000, 0);
    format_volume(two, 0, *format_preset("ovmf"));
    format_volume(two, 0x20000, *format_preset("ovmf"));
    expect_error(two, "2 NV firmware volumes");
    CHECK(parse_store(two, 0x20000).layout.fv_offset == 0x20000);
}

TEST_CASE("A plain-GUID store and a bare store at offset 0 are accepted", "[efi][varstore]") {
    auto img = fresh_ovmf();
    Store s = parse_store(img);
    std::copy(guids::kPlainVars.bytes().begin(), guids::kPlainVars.bytes().end(), img.begin() + 0x48);
    Store plain = parse_store(img);
    CHECK_FALSE(plain.layout.authenticated);
    Variables vars;
    vars.set(Variable{guids::kGlobal, u"Timeout", 7, {5, 0}, {}, 0, 0});
    write_compact(img, plain.layout, vars);
    Store back = parse_store(img);
    CHECK(back.records[0].size == 32 + 16 + 4);
    CHECK(back.vars[0].data == std::vector<uint8_t>{5, 0});
    // A bare store (no FV header) at offset 0.
    std::vector<uint8_t> bare(img.begin() + 0x48, img.begin() + 0x48 + 0xDFB8);
    Store b = parse_store(bare);
    CHECK_FALSE(b.layout.has_fv);
    CHECK(b.vars.size() == 1);
}

TEST_CASE("format writes a volume edk2 and the fixtures agree on", "[efi][varstore]") {
    auto img = fresh_ovmf();
    Store s = parse_store(img);
    CHECK(s.layout.fv_checksum == 0xF919);
    CHECK(s.ftw.crc == 0x642CAF2C);
    CHECK(s.ftw.crc_ok);
    CHECK(s.vars.empty());
    // The RPi NV volume of v1.40 before its one record = a fresh "rpi" volume.
    auto pi = fixture("RPI_EFI-rebuilt-empty.fd");
    std::vector<uint8_t> fresh(pi.size(), 0xFF);
    format_volume(fresh, 0x3B0000, *format_preset("rpi"));
    CHECK(std::equal(fresh.begin() + 0x3B0000, fresh.begin() + 0x3D0000, pi.begin() + 0x3B0000));
    CHECK(to_hex(ftw_header(0x3FFE0)).substr(32, 8) == "5be7c686");
    std::vector<uint8_t> nonblank(0x20000, 0);
    nonblank[5] = 1;
    CHECK_THROWS_WITH(format_volume(nonblank, 0, *format_preset("ovmf")), Catch::Contains("not blank"));
}

TEST_CASE("edk2-style append marks old copies and keeps store order", "[efi][varstore]") {
    auto img = fixture("RPI_EFI-v1.40.fd");
    REQUIRE(!img.empty());
    Store s = parse_store(img);
    Variables target = s.vars;
    target[0].data = {1, 0, 0, 0};
    target.set(Variable{guids::kGlobal, u"Timeout", 7, {5, 0}, {}, 0, 0});
    write_append(img, s, target);
    Store after = parse_store(img);
    REQUIRE(after.records.size() == 3);
    CHECK(after.records[0].state == 0x3C);
    CHECK_FALSE(after.records[0].live);
    CHECK(after.vars.size() == 2);
    CHECK(after.vars.find(guids::kConfigDxe, u"RamLimitTo3GB")->data[0] == 1);
    // Delete: the live record becomes 0x3D.
    Variables fewer = after.vars;
    fewer.erase(guids::kGlobal, u"Timeout");
    write_append(img, after, fewer);
    Store last = parse_store(img);
    CHECK(last.records[2].state == 0x3D);
    CHECK(last.vars.size() == 1);
}

TEST_CASE("Live order follows the winning record", "[efi][varstore]") {
    auto img = fresh_ovmf();
    size_t p = parse_store(img).layout.records_begin;
    p = put_record(img, p, 0x3E, guids::kGlobal, u"A", {1});
    p = put_record(img, p, 0x3F, guids::kGlobal, u"B", {2});
    put_record(img, p, 0x3F, guids::kGlobal, u"A", {3});
    Store s = parse_store(img);
    REQUIRE(s.vars.size() == 2);
    CHECK(s.vars[0].name == u"B");
    CHECK(s.vars[1].data[0] == 3);
    CHECK(s.vars.find(guids::kGlobal, u"A")->data[0] == 3);
}
