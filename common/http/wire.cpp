#include "http/wire.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "core/strings.hpp"

namespace mb::http {

std::optional<Target> parse_target(std::string_view target) {
    if (target.empty()) return std::nullopt;
    std::string_view rest = target;
    if (target[0] != '/') {
        // absolute-form: scheme://authority[/path][?query]
        const auto scheme_end = target.find("://");
        if (scheme_end == std::string_view::npos) return std::nullopt;
        const auto scheme = target.substr(0, scheme_end);
        if (!iequals(scheme, "http") && !iequals(scheme, "https")) return std::nullopt;
        const auto after = target.substr(scheme_end + 3);
        const auto cut = after.find_first_of("/?");
        if (cut == std::string_view::npos) return Target{"/", ""};
        if (after[cut] == '?') return Target{"/", std::string(after.substr(cut + 1))};
        rest = after.substr(cut);
    }
    target = rest;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
    Target out;
    const auto q = target.find('?');
    auto raw_path = target.substr(0, q);
    if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
    // A fragment is never sent by a conforming client; refuse it rather than guess.
    if (raw_path.find('#') != std::string_view::npos) return std::nullopt;
    auto decoded = percent_decode(raw_path);
    if (!decoded) return std::nullopt;
    for (char c : *decoded)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
    size_t i = 0;
    const std::string& p = *decoded;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        const auto seg = std::string_view(p).substr(i, j - i);
        if (seg == "." || seg == "..") return std::nullopt;
        i = j + 1;
    }
    out.path = std::move(*decoded);
    return out;
}

std::string_view reason_phrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

namespace {
constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
        return std::nullopt;
    auto num = [&](size_t pos, size_t len) { return parse_uint(s.substr(pos, len)); };
    auto day = num(5, 2), year = num(12, 4), hh = num(17, 2), mm = num(20, 2), ss = num(23, 2);
    if (!day || !year || !hh || !mm || !ss) return std::nullopt;
    int month = -1;
    for (int i = 0; i < 12; ++i)
        if (s.substr(8, 3) == kMonths[i]) month = i;
    if (month < 0 || *day < 1 || *day > 31 || *hh > 23 || *mm > 59 || *ss > 60 || *year < 1970 || *year > 9999)
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = static_cast<int>(*year) - 1900;
    tm.tm_mon = month;
    tm.tm_mday = static_cast<int>(*day);
    tm.tm_hour = static_cast<int>(*hh);
    tm.tm_min = static_cast<int>(*mm);
    tm.tm_sec = static_cast<int>(*ss);
    return timegm(&tm);
}

HeadPlan plan_body(const Response& res, int version) {
    HeadPlan p;
    if ((res.status >= 100 && res.status < 200) || res.status == 204 || res.status == 304) return p;
    if (res.stream) {
        if (res.content_length) {
            p.framing = Framing::length;
            p.length = *res.content_length;
        } else {
            p.framing = version == 10 ? Framing::eof : Framing::chunked;
        }
        return p;
    }
    p.framing = Framing::length;
    p.length = res.file ? res.file->length : res.body.size();
    return p;
}

namespace {
bool clean(std::string_view s) {
    for (char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

void append_number(std::string& out, uint64_t v) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, static_cast<size_t>(end - buf));
}

// The header names the server frames itself (a handler's own are dropped) or defaults (Date, Server).
enum class Special { none, framing, date, server };

Special special_name(std::string_view name) {
    switch (name.size()) {
        case 4: return iequals(name, "Date") ? Special::date : Special::none;
        case 6: return iequals(name, "Server") ? Special::server : Special::none;
        case 10: return iequals(name, "Connection") ? Special::framing : Special::none;
        case 14: return iequals(name, "Content-Length") ? Special::framing : Special::none;
        case 17: return iequals(name, "Transfer-Encoding") ? Special::framing : Special::none;
        default: return Special::none;
    }
}
}  // namespace

std::string serialize_head(const Response& res, const HeadPlan& plan, bool keep_alive, int version,
                           std::string_view date, std::string_view server_name) {
    // Plain appends (no formatting library): this runs once per response.
    std::string out;
    out.reserve(256);
    const auto reason = reason_phrase(res.status);
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    append_number(out, static_cast<uint64_t>(std::clamp(res.status, 0, 999)));
    out += ' ';
    out += reason.empty() ? std::string_view("Unknown") : reason;
    out += "\r\n";
    bool have_date = false, have_server = false;
    for (const auto& [name, value] : res.headers.fields()) {
        if (name.empty() || !clean(name) || !clean(value) || name.find_first_of(": ") != std::string::npos) continue;
        switch (special_name(name)) {
            case Special::framing: continue;
            case Special::date: have_date = true; break;
            case Special::server: have_server = true; break;
            case Special::none: break;
        }
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!have_date && !date.empty()) {
        out += "Date: ";
        out += date;
        out += "\r\n";
    }
    if (!have_server && !server_name.empty()) {
        out += "Server: ";
        out += server_name;
        out += "\r\n";
    }
    switch (plan.framing) {
        case Framing::length:
            out += "Content-Length: ";
            append_number(out, plan.length);
            out += "\r\n";
            break;
        case Framing::chunked: out += "Transfer-Encoding: chunked\r\n"; break;
        case Framing::none:
        case Framing::eof: break;
    }
    if (!keep_alive || plan.framing == Framing::eof)
        out += "Connection: close\r\n";
    else if (version == 10)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    return out;
}

}  // namespace mb::http
