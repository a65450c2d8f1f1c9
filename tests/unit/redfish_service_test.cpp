#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "efi/boot.hpp"
#include "efi/render.hpp"
#include "efi/vars_json.hpp"
#include "redfish/service.hpp"
#include "redfish/uefi_vars.hpp"
#include "redfish_harness.hpp"
#include "support.hpp"

using namespace mb::redfish;
using nlohmann::json;

using namespace mb::redfish::test;

TEST_CASE("open endpoints answer without credentials, everything else 401", "[redfish]") {
    Harness h;
    auto root = h.req("GET", "/redfish/v1/", "", "");
    REQUIRE(root.status == 200);
    auto j = Harness::body(root);
    CHECK(j["Id"] == "RootService");
    CHECK(j["Links"]["Sessions"]["@odata.id"] == "/redfish/v1/SessionService/Sessions");
    CHECK(root.headers.get("OData-Version") == "4.0");
    CHECK(root.headers.has("ETag"));
    CHECK(root.headers.get("Allow") == "GET, HEAD");
    CHECK(Harness::body(h.req("GET", "/redfish", "", "")) == json{{"v1", "/redfish/v1/"}});
    CHECK(h.req("GET", "/redfish/v1", "", "").status == 200);
    CHECK(h.req("GET", "/redfish/v1/$metadata", "", "").status == 200);
    CHECK(h.req("GET", "/redfish/v1/odata", "", "").status == 200);
    auto sys = h.req("GET", "/redfish/v1/Systems", "", "");
    CHECK(sys.status == 401);
    CHECK(sys.headers.has("WWW-Authenticate"));
    CHECK(error_id(sys).rfind("Base.1.19.", 0) == 0);
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "bad").status == 401);
    CHECK(h.req("GET", "/redfish/v1/NoSuchThing", "", "").status == 401);  // no hint without credentials
    CHECK(h.req("GET", "/redfish/v1/NoSuchThing").status == 404);
}

TEST_CASE("sessions: 201 + token + Location, token works, DELETE logs out, expiry", "[redfish]") {
    Harness h;
    auto r = h.req("POST", "/redfish/v1/SessionService/Sessions", R"({"UserName":"op","Password":"oppass"})", "");
    REQUIRE(r.status == 201);
    auto token = std::string(*r.headers.get("X-Auth-Token"));
    auto location = std::string(*r.headers.get("Location"));
    CHECK(token.size() >= 32);
    CHECK(Harness::body(r)["@odata.id"] == location);
    auto with_token = [&](const std::string& m, const std::string& t, const std::string& b = "") {
        return h.req(m, t, b, "", {{"X-Auth-Token", token}});
    };
    CHECK(with_token("GET", "/redfish/v1/Systems").status == 200);
    CHECK(with_token("GET", location).status == 200);
    CHECK(with_token("DELETE", location).status == 204);
    CHECK(with_token("GET", "/redfish/v1/Systems").status == 401);
    // wrong password: 401, no session
    auto bad = h.req("POST", "/redfish/v1/SessionService/Sessions", R"({"UserName":"op","Password":"x"})", "");
    CHECK(bad.status == 401);
    CHECK_FALSE(bad.headers.has("X-Auth-Token"));
    CHECK(h.req("POST", "/redfish/v1/SessionService/Sessions", R"({"UserName":"op"})", "").status == 400);
    CHECK(h.req("POST", "/redfish/v1/SessionService/Sessions", R"({"UserName":1,"Password":"x"})", "").status == 400);
    // expiry after the idle timeout (1800 s by default)
    r = h.req("POST", "/redfish/v1/SessionService/Sessions/Members", R"({"UserName":"admin","Password":"secret"})", "");
    REQUIRE(r.status == 201);
    token = std::string(*r.headers.get("X-Auth-Token"));
    CHECK(with_token("GET", "/redfish/v1/Managers").status == 200);
    h.mono += std::chrono::seconds(1801);
    auto expired = with_token("GET", "/redfish/v1/Managers");
    CHECK(expired.status == 401);
    CHECK(error_id(expired) == "Base.1.19.NoValidSession");
}

