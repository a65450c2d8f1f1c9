// mb-efivars shell: interactive editing with libedit (line editing, history, tab completion of
// verbs, variable names and RPi setting names). Changes stay pending until `save`.
#include <editline/readline.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/mac.hpp"
#include "efi/boot.hpp"
#include "efi/describe.hpp"
#include "efi/rpi_settings.hpp"
#include "efi/vars_json.hpp"
#include "verbs.hpp"

namespace mb::efivars {

namespace {

const std::vector<std::string> kVerbs = {"help", "print", "show", "set",  "delete", "boot", "rpi",
                                         "changes", "revert", "save", "quit", "exit"};
const std::vector<std::string> kBootVerbs = {"list", "next", "order", "first", "rm", "active", "inactive", "netboot"};
const std::vector<std::string> kRpiVerbs = {"get", "set", "list"};

std::vector<std::string> g_candidates;  // completion candidates for the current word

char* generator(const char* text, int state) {
    static size_t index;
    if (state == 0) index = 0;
    const size_t len = std::strlen(text);
    while (index < g_candidates.size()) {
        const std::string& c = g_candidates[index++];
        if (c.compare(0, len, text) == 0) return strdup(c.c_str());
    }
    return nullptr;
}

const efi::Variables* g_vars = nullptr;

char** complete(const char* text, int start, int /*end*/) {
    const std::string line(rl_line_buffer, static_cast<size_t>(start));
    const auto words = split(line, ' ', true);
    g_candidates.clear();
    if (words.empty()) {
        g_candidates = kVerbs;
    } else if (words[0] == "boot" && words.size() == 1) {
        g_candidates = kBootVerbs;
    } else if (words[0] == "rpi" && words.size() == 1) {
        g_candidates = kRpiVerbs;
    } else if (words[0] == "rpi" && words.size() == 2 && (words[1] == "get" || words[1] == "set")) {
        for (const auto& d : efi::rpi_settings()) g_candidates.emplace_back(d.name);
    } else if ((words[0] == "show" || words[0] == "set" || words[0] == "delete") && words.size() == 1 && g_vars) {
        std::set<std::string> names;
        for (const auto& v : *g_vars) names.insert(v.name_utf8());
        g_candidates.assign(names.begin(), names.end());
    }
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, generator);
}

std::string changes_text(const efi::Variables& before, const efi::Variables& after) {
    std::string s;
    for (const auto& v : before) {
        const auto* o = after.find(v.guid, v.name);
        if (!o) s += fmt::format("  - {} ({})\n", v.name_utf8(), v.guid.str());
        else if (!(*o == v)) s += fmt::format("  ~ {}: {} -> {}\n", v.name_utf8(), efi::describe_value(v), efi::describe_value(*o));
    }
    for (const auto& v : after) {
        if (!before.find(v.guid, v.name)) s += fmt::format("  + {}: {}\n", v.name_utf8(), efi::describe_value(v));
    }
    return s;
}

const efi::Variable* by_name(const efi::Variables& vars, const std::string& name) {
    const auto all = vars.find_name(efi::to_ucs2(name));
    if (all.size() > 1) throw data_error(fmt::format("{} exists under several GUIDs; use set/delete with a GUID", name));
    return all.empty() ? nullptr : all[0];
}

struct Shell {
    Target target;
    efi::Variables saved, vars;
    std::string path;

    bool dirty() const { return !changes_text(saved, vars).empty(); }

    void help() {
        std::printf(
            "print                      list variables\n"
            "show NAME                  one variable in detail\n"
            "set NAME HEX [GUID [ATTR]] set raw data (hex)\n"
            "delete NAME [GUID]         delete a variable\n"
            "boot list | next N|clear | order 0008,0003 | first N | rm N | active N | inactive N\n"
            "boot netboot pxe4|pxe6|http4|http6 MAC   find or create the firmware-style netboot entry\n"
            "rpi list | get [NAME] | set NAME VALUE\n"
            "changes                    show pending changes\n"
            "revert                     drop pending changes\n"
            "save [FILE]                write (atomically); default: the file opened\n"
            "quit                       leave (asks when changes are pending)\n");
    }

