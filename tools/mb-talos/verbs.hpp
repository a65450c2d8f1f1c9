#pragma once
// The verbs of mb-talos, one function each.
#include <string>

#include "talos/service.hpp"

namespace mb::talos_tool {

struct Globals {
    std::string root = "/var/lib/metal-boot";
    bool json = false;
    std::string base_url;
    std::string cache_dir;
};

struct ServeArgs {
    std::string listen;
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
    talos::Selection selection;
    std::string arch;
    std::string platform = "metal";
    std::string extensions;
    bool extensions_given = false;
    std::string asset;
    std::string output;
    bool no_progress = false;
};

int cmd_serve(const Globals& g, const ServeArgs& a);
int cmd_versions(const Globals& g);
int cmd_extensions(const Globals& g, const std::string& version);
int cmd_overlays(const Globals& g, const std::string& version);
int cmd_schematic(const Globals& g, const SelectionArgs& a, bool offline, bool show_yaml);
int cmd_fetch(const Globals& g, FetchArgs a);
int cmd_cache_list(const Globals& g);
int cmd_cache_verify(const Globals& g, bool remove_bad);
int cmd_cache_prune(const Globals& g, const std::string& max_size);

}  // namespace mb::talos_tool
