#pragma once
// The one-shot verbs: decode, replay, leases list|add|rm.
#include <string>

#include "options.hpp"

namespace mb::dhcp_tool {

int decode(const Globals& g, const std::string& file);
int replay(const Globals& g, const Options& o, const std::string& file);
int leases_list(const Globals& g, const Options& o);
int leases_add(const Globals& g, const Options& o, const std::string& mac, const std::string& ip,
               const std::string& hostname, int64_t lease_seconds);
int leases_rm(const Globals& g, const Options& o, const std::string& what);

}  // namespace mb::dhcp_tool