TEST_CASE("roles: ReadOnly reads but gets 403 on writes; accounts are admin-only", "[redfish]") {
    Harness h;
    CHECK(h.req("GET", "/redfish/v1/Systems/rpi-01", "", "ro").status == 200);
    auto r = h.req("POST", "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset", R"({"ResetType":"On"})", "ro");
    CHECK(r.status == 403);
    CHECK(error_id(r) == "Base.1.19.InsufficientPrivilege");
    CHECK(h.backend.resets.empty());
    CHECK(h.req("PATCH", "/redfish/v1/SessionService", R"({"SessionTimeout":600})", "op").status == 403);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/AccountService/Accounts", "", "ro"))["Members@odata.count"] == 1);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/AccountService/Accounts"))["Members@odata.count"] == 3);
    CHECK(h.req("GET", "/redfish/v1/AccountService/Accounts/admin", "", "ro").status == 404);
    auto acct = Harness::body(h.req("GET", "/redfish/v1/AccountService/Accounts/ro", "", "ro"));
    CHECK(acct["Password"].is_null());
    CHECK(h.req("PATCH", "/redfish/v1/SessionService", R"({"SessionTimeout":600})").status == 204);
    h.service->flush_state();
    CHECK(h.backend.service_state["SessionTimeout"] == 600);
    CHECK(h.req("PATCH", "/redfish/v1/SessionService", R"({"SessionTimeout":5})").status == 400);
}

TEST_CASE("protocol checks: OData-Version, queries, 405 with Allow, huge bodies", "[redfish]") {
    Harness h;
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "admin", {{"OData-Version", "4.1"}}).status == 412);
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "admin", {{"OData-Version", "4.0"}}).status == 200);
    CHECK(h.req("GET", "/redfish/v1/Systems?$rpvunknown").status == 501);
    CHECK(h.req("GET", "/redfish/v1/Systems?only=foo").status == 400);
    CHECK(h.req("GET", "/redfish/v1/Systems?other=1").status == 200);
    auto r = h.req("PATCH", "/redfish/v1/", "{}");
    CHECK(r.status == 405);
    CHECK(r.headers.get("Allow") == "GET, HEAD");
    r = h.req("POST", "/redfish/v1/Systems/rpi-01", "{}");
    CHECK(r.status == 405);
    CHECK(r.headers.get("Allow") == "GET, HEAD, PATCH");
    CHECK(h.req("PATCH", "/redfish/v1/Systems/rpi-01", std::string(5000, ' ')).status == 413);
    auto head = h.req("HEAD", "/redfish/v1/Systems");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
}

TEST_CASE("System: shape Ironic and sushy need", "[redfish]") {
    Harness h;
    auto r = h.req("GET", "/redfish/v1/Systems/rpi-01");
    REQUIRE(r.status == 200);
    auto etag = std::string(*r.headers.get("ETag"));
    CHECK(etag.front() == '"');
    auto j = Harness::body(r);
    CHECK(j["Id"] == "rpi-01");
    CHECK(j["UUID"] == "00c03115-0000-0000-0000-d83add5a440c");
    CHECK(j["PowerState"] == "Off");
    CHECK(j["BiosVersion"] == "v1.40");
    CHECK(j["MemorySummary"]["TotalSystemMemoryGiB"] == 4);  // revision c03115: 4 GB
    CHECK(!j["MemorySummary"].contains("Status"));           // deprecated in ComputerSystem v1_16
    CHECK(j["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"] ==
          json::array({"On", "ForceOff", "ForceRestart", "PowerCycle"}));
    CHECK(j["Boot"]["BootSourceOverrideEnabled"] == "Disabled");
    CHECK(j["Links"]["ManagedBy"] == json::array({{{"@odata.id", "/redfish/v1/Managers/rpi-01"}}}));
    CHECK(j["VirtualMedia"]["@odata.id"] == "/redfish/v1/Systems/rpi-01/VirtualMedia");
    auto col = Harness::body(h.req("GET", "/redfish/v1/Systems"));
    CHECK(col["Members@odata.count"] == 2);
    // every link of the System resolves
    for (auto* link :
         {"/redfish/v1/Systems/rpi-01/Processors/CPU0", "/redfish/v1/Systems/rpi-01/EthernetInterfaces/eth0",
          "/redfish/v1/Systems/rpi-01/SimpleStorage/1", "/redfish/v1/Systems/rpi-01/Bios", "/redfish/v1/Chassis/rpi-01",
          "/redfish/v1/Managers/mb-redfish", "/redfish/v1/Managers/rpi-01",
          "/redfish/v1/Systems/rpi-01/VirtualMedia/Cd", "/redfish/v1/Managers/rpi-01/VirtualMedia/Cd",
          "/redfish/v1/UpdateService", "/redfish/v1/TaskService", "/redfish/v1/AccountService/Roles/Operator"}) {
        INFO(link);
        CHECK(h.req("GET", link).status == 200);
    }
    auto cpu = Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/Processors/CPU0"));
    CHECK(cpu["InstructionSet"] == "ARM-A64");
    CHECK(cpu["ProcessorArchitecture"] == "ARM");
    CHECK(cpu["TotalThreads"] == 4);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/EthernetInterfaces/eth0"))["MACAddress"] ==
          "d8:3a:dd:5a:44:0c");
    CHECK(h.req("GET", "/redfish/v1/Systems/nope").status == 404);
}

