#include "talos/asset.hpp"

#include <array>
#include <cctype>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

namespace {

constexpr std::array<std::string_view, 21> kPlatforms = {
    "metal",  "openstack",  "nocloud",    "aws",          "azure",           "digital-ocean", "exoscale",
    "gcp",    "hcloud",     "oracle",     "scaleway",     "upcloud",         "vmware",        "vultr",
    "akamai", "cloudstack", "opennebula", "equinixMetal", "openstack-cloud", "kubevirt",      "sidero"};
constexpr std::array<std::string_view, 4> kDiskFormats = {"raw", "qcow2", "vhd", "ova"};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Strips "-<arch>" from the end of `base` if present; checks it against the route's arch.
void take_arch(std::string& base, std::string_view arch, std::string_view name) {
    for (const std::string_view a : {"amd64", "arm64"}) {
        const std::string suffix = "-" + std::string(a);
        if (ends_with(base, suffix)) {
            if (a != arch)
                throw data_error("asset " + mb::quoted(name) + " is for " + std::string(a) + " but the URL asks for " +
                                 std::string(arch));
            base.resize(base.size() - suffix.size());
            return;
        }
    }
}

bool take_suffix(std::string& base, std::string_view suffix) {
    if (!ends_with(base, suffix)) return false;
    base.resize(base.size() - suffix.size());
    return true;
}

void check_platform(const std::string& platform, std::string_view name) {
    if (!known_platform(platform))
        throw data_error("asset " + mb::quoted(name) + ": unknown platform " + mb::quoted(platform) +
                         " (e.g. metal, openstack, nocloud, aws, gcp, azure, vmware)");
}

std::string platform_part(const Asset& a) {
    return a.platform + "-" + a.arch + (a.secureboot ? "-secureboot" : "");
}

}  // namespace

std::string_view codec_name(Codec codec) {
    switch (codec) {
        case Codec::xz: return "xz";
        case Codec::zst: return "zst";
        case Codec::none: break;
    }
    return "none";
}

bool valid_arch(std::string_view arch) {
    return arch == "amd64" || arch == "arm64";
}

bool known_platform(std::string_view platform) {
    for (const auto p : kPlatforms)
        if (p == platform) return true;
    return false;
}

