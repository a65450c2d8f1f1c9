#pragma once
// `mb-dhcp serve`: the socket loop (one io_context) around dhcp::Service.
#include "options.hpp"

namespace mb::dhcp_tool {

int serve(const Globals& globals, const Options& options);

}  // namespace mb::dhcp_tool
