#include "tftp/packet.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace mb::tftp {

namespace {

uint16_t read_u16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v & 0xff));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
}

// Reads a NUL-terminated string starting at `pos`; advances pos past the NUL. False if unterminated.
bool read_string(std::span<const uint8_t> b, size_t& pos, std::string& out) {
    for (size_t i = pos; i < b.size(); ++i) {
        if (b[i] == 0) {
            out.assign(reinterpret_cast<const char*>(b.data()) + pos, i - pos);
            pos = i + 1;
            return true;
        }
    }
    return false;
}

Decoded decode_request(Opcode opcode, std::span<const uint8_t> b) {
    Request r;
    r.opcode = opcode;
    const char* what = opcode == Opcode::rrq ? "RRQ" : "WRQ";
    size_t pos = 2;
    if (!read_string(b, pos, r.filename))
        return Malformed{ErrorCode::illegal_operation, fmt::format("{} filename is not NUL-terminated", what)};
    std::string mode;
    if (!read_string(b, pos, mode))
        return Malformed{ErrorCode::illegal_operation, fmt::format("{} mode is missing or not NUL-terminated", what)};
    if (iequals(mode, "octet")) {
        r.mode = Mode::octet;
    } else if (iequals(mode, "netascii")) {
        r.mode = Mode::netascii;
    } else if (iequals(mode, "mail")) {
        r.mode = Mode::mail;
    } else {
        return Malformed{ErrorCode::illegal_operation,
                         fmt::format("{} mode {} is not netascii, octet or mail", what, mb::quoted(mode))};
    }
    while (pos < b.size()) {
        Option o;
        if (!read_string(b, pos, o.name)) break;   // trailing garbage without NUL: ignored
        if (!read_string(b, pos, o.value)) break;  // a name without a value: ignored
        if (o.name.empty()) continue;
        r.options.push_back(std::move(o));
    }
    return Packet{std::move(r)};
}

}  // namespace

std::string_view opcode_name(uint16_t opcode) {
    switch (opcode) {
        case 1: return "RRQ";
        case 2: return "WRQ";
        case 3: return "DATA";
        case 4: return "ACK";
        case 5: return "ERROR";
        case 6: return "OACK";
        default: return "unknown";
    }
}

std::string_view mode_name(Mode mode) {
    switch (mode) {
        case Mode::netascii: return "netascii";
        case Mode::octet: return "octet";
        case Mode::mail: return "mail";
    }
    return "octet";
}

Decoded decode(std::span<const uint8_t> b) {
    if (b.size() < 2)
        return Malformed{ErrorCode::illegal_operation, fmt::format("packet of {} bytes has no opcode", b.size())};
    const uint16_t op = read_u16(b, 0);
    switch (op) {
        case 1: return decode_request(Opcode::rrq, b);
        case 2: return decode_request(Opcode::wrq, b);
        case 3:
            if (b.size() < 4) return Malformed{ErrorCode::illegal_operation, "DATA packet shorter than 4 bytes"};
            return Packet{DataPacket{read_u16(b, 2), b.subspan(4)}};
        case 4:
            if (b.size() < 4) return Malformed{ErrorCode::illegal_operation, "ACK packet shorter than 4 bytes"};
            return Packet{AckPacket{read_u16(b, 2)}};
        case 5: {
            if (b.size() < 4) return Malformed{ErrorCode::illegal_operation, "ERROR packet shorter than 4 bytes"};
            ErrorPacket e{read_u16(b, 2), {}};
            size_t pos = 4;
            if (!read_string(b, pos, e.message)) {
                // Tolerate a missing terminator: take the rest of the packet as the message.
                e.message.assign(reinterpret_cast<const char*>(b.data()) + 4, b.size() - 4);
            }
            return Packet{std::move(e)};
        }
        case 6: {
            OackPacket o;
            size_t pos = 2;
            while (pos < b.size()) {
                Option opt;
                if (!read_string(b, pos, opt.name) || !read_string(b, pos, opt.value))
                    return Malformed{ErrorCode::illegal_operation,
                                     fmt::format("OACK option at byte {} is not NUL-terminated", pos)};
                o.options.push_back(std::move(opt));
            }
            return Packet{std::move(o)};
        }
        default: return Malformed{ErrorCode::illegal_operation, fmt::format("unknown opcode {}", op)};
    }
}

size_t encode_ack(uint16_t block, std::vector<uint8_t>& out) {
    out.clear();
    put_u16(out, 4);
    put_u16(out, block);
    return out.size();
}

size_t encode_error(ErrorCode code, std::string_view message, std::vector<uint8_t>& out) {
    out.clear();
    put_u16(out, 5);
    put_u16(out, static_cast<uint16_t>(code));
    put_string(out, message);
    return out.size();
}

size_t encode_oack(const std::vector<Option>& options, std::vector<uint8_t>& out) {
    out.clear();
    put_u16(out, 6);
    for (const auto& o : options) {
        put_string(out, o.name);
        put_string(out, o.value);
    }
    return out.size();
}

size_t encode_request(const Request& r, std::vector<uint8_t>& out) {
    out.clear();
    put_u16(out, static_cast<uint16_t>(r.opcode));
    put_string(out, r.filename);
    put_string(out, mode_name(r.mode));
    for (const auto& o : r.options) {
        put_string(out, o.name);
        put_string(out, o.value);
    }
    return out.size();
}

void write_data_header(uint16_t block, std::span<uint8_t> out) {
    out[0] = 0;
    out[1] = 3;
    out[2] = static_cast<uint8_t>(block >> 8);
    out[3] = static_cast<uint8_t>(block & 0xff);
}

size_t encode_data(uint16_t block, std::span<const uint8_t> payload, std::vector<uint8_t>& out) {
    out.assign(4 + payload.size(), 0);
    write_data_header(block, out);
    std::copy(payload.begin(), payload.end(), out.begin() + 4);
    return out.size();
}

}  // namespace mb::tftp
