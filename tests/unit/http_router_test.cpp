#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "http/router.hpp"

using namespace mb::http;

namespace {
Request make(std::string method, std::string path) {
    Request r;
    r.method = std::move(method);
    r.path = path;
    r.target = std::move(path);
    return r;
}
Handler echo(std::string tag) {
    return [tag](const Request& req) {
        std::string body = tag;
        for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
        return text_response(200, body);
    };
}
}  // namespace

TEST_CASE("Router matches literals, captures, affixes and rest captures", "[http][router]") {
    Router r;
    r.get("/healthz", echo("health"));
    r.get("/boot/{mac}.ipxe", echo("boot"));
    r.get("/boot.ipxe", echo("generic"));
    r.get("/redfish/v1/Systems/{id}", echo("system"));
    r.get("/redfish/v1/Systems/{id}/Bios", echo("bios"));
    r.route("GET,POST", "/images/{path*}", echo("images"));

    CHECK(r.handle(make("GET", "/healthz")).body == "health");
    CHECK(r.handle(make("GET", "/boot/dc-a6-32-01-02-03.ipxe")).body == "boot mac=dc-a6-32-01-02-03");
    CHECK(r.handle(make("GET", "/boot.ipxe")).body == "generic");
    CHECK(r.handle(make("GET", "/redfish/v1/Systems/rpi-01")).body == "system id=rpi-01");
    CHECK(r.handle(make("GET", "/redfish/v1/Systems/rpi-01/")).body == "system id=rpi-01");
    CHECK(r.handle(make("GET", "/redfish/v1/Systems/rpi-01/Bios")).body == "bios id=rpi-01");
    CHECK(r.handle(make("GET", "/images/a/b/c.img")).body == "images path=a/b/c.img");
    CHECK(r.handle(make("GET", "/images")).body == "images path=");
    CHECK(r.handle(make("POST", "/images/x")).body == "images path=x");
    // empty segments never matter and never redirect
    CHECK(r.handle(make("GET", "//boot//aa.ipxe")).body == "boot mac=aa");
    // ".ipxe" alone: the capture must not be empty
    CHECK(r.handle(make("GET", "/boot/.ipxe")).status == 404);
    CHECK(r.handle(make("GET", "/nothing")).status == 404);
}

TEST_CASE("Router prefers the more specific route", "[http][router]") {
    Router r;
    r.get("/a/{x*}", echo("rest"));
    r.get("/a/{id}", echo("capture"));
    r.get("/a/{id}.json", echo("affix"));
    r.get("/a/b", echo("literal"));
    CHECK(r.handle(make("GET", "/a/b")).body == "literal");
    CHECK(r.handle(make("GET", "/a/c")).body == "capture id=c");
    CHECK(r.handle(make("GET", "/a/c.json")).body == "affix id=c");
    CHECK(r.handle(make("GET", "/a/c/d")).body == "rest x=c/d");
    CHECK(r.handle(make("GET", "/a")).body == "rest x=");
}

TEST_CASE("Router answers HEAD for GET routes and 405 with Allow otherwise", "[http][router]") {
    Router r;
    r.get("/x", echo("get"));
    r.post("/x", echo("post"));
    r.route("PUT", "/y", echo("put"));
    CHECK(r.handle(make("HEAD", "/x")).body == "get");
    CHECK(r.handle(make("POST", "/x")).body == "post");
    auto res = r.handle(make("DELETE", "/x"));
    CHECK(res.status == 405);
    CHECK(res.headers.get("Allow") == std::optional<std::string_view>("GET, HEAD, POST"));
    CHECK(r.handle(make("GET", "/y")).status == 405);
    auto m = r.match("POST", "/x");
    REQUIRE(m.route);
    CHECK(m.name == "/x");
}

TEST_CASE("Router maps handler exceptions to statuses", "[http][router]") {
    Router r;
    r.get("/bad", [](const Request&) -> Response { throw mb::data_error("bad mac"); });
    r.get("/missing", [](const Request&) -> Response { throw mb::no_input("no such device"); });
    r.get("/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
    CHECK(r.handle(make("GET", "/bad")).status == 400);
    CHECK(r.handle(make("GET", "/bad")).body == "bad mac\n");
    CHECK(r.handle(make("GET", "/missing")).status == 404);
    CHECK(r.handle(make("GET", "/boom")).status == 500);
}

TEST_CASE("Router async handlers: once only, a dropped responder gives 500", "[http][router]") {
    Router r;
    Responder kept;
    r.route_async("GET", "/later", [&](const Request&, Responder respond) { kept = std::move(respond); });
    r.route_async("GET", "/twice", [](const Request&, Responder respond) {
        respond(text_response(200, "first"));
        respond(text_response(200, "second"));
    });
    r.route_async("GET", "/drop", [](const Request&, Responder) {});
    int calls = 0;
    std::string got;
    Request req = make("GET", "/twice");
    r.dispatch(req, [&](Response res) {
        ++calls;
        got = res.body;
    });
    CHECK(calls == 1);
    CHECK(got == "first");

    calls = 0;
    req = make("GET", "/drop");
    r.dispatch(req, [&](Response res) {
        ++calls;
        got = std::to_string(res.status);
    });
    CHECK(calls == 1);
    CHECK(got == "500");

    calls = 0;
    req = make("GET", "/later");
    r.dispatch(req, [&](Response res) {
        ++calls;
        got = res.body;
    });
    CHECK(calls == 0);
    kept(text_response(200, "done"));
    CHECK(calls == 1);
    CHECK(got == "done");
    kept = nullptr;
    CHECK(calls == 1);
}

TEST_CASE("Router mount and options", "[http][router]") {
    Router r;
    r.mount("/images/talos/", [](const Request& req, Responder respond) {
        respond(text_response(200, req.method + " " + req.param("path")));
    }, "GET", {.max_body = 5, .name = "talos"});
    CHECK(r.handle(make("GET", "/images/talos/v1.11.1/arm64/metal.raw")).body == "GET v1.11.1/arm64/metal.raw");
    auto m = r.match("GET", "/images/talos/x");
    CHECK(m.max_body == std::optional<size_t>(5));
    CHECK(m.name == "talos");
    Request req = make("GET", "/images/talos/x");
    r.handle(req);
    CHECK_THROWS_AS(r.get("no-slash", echo("x")), mb::Error);
    CHECK_THROWS_AS(r.get("/a/{x*}/b", echo("x")), mb::Error);
    CHECK_THROWS_AS(r.get("/a/{}", echo("x")), mb::Error);
}

TEST_CASE("Router custom not-found handler", "[http][router]") {
    Router r;
    r.set_not_found([](const Request&) { return json_response(404, "{\"error\":\"nope\"}"); });
    auto res = r.handle(make("GET", "/zzz"));
    CHECK(res.status == 404);
    CHECK(res.body == "{\"error\":\"nope\"}");
}
