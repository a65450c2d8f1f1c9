#pragma once
// The CLI verbs of mb-tftp: serve, render, ls, decode.
#include "cli/tool.hpp"

namespace mb::tftp {

void add_verbs(CLI::App& app, cli::GlobalOptions& global);

// `decode FILE.pcap`: TFTP transfers in a capture (decode.cpp).
nlohmann::ordered_json decode_capture(const std::string& path, uint16_t server_port);

}  // namespace mb::tftp
