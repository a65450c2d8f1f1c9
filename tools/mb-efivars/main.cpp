#include "cli/tool.hpp"

int main(int argc, char** argv) {
    return mb::cli::run_tool(argc, argv, "mb-efivars", "Read, edit and render UEFI variable stores",
                             [](CLI::App&, mb::cli::GlobalOptions&) {});
}
