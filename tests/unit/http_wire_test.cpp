#include <catch2/catch.hpp>

#include "http/conditional.hpp"
#include "http/mime.hpp"
#include "http/wire.hpp"

using namespace mb::http;

TEST_CASE("parse_target decodes paths and refuses traversal", "[http][wire]") {
    auto t = parse_target("/boot/dc-a6-32-01-02-03.ipxe?x=1&y=%20");
    REQUIRE(t);
    CHECK(t->path == "/boot/dc-a6-32-01-02-03.ipxe");
    CHECK(t->query == "x=1&y=%20");
    CHECK(parse_target("/a%20b")->path == "/a b");
    CHECK(parse_target("http://10.0.0.1:8080/ipxe/snp.efi")->path == "/ipxe/snp.efi");
    CHECK(parse_target("http://10.0.0.1:8080")->path == "/");
    CHECK(parse_target("//a//b")->path == "//a//b");
    for (const char* bad : {"", "*", "a/b", "/../etc/passwd", "/a/../../b", "/%2e%2e/etc/passwd", "/a/%2E%2E",
                            "/a/./b", "/a%00b", "/a%zz", "/a%2", "/a\\..\\b", "/a%5c..%5cb", "/a#frag",
                            "ftp://x/y", "/a b", "/a%0d%0aX: y"}) {
        INFO(bad);
        CHECK_FALSE(parse_target(bad));
    }
    // "..." and "..x" are ordinary names
    CHECK(parse_target("/a/.../b"));
    CHECK(parse_target("/a/..x"));
}

TEST_CASE("http_date round-trips", "[http][wire]") {
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == std::optional<std::time_t>(784111777));
    CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
    CHECK_FALSE(parse_http_date(""));
}

TEST_CASE("serialize_head frames bodies and drops unsafe fields", "[http][wire]") {
    Response r = text_response(200, "hello");
    r.headers.add("X-Bad", "a\r\nSet-Cookie: x");
    r.headers.add("Content-Length", "999");
    auto head = serialize_head(r, plan_body(r), true, 11, "Tue, 24 Nov 2026 21:30:00 GMT", "metal-boot");
    CHECK(head ==
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Tue, 24 Nov 2026 21:30:00 GMT\r\n"
          "Server: metal-boot\r\nContent-Length: 5\r\n\r\n");
    Response nc;
    nc.status = 304;
    CHECK(plan_body(nc).framing == Framing::none);
    head = serialize_head(nc, plan_body(nc), false, 10, "", "");
    CHECK(head == "HTTP/1.0 304 Not Modified\r\nConnection: close\r\n\r\n");
    struct Null : StreamBody {
        void pull(Deliver d) override { d(true, {}); }
    };
    Response s;
    s.stream = std::make_shared<Null>();
    CHECK(plan_body(s).framing == Framing::chunked);
    CHECK(plan_body(s, 10).framing == Framing::eof);
    s.content_length = 10;
    CHECK(plan_body(s).framing == Framing::length);
    Response f;
    f.file = FileBody{"x", 5, 100, nullptr};
    CHECK(plan_body(f).length == 100);
}

