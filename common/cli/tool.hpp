#pragma once
// Every mb-* binary starts here:
//
//   int main(int argc, char** argv) {
//       return mb::cli::run_tool(argc, argv, "mb-dhcp", "DHCP for network-booting Raspberry Pis",
//                                [](CLI::App& app, mb::cli::GlobalOptions& g) {
//           auto* decode = app.add_subcommand("decode", "Explain the DHCP packets of a capture");
//           ... decode->callback([&g] { ... mb::cli::print_json(result); });
//       });
//   }
//
// run_tool adds the shared flags (--root, --log-level, --log-format, --json), the shared `config`
// verbs, the hidden `__complete bash|zsh|spec` verb (shell completions and the man-page test are
// generated from the CLI11 tree), applies the logging flags, runs the chosen verb and maps a thrown
// mb::Error to its exit code with "<tool>: <message>" on stderr. CLI usage errors exit 64.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/loader.hpp"
#include "config/tree.hpp"

namespace mb::cli {

struct GlobalOptions {
    std::string tool;        // "mb-dhcp"
    std::string root;        // --root (empty: $MB_ROOT, else /var/lib/metal-boot)
    std::string log_level;   // --log-level (empty: metal-boot.yaml log.level, else info)
    std::string log_format;  // --log-format
    bool json = false;       // --json: machine output on stdout

    config::Tree tree() const { return config::Tree::from_option(root); }
    // Loads the tree (throws mb::Error(kExitConfig) with file:line: key on invalid files) and
    // applies log.level/log.format from metal-boot.yaml unless the flags were given.
    std::shared_ptr<const config::Snapshot> load(const config::LoadOptions& options = {}) const;
};

using Setup = std::function<void(CLI::App& app, GlobalOptions& global)>;

int run_tool(int argc, char** argv, const std::string& name, const std::string& description, const Setup& setup);

// Set the process exit code from inside a verb callback without throwing (e.g. `config check`
// that found problems prints them and exits 78).
void set_exit_code(int code);

// Writes JSON to stdout: pretty (indent 2) when stdout is a terminal, one line otherwise, with a
// trailing newline.
void print_json(const nlohmann::ordered_json& value);
void print_json(const nlohmann::json& value);

// Adds the shared `config` verb family to a tool (run_tool does this).
void add_config_verbs(CLI::App& app, GlobalOptions& global);

// The CLI definition as JSON (verbs, options, positionals), for completions and man-page checks.
nlohmann::ordered_json describe_cli(const CLI::App& app);
std::string bash_completion(const CLI::App& app, const std::string& tool);
std::string zsh_completion(const CLI::App& app, const std::string& tool);

}  // namespace mb::cli
