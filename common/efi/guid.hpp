#pragma once
// EFI_GUID: 16 bytes in the on-disk mixed-endian encoding (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE,
// Data4 as-is) with the canonical text form "8be4df61-93ca-11d2-aa0d-00e098032b8c".
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::efi {

class Guid {
public:
    Guid() = default;
    // From the 16 on-disk bytes.
    static Guid from_bytes(std::span<const uint8_t> bytes16);
    // Text form (case-insensitive, optional braces) or a symbolic name from the table
    // ("EfiGlobalVariable", "guid:EfiGlobalVariable", case-insensitive); nullopt otherwise.
    static std::optional<Guid> parse(std::string_view text);
    // Only the 8-4-4-4-12 text form.
    static std::optional<Guid> parse_text(std::string_view text);

    const std::array<uint8_t, 16>& bytes() const { return bytes_; }
    std::string str() const;    // lower case
    std::string upper() const;  // upper case (edk2 %g)
    // The symbolic name ("EfiGlobalVariable") or "" when the GUID is not in the table.
    std::string_view name() const;
    bool is_zero() const;

    auto operator<=>(const Guid&) const = default;

private:
    std::array<uint8_t, 16> bytes_{};
};

struct GuidName {
    std::string_view name;
    std::string_view text;
};
// The name table: virt-firmware's names plus the Raspberry Pi and network GUIDs seen in real stores.
std::span<const GuidName> guid_names();

namespace guids {
extern const Guid kNvData;           // fff12b8d-7696-4c8b-a985-2747075b4f50 (NV firmware volume)
extern const Guid kFfs2;             // 8c8ce578-8a3d-4f1c-9935-896185c32dd3 (code firmware volume)
extern const Guid kFfs3;             // 5473c07a-3dcb-4dca-bd6f-1e9689e7349a
extern const Guid kAuthVars;         // aaf32c78-947b-439a-a180-2e144ec37792
extern const Guid kPlainVars;        // ddcf3616-3275-4164-98b6-fe85707ffe7d
extern const Guid kFtwWorkingBlock;  // 9e58292b-7c68-497d-a0ce-6500fd9f1b95
extern const Guid kGlobal;           // 8be4df61-93ca-11d2-aa0d-00e098032b8c
extern const Guid kConfigDxe;        // cd7cc258-31db-22e6-9f22-63b0b8eed6b5
extern const Guid kRpiTokenSpace;    // cd7cc258-31db-11e6-9fd3-63b0b8eed6b5
extern const Guid kConsolePref;      // 2d2358b4-e96c-484d-b2dd-7c2edfc7d56f
extern const Guid kBootDiscovery;    // 5b6f7107-bb3c-4660-92cd-542690280bbd
extern const Guid kAutoCreateBoot;   // 8108ac4e-9f11-4d59-850e-e21a522c59b2
}  // namespace guids

}  // namespace mb::efi
