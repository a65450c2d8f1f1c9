#include "redfish/tree_backend.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "config/atomic_file.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"

namespace mb::redfish {

namespace fs = std::filesystem;
using nlohmann::json;

std::string uefi_image_version(const std::string& img) {
    std::string needle;
    for (char c : std::string("UEFI Firmware v")) {
        needle += c;
        needle += '\0';
    }
    auto pos = img.find(needle);
    if (pos == std::string::npos) return "";
    std::string v = "v";
    for (size_t i = pos + needle.size(); i + 1 < img.size() && v.size() < 16; i += 2) {
        char c = img[i];
        if (img[i + 1] != '\0' || !((c >= '0' && c <= '9') || c == '.')) break;
        v += c;
    }
    return v.size() > 1 ? v : "";
}

namespace {

json read_json(const fs::path& p) {
    std::ifstream in(p);
    if (!in) return nullptr;
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) throw data_error(fmt::format("{}: malformed JSON", p.string()));
    return j;
}

std::string power_name(poe::Power p) {
    switch (p) {
        case poe::Power::on: return "On";
        case poe::Power::off: return "Off";
        case poe::Power::powering_on: return "PoweringOn";
        case poe::Power::powering_off: return "PoweringOff";
        case poe::Power::fault: return "Off";
        case poe::Power::unknown: break;
    }
    return "";
}

bool url_safe(const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return s != "." && s != "..";
}

}  // namespace

struct TreeBackend::Shared {
    std::mutex mutex;
    std::shared_ptr<const config::Snapshot> snapshot;
    std::condition_variable idle;
    std::unique_ptr<poe::Fleet> fleet;
    struct Queue {
        std::deque<std::function<void()>> jobs;
        bool running = false;
        std::string phase;  // PoweringOn / PoweringOff while an action runs
    };
    std::map<std::string, Queue> queues;  // by dashed MAC
    struct Cached {
        PowerInfo info;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, Cached> cache;
    int busy = 0;
    std::string version;
    fs::file_time_type version_mtime{};

