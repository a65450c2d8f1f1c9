#include "redfish/virtual_media.hpp"

#include <algorithm>
#include <cctype>

#include "efi/boot.hpp"
#include "efi/tls_ca.hpp"
#include "redfish/boot_override.hpp"
#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"

namespace mb::redfish {

using nlohmann::json;

namespace {

constexpr const char* kInsert = "VirtualMedia.InsertMedia";
constexpr const char* kEject = "VirtualMedia.EjectMedia";

json& slot(json& state) {
    if (!state.is_object()) state = json::object();
    auto& vm = state["virtual_media"];
    if (!vm.is_object()) vm = json::object();
    auto& s = vm[std::string(kVirtualCdId)];
    if (!s.is_object()) s = json::object();
    return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
           });
}

// Writes (non-empty `data`) or removes the TlsCaCertificate variable this slot wrote.
void set_tls_ca(efi::Variables& device, json& slot_state, const std::vector<uint8_t>& data) {
    if (!data.empty()) {
        efi::Variable v;
        v.guid = efi::kTlsCaCertificateGuid;
        v.name = std::u16string(efi::kTlsCaCertificateName);
        v.attr = 0x3;  // NON_VOLATILE | BOOTSERVICE_ACCESS, as EDK2's TLS configuration page stores it
        v.data = data;
        device.set(v);
        slot_state["tls_ca"] = true;
    } else if (slot_state.value("tls_ca", false)) {
        device.erase(efi::kTlsCaCertificateGuid, efi::kTlsCaCertificateName);
        slot_state.erase("tls_ca");
    }
}

// Removes the virtual CD's Boot#### and a Cd override that points at it.
void detach(efi::Variables& device, const efi::Variables& base, json& state) {
    auto& s = slot(state);
    auto view = uefi::merged(base, device);
    if (state.contains("boot") && state["boot"].is_object() && state["boot"].value("target", "") == "Cd")
        clear_boot_override(device, view, state);
    if (s.contains("entry") && s["entry"].is_number_unsigned()) {
        auto n = s["entry"].get<uint16_t>();
        if (uefi::is_virtual_cd_entry(uefi::merged(base, device), n)) efi::remove_boot_entry(device, n);
    }
    s.erase("entry");
}

}  // namespace

VirtualMedia read_virtual_media(const json& state) {
    VirtualMedia m;
    if (!state.is_object() || !state.contains("virtual_media") || !state["virtual_media"].is_object()) return m;
    const auto& vm = state["virtual_media"];
    auto it = vm.find(std::string(kVirtualCdId));
    if (it == vm.end() || !it->is_object()) return m;
    m.image = it->value("image", "");
    m.inserted = !m.image.empty() && it->value("inserted", false);
    m.write_protected = it->value("write_protected", true);
    if (it->contains("entry") && (*it)["entry"].is_number_unsigned()) m.entry = (*it)["entry"].get<uint16_t>();
    return m;
}

std::string image_url_problem(std::string_view url, bool https) {
    if (url.empty()) return "the image URL is empty";
    if (url.size() > kMaxImageUrl) return "the image URL is longer than 1024 bytes";
    for (char ch : url) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f) return "the image URL has a space, control or non-ASCII character";
    }
    size_t scheme = 0;
    if (starts_with_ci(url, "https://")) {
        if (!https)
            return "https:// images need redfish.virtual_media_ca: the CA certificates the device's firmware is to "
                   "trust";
        scheme = 8;
    } else if (starts_with_ci(url, "http://")) {
        scheme = 7;
    } else {
        return https ? "the image URL is not http:// or https://" : "the image URL is not http://";
    }
    auto host = url.substr(scheme, url.find_first_of("/?#", scheme) - scheme);  // npos: to the end
    if (host.empty() || host.front() == ':' || host.find('@') != std::string_view::npos)
        return "the image URL has no host (or has user information, which UEFI HTTP boot cannot send)";
    return "";
}

