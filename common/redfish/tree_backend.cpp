#include "redfish/tree_backend.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include "config/atomic_file.hpp"
#include "config/file_lock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "efi/render.hpp"
#include "efi/vars_json.hpp"
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

// "<mtime ns>.<size>.<inode>" of a file, "-" when absent.
std::string file_stamp(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return "-";
    return fmt::format("{}.{}.{}", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                       static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino));
}

std::vector<DeviceInfo> device_infos(const config::Snapshot& snap) {
    std::vector<DeviceInfo> out;
    for (const auto& [mac, rec] : snap.devices) {
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
    std::map<device::Mac, Queue> queues;  // power actions
    // Last power state read per device, refreshed in the background.
    struct Cached {
        PowerInfo info;
        std::chrono::steady_clock::time_point at{};
        bool valid = false;    // read at least once
        bool pending = false;  // a refresh is queued or running
    };
    std::map<device::Mac, Cached> cache;
    // Status readers: one worker per switch while refreshes are queued, so an unreachable switch
    // delays only the devices behind it (and never the I/O thread).
    struct Poller {
        std::deque<device::Mac> macs;
        bool running = false;
    };
    std::map<std::string, Poller> pollers;  // by switch name
    uint64_t generation = 0;                // bumped whenever a cached power state changes
    uint64_t snapshot_generation = 0;       // bumped by set_snapshot
    uint64_t write_generation = 0;          // bumped by our own writes of device files
    struct Stamp {
        std::string text;  // what the number stands for: generations and the files' stat() stamps
        uint64_t number = 0;
        std::chrono::steady_clock::time_point at;
        uint64_t writes = 0;
    };
    std::map<device::Mac, Stamp> stamps;
    uint64_t last_stamp = 0;              // numbers are handed out once, for any device
    std::vector<DeviceInfo> devices;      // of the current snapshot
    std::string base_stamp;               // file_stamp() of the base image base_vars come from
    efi::Variables base_vars;
    int busy = 0;
    std::string version;
    fs::file_time_type version_mtime{};

    // Reads the port now (on a worker thread) and stores the result.
    static void read_power(const std::shared_ptr<Shared>& shared, const device::Mac& mac);
    // Queues a background read of mac's port (no-op while one is pending). Caller holds mutex.
    static void schedule_locked(const std::shared_ptr<Shared>& shared, const device::Mac& mac);
    void store_locked(const device::Mac& key, const PowerInfo& p) {
        auto& c = cache[key];
        if (!c.valid || c.info.state != p.state || c.info.health != p.health || c.info.detail != p.detail) ++generation;
        c.info = p;
        c.at = std::chrono::steady_clock::now();
        c.valid = true;
    }
};

void TreeBackend::Shared::read_power(const std::shared_ptr<Shared>& shared, const device::Mac& mac) {
    std::shared_ptr<poe::Driver> driver;
    std::optional<poe::PortRef> port;
    PowerInfo p;
    try {
        {
            std::lock_guard lock(shared->mutex);
            if (!shared->fleet) throw config_error("the poe settings are unusable (see the log)");
            port = shared->fleet->locate(mac);
            if (port) driver = shared->fleet->driver(port->switch_name);
        }
        if (!driver || !port) {
            p = {"", "Warning", "no power port configured"};
        } else {
            auto st = driver->status(*port);
            p.state = power_name(st.power);
            p.health = st.power == poe::Power::fault ? "Critical" : "OK";
            p.detail = st.detail;
        }
    } catch (const std::exception& e) {
        p = {"", "Critical", e.what()};
        log::warn("power state of {}: {}", mac.dashed(), e.what());
    }
    std::lock_guard lock(shared->mutex);
    shared->store_locked(mac, p);
}

void TreeBackend::Shared::schedule_locked(const std::shared_ptr<Shared>& shared, const device::Mac& mac) {
    auto& c = shared->cache[mac];
    if (c.pending) return;
    std::string sw;
    try {
        if (shared->fleet)
            if (auto port = shared->fleet->locate(mac)) sw = port->switch_name;
    } catch (const std::exception&) {
    }
    c.pending = true;
    auto& poller = shared->pollers[sw];
    poller.macs.push_back(mac);
    if (poller.running) return;
    poller.running = true;
    // Not counted in `busy`: a reader stuck on a dead switch must not hold up shutdown (the
    // thread owns `shared`, so it may outlive the backend).
    std::thread([shared, sw] {
        for (;;) {
            device::Mac next;
            {
                std::lock_guard lock(shared->mutex);
                auto& pl = shared->pollers[sw];
                if (pl.macs.empty()) {
                    pl.running = false;
                    return;
                }
                next = pl.macs.front();
                pl.macs.pop_front();
            }
            read_power(shared, next);
            std::lock_guard lock(shared->mutex);
            shared->cache[next].pending = false;
        }
    }).detach();
}

TreeBackend::TreeBackend(std::shared_ptr<const config::Snapshot> snapshot)
    : tree_(snapshot->tree), shared_(std::make_shared<Shared>()) {
    set_snapshot(std::move(snapshot));
}

TreeBackend::~TreeBackend() {
    drain();
}

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
    ++shared_->generation;
    ++shared_->snapshot_generation;
    shared_->devices = device_infos(*shared_->snapshot);
    // Read every configured port now, so the first GET already knows the power state.
    for (const auto& [mac, rec] : shared_->snapshot->devices)
        if (!rec.power.switch_name.empty() && rec.power.port > 0) Shared::schedule_locked(shared_, mac);
}

