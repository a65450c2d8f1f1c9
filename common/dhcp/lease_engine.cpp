#include "dhcp/lease_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mb::dhcp {

LeaseEngine::LeaseEngine(EngineConfig config) : config_(std::move(config)) {
    set_reservations(std::move(config_.reservations));
}

void LeaseEngine::set_reservations(std::vector<Reservation> reservations) {
    config_.reservations = std::move(reservations);
    reserved_ip_.clear();
    reservation_by_key_.clear();
    for (size_t i = 0; i < config_.reservations.size(); ++i) {
        const auto& r = config_.reservations[i];
        Key k = key_of(1, r.hwaddr);
        reserved_ip_[r.ip] = k;
        reservation_by_key_[k] = i;
    }
}

void LeaseEngine::set_pools(std::vector<PoolConfig> pools) {
    config_.pools = std::move(pools);
    cursor_.clear();  // keyed by pool address
}

bool LeaseEngine::renewable(const Lease& l, const Key& k) const {
    if (l.infinite()) return true;
    if (auto r = reserved_ip_.find(l.ip); r != reserved_ip_.end() && r->second == k) return true;
    return std::any_of(config_.pools.begin(), config_.pools.end(),
                       [&](const PoolConfig& p) { return p.contains(l.ip) && p.in_range(l.ip); });
}

LeaseEngine::Key LeaseEngine::key_of(uint8_t hwtype, const Bytes& hw) {
    Key k(1, static_cast<char>(hwtype));
    k.append(hw.begin(), hw.end());
    return k;
}

LeaseEngine::Key LeaseEngine::key_of(const Packet& p) {
    const size_t n = std::min<size_t>(p.hlen, 16);
    return key_of(p.htype, Bytes(p.chaddr.begin(), p.chaddr.begin() + n));
}

const PoolConfig* LeaseEngine::pool_for(Ipv4 link) const {
    for (const auto& pool : config_.pools)
        if (pool.contains(link)) return &pool;
    return nullptr;
}

const Reservation* LeaseEngine::reservation_for(const Packet& p) const {
    auto it = reservation_by_key_.find(key_of(p));
    return it == reservation_by_key_.end() ? nullptr : &config_.reservations[it->second];
}

bool LeaseEngine::available(Ipv4 ip, const Key& k, int64_t now) const {
    if (auto it = by_ip_.find(ip); it != by_ip_.end() && it->second != k) {
        const Lease& l = leases_.at(it->second);
        if (l.infinite() || l.expiry > now) return false;
    }
    if (auto it = reserved_ip_.find(ip); it != reserved_ip_.end() && it->second != k) return false;
    if (auto it = declined_.find(ip); it != declined_.end() && it->second > now) return false;
    if (auto it = offered_ip_.find(ip); it != offered_ip_.end() && it->second != k) return false;
    return true;
}

std::optional<Ipv4> LeaseEngine::allocate(const Packet& p, const Key& k, const PoolConfig& pool, int64_t now) {
    if (const Reservation* r = reservation_for(p); r && pool.contains(r->ip)) return r->ip;
    if (auto it = leases_.find(k); it != leases_.end() && pool.contains(it->second.ip) && renewable(it->second, k) &&
                                   available(it->second.ip, k, now))
        return it->second.ip;
    // a retransmitted DISCOVER (same or new xid) gets the address already offered to this client
    for (auto it = offers_.lower_bound({k, 0}); it != offers_.end() && it->first.first == k; ++it)
        if (pool.in_range(it->second.ip) && available(it->second.ip, k, now)) return it->second.ip;
    if (auto req = p.get_ip(opt::requested_ip); req && pool.in_range(*req) && available(*req, k, now)) return *req;
    if (pool.end < pool.start) return std::nullopt;
    const uint64_t size = uint64_t{pool.end} - pool.start + 1;
    Ipv4& cursor = cursor_[&pool];
    if (cursor < pool.start || cursor > pool.end) cursor = pool.start;
    for (uint64_t n = 0; n < size; ++n) {
        Ipv4 ip = cursor;
        cursor = cursor == pool.end ? pool.start : cursor + 1;
        if ((ip & ~pool.mask) == 0 || (ip | pool.mask) == 0xffffffffu) continue;  // network / broadcast
        if (available(ip, k, now)) return ip;
    }
    return std::nullopt;
}

LeaseGrant LeaseEngine::grant_for(const PoolConfig& pool, Ipv4 ip, const Lease* lease, int64_t now) const {
    LeaseGrant g;
    g.address = ip;
    g.subnet_mask = pool.mask;
    g.broadcast = pool.network | ~pool.mask;
    g.routers = pool.routers;
    g.dns = pool.dns;
    g.domain = pool.domain;
    if (lease && lease->infinite())
        g.lease_seconds = 0xffffffffu;
    else
        g.lease_seconds = pool.lease_seconds;
    (void)now;
    return g;
}

