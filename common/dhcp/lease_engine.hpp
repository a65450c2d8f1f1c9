#pragma once
// The full-mode address server as a pure state machine (RFC 2131 §4.3): pools, static
// reservations, DISCOVER / REQUEST (selecting, init-reboot, renewing, rebinding) / DECLINE /
// RELEASE / INFORM, NAK rules, the server-id check, declined addresses, expiry. Time is passed in;
// no I/O. Pending offers are keyed on (chaddr, xid), never on xid alone (old Pi ROMs all use
// xid 0x26f30339).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dhcp/lease_file.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/reply.hpp"

namespace mb::dhcp {

struct PoolConfig {
    Ipv4 network = 0;
    Ipv4 mask = 0;
    Ipv4 start = 0;  // first and last address handed out dynamically (inclusive)
    Ipv4 end = 0;
    std::vector<Ipv4> routers;
    std::vector<Ipv4> dns;
    std::string domain;
    uint32_t lease_seconds = 3600;
    bool contains(Ipv4 ip) const { return (ip & mask) == network; }
    bool in_range(Ipv4 ip) const { return ip >= start && ip <= end; }
};

struct Reservation {
    Bytes hwaddr;  // 6 bytes
    Ipv4 ip = 0;
    std::string hostname;
};

struct EngineConfig {
    std::vector<PoolConfig> pools;
    std::vector<Reservation> reservations;
    uint32_t offer_hold_seconds = 30;     // an OFFER reserves its address this long
    uint32_t decline_hold_seconds = 600;  // a DECLINEd address is not offered this long
};

struct Decision {
    enum class Kind { ignore, offer, ack, nak };
    Kind kind = Kind::ignore;
    LeaseGrant grant;      // address + network options (INFORM: address 0)
    std::string hostname;  // from a reservation or the stored lease
    std::string reason;    // for the log: why ignored / NAKed
    bool inform = false;
    bool fresh = false;  // offer of an address this client does not hold yet (probe it first)
};

// What an out-of-band edit of the lease file changed (LeaseEngine::apply_external).
struct ExternalChanges {
    size_t added = 0;    // new or changed lines, applied to the table
    size_t removed = 0;  // lines that disappeared, removed from the table
};

class LeaseEngine {
public:
    explicit LeaseEngine(EngineConfig config);

    // `link` selects the subnet: giaddr when relayed, else the ingress interface's address.
    Decision handle(const Packet& request, Ipv4 server_id, Ipv4 link, int64_t now);

    // Replaces the static reservations (device records changed); leases and offers stay.
    void set_reservations(std::vector<Reservation> reservations);
    // Replaces the pools (config reload). Leases stay until they expire, but a finite lease whose
    // address is no longer inside a pool's range is not renewed (NAK) and not offered again.
    void set_pools(std::vector<PoolConfig> pools);
    const std::vector<PoolConfig>& pools() const { return config_.pools; }

    // Someone else edited the lease file: `before` is the content this engine last read or wrote,
    // `after` what is on disk now. Lines added or changed there are applied (like add()), lines
    // removed there are removed here unless the client has moved to another address since.
    ExternalChanges apply_external(const std::vector<Lease>& before, const std::vector<Lease>& after, int64_t now);
    // An address answered a ping before being offered: keep it out of offers until `until`.
    void mark_in_use(Ipv4 ip, int64_t until);

    // Restores leases (from the lease file) and declined addresses.
    void load(const std::vector<Lease>& leases, const std::vector<Declined>& declined, int64_t now);
    std::vector<Lease> leases() const;  // sorted by address
    std::vector<Declined> declined() const;
    // Drops expired leases, declined entries and offers; returns how many leases were removed.
    size_t reap(int64_t now);

    // Static add/remove (the `leases add|rm` verbs). add replaces any lease of that MAC or IP.
    void add(const Lease& lease);
    bool remove_mac(const Bytes& hwaddr);
    bool remove_ip(Ipv4 ip);

    // Set when leases or declined addresses changed since the last clear (persist then).
    bool dirty() const { return dirty_; }
    void clear_dirty() { dirty_ = false; }
    size_t size() const { return leases_.size(); }

private:
    struct Offer {
        Ipv4 ip;
        int64_t until;
    };
    using Key = std::string;  // htype + hwaddr bytes
    static Key key_of(const Packet& p);
    static Key key_of(uint8_t hwtype, const Bytes& hw);

    const PoolConfig* pool_for(Ipv4 link) const;
    const Reservation* reservation_for(const Packet& p) const;
    bool available(Ipv4 ip, const Key& for_key, int64_t now) const;
    // Whether `l` may be offered again / renewed: inside a pool's range, reserved, or static (infinite).
    bool renewable(const Lease& l, const Key& k) const;
    std::optional<Ipv4> allocate(const Packet& p, const Key& k, const PoolConfig& pool, int64_t now);
    LeaseGrant grant_for(const PoolConfig& pool, Ipv4 ip, const Lease* lease, int64_t now) const;
    Decision ack(const Packet& p, const Key& k, const PoolConfig& pool, Ipv4 ip, int64_t now);
    Decision nak(std::string reason) const;
    void erase_lease(const Key& k);

    EngineConfig config_;
    std::unordered_map<Key, Lease> leases_;
    std::unordered_map<Ipv4, Key> by_ip_;
    std::map<std::pair<Key, uint32_t>, Offer> offers_;  // (chaddr, xid)
    std::unordered_map<Ipv4, Key> offered_ip_;
    std::unordered_map<Ipv4, int64_t> declined_;
    std::unordered_map<Ipv4, Key> reserved_ip_;
    std::unordered_map<Key, size_t> reservation_by_key_;
    std::unordered_map<const PoolConfig*, Ipv4> cursor_;
    bool dirty_ = false;
};

}  // namespace mb::dhcp
