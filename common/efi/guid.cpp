#include "efi/guid.hpp"

#include <cstdio>

#include "core/strings.hpp"

namespace mb::efi {

namespace {

constexpr GuidName kNames[] = {
    // firmware volumes and stores
    {"Ffs", "8c8ce578-8a3d-4f1c-9935-896185c32dd3"},
    {"Ffs3", "5473c07a-3dcb-4dca-bd6f-1e9689e7349a"},
    {"NvData", "fff12b8d-7696-4c8b-a985-2747075b4f50"},
    {"AuthVars", "aaf32c78-947b-439a-a180-2e144ec37792"},
    {"Vars", "ddcf3616-3275-4164-98b6-fe85707ffe7d"},
    {"FtwWorkingBlock", "9e58292b-7c68-497d-a0ce-6500fd9f1b95"},
    {"LzmaCompress", "ee4e5898-3914-4259-9d6e-dc7bd79403cf"},
    {"ResetVector", "1ba0062e-c779-4582-8566-336ae8f78f09"},
    {"FvMainCompact", "9e21fd93-9c72-4c15-8c4b-e77f1db2d792"},
    {"SecMain", "df1ccef6-f301-4a63-9661-fc6030dcc880"},
    {"OvmfMainFv", "48db5e17-707c-472d-91cd-1613e7ef51b0"},
    {"OvmfPeiFv", "6938079b-b503-4e3d-9d24-b28337a25806"},
    {"OvmfDxeFv", "7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1"},
    {"OvmfSecFv", "763bed0d-de9f-48f5-81f1-3e90e1b1a015"},
    // variable vendors
    {"EfiGlobalVariable", "8be4df61-93ca-11d2-aa0d-00e098032b8c"},
    {"EfiImageSecurityDatabase", "d719b2cb-3d3a-4596-a3bc-dad00e67656f"},
    {"EfiSecureBootEnableDisable", "f0a30bc7-af08-4556-99c4-001009c93a44"},
    {"EfiCustomModeEnable", "c076ec0c-7028-4399-a072-71ee5c448b9f"},
    {"MtcVendor", "eb704011-1402-11d3-8e77-00a0c969723b"},
    {"EfiMemoryTypeInformation", "4c19049f-4137-4dd3-9c10-8b97a83ffdfa"},
    {"IScsiConfig", "4b47d616-a8d6-4552-9d44-ccad2e0f4cf9"},
    {"EfiCertDb", "d9bee56e-75dc-49d9-b4d7-b534210f637a"},
    {"EfiTlsCaCertificate", "fd2340d0-3dab-4349-a6c7-3b4f12b48eae"},
    {"EfiVendorKeysNv", "9073e4e0-60ec-4b6e-9903-4c223c260f3c"},
    {"EdkiiVarErrorFlag", "04b37fe8-f6ae-480b-bdd5-37d98c5e89aa"},
    {"EfiIScsiInitiatorNameProtocol", "59324945-ec44-4c0d-b1cd-9db139df070c"},
    {"EfiDhcp6ServiceBindingProtocol", "9fb9a8a1-2f4a-43a6-889c-d0f7b6c47ad5"},
    {"EfiIp4Config2Protocol", "5b446ed1-e30b-4faa-871a-3654eca36080"},
    {"EfiIp6ConfigProtocol", "937fe521-95ae-4d1a-8929-48bcd90ad31a"},
    {"NetworkDeviceList", "e622443c-284e-4b47-a984-fd66b482dac0"},
    {"BootManagerAutoCreate", "8108ac4e-9f11-4d59-850e-e21a522c59b2"},
    // Raspberry Pi
    {"ConfigDxe", "cd7cc258-31db-22e6-9f22-63b0b8eed6b5"},
    {"RaspberryPiTokenSpace", "cd7cc258-31db-11e6-9fd3-63b0b8eed6b5"},
    {"ConsolePrefFormSet", "2d2358b4-e96c-484d-b2dd-7c2edfc7d56f"},
    {"BootDiscoveryPolicy", "5b6f7107-bb3c-4660-92cd-542690280bbd"},
    {"VirtualRealTimeClock", "b336f62d-4135-4a55-ae4e-4971bbf0885d"},
    // signature lists and owners
    {"EfiCertX509", "a5c059a1-94e4-4aa7-87b5-ab155c2bf072"},
    {"EfiCertSha256", "c1c41626-504c-4092-aca9-41f936934328"},
    {"EfiCertPkcs7", "4aafd29d-68df-49ee-8aa9-347d375665a7"},
    {"MicrosoftVendor", "77fa9abd-0359-4d32-bd60-28f4e78f784b"},
    {"OvmfEnrollDefaultKeys", "a0baa8a3-041d-48a8-bc87-c36d121b5e3d"},
    {"Shim", "605dab50-e046-4300-abb6-3dd810dd8b23"},
    {"Zero", "00000000-0000-0000-0000-000000000000"},
    {"NotValid", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
};

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Guid must(std::string_view text) {
    return *Guid::parse_text(text);
}

}  // namespace

Guid Guid::from_bytes(std::span<const uint8_t> bytes16) {
    Guid g;
    for (size_t i = 0; i < 16 && i < bytes16.size(); ++i) g.bytes_[i] = bytes16[i];
    return g;
}

std::optional<Guid> Guid::parse_text(std::string_view text) {
    if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
    if (text.size() != 36) return std::nullopt;
    // Text digit pairs in reading order, mapped to their on-disk byte index.
    static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    Guid g;
    size_t pos = 0;
    for (int i = 0; i < 16; ++i) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
            if (text[pos] != '-') return std::nullopt;
            ++pos;
        }
        int hi = hexval(text[pos]), lo = hexval(text[pos + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        g.bytes_[kOrder[i]] = static_cast<uint8_t>(hi << 4 | lo);
        pos += 2;
    }
    return g;
}

std::optional<Guid> Guid::parse(std::string_view text) {
    if (auto g = parse_text(text)) return g;
    std::string_view n = text;
    if (starts_with_icase(n, "guid:")) n.remove_prefix(5);
    for (const auto& e : kNames) {
        if (iequals(e.name, n)) return parse_text(e.text);
    }
    return std::nullopt;
}

std::string Guid::str() const {
    const auto& b = bytes_;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3], b[2],
                  b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return buf;
}

std::string Guid::upper() const {
    return to_upper(str());
}

std::string_view Guid::name() const {
    const std::string s = str();
    for (const auto& e : kNames) {
        if (e.text == s) return e.name;
    }
    return {};
}

bool Guid::is_zero() const {
    for (uint8_t b : bytes_) {
        if (b) return false;
    }
    return true;
}

std::span<const GuidName> guid_names() {
    return kNames;
}

namespace guids {
const Guid kNvData = must("fff12b8d-7696-4c8b-a985-2747075b4f50");
const Guid kFfs2 = must("8c8ce578-8a3d-4f1c-9935-896185c32dd3");
const Guid kFfs3 = must("5473c07a-3dcb-4dca-bd6f-1e9689e7349a");
const Guid kAuthVars = must("aaf32c78-947b-439a-a180-2e144ec37792");
const Guid kPlainVars = must("ddcf3616-3275-4164-98b6-fe85707ffe7d");
const Guid kFtwWorkingBlock = must("9e58292b-7c68-497d-a0ce-6500fd9f1b95");
const Guid kGlobal = must("8be4df61-93ca-11d2-aa0d-00e098032b8c");
const Guid kConfigDxe = must("cd7cc258-31db-22e6-9f22-63b0b8eed6b5");
const Guid kRpiTokenSpace = must("cd7cc258-31db-11e6-9fd3-63b0b8eed6b5");
const Guid kConsolePref = must("2d2358b4-e96c-484d-b2dd-7c2edfc7d56f");
const Guid kBootDiscovery = must("5b6f7107-bb3c-4660-92cd-542690280bbd");
const Guid kAutoCreateBoot = must("8108ac4e-9f11-4d59-850e-e21a522c59b2");
}  // namespace guids

}  // namespace mb::efi