    poe::Fleet& fleet_locked() {
        if (!fleet) fleet = std::make_unique<poe::Fleet>(snapshot);
        return *fleet;
    }
};

TreeBackend::TreeBackend(std::shared_ptr<const config::Snapshot> snapshot)
    : tree_(snapshot->tree), shared_(std::make_shared<Shared>()) {
    set_snapshot(std::move(snapshot));
}

TreeBackend::~TreeBackend() { drain(); }

void TreeBackend::set_snapshot(std::shared_ptr<const config::Snapshot> snapshot) {
    std::unique_ptr<poe::Fleet> fleet;
    try {
        fleet = std::make_unique<poe::Fleet>(snapshot);
    } catch (const Error& e) {
        log::error("poe settings: {} (power actions unavailable until fixed)", e.what());
    }
    std::lock_guard lock(shared_->mutex);
    shared_->snapshot = std::move(snapshot);
    shared_->fleet = std::move(fleet);
    shared_->cache.clear();
}

void TreeBackend::drain() {
    std::unique_lock lock(shared_->mutex);
    shared_->idle.wait(lock, [&] { return shared_->busy == 0; });
}

std::vector<DeviceInfo> TreeBackend::devices() {
    std::shared_ptr<const config::Snapshot> snap;
    {
        std::lock_guard lock(shared_->mutex);
        snap = shared_->snapshot;
    }
    std::vector<DeviceInfo> out;
    for (const auto& [mac, rec] : snap->devices) {
        DeviceInfo d;
        d.mac = mac;
        d.id = rec.id();
        d.name = !rec.name.empty() ? rec.name : rec.hostname;
        d.serial = !rec.serial.empty() ? rec.serial : rec.observed.serial;
        if (!rec.observed.revision.empty()) d.revision = device::BoardRevision::parse(rec.observed.revision);
        d.has_power = !rec.power.switch_name.empty() && rec.power.port > 0;
        if (!url_safe(d.id)) d.id = mac.dashed();
        out.push_back(std::move(d));
    }
    return out;
}

PowerInfo TreeBackend::power(const DeviceInfo& d) {
    auto key = d.mac.dashed();
    auto now = std::chrono::steady_clock::now();
    std::shared_ptr<poe::Driver> driver;
    std::optional<poe::PortRef> port;
    {
        std::lock_guard lock(shared_->mutex);
        auto q = shared_->queues.find(key);
        if (q != shared_->queues.end() && !q->second.phase.empty()) return {q->second.phase, "OK", "transition"};
        auto c = shared_->cache.find(key);
        auto ttl = c != shared_->cache.end() && c->second.info.state.empty() ? std::chrono::seconds(5) : std::chrono::seconds(1);
        if (c != shared_->cache.end() && now - c->second.at < ttl) return c->second.info;
        if (!d.has_power) return {"", "Warning", "no power port configured"};
        try {
            if (!shared_->fleet) throw config_error("the poe settings are unusable (see the log)");
            auto& fleet = *shared_->fleet;
            port = fleet.locate(d.mac);
            if (port) driver = fleet.driver(port->switch_name);
        } catch (const Error& e) {
            PowerInfo p{"", "Critical", e.what()};
            shared_->cache[key] = {p, now};
            return p;
        }
    }
    PowerInfo p;
    if (!driver || !port) {
        p = {"", "Warning", "no power port configured"};
    } else {
        try {
            auto st = driver->status(*port);
            p.state = power_name(st.power);
            p.health = st.power == poe::Power::fault ? "Critical" : "OK";
            p.detail = st.detail;
        } catch (const Error& e) {
            p = {"", "Critical", e.what()};
            log::warn("power state of {}: {}", d.id, e.what());
        }
    }
    std::lock_guard lock(shared_->mutex);
    shared_->cache[key] = {p, std::chrono::steady_clock::now()};
    return p;
}

void TreeBackend::reset(const DeviceInfo& d, ResetType type, Progress progress) {
    auto shared = shared_;
    auto key = d.mac.dashed();
    auto mac = d.mac;
    auto id = d.id;
    auto job = [shared, key, mac, id, type, progress] {
        auto set_phase = [&](const std::string& p) {
            std::lock_guard lock(shared->mutex);
            shared->queues[key].phase = p;
        };
        try {
            std::shared_ptr<poe::Driver> driver;
            poe::PortRef port;
            poe::CycleOptions opts;
            {
                std::lock_guard lock(shared->mutex);
                if (!shared->fleet) throw config_error("the poe settings are unusable (see the log)");
                auto& fleet = *shared->fleet;
                auto where = fleet.locate(mac);
                if (!where) throw Error(kExitNoInput, fmt::format("{} has no power port", id));
                port = *where;
                driver = fleet.driver(port.switch_name);
                opts = fleet.cycle_options();
            }
            progress(10, false, true, fmt::format("{} {} via {}:{}", reset_name(type), id, port.switch_name, port.port));
            switch (type) {
                case ResetType::on: {
                    set_phase("PoweringOn");
                    driver->on(port);
                    poe::CycleOptions wait = opts;
                    wait.off_delay = std::chrono::milliseconds(0);
                    // Wait until the port delivers power (PoweringOn meanwhile).
                    auto deadline = std::chrono::steady_clock::now() + opts.timeout;
                    for (;;) {
                        auto st = driver->status(port);
                        if (st.power == poe::Power::on) break;
                        if (st.power == poe::Power::fault)
                            throw Error(kExitUnavailable, fmt::format("port {}:{} reports a fault", port.switch_name, port.port));
                        if (std::chrono::steady_clock::now() > deadline)
                            throw Error(kExitUnavailable, fmt::format("no power on {}:{} after {} ms", port.switch_name,
                                                                      port.port, opts.timeout.count()));
                        std::this_thread::sleep_for(opts.poll);
                    }
                    break;
                }
                case ResetType::force_off:
                    set_phase("PoweringOff");
                    driver->off(port);
                    break;
                case ResetType::force_restart:
                case ResetType::power_cycle: {
                    set_phase("PoweringOff");
                    bool first = true;
                    opts.sleep = [&](std::chrono::milliseconds ms) {
                        std::this_thread::sleep_for(ms);
                        if (first) set_phase("PoweringOn");
                        first = false;
                    };
                    driver->cycle(port, opts);
                    break;
                }
            }
            {
                std::lock_guard lock(shared->mutex);
                shared->cache.erase(key);
            }
            progress(100, true, true, fmt::format("{} {} done", reset_name(type), id));
            log::info("{}: {} done", id, reset_name(type));
        } catch (const std::exception& e) {
            {
                std::lock_guard lock(shared->mutex);
                shared->cache.erase(key);
            }
            log::error("{}: {} failed: {}", id, reset_name(type), e.what());
            progress(100, true, false, fmt::format("{} {} failed: {}", reset_name(type), id, e.what()));
        }
    };
    std::lock_guard lock(shared->mutex);
    auto& q = shared->queues[key];
    q.jobs.push_back(std::move(job));
    if (q.running) return;
    q.running = true;
    ++shared->busy;
    q.phase = type == ResetType::on ? "PoweringOn" : "PoweringOff";
    std::thread([shared, key] {
        for (;;) {
            std::function<void()> next;
            {
                std::lock_guard lock(shared->mutex);
                auto& q = shared->queues[key];
                if (q.jobs.empty()) {
                    q.running = false;
                    q.phase.clear();
                    --shared->busy;
                    shared->idle.notify_all();
                    return;
                }
                next = std::move(q.jobs.front());
                q.jobs.pop_front();
            }
            next();
        }
    }).detach();
}

json TreeBackend::load_firmware(const device::Mac& mac) { return read_json(tree_.firmware_json(mac)); }

void TreeBackend::store_firmware(const device::Mac& mac, const json& doc) {
    config::write_file_atomic(tree_.firmware_json(mac), doc.dump(4) + "\n");
}

json TreeBackend::load_state(const device::Mac& mac) {
    return read_json(tree_.state_dir("redfish") / "devices" / (mac.dashed() + ".json"));
}

void TreeBackend::store_state(const device::Mac& mac, const json& doc) {
    config::write_file_atomic(tree_.state_dir("redfish") / "devices" / (mac.dashed() + ".json"), doc.dump(2) + "\n");
}

json TreeBackend::load_service_state() { return read_json(tree_.state_dir("redfish") / "service.json"); }

void TreeBackend::store_service_state(const json& doc) {
    config::write_file_atomic(tree_.state_dir("redfish") / "service.json", doc.dump(2) + "\n");
}

json TreeBackend::inventory(const device::Mac& mac) {
    try {
        return read_json(tree_.state_dir("http") / "inventory" / (mac.dashed() + ".json"));
    } catch (const Error& e) {
        log::warn("{}", e.what());
        return nullptr;
    }
}

std::string TreeBackend::base_firmware_version() {
    auto path = tree_.base_firmware();
    std::error_code ec;
    auto mtime = fs::last_write_time(path, ec);
    if (ec) return "";
    std::lock_guard lock(shared_->mutex);
    if (mtime != shared_->version_mtime) {
        std::ifstream in(path, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        shared_->version = uefi_image_version(bytes);
        shared_->version_mtime = mtime;
    }
    return shared_->version;
}

namespace {

struct Download {
    std::string data;
    Progress* progress;
    size_t limit = 64u << 20;
};

size_t on_data(char* p, size_t n, size_t m, void* ud) {
    auto* d = static_cast<Download*>(ud);
    if (d->data.size() + n * m > d->limit) return 0;
    d->data.append(p, n * m);
    return n * m;
}

int on_progress(void* ud, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto* d = static_cast<Download*>(ud);
    if (total > 0) (*d->progress)(static_cast<int>(10 + 70 * now / total), false, true, "");
    return 0;
}

}  // namespace

void TreeBackend::update_base_firmware(const std::string& uri, Progress progress) {
    auto shared = shared_;
    auto base = tree_.base_firmware();
    {
        std::lock_guard lock(shared->mutex);
        ++shared->busy;
    }
    std::thread([shared, base, uri, progress]() mutable {
        try {
            progress(5, false, true, "downloading " + uri);
            Download d;
            d.progress = &progress;
            CURL* curl = curl_easy_init();
            if (!curl) throw Error(kExitSoftware, "curl_easy_init failed");
            curl_easy_setopt(curl, CURLOPT_URL, uri.c_str());
            curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
            curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
            curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_data);
            curl_easy_setopt(curl, CURLOPT_WRITEDATA, &d);
            curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
            curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &d);
            CURLcode rc = curl_easy_perform(curl);
            curl_easy_cleanup(curl);
            if (rc != CURLE_OK) throw Error(kExitUnavailable, fmt::format("download of {} failed: {}", uri, curl_easy_strerror(rc)));
            // An RPI_EFI.fd holds EFI firmware volumes: "_FVH" at offset 40 of a volume header.
            if (d.data.size() < 0x10000 || d.data.find("_FVH") == std::string::npos)
                throw data_error(fmt::format("{} is not a UEFI firmware image (no _FVH volume signature)", uri));
            progress(90, false, true, "installing firmware/RPI_EFI.fd");
            config::write_file_atomic(base, d.data);
            auto v = uefi_image_version(d.data);
            progress(100, true, true, fmt::format("base UEFI image replaced ({} bytes{}{})", d.data.size(),
                                                  v.empty() ? "" : ", ", v));
        } catch (const std::exception& e) {
            log::error("SimpleUpdate {}: {}", uri, e.what());
            progress(100, true, false, e.what());
        }
        std::lock_guard lock(shared->mutex);
        --shared->busy;
        shared->idle.notify_all();
    }).detach();
}

}  // namespace mb::redfish
