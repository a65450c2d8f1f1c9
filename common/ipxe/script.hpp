#pragma once
// The iPXE script a device gets, from its effective device record (pure: no files, no sockets).
//
// Choice, first match wins:
//   netboot.allow_pxe == false   → "local": a script that exits back to the firmware (local boot)
//   netboot.ipxe_script  != ""   → "inline": the operator's script verbatim (#!ipxe added if missing)
//   netboot.ipxe_script_url != ""→ "chain": chain to that URL, bounded retries, then exit
//   otherwise                    → "osie": kernel + initrd from netboot.osie with IPA parameters
// Templates named local, chain, osie (per device) and generic (/boot.ipxe) come from the
// `lookup` callback (templates/ipxe/<name>.ipxe in the config tree) or the built-in ones; see
// template.hpp for the {{var}} syntax and variables() for the names.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "device/record.hpp"
#include "ipxe/template.hpp"

namespace mb::ipxe {

struct ScriptContext {
    std::string base_url;        // how devices reach mb-http: "http://10.1.1.1:8080" (no trailing '/')
    std::string callback_url;    // inspection callback; "" = base_url + "/v1/continue_inspection"
    std::string ironic_api_url;  // ipa-api-url; "" = omitted
    std::string collectors = "default,logs";  // ipa-inspection-collectors
    unsigned attempts = 5;       // download attempts before giving up
    unsigned timeout_ms = 60000; // kernel/initrd --timeout
};

// Returns the text of an operator template, or nullopt to use the built-in one.
using TemplateLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct Script {
    std::string text;
    std::string kind;    // local, inline, chain, osie
    std::string source;  // "built-in:osie" or the operator template's name
};

// Renders the script of one device. Throws mb::Error(kExitConfig) for a broken operator template.
Script render_device_script(const device::Record& record, const ScriptContext& ctx, const TemplateLookup& lookup = {});
// The generic /boot.ipxe: chains to /boot/${mac}.ipxe with bounded retries.
Script render_generic_script(const ScriptContext& ctx, const TemplateLookup& lookup = {});

// The variables a template of this device sees: mac, mac_dashed, id, hostname, base_url,
// callback_url, ironic_api_url, kernel_url, initrd_url, initrd_name, kernel_args, console,
// facility, arch, attempts, timeout_ms, chain_url.
Variables variables(const device::Record& record, const ScriptContext& ctx);

// The kernel command line for an osie boot (after the kernel URL).
std::string kernel_args(const device::Record& record, const ScriptContext& ctx);

// Built-in template text by name (local, chain, osie, generic); empty for an unknown name.
std::string_view builtin_template(std::string_view name);

}  // namespace mb::ipxe
