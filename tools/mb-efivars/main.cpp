// mb-efivars: read, edit and render UEFI variable stores (RPI_EFI.fd, OVMF/AAVMF varstores,
// virt-fw-vars JSON, devices in the config tree). main only wires CLI11 verbs to verbs.cpp.
#include <memory>

#include "cli/tool.hpp"
#include "verbs.hpp"

using namespace mb::efivars;

namespace {

struct State {
    TargetOptions t;
    WriteOptions w;
    VarOptions v;
    BootOptions b;
    bool for_boot = false, records = false, verbose = false, virt_compat = false, create = false, force = false,
         hex = false;
    long repeat = 1;
    std::string json_file, output, name, value, a, bfile, mac, base, vars, preset, offset, fill = "ff", text;
};

void add_target(CLI::App* sub, State& s) {
    sub->add_option("file", s.t.file, "Firmware image, bare variable store or virt-fw-vars JSON");
    sub->add_option("--device", s.t.device, "A device in the config tree: firmware/<mac>.json");
    sub->add_option("--fv-offset", s.t.fv_offset, "Use the NV firmware volume at this offset (several in one image)");
}

void add_write(CLI::App* sub, State& s) {
    sub->add_option("-o,--output", s.w.output, "Write the result to this file (atomically)");
    sub->add_flag("--inplace", s.w.inplace, "Replace the input file atomically");
    sub->add_flag("--append", s.w.append,
                  "edk2-style update (mark old records deleted, append) instead of a compact rewrite");
    sub->add_flag("--reset-ftw", s.w.reset_ftw,
                  "Erase a pending fault-tolerant write (rewrite the FTW header, empty its queue) before writing");
}

}  // namespace

