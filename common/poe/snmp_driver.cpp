#include "poe/snmp_driver.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "poe/snmp_discover.hpp"

// net-snmp's config header defines config_error() and other short macros: include it last.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on
#undef config_error

namespace mb::poe {

std::pair<uint32_t, uint32_t> parse_pse_port(const std::string& text, uint32_t default_group) {
    auto t = std::string(trim(text));
    auto sep = t.find_first_of("./");
    std::optional<uint64_t> g = default_group, p;
    if (sep == std::string::npos) {
        p = parse_uint(t, 0xFFFFFFFF);
    } else {
        g = parse_uint(t.substr(0, sep), 0xFFFFFFFF);
        p = parse_uint(t.substr(sep + 1), 0xFFFFFFFF);
    }
    if (!g || !p || *g == 0 || *p == 0)
        throw data_error(
            fmt::format("PSE port {} is not <port> or <group>.<port> with numbers >= 1", mb::quoted(text)));
    return {static_cast<uint32_t>(*g), static_cast<uint32_t>(*p)};
}

PortStatus pse_status(long admin, long detection) {
    static const char* names[] = {"", "disabled", "searching", "deliveringPower", "fault", "test", "otherFault"};
    PortStatus st;
    st.admin_enabled = admin == 1;
    st.detail = detection >= 1 && detection <= 6 ? names[detection] : fmt::format("detection={}", detection);
    if (detection == 4 || detection == 6)
        st.power = Power::fault;
    else if (admin != 1)
        st.power = Power::off;
    else if (detection == 3)
        st.power = Power::on;
    else if (detection == 2 || detection == 5)
        st.power = Power::powering_on;
    else
        st.power = Power::off;  // enabled but the PSE reports disabled: no power delivered
    return st;
}

namespace {

void init_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        // No MIB files (numeric OIDs only), no snmp.conf, no persistent state.
        setenv("MIBS", "", 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_QUICK_PRINT, 1);
        init_snmp("mb-poe");
    });
}

struct SessionCloser {
    void operator()(void* s) const { snmp_sess_close(s); }
};
using SessionPtr = std::unique_ptr<void, SessionCloser>;

struct PduFree {
    void operator()(netsnmp_pdu* p) const { snmp_free_pdu(p); }
};
using PduPtr = std::unique_ptr<netsnmp_pdu, PduFree>;

std::vector<oid> parse_oid(const std::string& text) {
    std::vector<oid> out;
    for (auto& part : split(text, '.', true)) out.push_back(static_cast<oid>(*parse_uint(part)));
    return out;
}

