#pragma once
// The virt-fw-vars JSON format ("firmware export", firmware/<mac>.json): an exact emitter of
// `virt-fw-vars --output-json` bytes and a tolerant importer (virt-firmware, QEMU and awslabs
// python-uefivars spellings), with merge by (GUID, name) and deletion.
#include <string>
#include <string_view>
#include <vector>

#include "efi/variable.hpp"

namespace mb::efi {

// Python json.dumps(indent=4, ensure_ascii=True) of {"version": 2, "variables": [...]}; per variable
// name, guid, attr, data and (only when the year is set) time. No trailing newline unless asked.
std::string export_json(const Variables& vars, bool trailing_newline = false);

struct JsonVariable {
    Variable var;
    bool has_attr = false;
    bool has_time = false;
    bool remove = false;  // {"name":..., "guid":..., "delete": true}
    std::string path;     // "variables[3]" for messages
};

// Accepts {"version": N, "variables": [...]} or a bare array; keys in any order; "time" or
// "timestamp"; "digest" validated as hex and otherwise ignored; unknown keys ignored. Throws
// mb::Error(65) naming the JSON path ("variables[3].guid: ...") or the byte offset of a syntax error.
std::vector<JsonVariable> parse_json(std::string_view text);

// Parse a whole export into a variable set (attr defaults applied, deletions refused).
Variables import_json(std::string_view text);

enum class MergeMode {
    Key,       // (GUID, name): the correct identity
    NameOnly,  // virt-fw-vars --set-json compatibility: the name alone selects the variable
};

// Applies imported variables to target: replace (attr kept when the JSON has none, time as given,
// MonotonicCount/PubKeyIndex reset) or append; "delete" entries remove. Returns how many changed.
size_t merge(Variables& target, const std::vector<JsonVariable>& updates, MergeMode mode = MergeMode::Key);

// The attribute mb-efivars gives a new variable when none is specified: 7 for EFI global, Boot*,
// and Raspberry Pi config variables, the firmware's own value for well-known secure-boot names,
// else 3 (NV|BS). virt_compat selects virt-fw-vars' table instead (3 for RPi config variables).
uint32_t default_attr(const Guid& guid, std::u16string_view name, bool virt_compat = false);

}  // namespace mb::efi
