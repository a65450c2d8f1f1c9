#pragma once
// UEFI device paths: binary <-> text. Text output is edk2's DevicePathToText syntax (upper-case hex,
// `/` between nodes, `,` between instances); text input also takes libefivar/efibootmgr and
// virt-firmware spellings. Nodes whose bytes the text form cannot carry (reserved fields, odd
// lengths, unknown types) print as the generic `Msg(12,HEX)`/`Path(t,s,HEX)` form, so binary ->
// text -> binary is lossless for every input.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::efi {

struct DevicePathNode {
    uint8_t type = 0;
    uint8_t subtype = 0;
    std::vector<uint8_t> data;  // payload after the 4-byte header
    bool operator==(const DevicePathNode&) const = default;
    bool is_end_instance() const { return type == 0x7F && subtype == 0x01; }
};

namespace node_type {
constexpr uint8_t kHardware = 0x01, kAcpi = 0x02, kMessaging = 0x03, kMedia = 0x04, kBbs = 0x05, kEnd = 0x7F;
}

class DevicePath {
public:
    DevicePath() = default;
    explicit DevicePath(std::vector<DevicePathNode> nodes) : nodes_(std::move(nodes)) {}

    // Decodes one device path ending in End-Entire (7f ff 04 00); *consumed = bytes used. Throws
    // mb::Error(65) naming the byte offset (relative to base_offset) of a bad node.
    static DevicePath decode(std::span<const uint8_t> bytes, size_t* consumed = nullptr, size_t base_offset = 0);
    // Decodes a packed list of device paths (EFI_LOAD_OPTION FilePathList).
    static std::vector<DevicePath> decode_list(std::span<const uint8_t> bytes, size_t base_offset = 0);
    // Parses text; throws mb::Error(65) naming the node and character position.
    static DevicePath parse(std::string_view text);

    std::vector<uint8_t> encode() const;  // with the End-Entire node
    std::string to_text() const;

    const std::vector<DevicePathNode>& nodes() const { return nodes_; }
    std::vector<DevicePathNode>& nodes() { return nodes_; }
    bool empty() const { return nodes_.empty(); }
    bool operator==(const DevicePath&) const = default;

    // Helpers for the nodes netboot entries use.
    static DevicePathNode mac_node(std::span<const uint8_t, 6> mac, uint8_t if_type = 1);
    static DevicePathNode ipv4_dhcp_node();
    static DevicePathNode ipv6_node();
    static DevicePathNode uri_node(std::string_view uri);
    static DevicePathNode file_node(std::string_view path);

private:
    std::vector<DevicePathNode> nodes_;
};

std::string node_to_text(const DevicePathNode& node);

}  // namespace mb::efi
