// mb-talos: Talos images from an image factory: schematics, a verified single-flight cache, streamed
// to booting machines. main() only wires CLI11 verbs to the functions in verbs.cpp.
#include <malloc.h>

#include "cli/tool.hpp"
#include "verbs.hpp"

int main(int argc, char** argv) {
    using namespace mb::talos_tool;
    // Image chunks (512 KiB - 1 MiB) are allocated and freed continuously while images stream:
    // keep them in the heap instead of an mmap/munmap (and page faults) per chunk.
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    Overrides o;
    ServeArgs sa;
    std::string version;
    SelectionArgs sel;
    bool offline = false, show_yaml = false, keep_bad = false;
    FetchArgs fa;
    IpxeArgs ia;
    std::string prune_to;
    return mb::cli::run_tool(
        argc, argv, "mb-talos",
        "Talos images from an image factory: schematics, a verified single-flight cache, streamed to booting machines",
        [&](CLI::App& app, mb::cli::GlobalOptions& g) {
            app.add_option("--base-url", o.base_url, "Factory URL (overrides talos.base_url)")->type_name("URL");
            app.add_option("--cache-dir", o.cache_dir, "Cache directory (overrides talos.cache_directory)")
                ->type_name("DIR");

            auto* serve =
                app.add_subcommand("serve", "Serve /images/talos/... alone (foreground; systemd Type=notify)");
            serve->add_option("--listen", sa.listen, "ADDRESS:PORT to listen on (default talos.listen, 0.0.0.0:8083)");
            serve->add_option("--port-file", sa.port_file, "Write the bound port here once listening");
            serve->add_flag("--no-verify", sa.no_verify,
                            "Do not re-hash cached images against their sidecars at start");
            serve->callback([&] { cmd_serve(g, o, sa); });

            app.add_subcommand("versions", "List the Talos versions the factory offers (and which is latest)")
                ->callback([&] { cmd_versions(g, o); });
            auto* ext = app.add_subcommand("extensions", "List the official system extensions for a version");
            ext->add_option("version", version, "vX.Y.Z or latest")->required();
            ext->callback([&] { cmd_extensions(g, o, version); });
            auto* ovl = app.add_subcommand("overlays", "List the official overlays for a version");
            ovl->add_option("version", version, "vX.Y.Z or latest")->required();
            ovl->callback([&] { cmd_overlays(g, o, version); });

            auto* sch = app.add_subcommand("schematic", "Print the schematic ID for extensions and an overlay");
            auto* sch_ext =
                sch->add_option("--extensions", sel.extensions, "Comma-separated extensions (full or short names)");
            sch->add_option("--overlay", sel.overlay, "Overlay name, e.g. rpi_generic");
            sch->add_option("--kernel-args", sel.kernel_args, "Comma-separated extra kernel arguments");
            sch->add_option("--talos-version", sel.version, "Version to validate names against (default latest)");
            sch->add_flag("--offline", offline, "Compute the ID locally, without validating or registering it");
            sch->add_flag("--yaml", show_yaml, "Also print the canonical schematic YAML");
            sch->callback([&, sch_ext] {
                sel.extensions_given = sch_ext->count() > 0;
                cmd_schematic(g, o, sel, offline, show_yaml);
            });

            auto* fetch = app.add_subcommand("fetch", "Download an image (or any asset) for a version and arch");
            fetch->add_option("version", fa.version, "vX.Y.Z or latest")->required();
            fetch->add_option("arch", fa.arch, "amd64 or arm64")->required()->check(CLI::IsMember({"amd64", "arm64"}));
            fetch->add_option("--platform", fa.platform, "metal, openstack, nocloud, ... (default metal)");
            fetch->add_option(
                "--asset", fa.asset,
                "Asset name: metal.raw (decompressed), metal.raw.xz, kernel, initramfs.xz, cmdline-metal");
            auto* fetch_ext = fetch->add_option("--extensions", fa.extensions, "Comma-separated extensions");
            fetch->add_option("--overlay", fa.overlay, "Overlay name, e.g. rpi_generic");
            fetch->add_option("-o,--output", fa.output, "Output file")->required();
            fetch->add_flag("--no-progress", fa.no_progress, "No progress bar even on a terminal");
            fetch->callback([&, fetch_ext] {
                fa.extensions_given = fetch_ext->count() > 0;
                cmd_fetch(g, o, fa);
            });

            auto* ipxe =
                app.add_subcommand("ipxe", "Print the iPXE script that netboots Talos from the cached factory kernel");
            ipxe->add_option("version", ia.version, "vX.Y.Z or latest")->required();
            ipxe->add_option("arch", ia.arch, "amd64 or arm64")->required()->check(CLI::IsMember({"amd64", "arm64"}));
            auto* ipxe_ext = ipxe->add_option("--extensions", ia.extensions, "Comma-separated extensions");
            ipxe->add_option("--overlay", ia.overlay, "Overlay name, e.g. rpi_generic");
            ipxe->add_option("--url-base", ia.url_base, "URL clients reach the image route at (http://HOST:PORT)")
                ->required();
            ipxe->callback([&, ipxe_ext] {
                ia.extensions_given = ipxe_ext->count() > 0;
                cmd_ipxe(g, o, ia);
            });

            auto* cache = app.add_subcommand("cache", "Inspect and maintain the image cache");
            cache->require_subcommand(1);
            cache->add_subcommand("list", "List cached images, most recently used first")->callback([&] {
                cmd_cache_list(g, o);
            });
            auto* verify = cache->add_subcommand("verify", "Re-hash every cached image against its .sha256 sidecar");
            verify->add_flag("--keep", keep_bad, "Report corrupt entries without removing them");
            verify->callback([&] { cmd_cache_verify(g, o, !keep_bad); });
            auto* prune = cache->add_subcommand("prune", "Evict least recently used images down to a size");
            prune->add_option("--max-size", prune_to, "Target size (bytes, or K/M/G/T; default talos.max_cache_size)");
            prune->callback([&] { cmd_cache_prune(g, o, prune_to); });
        });
}
