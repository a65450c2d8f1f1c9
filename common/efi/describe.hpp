#pragma once
// Human and JSON descriptions of variables for listings (mb-efivars print, the shell, mb-redfish).
#include <string>

#include <nlohmann/json.hpp>

#include "efi/variable.hpp"
#include "efi/varstore.hpp"

namespace mb::efi {

// "title=... devpath=..." for Boot####, "boot order: 0008, 0003" for *Order, "dword: 0x00000000",
// "devpath: ..." for ConIn/ConOut/ErrOut/_NDL, "ascii: eng" for Lang, else "blob: N bytes".
std::string describe_value(const Variable& v);

// {name, guid, guid_name?, attr, size, data, time?, value}
nlohmann::ordered_json variable_json(const Variable& v);

// Store geometry and health for `mb-efivars info`.
nlohmann::ordered_json store_json(const Store& s);

// "NV|BS|RT" for 7.
std::string attr_text(uint32_t attr);

}  // namespace mb::efi
