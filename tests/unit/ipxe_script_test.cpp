#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "ipxe/script.hpp"
#include "ipxe/template.hpp"

using namespace mb::ipxe;

namespace {
mb::device::Record pi() {
    mb::device::Record r;
    r.mac = "dc:a6:32:01:02:03";
    r.hostname = "pi-03";
    r.netboot.console = "ttyAMA0,115200";
    r.netboot.facility = "lab1";
    r.netboot.kernel_args = " ipa-debug=1 ";
    return r;
}
ScriptContext ctx() {
    ScriptContext c;
    c.base_url = "http://10.1.1.1:8080";
    c.ironic_api_url = "http://10.1.1.1:6385";
    return c;
}
}  // namespace

TEST_CASE("template engine substitutes verbatim and reports unknown names", "[ipxe][template]") {
    Variables v{{"url", "http://x/a?b=1&c=<2>"}, {"n", "3"}};
    CHECK(render_template("chain {{url}} ${mac} {{ n }}", v, "t") == "chain http://x/a?b=1&c=<2> ${mac} 3");
    CHECK(render_template("no vars", v, "t") == "no vars");
    try {
        render_template("a\nb {{nope}}", v, "templates/ipxe/osie.ipxe");
        FAIL("no throw");
    } catch (const mb::Error& e) {
        CHECK(std::string(e.what()) == "templates/ipxe/osie.ipxe:2: unknown template variable 'nope'");
        CHECK(e.code() == mb::kExitConfig);
    }
    CHECK_THROWS_AS(render_template("x {{url", v, "t"), mb::Error);
}

TEST_CASE("osie script follows the IPA conventions", "[ipxe][script]") {
    auto s = render_device_script(pi(), ctx());
    CHECK(s.kind == "osie");
    CHECK(s.source == "built-in:osie");
    CHECK(s.text.rfind("#!ipxe\n", 0) == 0);
    CHECK(s.text.find("imgfree\n") != std::string::npos);
    CHECK(s.text.find("kernel --timeout 60000 http://10.1.1.1:8080/images/ironic-python-agent.kernel "
                      "initrd=ironic-python-agent.initramfs BOOTIF=${mac} ipa-api-url=http://10.1.1.1:6385 "
                      "ipa-inspection-callback-url=http://10.1.1.1:8080/v1/continue_inspection "
                      "ipa-inspection-collectors=default,logs console=ttyAMA0,115200 facility=lab1 ipa-debug=1 || "
                      "goto retry\n") != std::string::npos);
    CHECK(s.text.find("initrd --timeout 60000 http://10.1.1.1:8080/images/ironic-python-agent.initramfs || goto retry") !=
          std::string::npos);
    CHECK(s.text.find("set attempts:int32 5") != std::string::npos);
    CHECK(s.text.find("iseq ${i} ${attempts} && goto fail ||") != std::string::npos);
    CHECK(s.text.find("poweroff") != std::string::npos);
    CHECK(s.text.find("prompt") == std::string::npos);  // hangs Pi 5 firmware
    CHECK(s.text.find("&amp;") == std::string::npos);
}

TEST_CASE("osie with absolute URLs, own base URL and callback", "[ipxe][script]") {
    auto r = pi();
    r.netboot.osie.base_url = "http://files/ipa/";
    r.netboot.osie.kernel = "https://cdn/k/vmlinuz?x=1&y=2";
    r.netboot.osie.initrd = "sub/initramfs.img";
    auto c = ctx();
    c.callback_url = "http://10.1.1.1:5050/v1/continue";
    c.attempts = 3;
    c.timeout_ms = 30000;
    const auto v = variables(r, c);
    CHECK(v.at("kernel_url") == "https://cdn/k/vmlinuz?x=1&y=2");
    CHECK(v.at("initrd_url") == "http://files/ipa/sub/initramfs.img");
    CHECK(v.at("initrd_name") == "initramfs.img");
    CHECK(v.at("callback_url") == "http://10.1.1.1:5050/v1/continue");
    auto s = render_device_script(r, c);
    CHECK(s.text.find("--timeout 30000 https://cdn/k/vmlinuz?x=1&y=2 initrd=initramfs.img") != std::string::npos);
    CHECK(s.text.find("set attempts:int32 3") != std::string::npos);
}

TEST_CASE("choice order: allow_pxe, inline, chain, osie", "[ipxe][script]") {
    auto r = pi();
    r.netboot.ipxe_script_url = "http://boot.netboot.xyz/menu.ipxe?a=1&b=2";
    auto s = render_device_script(r, ctx());
    CHECK(s.kind == "chain");
    CHECK(s.text.find("chain --autofree http://boot.netboot.xyz/menu.ipxe?a=1&b=2 || goto retry") != std::string::npos);
    CHECK(s.text.find("exit") != std::string::npos);

    r.netboot.ipxe_script = "  echo hello\nboot\n";
    s = render_device_script(r, ctx());
    CHECK(s.kind == "inline");
    CHECK(s.text == "#!ipxe\necho hello\nboot\n");
    r.netboot.ipxe_script = "#!ipxe\nchain {{ env.X }}";
    CHECK(render_device_script(r, ctx()).text == "#!ipxe\nchain {{ env.X }}\n");  // verbatim

    r.netboot.allow_pxe = false;
    s = render_device_script(r, ctx());
    CHECK(s.kind == "local");
    CHECK(s.text.find("\nexit\n") != std::string::npos);
    CHECK(s.text.find("kernel") == std::string::npos);
}

TEST_CASE("operator templates override the built-in ones", "[ipxe][script]") {
    TemplateLookup lookup = [](std::string_view name) -> std::optional<std::string> {
        if (name == "osie") return std::string("#!ipxe\nkernel {{kernel_url}} {{kernel_args}}\nboot\n");
        if (name == "generic") return std::string("#!ipxe\nchain {{base_url}}/x/${mac:hexhyp}.ipxe\n");
        return std::nullopt;
    };
    auto s = render_device_script(pi(), ctx(), lookup);
    CHECK(s.source == "templates/ipxe/osie.ipxe");
    CHECK(s.text.rfind("#!ipxe\nkernel http://10.1.1.1:8080/images/ironic-python-agent.kernel initrd=", 0) == 0);
    CHECK(render_generic_script(ctx(), lookup).text == "#!ipxe\nchain http://10.1.1.1:8080/x/${mac:hexhyp}.ipxe\n");
    auto g = render_generic_script(ctx());
    CHECK(g.text.find("chain --autofree http://10.1.1.1:8080/boot/${mac}.ipxe || goto retry") != std::string::npos);
    TemplateLookup broken = [](std::string_view) -> std::optional<std::string> { return std::string("{{typo}}"); };
    CHECK_THROWS_AS(render_device_script(pi(), ctx(), broken), mb::Error);
}
