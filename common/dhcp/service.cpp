#include "dhcp/service.hpp"

#include <fmt/format.h>

namespace mb::dhcp {

Service::Service(ServiceConfig config, LeaseEngine* engine, DeviceLookup devices)
    : config_(std::move(config)), boot_(config_.boot), engine_(engine), devices_(std::move(devices)) {}

Outcome Service::handle(const Packet& q, const Ingress& in, int64_t now) {
    Outcome out;
    if (q.op != 1) {
        out.note = "not a BOOTREQUEST";
        return out;
    }
    auto mt = q.message_type();
    if (!mt) {
        out.note = "no DHCP message type (BOOTP is not served)";
        return out;
    }
    out.cls = classify(q, config_.classify);
    DeviceChoices device = devices_ ? devices_(q) : DeviceChoices{};
    BootSettings& boot = boot_;  // no per-packet copy of the strings
    boot.server_id = in.local_address;
    boot.tftp_server = config_.boot.tftp_server ? config_.boot.tftp_server : in.local_address;

    if (in.pxe_port) {  // BINL / PXE boot server on 4011: ACK with the boot file, no address
        if (*mt != MessageType::request && *mt != MessageType::inform) {
            out.note = fmt::format("{} on port 4011 ignored", message_type_name(*mt));
            return out;
        }
        out.reply = build_reply(ReplyRequest{q, out.cls, MessageType::ack, ServerMode::proxy, boot, device, nullptr});
        if (!out.reply) out.note = "nothing to boot on port 4011";
    } else if (config_.mode == ServerMode::full && engine_) {
        Ipv4 link = q.giaddr ? q.giaddr : in.local_address;
        Decision d = engine_->handle(q, in.local_address, link, now);
        out.note = d.reason;
        if (device.hostname.empty()) device.hostname = d.hostname;
        switch (d.kind) {
            case Decision::Kind::ignore: return out;
            case Decision::Kind::nak: out.reply = build_nak(q, in.local_address, d.reason); break;
            case Decision::Kind::offer:
            case Decision::Kind::ack: {
                MessageType t = d.kind == Decision::Kind::offer ? MessageType::offer : MessageType::ack;
                out.probe = d.kind == Decision::Kind::offer && d.fresh;
                out.reply =
                    build_reply(ReplyRequest{q, out.cls, t, ServerMode::full, boot, device, &d.grant, d.inform});
                break;
            }
        }
    } else {
        if (*mt != MessageType::discover) {
            out.note = fmt::format("proxy mode answers only DISCOVER on port 67, not {}", message_type_name(*mt));
            return out;
        }
        out.reply = build_reply(ReplyRequest{q, out.cls, MessageType::offer, ServerMode::proxy, boot, device, nullptr});
        if (!out.reply)
            out.note = device.allow_pxe
                           ? fmt::format("{} client: nothing to offer in proxy mode", class_name(out.cls.cls))
                           : "allow_pxe is false for this device";
    }
    if (out.reply) out.destination = reply_destination(q, *out.reply, in.pxe_port, in.src_ip, in.src_port);
    return out;
}

}  // namespace mb::dhcp