int main(int argc, char** argv) {
    auto s = std::make_shared<State>();
    return mb::cli::run_tool(
        argc, argv, "mb-efivars", "Read, edit and render UEFI variable stores",
        [s](CLI::App& app, mb::cli::GlobalOptions& g) {
            auto& st = *s;
            auto* print = app.add_subcommand("print", "List the variables (boot entries as virt-fw-vars prints them)");
            add_target(print, st);
            print->add_flag("--records", st.records, "List every record with offset and state (forensic)");
            print->add_flag("-v,--verbose", st.verbose, "Show GUID, attributes, time and data of each variable");
            print->callback([&st, &g] { verb_print(st.t, g, st.records, st.verbose); });

            auto* info = app.add_subcommand("info", "Show where the store is and its health (FV, FTW, free space)");
            add_target(info, st);
            info->callback([&st, &g] { verb_info(st.t, g); });

            auto* exp = app.add_subcommand("export", "Write the variables as virt-fw-vars JSON (byte-identical)");
            add_target(exp, st);
            exp->add_option("-o,--output", st.output, "JSON file (default: stdout)");
            exp->callback([&st, &g] { verb_export(st.t, g, st.output); });

            auto* imp = app.add_subcommand("import", "Merge a JSON export into the store, keyed by (GUID, name)");
            add_target(imp, st);
            imp->add_option("--vars", st.json_file, "The JSON to merge (virt-fw-vars, QEMU or python-uefivars)")
                ->required();
            imp->add_flag("--virt-compat", st.virt_compat, "Match by name only, as virt-fw-vars --set-json does");
            add_write(imp, st);
            imp->callback([&st, &g] { verb_import(st.t, g, st.w, st.json_file, st.virt_compat); });

            auto* set = app.add_subcommand("set", "Create or change one variable");
            add_target(set, st);
            set->add_option("--name", st.v.name, "Variable name")->required();
            set->add_option("--guid", st.v.guid, "Vendor GUID or name (default: the existing variable's)");
            set->add_option("--data", st.v.data_hex, "Data as hex");
            set->add_option("--u8", st.v.u8, "Data as an 8-bit number");
            set->add_option("--u16", st.v.u16, "Data as a 16-bit little-endian number");
            set->add_option("--u32", st.v.u32, "Data as a 32-bit little-endian number");
            set->add_option("--u64", st.v.u64, "Data as a 64-bit little-endian number");
            set->add_option("--string", st.v.string_ucs2, "Data as a NUL-terminated UCS-2 string");
            set->add_option("--ascii", st.v.ascii, "Data as a NUL-terminated ASCII string");
            set->add_option("--data-file", st.v.file, "Data from a file");
            set->add_option("--attr", st.v.attr, "Attributes (default: kept, or 7 for global/RPi variables, else 3)");
            add_write(set, st);
            set->callback([&st, &g] { verb_set(st.t, g, st.w, st.v); });

            auto* del = app.add_subcommand("delete", "Delete one variable");
            add_target(del, st);
            del->add_option("--name", st.v.name, "Variable name")->required();
            del->add_option("--guid", st.v.guid, "Vendor GUID (needed when several GUIDs carry the name)");
            add_write(del, st);
            del->callback([&st, &g] { verb_delete(st.t, g, st.w, st.v); });

            auto* boot = app.add_subcommand("boot", "Boot entries, BootOrder and BootNext");
            boot->require_subcommand(1);
            auto* blist = boot->add_subcommand("list", "List boot entries like efibootmgr -v");
            add_target(blist, st);
            blist->callback([&st, &g] { verb_boot_list(st.t, g); });
            auto* badd = boot->add_subcommand("add", "Add a boot entry (or a netboot entry for a MAC)");
            add_target(badd, st);
            badd->add_option("--title", st.b.title, "Description shown in the boot menu");
            badd->add_option("--path", st.b.path, "Device path in edk2 text (efibootmgr/virt spellings accepted)");
            badd->add_option("--optdata", st.b.optdata, "Optional data as hex");
            badd->add_option("--number", st.b.number, "Boot#### number (default: the first free one)");
            badd->add_option("--netboot", st.b.netboot,
                             "Create the firmware-style netboot entry: pxe4, pxe6, http4, http6");
            badd->add_option("--mac", st.b.mac, "MAC address for --netboot");
            badd->add_flag("--inactive", st.b.inactive, "Create the entry inactive");
            badd->add_flag("--first", st.b.first, "Put the entry first in BootOrder");
            badd->add_flag("--next", st.b.next, "Also set BootNext to the entry");
            add_write(badd, st);
            badd->callback([&st, &g] { verb_boot_add(st.t, g, st.w, st.b); });
            auto* brm = boot->add_subcommand("rm", "Remove a boot entry (and its BootOrder/BootNext references)");
            add_target(brm, st);
            brm->add_option("--number", st.b.number, "Boot#### number")->required();
            add_write(brm, st);
            brm->callback([&st, &g] { verb_boot_rm(st.t, g, st.w, st.b); });
            auto* bord = boot->add_subcommand("order", "Set BootOrder, or move one entry first");
            add_target(bord, st);
            bord->add_option("--set", st.b.order, "New order, e.g. 0008,0003");
            bord->add_flag("--first", st.b.first, "Move --number first");
            bord->add_option("--number", st.b.number, "Entry for --first");
            add_write(bord, st);
            bord->callback([&st, &g] { verb_boot_order(st.t, g, st.w, st.b); });
            auto* bnext = boot->add_subcommand("next", "Set or clear BootNext (one-shot boot)");
            add_target(bnext, st);
            bnext->add_option("--number", st.b.number, "Boot#### number");
            bnext->add_flag("--clear", st.b.clear, "Remove BootNext");
            add_write(bnext, st);
            bnext->callback([&st, &g] { verb_boot_next(st.t, g, st.w, st.b); });
            auto* bact = boot->add_subcommand("active", "Set or clear LOAD_OPTION_ACTIVE of an entry");
            add_target(bact, st);
            bact->add_option("--number", st.b.number, "Boot#### number")->required();
            bact->add_flag("--off", st.b.off, "Make the entry inactive");
            add_write(bact, st);
            bact->callback([&st, &g] { verb_boot_active(st.t, g, st.w, st.b); });

            auto* rpi = app.add_subcommand("rpi", "Typed Raspberry Pi settings");
            rpi->require_subcommand(1);
            auto* rlist = rpi->add_subcommand("list", "List the known settings with widths and allowed values");
            rlist->callback([&g] { verb_rpi_list(g); });
            auto* rget = rpi->add_subcommand("get", "Show settings (all, or one by --name)");
            add_target(rget, st);
            rget->add_option("--name", st.name, "Setting name");
            rget->callback([&st, &g] { verb_rpi_get(st.t, g, st.name); });
            auto* rset = rpi->add_subcommand("set", "Change a setting (validated against its allowed values)");
            add_target(rset, st);
            rset->add_option("--name", st.name, "Setting name")->required();
            rset->add_option("--value", st.value, "Number or option label (e.g. DT, Serial)")->required();
            add_write(rset, st);
            rset->callback([&st, &g] { verb_rpi_set(st.t, g, st.w, st.name, st.value); });

            auto* diff =
                app.add_subcommand("diff", "Compare two stores/JSON files by (GUID, name); exit 1 when they differ");
            diff->add_option("a", st.a, "First image or JSON")->required();
            diff->add_option("b", st.bfile, "Second image or JSON")->required();
            diff->callback([&st, &g] { verb_diff(st.a, st.bfile, g); });

            auto* render =
                app.add_subcommand("render", "Render a device's image: base RPI_EFI.fd + firmware/<mac>.json");
            render->add_option("--mac", st.mac, "Device MAC (firmware/<mac>.json in the config tree)");
            render->add_option("--base", st.base, "Base image (default: firmware/RPI_EFI.fd in the tree)");
            render->add_option("--vars", st.vars, "Device JSON (default: firmware/<mac>.json)");
            render->add_option("-o,--output", st.output, "Output image (default: stdout)");
            render->add_option("--repeat", st.repeat,
                               "Benchmark: render N times from the parsed base, report the mean on stderr");
            render->add_flag("--for-boot", st.for_boot,
                             "The image is handed to the device for a boot: remove BootNext from the device JSON "
                             "afterwards (it is consumed, as after an mb-tftp transfer)");
            render->callback(
                [&st, &g] { verb_render(g, st.mac, st.base, st.vars, st.output, st.repeat, st.for_boot); });

            auto* format = app.add_subcommand("format", "Write a fresh, empty NV volume + store into a blank image");
            format->add_option("file", st.t.file, "Image file")->required();
            format->add_option("--preset", st.preset, "rpi, ovmf, ovmf4m or aavmf (default: from the file size)");
            format->add_option("--offset", st.offset, "Offset of the volume (default 0)");
            format->add_flag("--create", st.create, "Create the file at the preset's size when missing");
            format->add_option("--fill", st.fill, "Fill byte for --create: 00 or ff (default ff)");
            format->add_flag("--force", st.force, "Overwrite a region that is not blank");
            format->add_option("--vars", st.vars, "Populate the new store from this JSON");
            format->callback(
                [&st, &g] { verb_format(g, st.t.file, st.preset, st.offset, st.create, st.fill, st.force, st.vars); });

            auto* dp = app.add_subcommand("devpath", "Convert a device path between text and hex");
            dp->add_option("path", st.text, "Device path text (or hex with --hex)")->required();
            dp->add_flag("--hex", st.hex, "The input is hex bytes");
            dp->callback([&st, &g] { verb_devpath(g, st.text, st.hex); });

            auto* shell = app.add_subcommand("shell", "Interactive editor with line editing, history and completion");
            shell->add_option("file", st.t.file, "Image or JSON file")->required();
            shell->callback([&st, &g] { mb::cli::set_exit_code(verb_shell(g, st.t.file)); });
        });
}
