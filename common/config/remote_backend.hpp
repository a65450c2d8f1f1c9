#pragma once
// The remote backend layer of the device-record merge: records shared by several Metal Boot
// servers in etcd (v3 JSON gateway, read with libcurl). Each key <prefix>hw/<mac> holds a JSON
// device record in the devices/<mac>.yaml schema.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "config/server_settings.hpp"
#include "device/mac.hpp"

namespace mb::config {

struct RemoteRecord {
    YAML::Node node;
    std::string source;  // "etcd:<endpoint>/<key>" for messages
};

// Throws mb::Error(kExitUnavailable) when no endpoint answers, kExitConfig for an invalid record.
std::map<device::Mac, RemoteRecord> fetch_remote_records(const BackendSettings& backend);

// etcd v3 gateway helpers (exposed for tests): base64 and the prefix range end.
std::string base64_encode(const std::string& data);
std::string base64_decode(const std::string& text);
std::string prefix_range_end(std::string prefix);

}  // namespace mb::config
