#include "efi/varstore.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"
#include "efi/bytes.hpp"

namespace mb::efi {

namespace {

constexpr size_t kFvHeaderMin = 0x48;
constexpr uint8_t kFvSignature[4] = {'_', 'F', 'V', 'H'};

size_t align4(size_t x) { return (x + 3) & ~size_t{3}; }
size_t align8(size_t x) { return (x + 7) & ~size_t{7}; }

Guid guid_at(std::span<const uint8_t> image, size_t off) { return Guid::from_bytes(image.subspan(off, 16)); }

bool all_ff(std::span<const uint8_t> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0xFF; });
}

// Validates the store header at off (bounded by limit) and fills the store part of the layout.
void parse_store_header(std::span<const uint8_t> image, size_t off, size_t limit, StoreLayout& l) {
    if (off + kStoreHeaderSize > limit) {
        throw data_error(fmt::format("variable store header at {} is truncated (region ends at {})", hex_offset(off),
                                     hex_offset(limit)));
    }
    const uint8_t* p = image.data() + off;
    const Guid sig = guid_at(image, off);
    const uint32_t size = le32(p + 16);
    const uint8_t format = p[20], state = p[21];
    if (all_ff(image.subspan(off, 22))) {
        throw data_error(fmt::format("variable store at {} is raw (all 0xFF, never formatted); use 'format'",
                                     hex_offset(off)));
    }
    if (sig == guids::kAuthVars) {
        l.authenticated = true;
    } else if (sig == guids::kPlainVars) {
        l.authenticated = false;
    } else {
        throw data_error(fmt::format("variable store at {}: unknown signature GUID {}", hex_offset(off), sig.str()));
    }
    if (format != 0x5A) {
        throw data_error(fmt::format("variable store at {}: Format is {:#04x}, expected 0x5a (formatted)",
                                     hex_offset(off + 20), format));
    }
    if (state != 0xFE) {
        throw data_error(fmt::format("variable store at {}: State is {:#04x}, expected 0xfe (healthy)",
                                     hex_offset(off + 21), state));
    }
    if (size < kStoreHeaderSize || off + size > limit) {
        throw data_error(fmt::format("variable store at {}: Size {:#x} (field at {}) does not fit the volume (ends at {})",
                                     hex_offset(off), size, hex_offset(off + 16), hex_offset(limit)));
    }
    l.store_offset = off;
    l.store_size = size;
    l.records_begin = align4(off + kStoreHeaderSize);
    l.records_end = std::min(align4(off + size), limit);
}

StoreLayout parse_fv(std::span<const uint8_t> image, size_t off) {
    StoreLayout l;
    const uint8_t* p = image.data() + off;
    l.fv_offset = off;
    l.fv_length = le64(p + 0x20);
    l.fv_attributes = le32(p + 0x2C);
    l.fv_header_length = le16(p + 0x30);
    l.fv_checksum = le16(p + 0x32);
    const uint8_t revision = p[0x37];
    const std::string where = fmt::format("NV firmware volume at {}", hex_offset(off));
    if (l.fv_header_length < kFvHeaderMin || (l.fv_header_length & 1) || off + l.fv_header_length > image.size()) {
        throw data_error(fmt::format("{}: HeaderLength {:#x} is invalid", where, l.fv_header_length));
    }
    uint16_t sum = 0;
    for (size_t i = 0; i < l.fv_header_length; i += 2) sum = static_cast<uint16_t>(sum + le16(p + i));
    if (sum != 0) {
        throw data_error(fmt::format("{}: header checksum is bad (16-bit sum {:#06x}, field {} = {:#06x}); the "
                                     "firmware would erase this volume",
                                     where, sum, hex_offset(off + 0x32), l.fv_checksum));
    }
    if (revision != 2) throw data_error(fmt::format("{}: Revision {} (expected 2)", where, revision));
    if (l.fv_length < l.fv_header_length + kStoreHeaderSize || l.fv_length > image.size() - off) {
        throw data_error(fmt::format("{}: FvLength {:#x} does not fit the image ({:#x} bytes)", where, l.fv_length,
                                     image.size()));
    }
    uint64_t covered = 0;
    for (size_t b = off + 0x38; b + 8 <= off + l.fv_header_length; b += 8) {
        BlockMapEntry e{le32(image.data() + b), le32(image.data() + b + 4)};
        if (e.count == 0 && e.length == 0) break;
        l.block_map.push_back(e);
        covered += static_cast<uint64_t>(e.count) * e.length;
    }
    if (covered < l.fv_length) {
        throw data_error(fmt::format("{}: block map covers {:#x} bytes, less than FvLength {:#x}", where, covered,
                                     l.fv_length));
    }
    parse_store_header(image, off + l.fv_header_length, off + l.fv_length, l);
    return l;
}

