#include "config/visitors.hpp"

namespace mb::config {

std::string location(const DecodeContext& ctx, const YAML::Node& node) {
    const auto mark = node.Mark();
    if (mark.line < 0) return ctx.file;
    return ctx.file + ":" + std::to_string(mark.line + 1);
}

void throw_decode_error(const DecodeContext& ctx, const YAML::Node& node, const std::string& key,
                        const std::string& message) {
    throw config_error(location(ctx, node) + ": " + key + ": " + message);
}

std::string scalar_text(const YAML::Node& node) { return node.IsScalar() ? node.Scalar() : std::string(); }

}  // namespace mb::config