bool insert_media(Reply& r, const nlohmann::ordered_json& params, efi::Variables& device, const efi::Variables& base,
                  json& state, const device::Mac& mac, const std::vector<uint8_t>& tls_ca) {
    const bool https_ok = !tls_ca.empty();
    std::optional<std::string> image, protocol;
    bool inserted = true;
    for (auto it = params.begin(); it != params.end(); ++it) {
        const auto& key = it.key();
        const auto& v = *it;
        auto type_error = [&] {
            messages::action_parameter_value_type_error(r, json_text(v), key, kInsert);
            return false;
        };
        if (key == "Image") {
            if (!v.is_string()) return type_error();
            image = v.get<std::string>();
        } else if (key == "Inserted") {
            if (!v.is_boolean()) return type_error();
            inserted = v.get<bool>();
        } else if (key == "WriteProtected") {
            if (!v.is_boolean()) return type_error();
            // The firmware boots a RAM copy of the image: nothing is ever written back.
            if (!v.get<bool>()) {
                messages::action_parameter_value_conflict(r, key, "false");
                return false;
            }
        } else if (key == "TransferProtocolType") {
            if (!v.is_string()) return type_error();
            if (v.get<std::string>() != "HTTP" && !(https_ok && v.get<std::string>() == "HTTPS")) {
                messages::action_parameter_value_not_in_list(r, v.get<std::string>(), key, kInsert);
                return false;
            }
            protocol = v.get<std::string>();
        } else if (key == "TransferMethod") {
            if (!v.is_string()) return type_error();
            if (v.get<std::string>() != "Stream") {
                messages::action_parameter_value_not_in_list(r, v.get<std::string>(), key, kInsert);
                return false;
            }
        } else if (key == "UserName" || key == "Password") {
            if (!v.is_null() && !v.is_string()) return type_error();
            if (v.is_string() && !v.get<std::string>().empty()) {
                // UEFI HTTP boot sends no credentials.
                messages::action_parameter_not_supported(r, key, kInsert);
                return false;
            }
        } else {
            messages::action_parameter_unknown(r, kInsert, key);
            return false;
        }
    }
    if (!image) {
        messages::action_parameter_missing(r, kInsert, "Image");
        return false;
    }
    // "Image" may omit the scheme when TransferProtocolType names it; when both are given they agree.
    if (protocol && image->find("://") == std::string::npos)
        *image = (*protocol == "HTTPS" ? "https://" : "http://") + *image;
    const bool is_https = starts_with_ci(*image, "https://");
    if (protocol && (*protocol == "HTTPS") != is_https) {
        messages::action_parameter_value_conflict(r, "TransferProtocolType", *protocol);
        return false;
    }
    if (auto problem = image_url_problem(*image, https_ok); !problem.empty()) {
        if (problem.rfind("https", 0) == 0)
            messages::action_parameter_value_conflict(r, "Image", *image);
        else
            messages::action_parameter_value_format_error(r, *image, "Image", kInsert);
        r.body["error"]["@Message.ExtendedInfo"][0]["Resolution"] = problem;
        return false;
    }
    for (size_t i = 0; i < image->find("://"); ++i)  // the scheme in lower case, as EDK2 compares it
        (*image)[i] = static_cast<char>(std::tolower(static_cast<unsigned char>((*image)[i])));
    efi::Variables fw = device;
    json st = state.is_object() ? state : json::object();
    auto& s = slot(st);
    s["image"] = *image;
    s["inserted"] = inserted;
    s["write_protected"] = true;
    set_tls_ca(fw, s, is_https && inserted ? tls_ca : std::vector<uint8_t>{});
    if (!inserted) {
        detach(fw, base, st);
    } else if (s.contains("entry") && s["entry"].is_number_unsigned()) {
        // A Cd override already points at the option: the next boot fetches the new image.
        s["entry"] = uefi::virtual_cd_entry(fw, base, mac, *image, s["entry"].get<uint16_t>());
    }
    device = std::move(fw);
    state = std::move(st);
    return true;
}

bool eject_media(Reply& r, const nlohmann::ordered_json& params, efi::Variables& device, const efi::Variables& base,
                 json& state) {
    if (!params.empty()) {
        messages::action_parameter_unknown(r, kEject, params.begin().key());
        return false;
    }
    efi::Variables fw = device;
    json st = state.is_object() ? state : json::object();
    detach(fw, base, st);
    auto& s = slot(st);
    set_tls_ca(fw, s, {});
    s.erase("image");
    s["inserted"] = false;
    device = std::move(fw);
    state = std::move(st);
    return true;
}

std::optional<uint16_t> virtual_cd_boot_entry(efi::Variables& device, const efi::Variables& base, json& state,
                                              const device::Mac& mac) {
    auto m = read_virtual_media(state);
    if (!m.inserted) return std::nullopt;
    auto n = uefi::virtual_cd_entry(device, base, mac, m.image, m.entry);
    slot(state)["entry"] = n;
    return n;
}

}  // namespace mb::redfish
