#include "tftp/transfer.hpp"

#include <algorithm>

namespace mb::tftp {

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::running: return "running";
        case Outcome::completed: return "completed";
        case Outcome::completed_unacked: return "completed-unacked";
        case Outcome::probe_aborted: return "probe";
        case Outcome::client_error: return "client-error";
        case Outcome::timed_out: return "timed-out";
        case Outcome::failed: return "failed";
        case Outcome::unreachable: return "unreachable";
    }
    return "unknown";
}

bool outcome_ok(Outcome outcome) {
    return outcome == Outcome::completed || outcome == Outcome::completed_unacked || outcome == Outcome::probe_aborted;
}

Transfer::Transfer(const DataSource& source, Negotiated negotiated, RetryPolicy policy)
    : source_(source), negotiated_(std::move(negotiated)), policy_(policy), size_(source.size()) {
    if (negotiated_.blksize < kMinBlockSize) negotiated_.blksize = kMinBlockSize;
    if (negotiated_.windowsize < 1) negotiated_.windowsize = 1;
    last_block_ = size_ / negotiated_.blksize + 1;  // the last block is short (possibly empty)
}

std::chrono::milliseconds Transfer::rto() const {
    if (negotiated_.timeout_s) return std::chrono::seconds(*negotiated_.timeout_s);
    auto r = policy_.initial_rto;
    for (unsigned i = 0; i < retries_ && r < policy_.max_rto; ++i) r *= 2;
    return std::min(r, std::max(policy_.max_rto, policy_.initial_rto));
}

Actions Transfer::arm(Actions a, Time now) {
    deadline_ = now + rto();
    a.timer = deadline_;
    return a;
}

Actions Transfer::finish(Outcome outcome) {
    state_ = State::done;
    outcome_ = outcome;
    Actions a;
    a.done = true;
    return a;
}

Actions Transfer::fail() {
    return finish(Outcome::failed);
}

Actions Transfer::peer_unreachable() {
    if (state_ == State::done) return {};
    return finish(Outcome::unreachable);
}

Actions Transfer::start(Time now) {
    if (state_ != State::idle) return {};
    if (!negotiated_.oack.empty()) {
        state_ = State::oack_sent;
        Actions a;
        a.send_oack = true;
        stats_.packets_sent++;
        return arm(a, now);
    }
    state_ = State::sending;
    return send_window(now, false);
}

Actions Transfer::send_window(Time now, bool retransmit) {
    Actions a;
    window_end_ = std::min(last_block_, base_ + negotiated_.windowsize - 1);
    a.data_first = base_;
    a.data_count = window_end_ - base_ + 1;
    stats_.packets_sent += a.data_count;
    if (retransmit) stats_.retransmits += a.data_count;
    return arm(a, now);
}

Actions Transfer::on_packet(std::span<const uint8_t> bytes, Time now) {
    if (state_ == State::done) return {};
    // The per-block hot path: an ACK needs no general decode.
    if (bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == static_cast<uint8_t>(Opcode::ack)) {
        if (state_ == State::idle) return {};
        return on_ack(static_cast<uint16_t>(bytes[2] << 8 | bytes[3]), now);
    }
    Decoded d = decode(bytes);
    if (auto* p = std::get_if<Packet>(&d)) return on_packet(*p, now);
    stats_.stray_packets++;
    return {};
}

Actions Transfer::on_packet(const Packet& packet, Time now) {
    if (state_ == State::done || state_ == State::idle) return {};
    if (auto* ack = std::get_if<AckPacket>(&packet)) return on_ack(ack->block, now);
    if (auto* err = std::get_if<ErrorPacket>(&packet)) return on_error(*err);
    if (std::holds_alternative<Request>(packet)) {
        const auto& r = std::get<Request>(packet);
        if (r.opcode == Opcode::rrq) return on_duplicate_request(now);
    }
    stats_.stray_packets++;  // DATA/OACK/WRQ on a read transfer: ignored
    return {};
}

Actions Transfer::on_error(const ErrorPacket& e) {
    stats_.client_error = e.message;
    stats_.client_error_code = e.code;
    const bool probe = state_ == State::oack_sent && (e.code == 0 || e.code == 8);
    return finish(probe ? Outcome::probe_aborted : Outcome::client_error);
}

Actions Transfer::on_ack(uint16_t wire, Time now) {
    if (state_ == State::oack_sent) {
        if (wire != 0) {
            stats_.stray_packets++;
            return {};
        }
        state_ = State::sending;
        retries_ = 0;
        base_ = 1;
        return send_window(now, false);
    }
    // sending: the ACK must name a block in [base-1, window_end], compared modulo 65536.
    const uint64_t prev = base_ - 1;
    const uint64_t offset = static_cast<uint16_t>(wire - static_cast<uint16_t>(prev));
    const uint64_t block = prev + offset;
    if (offset == 0) {
        stats_.duplicate_acks++;  // never resend on a duplicate ACK
        return {};
    }
    if (block > window_end_) {
        stats_.stray_packets++;  // not in the current window (stale or bogus)
        return {};
    }
    stats_.bytes_acked = std::min<uint64_t>(size_, block * negotiated_.blksize);
    if (block == last_block_) return finish(Outcome::completed);
    base_ = block + 1;
    retries_ = 0;
    return send_window(now, false);
}

Actions Transfer::on_duplicate_request(Time now) {
    if (state_ == State::oack_sent) {
        // Lost OACK: answer again now, from this session.
        Actions a;
        a.send_oack = true;
        stats_.packets_sent++;
        stats_.retransmits++;
        return arm(a, now);
    }
    if (state_ == State::sending && base_ == 1 && negotiated_.oack.empty()) return send_window(now, true);
    stats_.stray_packets++;
    return {};
}

Actions Transfer::on_timer(Time now) {
    if (state_ == State::done || state_ == State::idle) return {};
    if (now < deadline_) {
        Actions a;
        a.timer = deadline_;
        return a;
    }
    if (retries_ >= policy_.max_retries) {
        // The last window was sent and only its ACK is missing: a client that never sends the
        // final ACK. Otherwise the client went away.
        if (state_ == State::sending && window_end_ == last_block_) return finish(Outcome::completed_unacked);
        return finish(Outcome::timed_out);
    }
    retries_++;
    if (state_ == State::oack_sent) {
        Actions a;
        a.send_oack = true;
        stats_.packets_sent++;
        stats_.retransmits++;
        return arm(a, now);
    }
    return send_window(now, true);
}

size_t Transfer::encode_block(uint64_t block, std::span<uint8_t> out) const {
    const uint64_t offset = (block - 1) * negotiated_.blksize;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(negotiated_.blksize, offset < size_ ? size_ - offset : 0));
    write_data_header(static_cast<uint16_t>(block & 0xffff), out);
    size_t n = 0;
    if (want > 0) n = source_.read(offset, out.subspan(4, want));
    return 4 + n;
}

}  // namespace mb::tftp
