#include "tftp/render.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace mb::tftp {

namespace {

// The Pi 4 UEFI boot set: start4.elf loads RPI_EFI.fd as the ARM stub; the device tree window
// must match the image variant; overlays shipped with the boot files.
constexpr std::string_view kConfigTxt =
    "# config.txt rendered by mb-tftp for {{mac}} (serial {{serial}})\n"
    "arm_64bit=1\n"
    "arm_boost=1\n"
    "enable_uart=1\n"
    "uart_2ndstage=1\n"
    "armstub=RPI_EFI.fd\n"
    "disable_commandline_tags=1\n"
    "disable_overscan=1\n"
    "\n"
    "[pi4]\n"
    "enable_gic=1\n"
    "device_tree_address={{device_tree_address}}\n"
    "device_tree_end={{device_tree_end}}\n"
    "dtoverlay=miniuart-bt\n"
    "dtoverlay=upstream-pi4\n"
    "\n"
    "[all]\n";

constexpr std::string_view kCmdlineTxt = "console=serial0,115200 console=tty1 {{kernel_args}}\n";

}  // namespace

std::string render_template(std::string_view text, const TemplateVars& vars, std::string_view template_name) {
    std::string out;
    out.reserve(text.size() + 64);
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        const size_t line =
            1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(open), '\n'));
        const size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            throw data_error(fmt::format("{}:{}: unterminated '{{{{' placeholder", template_name, line));
        const std::string name(trim(text.substr(open + 2, close - open - 2)));
        auto it = vars.find(name);
        if (it == vars.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : vars) names.push_back(k);
            std::string hint;
            if (auto m = closest_match(name, names)) hint = fmt::format(" (did you mean '{}'?)", *m);
            throw data_error(
                fmt::format("{}:{}: unknown placeholder {}{}", template_name, line, mb::quoted(name), hint));
        }
        out += it->second;
        pos = close + 2;
    }
    return out;
}

std::string_view builtin_template(std::string_view name) {
    if (name == "config.txt") return kConfigTxt;
    if (name == "cmdline.txt") return kCmdlineTxt;
    return {};
}

bool is_templated(std::string_view name) {
    return !builtin_template(name).empty();
}

DeviceTreeWindow device_tree_window(std::optional<uint64_t> firmware_size) {
    if (firmware_size && *firmware_size <= 2u * 1024 * 1024) return {"0x1f0000", "0x200000"};
    return {"0x3e0000", "0x400000"};
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
    return to_hex(std::span<const uint8_t>(md, len));
}

SourcePtr RenderCache::get_or_render(const std::string& key, const std::function<Rendered()>& produce) {
    if (auto it = map_.find(key); it != map_.end()) {
        hits_++;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second.source;
    }
    misses_++;
    Rendered r = produce();
    lru_.emplace_front(key, r);
    map_[key] = lru_.begin();
    bytes_ += r.cost;
    while (bytes_ > max_bytes_ && lru_.size() > 1) {
        auto& last = lru_.back();
        bytes_ -= last.second.cost;
        map_.erase(last.first);
        lru_.pop_back();
    }
    return r.source;
}

void RenderCache::clear() {
    lru_.clear();
    map_.clear();
    bytes_ = 0;
}

}  // namespace mb::tftp
