// File edges of the render API: reading the base image and a device's JSON.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

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
    const std::string s = slurp(path);
    try {
        return std::make_shared<const BaseImage>(std::vector<uint8_t>(s.begin(), s.end()));
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
