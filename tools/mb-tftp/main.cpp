// mb-tftp: read-only TFTP for Raspberry Pi 4 and UEFI clients, with per-device rendered files.
#include "cli/tool.hpp"
#include "verbs.hpp"

int main(int argc, char** argv) {
    return mb::cli::run_tool(argc, argv, "mb-tftp", "TFTP server for netbooting Raspberry Pis, with per-device files",
                             [](CLI::App& app, mb::cli::GlobalOptions& g) { mb::tftp::add_verbs(app, g); });
}