void parse_ftw(std::span<const uint8_t> image, const StoreLayout& l, FtwInfo& ftw) {
    const size_t limit = l.has_fv ? l.fv_offset + l.fv_length : image.size();
    const auto& sig = guids::kFtwWorkingBlock.bytes();
    for (size_t pos = align8(l.records_end); pos + 32 <= limit; pos += 8) {
        if (std::memcmp(image.data() + pos, sig.data(), 16) != 0) continue;
        ftw.present = true;
        ftw.offset = pos;
        ftw.crc = le32(image.data() + pos + 16);
        ftw.state = image[pos + 20];
        ftw.write_queue_size = le64(image.data() + pos + 24);
        uint8_t hdr[32];
        std::memcpy(hdr, image.data() + pos, 32);
        put32(hdr + 16, 0xFFFFFFFF);
        hdr[20] = 0xFF;
        ftw.crc_ok = crc32(hdr) == ftw.crc;
        const size_t qbegin = pos + 32;
        const size_t qend = static_cast<size_t>(std::min<uint64_t>(qbegin + ftw.write_queue_size, limit));
        ftw.queue_empty = all_ff(image.subspan(qbegin, qend - qbegin));
        size_t q = qbegin;
        while (!ftw.queue_empty && q + 40 <= qend) {
            const uint8_t flags = image[q];
            if (flags == 0xFF) break;
            const bool allocated = !(flags & 1), complete = !(flags & 4);
            if (allocated && !complete) {
                ftw.pending = q;
                break;
            }
            const uint64_t writes = le64(image.data() + q + 24), priv = le64(image.data() + q + 32);
            if (writes > (qend - q) / 40 || priv > qend - q) {
                ftw.pending = q;  // unparseable queue: treat as a write the firmware might replay
                break;
            }
            q += 40 + static_cast<size_t>(writes * (40 + priv));
        }
        return;
    }
}

}  // namespace

bool is_blank(std::span<const uint8_t> bytes) {
    if (bytes.empty()) return true;
    const uint8_t first = bytes[0];
    if (first != 0x00 && first != 0xFF) return false;
    return std::all_of(bytes.begin(), bytes.end(), [first](uint8_t b) { return b == first; });
}

std::vector<size_t> find_nv_volumes(std::span<const uint8_t> image) {
    std::vector<size_t> found;
    size_t pos = 0;
    while (pos + kFvHeaderMin <= image.size()) {
        if (std::memcmp(image.data() + pos + 0x28, kFvSignature, 4) == 0) {
            const Guid g = guid_at(image, pos + 0x10);
            const uint64_t len = le64(image.data() + pos + 0x20);
            const bool sane = len >= kFvHeaderMin && len <= image.size() - pos;
            if (g == guids::kNvData) found.push_back(pos);
            if ((g == guids::kNvData || g == guids::kFfs2 || g == guids::kFfs3) && sane) {
                pos += align8(static_cast<size_t>(len));
                continue;
            }
        }
        pos += 8;
    }
    return found;
}

