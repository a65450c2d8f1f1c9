#include "cli/tool.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "core/error.hpp"
#include "log/log.hpp"
#include "log/settings.hpp"

namespace mb::cli {
namespace {

int g_exit_code = 0;

void add_complete_verb(CLI::App& app, GlobalOptions& global) {
    auto* complete = app.add_subcommand("__complete", "Print shell completion (bash, zsh) or the CLI as JSON (spec)");
    complete->group("");  // hidden
    auto shell = std::make_shared<std::string>();
    complete->add_option("shell", *shell, "bash, zsh or spec")->required()->check(CLI::IsMember({"bash", "zsh", "spec"}));
    complete->callback([&app, &global, shell] {
        if (*shell == "bash") std::cout << bash_completion(app, global.tool);
        else if (*shell == "zsh") std::cout << zsh_completion(app, global.tool);
        else std::cout << describe_cli(app).dump(2) << "\n";
    });
}

}  // namespace

std::shared_ptr<const config::Snapshot> GlobalOptions::load(const config::LoadOptions& options) const {
    auto snapshot = config::load_tree(tree(), options);
    log::apply_config(snapshot->settings.log.level, snapshot->settings.log.format);
    return snapshot;
}

void set_exit_code(int code) { g_exit_code = code; }

void print_json(const nlohmann::ordered_json& value) {
    const bool tty = ::isatty(STDOUT_FILENO);
    std::cout << value.dump(tty ? 2 : -1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout.flush();
}

void print_json(const nlohmann::json& value) { print_json(nlohmann::ordered_json(value)); }

int run_tool(int argc, char** argv, const std::string& name, const std::string& description, const Setup& setup) {
    GlobalOptions global;
    global.tool = name;
    log::set_program(name);
    CLI::App app{description, name};
    app.set_version_flag("--version", std::string(name) + " " + MB_VERSION);
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.add_option("--root", global.root, "Config tree root (default: $MB_ROOT, else /var/lib/metal-boot)")
        ->type_name("DIR");
    app.add_option("--log-level", global.log_level, "Log level: trace, debug, info, warn, error, off")
        ->type_name("LEVEL")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "off"}));
    app.add_option("--log-format", global.log_format, "Log format on stderr: text or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--json", global.json, "Machine-readable JSON output on stdout");
    app.parse_complete_callback([&global] {
        log::set_command_line(global.log_level, global.log_format);
        log::apply_config("", "");
    });

    add_config_verbs(app, global);
    add_complete_verb(app, global);
    try {
        setup(app, global);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error while building the command line: %s\n", name.c_str(), e.what());
        return kExitSoftware;
    }

    try {
        app.parse(argc, argv);
        if (app.get_subcommands().empty()) {
            std::cerr << app.help();
            return kExitUsage;
        }
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return e.get_exit_code() == 0 ? 0 : kExitUsage;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
        return e.code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", name.c_str(), e.what());
        return kExitSoftware;
    }
    return g_exit_code;
}

}  // namespace mb::cli
