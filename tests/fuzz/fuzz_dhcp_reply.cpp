// Fuzz target: classification + reply builder + RFC 2131 addressing + the lease engine, fed with
// whatever parses as a request. Replies must always pack within the client's limit or be refused
// with mb::Error, never crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "dhcp/addressing.hpp"
#include "dhcp/classify.hpp"
#include "dhcp/lease_engine.hpp"
#include "dhcp/reply.hpp"
#include "dhcp/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mb::dhcp;
    Packet q;
    try {
        q = Packet::unpack(std::span<const uint8_t>(data, size));
    } catch (const mb::Error&) {
        return 0;
    }
    static EngineConfig engine_config = [] {
        EngineConfig c;
        PoolConfig p;
        p.network = 0x0a630000;
        p.mask = 0xffff0000;
        p.start = 0x0a63000a;
        p.end = 0x0a630014;
        p.routers = {0x0a630001};
        c.pools.push_back(p);
        return c;
    }();
    static LeaseEngine engine(engine_config);
    static int64_t now = 1000;
    now += 7;
    if (now % 1000 == 0) engine.reap(now);
    for (ServerMode mode : {ServerMode::proxy, ServerMode::full}) {
        ServiceConfig cfg;
        cfg.mode = mode;
        cfg.boot.http_base_url = "http://10.99.0.1:8080";
        Service service(cfg, mode == ServerMode::full ? &engine : nullptr, [](const Packet& p) {
            DeviceChoices d;
            d.allow_pxe = p.chaddr[5] != 0xff;
            if (p.chaddr[4] == 0xaa) d.arch_override = 0x0b;
            return d;
        });
        for (bool pxe_port : {false, true}) {
            Outcome out = service.handle(q, Ingress{0x0a630001, 0, 68, pxe_port}, now);
            if (!out.reply) continue;
            try {
                Bytes wire = out.reply->pack(max_reply_size(q));
                if (wire.size() > max_reply_size(q)) __builtin_trap();
                (void)Packet::unpack(wire);
            } catch (const mb::Error&) {
            }
            (void)out.destination.describe();
        }
    }
    return 0;
}