Store parse_store(std::span<const uint8_t> image, std::optional<size_t> fv_offset) {
    Store s;
    s.image_size = image.size();
    if (image.empty()) throw data_error("image is empty (0 bytes)");
    if (fv_offset) {
        if (*fv_offset + kFvHeaderMin > image.size() ||
            std::memcmp(image.data() + *fv_offset + 0x28, kFvSignature, 4) != 0 ||
            guid_at(image, *fv_offset + 0x10) != guids::kNvData) {
            throw data_error(fmt::format("no NV firmware volume at {}", hex_offset(*fv_offset)));
        }
        s.layout = parse_fv(image, *fv_offset);
    } else {
        const auto volumes = find_nv_volumes(image);
        if (volumes.size() > 1) {
            std::vector<std::string> offs;
            for (size_t v : volumes) offs.push_back(hex_offset(v));
            throw data_error(fmt::format("{} NV firmware volumes found (at {}); choose one with --fv-offset",
                                         volumes.size(), fmt::join(offs, ", ")));
        }
        if (volumes.size() == 1) {
            s.layout = parse_fv(image, volumes[0]);
        } else if (image.size() >= kStoreHeaderSize &&
                   (guid_at(image, 0) == guids::kAuthVars || guid_at(image, 0) == guids::kPlainVars)) {
            s.layout.has_fv = false;
            parse_store_header(image, 0, image.size(), s.layout);
        } else if (is_blank(image)) {
            throw data_error(fmt::format("image is blank (all {:#04x}, {} bytes): no variable store; 'format' creates one",
                                         image[0], image.size()));
        } else {
            throw data_error(fmt::format("no NV firmware volume ('_FVH' with the NvData GUID) and no variable store "
                                         "header at 0 in {} bytes",
                                         image.size()));
        }
    }
    const StoreLayout& l = s.layout;
    const size_t hs = l.header_size();
    const size_t end = l.records_end;
    std::map<std::pair<Guid, std::u16string>, size_t> index;  // key -> position in s.vars
    std::vector<size_t> winner;                                // position -> record index
    size_t p = l.records_begin;
    while (p < end) {
        if (p + 2 > end || le16(image.data() + p) != 0x55AA) break;
        if (p + hs > end) {
            throw data_error(fmt::format("variable record at {}: header crosses the store end at {}", hex_offset(p),
                                         hex_offset(end)));
        }
        const uint8_t* h = image.data() + p;
        Record r;
        r.offset = p;
        r.state = h[2];
        r.var.attr = le32(h + 4);
        uint32_t nsize, dsize;
        if (l.authenticated) {
            r.var.count = le64(h + 8);
            std::copy(h + 16, h + 32, r.var.time.raw.begin());
            r.var.pkidx = le32(h + 32);
            nsize = le32(h + 36);
            dsize = le32(h + 40);
            r.var.guid = Guid::from_bytes({h + 44, 16});
        } else {
            nsize = le32(h + 8);
            dsize = le32(h + 12);
            r.var.guid = Guid::from_bytes({h + 16, 16});
        }
        r.incomplete = r.state == 0xFF || nsize == 0xFFFFFFFF || dsize == 0xFFFFFFFF || r.var.attr == 0xFFFFFFFF;
        if (r.incomplete) {
            r.size = align4(p + hs) - p;
            s.records.push_back(std::move(r));
            p += s.records.back().size;
            continue;
        }
        const uint64_t rec_end = static_cast<uint64_t>(p) + hs + nsize + dsize;
        if (rec_end > end) {
            throw data_error(fmt::format("variable record at {}: NameSize {:#x} + DataSize {:#x} run past the store "
                                         "end at {}",
                                         hex_offset(p), nsize, dsize, hex_offset(end)));
        }
        const uint8_t* name = h + hs;
        const bool live_state = r.state == kStateAdded || r.state == (kStateAdded & kStateInDeletedTransition);
        if (live_state && (nsize < 2 || (nsize & 1) || le16(name + nsize - 2) != 0)) {
            throw data_error(fmt::format("variable record at {}: name (NameSize {:#x}) is not NUL-terminated UCS-2",
                                         hex_offset(p), nsize));
        }
        for (size_t i = 0; i + 1 < nsize; i += 2) {
            const char16_t c = static_cast<char16_t>(le16(name + i));
            if (c == 0) break;
            r.var.name.push_back(c);
        }
        r.var.data.assign(name + nsize, name + nsize + dsize);
        r.size = align4(static_cast<size_t>(rec_end)) - p;
        const size_t ri = s.records.size();
        if (live_state) {
            auto key = std::make_pair(r.var.guid, r.var.name);
            auto it = index.find(key);
            if (it == index.end()) {
                index.emplace(std::move(key), s.vars.size());
                winner.push_back(ri);
                r.live = true;
                s.vars.items().push_back(r.var);
            } else if (r.state == kStateAdded && s.records[winner[it->second]].state != kStateAdded) {
                // A 0x3F record beats an in-transition copy found earlier.
                s.records[winner[it->second]].live = false;
                winner[it->second] = ri;
                r.live = true;
                s.vars[it->second] = r.var;
            }
        }
        s.records.push_back(std::move(r));
        p += s.records.back().size;
    }
    // Live variables in the store order of their winning record (a 0x3F copy that supersedes an
    // earlier in-transition copy takes its own position, as virt-fw-vars orders its export).
    if (std::adjacent_find(winner.begin(), winner.end(), std::greater<>()) != winner.end()) {
        std::vector<size_t> order(winner.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return winner[a] < winner[b]; });
        Variables sorted;
        for (size_t i : order) sorted.items().push_back(std::move(s.vars[i]));
        s.vars = std::move(sorted);
    }
    s.used_end = std::min(p, end);
    for (size_t i = s.used_end; i < end; ++i) {
        if (image[i] != 0xFF) {
            s.dirty_free = i;
            break;
        }
    }
    parse_ftw(image, s.layout, s.ftw);
    return s;
}