    void run(const std::vector<std::string>& w) {
        const std::string& cmd = w[0];
        auto arg = [&](size_t i) -> const std::string& {
            if (i >= w.size()) throw usage_error(fmt::format("{}: missing argument {}", cmd, i));
            return w[i];
        };
        if (cmd == "help" || cmd == "?") {
            help();
        } else if (cmd == "print") {
            for (const auto& v : vars) std::printf("%-20s: %s\n", v.name_utf8().c_str(), efi::describe_value(v).c_str());
        } else if (cmd == "show") {
            const auto* v = by_name(vars, arg(1));
            if (!v) throw data_error("no variable " + arg(1));
            std::printf("%s\n", efi::variable_json(*v).dump(2).c_str());
        } else if (cmd == "set") {
            auto data = parse_hex(arg(2));
            if (!data) throw data_error("not hex: " + arg(2));
            efi::Variable v;
            v.name = efi::to_ucs2(arg(1));
            const auto* old = w.size() > 3 ? nullptr : by_name(vars, arg(1));
            if (w.size() > 3) {
                auto g = efi::Guid::parse(w[3]);
                if (!g) throw data_error("unknown GUID " + w[3]);
                v.guid = *g;
                old = vars.find(v.guid, v.name);
            } else if (old) {
                v.guid = old->guid;
            } else if (const auto* d = efi::find_setting(arg(1))) {
                v.guid = d->vendor();
            } else {
                v.guid = efi::guids::kGlobal;
            }
            v.attr = w.size() > 4 ? static_cast<uint32_t>(parse_uint(w[4], 0xFFFFFFFF).value_or(7))
                                  : (old ? old->attr : efi::default_attr(v.guid, v.name));
            v.data = *data;
            vars.set(v);
        } else if (cmd == "delete") {
            if (w.size() > 2) {
                auto g = efi::Guid::parse(w[2]);
                if (!g || !vars.erase(*g, efi::to_ucs2(arg(1)))) throw data_error("no such variable");
            } else {
                const auto* v = by_name(vars, arg(1));
                if (!v) throw data_error("no variable " + arg(1));
                vars.erase(efi::Guid(v->guid), efi::to_ucs2(arg(1)));
            }
        } else if (cmd == "boot") {
            const std::string& sub = arg(1);
            auto num = [&](size_t i) {
                auto n = efi::parse_boot_number(arg(i));
                if (!n) throw usage_error("not a boot number: " + arg(i));
                return *n;
            };
            if (sub == "list") {
                for (const auto& e : efi::boot_entries(vars)) {
                    std::printf("Boot%04X%c %s\n", e.number, e.option && e.option->active() ? '*' : ' ',
                                e.option ? e.option->summary().c_str() : e.error.c_str());
                }
                std::vector<std::string> ord;
                for (auto n : efi::boot_order(vars)) ord.push_back(fmt::format("{:04X}", n));
                std::printf("BootOrder: %s\n", join(ord, ",").c_str());
                if (auto n = efi::boot_next(vars)) std::printf("BootNext: %04X\n", *n);
            } else if (sub == "next") {
                if (arg(2) == "clear") efi::set_boot_next(vars, std::nullopt);
                else efi::set_boot_next(vars, num(2));
            } else if (sub == "order") {
                std::vector<uint16_t> order;
                for (const auto& p : split(arg(2), ',', true)) {
                    auto n = efi::parse_boot_number(p);
                    if (!n) throw usage_error("not a boot number: " + p);
                    order.push_back(*n);
                }
                efi::set_boot_order(vars, order);
            } else if (sub == "first") {
                efi::boot_first(vars, num(2));
            } else if (sub == "rm") {
                if (!efi::remove_boot_entry(vars, num(2))) throw data_error("no such boot entry");
            } else if (sub == "active" || sub == "inactive") {
                efi::set_boot_active(vars, num(2), sub == "active");
            } else if (sub == "netboot") {
                static const std::map<std::string, efi::NetbootKind> kinds = {{"pxe4", efi::NetbootKind::PxeV4},
                                                                               {"pxe6", efi::NetbootKind::PxeV6},
                                                                               {"http4", efi::NetbootKind::HttpV4},
                                                                               {"http6", efi::NetbootKind::HttpV6}};
                auto k = kinds.find(arg(2));
                if (k == kinds.end()) throw usage_error("kind: pxe4, pxe6, http4 or http6");
                const auto mac = device::Mac::parse_or_throw(arg(3));
                std::printf("Boot%04X\n", efi::ensure_netboot_entry(vars, k->second, mac.bytes()));
            } else {
                throw usage_error("boot: unknown sub-command " + sub);
            }
        } else if (cmd == "rpi") {
            const std::string& sub = arg(1);
            if (sub == "list") {
                for (const auto& d : efi::rpi_settings()) std::printf("%-26s %s\n", std::string(d.name).c_str(), std::string(d.description).c_str());
            } else if (sub == "get") {
                for (const auto& d : efi::rpi_settings()) {
                    if (w.size() > 2 && !iequals(d.name, w[2])) continue;
                    const auto v = efi::get_setting(vars, d);
                    std::printf("%-26s %s\n", std::string(d.name).c_str(), v.is_null() ? "(not set)" : v.dump().c_str());
                }
            } else if (sub == "set") {
                const auto* d = efi::find_setting(arg(2));
                if (!d) throw data_error("unknown setting " + arg(2));
                efi::set_setting(vars, *d, efi::setting_value_from_text(*d, arg(3)));
            } else {
                throw usage_error("rpi: unknown sub-command " + sub);
            }
        } else if (cmd == "changes") {
            const auto c = changes_text(saved, vars);
            std::printf("%s", c.empty() ? "no pending changes\n" : c.c_str());
        } else if (cmd == "revert") {
            vars = saved;
        } else if (cmd == "save") {
            WriteOptions wo;
            if (w.size() > 1) wo.output = w[1];
            else wo.inplace = true;
            const auto dest = save_target(target, vars, wo);
            if (w.size() == 1) saved = vars;
            std::printf("saved %s\n", dest.c_str());
        } else {
            throw usage_error(fmt::format("unknown command {} (try help)", cmd));
        }
    }
};

std::vector<std::string> tokenize(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool in_quote = false, have = false;
    for (char c : line) {
        if (c == '"') {
            in_quote = !in_quote;
            have = true;
        } else if (!in_quote && (c == ' ' || c == '\t')) {
            if (have) out.push_back(cur);
            cur.clear();
            have = false;
        } else {
            cur.push_back(c);
            have = true;
        }
    }
    if (have) out.push_back(cur);
    return out;
}

}  // namespace

