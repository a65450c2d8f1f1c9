#pragma once
// The mb-efivars verbs; main.cpp wires them to CLI11.
#include <string>
#include <vector>

#include "cli/tool.hpp"
#include "target.hpp"

namespace mb::efivars {

struct VarOptions {
    std::string name;
    std::string guid;  // text or symbolic; empty = by name (must be unique) or the default vendor
    std::string data_hex;
    std::string u8, u16, u32, u64;
    std::string string_ucs2;  // --string: UCS-2 with NUL
    std::string ascii;        // --ascii: ASCII with NUL
    std::string file;         // --data-file
    std::string attr;
};

struct BootOptions {
    std::string number;
    std::string title;
    std::string path;
    std::string optdata;
    std::string netboot;  // pxe4|pxe6|http4|http6
    std::string mac;
    std::string order;  // "0008,0003"
    bool inactive = false;
    bool first = false;
    bool next = false;
    bool clear = false;
    bool off = false;
};

void verb_print(const TargetOptions& t, const cli::GlobalOptions& g, bool records, bool verbose);
void verb_info(const TargetOptions& t, const cli::GlobalOptions& g);
void verb_export(const TargetOptions& t, const cli::GlobalOptions& g, const std::string& output);
void verb_import(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w,
                 const std::string& json_file, bool virt_compat);
void verb_set(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const VarOptions& v);
void verb_delete(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const VarOptions& v);
void verb_boot_list(const TargetOptions& t, const cli::GlobalOptions& g);
void verb_boot_add(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b);
void verb_boot_rm(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b);
void verb_boot_order(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b);
void verb_boot_next(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b);
void verb_boot_active(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const BootOptions& b);
void verb_rpi_list(const cli::GlobalOptions& g);
void verb_rpi_get(const TargetOptions& t, const cli::GlobalOptions& g, const std::string& name);
void verb_rpi_set(const TargetOptions& t, const cli::GlobalOptions& g, const WriteOptions& w, const std::string& name,
                  const std::string& value);
void verb_diff(const std::string& a, const std::string& b, const cli::GlobalOptions& g);
void verb_render(const cli::GlobalOptions& g, const std::string& mac, const std::string& base, const std::string& vars,
                 const std::string& output, long repeat = 1, bool for_boot = false);
void verb_format(const cli::GlobalOptions& g, const std::string& file, const std::string& preset,
                 const std::string& offset, bool create, const std::string& fill, bool force,
                 const std::string& vars_json);
void verb_devpath(const cli::GlobalOptions& g, const std::string& text_or_hex, bool from_hex);
int verb_shell(const cli::GlobalOptions& g, const std::string& file);

}  // namespace mb::efivars