size_t record_size(const Variable& v, bool authenticated) {
    const size_t hs = authenticated ? kAuthHeaderSize : kPlainHeaderSize;
    return align4(hs + 2 * (v.name.size() + 1) + v.data.size());
}

size_t serialized_size(const Variables& vars, bool authenticated) {
    size_t n = 0;
    for (const auto& v : vars) n += record_size(v, authenticated);
    return n;
}

size_t serialize_records_into(std::vector<const Variable*>& vars, bool authenticated, std::span<uint8_t> out) {
    std::stable_sort(vars.begin(), vars.end(), [](const Variable* a, const Variable* b) { return name_less(a->name, b->name); });
    uint8_t* p = out.data();
    for (const Variable* vp : vars) {
        const Variable& v = *vp;
        const uint32_t nsize = static_cast<uint32_t>(2 * (v.name.size() + 1));
        uint8_t* h = p;
        put16(h, 0x55AA);
        h[2] = kStateAdded;
        h[3] = 0;
        put32(h + 4, v.attr);
        if (authenticated) {
            put64(h + 8, v.count);
            std::memcpy(h + 16, v.time.raw.data(), 16);
            put32(h + 32, v.pkidx);
            put32(h + 36, nsize);
            put32(h + 40, static_cast<uint32_t>(v.data.size()));
            std::memcpy(h + 44, v.guid.bytes().data(), 16);
            p += kAuthHeaderSize;
        } else {
            put32(h + 8, nsize);
            put32(h + 12, static_cast<uint32_t>(v.data.size()));
            std::memcpy(h + 16, v.guid.bytes().data(), 16);
            p += kPlainHeaderSize;
        }
        for (char16_t c : v.name) {
            put16(p, static_cast<uint16_t>(c));
            p += 2;
        }
        put16(p, 0);
        p += 2;
        if (!v.data.empty()) std::memcpy(p, v.data.data(), v.data.size());
        p += v.data.size();
        while (static_cast<size_t>(p - out.data()) & 3) *p++ = 0xFF;
    }
    return static_cast<size_t>(p - out.data());
}