void TreeBackend::drain() {
    std::unique_lock lock(shared_->mutex);
    shared_->idle.wait(lock, [&] { return shared_->busy == 0; });
}

std::vector<DeviceInfo> TreeBackend::devices() {
    std::lock_guard lock(shared_->mutex);
    return shared_->devices;
}

uint64_t TreeBackend::devices_generation() {
    std::lock_guard lock(shared_->mutex);
    return shared_->snapshot_generation;
}

uint64_t TreeBackend::stamp(const device::Mac& mac) {
    // Four stat() calls per GET cost more than the rest of a cached answer: they are repeated at
    // most every kStampMaxAge per device. Our own writes bump write_generation, so they are seen
    // at once; other writers (mb-tftp consuming BootNext, mb-efivars, mb-http's inventory) within
    // kStampMaxAge. The number changes exactly when the text it stands for changes.
    auto now = std::chrono::steady_clock::now();
    uint64_t gen, writes;
    {
        std::lock_guard lock(shared_->mutex);
        gen = shared_->snapshot_generation;
        writes = shared_->write_generation;
        auto it = shared_->stamps.find(mac);
        if (it != shared_->stamps.end() && it->second.writes == writes && now - it->second.at < kStampMaxAge)
            return it->second.number;
    }
    auto name = mac.dashed() + ".json";
    auto text = fmt::format("{}|{}|{}|{}|{}|{}", gen, writes, file_stamp(tree_.firmware_json(mac)),
                            file_stamp(tree_.state_dir("redfish") / "devices" / name),
                            file_stamp(tree_.state_dir("http") / "inventory" / name), file_stamp(base_store()));
    std::lock_guard lock(shared_->mutex);
    if (shared_->stamps.size() > 4096) shared_->stamps.clear();
    auto& st = shared_->stamps[mac];
    if (st.number == 0 || st.text != text) {
        st.text = std::move(text);
        st.number = ++shared_->last_stamp;
    }
    st.at = now;
    st.writes = writes;
    return st.number;
}

void TreeBackend::wrote() {
    std::lock_guard lock(shared_->mutex);
    ++shared_->write_generation;
}

PowerInfo TreeBackend::power(const DeviceInfo& d) {
    // Never touches a switch: answers from the last reading and queues a background re-read when
    // it is older than kPowerMaxAge (kPowerErrorRetry after a failed read). A reading older than
    // kPowerStale (the switch has not answered since) no longer counts as the state.
    const auto& key = d.mac;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(shared_->mutex);
    auto q = shared_->queues.find(key);
    if (q != shared_->queues.end() && !q->second.phase.empty()) return {q->second.phase, "OK", "transition"};
    if (!d.has_power) return {"", "Warning", "no power port configured"};
    auto& c = shared_->cache[key];
    auto age = now - c.at;
    auto max_age = c.valid && c.info.state.empty() ? kPowerErrorRetry : kPowerMaxAge;
    if (!c.valid || age >= max_age) Shared::schedule_locked(shared_, d.mac);
    if (!c.valid) return {"", "Warning", "power state not read yet"};
    if (age >= kPowerStale) return {"", "Warning", "no answer from the switch since the last reading"};
    return c.info;
}

uint64_t TreeBackend::power_generation() {
    std::lock_guard lock(shared_->mutex);
    return shared_->generation;
}

size_t TreeBackend::queued_actions(const DeviceInfo& d) {
    std::lock_guard lock(shared_->mutex);
    auto q = shared_->queues.find(d.mac);
    return q == shared_->queues.end() ? 0 : q->second.jobs.size();
}

