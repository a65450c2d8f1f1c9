#pragma once
// YAML parsing with errors that name the file and line, and JSON → YAML emission for files we
// write (device records created by `config import`).
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mb::config {

// Parses text; throws mb::Error(kExitConfig) "<file>:<line>:<col>: YAML syntax error: ...".
YAML::Node parse_yaml(const std::string& text, const std::string& display_name);

// Emits a JSON value as block-style YAML (keys in the given order, strings quoted when needed).
std::string emit_yaml(const nlohmann::ordered_json& value);

// Converts a YAML node to JSON (scalars stay strings unless they are plain true/false/null/numbers).
nlohmann::ordered_json yaml_to_json(const YAML::Node& node);
// Converts JSON to a YAML node (for decoding JSON documents with the schema decoder).
YAML::Node json_to_yaml(const nlohmann::json& value);

}  // namespace mb::config