std::vector<uint8_t> serialize_records(const Variables& vars, bool authenticated) {
    std::vector<const Variable*> list;
    list.reserve(vars.size());
    for (const auto& v : vars) list.push_back(&v);
    std::vector<uint8_t> out(serialized_size(vars, authenticated));
    serialize_records_into(list, authenticated, out);
    return out;
}

void check_writable(const Store& store) {
    if (store.ftw.pending) {
        throw data_error(fmt::format("fault-tolerant write pending at {} (FTW working block at {}): the firmware "
                                     "would replay it over any edit; refusing to write",
                                     hex_offset(*store.ftw.pending), hex_offset(store.ftw.offset)));
    }
}

void write_compact(std::span<uint8_t> image, const StoreLayout& layout, const Variables& vars) {
    if (layout.records_end > image.size() || layout.records_begin > layout.records_end) {
        throw data_error(fmt::format("store region {}-{} is outside the image ({:#x} bytes)",
                                     hex_offset(layout.records_begin), hex_offset(layout.records_end), image.size()));
    }
    const size_t need = serialized_size(vars, layout.authenticated);
    if (need > layout.capacity()) {
        throw data_error(fmt::format("varstore is too small: {} variables need {} bytes, the store at {} holds {} "
                                     "(records {}-{})",
                                     vars.size(), need, hex_offset(layout.store_offset), layout.capacity(),
                                     hex_offset(layout.records_begin), hex_offset(layout.records_end)));
    }
    const auto blob = serialize_records(vars, layout.authenticated);
    uint8_t* dst = image.data() + layout.records_begin;
    if (!blob.empty()) std::memcpy(dst, blob.data(), blob.size());
    std::memset(dst + blob.size(), 0xFF, layout.capacity() - blob.size());
}

void write_append(std::span<uint8_t> image, const Store& store, const Variables& target) {
    check_writable(store);
    const StoreLayout& l = store.layout;
    if (store.dirty_free) {
        throw data_error(fmt::format("free space of the store is not erased (byte {} is not 0xFF); use a compact "
                                     "rewrite",
                                     hex_offset(*store.dirty_free)));
    }
    std::vector<std::pair<size_t, uint8_t>> marks;  // record offset -> new state
    Variables appended;
    for (const Record& r : store.records) {
        if (!r.live) continue;
        const Variable* t = target.find(r.var.guid, r.var.name);
        if (!t) {
            marks.emplace_back(r.offset, static_cast<uint8_t>(r.state & kStateDeleted));
        } else if (!(*t == r.var)) {
            marks.emplace_back(r.offset, static_cast<uint8_t>(r.state & kStateInDeletedTransition & kStateDeleted));
        }
    }
    for (const Variable& v : target) {
        const Variable* old = store.vars.find(v.guid, v.name);
        if (!old || !(*old == v)) appended.items().push_back(v);
    }
    std::vector<uint8_t> blob;
    for (const Variable& v : appended) {
        Variables one;
        one.items().push_back(v);
        auto rec = serialize_records(one, l.authenticated);
        blob.insert(blob.end(), rec.begin(), rec.end());
    }
    if (store.used_end + blob.size() > l.records_end) {
        throw data_error(fmt::format("varstore is too small to append {} bytes at {} (store ends at {}); use a compact "
                                     "rewrite",
                                     blob.size(), hex_offset(store.used_end), hex_offset(l.records_end)));
    }
    for (const auto& [off, state] : marks) image[off + 2] = state;
    std::copy(blob.begin(), blob.end(), image.begin() + static_cast<long>(store.used_end));
}

std::optional<FormatPreset> format_preset(std::string_view name) {
    if (name == "rpi" || name == "ovmf") return FormatPreset{std::string(name), 0x20000, 32, 0x1000, 0x4FEFF, 0xDFB8, 0xF000, 0x1000};
    if (name == "ovmf4m") return FormatPreset{"ovmf4m", 0x84000, 132, 0x1000, 0x4FEFF, 0x3FFB8, 0x41000, 0x1000};
    if (name == "aavmf") return FormatPreset{"aavmf", 0xC0000, 256, 0x40000, 0xE36, 0x3FFB8, 0x40000, 0x40000};
    return std::nullopt;
}

