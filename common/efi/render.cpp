#include "efi/render.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "efi/bytes.hpp"

namespace mb::efi {

size_t RenderedImage::read(size_t offset, std::span<uint8_t> out) const {
    const size_t total = size();
    if (offset >= total) return 0;
    const size_t n = std::min(out.size(), total - offset);
    std::memcpy(out.data(), base_->data() + offset, n);
    const size_t rb = region_offset_, re = region_offset_ + region_.size();
    const size_t lo = std::max(offset, rb), hi = std::min(offset + n, re);
    if (lo < hi) std::memcpy(out.data() + (lo - offset), region_.data() + (lo - rb), hi - lo);
    return n;
}

std::vector<uint8_t> RenderedImage::bytes() const {
    std::vector<uint8_t> out(size());
    read(0, out);
    return out;
}

BaseImage::BaseImage(std::vector<uint8_t> image, std::optional<size_t> fv_offset)
    : image_(std::make_shared<const std::vector<uint8_t>>(std::move(image))) {
    store_ = parse_store(*image_, fv_offset);
    check_writable(store_);
    store_.records.clear();  // only the live set and the layout are needed to render
    store_.records.shrink_to_fit();
}

void BaseImage::render_region_into(const Variables& device_vars, std::span<uint8_t> region) const {
    const StoreLayout& l = store_.layout;
    std::vector<const Variable*> list;
    list.reserve(store_.vars.size() + device_vars.size());
    size_t need = 0;
    // Same order as a merge into the base set (overrides in place, new ones appended), so that
    // variables sharing a name keep a deterministic order after the stable name sort.
    for (const auto& v : store_.vars) {
        const Variable* d = device_vars.find(v.guid, v.name);
        list.push_back(d ? d : &v);
        need += record_size(*list.back(), l.authenticated);
    }
    for (const auto& v : device_vars) {
        if (store_.vars.find(v.guid, v.name)) continue;
        list.push_back(&v);
        need += record_size(v, l.authenticated);
    }
    if (need > region.size()) {
        throw data_error(fmt::format("varstore is too small: {} variables need {} bytes, the store at {} holds {}",
                                     list.size(), need, hex_offset(l.store_offset), region.size()));
    }
    const size_t used = serialize_records_into(list, l.authenticated, region);
    std::memset(region.data() + used, 0xFF, region.size() - used);
}

std::vector<uint8_t> BaseImage::render_region(const Variables& device_vars) const {
    std::vector<uint8_t> region(store_.layout.capacity());
    render_region_into(device_vars, region);
    return region;
}

void BaseImage::render_into(const Variables& device_vars, std::span<uint8_t> out) const {
    const StoreLayout& l = store_.layout;
    if (out.size() != image_->size()) {
        throw data_error(fmt::format("render buffer has {} bytes, the image {}", out.size(), image_->size()));
    }
    // The region first (it may throw: the buffer is then untouched), then everything around it.
    render_region_into(device_vars, out.subspan(l.records_begin, l.capacity()));
    std::memcpy(out.data(), image_->data(), l.records_begin);
    std::memcpy(out.data() + l.records_end, image_->data() + l.records_end, image_->size() - l.records_end);
}

std::vector<uint8_t> BaseImage::render(const Variables& device_vars) const {
    std::vector<uint8_t> out(image_->size());
    render_into(device_vars, out);
    return out;
}

RenderedImage BaseImage::render_view(const Variables& device_vars) const {
    return RenderedImage(image_, store_.layout.records_begin, render_region(device_vars));
}

uint16_t apply_netboot_override(Variables& vars, std::span<const uint8_t, 6> mac, NetbootKind kind,
                                BootOverride mode) {
    const uint16_t n = ensure_netboot_entry(vars, kind, mac);
    switch (mode) {
    case BootOverride::Once: set_boot_next(vars, n); break;
    case BootOverride::Continuous:
        boot_first(vars, n);
        set_boot_next(vars, std::nullopt);
        break;
    case BootOverride::Disabled: set_boot_next(vars, std::nullopt); break;
    }
    return n;
}

}  // namespace mb::efi
