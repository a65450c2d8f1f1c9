#include <catch2/catch.hpp>
#include <string>

#include "tftp/options.hpp"
#include "tftp/packet.hpp"

using namespace mb::tftp;

namespace {
// A literal with embedded NULs, without its terminating NUL.
template <size_t N>
std::vector<uint8_t> lit(const char (&s)[N]) {
    return {s, s + N - 1};
}

Request as_request(const Decoded& d) {
    REQUIRE(std::holds_alternative<Packet>(d));
    const auto& p = std::get<Packet>(d);
    REQUIRE(std::holds_alternative<Request>(p));
    return std::get<Request>(p);
}

Request rrq(std::vector<Option> options, Mode mode = Mode::octet) {
    Request r;
    r.filename = "RPI_EFI.fd";
    r.mode = mode;
    r.options = std::move(options);
    return r;
}
}  // namespace

TEST_CASE("RRQ decodes filename, mode and options case-insensitively", "[tftp][packet]") {
    auto b =
        lit("\0\1start4.elf\0OCTET\0TSIZE\0"
            "0\0BlkSize\0"
            "1468\0");
    const Request r = as_request(decode(b));
    CHECK(r.opcode == Opcode::rrq);
    CHECK(r.filename == "start4.elf");
    CHECK(r.mode == Mode::octet);
    REQUIRE(r.options.size() == 2);
    CHECK(r.options[0] == Option{"TSIZE", "0"});
    CHECK(r.options[1] == Option{"BlkSize", "1468"});
}

TEST_CASE("RRQ round-trips through encode_request", "[tftp][packet]") {
    Request r = rrq({{"tsize", "0"}, {"windowsize", "4"}}, Mode::netascii);
    std::vector<uint8_t> out;
    encode_request(r, out);
    const Request back = as_request(decode(out));
    CHECK(back.filename == r.filename);
    CHECK(back.mode == Mode::netascii);
    CHECK(back.options == r.options);
}

TEST_CASE("Malformed requests name the field", "[tftp][packet]") {
    auto bad_mode = lit("\0\1f\0binary\0");
    auto d = decode(bad_mode);
    REQUIRE(std::holds_alternative<Malformed>(d));
    CHECK(std::get<Malformed>(d).code == ErrorCode::illegal_operation);
    CHECK(std::get<Malformed>(d).reason.find("mode 'binary'") != std::string::npos);

    auto no_nul = lit("\0\1file");
    REQUIRE(std::holds_alternative<Malformed>(decode(no_nul)));
    auto no_mode = lit("\0\1file\0");
    REQUIRE(std::holds_alternative<Malformed>(decode(no_mode)));
    auto unknown = lit("\0\x09xx");
    auto u = decode(unknown);
    REQUIRE(std::holds_alternative<Malformed>(u));
    CHECK(std::get<Malformed>(u).reason == "unknown opcode 9");
    CHECK(std::holds_alternative<Malformed>(decode(lit("\0"))));
    CHECK(std::holds_alternative<Malformed>(decode(lit("\0\4\0"))));
}

TEST_CASE("A dangling option name or trailing junk is ignored, not fatal", "[tftp][packet]") {
    auto b =
        lit("\0\1f\0octet\0tsize\0"
            "0\0blksize\0");
    const Request r = as_request(decode(b));
    REQUIRE(r.options.size() == 1);
    CHECK(r.options[0].name == "tsize");
    auto junk =
        lit("\0\1f\0octet\0tsize\0"
            "0\0garbage");
    CHECK(as_request(decode(junk)).options.size() == 1);
}

TEST_CASE("DATA, ACK, ERROR and OACK encode and decode", "[tftp][packet]") {
    std::vector<uint8_t> out;
    const std::vector<uint8_t> payload = {1, 2, 3};
    encode_data(0xfffe, payload, out);
    CHECK(out == std::vector<uint8_t>{0, 3, 0xff, 0xfe, 1, 2, 3});
    auto d = std::get<Packet>(decode(out));
    CHECK(std::get<DataPacket>(d).block == 0xfffe);
    CHECK(std::get<DataPacket>(d).payload.size() == 3);

    encode_ack(258, out);
    CHECK(out == std::vector<uint8_t>{0, 4, 1, 2});
    CHECK(std::get<AckPacket>(std::get<Packet>(decode(out))).block == 258);

    encode_error(ErrorCode::file_not_found, "File not found", out);
    auto e = std::get<ErrorPacket>(std::get<Packet>(decode(out)));
    CHECK(e.code == 1);
    CHECK(e.message == "File not found");

    // Pi "Early terminate" without a terminating NUL is still understood.
    auto early = lit("\0\5\0\0Early terminate");
    CHECK(std::get<ErrorPacket>(std::get<Packet>(decode(early))).message == "Early terminate");

    encode_oack({{"blksize", "1468"}, {"tsize", "3997696"}}, out);
    CHECK(out == lit("\0\6blksize\0"
                     "1468\0tsize\0"
                     "3997696\0"));
    auto o = std::get<OackPacket>(std::get<Packet>(decode(out)));
    CHECK(o.options.size() == 2);
}