std::string content_type_for(std::string_view name) {
    if (ends_with(name, ".sha256")) return "text/plain; charset=utf-8";
    if (ends_with(name, ".xz")) return "application/x-xz";
    if (ends_with(name, ".gz")) return "application/gzip";
    if (ends_with(name, ".zst")) return "application/zstd";
    if (ends_with(name, ".iso")) return "application/x-iso9660-image";
    if (ends_with(name, ".efi")) return "application/efi";
    if (ends_with(name, ".tar")) return "application/x-tar";
    if (name.substr(0, 8) == "cmdline-") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

AssetRequest parse_asset(std::string_view name, std::string_view arch, RawSource raw_source) {
    if (!valid_arch(arch)) throw data_error("architecture " + mb::quoted(arch) + " is not amd64 or arm64");
    if (name.empty() || name.size() > 200 || name.find('/') != std::string_view::npos || name.front() == '.')
        throw data_error("asset name " + mb::quoted(name) + " is not a file name");
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            throw data_error("asset name " + mb::quoted(name) + " contains " + mb::quoted(std::string(1, c)));
    AssetRequest req;
    std::string_view n = name;
    if (ends_with(n, ".sha256")) {
        req.checksum = true;
        n.remove_suffix(7);
    }
    Asset& a = req.asset;
    a.arch = std::string(arch);
    const auto dot = n.find('.');
    std::string base(n.substr(0, dot));
    const std::string ext = dot == std::string_view::npos ? "" : std::string(n.substr(dot + 1));

    if (base == "kernel" || base == "kernel-" + a.arch || base == "kernel-amd64" || base == "kernel-arm64") {
        take_arch(base, arch, name);
        if (!ext.empty()) throw data_error("asset " + mb::quoted(name) + ": the kernel has no file extension");
        a.kind = AssetKind::kernel;
        a.served_name = "kernel-" + a.arch;
    } else if (base == "initramfs" || base == "initramfs-amd64" || base == "initramfs-arm64") {
        take_arch(base, arch, name);
        if (ext != "xz")
            throw data_error("asset " + mb::quoted(name) + ": the initramfs is served as initramfs-<arch>.xz");
        a.kind = AssetKind::initramfs;
        a.served_name = "initramfs-" + a.arch + ".xz";
    } else if (base.substr(0, 8) == "cmdline-") {
        if (!ext.empty())
            throw data_error("asset " + mb::quoted(name) + ": a kernel command line has no file extension");
        base = base.substr(8);
        a.secureboot = take_suffix(base, "-secureboot");
        take_arch(base, arch, name);
        check_platform(base, name);
        a.kind = AssetKind::cmdline;
        a.platform = base;
        a.served_name = "cmdline-" + platform_part(a);
    } else if (base == "installer" || base == "installer-amd64" || base == "installer-arm64" ||
               base == "installer-amd64-secureboot" || base == "installer-arm64-secureboot" ||
               base == "installer-secureboot") {
        a.secureboot = take_suffix(base, "-secureboot");
        take_arch(base, arch, name);
        if (ext != "tar") throw data_error("asset " + mb::quoted(name) + ": the installer is a .tar");
        a.kind = AssetKind::installer;
        a.served_name = "installer-" + a.arch + (a.secureboot ? "-secureboot" : "") + ".tar";
    } else {
        const bool uki = take_suffix(base, "-uki");
        a.secureboot = take_suffix(base, "-secureboot");
        take_arch(base, arch, name);
        if (take_suffix(base, "-installer")) {
            check_platform(base, name);
            if (ext != "tar" || uki || a.secureboot)
                throw data_error("asset " + mb::quoted(name) + ": expected <platform>-installer-<arch>.tar");
            a.kind = AssetKind::installer;
            a.platform = base;
            a.served_name = a.platform + "-installer-" + a.arch + ".tar";
        } else {
            check_platform(base, name);
            a.platform = base;
            if (uki) {
                if (ext != "efi")
                    throw data_error("asset " + mb::quoted(name) + ": a UKI is <platform>-<arch>-uki.efi");
                a.kind = AssetKind::uki;
                a.served_name = platform_part(a) + "-uki.efi";
            } else if (ext == "iso") {
                a.kind = AssetKind::iso;
                a.served_name = platform_part(a) + ".iso";
            } else {
                const auto fdot = ext.find('.');
                const std::string fmt = ext.substr(0, fdot);
                const std::string comp = fdot == std::string::npos ? "" : ext.substr(fdot + 1);
                bool fmt_ok = false;
                for (const auto f : kDiskFormats) fmt_ok = fmt_ok || f == fmt;
                if (!fmt_ok)
                    throw data_error("asset " + mb::quoted(name) + ": unknown image format " + mb::quoted(fmt) +
                                     " (raw, qcow2, vhd, ova, iso, uki.efi)");
                if (!(comp.empty() || comp == "xz" || comp == "zst" || comp == "gz" || comp == "tar.gz"))
                    throw data_error("asset " + mb::quoted(name) + ": unknown compression " + mb::quoted(comp) +
                                     " (xz, zst, gz, tar.gz or none)");
                a.kind = AssetKind::disk;
                a.served_name = platform_part(a) + "." + ext;
                if (fmt == "raw" && comp.empty()) {
                    Codec c = a.platform == "metal" ? Codec::zst : Codec::xz;
                    if (raw_source == RawSource::xz) c = Codec::xz;
                    if (raw_source == RawSource::zst) c = Codec::zst;
                    a.decompress = c;
                    a.upstream_path = a.served_name + "." + std::string(codec_name(c));
                }
            }
        }
    }
    if (a.upstream_path.empty()) a.upstream_path = a.served_name;
    a.content_type = content_type_for(a.served_name);
    return req;
}

}  // namespace mb::talos
