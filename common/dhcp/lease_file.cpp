#include "dhcp/lease_file.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"
#include "dhcp/option_defs.hpp"

namespace mb::dhcp {

namespace {

std::vector<std::string> fields(std::string_view line) {
    std::vector<std::string> out;
    for (auto& f : split(line, ' ', true))
        if (!trim(f).empty()) out.emplace_back(trim(f));
    return out;
}

bool parse_hwaddr(std::string_view text, Lease& l) {
    // "<hwtype>-aa:bb:..." for non-Ethernet, or plain "aa:bb:..."
    auto dash = text.find('-');
    if (dash != std::string_view::npos && dash <= 2 && text.find(':') > dash) {
        auto t = parse_hex(text.substr(0, dash));
        if (!t || t->size() != 1) return false;
        l.hwtype = (*t)[0];
        text = text.substr(dash + 1);
    } else {
        l.hwtype = 1;
    }
    auto b = parse_hex(text);
    if (!b || b->size() > 16) return false;
    l.hwaddr = *b;
    return true;
}

}  // namespace

std::string hwaddr_str(const Lease& l) {
    std::string s;
    if (l.hwtype != 1 || l.hwaddr.empty()) s = fmt::format("{:02x}-", l.hwtype);
    return s + mac_str(l.hwaddr);
}

LeaseFile parse_lease_file(std::string_view text, std::vector<std::string>* warnings) {
    LeaseFile f;
    bool v6 = false;
    size_t lineno = 0;
    for (const auto& raw : split(text, '\n')) {
        ++lineno;
        std::string_view line = trim(raw);
        if (line.empty()) continue;
        auto fs = fields(line);
        if (fs[0] == "duid" || v6 || fs[0] == "vendorclass" || fs[0] == "agent-info") {
            if (fs[0] == "duid") v6 = true;
            f.other_lines.emplace_back(line);
            continue;
        }
        auto warn = [&](const std::string& why) {
            if (warnings) warnings->push_back(fmt::format("line {}: {}", lineno, why));
        };
        if (fs.size() < 5) {
            warn(fmt::format("expected 5 fields, found {}", fs.size()));
            continue;
        }
        Lease l;
        auto exp = parse_uint(fs[0]);
        if (!exp || *exp > INT64_MAX) {
            warn(fmt::format("expiry {} is not a number", mb::quoted(fs[0])));
            continue;
        }
        l.expiry = static_cast<int64_t>(*exp);
        if (!parse_hwaddr(fs[1], l)) {
            warn(fmt::format("hardware address {} is malformed", mb::quoted(fs[1])));
            continue;
        }
        auto ip = parse_ip(fs[2]);
        if (!ip) {
            warn(fmt::format("{} is not an IPv4 address", mb::quoted(fs[2])));
            continue;
        }
        l.ip = *ip;
        if (fs[3] != "*") l.hostname = fs[3];
        if (fs[4] != "*") {
            auto cid = parse_hex(fs[4]);
            if (!cid) {
                warn(fmt::format("client id {} is malformed", mb::quoted(fs[4])));
                continue;
            }
            l.client_id = *cid;
        }
        f.leases.push_back(std::move(l));
    }
    return f;
}

std::string format_lease_line(const Lease& l) {
    return fmt::format("{} {} {} {} {}\n", l.expiry, hwaddr_str(l), ip_str(l.ip), l.hostname.empty() ? "*" : l.hostname,
                       l.client_id.empty() ? "*" : mac_str(l.client_id));
}

std::string format_lease_file(const LeaseFile& f) {
    std::string out;
    out.reserve(f.leases.size() * 64);
    for (const auto& l : f.leases) out += format_lease_line(l);
    for (const auto& line : f.other_lines) {
        out += line;
        out += '\n';
    }
    return out;
}

std::vector<Declined> parse_declined(std::string_view text) {
    std::vector<Declined> out;
    for (const auto& raw : split(text, '\n', true)) {
        auto fs = fields(raw);
        if (fs.size() != 2) continue;
        auto until = parse_uint(fs[0]);
        auto ip = parse_ip(fs[1]);
        if (until && ip && *until <= INT64_MAX) out.push_back(Declined{*ip, static_cast<int64_t>(*until)});
    }
    return out;
}

std::string format_declined(const std::vector<Declined>& list) {
    std::string out;
    for (const auto& d : list) out += fmt::format("{} {}\n", d.until, ip_str(d.ip));
    return out;
}

}  // namespace mb::dhcp
