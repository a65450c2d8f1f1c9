#pragma once
// The one-shot verbs: decode, replay, leases list|add|rm.
#include <string>

#include "cli/tool.hpp"
#include "options.hpp"

namespace mb::dhcp_tool {

void decode(const cli::GlobalOptions& g, const std::string& file);
// `cmd`: which settings were given as flags (they win over metal-boot.yaml).
void replay(const cli::GlobalOptions& g, Options o, const CLI::App& cmd, const std::string& file);
// The lease file: --lease-file, else dhcp.lease_file of metal-boot.yaml under the root.
std::string lease_file(const cli::GlobalOptions& g, const std::string& flag);
void leases_list(const cli::GlobalOptions& g, const std::string& path);
void leases_add(const cli::GlobalOptions& g, const std::string& path, const std::string& mac, const std::string& ip,
                const std::string& hostname, int64_t lease_seconds);
void leases_rm(const cli::GlobalOptions& g, const std::string& path, const std::string& what);

}  // namespace mb::dhcp_tool
