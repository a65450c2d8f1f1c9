#pragma once
// What an mb-efivars verb operates on: a firmware image (or bare store), a virt-fw-vars JSON file,
// or a device in the config tree (--device: firmware/<mac>.json over firmware/RPI_EFI.fd), and how
// changes are written back (atomically, never touching the input on error).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/tool.hpp"
#include "efi/variable.hpp"
#include "efi/varstore.hpp"

namespace mb::efivars {

struct TargetOptions {
    std::string file;                // image, bare store or JSON
    std::string device;              // --device <mac>
    std::string fv_offset;           // --fv-offset (text, parsed later)
};

struct WriteOptions {
    std::string output;              // -o
    bool inplace = false;            // --inplace
    bool append = false;             // --append: edk2-style (mark old 0x3C, append) instead of compact
    bool reset_ftw = false;          // --reset-ftw: erase a pending fault-tolerant write first
};

struct Target {
    enum class Kind { Image, Json, Device };
    Kind kind = Kind::Image;
    std::string path;                // the file the variables come from
    std::vector<uint8_t> image;      // Image
    efi::Store store;                // Image
    efi::Variables vars;
    bool exists = true;              // Device: false when firmware/<mac>.json does not exist yet
};

std::string read_whole_file(const std::string& path);
std::vector<uint8_t> read_whole_file_bytes(const std::string& path);
bool looks_like_json(const std::string& content);
bool looks_like_json(std::span<const uint8_t> content);

Target open_target(const TargetOptions& t, const cli::GlobalOptions& g);
// Writes updated variables; returns the path written. File targets need -o or --inplace.
std::string save_target(const Target& target, const efi::Variables& updated, const WriteOptions& w);
// The bytes save_target would write for an image target.
std::vector<uint8_t> image_with(const Target& target, const efi::Variables& updated, bool append,
                                bool reset_ftw = false);

}  // namespace mb::efivars
