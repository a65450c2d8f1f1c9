// The request glue: Beast parser → Request → Router → response head, on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/conditional.hpp"
#include "http/router.hpp"
#include "http/wire.hpp"

namespace {
const mb::http::Router& router() {
    static mb::http::Router r = [] {
        mb::http::Router x;
        x.get("/boot/{mac}.ipxe", [](const mb::http::Request& q) { return mb::http::text_response(200, q.param("mac")); });
        x.post("/v1/continue", [](const mb::http::Request& q) { return mb::http::json_response(200, q.body); });
        x.route("GET,PUT", "/redfish/v1/Systems/{id}", [](const mb::http::Request&) { return mb::http::Response{}; });
        x.mount("/images", [](const mb::http::Request& q, mb::http::Responder r) {
            r(mb::http::text_response(200, q.param("path")));
        });
        return x;
    }();
    return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto parsed = mb::http::parse_request(bytes, {.max_header_bytes = 8192, .max_body_bytes = 65536});
    if (parsed.status == 0 && !parsed.incomplete) {
        auto res = router().handle(parsed.request);
        (void)mb::http::serialize_head(res, mb::http::plan_body(res, parsed.request.version), parsed.keep_alive,
                                       parsed.request.version, "Thu, 01 Jan 1970 00:00:00 GMT", "fuzz");
        (void)parsed.request.query_params();
        if (auto r = parsed.request.header("Range")) (void)mb::http::parse_range(*r, 1000);
        (void)mb::http::evaluate_preconditions(parsed.request, "\"a-b-c\"", 1000);
        (void)mb::http::if_range_allows(parsed.request, "\"a-b-c\"", 1000);
    }
    (void)mb::http::parse_target(bytes);
    return 0;
}
