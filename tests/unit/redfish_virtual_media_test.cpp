#include <catch2/catch.hpp>

#include "efi/boot.hpp"
#include "efi/tls_ca.hpp"
#include "redfish/uefi_vars.hpp"
#include "redfish/virtual_media.hpp"
#include "redfish_harness.hpp"

using namespace mb::redfish;
using namespace mb::redfish::test;

namespace {

const std::string kSys = "/redfish/v1/Systems/rpi-01";
const std::string kCd = "/redfish/v1/Managers/rpi-01/VirtualMedia/Cd";
const std::string kImage = "http://192.0.2.10:8080/redfish/boot-1234.iso";

mb::http::Response insert(Harness& h, const std::string& body, const std::string& slot = kCd,
                          const std::string& user = "admin") {
    return h.req("POST", slot + "/Actions/VirtualMedia.InsertMedia", body, user);
}

std::string resolution(const mb::http::Response& r) {
    return json::parse(r.body)["error"]["@Message.ExtendedInfo"][0]["Resolution"].get<std::string>();
}

}  // namespace

TEST_CASE("each device has its own BMC Manager; the service Manager manages them", "[redfish][vmedia]") {
    Harness h;
    auto col = Harness::body(h.req("GET", "/redfish/v1/Managers"));
    CHECK(col["Members@odata.count"] == 3);
    CHECK(col["Members"][0]["@odata.id"] == "/redfish/v1/Managers/mb-redfish");
    CHECK(col["Members"][1]["@odata.id"] == "/redfish/v1/Managers/rpi-01");
    auto bmc = Harness::body(h.req("GET", "/redfish/v1/Managers/rpi-01"));
    CHECK(bmc["ManagerType"] == "BMC");
    CHECK(bmc["Links"]["ManagerForServers"][0]["@odata.id"] == kSys);
    CHECK(bmc["Links"]["ManagedBy"][0]["@odata.id"] == "/redfish/v1/Managers/mb-redfish");
    CHECK(bmc["VirtualMedia"]["@odata.id"] == "/redfish/v1/Managers/rpi-01/VirtualMedia");
    CHECK(bmc["UUID"] != Harness::body(h.req("GET", kSys))["UUID"]);
    auto svc = Harness::body(h.req("GET", "/redfish/v1/Managers/mb-redfish"));
    CHECK(svc["ManagerType"] == "Service");
    CHECK(svc["Links"]["ManagerForManagers"].size() == 2);
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Chassis/rpi-01"))["Links"]["ManagedBy"][0]["@odata.id"] ==
          "/redfish/v1/Managers/rpi-01");
    CHECK(h.req("GET", "/redfish/v1/Managers/mb-redfish/VirtualMedia").status == 404);
    CHECK(h.req("GET", "/redfish/v1/Managers/nope").status == 404);
    // a device named like the service's Manager is known by its MAC instead
    h.backend.devs[0].id = "mb-redfish";
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Managers/mb-redfish"))["ManagerType"] == "Service");
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Managers/d8-3a-dd-5a-44-0c"))["ManagerType"] == "BMC");
}

