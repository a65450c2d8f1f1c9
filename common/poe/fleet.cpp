#include "poe/fleet.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "poe/command_driver.hpp"
#include "poe/snmp_driver.hpp"
#include "poe/unifi_driver.hpp"

namespace mb::poe {

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& path, const std::string& data) {
    fs::create_directories(path.parent_path());
    auto tmp = path;
    tmp += fmt::format(".tmp.{}", getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error("cannot create " + tmp.string(), errno);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw io_error("cannot write " + tmp.string(), e);
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot flush " + tmp.string(), e);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw io_error("cannot rename to " + path.string(), e);
    }
    int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::unique_ptr<Driver> make_driver(const SwitchSettings& s) {
    if (s.driver == "snmp") return std::make_unique<SnmpDriver>(s);
    if (s.driver == "unifi") return std::make_unique<UnifiDriver>(s);
    if (s.driver == "command") return std::make_unique<CommandDriver>(s);
    throw config_error(fmt::format("switch {}: unknown driver {}", s.name, mb::quoted(s.driver)));
}

Fleet Fleet::load(const fs::path& root) {
    auto file = root / "metal-boot.yaml";
    if (!fs::exists(file)) return Fleet(root, PoeSettings{});
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(file.string());
    } catch (const YAML::ParserException& e) {
        throw config_error(fmt::format("{}:{}: {}", file.string(), e.mark.line + 1, e.msg));
    } catch (const YAML::BadFile&) {
        throw config_error(fmt::format("{}: cannot read", file.string()));
    }
    YAML::Node poe;
    if (doc.IsMap()) poe = doc["poe"];
    return Fleet(root, parse_poe_settings(poe, file.string()));
}

std::optional<PortRef> Fleet::locate(const device::Mac& mac) const {
    auto rec = root_ / "devices" / (mac.dashed() + ".yaml");
    if (fs::exists(rec)) {
        YAML::Node doc;
        try {
            doc = YAML::LoadFile(rec.string());
        } catch (const YAML::ParserException& e) {
            throw config_error(fmt::format("{}:{}: {}", rec.string(), e.mark.line + 1, e.msg));
        }
        if (doc.IsMap() && doc["power"] && doc["power"].IsMap()) {
            auto p = doc["power"];
            if (p["switch"] && p["port"]) {
                PortRef r{p["switch"].as<std::string>(), p["port"].as<std::string>(), mac.colon()};
                return r;
            }
            if (p["switch"] || p["port"])
                throw config_error(fmt::format("{}:{}: power needs both switch and port", rec.string(),
                                               p.Mark().line + 1));
        }
    }
    auto learned = root_ / "state" / "poe" / (mac.dashed() + ".json");
    if (fs::exists(learned)) {
        std::ifstream in(learned);
        std::stringstream ss;
        ss << in.rdbuf();
        auto j = nlohmann::json::parse(ss.str(), nullptr, false);
        if (j.is_object() && j.contains("switch") && j.contains("port") && j["switch"].is_string() &&
            j["port"].is_string())
            return PortRef{j["switch"].get<std::string>(), j["port"].get<std::string>(), mac.colon()};
        throw data_error(fmt::format("{}: expected {{\"switch\": ..., \"port\": ...}}", learned.string()));
    }
    return std::nullopt;
}

PortRef Fleet::resolve(const std::string& target) const {
    if (auto mac = device::Mac::parse(target)) {
        auto r = locate(*mac);
        if (!r)
            throw no_input(fmt::format("device {} has no power section (devices/{}.yaml power: {{switch, port}}) and "
                                       "nothing was discovered for it (mb-poe discover)",
                                       mac->colon(), mac->dashed()));
        settings_.get(r->switch_name);
        return *r;
    }
    auto colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size())
        throw usage_error(fmt::format("{} is neither a MAC address nor <switch>:<port>", mb::quoted(target)));
    PortRef r{target.substr(0, colon), target.substr(colon + 1), ""};
    settings_.get(r.switch_name);
    return r;
}

std::shared_ptr<Driver> Fleet::driver(const std::string& switch_name) {
    std::lock_guard lock(*mutex_);
    auto it = drivers_.find(switch_name);
    if (it != drivers_.end()) return it->second;
    std::shared_ptr<Driver> d = make_driver(settings_.get(switch_name));
    drivers_[switch_name] = d;
    return d;
}

CycleOptions Fleet::cycle_options(const std::string& switch_name) const {
    CycleOptions o;
    const auto& s = settings_.get(switch_name);
    o.off_delay = std::chrono::milliseconds(s.cycle_delay_ms.value_or(settings_.cycle_delay_ms));
    o.timeout = std::chrono::milliseconds(settings_.cycle_timeout_ms);
    o.poll = std::chrono::milliseconds(settings_.poll_ms);
    return o;
}

void Fleet::remember(const Learned& l) const {
    auto mac = device::Mac::parse_or_throw(l.mac);
    nlohmann::ordered_json j{{"mac", mac.colon()}, {"switch", l.switch_name}, {"port", l.port}, {"source", l.source}};
    write_file_atomic(root_ / "state" / "poe" / (mac.dashed() + ".json"), j.dump(2) + "\n");
}

}  // namespace mb::poe