int verb_shell(const cli::GlobalOptions& g, const std::string& file) {
    Shell sh;
    sh.target = open_target({file, "", ""}, g);
    sh.saved = sh.vars = sh.target.vars;
    g_vars = &sh.vars;
    rl_attempted_completion_function = complete;
    std::string history_file;
    if (const char* home = std::getenv("HOME")) {
        history_file = std::string(home) + "/.mb_efivars_history";
        read_history(history_file.c_str());
    }
    std::fprintf(stderr, "mb-efivars shell: %s, %zu variables; 'help' lists commands\n", file.c_str(), sh.vars.size());
    while (true) {
        const std::string prompt = sh.dirty() ? "mb-efivars*> " : "mb-efivars> ";
        char* raw = readline(prompt.c_str());
        if (!raw) {
            std::printf("\n");
            if (!sh.dirty()) break;
            std::fprintf(stderr, "unsaved changes discarded at end of input\n");
            return kExitFailure;
        }
        std::string line(raw);
        std::free(raw);
        const auto words = tokenize(line);
        if (words.empty()) continue;
        add_history(line.c_str());
        if (words[0] == "quit" || words[0] == "exit") {
            if (sh.dirty()) {
                char* ans = readline("unsaved changes; quit anyway? [y/N] ");
                const bool yes = ans && (ans[0] == 'y' || ans[0] == 'Y');
                std::free(ans);
                if (!yes) continue;
            }
            break;
        }
        try {
            sh.run(words);
        } catch (const Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
        }
    }
    if (!history_file.empty()) write_history(history_file.c_str());
    return 0;
}

}  // namespace mb::efivars
