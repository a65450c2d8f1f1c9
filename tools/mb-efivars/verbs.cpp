#include "verbs.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "config/atomic_file.hpp"
#include "config/file_lock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "efi/boot.hpp"
#include "efi/bytes.hpp"
#include "efi/describe.hpp"
#include "efi/render.hpp"
#include "efi/rpi_settings.hpp"
#include "efi/vars_json.hpp"

namespace mb::efivars {

using efi::Variable;
using efi::Variables;

namespace {

void out(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
}

efi::Guid parse_guid_or_throw(const std::string& text) {
    auto g = efi::Guid::parse(text);
    if (!g) {
        std::vector<std::string> names;
        for (const auto& n : efi::guid_names()) names.emplace_back(n.name);
        auto hint = closest_match(text, names);
        throw data_error(
            fmt::format("unknown GUID {}{}", mb::quoted(text), hint ? "; did you mean " + *hint + "?" : ""));
    }
    return *g;
}

// The variable a NAME [--guid G] refers to: with --guid exactly that one; without, the one
// variable of that name (error when several GUIDs carry it).
const Variable* lookup(const Variables& vars, const std::string& name, const std::string& guid, bool must_exist) {
    const auto uname = efi::to_ucs2(name);
    if (!guid.empty()) {
        const Variable* v = vars.find(parse_guid_or_throw(guid), uname);
        if (!v && must_exist) throw data_error(fmt::format("no variable {} under {}", name, guid));
        return v;
    }
    const auto all = vars.find_name(uname);
    if (all.size() > 1) {
        std::vector<std::string> gs;
        for (const auto* v : all) gs.push_back(v->guid.str());
        throw data_error(
            fmt::format("{} exists under {} GUIDs ({}); choose one with --guid", name, all.size(), join(gs, ", ")));
    }
    if (all.empty()) {
        if (must_exist) throw data_error(fmt::format("no variable named {}", mb::quoted(name)));
        return nullptr;
    }
    return all[0];
}

void report_write(const cli::GlobalOptions& g, const std::string& what, const std::string& path, size_t changed) {
    if (g.json) {
        cli::print_json(nlohmann::ordered_json{{"changed", changed}, {"written", path}, {"action", what}});
    } else {
        std::fprintf(stderr, "mb-efivars: %s; wrote %s\n", what.c_str(), path.c_str());
    }
}

template <typename F>
void mutate(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, F&& fn) {
    // Read-modify-write under flock: firmware/<mac>.json is also changed by mb-redfish.
    std::optional<config::FileLock> lock;
    std::filesystem::path locked;
    if (!t.device.empty()) locked = g.tree().firmware_json(device::Mac::parse_or_throw(t.device));
    if (!locked.empty()) {
        std::filesystem::create_directories(locked.parent_path().empty() ? "." : locked.parent_path());
        lock.emplace(locked, config::FileLock::Mode::exclusive, std::chrono::seconds(10));
    }
    Target target = open_target(t, g);
    Variables vars = target.vars;
    const std::string what = fn(vars);
    const std::string path = save_target(target, vars, w);
    size_t changed = 0;
    for (const auto& v : vars) {
        const Variable* old = target.vars.find(v.guid, v.name);
        changed += !old || !(*old == v);
    }
    for (const auto& v : target.vars) changed += vars.find(v.guid, v.name) == nullptr;
    report_write(g, what, path, changed);
}

uint16_t boot_number_or_throw(const std::string& text) {
    auto n = efi::parse_boot_number(text);
    if (!n) throw usage_error(fmt::format("not a boot entry number: {}", mb::quoted(text)));
    return *n;
}

std::vector<uint8_t> hex_or_throw(const std::string& text, const char* what) {
    auto b = parse_hex(text);
    if (!b) throw data_error(fmt::format("{}: not hex data: {}", what, mb::quoted(text)));
    return *b;
}

efi::NetbootKind netboot_kind(const std::string& s) {
    if (iequals(s, "pxe4") || iequals(s, "pxe")) return efi::NetbootKind::PxeV4;
    if (iequals(s, "pxe6")) return efi::NetbootKind::PxeV6;
    if (iequals(s, "http4") || iequals(s, "http")) return efi::NetbootKind::HttpV4;
    if (iequals(s, "http6")) return efi::NetbootKind::HttpV6;
    throw usage_error(fmt::format("--netboot: {} is not pxe4, pxe6, http4 or http6", mb::quoted(s)));
}

}  // namespace

void verb_print(const TargetOptions& t, const cli::GlobalOptions& g, bool records, bool verbose) {
    const Target target = open_target(t, g);
    if (records) {
        if (target.kind != Target::Kind::Image) throw usage_error("--records needs an image, not JSON");
        if (g.json) {
            auto arr = nlohmann::ordered_json::array();
            for (const auto& r : target.store.records) {
                nlohmann::ordered_json j;
                j["offset"] = efi::hex_offset(r.offset);
                j["state"] = fmt::format("{:#04x}", r.state);
                j["live"] = r.live;
                j["incomplete"] = r.incomplete;
                if (!r.incomplete) {
                    j["name"] = r.var.name_utf8();
                    j["guid"] = r.var.guid.str();
                    j["attr"] = r.var.attr;
                    j["size"] = r.var.data.size();
                }
                arr.push_back(j);
            }
            cli::print_json(arr);
            return;
        }
        for (const auto& r : target.store.records) {
            out(fmt::format("{:>10}  state {:#04x} {:<4} {}\n", efi::hex_offset(r.offset), r.state,
                            r.incomplete ? "half" : (r.live ? "live" : "dead"),
                            r.incomplete ? std::string("(half-written header)")
                                         : fmt::format("{} {} attr {:#x} size {}", r.var.name_utf8(), r.var.guid.str(),
                                                       r.var.attr, r.var.data.size())));
        }
        return;
    }
    if (g.json) {
        auto arr = nlohmann::ordered_json::array();
        for (const auto& v : target.vars) arr.push_back(efi::variable_json(v));
        cli::print_json(arr);
        return;
    }
    std::map<std::u16string, int> count;
    for (const auto& v : target.vars) ++count[v.name];
    for (const auto& v : target.vars) {
        std::string label = v.name_utf8();
        if (verbose || count[v.name] > 1) {
            const auto n = v.guid.name();
            label += " [" + (n.empty() ? v.guid.str() : std::string(n)) + "]";
        }
        const auto nb = efi::parse_boot_var_name(v.name);
        if (nb && v.guid == efi::guids::kGlobal) {
            out(fmt::format("{}: {}\n", label, efi::describe_value(v)));
        } else {
            out(fmt::format("{:<20}: {}\n", label, efi::describe_value(v)));
        }
        if (verbose) {
            out(fmt::format("    guid {} attr {:#x} ({}) size {}{}\n", v.guid.str(), v.attr, efi::attr_text(v.attr),
                            v.data.size(), v.time.is_set() ? " time " + v.time.iso() : ""));
            if (!v.data.empty()) out(fmt::format("    data {}\n", to_hex(v.data)));
        }
    }
}

void verb_info(const TargetOptions& t, const cli::GlobalOptions& g) {
    const Target target = open_target(t, g);
    if (target.kind != Target::Kind::Image) throw usage_error("info needs an image or store file");
    const auto j = efi::store_json(target.store);
    if (g.json) {
        cli::print_json(j);
        return;
    }
    for (const auto& [k, v] : j.items())
        out(fmt::format("{:<18} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump()));
}

void verb_export(const TargetOptions& t, const cli::GlobalOptions& g, const std::string& output) {
    const Target target = open_target(t, g);
    if (output.empty() || output == "-") {
        out(efi::export_json(target.vars, true));
    } else {
        config::write_file_atomic(output, efi::export_json(target.vars, false));
    }
}

void verb_import(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w,
                 const std::string& json_file, bool virt_compat) {
    const std::string text = read_whole_file(json_file);
    std::vector<efi::JsonVariable> updates;
    try {
        updates = efi::parse_json(text);
    } catch (const Error& e) {
        throw Error(e.code(), json_file + ": " + e.what());
    }
    mutate(t, g, w, [&](Variables& vars) {
        const size_t n = efi::merge(vars, updates, virt_compat ? efi::MergeMode::NameOnly : efi::MergeMode::Key);
        return fmt::format("imported {} ({} of {} entries changed something)", json_file, n, updates.size());
    });
}

void verb_set(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const VarOptions& o) {
    std::vector<uint8_t> data;
    int given = 0;
    auto num = [&](const std::string& s, int bytes) {
        auto v = parse_uint(s, bytes == 8 ? UINT64_MAX : (uint64_t{1} << (8 * bytes)) - 1);
        if (!v) throw data_error(fmt::format("{} does not fit {} byte(s)", mb::quoted(s), bytes));
        for (int i = 0; i < bytes; ++i) data.push_back(static_cast<uint8_t>(*v >> (8 * i)));
        ++given;
    };
    if (!o.data_hex.empty()) {
        data = hex_or_throw(o.data_hex, "--data");
        ++given;
    }
    if (!o.u8.empty()) num(o.u8, 1);
    if (!o.u16.empty()) num(o.u16, 2);
    if (!o.u32.empty()) num(o.u32, 4);
    if (!o.u64.empty()) num(o.u64, 8);
    if (!o.string_ucs2.empty()) {
        for (char16_t c : efi::to_ucs2(o.string_ucs2)) efi::append16(data, static_cast<uint16_t>(c));
        efi::append16(data, 0);
        ++given;
    }
    if (!o.ascii.empty()) {
        data.assign(o.ascii.begin(), o.ascii.end());
        data.push_back(0);
        ++given;
    }
    if (!o.file.empty()) {
        const auto s = read_whole_file(o.file);
        data.assign(s.begin(), s.end());
        ++given;
    }
    if (given != 1)
        throw usage_error("give exactly one of --data, --u8, --u16, --u32, --u64, --string, --ascii, --data-file");
    mutate(t, g, w, [&](Variables& vars) {
        const Variable* old = lookup(vars, o.name, o.guid, false);
        Variable v;
        v.name = efi::to_ucs2(o.name);
        if (!o.guid.empty()) {
            v.guid = parse_guid_or_throw(o.guid);
        } else if (old) {
            v.guid = old->guid;
        } else if (const auto* def = efi::find_setting(o.name)) {
            v.guid = def->vendor();
        } else {
            v.guid = efi::guids::kGlobal;
        }
        old = vars.find(v.guid, v.name);
        if (!o.attr.empty()) {
            auto a = parse_uint(o.attr, 0xFFFFFFFF);
            if (!a) throw usage_error("--attr: not a number: " + mb::quoted(o.attr));
            v.attr = static_cast<uint32_t>(*a);
        } else {
            v.attr = old ? old->attr : efi::default_attr(v.guid, v.name);
        }
        if (old) {
            v.time = old->time;
            v.count = old->count;
            v.pkidx = old->pkidx;
        }
        v.data = data;
        vars.set(v);
        return fmt::format("set {} ({}, attr {:#x}, {} bytes)", o.name, v.guid.str(), v.attr, data.size());
    });
}

void verb_delete(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const VarOptions& o) {
    mutate(t, g, w, [&](Variables& vars) {
        const Variable* v = lookup(vars, o.name, o.guid, true);
        const efi::Guid guid = v->guid;
        vars.erase(guid, efi::to_ucs2(o.name));
        return fmt::format("deleted {} ({})", o.name, guid.str());
    });
}

void verb_boot_list(const TargetOptions& t, const cli::GlobalOptions& g) {
    const Target target = open_target(t, g);
    const auto& vars = target.vars;
    const auto entries = efi::boot_entries(vars);
    const auto order = efi::boot_order(vars);
    const auto next = efi::boot_next(vars);
    const auto timeout = efi::boot_timeout(vars);
    if (g.json) {
        nlohmann::ordered_json j;
        j["boot_next"] = next ? nlohmann::ordered_json(fmt::format("{:04X}", *next)) : nullptr;
        j["timeout"] = timeout ? nlohmann::ordered_json(*timeout) : nullptr;
        auto ord = nlohmann::ordered_json::array();
        for (auto n : order) ord.push_back(fmt::format("{:04X}", n));
        j["boot_order"] = ord;
        auto arr = nlohmann::ordered_json::array();
        for (const auto& e : entries) {
            nlohmann::ordered_json x;
            x["number"] = fmt::format("{:04X}", e.number);
            if (e.option) {
                x["active"] = e.option->active();
                x["attributes"] = e.option->attributes;
                x["title"] = e.option->title();
                x["devpath"] = e.option->path_text();
                x["optdata"] = to_hex(e.option->optional_data);
                x["auto_created"] = e.option->auto_created();
            } else {
                x["error"] = e.error;
            }
            arr.push_back(x);
        }
        j["entries"] = arr;
        cli::print_json(j);
        return;
    }
    if (next) out(fmt::format("BootNext: {:04X}\n", *next));
    if (timeout) out(fmt::format("Timeout: {} seconds\n", *timeout));
    std::vector<std::string> ord;
    for (auto n : order) ord.push_back(fmt::format("{:04X}", n));
    out(fmt::format("BootOrder: {}\n", join(ord, ",")));
    for (const auto& e : entries) {
        if (!e.option) {
            out(fmt::format("Boot{:04X}! invalid: {}\n", e.number, e.error));
            continue;
        }
        out(fmt::format("Boot{:04X}{} {}\t{}{}\n", e.number, e.option->active() ? '*' : ' ', e.option->title(),
                        e.option->path_text(),
                        e.option->optional_data.empty() ? "" : " optdata=" + to_hex(e.option->optional_data)));
    }
}

void verb_boot_add(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b) {
    mutate(t, g, w, [&](Variables& vars) {
        uint16_t n;
        if (!b.netboot.empty()) {
            if (b.mac.empty()) throw usage_error("--netboot needs --mac");
            const auto mac = device::Mac::parse_or_throw(b.mac);
            n = efi::ensure_netboot_entry(vars, netboot_kind(b.netboot), mac.bytes());
        } else {
            if (b.title.empty() || b.path.empty())
                throw usage_error("boot add needs --title and --path (or --netboot)");
            efi::LoadOption o;
            o.attributes = b.inactive ? 0 : efi::kLoadOptionActive;
            o.description = efi::to_ucs2(b.title);
            o.paths.push_back(efi::DevicePath::parse(b.path));
            if (!b.optdata.empty()) o.optional_data = hex_or_throw(b.optdata, "--optdata");
            n = b.number.empty() ? efi::free_boot_number(vars) : boot_number_or_throw(b.number);
            efi::set_boot_entry(vars, n, o);
            auto order = efi::boot_order(vars);
            if (std::find(order.begin(), order.end(), n) == order.end()) {
                order.push_back(n);
                efi::set_boot_order(vars, order);
            }
        }
        if (b.first) efi::boot_first(vars, n);
        if (b.next) efi::set_boot_next(vars, n);
        return fmt::format("Boot{:04X} added", n);
    });
}

void verb_boot_rm(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b) {
    const uint16_t n = boot_number_or_throw(b.number);
    mutate(t, g, w, [&](Variables& vars) {
        if (!efi::remove_boot_entry(vars, n)) throw data_error(fmt::format("Boot{:04X} does not exist", n));
        return fmt::format("Boot{:04X} removed", n);
    });
}

void verb_boot_order(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b) {
    mutate(t, g, w, [&](Variables& vars) {
        if (b.first) {
            const uint16_t n = boot_number_or_throw(b.number);
            efi::boot_first(vars, n);
            return fmt::format("Boot{:04X} first in BootOrder", n);
        }
        std::vector<uint16_t> order;
        for (const auto& part : split(b.order, ',', true)) order.push_back(boot_number_or_throw(part));
        if (order.empty()) throw usage_error("boot order needs a list like 0008,0003 (or --first N)");
        for (auto n : order) {
            if (!vars.find(efi::guids::kGlobal, efi::boot_var_name(n))) {
                throw data_error(fmt::format("Boot{:04X} does not exist", n));
            }
        }
        efi::set_boot_order(vars, order);
        return std::string("BootOrder set");
    });
}

void verb_boot_next(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b) {
    mutate(t, g, w, [&](Variables& vars) {
        if (b.clear) {
            efi::set_boot_next(vars, std::nullopt);
            return std::string("BootNext cleared");
        }
        const uint16_t n = boot_number_or_throw(b.number);
        if (!vars.find(efi::guids::kGlobal, efi::boot_var_name(n))) {
            throw data_error(fmt::format("Boot{:04X} does not exist", n));
        }
        efi::set_boot_next(vars, n);
        return fmt::format("BootNext = {:04X}", n);
    });
}

void verb_boot_active(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w,
                      const BootOptions& b) {
    const uint16_t n = boot_number_or_throw(b.number);
    mutate(t, g, w, [&](Variables& vars) {
        efi::set_boot_active(vars, n, !b.off);
        return fmt::format("Boot{:04X} {}", n, b.off ? "inactive" : "active");
    });
}

void verb_rpi_list(const cli::GlobalOptions& g) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& d : efi::rpi_settings()) arr.push_back(efi::describe(d));
    if (g.json) {
        cli::print_json(arr);
        return;
    }
    for (const auto& d : efi::rpi_settings()) out(fmt::format("{:<26} {}\n", d.name, d.description));
}

void verb_rpi_get(const TargetOptions& t, const cli::GlobalOptions& g, const std::string& name) {
    const Target target = open_target(t, g);
    std::vector<const efi::SettingDef*> defs;
    if (name.empty()) {
        for (const auto& d : efi::rpi_settings()) defs.push_back(&d);
    } else {
        const auto* d = efi::find_setting(name);
        if (!d) {
            std::vector<std::string> names;
            for (const auto& s : efi::rpi_settings()) names.emplace_back(s.name);
            auto hint = closest_match(name, names);
            throw data_error(
                fmt::format("unknown setting {}{}", mb::quoted(name), hint ? "; did you mean " + *hint + "?" : ""));
        }
        defs.push_back(d);
    }
    nlohmann::ordered_json j;
    for (const auto* d : defs) j[std::string(d->name)] = efi::get_setting(target.vars, *d);
    if (g.json) {
        cli::print_json(name.empty() ? j
                                     : nlohmann::ordered_json{{"name", defs[0]->name}, {"value", j.begin().value()}});
        return;
    }
    for (const auto& [k, v] : j.items()) {
        out(fmt::format("{:<26} {}\n", k,
                        v.is_null() ? "(not set)" : (v.is_string() ? v.get<std::string>() : v.dump())));
    }
}

void verb_rpi_set(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const std::string& name,
                  const std::string& value) {
    const auto* d = efi::find_setting(name);
    if (!d) throw data_error(fmt::format("unknown setting {} (see 'mb-efivars rpi list')", mb::quoted(name)));
    mutate(t, g, w, [&](Variables& vars) {
        efi::set_setting(vars, *d, efi::setting_value_from_text(*d, value));
        return fmt::format("{} = {}", d->name, efi::get_setting(vars, *d).dump());
    });
}

void verb_diff(const std::string& a, const std::string& b, const cli::GlobalOptions& g) {
    const Target ta = open_target({a, "", ""}, g), tb = open_target({b, "", ""}, g);
    nlohmann::ordered_json added = nlohmann::ordered_json::array(), removed = nlohmann::ordered_json::array(),
                           changed = nlohmann::ordered_json::array();
    std::string text;
    for (const auto& v : ta.vars) {
        const Variable* o = tb.vars.find(v.guid, v.name);
        if (!o) {
            removed.push_back({{"name", v.name_utf8()}, {"guid", v.guid.str()}});
            text += fmt::format("- {} {}: {}\n", v.name_utf8(), v.guid.str(), efi::describe_value(v));
        } else if (!(*o == v)) {
            nlohmann::ordered_json c{{"name", v.name_utf8()}, {"guid", v.guid.str()}};
            if (o->attr != v.attr) c["attr"] = {v.attr, o->attr};
            if (o->data != v.data) c["data"] = {to_hex(v.data), to_hex(o->data)};
            if (!(o->time == v.time)) c["time"] = {v.time.iso(), o->time.iso()};
            changed.push_back(c);
            text += fmt::format("~ {} {}: {} -> {}\n", v.name_utf8(), v.guid.str(), efi::describe_value(v),
                                efi::describe_value(*o));
        }
    }
    for (const auto& v : tb.vars) {
        if (!ta.vars.find(v.guid, v.name)) {
            added.push_back({{"name", v.name_utf8()}, {"guid", v.guid.str()}});
            text += fmt::format("+ {} {}: {}\n", v.name_utf8(), v.guid.str(), efi::describe_value(v));
        }
    }
    const bool same = added.empty() && removed.empty() && changed.empty();
    if (g.json) {
        cli::print_json(
            nlohmann::ordered_json{{"same", same}, {"added", added}, {"removed", removed}, {"changed", changed}});
    } else {
        out(text);
    }
    if (!same) cli::set_exit_code(kExitFailure);
}

void verb_render(const cli::GlobalOptions& g, const std::string& mac_text, const std::string& base_path,
                 const std::string& vars_path, const std::string& output, long repeat, bool for_boot) {
    const auto tree = g.tree();
    std::string vpath = vars_path;
    if (vpath.empty()) {
        if (mac_text.empty()) throw usage_error("render needs --mac (or --vars FILE)");
        vpath = tree.firmware_json(device::Mac::parse_or_throw(mac_text)).string();
    }
    const std::string bpath = base_path.empty() ? tree.base_firmware().string() : base_path;
    Variables vars;
    auto content = config::read_file_if_exists(vpath);
    if (content) {
        try {
            vars = efi::import_json(*content);
        } catch (const Error& e) {
            throw Error(e.code(), vpath + ": " + e.what());
        }
    } else if (!vars_path.empty()) {
        throw no_input(vpath + ": does not exist");
    }
    std::vector<uint8_t> image;
    if (repeat > 1) {
        // Benchmark through the render API mb-tftp uses: parse once, render many times.
        const auto base = efi::BaseImage::load(bpath);
        image.resize(base->size());
        try {
            base->render_into(vars, image);
            const auto t0 = std::chrono::steady_clock::now();
            for (long i = 0; i < repeat; ++i) base->render_into(vars, image);
            const auto t1 = std::chrono::steady_clock::now();
            for (long i = 0; i < repeat; ++i) (void)base->render_view(vars);
            const auto t2 = std::chrono::steady_clock::now();
            const auto us = [&](auto a, auto b) {
                return std::chrono::duration<double, std::micro>(b - a).count() / static_cast<double>(repeat);
            };
            std::fprintf(stderr,
                         "render: %.2f us per full image (reused buffer), %.2f us per zero-copy view (%ld renders)\n",
                         us(t0, t1), us(t1, t2), repeat);
        } catch (const Error& e) {
            throw Error(e.code(), vpath + ": " + e.what());
        }
    } else {
        // One render: in place in the loaded base (one image in memory).
        image = read_whole_file_bytes(bpath);
        try {
            const efi::Store store = efi::parse_store(image);
            efi::check_writable(store);
            Variables merged = store.vars;
            for (const auto& v : vars) merged.set(v);
            efi::write_compact(image, store.layout, merged);
        } catch (const Error& e) {
            throw Error(e.code(), bpath + " + " + vpath + ": " + e.what());
        }
    }
    if (output.empty() || output == "-") {
        if (isatty(STDOUT_FILENO)) throw usage_error("refusing to write a firmware image to a terminal; use -o FILE");
        std::fwrite(image.data(), 1, image.size(), stdout);
    } else {
        config::write_file_atomic(output, std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
        if (g.json)
            cli::print_json(
                nlohmann::ordered_json{{"written", output}, {"bytes", image.size()}, {"variables", vars.size()}});
    }
    // The image goes to the device for a boot, which consumes BootNext (as after an mb-tftp transfer).
    if (for_boot && content) {
        if (auto next = efi::boot_next(vars)) {
            std::array<uint8_t, SHA256_DIGEST_LENGTH> md{};
            SHA256(reinterpret_cast<const unsigned char*>(content->data()), content->size(), md.data());
            if (efi::consume_boot_next(vpath, to_hex(md), *next))
                std::fprintf(stderr, "BootNext Boot%04X consumed by this boot (removed from %s)\n", *next,
                             vpath.c_str());
        }
    }
}

void verb_format(const cli::GlobalOptions& g, const std::string& file, const std::string& preset_name,
                 const std::string& offset_text, bool create, const std::string& fill, bool force,
                 const std::string& vars_json) {
    std::vector<uint8_t> image;
    std::optional<efi::FormatPreset> preset;
    if (!preset_name.empty()) {
        preset = efi::format_preset(preset_name);
        if (!preset) {
            throw usage_error(fmt::format("--preset: {} is not one of {}", mb::quoted(preset_name),
                                          join(efi::format_preset_names(), ", ")));
        }
    }
    auto existing = config::read_file_if_exists(file);
    if (existing) {
        image.assign(existing->begin(), existing->end());
    } else {
        if (!create) throw no_input(file + ": does not exist (use --create to make a new image)");
        if (!preset) throw usage_error("--create needs --preset");
        uint8_t byte = 0xFF;
        if (iequals(fill, "00") || fill == "0") {
            byte = 0;
        } else if (!iequals(fill, "ff")) {
            throw usage_error("--fill: 00 or ff");
        }
        const size_t size = preset->name == "aavmf" ? 64u * 1024 * 1024 : static_cast<size_t>(preset->fv_length);
        image.assign(size, byte);
    }
    if (!preset) preset = efi::preset_for_size(image.size());
    if (!preset) throw usage_error(fmt::format("{}: no preset for a {}-byte image; give --preset", file, image.size()));
    size_t offset = 0;
    if (!offset_text.empty()) {
        auto v = parse_uint(offset_text);
        if (!v) throw usage_error("--offset: not a number: " + mb::quoted(offset_text));
        offset = static_cast<size_t>(*v);
    }
    try {
        efi::format_volume(image, offset, *preset, force);
        if (!vars_json.empty()) {
            const auto vars = efi::import_json(read_whole_file(vars_json));
            const auto store = efi::parse_store(image, offset);
            efi::write_compact(image, store.layout, vars);
        }
    } catch (const Error& e) {
        throw Error(e.code(), file + ": " + e.what());
    }
    config::write_file_atomic(file, std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
    report_write(g, fmt::format("formatted a {} volume at {}", preset->name, efi::hex_offset(offset)), file, 0);
}

void verb_devpath(const cli::GlobalOptions& g, const std::string& input, bool from_hex) {
    efi::DevicePath p =
        from_hex ? efi::DevicePath::decode(hex_or_throw(input, "device path")) : efi::DevicePath::parse(input);
    if (g.json) {
        cli::print_json(nlohmann::ordered_json{{"text", p.to_text()}, {"hex", to_hex(p.encode())}});
    } else {
        out(fmt::format("{}\n{}\n", p.to_text(), to_hex(p.encode())));
    }
}

}  // namespace mb::efivars
