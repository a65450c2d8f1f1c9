#pragma once
// The verbs of mb-talos, one function each. A verb that ends with a non-zero exit code sets it with
// mb::cli::set_exit_code; failures throw mb::Error.
#include <string>

#include "cli/tool.hpp"
#include "talos/service.hpp"

namespace mb::talos_tool {

// Global options of mb-talos beyond the shared ones.
struct Overrides {
    std::string base_url;
    std::string cache_dir;
};

struct ServeArgs {
    std::string listen;  // "" = talos.listen
    std::string port_file;
    bool no_verify = false;
};

struct SelectionArgs {
    std::string version = "latest";
    std::string extensions;
    bool extensions_given = false;  // absent = talos.default_extensions
    std::string overlay;
    std::string kernel_args;
};

struct FetchArgs {
    std::string version;
    std::string arch;
    std::string platform = "metal";
    std::string extensions;
    bool extensions_given = false;
    std::string overlay;
    std::string asset;
    std::string output;
    bool no_progress = false;
};

struct IpxeArgs {
    std::string version;
    std::string arch;
    std::string extensions;
    bool extensions_given = false;
    std::string overlay;
    std::string url_base;
};

void cmd_serve(const cli::GlobalOptions& g, const Overrides& o, const ServeArgs& a);
void cmd_versions(const cli::GlobalOptions& g, const Overrides& o);
void cmd_extensions(const cli::GlobalOptions& g, const Overrides& o, const std::string& version);
void cmd_overlays(const cli::GlobalOptions& g, const Overrides& o, const std::string& version);
void cmd_schematic(const cli::GlobalOptions& g, const Overrides& o, const SelectionArgs& a, bool offline,
                   bool show_yaml);
void cmd_fetch(const cli::GlobalOptions& g, const Overrides& o, const FetchArgs& a);
void cmd_ipxe(const cli::GlobalOptions& g, const Overrides& o, const IpxeArgs& a);
void cmd_cache_list(const cli::GlobalOptions& g, const Overrides& o);
void cmd_cache_verify(const cli::GlobalOptions& g, const Overrides& o, bool remove_bad);
void cmd_cache_prune(const cli::GlobalOptions& g, const Overrides& o, const std::string& max_size);

}  // namespace mb::talos_tool
