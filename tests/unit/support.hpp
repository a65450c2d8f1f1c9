#pragma once
// Helpers shared by unit tests: a temporary directory that removes itself, and file writing.
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace mb::test {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("mb-unit-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

    void write(const std::string& rel, const std::string& content) const {
        const auto p = path_ / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
    }

private:
    std::filesystem::path path_;
};

// The shared fixtures (../shared/fixtures beside the checkout, or $MB_FIXTURES); a test that needs
// them fails with this message, not with a crash on an empty read, when they are not there.
inline std::string fixtures_dir() {
    const char* env = std::getenv("MB_FIXTURES");
    std::string dir = env && *env ? env : MB_FIXTURES;
    if (!std::filesystem::is_directory(dir + "/efi"))
        throw std::runtime_error("test fixtures missing: no " + dir +
                                 "/efi (the tests read ../shared/fixtures beside the checkout, or $MB_FIXTURES)");
    return dir;
}

}  // namespace mb::test