class Session {
public:
    Session(const SwitchSettings& s, bool write) : name_(s.name) {
        init_library();
        const auto& n = s.snmp;
        netsnmp_session in;
        snmp_sess_init(&in);
        peer_ = n.address;
        in.peername = peer_.data();
        in.timeout = static_cast<long>(n.timeout_ms) * 1000;
        in.retries = n.retries;
        if (n.version == "1" || n.version == "2c") {
            in.version = n.version == "1" ? SNMP_VERSION_1 : SNMP_VERSION_2c;
            community_ = write || n.read_community.empty() ? n.community : n.read_community;
            in.community = reinterpret_cast<u_char*>(community_.data());
            in.community_len = community_.size();
        } else {
            in.version = SNMP_VERSION_3;
            user_ = n.user;
            in.securityName = user_.data();
            in.securityNameLen = user_.size();
            in.securityLevel = iequals(n.level, "noAuthNoPriv") ? SNMP_SEC_LEVEL_NOAUTH
                               : iequals(n.level, "authNoPriv") ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                                                : SNMP_SEC_LEVEL_AUTHPRIV;
            if (in.securityLevel != SNMP_SEC_LEVEL_NOAUTH) {
                const oid* proto = usmHMACSHA1AuthProtocol;
                size_t len = USM_AUTH_PROTO_SHA_LEN;
                if (iequals(n.auth_protocol, "MD5")) {
                    proto = usmHMACMD5AuthProtocol;
                    len = USM_AUTH_PROTO_MD5_LEN;
                } else if (iequals(n.auth_protocol, "SHA-256")) {
                    proto = usmHMAC192SHA256AuthProtocol;
                    len = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
                } else if (iequals(n.auth_protocol, "SHA-512")) {
                    proto = usmHMAC384SHA512AuthProtocol;
                    len = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
                }
                in.securityAuthProto = snmp_duplicate_objid(proto, len);
                in.securityAuthProtoLen = len;
                in.securityAuthKeyLen = USM_AUTH_KU_LEN;
                if (generate_Ku(in.securityAuthProto, static_cast<u_int>(in.securityAuthProtoLen),
                                reinterpret_cast<const u_char*>(n.auth_password.data()), n.auth_password.size(),
                                in.securityAuthKey, &in.securityAuthKeyLen) != SNMPERR_SUCCESS)
                    throw config_error(fmt::format("switch {}: cannot derive the SNMPv3 auth key", name_));
            }
            if (in.securityLevel == SNMP_SEC_LEVEL_AUTHPRIV) {
                const oid* proto = usmAESPrivProtocol;
                size_t len = USM_PRIV_PROTO_AES_LEN;
                if (iequals(n.priv_protocol, "DES")) {
                    proto = usmDESPrivProtocol;
                    len = USM_PRIV_PROTO_DES_LEN;
                }
                in.securityPrivProto = snmp_duplicate_objid(proto, len);
                in.securityPrivProtoLen = len;
                in.securityPrivKeyLen = USM_PRIV_KU_LEN;
                if (generate_Ku(in.securityAuthProto, static_cast<u_int>(in.securityAuthProtoLen),
                                reinterpret_cast<const u_char*>(n.priv_password.data()), n.priv_password.size(),
                                in.securityPrivKey, &in.securityPrivKeyLen) != SNMPERR_SUCCESS)
                    throw config_error(fmt::format("switch {}: cannot derive the SNMPv3 privacy key", name_));
            }
        }
        void* h = snmp_sess_open(&in);
        if (in.securityAuthProto) SNMP_FREE(in.securityAuthProto);
        if (in.securityPrivProto) SNMP_FREE(in.securityPrivProto);
        if (!h) {
            int liberr = 0, syserr = 0;
            char* msg = nullptr;
            snmp_error(&in, &liberr, &syserr, &msg);
            std::string m = msg ? msg : "unknown error";
            free(msg);
            throw Error(kExitUnavailable,
                        fmt::format("switch {} ({}): cannot open an SNMP session: {}", name_, peer_, m));
        }
        h_.reset(h);
    }

    // Sends the PDU; returns the response or throws with the agent's error named.
    PduPtr exchange(netsnmp_pdu* request, const std::string& what) {
        netsnmp_pdu* resp = nullptr;
        int rc = snmp_sess_synch_response(h_.get(), request, &resp);
        PduPtr r(resp);
        if (rc == STAT_TIMEOUT)
            throw Error(kExitUnavailable,
                        fmt::format("switch {} ({}): no SNMP answer to {} (timeout)", name_, peer_, what));
        if (rc != STAT_SUCCESS || !resp) {
            char* msg = nullptr;
            int liberr = 0, syserr = 0;
            snmp_sess_error(h_.get(), &liberr, &syserr, &msg);
            std::string m = msg ? msg : "unknown error";
            free(msg);
            throw Error(kExitUnavailable, fmt::format("switch {} ({}): SNMP {} failed: {}", name_, peer_, what, m));
        }
        if (resp->errstat != SNMP_ERR_NOERROR)
            throw Error(kExitUnavailable, fmt::format("switch {} ({}): SNMP {} refused: {}", name_, peer_, what,
                                                      snmp_errstring(static_cast<int>(resp->errstat))));
        return r;
    }

    long get_int(const std::string& oid_text) {
        auto o = parse_oid(oid_text);
        netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
        snmp_add_null_var(pdu, o.data(), o.size());
        auto r = exchange(pdu, "GET " + oid_text);
        auto* v = r->variables;
        if (!v || v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE || v->type == SNMP_ENDOFMIBVIEW)
            throw Error(kExitUnavailable, fmt::format("switch {} ({}): {} does not exist (no such PSE group/port?)",
                                                      name_, peer_, oid_text));
        if (v->type != ASN_INTEGER)
            throw data_error(
                fmt::format("switch {} ({}): {} is not an INTEGER (type {})", name_, peer_, oid_text, int(v->type)));
        return *v->val.integer;
    }

