#include "poe/fleet.hpp"

#include <fmt/format.h>

#include "config/state_store.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "poe/command_driver.hpp"
#include "poe/snmp_driver.hpp"
#include "poe/unifi_driver.hpp"

namespace mb::poe {

std::unique_ptr<Driver> make_driver(const SwitchSettings& s) {
    if (s.driver == "snmp") return std::make_unique<SnmpDriver>(s);
    if (s.driver == "unifi") return std::make_unique<UnifiDriver>(s);
    if (s.driver == "command") return std::make_unique<CommandDriver>(s);
    throw config_error(fmt::format("switch {}: unknown driver {}", s.name, mb::quoted(s.driver)));
}

Fleet::Fleet(std::shared_ptr<const config::Snapshot> snapshot)
    : snapshot_(std::move(snapshot)), settings_(from_config(snapshot_->settings.poe)) {}

std::optional<PortRef> Fleet::locate(const device::Mac& mac) const {
    const auto* rec = snapshot_->find(mac);
    if (!rec || rec->power.switch_name.empty() || rec->power.port == 0) return std::nullopt;
    return PortRef{rec->power.switch_name, std::to_string(rec->power.port), mac.colon()};
}

PortRef Fleet::resolve(const std::string& target) const {
    std::optional<device::Mac> mac = device::Mac::parse(target);
    if (!mac && target.find(':') == std::string::npos) mac = snapshot_->find_by_id(target);
    if (mac) {
        auto r = locate(*mac);
        if (!r)
            throw no_input(fmt::format("device {} has no power section (devices/{}.yaml power: {{switch, port}}) and "
                                       "nothing was discovered for it (mb-poe discover --write)",
                                       mac->colon(), mac->dashed()));
        settings_.get(r->switch_name);
        return *r;
    }
    auto colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size())
        throw no_input(fmt::format("{} is neither a known device (MAC, name, hostname) nor <switch>:<port>",
                                   mb::quoted(target)));
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

CycleOptions Fleet::cycle_options() const {
    CycleOptions o;
    o.off_delay = std::chrono::milliseconds(settings_.cycle_delay_ms);
    o.timeout = std::chrono::milliseconds(settings_.cycle_timeout_ms);
    o.poll = std::chrono::milliseconds(settings_.poll_ms);
    return o;
}

void Fleet::remember(const Learned& l) const {
    auto mac = device::Mac::parse_or_throw(l.mac);
    auto port = parse_uint(l.port, 1024);
    if (!port || *port == 0) throw data_error(fmt::format("learned port {} is not a port number", mb::quoted(l.port)));
    config::StateStore store(snapshot_->tree, "poe");
    store.update(config::StateStore::device_doc(mac), [&](nlohmann::json& doc) {
        doc["power"] = {{"switch", l.switch_name}, {"port", *port}};
        doc["learned_from"] = l.source;
    });
}

}  // namespace mb::poe
