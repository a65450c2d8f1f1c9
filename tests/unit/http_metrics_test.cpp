#include <catch2/catch.hpp>

#include "http/metrics.hpp"

TEST_CASE("Prometheus exposition per route", "[http][metrics]") {
    mb::http::Metrics m;
    mb::http::Exchange e;
    e.route = "/boot/{mac}.ipxe";
    e.method = "GET";
    e.status = 200;
    e.bytes_out = 500;
    e.seconds = 0.002;
    m.observe(e);
    m.observe(e);
    e.status = 500;
    e.aborted = true;
    m.observe(e);
    m.add("inspections_total", "Inspections.", 1, "result=\"202\"");
    m.set_gauge("connections", "Open connections.", 3);
    const auto text = m.render();
    CHECK(text.find("mb_http_requests_total{route=\"/boot/{mac}.ipxe\",method=\"GET\",code=\"200\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("mb_http_requests_total{route=\"/boot/{mac}.ipxe\",method=\"GET\",code=\"500\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("mb_http_response_bytes_total{route=\"/boot/{mac}.ipxe\"} 1500\n") != std::string::npos);
    CHECK(text.find("mb_http_errors_total{route=\"/boot/{mac}.ipxe\"} 1\n") != std::string::npos);
    CHECK(text.find("mb_http_request_duration_seconds_bucket{route=\"/boot/{mac}.ipxe\",le=\"0.0025\"} 3\n") !=
          std::string::npos);
    CHECK(text.find("mb_http_request_duration_seconds_bucket{route=\"/boot/{mac}.ipxe\",le=\"0.001\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("mb_http_inspections_total{result=\"202\"} 1\n") != std::string::npos);
    CHECK(text.find("# TYPE mb_http_connections gauge\nmb_http_connections 3\n") != std::string::npos);
    CHECK(mb::http::prometheus_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
