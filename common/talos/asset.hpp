#pragma once
// Asset names of the image route and their factory paths (image-factory profile.ParseFromPath):
// kernel-<arch>, initramfs-<arch>.xz, cmdline-<platform>-<arch>[-secureboot],
// <platform>-<arch>[-secureboot].iso, <platform>-<arch>[-secureboot]-uki.efi, installer-<arch>.tar,
// and disk images <platform>-<arch>[-secureboot].<raw|qcow2|vhd|ova>[.<xz|zst|gz|tar.gz>].
// The arch comes from the route, so the short forms "openstack.raw", "kernel", "initramfs.xz" are
// accepted too; an arch inside the name must match the route's. An uncompressed ".raw" is fetched
// compressed (".raw.zst" for metal, ".raw.xz" otherwise, as Talos' platform defaults) and
// decompressed on the fly.
#include <string>
#include <string_view>

namespace mb::talos {

enum class Codec { none, xz, zst };
std::string_view codec_name(Codec codec);

enum class AssetKind { kernel, initramfs, cmdline, iso, uki, installer, disk };

struct Asset {
    AssetKind kind = AssetKind::disk;
    std::string platform;  // "" for kernel/initramfs/installer
    std::string arch;      // amd64 | arm64
    bool secureboot = false;
    std::string served_name;    // what is cached and served: "openstack-amd64.raw"
    std::string upstream_path;  // under /image/{schematic}/{version}/: "openstack-amd64.raw.xz"
    Codec decompress = Codec::none;
    std::string content_type;  // of served_name
};

struct AssetRequest {
    Asset asset;
    bool checksum = false;  // the name ended in ".sha256": the sidecar is wanted
};

// Which compressed form feeds an uncompressed ".raw".
enum class RawSource { automatic, xz, zst };

bool valid_arch(std::string_view arch);
bool known_platform(std::string_view platform);
// Parses an asset name of the route for `arch`; throws data_error naming what is wrong.
AssetRequest parse_asset(std::string_view name, std::string_view arch, RawSource raw_source = RawSource::automatic);
// Content-Type for a file name (the factory's choices; application/octet-stream otherwise).
std::string content_type_for(std::string_view name);

}  // namespace mb::talos