    // GETNEXT walk of one subtree (works with v1 agents too); an agent that does not implement it
    // answers noSuchName / endOfMibView: an empty table.
    std::vector<SnmpCell> walk(const std::string& prefix_text) {
        const auto prefix = parse_oid(prefix_text);
        std::vector<SnmpCell> out;
        std::vector<oid> cur = prefix;
        for (int guard = 0; guard < 100000; ++guard) {
            netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
            snmp_add_null_var(pdu, cur.data(), cur.size());
            netsnmp_pdu* resp = nullptr;
            int rc = snmp_sess_synch_response(h_.get(), pdu, &resp);
            PduPtr r(resp);
            if (rc == STAT_TIMEOUT)
                throw Error(kExitUnavailable, fmt::format("switch {} ({}): no SNMP answer walking {} (timeout)", name_,
                                                          peer_, prefix_text));
            if (rc != STAT_SUCCESS || !resp)
                throw Error(kExitUnavailable,
                            fmt::format("switch {} ({}): SNMP walk of {} failed", name_, peer_, prefix_text));
            if (resp->errstat == SNMP_ERR_NOSUCHNAME) break;  // v1: end of the MIB
            if (resp->errstat != SNMP_ERR_NOERROR)
                throw Error(kExitUnavailable,
                            fmt::format("switch {} ({}): SNMP walk of {} refused: {}", name_, peer_, prefix_text,
                                        snmp_errstring(static_cast<int>(resp->errstat))));
            auto* v = resp->variables;
            if (!v || v->type == SNMP_ENDOFMIBVIEW || v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE)
                break;
            std::vector<oid> got(v->name, v->name + v->name_length);
            if (got.size() <= prefix.size() || !std::equal(prefix.begin(), prefix.end(), got.begin())) break;
            if (got <= cur) break;  // not increasing: a broken agent
            SnmpCell c;
            for (size_t i = prefix.size(); i < got.size(); ++i) c.index.push_back(static_cast<uint32_t>(got[i]));
            if (v->type == ASN_INTEGER) c.integer = *v->val.integer;
            if (v->type == ASN_OCTET_STR) c.octets.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
            out.push_back(std::move(c));
            cur = std::move(got);
        }
        return out;
    }

    void set_int(const std::string& oid_text, long value) {
        auto o = parse_oid(oid_text);
        netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_SET);
        snmp_pdu_add_variable(pdu, o.data(), o.size(), ASN_INTEGER, &value, sizeof value);
        exchange(pdu, fmt::format("SET {} = {}", oid_text, value));
    }

private:
    std::string name_, peer_, community_, user_;
    SessionPtr h_;
};

}  // namespace

SnmpDriver::SnmpDriver(SwitchSettings s) : s_(std::move(s)) {}

void SnmpDriver::set_admin(const PortRef& port, long value) {
    auto [g, p] = parse_pse_port(port.port, s_.snmp.group);
    Session session(s_, true);
    session.set_int(fmt::format("{}.3.{}.{}", kPethPsePortEntry, g, p), value);
}

void SnmpDriver::on(const PortRef& port) {
    set_admin(port, 1);
}
void SnmpDriver::off(const PortRef& port) {
    set_admin(port, 2);
}

std::vector<Learned> SnmpDriver::discover() {
    Session session(s_, false);
    DiscoveryTables t;
    std::set<uint32_t> pse;
    for (const auto& c : session.walk(fmt::format("{}.3.{}", kPethPsePortEntry, s_.snmp.group)))
        if (c.index.size() == 1) pse.insert(c.index[0]);
    if (!pse.empty()) t.pse_ports = pse;
    t.fdb = session.walk(kDot1dTpFdbPort);
    t.qfdb = session.walk(kDot1qTpFdbPort);
    t.lldp_subtype = session.walk(kLldpRemChassisIdSubtype);
    t.lldp_chassis = session.walk(kLldpRemChassisId);
    if (t.fdb.empty() && t.qfdb.empty() && t.lldp_chassis.empty())
        throw Error(kExitUnavailable, fmt::format("switch {} ({}): no bridge forwarding (BRIDGE-MIB, Q-BRIDGE-MIB) or "
                                                  "LLDP remote table to learn from",
                                                  s_.name, s_.snmp.address));
    return learn_from_tables(s_.name, t);
}

PortStatus SnmpDriver::status(const PortRef& port) {
    auto [g, p] = parse_pse_port(port.port, s_.snmp.group);
    Session session(s_, false);
    long admin = session.get_int(fmt::format("{}.3.{}.{}", kPethPsePortEntry, g, p));
    long det = session.get_int(fmt::format("{}.6.{}.{}", kPethPsePortEntry, g, p));
    return pse_status(admin, det);
}

}  // namespace mb::poe