TEST_CASE("inventory from the IPA document drives Processors, memory, NICs, disks", "[redfish]") {
    Harness h;
    h.backend.inv = json::parse(R"({"inventory":{"cpu":{"model_name":"Cortex-A72","count":4,"frequency":"1800.0"},
        "memory":{"physical_mb":8192},"interfaces":[{"name":"end0","mac_address":"d8:3a:dd:5a:44:0c","speed_mbps":1000}],
        "disks":[{"name":"/dev/mmcblk0","model":"SD64G","size":63864569856}]}})");
    auto j = Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01"));
    CHECK(j["MemorySummary"]["TotalSystemMemoryGiB"] == 8);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/Processors/CPU0"))["MaxSpeedMHz"] == 1800);
    auto nic = Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/EthernetInterfaces/end0"));
    CHECK(nic["SpeedMbps"] == 1000);
    auto ss = Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/SimpleStorage/1"));
    CHECK(ss["Devices"][0]["CapacityBytes"] == 63864569856LL);
}

TEST_CASE("boot override Once = BootNext, Continuous = BootOrder, Disabled restores", "[redfish]") {
    Harness h;
    const std::string sys = "/redfish/v1/Systems/rpi-01";
    const auto order0 = mb::efi::boot_order(h.backend.firmware["d8-3a-dd-5a-44-0c"]);
    auto r = h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}})");
    REQUIRE(r.status == 204);
    auto& fw = h.backend.firmware["d8-3a-dd-5a-44-0c"];
    CHECK(mb::efi::boot_next(fw) == 3);  // Boot0003 "UEFI PXEv4 (MAC:D83ADD5A440C)"
    auto boot = Harness::body(h.req("GET", sys))["Boot"];
    CHECK(boot["BootSourceOverrideTarget"] == "Pxe");
    CHECK(boot["BootSourceOverrideEnabled"] == "Once");
    // the firmware consumed BootNext on the next boot → reads back Disabled
    mb::efi::set_boot_next(fw, std::nullopt);
    boot = Harness::body(h.req("GET", sys))["Boot"];
    CHECK(boot["BootSourceOverrideEnabled"] == "Disabled");
    CHECK(boot["BootSourceOverrideTarget"] == "None");
    // Continuous BiosSetup: UiApp (Boot0000) first, the rest in the old order
    REQUIRE(h.req("PATCH", sys,
                  R"({"Boot":{"BootSourceOverrideTarget":"BiosSetup","BootSourceOverrideEnabled":"Continuous"}})")
                .status == 204);
    CHECK(mb::efi::boot_order(fw).front() == 0);
    CHECK(Harness::body(h.req("GET", sys))["Boot"]["BootSourceOverrideEnabled"] == "Continuous");
    // target only keeps Continuous (Ironic omits Enabled when unchanged)
    REQUIRE(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Pxe"}})").status == 204);
    CHECK(mb::efi::boot_order(fw).front() == 3);
    boot = Harness::body(h.req("GET", sys))["Boot"];
    CHECK(boot["BootSourceOverrideEnabled"] == "Continuous");
    CHECK(boot["BootSourceOverrideTarget"] == "Pxe");
    REQUIRE(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideEnabled":"Disabled"}})").status == 204);
    CHECK(mb::efi::boot_order(fw) == order0);
    // UefiHttp picks the HTTPv4 option; mode only is accepted without change
    REQUIRE(
        h.req(
             "PATCH", sys,
             R"({"Boot":{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Once","BootSourceOverrideMode":"UEFI"}})")
            .status == 204);
    CHECK(mb::efi::boot_next(fw) == 5);
    CHECK(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideMode":"UEFI","HttpBootUri":null}})").status == 204);
}

