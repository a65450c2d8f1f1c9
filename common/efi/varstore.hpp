#pragma once
// The EDK2 NV variable store inside a firmware image: locate it by scanning (never at a fixed
// offset), walk its records exactly as edk2's VariableParsing.c does, and write it back compactly
// (the bytes virt-fw-vars produces) without touching anything outside the record region. Pure: bytes
// in, bytes out. Every error is an mb::Error(65) naming the offset.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "efi/variable.hpp"

namespace mb::efi {

// Record states (flash semantics: bits only go 1 -> 0).
constexpr uint8_t kStateUnwritten = 0xFF;
constexpr uint8_t kStateHeaderValidOnly = 0x7F;
constexpr uint8_t kStateAdded = 0x3F;
constexpr uint8_t kStateInDeletedTransition = 0xFE;
constexpr uint8_t kStateDeleted = 0xFD;
constexpr size_t kAuthHeaderSize = 60;
constexpr size_t kPlainHeaderSize = 32;
constexpr size_t kStoreHeaderSize = 28;

struct BlockMapEntry {
    uint32_t count = 0;
    uint32_t length = 0;
};

struct FtwInfo {
    bool present = false;
    size_t offset = 0;               // working block header offset in the image
    uint64_t write_queue_size = 0;
    uint32_t crc = 0;
    bool crc_ok = false;
    uint8_t state = 0;               // byte 20 (0xFE normal)
    bool queue_empty = false;        // write queue all 0xFF
    std::optional<size_t> pending;   // offset of an allocated, incomplete write header
};

struct StoreLayout {
    bool has_fv = true;              // false for a bare store at offset 0
    size_t fv_offset = 0;
    uint64_t fv_length = 0;
    uint16_t fv_header_length = 0;
    uint32_t fv_attributes = 0;
    uint16_t fv_checksum = 0;
    std::vector<BlockMapEntry> block_map;
    size_t store_offset = 0;         // VARIABLE_STORE_HEADER
    uint32_t store_size = 0;
    bool authenticated = true;
    size_t records_begin = 0;        // HEADER_ALIGN(store + 28)
    size_t records_end = 0;          // HEADER_ALIGN(store + Size)
    size_t header_size() const { return authenticated ? kAuthHeaderSize : kPlainHeaderSize; }
    size_t capacity() const { return records_end - records_begin; }
};

// One record as found in the store (for forensic listings); the live set derives from these.
struct Record {
    size_t offset = 0;
    uint8_t state = 0;
    bool incomplete = false;         // State 0xFF or a size/attribute field 0xFFFFFFFF
    size_t size = 0;                 // bytes up to the next header (aligned)
    Variable var;
    bool live = false;
};

struct Store {
    StoreLayout layout;
    std::vector<Record> records;
    Variables vars;                  // live variables in edk2's first-match order
    size_t used_end = 0;             // where the walk stopped (first free byte)
    std::optional<size_t> dirty_free;  // first non-0xFF byte after used_end (firmware will reclaim)
    FtwInfo ftw;
    size_t image_size = 0;
};

// Offsets of every NV firmware volume header ('_FVH' + NvData GUID) found by an 8-byte stride scan
// that skips code (FFS2/FFS3) volumes.
std::vector<size_t> find_nv_volumes(std::span<const uint8_t> image);

// True when every byte is 0x00 or every byte is 0xFF (a never-formatted flash image).
bool is_blank(std::span<const uint8_t> bytes);

// Locate and parse. fv_offset selects one volume when an image holds several.
Store parse_store(std::span<const uint8_t> image, std::optional<size_t> fv_offset = std::nullopt);

// The record bytes of a compact rebuild: every variable as State 0x3F, sorted by name (Python
// code-point order, stable), each padded with 0xFF to 4 bytes.
std::vector<uint8_t> serialize_records(const Variables& vars, bool authenticated);
size_t serialized_size(const Variables& vars, bool authenticated);
// The same for a list of variables (sorted here); writes into out, which must hold the size.
size_t serialize_records_into(std::vector<const Variable*>& vars, bool authenticated, std::span<uint8_t> out);
size_t record_size(const Variable& v, bool authenticated);

// Throws (65) when editing would be unsafe: a pending FTW write that the firmware would replay.
void check_writable(const Store& store);

// Rewrites [records_begin, records_end) of image with the compact records + 0xFF fill. Throws
// "varstore is too small" (65) on overflow, leaving image untouched.
void write_compact(std::span<uint8_t> image, const StoreLayout& layout, const Variables& vars);

// edk2-style update: the live record of every changed or removed variable gets State 0x3C
// (changed) or 0x3D (deleted), changed and new variables are appended after the last record in
// target order. Keeps history and gives small diffs; throws (65) when the free space is not clean
// or too small, leaving image untouched.
void write_append(std::span<uint8_t> image, const Store& store, const Variables& target);

// Geometry of a fresh NV volume.
struct FormatPreset {
    std::string name;
    uint64_t fv_length;
    uint32_t block_count;
    uint32_t block_length;
    uint32_t attributes;
    uint32_t store_size;
    uint64_t ftw_offset;   // working block, relative to the FV
    uint64_t ftw_length;   // working block size (WriteQueueSize + 32)
};
// "rpi" / "ovmf" (0x20000), "ovmf4m" (0x84000), "aavmf" (0xC0000, 256 x 0x40000 block map).
std::optional<FormatPreset> format_preset(std::string_view name);
std::vector<std::string> format_preset_names();
// The preset matching a standalone varstore file size (131072, 540672, 64 MiB), if any.
std::optional<FormatPreset> preset_for_size(size_t size);

// Writes FV header, empty store and FTW working block at offset; the rest of the volume becomes
// 0xFF. Refuses (65) when the volume region is not blank unless force.
void format_volume(std::span<uint8_t> image, size_t offset, const FormatPreset& preset, bool force = false);

// Rewrites the FTW working block header as edk2 formats it and erases its write queue (0xFF), so a
// pending fault-tolerant write can no longer be replayed over an edit. Throws (65) without an FTW block.
void reset_ftw(std::span<uint8_t> image, const Store& store);

// Canonical FTW working block header for a given WriteQueueSize (CRC as edk2 computes it).
std::vector<uint8_t> ftw_header(uint64_t write_queue_size);

}  // namespace mb::efi