TEST_CASE("virtual CD: insert, boot Cd once through a Uri() option, eject", "[redfish][vmedia]") {
    Harness h;
    auto& fw = h.backend.firmware["d8-3a-dd-5a-44-0c"];
    const auto fw0 = fw;
    auto cd = Harness::body(h.req("GET", kCd));
    CHECK(cd["MediaTypes"] == json::array({"CD", "DVD"}));
    CHECK(cd["Inserted"] == false);
    CHECK(cd["Image"].is_null());
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Managers/rpi-01/VirtualMedia"))["Members"][0]["@odata.id"] == kCd);
    CHECK(Harness::body(h.req("GET", kSys))["Boot"]["BootSourceOverrideTarget@Redfish.AllowableValues"].back() == "Cd");

    // Cd needs a medium first
    auto r = h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}})");
    CHECK(r.status == 400);
    CHECK(error_id(r) == "Base.1.19.PropertyValueConflict");
    CHECK(fw == fw0);

    // sushy's insert_media: {"Image": url} only; the variables do not change until a Cd override
    REQUIRE(insert(h, json{{"Image", kImage}}.dump()).status == 204);
    CHECK(fw == fw0);
    cd = Harness::body(h.req("GET", kCd));
    CHECK(cd["Inserted"] == true);
    CHECK(cd["Image"] == kImage);
    CHECK(cd["ImageName"] == "boot-1234.iso");
    CHECK(cd["TransferProtocolType"] == "HTTP");
    // the same slot seen from the System
    CHECK(Harness::body(h.req("GET", "/redfish/v1/Systems/rpi-01/VirtualMedia/Cd"))["Image"] == kImage);

    REQUIRE(h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}})")
                .status == 204);
    auto next = mb::efi::boot_next(fw);
    REQUIRE(next);
    REQUIRE(uefi::is_virtual_cd_entry(fw, *next));
    auto entries = mb::efi::boot_entries(fw);
    auto e = std::find_if(entries.begin(), entries.end(), [&](auto& x) { return x.number == *next; });
    REQUIRE(e != entries.end());
    CHECK(e->option->active());
    CHECK(e->option->path_text() ==
          "MAC(D83ADD5A440C,0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)/Uri(" + kImage + ")");
    auto boot = Harness::body(h.req("GET", kSys))["Boot"];
    CHECK(boot["BootSourceOverrideTarget"] == "Cd");
    CHECK(boot["BootSourceOverrideEnabled"] == "Once");

    // UefiHttp still picks the firmware's own HTTPv4 option, never the virtual CD's
    REQUIRE(h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"UefiHttp"}})").status == 204);
    CHECK(mb::efi::boot_next(fw) == 5);
    REQUIRE(h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"Cd"}})").status == 204);
    CHECK(mb::efi::boot_next(fw) == next);  // the same option, re-used

    // a new image re-points the option the override uses
    const std::string other = "http://192.0.2.10/other.iso?sig=1";
    REQUIRE(insert(h, json{{"Image", other},
                           {"Inserted", true},
                           {"WriteProtected", true},
                           {"TransferProtocolType", "HTTP"},
                           {"TransferMethod", "Stream"}}
                          .dump())
                .status == 204);
    entries = mb::efi::boot_entries(fw);
    e = std::find_if(entries.begin(), entries.end(), [&](auto& x) { return x.number == *next; });
    REQUIRE(e != entries.end());
    CHECK(e->option->path_text().find("/Uri(" + other + ")") != std::string::npos);
    CHECK(mb::efi::boot_next(fw) == next);

    // eject (sushy posts no body): the option and the override go, the slot reads empty
    REQUIRE(h.req("POST", kCd + "/Actions/VirtualMedia.EjectMedia", "").status == 204);
    CHECK(!mb::efi::boot_next(fw));
    CHECK(!uefi::is_virtual_cd_entry(fw, *next));
    boot = Harness::body(h.req("GET", kSys))["Boot"];
    CHECK(boot["BootSourceOverrideEnabled"] == "Disabled");
    CHECK(boot["BootSourceOverrideTarget"] == "None");
    cd = Harness::body(h.req("GET", kCd));
    CHECK(cd["Inserted"] == false);
    CHECK(cd["Image"].is_null());
    CHECK(h.req("POST", kCd + "/Actions/VirtualMedia.EjectMedia", "{}").status == 204);  // empty slot: fine
}

TEST_CASE("virtual CD: Continuous puts the option first and eject restores the order", "[redfish][vmedia]") {
    Harness h;
    auto& fw = h.backend.firmware["d8-3a-dd-5a-44-0c"];
    const auto order0 = mb::efi::boot_order(fw);
    REQUIRE(insert(h, json{{"Image", kImage}}.dump(), "/redfish/v1/Systems/rpi-01/VirtualMedia/Cd").status == 204);
    REQUIRE(
        h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Continuous"}})")
            .status == 204);
    auto order = mb::efi::boot_order(fw);
    REQUIRE(!order.empty());
    CHECK(uefi::is_virtual_cd_entry(fw, order.front()));
    // Inserted=false keeps the URL but nothing is bootable: the override ends
    REQUIRE(insert(h, json{{"Image", kImage}, {"Inserted", false}}.dump()).status == 204);
    CHECK(mb::efi::boot_order(fw) == order0);
    auto cd = Harness::body(h.req("GET", kCd));
    CHECK(cd["Inserted"] == false);
    CHECK(cd["Image"] == kImage);
    CHECK(Harness::body(h.req("GET", kSys))["Boot"]["BootSourceOverrideEnabled"] == "Disabled");
}