Decision LeaseEngine::nak(std::string reason) const {
    Decision d;
    d.kind = Decision::Kind::nak;
    d.reason = std::move(reason);
    return d;
}

void LeaseEngine::erase_lease(const Key& k) {
    auto it = leases_.find(k);
    if (it == leases_.end()) return;
    if (auto b = by_ip_.find(it->second.ip); b != by_ip_.end() && b->second == k) by_ip_.erase(b);
    leases_.erase(it);
    dirty_ = true;
}

Decision LeaseEngine::ack(const Packet& p, const Key& k, const PoolConfig& pool, Ipv4 ip, int64_t now) {
    Lease* existing = nullptr;
    if (auto it = leases_.find(k); it != leases_.end()) {
        if (it->second.ip != ip) {
            erase_lease(k);
        } else {
            existing = &it->second;
        }
    }
    // a stale (expired) lease of another client on this address goes away
    if (auto b = by_ip_.find(ip); b != by_ip_.end() && b->second != k) erase_lease(b->second);
    const Reservation* r = reservation_for(p);
    Lease& l = leases_[k];
    const bool keep_infinite = existing && existing->infinite();
    l.hwtype = p.htype;
    l.hwaddr = Bytes(p.chaddr.begin(), p.chaddr.begin() + std::min<size_t>(p.hlen, 16));
    l.ip = ip;
    l.expiry = keep_infinite ? 0 : now + pool.lease_seconds;
    if (auto cid = p.get(opt::client_id)) l.client_id = *cid;
    if (r && !r->hostname.empty())
        l.hostname = r->hostname;
    else if (auto hn = p.get_string(opt::hostname)) {
        std::string clean;
        for (char c : *hn)
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') clean += c;
        if (!clean.empty()) l.hostname = clean;
    }
    by_ip_[ip] = k;
    offers_.erase({k, p.xid});
    if (auto o = offered_ip_.find(ip); o != offered_ip_.end() && o->second == k) offered_ip_.erase(o);
    dirty_ = true;
    Decision d;
    d.kind = Decision::Kind::ack;
    d.grant = grant_for(pool, ip, &l, now);
    d.hostname = l.hostname;
    return d;
}

