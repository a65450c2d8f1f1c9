// Test helper: a daemon built only from the shared lifecycle (mb::daemon::Daemon) and CLI, so the
// lifecycle is tested apart from any protocol: it logs every reload with the device count and
// stops on SIGTERM.
#include "cli/tool.hpp"
#include "daemon/daemon.hpp"
#include "log/log.hpp"

int main(int argc, char** argv) {
    return mb::cli::run_tool(argc, argv, "mb-test-daemon", "Lifecycle test daemon", [](CLI::App& app, mb::cli::GlobalOptions& g) {
        auto* serve = app.add_subcommand("serve", "Run until SIGTERM");
        serve->callback([&g] {
            mb::daemon::Daemon d("mb-test-daemon", g.tree());
            auto config = d.start();
            mb::log::info("started with {} devices", config->devices.size());
            d.on_reload([](const mb::daemon::Snapshot& s) { mb::log::info("applied {} devices", s->devices.size()); });
            d.on_stop([] { mb::log::info("stop requested"); });
            mb::cli::set_exit_code(d.run());
        });
    });
}
