#include "config/yaml_io.hpp"

#include "core/error.hpp"

namespace mb::config {

YAML::Node parse_yaml(const std::string& text, const std::string& display_name) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        std::string where = display_name;
        if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
        throw config_error(where + ": YAML syntax error: " + e.msg);
    }
}

namespace {

void emit(YAML::Emitter& out, const nlohmann::ordered_json& v) {
    if (v.is_object()) {
        out << YAML::BeginMap;
        for (auto it = v.begin(); it != v.end(); ++it) {
            out << YAML::Key << it.key() << YAML::Value;
            emit(out, it.value());
        }
        out << YAML::EndMap;
    } else if (v.is_array()) {
        out << YAML::BeginSeq;
        for (const auto& item : v) emit(out, item);
        out << YAML::EndSeq;
    } else if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (s.find('\n') != std::string::npos) out << YAML::Literal << s;
        else out << s;
    } else if (v.is_boolean()) {
        out << (v.get<bool>() ? "true" : "false");
    } else if (v.is_null()) {
        out << YAML::Null;
    } else {
        out << v.dump();
    }
}

}  // namespace

std::string emit_yaml(const nlohmann::ordered_json& value) {
    YAML::Emitter out;
    out.SetIndent(2);
    emit(out, value);
    std::string s = out.c_str();
    if (!s.empty() && s.back() != '\n') s += '\n';
    return s;
}

nlohmann::ordered_json yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        auto obj = nlohmann::ordered_json::object();
        for (const auto& kv : node) obj[kv.first.Scalar()] = yaml_to_json(kv.second);
        return obj;
    }
    case YAML::NodeType::Sequence: {
        auto arr = nlohmann::ordered_json::array();
        for (const auto& item : node) arr.push_back(yaml_to_json(item));
        return arr;
    }
    case YAML::NodeType::Scalar: return node.Scalar();
    default: return nullptr;
    }
}

YAML::Node json_to_yaml(const nlohmann::json& value) {
    if (value.is_object()) {
        YAML::Node n(YAML::NodeType::Map);
        for (auto it = value.begin(); it != value.end(); ++it) n[it.key()] = json_to_yaml(it.value());
        return n;
    }
    if (value.is_array()) {
        YAML::Node n(YAML::NodeType::Sequence);
        for (const auto& item : value) n.push_back(json_to_yaml(item));
        return n;
    }
    if (value.is_null()) return YAML::Node(YAML::NodeType::Null);
    if (value.is_string()) return YAML::Node(value.get<std::string>());
    return YAML::Node(value.dump());
}

}  // namespace mb::config