TEST_CASE("parse_request glue: limits and statuses", "[http][wire]") {
    auto ok = parse_request("GET /boot/aa.ipxe?q=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: iPXE/1.21\r\n\r\n");
    CHECK(ok.status == 0);
    CHECK(ok.request.method == "GET");
    CHECK(ok.request.path == "/boot/aa.ipxe");
    CHECK(ok.request.query == "q=1");
    CHECK(ok.request.header("user-agent") == std::optional<std::string_view>("iPXE/1.21"));
    CHECK(ok.keep_alive);

    auto post = parse_request("POST /v1/continue HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
    CHECK(post.status == 0);
    CHECK(post.request.body == "{}");
    CHECK_FALSE(post.keep_alive);

    auto chunked = parse_request("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    CHECK(chunked.status == 0);
    CHECK(chunked.request.body == "ab");

    CHECK(parse_request("GET /a HTTP/1.1\r\nHost: x\r\n").incomplete);
    CHECK(parse_request("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status == 501);
    CHECK(parse_request("GARBAGE\r\n\r\n").status == 400);
    CHECK(parse_request("GET /../x HTTP/1.1\r\n\r\n").status == 400);
    CHECK(parse_request("GET /a HTTP/2.0\r\n\r\n").status == 505);
    CHECK(parse_request("GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status == 400);
    std::string flood = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 2000; ++i) flood += "X-" + std::to_string(i) + ": yyyyyyyyyy\r\n";
    flood += "\r\n";
    CHECK(parse_request(flood).status == 431);
    CHECK(parse_request("POST /x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", {.max_body_bytes = 100}).status == 413);
}

TEST_CASE("content types", "[http][mime]") {
    CHECK(content_type_for("ipxe/snp.efi") == "application/efi");
    CHECK(content_type_for("BOOTAA64.EFI") == "application/efi");
    CHECK(content_type_for("boot.ipxe") == "text/plain; charset=utf-8");
    CHECK(content_type_for("ironic-python-agent.kernel") == "application/octet-stream");
    CHECK(content_type_for("metal-arm64.raw.xz") == "application/x-xz");
    CHECK(content_type_for(".hidden") == "application/octet-stream");
    CHECK(content_type_for("dir.d/noext") == "application/octet-stream");
}

TEST_CASE("ranges", "[http][range]") {
    auto r = parse_range("bytes=0-99", 1000);
    REQUIRE(r.kind == RangeDecision::partial);
    CHECK(r.ranges == std::vector<ByteRange>{{0, 99}});
    CHECK(parse_range("bytes=-100", 1000).ranges == std::vector<ByteRange>{{900, 999}});
    CHECK(parse_range("bytes=-5000", 1000).ranges == std::vector<ByteRange>{{0, 999}});
    CHECK(parse_range("bytes=900-", 1000).ranges == std::vector<ByteRange>{{900, 999}});
    CHECK(parse_range("bytes=990-2000", 1000).ranges == std::vector<ByteRange>{{990, 999}});
    CHECK(parse_range("bytes=0-1, 5-6", 1000).ranges == std::vector<ByteRange>{{0, 1}, {5, 6}});
    CHECK(parse_range("bytes=1000-", 1000).kind == RangeDecision::unsatisfiable);
    CHECK(parse_range("bytes=1000-1001, 2000-", 1000).kind == RangeDecision::unsatisfiable);
    CHECK(parse_range("bytes=0-1,1000-", 1000).ranges.size() == 1);
    for (const char* bad : {"bytes=5-1", "bytes=x-1", "items=0-1", "bytes=", "bytes=0x1-2", "bytes=-", "bytes=1"}) {
        INFO(bad);
        CHECK(parse_range(bad, 1000).kind == RangeDecision::full);
    }
    std::string many = "bytes=0-0";
    for (int i = 1; i < 20; ++i) many += "," + std::to_string(i) + "-" + std::to_string(i);
    CHECK(parse_range(many, 1000).kind == RangeDecision::full);
}

TEST_CASE("conditional requests", "[http][conditional]") {
    const auto etag = make_etag(12, 34, 56);
    CHECK(etag == "\"c-22-38\"");
    CHECK(etag_matches("\"c-22-38\"", etag, false));
    CHECK(etag_matches("\"x\", W/\"c-22-38\"", etag, true));
    CHECK_FALSE(etag_matches("W/\"c-22-38\"", etag, false));
    CHECK(etag_matches("*", etag, false));
    CHECK_FALSE(etag_matches("\"other\"", etag, true));

    Request req;
    req.method = "GET";
    const std::time_t mtime = 784111777;
    CHECK(evaluate_preconditions(req, etag, mtime) == 0);
    req.headers.set("If-None-Match", etag);
    CHECK(evaluate_preconditions(req, etag, mtime) == 304);
    req.headers.set("If-Modified-Since", "Sun, 06 Nov 1990 08:49:37 GMT");  // ignored beside If-None-Match
    CHECK(evaluate_preconditions(req, etag, mtime) == 304);
    req.headers.remove("If-None-Match");
    CHECK(evaluate_preconditions(req, etag, mtime) == 0);
    req.headers.set("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(evaluate_preconditions(req, etag, mtime) == 304);
    req.headers.remove("If-Modified-Since");
    req.headers.set("If-Match", "\"nope\"");
    CHECK(evaluate_preconditions(req, etag, mtime) == 412);

    Request ir;
    ir.headers.set("If-Range", etag);
    CHECK(if_range_allows(ir, etag, mtime));
    ir.headers.set("If-Range", "\"old\"");
    CHECK_FALSE(if_range_allows(ir, etag, mtime));
    ir.headers.set("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(if_range_allows(ir, etag, mtime));

    const std::vector<ByteRange> rs{{0, 1}, {5, 6}};
    std::string body;
    for (size_t i = 0; i < rs.size(); ++i)
        body += byteranges_part_head("B", "text/plain", rs[i], 10, i == 0) + std::string(rs[i].length(), 'x');
    body += byteranges_trailer("B");
    CHECK(byteranges_length("B", "text/plain", rs, 10) == body.size());
    CHECK(body.rfind("--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\nxx", 0) == 0);
}

TEST_CASE("serialize_head: framing fields of any case are the server's, own Date/Server replace the defaults",
          "[http][wire]") {
    Response r = text_response(404, "");
    r.headers.add("transfer-ENCODING", "chunked");
    r.headers.add("CONNECTION", "keep-alive");
    r.headers.add("content-length", "1");
    r.headers.add("date", "Mon, 01 Jan 2024 00:00:00 GMT");
    r.headers.add("SERVER", "handler");
    r.headers.add("X: y", "bad name");
    r.headers.add("X-Ok", "1");
    auto head = serialize_head(r, plan_body(r), true, 11, "Tue, 24 Nov 2026 21:30:00 GMT", "metal-boot");
    CHECK(head ==
          "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\ndate: Mon, 01 Jan 2024 00:00:00 "
          "GMT\r\nSERVER: handler\r\nX-Ok: 1\r\nContent-Length: 0\r\n\r\n");
    Response odd;
    odd.status = 299;  // no reason phrase known
    CHECK(serialize_head(odd, plan_body(odd), true, 10, "", "").rfind("HTTP/1.0 299 Unknown\r\n", 0) == 0);
}
