// Fuzz target: the TFTP packet codec, option negotiation and name normalisation. Any input must
// decode to a Packet or a Malformed without crashing; a decoded request must re-encode and decode
// to the same request; negotiation must never grant more than the limits.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "core/strings.hpp"
#include "tftp/options.hpp"
#include "tftp/packet.hpp"
#include "tftp/path.hpp"

using namespace mb::tftp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> bytes(data, size);
    Decoded d = decode(bytes);
    auto* p = std::get_if<Packet>(&d);
    if (!p) return 0;
    if (auto* r = std::get_if<Request>(p)) {
        std::vector<uint8_t> out;
        encode_request(*r, out);
        Decoded again = decode(out);
        auto* p2 = std::get_if<Packet>(&again);
        if (!p2) std::abort();
        auto* r2 = std::get_if<Request>(p2);
        if (!r2 || r2->filename != r->filename || r2->mode != r->mode || r2->options != r->options) std::abort();
        Limits lim;
        lim.max_windowsize = 64;
        for (std::optional<uint64_t> sz : {std::optional<uint64_t>(size), std::optional<uint64_t>()}) {
            Negotiated n = negotiate(*r, sz, lim);
            if (n.blksize < kMinBlockSize || n.blksize > lim.max_blksize) std::abort();
            if (n.windowsize < 1 || n.windowsize > lim.max_windowsize) std::abort();
            if (n.oack.size() > 4) std::abort();
            if (r->mode != Mode::octet && (n.tsize || n.windowsize != 1)) std::abort();
        }
        auto norm = normalize_name(r->filename);
        if (auto* s = std::get_if<std::string>(&norm)) {
            if (s->empty() || s->front() == '/' || s->find('\\') != std::string::npos) std::abort();
            for (const auto& c : mb::split(*s, '/'))
                if (c == ".." || c == "." || c.empty()) std::abort();
        }
    } else if (auto* o = std::get_if<OackPacket>(p)) {
        std::vector<uint8_t> out;
        encode_oack(o->options, out);
        if (out.size() != size) std::abort();
    }
    return 0;
}
