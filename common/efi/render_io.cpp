// File edges of the render API: reading the base image and a device's JSON.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
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

}  // namespace mb::efi