Decision LeaseEngine::handle(const Packet& p, Ipv4 server_id, Ipv4 link, int64_t now) {
    Decision ignore;
    auto mt = p.message_type();
    if (!mt) {
        ignore.reason = "no message type";
        return ignore;
    }
    const PoolConfig* pool = pool_for(link);
    const Key k = key_of(p);
    const auto sid = p.get_ip(opt::server_id);
    switch (*mt) {
        case MessageType::discover: {
            if (!pool) {
                ignore.reason = fmt::format("no pool for link {}", ip_str(link));
                return ignore;
            }
            auto ip = allocate(p, k, *pool, now);
            if (!ip) {
                ignore.reason = "pool exhausted";
                return ignore;
            }
            // one outstanding offer per client: forget older transactions of the same chaddr
            for (auto it = offers_.lower_bound({k, 0}); it != offers_.end() && it->first.first == k;) {
                if (it->second.ip != *ip) offered_ip_.erase(it->second.ip);
                it = offers_.erase(it);
            }
            offers_[{k, p.xid}] = Offer{*ip, now + config_.offer_hold_seconds};
            offered_ip_[*ip] = k;
            Decision d;
            d.kind = Decision::Kind::offer;
            auto it = leases_.find(k);
            const bool holds = it != leases_.end() && it->second.ip == *ip;
            d.grant = grant_for(*pool, *ip, holds ? &it->second : nullptr, now);
            const Reservation* r = reservation_for(p);
            if (r) d.hostname = r->hostname;
            d.fresh = !holds && !(r && r->ip == *ip);
            return d;
        }
        case MessageType::request: {
            if (sid) {  // SELECTING
                if (*sid != server_id) {
                    // the client chose another server: release what we offered it
                    if (auto o = offers_.find({k, p.xid}); o != offers_.end()) {
                        offered_ip_.erase(o->second.ip);
                        offers_.erase(o);
                    }
                    ignore.reason = fmt::format("server id {} is not ours", ip_str(*sid));
                    return ignore;
                }
                auto req = p.get_ip(opt::requested_ip);
                Ipv4 want = req ? *req : p.ciaddr;
                if (!pool) return nak(fmt::format("no pool for link {}", ip_str(link)));
                if (!pool->contains(want)) return nak(fmt::format("{} is not on this subnet", ip_str(want)));
                bool ours_to_give = false;
                if (auto o = offers_.find({k, p.xid}); o != offers_.end() && o->second.ip == want) ours_to_give = true;
                if (auto it = leases_.find(k); it != leases_.end() && it->second.ip == want && renewable(it->second, k))
                    ours_to_give = true;
                if (const Reservation* r = reservation_for(p); r && r->ip == want) ours_to_give = true;
                if (!ours_to_give && !(pool->in_range(want) && available(want, k, now)))
                    return nak(fmt::format("{} was not offered to this client", ip_str(want)));
                if (!available(want, k, now)) return nak(fmt::format("{} is in use", ip_str(want)));
                return ack(p, k, *pool, want, now);
            }
            if (p.ciaddr == 0) {  // INIT-REBOOT
                auto req = p.get_ip(opt::requested_ip);
                if (!req) {
                    ignore.reason = "REQUEST without server id, requested address or ciaddr";
                    return ignore;
                }
                if (!pool) return nak(fmt::format("no pool for link {}", ip_str(link)));
                if (!pool->contains(*req)) return nak(fmt::format("{} is on a foreign subnet", ip_str(*req)));
                if (const Reservation* r = reservation_for(p); r && r->ip != *req)
                    return nak(fmt::format("{} is reserved {}", ip_str(r->ip), "for this client"));
                if (auto it = leases_.find(k);
                    it != leases_.end() && it->second.ip != *req && (it->second.infinite() || it->second.expiry > now))
                    return nak(fmt::format("client holds {}, not {}", ip_str(it->second.ip), ip_str(*req)));
                if (!available(*req, k, now)) return nak(fmt::format("{} is in use", ip_str(*req)));
                auto it = leases_.find(k);
                const bool known = it != leases_.end() && it->second.ip == *req;
                if (known && !renewable(it->second, k))
                    return nak(fmt::format("{} is no longer in a pool range", ip_str(*req)));
                if (!known && !pool->in_range(*req) && !reservation_for(p))
                    return nak(fmt::format("{} is outside the pool", ip_str(*req)));
                return ack(p, k, *pool, *req, now);
            }
            // RENEWING (unicast) / REBINDING (broadcast): ciaddr set
            const PoolConfig* cpool = pool && pool->contains(p.ciaddr) ? pool : pool_for(p.ciaddr);
            if (!cpool) return nak(fmt::format("{} is on a foreign subnet", ip_str(p.ciaddr)));
            auto it = leases_.find(k);
            if (it != leases_.end() && it->second.ip == p.ciaddr) {
                if (!renewable(it->second, k))
                    return nak(fmt::format("{} is no longer in a pool range", ip_str(p.ciaddr)));
                return ack(p, k, *cpool, p.ciaddr, now);
            }
            if (available(p.ciaddr, k, now) && (cpool->in_range(p.ciaddr) || reservation_for(p)))
                return ack(p, k, *cpool, p.ciaddr, now);
            return nak(fmt::format("{} is not leased to this client", ip_str(p.ciaddr)));
        }
        case MessageType::decline: {
            if (sid && *sid != server_id) {
                ignore.reason = "DECLINE for another server";
                return ignore;
            }
            auto req = p.get_ip(opt::requested_ip);
            if (!req) {
                ignore.reason = "DECLINE without requested address";
                return ignore;
            }
            if (auto it = leases_.find(k); it != leases_.end() && it->second.ip == *req) erase_lease(k);
            declined_[*req] = now + config_.decline_hold_seconds;
            offered_ip_.erase(*req);
            dirty_ = true;
            ignore.reason = fmt::format("{} declined; held for {} s", ip_str(*req), config_.decline_hold_seconds);
            return ignore;
        }
        case MessageType::release: {
            if (sid && *sid != server_id) {
                ignore.reason = "RELEASE for another server";
                return ignore;
            }
            auto it = leases_.find(k);
            if (it != leases_.end() && it->second.ip == p.ciaddr && !it->second.infinite()) {
                erase_lease(k);
                ignore.reason = fmt::format("{} released", ip_str(p.ciaddr));
            } else {
                ignore.reason = fmt::format("RELEASE of {} which this client does not hold", ip_str(p.ciaddr));
            }
            return ignore;
        }
        case MessageType::inform: {
            const PoolConfig* ipool = pool_for(p.ciaddr) ? pool_for(p.ciaddr) : pool;
            if (!ipool) {
                ignore.reason = "INFORM from a foreign subnet";
                return ignore;
            }
            Decision d;
            d.kind = Decision::Kind::ack;
            d.inform = true;
            d.grant = grant_for(*ipool, 0, nullptr, now);
            return d;
        }
        default: ignore.reason = fmt::format("{} is not for a server", message_type_name(*mt)); return ignore;
    }
}

