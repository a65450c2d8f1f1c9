#pragma once
// One UEFI variable (identity = vendor GUID + UCS-2 name) and an ordered set of them keyed by
// (GUID, name) — never by name alone.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "efi/guid.hpp"

namespace mb::efi {

constexpr uint32_t kAttrNonVolatile = 0x1;
constexpr uint32_t kAttrBootService = 0x2;
constexpr uint32_t kAttrRuntime = 0x4;
constexpr uint32_t kAttrHwErrorRecord = 0x8;
constexpr uint32_t kAttrAuthWrite = 0x10;
constexpr uint32_t kAttrTimeAuthWrite = 0x20;
constexpr uint32_t kAttrNvBsRt = 0x7;

// EFI_TIME as the 16 bytes stored in an authenticated record header.
struct EfiTime {
    std::array<uint8_t, 16> raw{};
    uint16_t year() const { return static_cast<uint16_t>(raw[0] | raw[1] << 8); }
    bool is_set() const { return year() != 0; }
    // The form virt-firmware writes and exports: TimeZone, Daylight and pads 0, Nanosecond cut to
    // microsecond precision.
    EfiTime normalized() const;
    // "2025-03-10T02:53:30" (plus ".nnnnnnnnn" when Nanosecond != 0), "" when unset.
    std::string iso() const;
    bool operator==(const EfiTime&) const = default;
};

struct Variable {
    Guid guid;
    std::u16string name;  // without the terminating NUL
    uint32_t attr = 0;
    std::vector<uint8_t> data;
    EfiTime time;
    uint64_t count = 0;  // MonotonicCount (count-based authentication)
    uint32_t pkidx = 0;  // PubKeyIndex

    std::string name_utf8() const;
    bool operator==(const Variable&) const = default;
};

// UTF-8 <-> UCS-2 for names. to_ucs2 throws mb::Error (65) on invalid UTF-8 or a code point
// outside the BMP.
std::string to_utf8(std::u16string_view s);
std::u16string to_ucs2(std::string_view utf8);

// Python code-point order of names (what virt-fw-vars sorts records by).
bool name_less(const std::u16string& a, const std::u16string& b);

class Variables {
public:
    using const_iterator = std::vector<Variable>::const_iterator;

    const Variable* find(const Guid& guid, std::u16string_view name) const;
    Variable* find(const Guid& guid, std::u16string_view name);
    const Variable* find(const Guid& guid, std::string_view utf8_name) const { return find(guid, to_ucs2(utf8_name)); }
    // Every variable with this name, whatever its GUID.
    std::vector<const Variable*> find_name(std::u16string_view name) const;
    // Replaces the variable with the same (GUID, name) in place, or appends.
    void set(Variable v);
    bool erase(const Guid& guid, std::u16string_view name);
    void clear() { vars_.clear(); }

    size_t size() const { return vars_.size(); }
    bool empty() const { return vars_.empty(); }
    const_iterator begin() const { return vars_.begin(); }
    const_iterator end() const { return vars_.end(); }
    const Variable& operator[](size_t i) const { return vars_[i]; }
    bool operator==(const Variables&) const = default;
    Variable& operator[](size_t i) { return vars_[i]; }
    std::vector<Variable>& items() { return vars_; }
    const std::vector<Variable>& items() const { return vars_; }

private:
    std::vector<Variable> vars_;
};

}  // namespace mb::efi
