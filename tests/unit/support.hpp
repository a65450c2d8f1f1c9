#pragma once
// Helpers shared by unit tests: a temporary directory that removes itself, and file writing.
#include <filesystem>
#include <fstream>
#include <random>
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

inline std::string fixtures_dir() {
    if (const char* env = std::getenv("MB_FIXTURES"); env && *env) return env;
    return MB_FIXTURES;
}

}  // namespace mb::test
