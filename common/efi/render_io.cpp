// File edges of the render API: reading the base image and a device's JSON.
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "config/atomic_file.hpp"
#include "config/file_lock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/render.hpp"
#include "efi/vars_json.hpp"

namespace mb::efi {

namespace {
std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw no_input(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error(path + ": read failed", errno);
    return s;
}
}  // namespace

std::shared_ptr<const BaseImage> BaseImage::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw no_input(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
    std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)));
    in.seekg(0);
    if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
        throw io_error(path + ": read failed", errno);
    }
    try {
        return std::make_shared<const BaseImage>(std::move(bytes));
    } catch (const mb::Error& e) {
        throw Error(e.code(), path + ": " + e.what());
    }
}

Variables load_vars_json(const std::string& path) {
    const std::string s = slurp(path);
    try {
        return import_json(s);
    } catch (const mb::Error& e) {
        throw Error(e.code(), path + ": " + e.what());
    }
}

bool consume_boot_next(const std::string& json_path, std::string_view rendered_sha256, uint16_t number) {
    config::FileLock lock(json_path, config::FileLock::Mode::exclusive, std::chrono::seconds(10));
    std::string text;
    try {
        text = slurp(json_path);
    } catch (const mb::Error&) {
        return false;  // removed meanwhile
    }
    std::array<uint8_t, SHA256_DIGEST_LENGTH> md{};
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md.data());
    if (to_hex(md) != rendered_sha256) return false;  // changed since it was rendered: not ours to edit
    Variables vars = import_json(text);
    if (boot_next(vars) != number) return false;
    set_boot_next(vars, std::nullopt);
    config::write_file_atomic(json_path, export_json(vars));
    return true;
}

}  // namespace mb::efi