std::vector<std::string> format_preset_names() { return {"rpi", "ovmf", "ovmf4m", "aavmf"}; }

std::optional<FormatPreset> preset_for_size(size_t size) {
    if (size == 0x20000) return format_preset("ovmf");
    if (size == 0x84000) return format_preset("ovmf4m");
    if (size == 64u * 1024 * 1024) return format_preset("aavmf");
    return std::nullopt;
}

void reset_ftw(std::span<uint8_t> image, const Store& store) {
    const FtwInfo& f = store.ftw;
    if (!f.present) throw data_error("no FTW working block found after the store; nothing to reset");
    const size_t limit = store.layout.has_fv ? store.layout.fv_offset + store.layout.fv_length : image.size();
    if (f.offset + 32 > image.size() || f.write_queue_size > limit - f.offset - 32) {
        throw data_error(fmt::format("FTW working block at {}: WriteQueueSize {:#x} does not fit the volume",
                                     hex_offset(f.offset), f.write_queue_size));
    }
    const auto h = ftw_header(f.write_queue_size);
    std::copy(h.begin(), h.end(), image.begin() + static_cast<long>(f.offset));
    std::fill_n(image.begin() + static_cast<long>(f.offset + 32), static_cast<size_t>(f.write_queue_size), uint8_t{0xFF});
}

std::vector<uint8_t> ftw_header(uint64_t write_queue_size) {
    std::vector<uint8_t> h(32, 0xFF);
    const auto& sig = guids::kFtwWorkingBlock.bytes();
    std::copy(sig.begin(), sig.end(), h.begin());
    put64(h.data() + 24, write_queue_size);
    put32(h.data() + 16, crc32(h));  // CRC over the header with Crc = ~0 and state byte 0xFF
    h[20] = 0xFE;
    return h;
}

void format_volume(std::span<uint8_t> image, size_t offset, const FormatPreset& fp, bool force) {
    if (offset > image.size() || fp.fv_length > image.size() - offset) {
        throw data_error(fmt::format("a {} volume ({:#x} bytes) at {} does not fit the image ({:#x} bytes)", fp.name,
                                     fp.fv_length, hex_offset(offset), image.size()));
    }
    auto region = image.subspan(offset, static_cast<size_t>(fp.fv_length));
    if (!force && !is_blank(region)) {
        throw data_error(fmt::format("region {}-{} is not blank (all 0x00 or all 0xFF); refusing to format",
                                     hex_offset(offset), hex_offset(offset + fp.fv_length)));
    }
    std::fill(region.begin(), region.end(), 0xFF);
    uint8_t* p = region.data();
    std::memset(p, 0, 0x48);
    std::copy(guids::kNvData.bytes().begin(), guids::kNvData.bytes().end(), p + 0x10);
    put64(p + 0x20, fp.fv_length);
    std::memcpy(p + 0x28, kFvSignature, 4);
    put32(p + 0x2C, fp.attributes);
    put16(p + 0x30, 0x48);
    p[0x37] = 2;
    put32(p + 0x38, fp.block_count);
    put32(p + 0x3C, fp.block_length);
    uint16_t sum = 0;
    for (size_t i = 0; i < 0x48; i += 2) sum = static_cast<uint16_t>(sum + le16(p + i));
    put16(p + 0x32, static_cast<uint16_t>(0x10000 - sum));
    uint8_t* st = p + 0x48;
    std::copy(guids::kAuthVars.bytes().begin(), guids::kAuthVars.bytes().end(), st);
    put32(st + 16, fp.store_size);
    st[20] = 0x5A;
    st[21] = 0xFE;
    std::memset(st + 22, 0, 6);
    const auto ftw = ftw_header(fp.ftw_length - 32);
    std::copy(ftw.begin(), ftw.end(), p + fp.ftw_offset);
}

}  // namespace mb::efi