void LeaseEngine::load(const std::vector<Lease>& leases, const std::vector<Declined>& declined, int64_t now) {
    for (const auto& l : leases) {
        if (!l.infinite() && l.expiry <= now) continue;
        Key k = key_of(l.hwtype, l.hwaddr);
        if (auto b = by_ip_.find(l.ip); b != by_ip_.end()) leases_.erase(b->second);
        if (auto old = leases_.find(k); old != leases_.end()) by_ip_.erase(old->second.ip);
        leases_[k] = l;
        by_ip_[l.ip] = k;
    }
    for (const auto& d : declined)
        if (d.until > now) declined_[d.ip] = d.until;
}

std::vector<Lease> LeaseEngine::leases() const {
    std::vector<Lease> out;
    out.reserve(leases_.size());
    for (const auto& [k, l] : leases_) out.push_back(l);
    std::sort(out.begin(), out.end(), [](const Lease& a, const Lease& b) { return a.ip < b.ip; });
    return out;
}

std::vector<Declined> LeaseEngine::declined() const {
    std::vector<Declined> out;
    for (const auto& [ip, until] : declined_) out.push_back(Declined{ip, until});
    std::sort(out.begin(), out.end(), [](const Declined& a, const Declined& b) { return a.ip < b.ip; });
    return out;
}

size_t LeaseEngine::reap(int64_t now) {
    size_t n = 0;
    for (auto it = leases_.begin(); it != leases_.end();) {
        if (!it->second.infinite() && it->second.expiry <= now) {
            if (auto b = by_ip_.find(it->second.ip); b != by_ip_.end() && b->second == it->first) by_ip_.erase(b);
            it = leases_.erase(it);
            ++n;
        } else {
            ++it;
        }
    }
    for (auto it = declined_.begin(); it != declined_.end();) {
        if (it->second <= now) {
            it = declined_.erase(it);
            dirty_ = true;
        } else {
            ++it;
        }
    }
    for (auto it = offers_.begin(); it != offers_.end();) {
        if (it->second.until <= now) {
            if (auto o = offered_ip_.find(it->second.ip); o != offered_ip_.end() && o->second == it->first.first)
                offered_ip_.erase(o);
            it = offers_.erase(it);
        } else {
            ++it;
        }
    }
    if (n) dirty_ = true;
    return n;
}

void LeaseEngine::add(const Lease& lease) {
    Key k = key_of(lease.hwtype, lease.hwaddr);
    erase_lease(k);
    if (auto b = by_ip_.find(lease.ip); b != by_ip_.end()) erase_lease(b->second);
    leases_[k] = lease;
    by_ip_[lease.ip] = k;
    dirty_ = true;
}

void LeaseEngine::mark_in_use(Ipv4 ip, int64_t until) {
    declined_[ip] = until;
    offered_ip_.erase(ip);
    std::erase_if(offers_, [ip](const auto& o) { return o.second.ip == ip; });
    dirty_ = true;
}

namespace {
bool same_lease(const Lease& a, const Lease& b) {
    return a.ip == b.ip && a.expiry == b.expiry && a.hostname == b.hostname && a.client_id == b.client_id &&
           a.hwtype == b.hwtype && a.hwaddr == b.hwaddr;
}
}  // namespace

ExternalChanges LeaseEngine::apply_external(const std::vector<Lease>& before, const std::vector<Lease>& after,
                                            int64_t now) {
    ExternalChanges c;
    std::unordered_map<Key, const Lease*> old, fresh;
    for (const auto& l : before) old[key_of(l.hwtype, l.hwaddr)] = &l;
    for (const auto& l : after) fresh[key_of(l.hwtype, l.hwaddr)] = &l;
    for (const auto& [k, l] : old) {
        if (fresh.count(k)) continue;
        // removed there; unless the client has since been given another address here
        if (auto it = leases_.find(k); it != leases_.end() && it->second.ip == l->ip) {
            erase_lease(k);
            ++c.removed;
        }
    }
    for (const auto& l : after) {
        auto o = old.find(key_of(l.hwtype, l.hwaddr));
        if (o != old.end() && same_lease(*o->second, l)) continue;
        if (!l.infinite() && l.expiry <= now) continue;
        add(l);
        ++c.added;
    }
    return c;
}

bool LeaseEngine::remove_mac(const Bytes& hwaddr) {
    Key k = key_of(1, hwaddr);
    if (!leases_.count(k)) return false;
    erase_lease(k);
    return true;
}

bool LeaseEngine::remove_ip(Ipv4 ip) {
    auto b = by_ip_.find(ip);
    if (b == by_ip_.end()) return false;
    erase_lease(b->second);
    return true;
}

}  // namespace mb::dhcp
