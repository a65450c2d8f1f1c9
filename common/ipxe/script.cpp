#include "ipxe/script.hpp"

#include "core/strings.hpp"
#include "device/mac.hpp"

namespace mb::ipxe {

namespace {

constexpr std::string_view kOsie = R"(#!ipxe
# Metal Boot: {{id}} ({{mac}}), osie boot
set attempts:int32 {{attempts}}
set i:int32 0
:fetch
imgfree
kernel --timeout {{timeout_ms}} {{kernel_url}} {{kernel_args}} || goto retry
initrd --timeout {{timeout_ms}} {{initrd_url}} || goto retry
boot || goto retry
:retry
iseq ${i} ${attempts} && goto fail ||
inc i
echo fetch failed (attempt ${i}/${attempts}), retrying in ${i}s
sleep ${i}
goto fetch
:fail
echo giving up after ${attempts} attempts, powering off
sleep 10
poweroff
)";

constexpr std::string_view kChain = R"(#!ipxe
# Metal Boot: {{id}} ({{mac}}), chain
set attempts:int32 {{attempts}}
set i:int32 0
:fetch
chain --autofree {{chain_url}} || goto retry
:retry
iseq ${i} ${attempts} && goto fail ||
inc i
echo chain failed (attempt ${i}/${attempts}), retrying in ${i}s
sleep ${i}
goto fetch
:fail
echo giving up on {{chain_url}}, booting locally
exit
)";

constexpr std::string_view kLocal = R"(#!ipxe
# Metal Boot: {{id}} ({{mac}}), network boot disabled
echo {{id}}: allow_pxe is false, booting from local media
exit
)";

constexpr std::string_view kGeneric = R"(#!ipxe
# Metal Boot: per-device script by MAC
set attempts:int32 {{attempts}}
set i:int32 0
:fetch
chain --autofree {{base_url}}/boot/${mac}.ipxe || goto retry
:retry
iseq ${i} ${attempts} && goto fail ||
inc i
echo no script for ${mac} (attempt ${i}/${attempts}), retrying in ${i}s
sleep ${i}
goto fetch
:fail
echo giving up, booting locally
exit
)";

bool is_url(std::string_view s) { return s.find("://") != std::string_view::npos; }

std::string join_url(std::string_view base, std::string_view name) {
    if (is_url(name)) return std::string(name);
    std::string out(base);
    while (!out.empty() && out.back() == '/') out.pop_back();
    while (!name.empty() && name.front() == '/') name.remove_prefix(1);
    return out + "/" + std::string(name);
}

std::string basename(std::string_view path) {
    const auto q = path.find_first_of("?#");
    if (q != std::string_view::npos) path = path.substr(0, q);
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string callback(const ScriptContext& ctx) {
    return ctx.callback_url.empty() ? ctx.base_url + "/v1/continue_inspection" : ctx.callback_url;
}

Script render(std::string_view name, const Variables& vars, const TemplateLookup& lookup, std::string kind) {
    Script s;
    s.kind = std::move(kind);
    std::optional<std::string> custom;
    if (lookup) custom = lookup(name);
    if (custom) {
        s.source = "templates/ipxe/" + std::string(name) + ".ipxe";
        s.text = render_template(*custom, vars, s.source);
    } else {
        s.source = "built-in:" + std::string(name);
        s.text = render_template(builtin_template(name), vars, s.source);
    }
    return s;
}

}  // namespace

std::string_view builtin_template(std::string_view name) {
    if (name == "osie") return kOsie;
    if (name == "chain") return kChain;
    if (name == "local") return kLocal;
    if (name == "generic") return kGeneric;
    return {};
}

std::string kernel_args(const device::Record& r, const ScriptContext& ctx) {
    const auto& n = r.netboot;
    std::vector<std::string> args;
    args.push_back("initrd=" + basename(n.osie.initrd));
    args.push_back("BOOTIF=${mac}");
    if (!ctx.ironic_api_url.empty()) args.push_back("ipa-api-url=" + ctx.ironic_api_url);
    args.push_back("ipa-inspection-callback-url=" + callback(ctx));
    if (!ctx.collectors.empty()) args.push_back("ipa-inspection-collectors=" + ctx.collectors);
    if (!n.console.empty())
        args.push_back(n.console.rfind("console=", 0) == 0 ? n.console : "console=" + n.console);
    if (!n.facility.empty()) args.push_back("facility=" + n.facility);
    const auto extra = trim(n.kernel_args);
    if (!extra.empty()) args.emplace_back(extra);
    return join(args, " ");
}

Variables variables(const device::Record& r, const ScriptContext& ctx) {
    const auto& n = r.netboot;
    const std::string osie_base = n.osie.base_url.empty() ? ctx.base_url + "/images" : n.osie.base_url;
    auto mac = device::Mac::parse(r.mac);
    Variables v;
    v["mac"] = mac ? mac->colon() : r.mac;
    v["mac_dashed"] = mac ? mac->dashed() : r.mac;
    v["id"] = r.id();
    v["hostname"] = r.hostname;
    v["base_url"] = ctx.base_url;
    v["callback_url"] = callback(ctx);
    v["ironic_api_url"] = ctx.ironic_api_url;
    v["kernel_url"] = join_url(osie_base, n.osie.kernel);
    v["initrd_url"] = join_url(osie_base, n.osie.initrd);
    v["initrd_name"] = basename(n.osie.initrd);
    v["kernel_args"] = kernel_args(r, ctx);
    v["console"] = n.console;
    v["facility"] = n.facility;
    v["arch"] = n.arch;
    v["attempts"] = std::to_string(ctx.attempts);
    v["timeout_ms"] = std::to_string(ctx.timeout_ms);
    v["chain_url"] = n.ipxe_script_url;
    return v;
}

Script render_device_script(const device::Record& r, const ScriptContext& ctx, const TemplateLookup& lookup) {
    const auto& n = r.netboot;
    const auto vars = variables(r, ctx);
    if (!n.allow_pxe) return render("local", vars, lookup, "local");
    if (!trim(n.ipxe_script).empty()) {
        Script s;
        s.kind = "inline";
        s.source = "netboot.ipxe_script";
        s.text = std::string(trim(n.ipxe_script)) + "\n";
        if (s.text.rfind("#!ipxe", 0) != 0) s.text = "#!ipxe\n" + s.text;
        return s;
    }
    if (!trim(n.ipxe_script_url).empty()) return render("chain", vars, lookup, "chain");
    return render("osie", vars, lookup, "osie");
}

Script render_generic_script(const ScriptContext& ctx, const TemplateLookup& lookup) {
    Variables v;
    v["base_url"] = ctx.base_url;
    v["attempts"] = std::to_string(ctx.attempts);
    v["timeout_ms"] = std::to_string(ctx.timeout_ms);
    v["callback_url"] = callback(ctx);
    return render("generic", v, lookup, "generic");
}

}  // namespace mb::ipxe
