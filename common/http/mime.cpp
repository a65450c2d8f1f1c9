#include "http/mime.hpp"

#include <array>
#include <utility>

#include "core/strings.hpp"

namespace mb::http {

namespace {
constexpr std::array<std::pair<std::string_view, std::string_view>, 30> kTypes{{
    {"efi", "application/efi"},
    {"ipxe", "text/plain; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"cfg", "text/plain; charset=utf-8"},
    {"conf", "text/plain; charset=utf-8"},
    {"sha256", "text/plain; charset=utf-8"},
    {"sha512", "text/plain; charset=utf-8"},
    {"log", "text/plain; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"ico", "image/vnd.microsoft.icon"},
    {"iso", "application/x-iso9660-image"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"xz", "application/x-xz"},
    {"zst", "application/zstd"},
    {"bz2", "application/x-bzip2"},
    {"tar", "application/x-tar"},
    {"zip", "application/zip"},
    {"qcow2", "application/x-qemu-disk"},
    {"pem", "application/x-pem-file"},
}};
}  // namespace

std::string_view content_type_for(std::string_view name) {
    const auto slash = name.rfind('/');
    if (slash != std::string_view::npos) name = name.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
    const auto ext = to_lower(name.substr(dot + 1));
    for (const auto& [e, type] : kTypes)
        if (e == ext) return type;
    return "application/octet-stream";
}

}  // namespace mb::http
