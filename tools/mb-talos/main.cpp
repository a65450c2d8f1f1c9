// mb-talos: Talos image factory client and verified image cache. main() only wires CLI11 verbs to
// the functions in verbs.cpp.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "core/error.hpp"
#include "log/log.hpp"
#include "verbs.hpp"

int main(int argc, char** argv) {
    using namespace mb::talos_tool;
    CLI::App app{"mb-talos: Talos images from an image factory: schematics, a verified single-flight cache, "
                 "streamed to booting machines"};
    app.require_subcommand(1);
    app.fallthrough();
    Globals g;
    if (const char* root = std::getenv("MB_ROOT")) g.root = root;
    std::string log_level = "info", log_format = "text";
    app.add_option("--root", g.root, "Config tree root (MB_ROOT; default /var/lib/metal-boot)");
    app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");
    app.add_option("--log-format", log_format, "text|json");
    app.add_flag("--json", g.json, "Machine output as JSON on stdout");
    app.add_option("--base-url", g.base_url, "Factory URL (overrides talos.base_url)");
    app.add_option("--cache-dir", g.cache_dir, "Cache directory (overrides talos.cache_directory)");

    auto* serve = app.add_subcommand("serve", "Serve /images/talos/... alone (foreground; systemd Type=notify)");
    ServeArgs sa;
    serve->add_option("--listen", sa.listen, "address:port (overrides talos.listen)");
    serve->add_flag("--no-verify", sa.no_verify, "Skip re-hashing cached images at start");

    app.add_subcommand("versions", "List the Talos versions the factory offers (and which is latest)");
    std::string version;
    auto* ext = app.add_subcommand("extensions", "List the official system extensions for a version");
    ext->add_option("version", version, "vX.Y.Z or latest")->required();
    auto* ovl = app.add_subcommand("overlays", "List the official overlays for a version");
    ovl->add_option("version", version, "vX.Y.Z or latest")->required();

    SelectionArgs sel;
    auto* sch = app.add_subcommand("schematic", "Print the schematic ID for extensions and an overlay");
    auto* sch_ext = sch->add_option("--extensions", sel.extensions, "Comma-separated extensions (full or short names)");
    sch->add_option("--overlay", sel.overlay, "Overlay name, e.g. rpi_generic");
    sch->add_option("--kernel-args", sel.kernel_args, "Comma-separated extra kernel arguments");
    sch->add_option("--talos-version", sel.version, "Version to validate names against (default latest)");
    bool offline = false, show_yaml = false;
    sch->add_flag("--offline", offline, "Compute the ID locally, without validating or registering it");
    sch->add_flag("--yaml", show_yaml, "Also print the canonical schematic YAML");

    FetchArgs fa;
    auto* fetch = app.add_subcommand("fetch", "Download an image (or any asset) for a version and arch");
    fetch->add_option("version", fa.selection.version, "vX.Y.Z or latest")->required();
    fetch->add_option("arch", fa.arch, "amd64 or arm64")->required()->check(CLI::IsMember({"amd64", "arm64"}));
    fetch->add_option("--platform", fa.platform, "metal, openstack, nocloud, ... (default metal)");
    fetch->add_option("--asset", fa.asset,
                      "Asset name, e.g. metal.raw (decompressed), metal.raw.xz, kernel, initramfs.xz, cmdline-metal");
    auto* fetch_ext = fetch->add_option("--extensions", fa.extensions, "Comma-separated extensions");
    fetch->add_option("--overlay", fa.selection.overlay, "Overlay name, e.g. rpi_generic");
    fetch->add_option("-o,--output", fa.output, "Output file")->required();
    fetch->add_flag("--no-progress", fa.no_progress, "No progress bar even on a TTY");

    auto* cache = app.add_subcommand("cache", "Inspect and maintain the image cache");
    cache->require_subcommand(1);
    cache->fallthrough();
    cache->add_subcommand("list", "List cached images, most recently used first");
    auto* verify = cache->add_subcommand("verify", "Re-hash every cached image against its .sha256 sidecar");
    bool keep_bad = false;
    verify->add_flag("--keep", keep_bad, "Report corrupt entries without removing them");
    auto* prune = cache->add_subcommand("prune", "Evict least recently used images down to a size");
    std::string prune_to;
    prune->add_option("--max-size", prune_to, "Target size (bytes or K/M/G/T; default talos.max_cache_size)");

    try {
        app.parse(argc, argv);
        mb::log::set_program("mb-talos");
        mb::log::set_level(mb::log::parse_level(log_level));
        mb::log::set_format(mb::log::parse_format(log_format));
        if (serve->parsed()) return cmd_serve(g, sa);
        if (app.got_subcommand("versions")) return cmd_versions(g);
        if (ext->parsed()) return cmd_extensions(g, version);
        if (ovl->parsed()) return cmd_overlays(g, version);
        sel.extensions_given = sch_ext->count() > 0;
        fa.extensions_given = fetch_ext->count() > 0;
        if (sch->parsed()) return cmd_schematic(g, sel, offline, show_yaml);
        if (fetch->parsed()) return cmd_fetch(g, fa);
        if (cache->got_subcommand("list")) return cmd_cache_list(g);
        if (verify->parsed()) return cmd_cache_verify(g, !keep_bad);
        if (prune->parsed()) return cmd_cache_prune(g, prune_to);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : mb::kExitUsage;
    } catch (const mb::Error& e) {
        mb::log::error("{}", e.what());
        return e.code();
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return mb::kExitSoftware;
    }
    return mb::kExitUsage;
}
