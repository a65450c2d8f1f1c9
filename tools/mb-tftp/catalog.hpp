#pragma once
// What each device sees over TFTP: the per-device overrides directory, rendered files
// (config.txt, cmdline.txt from templates; RPI_EFI.fd from the base image + firmware/<mac>.json),
// then the shared root. Used by `serve`, `render` and `ls`, so the three always agree.
#include <sys/stat.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/loader.hpp"
#include "device/mac.hpp"
#include "tftp/mapping.hpp"
#include "tftp/packet.hpp"
#include "tftp/path.hpp"
#include "tftp/render.hpp"
#include "tftp/source.hpp"

namespace mb::efi {
class BaseImage;
}

namespace mb::tftp {

struct Resolved {
    SourcePtr source;
    std::string origin;  // "override", "static", "rendered-template", "builtin-template", "rendered-efi", "base-efi"
    // Runs once the whole file reached the client (a rendered RPI_EFI.fd carrying BootNext: the
    // boot now consumes it, efi::consume_boot_next).
    std::function<void()> on_complete;
};

struct ListEntry {
    std::string name;
    uint64_t size = 0;
    std::string origin;
};

class Catalog {
public:
    explicit Catalog(std::shared_ptr<const config::Snapshot> snapshot);
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    // A new config snapshot (reload): reopens the roots, re-reads leases. Rendered files stay
    // cached by content hash, so unchanged devices keep their renders.
    void update(std::shared_ptr<const config::Snapshot> snapshot);
    const config::Snapshot& snapshot() const { return *snapshot_; }
    // The served root directory (-1 when it cannot be opened); uploads are created beneath it.
    int root_fd() const { return tftp_fd_; }

    IdentityLookup lookup() const;
    MappedRequest map(const std::string& normalized, const std::string& client_ip) const;

    // Opens what `mapped` names for its device. Errors are wire-safe (no server path).
    std::variant<Resolved, PathError> open(const MappedRequest& mapped) const;
    // The files a device sees: shared root, its overrides and rendered files (sorted by name).
    std::vector<ListEntry> list(const std::optional<device::Mac>& mac) const;

    const RenderCache& cache() const { return cache_; }

private:
    struct Stamp {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        int64_t mtime_ns = 0;
        bool operator==(const Stamp&) const = default;
    };
    std::optional<Resolved> open_static(int dir_fd, const std::string& rel, const std::string& origin,
                                        PathError* error) const;
    std::optional<Resolved> render_template_file(const MappedRequest& m) const;
    std::optional<Resolved> render_efi(const device::Mac& mac) const;
    std::shared_ptr<const efi::BaseImage> base_image(std::string* key) const;
    TemplateVars vars_for(const std::optional<device::Mac>& mac) const;
    void load_leases();
    void close_fds();

    std::shared_ptr<const config::Snapshot> snapshot_;
    int tftp_fd_ = -1;
    int templates_fd_ = -1;
    int firmware_fd_ = -1;
    bool follow_symlinks_ = false;
    std::map<std::string, device::Mac> ip_to_mac_;
    mutable RenderCache cache_;
    mutable std::shared_ptr<const efi::BaseImage> base_;
    mutable Stamp base_stamp_;
    mutable std::string base_key_;
};

}  // namespace mb::tftp