TEST_CASE("virtual CD: bad InsertMedia input gets the right message and changes nothing", "[redfish][vmedia]") {
    Harness h;
    auto check = [&](const std::string& body, const std::string& id, const std::string& user = "admin") {
        INFO(body);
        auto before = h.backend.state;
        auto r = insert(h, body, kCd, user);
        CHECK(r.status == (id == "403" ? 403 : 400));
        if (id != "403") CHECK(error_id(r) == "Base.1.19." + id);
        CHECK(h.backend.state == before);
        return r;
    };
    check("{}", "ActionParameterMissing");
    check(R"({"Image": 5})", "ActionParameterValueTypeError");
    check(R"({"Image": "http://h/x.iso", "Inserted": "yes"})", "ActionParameterValueTypeError");
    check(R"({"Image": "http://h/x.iso", "WriteProtected": false})", "ActionParameterValueConflict");
    check(R"({"Image": "http://h/x.iso", "TransferProtocolType": "NFS"})", "ActionParameterValueNotInList");
    check(R"({"Image": "http://h/x.iso", "TransferMethod": "Upload"})", "ActionParameterValueNotInList");
    check(R"({"Image": "http://h/x.iso", "UserName": "u", "Password": "p"})", "ActionParameterNotSupported");
    check(R"({"Image": "http://h/x.iso", "Media": "CD"})", "ActionParameterUnknown");
    auto r = check(R"({"Image": "https://h/x.iso"})", "ActionParameterValueConflict");
    CHECK(resolution(r).find("CA certificate") != std::string::npos);
    r = check(R"({"Image": "ftp://h/x.iso"})", "ActionParameterValueFormatError");
    CHECK(resolution(r).find("not http://") != std::string::npos);
    check(R"({"Image": "http:///x.iso"})", "ActionParameterValueFormatError");
    check(R"({"Image": "http://user:pw@h/x.iso"})", "ActionParameterValueFormatError");
    check(R"({"Image": "http://h/a b.iso"})", "ActionParameterValueFormatError");
    check(json{{"Image", "http://h/" + std::string(1100, 'a') + ".iso"}}.dump(), "ActionParameterValueFormatError");
    check(R"({"Image": "http://h/x.iso"})", "403", "op");  // ConfigureManager: Administrator only
    check(R"({"Image": "http://h/x.iso"})", "403", "ro");
    CHECK(h.req("POST", kCd + "/Actions/VirtualMedia.EjectMedia", R"({"Force": true})").status == 400);
    CHECK(insert(h, R"({"Image": "http://h/x.iso"})", "/redfish/v1/Managers/rpi-01/VirtualMedia/Floppy").status == 404);
    CHECK(insert(h, R"({"Image": "http://h/x.iso"})", "/redfish/v1/Managers/nope/VirtualMedia/Cd").status == 404);
    // empty credentials and a scheme-less image with TransferProtocolType are fine
    REQUIRE(
        insert(h, R"({"Image": "h/x.iso", "TransferProtocolType": "HTTP", "UserName": "", "Password": null})").status ==
        204);
    CHECK(Harness::body(h.req("GET", kCd))["Image"] == "http://h/x.iso");
}

TEST_CASE("image_url_problem accepts what UEFI HTTP boot can fetch", "[redfish][vmedia]") {
    CHECK(image_url_problem("http://10.0.0.1/boot.iso") == "");
    CHECK(image_url_problem("HTTP://host:8080/a/b.iso?x=y#z") == "");
    CHECK(image_url_problem("http://[fd00::1]/boot.iso") == "");
    CHECK(!image_url_problem("https://h/boot.iso").empty());
    CHECK(image_url_problem("https://h/boot.iso", true) == "");
    CHECK(!image_url_problem("https:///boot.iso", true).empty());
    CHECK(!image_url_problem("").empty());
    CHECK(!image_url_problem("http://").empty());
    CHECK(!image_url_problem("http://:80/x.iso").empty());
    CHECK(!image_url_problem("http://h/\x01.iso").empty());
    CHECK(!image_url_problem("http://h/\xc3\xa9.iso").empty());
}

TEST_CASE("virtual CD over https: only with CA certificates, which go into TlsCaCertificate", "[redfish][vmedia]") {
    Harness h;
    auto& fw = h.backend.firmware["d8-3a-dd-5a-44-0c"];
    const std::string secure = "https://ironic.example:6183/redfish/boot-1234.iso";
    auto has_ca = [&] { return fw.find(mb::efi::kTlsCaCertificateGuid, mb::efi::kTlsCaCertificateName) != nullptr; };
    // without redfish.virtual_media_ca: refused, and the slot offers HTTP only
    auto r = insert(h, json{{"Image", secure}}.dump());
    CHECK(r.status == 400);
    CHECK(resolution(r).find("redfish.virtual_media_ca") != std::string::npos);
    CHECK(Harness::body(h.req(
              "GET", kCd))["Actions"]["#VirtualMedia.InsertMedia"]["TransferProtocolType@Redfish.AllowableValues"] ==
          json::array({"HTTP"}));
    CHECK(insert(h, R"({"Image": "http://h/x.iso", "TransferProtocolType": "HTTPS"})").status == 400);

    const std::vector<uint8_t> ca = {0xa1, 0x59, 0xc0, 0xa5, 1, 2, 3};  // stands in for the signature lists
    h.service->set_virtual_media_ca(ca);
    CHECK(Harness::body(h.req(
              "GET", kCd))["Actions"]["#VirtualMedia.InsertMedia"]["TransferProtocolType@Redfish.AllowableValues"] ==
          json::array({"HTTP", "HTTPS"}));
    // the scheme and TransferProtocolType must agree
    r = insert(h, json{{"Image", secure}, {"TransferProtocolType", "HTTP"}}.dump());
    CHECK(r.status == 400);
    CHECK(error_id(r) == "Base.1.19.ActionParameterValueConflict");
    CHECK(!has_ca());
    REQUIRE(insert(h, json{{"Image", "HTTPS://ironic.example:6183/redfish/boot-1234.iso"}}.dump()).status == 204);
    auto cd = Harness::body(h.req("GET", kCd));
    CHECK(cd["Image"] == secure);  // scheme in lower case
    CHECK(cd["TransferProtocolType"] == "HTTPS");
    REQUIRE(has_ca());
    const auto* v = fw.find(mb::efi::kTlsCaCertificateGuid, mb::efi::kTlsCaCertificateName);
    CHECK(v->data == ca);
    CHECK(v->attr == 0x3);
    REQUIRE(h.req("PATCH", kSys, R"({"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}})")
                .status == 204);
    auto next = mb::efi::boot_next(fw);
    REQUIRE(next);
    auto entries = mb::efi::boot_entries(fw);
    auto e = std::find_if(entries.begin(), entries.end(), [&](auto& x) { return x.number == *next; });
    REQUIRE(e != entries.end());
    CHECK(e->option->path_text().find("/Uri(" + secure + ")") != std::string::npos);
    // an http image afterwards drops the CA again; so does an eject
    REQUIRE(insert(h, json{{"Image", kImage}}.dump()).status == 204);
    CHECK(!has_ca());
    REQUIRE(insert(h, json{{"Image", "ironic.example/x.iso"}, {"TransferProtocolType", "HTTPS"}}.dump()).status == 204);
    CHECK(Harness::body(h.req("GET", kCd))["Image"] == "https://ironic.example/x.iso");
    CHECK(has_ca());
    REQUIRE(h.req("POST", kCd + "/Actions/VirtualMedia.EjectMedia", "").status == 204);
    CHECK(!has_ca());
    CHECK(!mb::efi::boot_next(fw));
}
