#include "tftp/receive.hpp"

#include <algorithm>

namespace mb::tftp {

std::string_view receive_outcome_name(ReceiveOutcome outcome) {
    switch (outcome) {
        case ReceiveOutcome::running: return "running";
        case ReceiveOutcome::completed: return "completed";
        case ReceiveOutcome::client_error: return "client-error";
        case ReceiveOutcome::timed_out: return "timed-out";
        case ReceiveOutcome::too_large: return "too-large";
        case ReceiveOutcome::failed: return "failed";
    }
    return "unknown";
}

Receive::Receive(Negotiated negotiated, uint64_t max_bytes, RetryPolicy policy)
    : negotiated_(std::move(negotiated)), max_bytes_(max_bytes), policy_(policy) {
    if (negotiated_.blksize < kMinBlockSize) negotiated_.blksize = kMinBlockSize;
    negotiated_.windowsize = 1;
}

std::chrono::milliseconds Receive::rto() const {
    if (negotiated_.timeout_s) return std::chrono::seconds(*negotiated_.timeout_s);
    auto r = policy_.initial_rto;
    for (unsigned i = 0; i < retries_ && r < policy_.max_rto; ++i) r *= 2;
    return std::min(r, std::max(policy_.max_rto, policy_.initial_rto));
}

ReceiveActions Receive::arm(ReceiveActions a, Time now) {
    deadline_ = now + rto();
    a.timer = deadline_;
    return a;
}

ReceiveActions Receive::finish(ReceiveOutcome outcome, ReceiveActions a) {
    state_ = State::done;
    if (outcome_ == ReceiveOutcome::running || outcome != ReceiveOutcome::completed) outcome_ = outcome;
    a.done = true;
    a.timer.reset();
    return a;
}

ReceiveActions Receive::start(Time now) {
    if (state_ != State::idle) return {};
    state_ = State::waiting;
    ReceiveActions a;
    if (!negotiated_.oack.empty())
        a.send_oack = true;
    else
        a.send_ack = 0;
    return arm(a, now);
}

// The last thing we sent, again: OACK / ACK 0 before any DATA, else the ACK of the last block.
ReceiveActions Receive::resend(Time now) {
    ReceiveActions a;
    if (next_ == 1 && !negotiated_.oack.empty())
        a.send_oack = true;
    else
        a.send_ack = static_cast<uint16_t>((next_ - 1) & 0xffff);
    return arm(a, now);
}

ReceiveActions Receive::on_packet(std::span<const uint8_t> bytes, Time now) {
    if (state_ == State::done || state_ == State::idle) return {};
    Decoded d = decode(bytes);
    auto* p = std::get_if<Packet>(&d);
    if (!p) {
        stats_.stray_packets++;
        return {};
    }
    if (auto* data = std::get_if<DataPacket>(p)) return on_data(*data, now);
    if (auto* e = std::get_if<ErrorPacket>(p)) {
        if (state_ == State::dallying) return finish(ReceiveOutcome::completed);
        stats_.client_error = e->message;
        stats_.client_error_code = e->code;
        return finish(ReceiveOutcome::client_error);
    }
    if (auto* r = std::get_if<Request>(p); r && r->opcode == Opcode::wrq) return on_duplicate_request(now);
    stats_.stray_packets++;
    return {};
}

ReceiveActions Receive::on_data(const DataPacket& d, Time now) {
    const auto expected = static_cast<uint16_t>(next_ & 0xffff);
    const auto previous = static_cast<uint16_t>((next_ - 1) & 0xffff);
    if (d.block != expected || state_ == State::dallying) {
        if (d.block == previous && next_ > 1) {
            // Our ACK was lost: ACK that block again, write nothing. Not a timeout resend, so the
            // deadline stays where it is.
            stats_.duplicates++;
            ReceiveActions a;
            a.send_ack = previous;
            return a;
        }
        stats_.stray_packets++;
        return {};
    }
    if (d.payload.size() > negotiated_.blksize) {
        stats_.stray_packets++;
        ReceiveActions a;
        a.send_error = ErrorCode::illegal_operation;
        a.error_message = "DATA larger than the block size";
        return finish(ReceiveOutcome::failed, std::move(a));
    }
    if (stats_.bytes + d.payload.size() > max_bytes_) {
        ReceiveActions a;
        a.send_error = ErrorCode::disk_full;
        a.error_message = "File too large for this server";
        return finish(ReceiveOutcome::too_large, std::move(a));
    }
    stats_.blocks++;
    stats_.bytes += d.payload.size();
    retries_ = 0;
    ReceiveActions a;
    a.write = d.payload;
    a.send_ack = expected;
    next_++;
    if (d.payload.size() < negotiated_.blksize) {
        a.commit = true;
        committed_ = true;
        outcome_ = ReceiveOutcome::completed;
        state_ = State::dallying;  // re-ACK a repeated last DATA for one timeout
    }
    return arm(a, now);
}

ReceiveActions Receive::on_duplicate_request(Time now) {
    if (state_ == State::waiting && next_ == 1) {
        stats_.retransmits++;
        return resend(now);
    }
    stats_.stray_packets++;
    return {};
}

ReceiveActions Receive::on_timer(Time now) {
    if (state_ == State::done || state_ == State::idle) return {};
    if (now < deadline_) {
        ReceiveActions a;
        a.timer = deadline_;
        return a;
    }
    if (state_ == State::dallying) return finish(ReceiveOutcome::completed);
    if (retries_ >= policy_.max_retries) return finish(ReceiveOutcome::timed_out);
    retries_++;
    stats_.retransmits++;
    return resend(now);
}

ReceiveActions Receive::storage_failed(ErrorCode code, std::string message) {
    committed_ = false;
    ReceiveActions a;
    a.send_error = code;
    a.error_message = std::move(message);
    outcome_ = ReceiveOutcome::failed;
    return finish(ReceiveOutcome::failed, std::move(a));
}

void NetasciiDecoder::feed(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
    for (uint8_t c : in) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c == '\n') {
                out.push_back('\n');
                continue;
            }
            out.push_back('\r');
            if (c == 0) continue;  // CR NUL = a bare CR
        }
        if (c == '\r')
            pending_cr_ = true;
        else
            out.push_back(c);
    }
}

void NetasciiDecoder::finish(std::vector<uint8_t>& out) {
    if (pending_cr_) out.push_back('\r');
    pending_cr_ = false;
}

}  // namespace mb::tftp