TEST_CASE("boot override on a device without variables creates the option", "[redfish]") {
    Harness h;
    const std::string sys = "/redfish/v1/Systems/dc-a6-32-01-02-03";
    REQUIRE(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}})")
                .status == 204);
    auto& fw = h.backend.firmware["dc-a6-32-01-02-03"];
    auto entries = mb::efi::boot_entries(fw);
    REQUIRE(entries.size() == 1);
    REQUIRE(entries[0].option);
    CHECK(uefi::classify(*entries[0].option) == uefi::Target::pxe);
    CHECK(entries[0].option->title() == "UEFI PXEv4 (MAC:DCA632010203)");
    CHECK(entries[0].option->path_text() == "MAC(DCA632010203,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)");
    CHECK(!entries[0].option->auto_created());
    CHECK(mb::efi::boot_next(fw) == entries[0].number);
    // Hdd cannot be invented
    auto r = h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Hdd","BootSourceOverrideEnabled":"Once"}})");
    CHECK(r.status == 400);
    CHECK(mb::efi::boot_next(fw) == entries[0].number);
}

TEST_CASE("bad PATCH input: right 4xx, Redfish message, no state change", "[redfish]") {
    Harness h;
    const std::string sys = "/redfish/v1/Systems/rpi-01";
    auto before = h.backend.firmware;
    auto check = [&](const std::string& body, int status, const std::string& id,
                     std::vector<std::pair<std::string, std::string>> hdrs = {}) {
        INFO(body);
        auto r = h.req("PATCH", sys, body, "admin", hdrs);
        CHECK(r.status == status);
        CHECK(error_id(r) == "Base.1.19." + id);
        CHECK(h.backend.firmware == before);
        CHECK(h.backend.state.empty());
    };
    check("{", 400, "MalformedJSON");
    check("[1]", 400, "UnrecognizedRequestBody");
    check(R"({"Boot":{"BootSourceOverrideTarget":"Floppy"}})", 400, "PropertyValueNotInList");
    check(R"({"Boot":{"BootSourceOverrideTarget":3}})", 400, "PropertyValueTypeError");
    check(R"({"Boot":{"BootSourceOverrideMode":"Legacy"}})", 400, "PropertyValueNotInList");
    check(R"({"Boot":{"BootSourceOverrideTarget":"Pxe","Colour":"red"}})", 400, "PropertyUnknown");
    check(R"({"AssetTag":"x"})", 400, "PropertyUnknown");
    check(R"({"PowerState":"On"})", 400, "PropertyNotWritable");
    check(R"({"Boot":"Pxe"})", 400, "PropertyValueTypeError");
    check(R"({"Boot":{"BootSourceOverrideTarget":"Pxe"}})", 412, "PreconditionFailed", {{"If-Match", "\"0000\""}});
    auto etag = std::string(*h.req("GET", sys).headers.get("ETag"));
    CHECK(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Pxe"}})", "admin", {{"If-Match", etag}}).status ==
          204);
}

TEST_CASE("Reset: allowable values, async task, bad parameters", "[redfish]") {
    Harness h;
    const std::string act = "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset";
    auto r = h.req("POST", act, R"({"ResetType":"On"})", "op");
    REQUIRE(r.status == 202);
    auto loc = std::string(*r.headers.get("Location"));
    CHECK(h.backend.resets == std::vector<std::string>{"rpi-01:On"});
    auto mon = h.req("GET", loc, "", "op");
    CHECK(mon.status == 200);
    CHECK(Harness::body(mon)["TaskState"] == "Completed");
    CHECK(error_id(h.req("POST", act, R"({"ResetType":"Nmi"})")) == "Base.1.19.ActionParameterNotSupported");
    CHECK(error_id(h.req("POST", act, R"({"ResetType":"Explode"})")) == "Base.1.19.ActionParameterValueNotInList");
    CHECK(error_id(h.req("POST", act, R"({})")) == "Base.1.19.ActionParameterMissing");
    CHECK(error_id(h.req("POST", act, "")) == "Base.1.19.ActionParameterMissing");
    CHECK(error_id(h.req("POST", act, R"({"ResetType":1})")) == "Base.1.19.ActionParameterValueTypeError");
    CHECK(error_id(h.req("POST", act, R"({"ResetType":"On","Delay":3})")) == "Base.1.19.ActionParameterUnknown");
    CHECK(h.backend.resets.size() == 1);
    // a device without a power port
    auto j = Harness::body(h.req("GET", "/redfish/v1/Systems/dc-a6-32-01-02-03"));
    CHECK(j["PowerState"].is_null());
    CHECK(h.req("POST", "/redfish/v1/Systems/dc-a6-32-01-02-03/Actions/ComputerSystem.Reset", R"({"ResetType":"On"})")
              .status == 400);
}

