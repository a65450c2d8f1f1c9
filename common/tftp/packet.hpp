#pragma once
// TFTP wire format (RFC 1350 + RFC 2347 OACK): decode any packet into a plain struct, encode the
// packets a server sends. No I/O; decode never throws and never reads past the input.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mb::tftp {

enum class Opcode : uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

// RFC 1350 error codes plus RFC 2347 code 8.
enum class ErrorCode : uint16_t {
    undefined = 0,
    file_not_found = 1,
    access_violation = 2,
    disk_full = 3,
    illegal_operation = 4,
    unknown_tid = 5,
    file_exists = 6,
    no_such_user = 7,
    option_refused = 8,
};

enum class Mode { netascii, octet, mail };

std::string_view opcode_name(uint16_t opcode);
std::string_view mode_name(Mode mode);

// One "name\0value\0" pair as it appeared on the wire (name case preserved).
struct Option {
    std::string name;
    std::string value;
    bool operator==(const Option&) const = default;
};

// RRQ or WRQ.
struct Request {
    Opcode opcode = Opcode::rrq;
    std::string filename;  // raw bytes up to the first NUL
    Mode mode = Mode::octet;
    std::vector<Option> options;
};

struct DataPacket {
    uint16_t block = 0;
    std::span<const uint8_t> payload;  // points into the decoded buffer
};

struct AckPacket {
    uint16_t block = 0;
};

struct ErrorPacket {
    uint16_t code = 0;
    std::string message;
};

struct OackPacket {
    std::vector<Option> options;
};

using Packet = std::variant<Request, DataPacket, AckPacket, ErrorPacket, OackPacket>;

// A packet that could not be decoded: the error a server answers with and why.
struct Malformed {
    ErrorCode code = ErrorCode::illegal_operation;
    std::string reason;  // names the field: "RRQ mode 'foo' is not netascii, octet or mail"
};

using Decoded = std::variant<Packet, Malformed>;

// Decodes one UDP payload. Request options: names compared case-insensitively later; a trailing
// option name without a value is dropped (some clients pad requests), an unterminated filename or
// mode is Malformed.
Decoded decode(std::span<const uint8_t> bytes);

// Encoders append to `out` (cleared first) and return its size.
size_t encode_ack(uint16_t block, std::vector<uint8_t>& out);
size_t encode_error(ErrorCode code, std::string_view message, std::vector<uint8_t>& out);
size_t encode_oack(const std::vector<Option>& options, std::vector<uint8_t>& out);
size_t encode_request(const Request& request, std::vector<uint8_t>& out);
// Writes the 4-byte DATA header into `out` (at least 4 bytes); the payload follows at out[4].
void write_data_header(uint16_t block, std::span<uint8_t> out);
size_t encode_data(uint16_t block, std::span<const uint8_t> payload, std::vector<uint8_t>& out);

}  // namespace mb::tftp
