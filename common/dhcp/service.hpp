#pragma once
// One request in, one decision out: classification, the lease engine (full mode) and the reply
// builder glued together, with the RFC 2131 §4.1 destination. Pure (time passed in), shared by
// `mb-dhcp serve` and `mb-dhcp replay` so both answer exactly the same.
#include <functional>
#include <optional>
#include <string>

#include "dhcp/addressing.hpp"
#include "dhcp/classify.hpp"
#include "dhcp/lease_engine.hpp"
#include "dhcp/packet.hpp"
#include "dhcp/reply.hpp"

namespace mb::dhcp {

struct ServiceConfig {
    ServerMode mode = ServerMode::proxy;
    ClassifyConfig classify;
    BootSettings boot;  // server_id is filled per packet from the ingress address
};

struct Ingress {
    Ipv4 local_address = 0;  // our address on the interface the request arrived on
    Ipv4 src_ip = 0;
    uint16_t src_port = 68;
    bool pxe_port = false;  // arrived on UDP 4011 (PXE boot server / BINL)
};

struct Outcome {
    Classification cls;
    std::optional<Packet> reply;
    Destination destination;
    std::string note;    // why there is no reply, or what the engine decided
    bool probe = false;  // full-mode OFFER of an address the client does not hold yet: ping it first
};

using DeviceLookup = std::function<DeviceChoices(const Packet& request)>;

class Service {
public:
    // `engine` may be null in proxy mode; it must outlive the service.
    Service(ServiceConfig config, LeaseEngine* engine, DeviceLookup devices);
    Outcome handle(const Packet& request, const Ingress& ingress, int64_t now);
    const ServiceConfig& config() const { return config_; }

private:
    ServiceConfig config_;
    BootSettings boot_;  // config_.boot with the per-packet server address filled in
    LeaseEngine* engine_;
    DeviceLookup devices_;
};

}  // namespace mb::dhcp