TEST_CASE("Bios: pending settings applied on reset, ResetBios, validation", "[redfish]") {
    Harness h;
    const std::string bios = "/redfish/v1/Systems/rpi-01/Bios";
    auto j = Harness::body(h.req("GET", bios));
    CHECK(j["Attributes"]["RamLimitTo3GB"] == 0);  // as in the fixture's variables
    CHECK(j["Attributes"]["SystemTableMode"] == 2);
    CHECK(j["@Redfish.Settings"]["SettingsObject"]["@odata.id"] == bios + "/Settings");
    REQUIRE(h.req("PATCH", bios + "/Settings", R"({"Attributes":{"RamLimitTo3GB":1,"SystemTableMode":1},
        "@Redfish.SettingsApplyTime":{"ApplyTime":"OnReset"}})")
                .status == 204);
    CHECK(Harness::body(h.req("GET", bios + "/Settings"))["Attributes"]["RamLimitTo3GB"] == 1);
    CHECK(Harness::body(h.req("GET", bios))["Attributes"]["RamLimitTo3GB"] == 0);  // not applied yet
    for (auto* bad : {R"({"Attributes":{"Turbo":1}})", R"({"Attributes":{"FanTemp":99}})",
                      R"({"Attributes":{"FanOnGpio":5}})", R"({"Attributes":{"RamLimitTo3GB":"no"}})",
                      R"({"Attributes":{}, "@Redfish.SettingsApplyTime":{"ApplyTime":"Immediate"}})"}) {
        INFO(bad);
        CHECK(h.req("PATCH", bios + "/Settings", bad).status == 400);
    }
    REQUIRE(h.req("POST", "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset", R"({"ResetType":"ForceRestart"})")
                .status == 202);
    j = Harness::body(h.req("GET", bios));
    CHECK(j["Attributes"]["RamLimitTo3GB"] == 1);
    CHECK(j["Attributes"]["SystemTableMode"] == 1);
    CHECK(h.req("POST", bios + "/Actions/Bios.ResetBios", "").status == 204);
    CHECK(h.req("POST", bios + "/Actions/Bios.ResetBios", "{}").status == 204);
    CHECK(Harness::body(h.req("GET", bios + "/Settings"))["Attributes"]["SystemTableMode"] == 0);
    REQUIRE(h.req("POST", "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset", R"({"ResetType":"PowerCycle"})")
                .status == 202);
    j = Harness::body(h.req("GET", bios));
    CHECK(j["Attributes"]["SystemTableMode"] == 0);
    CHECK(j["Attributes"]["RamLimitTo3GB"] == 1);
}

