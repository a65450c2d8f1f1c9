#include "catalog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "device/pi_serial.hpp"
#include "efi/render.hpp"
#include "efi/vars_json.hpp"
#include "log/log.hpp"

namespace mb::tftp {

namespace {

namespace fs = std::filesystem;

// A rendered EFI image served straight from the base bytes + the device's variable store region.
class EfiSource final : public DataSource {
public:
    explicit EfiSource(efi::RenderedImage image) : image_(std::move(image)) {}
    uint64_t size() const override { return image_.size(); }
    size_t read(uint64_t offset, std::span<uint8_t> out) const override {
        return image_.read(static_cast<size_t>(offset), out);
    }

private:
    efi::RenderedImage image_;
};

int open_dir(const fs::path& p) {
    return ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

std::vector<uint8_t> read_fd(int fd, uint64_t size) {
    FileSource src(fd, size);
    return read_all(src);
}

std::optional<std::string> read_beneath(int dir_fd, const std::string& rel) {
    if (dir_fd < 0) return std::nullopt;
    auto r = open_beneath(dir_fd, rel, false);
    auto* f = std::get_if<OpenedFile>(&r);
    if (!f) return std::nullopt;
    auto bytes = read_fd(f->fd, f->size);
    return std::string(bytes.begin(), bytes.end());
}

Bytes to_bytes(const std::string& s) {
    return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end());
}

}  // namespace

Catalog::Catalog(std::shared_ptr<const config::Snapshot> snapshot) {
    update(std::move(snapshot));
}

Catalog::~Catalog() {
    close_fds();
}

void Catalog::close_fds() {
    for (int* fd : {&tftp_fd_, &templates_fd_, &firmware_fd_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void Catalog::update(std::shared_ptr<const config::Snapshot> snapshot) {
    snapshot_ = std::move(snapshot);
    close_fds();
    const auto& tree = snapshot_->tree;
    const fs::path root = tree.resolve(snapshot_->settings.tftp.root);
    tftp_fd_ = open_dir(root);
    if (tftp_fd_ < 0) log::warn("TFTP root {} cannot be opened: {}", tree.display(root), std::strerror(errno));
    templates_fd_ = open_dir(tree.templates_dir());
    firmware_fd_ = open_dir(tree.firmware_dir());
    load_leases();
}

void Catalog::load_leases() {
    // dnsmasq lease lines: <expiry> <mac> <ip> <hostname> <client-id>; device records add the
    // reserved and the last observed address. Leases win (they are the freshest).
    ip_to_mac_.clear();
    for (const auto& [mac, rec] : snapshot_->devices) {
        if (!rec.dhcp.ip.empty()) ip_to_mac_[rec.dhcp.ip] = mac;
        if (!rec.observed.ip.empty()) ip_to_mac_[rec.observed.ip] = mac;
    }
    std::ifstream in(snapshot_->tree.state_dir("dhcp") / "dnsmasq.leases");
    std::string line;
    while (std::getline(in, line)) {
        auto f = split(line, ' ', true);
        if (f.size() < 3 || f[0] == "duid") continue;
        if (auto mac = device::Mac::parse(f[1])) ip_to_mac_[f[2]] = *mac;
    }
}

IdentityLookup Catalog::lookup() const {
    IdentityLookup l;
    l.by_serial = [this](std::string_view s) -> std::optional<device::Mac> {
        auto serial = device::PiSerial::parse(s);
        if (!serial) return std::nullopt;
        return snapshot_->find_by_serial(*serial);
    };
    l.by_ip = [this](std::string_view ip) -> std::optional<device::Mac> {
        auto it = ip_to_mac_.find(std::string(ip));
        if (it == ip_to_mac_.end()) return std::nullopt;
        return it->second;
    };
    return l;
}

MappedRequest Catalog::map(const std::string& normalized, const std::string& client_ip) const {
    return map_request(normalized, client_ip, lookup());
}

std::optional<Resolved> Catalog::open_static(int dir_fd, const std::string& rel, const std::string& origin,
                                             PathError* error) const {
    if (dir_fd < 0) {
        if (error) *error = {ErrorCode::file_not_found, "File not found"};
        return std::nullopt;
    }
    auto r = open_beneath(dir_fd, rel, follow_symlinks_);
    if (auto* f = std::get_if<OpenedFile>(&r))
        return Resolved{std::make_shared<FileSource>(f->fd, f->size), origin, {}};
    if (error) *error = std::get<PathError>(r);
    return std::nullopt;
}

TemplateVars Catalog::vars_for(const std::optional<device::Mac>& mac) const {
    TemplateVars v{{"mac", ""},  {"mac_colon", ""}, {"serial", ""},      {"hostname", ""},
                   {"name", ""}, {"ip", ""},        {"kernel_args", ""}, {"console", ""}};
    std::optional<uint64_t> fw_size;
    struct stat st {};
    if (firmware_fd_ >= 0 && ::fstatat(firmware_fd_, "RPI_EFI.fd", &st, 0) == 0)
        fw_size = static_cast<uint64_t>(st.st_size);
    else if (tftp_fd_ >= 0 && ::fstatat(tftp_fd_, "RPI_EFI.fd", &st, 0) == 0)
        fw_size = static_cast<uint64_t>(st.st_size);
    const auto w = device_tree_window(fw_size);
    v["device_tree_address"] = w.address;
    v["device_tree_end"] = w.end;
    if (mac) {
        const auto rec = snapshot_->effective(*mac);
        v["mac"] = mac->dashed();
        v["mac_colon"] = mac->colon();
        v["serial"] = !rec.serial.empty() ? rec.serial : rec.observed.serial;
        v["hostname"] = rec.hostname;
        v["name"] = rec.id();
        v["ip"] = !rec.dhcp.ip.empty() ? rec.dhcp.ip : rec.observed.ip;
        v["kernel_args"] = rec.netboot.kernel_args;
        v["console"] = rec.netboot.console;
    }
    return v;
}

std::optional<Resolved> Catalog::render_template_file(const MappedRequest& m) const {
    std::string text;
    std::string origin;
    if (m.mac) {
        if (auto t = read_beneath(templates_fd_, m.relative)) {
            text = std::move(*t);
            origin = "rendered-template";
        }
    }
    if (origin.empty()) {
        if (auto r = open_static(tftp_fd_, m.relative, "static", nullptr)) return r;
        text = std::string(builtin_template(m.relative));
        origin = "builtin-template";
    }
    const std::string name = origin == "builtin-template" ? "built-in " + m.relative : "templates/" + m.relative;
    auto rendered = render_template(text, vars_for(m.mac), name);
    return Resolved{std::make_shared<MemorySource>(to_bytes(rendered)), origin, {}};
}

std::shared_ptr<const efi::BaseImage> Catalog::base_image(std::string* key) const {
    int dir = firmware_fd_;
    std::string where = "firmware/RPI_EFI.fd";
    struct stat st {};
    if (dir < 0 || ::fstatat(dir, "RPI_EFI.fd", &st, 0) != 0) {
        dir = tftp_fd_;
        where = "tftp/RPI_EFI.fd";
        if (dir < 0 || ::fstatat(dir, "RPI_EFI.fd", &st, 0) != 0) return nullptr;
    }
    Stamp s{st.st_dev, st.st_ino, st.st_size,
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    if (base_ && s == base_stamp_) {
        *key = base_key_;
        return base_;
    }
    auto r = open_beneath(dir, "RPI_EFI.fd", false);
    auto* f = std::get_if<OpenedFile>(&r);
    if (!f) return nullptr;
    auto bytes = read_fd(f->fd, f->size);
    const std::string hash = sha256_hex(bytes);
    try {
        base_ = std::make_shared<const efi::BaseImage>(std::move(bytes));
    } catch (const Error& e) {
        throw data_error(fmt::format("{}: {}", where, e.what()));
    }
    base_stamp_ = s;
    base_key_ = hash;
    *key = hash;
    return base_;
}

std::optional<Resolved> Catalog::render_efi(const device::Mac& mac) const {
    if (firmware_fd_ < 0) return std::nullopt;
    const std::string json_name = mac.dashed() + ".json";
    auto json = read_beneath(firmware_fd_, json_name);
    if (!json) return std::nullopt;
    std::string base_key;
    auto base = base_image(&base_key);
    if (!base) return std::nullopt;
    const std::string key =
        "efi:" + base_key + ":" +
        sha256_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(json->data()), json->size()));
    auto source = cache_.get_or_render(key, [&]() {
        efi::Variables vars;
        try {
            vars = efi::import_json(*json);
        } catch (const Error& e) {
            throw data_error(fmt::format("firmware/{}: {}", json_name, e.what()));
        }
        auto view = base->render_view(vars);
        const size_t cost = 4096 + base->store().layout.capacity();
        return Rendered{std::make_shared<EfiSource>(std::move(view)), cost};
    });
    Resolved res{source, "rendered-efi", {}};
    if (json->find("BootNext") != std::string::npos) {
        if (auto next = efi::boot_next(efi::import_json(*json))) {
            auto path = snapshot_->tree.firmware_json(mac).string();
            auto hash =
                sha256_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(json->data()), json->size()));
            res.on_complete = [path, hash, n = *next, mac] {
                if (efi::consume_boot_next(path, hash, n))
                    log::info("{}: BootNext Boot{:04X} consumed by this boot (removed from firmware/{}.json)",
                              mac.colon(), n, mac.dashed());
            };
        }
    }
    return res;
}

std::variant<Resolved, PathError> Catalog::open(const MappedRequest& m) const {
    PathError err{ErrorCode::file_not_found, "File not found"};
    if (m.mac) {
        PathError override_err;
        if (auto r = open_static(tftp_fd_, m.mac->dashed() + "/" + m.relative, "override", &override_err)) return *r;
        if (override_err.code == ErrorCode::access_violation) return override_err;
    }
    if (is_templated(m.relative)) return *render_template_file(m);
    if (m.relative == "RPI_EFI.fd") {
        if (m.mac) {
            if (auto r = render_efi(*m.mac)) return *r;
        }
        if (auto r = open_static(tftp_fd_, m.relative, "static", &err)) return *r;
        if (auto r = open_static(firmware_fd_, "RPI_EFI.fd", "base-efi", nullptr)) return *r;
        return err;
    }
    if (auto r = open_static(tftp_fd_, m.relative, "static", &err)) return *r;
    return err;
}

std::vector<ListEntry> Catalog::list(const std::optional<device::Mac>& mac) const {
    std::set<std::string> names;
    const fs::path root = snapshot_->tree.resolve(snapshot_->settings.tftp.root);
    auto walk = [&](const fs::path& dir, bool skip_device_dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return;
        for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
             it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const auto rel = fs::relative(it->path(), dir, ec).generic_string();
            if (skip_device_dirs && it.depth() == 0 && it->is_directory() &&
                (parse_dashed_mac(rel) || looks_like_serial(rel))) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file(ec) && !it->is_symlink(ec)) names.insert(rel);
        }
    };
    walk(root, true);
    if (mac) walk(root / mac->dashed(), false);
    names.insert("config.txt");
    names.insert("cmdline.txt");
    names.insert("RPI_EFI.fd");
    std::vector<ListEntry> out;
    for (const auto& name : names) {
        MappedRequest m;
        m.mac = mac;
        m.relative = name;
        auto r = open(m);
        if (auto* ok = std::get_if<Resolved>(&r)) out.push_back({name, ok->source->size(), ok->origin});
    }
    return out;
}

}  // namespace mb::tftp
