#include "target.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "efi/vars_json.hpp"

namespace mb::efivars {

std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw no_input(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error(path + ": read failed", errno);
    return s;
}

std::vector<uint8_t> read_whole_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw no_input(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
    const auto size = in.tellg();
    std::vector<uint8_t> out(size > 0 ? static_cast<size_t>(size) : 0);
    in.seekg(0);
    if (!out.empty() && !in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()))) {
        throw io_error(path + ": read failed", errno);
    }
    return out;
}

bool looks_like_json(std::span<const uint8_t> content) {
    for (uint8_t c : content) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        return c == '{' || c == '[';
    }
    return false;
}

bool looks_like_json(const std::string& content) {
    for (char c : content) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        return c == '{' || c == '[';
    }
    return false;
}

namespace {
Error prefixed(const std::string& path, const Error& e) { return Error(e.code(), path + ": " + e.what()); }
}  // namespace

Target open_target(const TargetOptions& t, const cli::GlobalOptions& g) {
    Target target;
    if (!t.device.empty()) {
        if (!t.file.empty()) throw usage_error("give either a FILE or --device, not both");
        const auto mac = device::Mac::parse_or_throw(t.device);
        target.kind = Target::Kind::Device;
        target.path = g.tree().firmware_json(mac).string();
        auto content = config::read_file_if_exists(target.path);
        if (!content) {
            target.exists = false;
            return target;
        }
        try {
            target.vars = efi::import_json(*content);
        } catch (const Error& e) {
            throw prefixed(target.path, e);
        }
        return target;
    }
    if (t.file.empty()) throw usage_error("no FILE given (or --device MAC)");
    target.path = t.file;
    std::vector<uint8_t> content = read_whole_file_bytes(t.file);
    try {
        if (looks_like_json(content)) {
            target.kind = Target::Kind::Json;
            target.vars = efi::import_json(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
            return target;
        }
        std::optional<size_t> fv;
        if (!t.fv_offset.empty()) {
            auto v = parse_uint(t.fv_offset);
            if (!v) throw usage_error("--fv-offset: not a number: " + mb::quoted(t.fv_offset));
            fv = static_cast<size_t>(*v);
        }
        target.image = std::move(content);
        target.store = efi::parse_store(target.image, fv);
        target.vars = target.store.vars;
    } catch (const Error& e) {
        if (e.code() == kExitUsage) throw;
        throw prefixed(t.file, e);
    }
    return target;
}

std::vector<uint8_t> image_with(const Target& target, const efi::Variables& updated, bool append, bool reset_ftw) {
    std::vector<uint8_t> out = target.image;
    if (reset_ftw) {
        efi::reset_ftw(out, target.store);
    } else {
        efi::check_writable(target.store);
    }
    if (append) {
        efi::write_append(out, target.store, updated);
    } else {
        efi::write_compact(out, target.store.layout, updated);
    }
    return out;
}

std::string save_target(const Target& target, const efi::Variables& updated, const WriteOptions& w) {
    std::string dest;
    if (target.kind == Target::Kind::Device) {
        dest = w.output.empty() ? target.path : w.output;
    } else {
        if (w.inplace && !w.output.empty()) throw usage_error("give either -o FILE or --inplace, not both");
        if (!w.inplace && w.output.empty()) throw usage_error("this verb changes variables: give -o FILE or --inplace");
        dest = w.inplace ? target.path : w.output;
    }
    std::string bytes;
    try {
        if (target.kind == Target::Kind::Image) {
            const auto img = image_with(target, updated, w.append, w.reset_ftw);
            bytes.assign(img.begin(), img.end());
        } else {
            bytes = efi::export_json(updated);
        }
    } catch (const Error& e) {
        throw prefixed(target.path, e);
    }
    config::write_file_atomic(dest, bytes);
    return dest;
}

}  // namespace mb::efivars