TEST_CASE("SimpleUpdate validates and reports through a task", "[redfish]") {
    Harness h;
    const std::string act = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
    CHECK(h.req("POST", act, R"({"TransferProtocol":"HTTP"})").status == 400);
    CHECK(h.req("POST", act, R"({"ImageURI":"ftp://x/RPI_EFI.fd"})").status == 400);
    CHECK(h.req("POST", act, R"({"ImageURI":"http://x/f","Targets":["/redfish/v1/Systems/zz"]})").status == 400);
    auto r =
        h.req("POST", act, R"({"ImageURI":"http://127.0.0.1:1/RPI_EFI.fd","Targets":["/redfish/v1/Systems/rpi-01"]})");
    REQUIRE(r.status == 202);
    auto t = Harness::body(h.req("GET", std::string(*r.headers.get("Location"))));
    CHECK(t["TaskState"] == "Exception");
}

TEST_CASE("Boot advertises exactly the properties a PATCH changes (@Redfish.WriteableProperties)", "[redfish]") {
    Harness h;
    auto boot = Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01"))["Boot"];
    REQUIRE(boot.contains("@Redfish.WriteableProperties"));
    auto writable = boot["@Redfish.WriteableProperties"];
    CHECK(writable == json::array({"BootSourceOverrideEnabled", "BootSourceOverrideTarget", "BootSourceOverrideMode"}));
    // each listed property accepts every value it advertises as allowable (Cd: once a medium is in)
    REQUIRE(h.req("POST", "/redfish/v1/Managers/rpi-01/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
                  R"({"Image": "http://192.0.2.1/x.iso"})")
                .status == 204);
    for (auto& p : writable) {
        auto name = p.get<std::string>();
        INFO(name);
        REQUIRE(boot.contains(name + "@Redfish.AllowableValues"));
        for (auto& v : boot[name + "@Redfish.AllowableValues"]) {
            INFO(v.dump());
            json patch = {{"Boot", {{name, v}}}};
            if (name == "BootSourceOverrideEnabled" && v != "Disabled")
                patch["Boot"]["BootSourceOverrideTarget"] = "Pxe";
            CHECK(h.req("PATCH", "/redfish/v1/Systems/rpi-01", patch.dump()).status == 204);
        }
    }
    // a Boot property that is not listed is refused
    CHECK(h.req("PATCH", "/redfish/v1/Systems/rpi-01", R"({"Boot":{"HttpBootUri":"http://x/y.efi"}})").status == 400);
    // the System is PATCHable, which is what the annotation means (Allow lists PATCH)
    auto sys = h.req("GET", "/redfish/v1/Systems/rpi-01");
    REQUIRE(sys.headers.get("Allow"));
    auto allow = std::string(*sys.headers.get("Allow"));
    CHECK(allow.find("PATCH") != std::string::npos);
}

TEST_CASE("SimpleUpdate advertises the Targets it accepts", "[redfish]") {
    Harness h;
    auto action = Harness::body(h.req("GET", "/redfish/v1/UpdateService"))["Actions"]["#UpdateService.SimpleUpdate"];
    auto targets = action["Targets@Redfish.AllowableValues"];
    CHECK(targets == json::array({"/redfish/v1/UpdateService/FirmwareInventory/BaseUEFI", "/redfish/v1/Systems/rpi-01",
                                  "/redfish/v1/Systems/dc-a6-32-01-02-03"}));
    const std::string act = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
    for (auto& t : targets) {
        INFO(t.dump());
        json body = {{"ImageURI", "http://127.0.0.1:1/RPI_EFI.fd"}, {"Targets", json::array({t})}};
        CHECK(h.req("POST", act, body.dump()).status == 202);
    }
    CHECK(
        h.req("POST", act, R"({"ImageURI":"http://127.0.0.1:1/f","Targets":["/redfish/v1/Chassis/rpi-01"]})").status ==
        400);
}

TEST_CASE("GET System is served from the cached rendering until its inputs change", "[redfish]") {
    Harness h;
    const std::string sys = "/redfish/v1/Systems/rpi-01";
    h.backend.stamp_value = 1;
    auto a = h.req("GET", sys);
    REQUIRE(a.status == 200);
    CHECK(h.service->render_cache_hits() == 0);
    auto b = h.req("GET", sys);
    CHECK(h.service->render_cache_hits() == 1);
    CHECK(b.body == a.body);
    CHECK(b.headers.get("ETag") == a.headers.get("ETag"));
    CHECK(b.headers.get("Link") == a.headers.get("Link"));
    CHECK(h.req("HEAD", sys).body.empty());
    // If-Match against the cached ETag works; a stale one is 412.
    auto etag = std::string(*a.headers.get("ETag"));
    CHECK(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Hdd"}})", "admin", {{"If-Match", "\"0\""}})
              .status == 412);
    // A power change is seen at once (the power state is part of the key).
    h.backend.power_state["rpi-01"] = "On";
    auto c = h.req("GET", sys);
    CHECK(Harness::body(c)["PowerState"] == "On");
    CHECK(c.headers.get("ETag") != a.headers.get("ETag"));
    // A PATCH changes the files: the backend's stamp changes (here by hand), the next GET re-renders.
    REQUIRE(h.req("PATCH", sys, R"({"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}})",
                  "admin", {{"If-Match", std::string(*c.headers.get("ETag"))}})
                .status == 204);
    CHECK(Harness::body(h.req("GET", sys))["Boot"]["BootSourceOverrideEnabled"] == "Disabled");  // same stamp: cached
    h.backend.stamp_value = 2;
    auto d = h.req("GET", sys);
    CHECK(Harness::body(d)["Boot"]["BootSourceOverrideEnabled"] == "Once");
    // Without a stamp nothing is cached.
    h.backend.stamp_value = 0;
    auto hits = h.service->render_cache_hits();
    h.req("GET", sys);
    h.req("GET", sys);
    CHECK(h.service->render_cache_hits() == hits);
}

TEST_CASE("accounts with crypt(3) hashes ($6$ SHA-512, $5$ SHA-256)", "[redfish]") {
    // openssl passwd -6 -salt abcdefgh s3cret-pass / openssl passwd -5 -salt abcdefgh s3cret-pass
    const std::string h6 =
        "$6$abcdefgh$gPLGlu/CBL3aX.axmxNf.xPE2HjNVL50NNc3WVwy6.QmLfKDmC5BFgWt6nDNJgVy26ZuoNSkdk7fcCvpkxCrP/";
    const std::string h5 = "$5$abcdefgh$iJ7dkLcXHzz3rXue0IvyR/PoKDGQQnBHggUSWnx4rg.";
    CHECK(password_matches(h6, "s3cret-pass"));
    CHECK(!password_matches(h6, "s3cret-pas"));
    CHECK(!password_matches(h6, h6));  // the hash itself is not the password
    CHECK(password_matches(h5, "s3cret-pass"));
    CHECK(!password_matches("$6$broken", "x"));
    CHECK(!password_matches("", ""));
    CHECK(password_matches("plain", "plain"));
    FakeBackend backend;
    ServiceConfig c;
    c.accounts = {{"ironic", h6, "Operator"}};
    Service service(c, backend);
    mb::http::Request r;
    r.method = "GET";
    r.target = r.path = "/redfish/v1/Systems";
    r.tls = true;
    r.headers.add("Authorization", "Basic aXJvbmljOnMzY3JldC1wYXNz");  // ironic:s3cret-pass
    CHECK(service.handle(r).status == 200);
    mb::http::Request bad = r;
    bad.headers = {};
    bad.headers.add("Authorization", "Basic aXJvbmljOnMzY3JldC1wYXM=");  // ironic:s3cret-pas
    CHECK(service.handle(bad).status == 401);
}

TEST_CASE("sessions and tasks survive a restart of the service", "[redfish]") {
    Harness h;
    auto r = h.req("POST", "/redfish/v1/SessionService/Sessions", R"({"UserName":"op","Password":"oppass"})", "");
    REQUIRE(r.status == 201);
    auto token = std::string(*r.headers.get("X-Auth-Token"));
    auto location = std::string(*r.headers.get("Location"));
    auto reset =
        h.req("POST", "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset", R"({"ResetType":"On"})", "op");
    REQUIRE(reset.status == 202);
    auto task = Harness::body(reset)["@odata.id"].get<std::string>();
    h.service->flush_state();
    // The token itself is never written, only its hash.
    CHECK(h.backend.service_state.dump().find(token) == std::string::npos);
    // "Restart": a new Service over the same state.
    h.service.reset();
    ServiceConfig c;
    c.accounts = {{"admin", "secret", "Administrator"}, {"op", "oppass", "Operator"}, {"ro", "ropass", "ReadOnly"}};
    h.service = std::make_unique<Service>(c, h.backend);
    auto me = h.req("GET", location, "", "", {{"X-Auth-Token", token}});
    CHECK(me.status == 200);
    CHECK(Harness::body(me)["UserName"] == "op");
    auto t = h.req("GET", task);
    REQUIRE(t.status == 200);
    CHECK(Harness::body(t)["TaskState"] == "Completed");
    // New tasks do not reuse the old Ids.
    auto again =
        h.req("POST", "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset", R"({"ResetType":"On"})", "op");
    CHECK(Harness::body(again)["@odata.id"] != task);
    // Logout is persisted too; a session of an account that is gone is not restored.
    CHECK(h.req("DELETE", location, "", "", {{"X-Auth-Token", token}}).status == 204);
    h.service->flush_state();
    h.service.reset();
    h.service = std::make_unique<Service>(c, h.backend);
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "", {{"X-Auth-Token", token}}).status == 401);
}

TEST_CASE("a task running when the service stopped reads back as interrupted", "[redfish]") {
    FakeBackend backend;
    backend.service_state = {{"Tasks", json::array({{{"Id", "7"},
                                                     {"Name", "SimpleUpdate"},
                                                     {"TaskState", "Running"},
                                                     {"TaskStatus", "OK"},
                                                     {"PercentComplete", 40}}})}};
    ServiceConfig c;
    Service s(c, backend);
    auto t = s.task("7");
    REQUIRE(t);
    CHECK(t->state == "Exception");
    CHECK(t->status == "Critical");
    CHECK(s.create_task("next", std::chrono::system_clock::now()) == "8");
}

TEST_CASE("role_has grants what role_privileges lists", "[redfish]") {
    const Privilege all[] = {Privilege::none,
                             Privilege::login,
                             Privilege::configure_components,
                             Privilege::configure_manager,
                             Privilege::configure_users,
                             Privilege::configure_self};
    for (std::string role : {"Administrator", "Operator", "ReadOnly", "Nobody", ""}) {
        auto privs = role_privileges(role);
        for (auto p : all) {
            INFO(role << " " << privilege_name(p));
            bool listed = p == Privilege::none || std::find(privs.begin(), privs.end(), p) != privs.end();
            CHECK(role_has(role, p) == listed);
        }
    }
}

TEST_CASE("Basic credentials checked once are reused only for the exact same header", "[redfish]") {
    Harness h;
    CHECK(h.req("GET", "/redfish/v1/Systems").status == 200);
    CHECK(h.req("GET", "/redfish/v1/Systems").status == 200);             // the remembered header
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "bad").status == 401);  // admin, wrong password
    CHECK(h.req("GET", "/redfish/v1/Systems", "", "ro").status == 200);
    CHECK(h.req("PATCH", "/redfish/v1/Systems/rpi-01", R"({"Boot":{"BootSourceOverrideTarget":"Pxe"}})", "ro").status ==
          403);  // the remembered role, not a stronger one
    // A remembered header still needs TLS unless plain-HTTP credentials are allowed.
    mb::http::Request r;
    r.method = "GET";
    r.target = r.path = "/redfish/v1/Systems";
    r.tls = false;
    r.headers.add("Authorization", "Basic YWRtaW46c2VjcmV0");
    CHECK(h.service->handle_at(r, std::chrono::system_clock::now(), h.mono).status == 401);
}

TEST_CASE("the device list is re-read when the backend's generation changes", "[redfish]") {
    Harness h;
    auto members = [&] { return Harness::body(h.req("GET", "/redfish/v1/Systems"))["Members"].size(); };
    CHECK(members() == 2);
    DeviceInfo d;
    d.mac = *mb::device::Mac::parse("dc:a6:32:01:02:04");
    d.id = "rpi-03";
    h.backend.devs.push_back(d);
    CHECK(members() == 3);  // generation 0: every request reads the list
    h.backend.devs_generation = 7;
    CHECK(members() == 3);
    h.backend.devs.pop_back();
    CHECK(members() == 3);  // same generation: the service keeps its copy
    CHECK(h.req("GET", "/redfish/v1/Systems/rpi-03").status == 200);
    h.backend.devs_generation = 8;
    CHECK(members() == 2);
    CHECK(h.req("GET", "/redfish/v1/Systems/rpi-03").status == 404);
}

TEST_CASE("paths: trailing slashes, captures, and paths deeper than any route", "[redfish]") {
    Harness h;
    CHECK(h.req("GET", "/redfish/v1/Systems/rpi-01/").status == 200);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/Processors/CPU0"))["Id"] == "CPU0");
    CHECK(h.req("GET", "/redfish/v1/Systems/nope").status == 404);
    std::string deep = "/redfish/v1";
    for (int i = 0; i < 20; ++i) deep += "/x";
    CHECK(h.req("GET", deep).status == 404);
    CHECK(h.req("GET", "/redfish/v1//Systems").status == 200);  // empty segments are skipped, as before
}

TEST_CASE("Reset refused while the device's queue is full: 503, and no Task left behind", "[redfish]") {
    Harness h;
    const std::string act = "/redfish/v1/Systems/rpi-01/Actions/ComputerSystem.Reset";
    REQUIRE(h.req("POST", act, R"({"ResetType":"On"})").status == 202);
    auto tasks = [&] { return Harness::body(h.req("GET", "/redfish/v1/TaskService/Tasks"))["Members"].size(); };
    CHECK(tasks() == 1);
    h.backend.queued = Backend::kMaxQueuedActions;
    for (int i = 0; i < 300; ++i) {
        auto r = h.req("POST", act, R"({"ResetType":"On"})");
        REQUIRE(r.status == 503);
        CHECK(r.headers.get("Retry-After") == "5");
        if (i < 2) CHECK(error_id(r) == "Base.1.19.ServiceTemporarilyUnavailable");
    }
    CHECK(tasks() == 1);  // the accepted action's task is still listed
    CHECK(h.backend.resets.size() == 1);
    h.backend.queued = 0;
    h.backend.refuse_next = true;  // the backend refuses after the task was made: it is dropped again
    CHECK(h.req("POST", act, R"({"ResetType":"On"})").status == 503);
    CHECK(tasks() == 1);
    CHECK(h.req("POST", act, R"({"ResetType":"On"})").status == 202);
    CHECK(tasks() == 2);
}

TEST_CASE("a message served from its serialised copy can still be followed by another", "[redfish]") {
    Reply first;
    messages::service_temporarily_unavailable(first, 7);  // fills the copy for 7 s
    Reply r;
    messages::service_temporarily_unavailable(r, 7);
    REQUIRE(r.rendered);
    CHECK(json::parse(r.rendered->text)["error"]["code"] == "Base.1.19.ServiceTemporarilyUnavailable");
    messages::internal_error(r);
    CHECK_FALSE(r.rendered);
    CHECK(r.body["error"]["code"] == "Base.1.19.GeneralError");
    REQUIRE(r.body["error"]["@Message.ExtendedInfo"].size() == 2);
    CHECK(r.body["error"]["@Message.ExtendedInfo"][0]["MessageArgs"] == nlohmann::ordered_json::array({"7"}));
}