TEST_CASE("Negotiation accepts only valid options, in a stable order", "[tftp][options]") {
    Limits lim;
    auto n = negotiate(rrq({{"WINDOWSIZE", "4"}, {"timeout", "3"}, {"tsize", "0"}, {"blksize", "1468"}}), 4096, lim);
    REQUIRE(n.oack.size() == 4);
    CHECK(n.oack[0] == Option{"blksize", "1468"});
    CHECK(n.oack[1] == Option{"tsize", "4096"});
    CHECK(n.oack[2] == Option{"timeout", "3"});
    CHECK(n.oack[3] == Option{"windowsize", "4"});
    CHECK(n.blksize == 1468);
    CHECK(n.windowsize == 4);
    CHECK(n.timeout_s == 3);
    CHECK(n.tsize);
}

TEST_CASE("Negotiation clamps blksize to the MTU and windowsize to the cap", "[tftp][options]") {
    Limits lim;
    CHECK(negotiate(rrq({{"blksize", "65464"}}), 10, lim).blksize == 1468);
    CHECK(negotiate(rrq({{"blksize", "1024"}}), 10, lim).blksize == 1024);
    CHECK(negotiate(rrq({{"blksize", "8"}}), 10, lim).blksize == 8);
    CHECK(negotiate(rrq({{"blksize", "7"}}), 10, lim).oack.empty());
    CHECK(negotiate(rrq({{"windowsize", "65535"}}), 10, lim).windowsize == 32);
    CHECK(negotiate(rrq({{"windowsize", "0"}}), 10, lim).oack.empty());
    lim.max_blksize = 512;
    CHECK(negotiate(rrq({{"blksize", "1468"}}), 10, lim).oack[0].value == "512");
}

TEST_CASE("Junk option values are dropped from the OACK", "[tftp][options]") {
    Limits lim;
    // atftp --option "tsize enable"
    auto n = negotiate(rrq({{"tsize", "enable"}}), 100, lim);
    CHECK(n.oack.empty());
    CHECK_FALSE(n.tsize);
    CHECK(negotiate(rrq({{"blksize", "-1"}, {"timeout", "0"}, {"timeout", "9"}}), 1, lim).oack.empty());
    CHECK(negotiate(rrq({{"timeout", "256"}}), 1, lim).oack.empty());
    CHECK(negotiate(rrq({{"blksize", "99999999999999999999999"}}), 1, lim).oack.empty());
    CHECK(negotiate(rrq({{"multicast", ""}, {"rollover", "0"}}), 1, lim).oack.empty());
}

TEST_CASE("An empty file is sent without tsize unless asked to", "[tftp][options]") {
    Limits lim;
    CHECK(negotiate(rrq({{"tsize", "0"}}), 0, lim).oack.empty());
    lim.tsize_for_empty = true;
    auto n = negotiate(rrq({{"tsize", "0"}}), 0, lim);
    REQUIRE(n.oack.size() == 1);
    CHECK(n.oack[0] == Option{"tsize", "0"});
}

TEST_CASE("netascii gets neither tsize nor windowsize", "[tftp][options]") {
    auto n =
        negotiate(rrq({{"tsize", "0"}, {"windowsize", "4"}, {"blksize", "1024"}}, Mode::netascii), std::nullopt, {});
    REQUIRE(n.oack.size() == 1);
    CHECK(n.oack[0].name == "blksize");
    CHECK(n.windowsize == 1);
}

TEST_CASE("Options can be switched off", "[tftp][options]") {
    Limits lim;
    lim.windowsize = false;
    lim.tsize = false;
    auto n = negotiate(rrq({{"tsize", "0"}, {"windowsize", "4"}}), 5, lim);
    CHECK(n.oack.empty());
}
