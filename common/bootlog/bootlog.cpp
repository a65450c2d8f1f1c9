#include "bootlog/bootlog.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace mb::bootlog {

std::map<std::string, device::Mac> parse_leases(std::string_view text) {
    std::map<std::string, device::Mac> out;
    for (const auto& line : split(text, '\n', true)) {
        std::vector<std::string> f;
        for (auto& part : split(trim(line), ' ', true)) f.push_back(part);
        if (f.size() < 3 || f[0] == "duid") continue;
        auto mac = device::Mac::parse(f[1]);
        if (!mac || f[2].find('.') == std::string::npos) continue;
        out[f[2]] = *mac;
    }
    return out;
}

namespace {

std::string_view strip_prefixes(std::string_view line) {
    // syslog <PRI>
    if (line.size() > 2 && line[0] == '<') {
        const auto close = line.find('>');
        if (close != std::string_view::npos && close <= 4 && close > 1 && parse_uint(line.substr(1, close - 1), 191)) {
            line.remove_prefix(close + 1);
            // RFC 5424: "1 " version
            if (line.size() > 2 && line[0] == '1' && line[1] == ' ') line.remove_prefix(2);
        }
    } else {
        // extended netconsole: "6,1234,5678901,-;message"
        const auto semi = line.find(';');
        if (semi != std::string_view::npos && semi < 40) {
            const auto head = line.substr(0, semi);
            const auto parts = split(head, ',');
            bool ok = parts.size() >= 3;
            for (size_t i = 0; ok && i < 3; ++i) ok = parse_uint(parts[i]).has_value();
            if (ok) line.remove_prefix(semi + 1);
        }
    }
    return line;
}

}  // namespace

std::string format_datagram(std::string_view datagram, std::time_t now) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    const auto stamp = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                   tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out;
    size_t i = 0;
    while (i < datagram.size()) {
        auto j = datagram.find('\n', i);
        if (j == std::string_view::npos) j = datagram.size();
        auto line = strip_prefixes(datagram.substr(i, j - i));
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (!line.empty()) {
            out += stamp;
            out += ' ';
            for (char c : line) out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f ? '?' : c;
            out += '\n';
        }
        i = j + 1;
    }
    return out;
}

}  // namespace mb::bootlog
