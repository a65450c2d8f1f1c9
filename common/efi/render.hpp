#pragma once
// The per-device render API for mb-tftp and mb-redfish: parse the base RPI_EFI.fd once, then render
// a device's image (base variables <- device variables, merged by (GUID, name), compact store as
// virt-fw-vars writes it) without re-parsing or copying the base beyond the output.
//
//   auto base = mb::efi::BaseImage::load("firmware/RPI_EFI.fd");      // once (or on change)
//   auto vars = mb::efi::load_vars_json("firmware/dc-a6-32-01-02-03.json");
//   std::vector<uint8_t> image = base->render(vars);                  // whole image, ~1 memcpy
//   mb::efi::RenderedImage view = base->render_view(vars);            // zero-copy: only the store
//   view.read(offset, block);                                         // e.g. one TFTP block
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "efi/boot.hpp"
#include "efi/variable.hpp"
#include "efi/varstore.hpp"

namespace mb::efi {

// An image rendered as base bytes + a replacement record region (no copy of the base).
class RenderedImage {
public:
    RenderedImage(std::shared_ptr<const std::vector<uint8_t>> base, size_t region_offset, std::vector<uint8_t> region)
        : base_(std::move(base)), region_offset_(region_offset), region_(std::move(region)) {}
    size_t size() const { return base_->size(); }
    // Copies bytes [offset, offset + out.size()) (clipped to the image) into out; returns the count.
    size_t read(size_t offset, std::span<uint8_t> out) const;
    // The whole image as one buffer.
    std::vector<uint8_t> bytes() const;

private:
    std::shared_ptr<const std::vector<uint8_t>> base_;
    size_t region_offset_;
    std::vector<uint8_t> region_;
};

class BaseImage {
public:
    // Parses the image (throws mb::Error 65 on a bad image or a pending FTW write).
    explicit BaseImage(std::vector<uint8_t> image, std::optional<size_t> fv_offset = std::nullopt);
    // Reads and parses a file (66 when missing, 65 when bad).
    static std::shared_ptr<const BaseImage> load(const std::string& path);

    const Store& store() const { return store_; }
    const std::vector<uint8_t>& bytes() const { return *image_; }
    size_t size() const { return image_->size(); }

    // Base variables with device_vars merged over them by (GUID, name). Throws "varstore is too
    // small" (65) when they do not fit.
    std::vector<uint8_t> render(const Variables& device_vars) const;
    // Into a caller-owned buffer of size() bytes (reused across requests: no allocation, no page faults).
    void render_into(const Variables& device_vars, std::span<uint8_t> out) const;
    RenderedImage render_view(const Variables& device_vars) const;
    // Just the record region [records_begin, records_end) of the rendered image.
    std::vector<uint8_t> render_region(const Variables& device_vars) const;

private:
    void render_region_into(const Variables& device_vars, std::span<uint8_t> region) const;

    std::shared_ptr<const std::vector<uint8_t>> image_;
    Store store_;
};

// Reads a virt-fw-vars JSON file into variables (66 when missing, 65 with the JSON path when bad).
Variables load_vars_json(const std::string& path);

// BootNext is consumed by the boot that follows it (Redfish "Once"). A Pi booted over TFTP never
// writes its store back, so whoever served the device an image carrying BootNext records the
// consumption where the next render (and mb-redfish) reads it: after a completed transfer,
// BootNext is removed from firmware/<mac>.json — under the file's lock (shared with mb-redfish
// and mb-efivars) and only while the file is still the one rendered (rendered_sha256 = SHA-256 hex
// of its bytes then) and BootNext still names `boot_next`. Returns true when it removed it.
bool consume_boot_next(const std::string& json_path, std::string_view rendered_sha256, uint16_t boot_next);

// Redfish-style boot source override onto a device's variables:
//   Once       -> BootNext = the entry (consumed by the next boot)
//   Continuous -> the entry first in BootOrder, BootNext cleared
//   Disabled   -> BootNext cleared (BootOrder left as is)
// The netboot entry for mac is created when missing (user-created, no auto-create GUID). Returns its number.
enum class BootOverride { Once, Continuous, Disabled };
uint16_t apply_netboot_override(Variables& vars, std::span<const uint8_t, 6> mac, NetbootKind kind, BootOverride mode);

}  // namespace mb::efi
