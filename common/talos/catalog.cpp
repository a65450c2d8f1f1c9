#include "talos/catalog.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::talos {

namespace {

nlohmann::json parse_array(std::string_view body, std::string_view what) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw data_error(std::string("factory ") + std::string(what) + ": malformed JSON: " + e.what());
    }
    if (doc.is_null()) return nlohmann::json::array();  // Go's encoding of an empty slice
    if (!doc.is_array()) throw data_error(std::string("factory ") + std::string(what) + ": expected a JSON array");
    return doc;
}

std::string field(const nlohmann::json& obj, const char* key) {
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string short_name(std::string_view full) {
    const auto slash = full.rfind('/');
    return std::string(slash == std::string_view::npos ? full : full.substr(slash + 1));
}

std::string underscored(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c == '-') c = '_';
    return out;
}

}  // namespace

std::vector<ExtensionInfo> parse_extensions_json(std::string_view body) {
    std::vector<ExtensionInfo> out;
    const auto doc = parse_array(body, "extension list");
    for (size_t i = 0; i < doc.size(); ++i) {
        const auto& e = doc[i];
        if (!e.is_object() || field(e, "name").empty())
            throw data_error("factory extension list: element " + std::to_string(i) + " has no \"name\"");
        out.push_back(
            {field(e, "name"), field(e, "ref"), field(e, "digest"), field(e, "author"), field(e, "description")});
    }
    return out;
}

std::vector<OverlayInfo> parse_overlays_json(std::string_view body) {
    std::vector<OverlayInfo> out;
    const auto doc = parse_array(body, "overlay list");
    for (size_t i = 0; i < doc.size(); ++i) {
        const auto& e = doc[i];
        if (!e.is_object() || field(e, "name").empty() || field(e, "image").empty())
            throw data_error("factory overlay list: element " + std::to_string(i) + " needs \"name\" and \"image\"");
        out.push_back({field(e, "name"), field(e, "image"), field(e, "ref"), field(e, "digest")});
    }
    return out;
}

std::vector<std::string> resolve_extensions(const std::vector<std::string>& requested,
                                            const std::vector<ExtensionInfo>& official, std::string_view version) {
    std::vector<std::string> out;
    std::vector<std::string> names;
    for (const auto& e : official) names.push_back(e.name);
    for (const auto& want : requested) {
        std::vector<std::string> matches;
        for (const auto& e : official)
            if (e.name == want) matches = {e.name};
        if (matches.empty() && want.find('/') == std::string::npos)
            for (const auto& e : official)
                if (short_name(e.name) == want) matches.push_back(e.name);
        if (matches.size() > 1)
            throw data_error("extension " + mb::quoted(want) + " is ambiguous for Talos " + std::string(version) +
                             ": " + join(matches, ", "));
        if (matches.empty()) {
            std::string msg = "unknown extension " + mb::quoted(want) + " for Talos " + std::string(version) +
                              " (not in the factory's official extension list)";
            auto hint = closest_match(want, names);
            if (!hint) {
                std::vector<std::string> shorts;
                for (const auto& n : names) shorts.push_back(short_name(n));
                hint = closest_match(want, shorts);
            }
            if (hint) msg += "; did you mean " + mb::quoted(*hint) + "?";
            throw data_error(msg);
        }
        out.push_back(matches.front());
    }
    return out;
}

OverlayInfo resolve_overlay(std::string_view requested, const std::vector<OverlayInfo>& official,
                            std::string_view version) {
    for (const auto& o : official)
        if (o.name == requested) return o;
    for (const auto& o : official)
        if (underscored(o.name) == underscored(requested)) return o;
    std::vector<std::string> names;
    for (const auto& o : official) names.push_back(o.name);
    std::string msg = "unknown overlay " + mb::quoted(requested) + " for Talos " + std::string(version);
    msg += official.empty() ? " (the factory offers no overlays for this version)"
                            : " (available: " + join(names, ", ") + ")";
    throw data_error(msg);
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& part : split(text, ',')) {
        const auto t = trim(part);
        if (!t.empty()) out.emplace_back(t);
    }
    return out;
}

}  // namespace mb::talos