bool TreeBackend::reset(const DeviceInfo& d, ResetType type, Progress progress) {
    auto shared = shared_;
    auto key = d.mac;
    auto mac = d.mac;
    auto id = d.id;
    auto job = [shared, key, mac, id, type, progress] {
        auto set_phase = [&](const std::string& p) {
            std::lock_guard lock(shared->mutex);
            shared->queues[key].phase = p;
            ++shared->generation;
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
            progress(10, false, true,
                     fmt::format("{} {} via {}:{}", reset_name(type), id, port.switch_name, port.port));
            switch (type) {
                case ResetType::on: {
                    set_phase("PoweringOn");
                    driver->on(port);
                    // Wait until the port delivers power (PoweringOn meanwhile).
                    auto deadline = std::chrono::steady_clock::now() + opts.timeout;
                    for (;;) {
                        auto st = driver->status(port);
                        if (st.power == poe::Power::on) break;
                        if (st.power == poe::Power::fault)
                            throw Error(kExitUnavailable,
                                        fmt::format("port {}:{} reports a fault", port.switch_name, port.port));
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
            // Read the port right after the action, so the Task completes with PowerState current.
            Shared::read_power(shared, mac);
            set_phase("");
            progress(100, true, true, fmt::format("{} {} done", reset_name(type), id));
            log::info("{}: {} done", id, reset_name(type));
        } catch (const std::exception& e) {
            log::error("{}: {} failed: {}", id, reset_name(type), e.what());
            Shared::read_power(shared, mac);
            set_phase("");
            progress(100, true, false, fmt::format("{} {} failed: {}", reset_name(type), id, e.what()));
        }
    };
    std::lock_guard lock(shared->mutex);
    auto& q = shared->queues[key];
    if (q.jobs.size() >= kMaxQueuedActions) return false;
    q.jobs.push_back(std::move(job));
    ++shared->generation;
    if (q.running) return true;
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
                    ++shared->generation;
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
    return true;
}

efi::Variables TreeBackend::load_firmware(const device::Mac& mac) {
    auto path = tree_.firmware_json(mac);
    std::error_code ec;
    if (!fs::exists(path, ec)) return {};
    return efi::load_vars_json(path.string());
}

void TreeBackend::store_firmware(const device::Mac& mac, const efi::Variables& vars) {
    config::write_file_atomic(tree_.firmware_json(mac), efi::export_json(vars));
    wrote();
}

void TreeBackend::edit_firmware(const device::Mac& mac, const std::function<bool(efi::Variables&)>& edit) {
    // The same lock mb-efivars --device and mb-tftp's BootNext consumption take.
    auto path = tree_.firmware_json(mac);
    fs::create_directories(path.parent_path());
    config::FileLock lock(path, config::FileLock::Mode::exclusive, std::chrono::seconds(10));
    auto vars = load_firmware(mac);
    if (edit(vars)) store_firmware(mac, vars);
}

fs::path TreeBackend::base_store() const {
    // firmware/RPI_EFI.fd (what mb-tftp renders onto); a QEMU lab's AAVMF varstore otherwise.
    std::error_code ec;
    auto rpi = tree_.base_firmware();
    if (fs::exists(rpi, ec)) return rpi;
    auto aavmf = tree_.firmware_dir() / "AAVMF_VARS.fd";
    return fs::exists(aavmf, ec) ? aavmf : rpi;
}

efi::Variables TreeBackend::base_variables() {
    auto path = base_store();
    auto st = file_stamp(path);
    if (st == "-") return {};
    std::lock_guard lock(shared_->mutex);
    if (st != shared_->base_stamp) {
        shared_->base_stamp = st;
        shared_->base_vars = {};
        try {
            shared_->base_vars = efi::BaseImage::load(path.string())->store().vars;
        } catch (const Error& e) {
            log::warn("base image: {} (boot options are chosen from the device's variables only)", e.what());
        }
    }
    return shared_->base_vars;
}

json TreeBackend::load_state(const device::Mac& mac) {
    return read_json(tree_.state_dir("redfish") / "devices" / (mac.dashed() + ".json"));
}

void TreeBackend::store_state(const device::Mac& mac, const json& doc) {
    config::write_file_atomic(tree_.state_dir("redfish") / "devices" / (mac.dashed() + ".json"), doc.dump(2) + "\n");
    wrote();
}

json TreeBackend::load_service_state() {
    return read_json(tree_.state_dir("redfish") / "service.json");
}

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
            if (rc != CURLE_OK)
                throw Error(kExitUnavailable, fmt::format("download of {} failed: {}", uri, curl_easy_strerror(rc)));
            // An RPI_EFI.fd holds EFI firmware volumes: "_FVH" at offset 40 of a volume header.
            if (d.data.size() < 0x10000 || d.data.find("_FVH") == std::string::npos)
                throw data_error(fmt::format("{} is not a UEFI firmware image (no _FVH volume signature)", uri));
            progress(90, false, true, "installing firmware/RPI_EFI.fd");
            config::write_file_atomic(base, d.data);
            auto v = uefi_image_version(d.data);
            progress(100, true, true,
                     fmt::format("base UEFI image replaced ({} bytes{}{})", d.data.size(), v.empty() ? "" : ", ", v));
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
