#pragma once
// JSON documents a tool owns under state/<tool>/ (leases, learned serials, inventories, power and
// boot-override state). Writes are atomic; update() is a read-modify-write under an exclusive
// flock, so several processes changing one document never lose an update.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/tree.hpp"

namespace mb::config {

class StateStore {
public:
    StateStore(const Tree& tree, std::string tool);

    const std::filesystem::path& dir() const { return dir_; }
    // state/<tool>/<name>; `name` may contain subdirectories ("devices/dc-a6-32-01-02-03.json")
    // but no ".." component.
    std::filesystem::path path(std::string_view name) const;

    // The document, or an empty object if it does not exist. Throws mb::Error(kExitDataErr)
    // naming the file if it is not valid JSON.
    nlohmann::json read(std::string_view name) const;
    void write(std::string_view name, const nlohmann::json& doc) const;
    // Locked read-modify-write; returns the document as written.
    nlohmann::json update(std::string_view name, const std::function<void(nlohmann::json&)>& change) const;
    bool remove(std::string_view name) const;
    // Names of the documents in a subdirectory ("devices"), sorted.
    std::vector<std::string> list(std::string_view subdir = "") const;

    // Per-device document: devices/<mac-dashed>.json.
    static std::string device_doc(const device::Mac& mac) { return "devices/" + mac.dashed() + ".json"; }

private:
    std::filesystem::path dir_;
};

}  // namespace mb::config
