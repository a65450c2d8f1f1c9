#pragma once
// The sending side of one read transfer as a pure state machine. Time is passed in; the caller
// owns the socket and the timer. Events: start, a packet from the client's TID, a duplicate RRQ
// (lost OACK or lost DATA 1), timer expiry. Each returns Actions: what to send (the OACK, a range of
// DATA blocks, or nothing), when the timer must fire next, and whether the transfer is over.
//
// Rules (RFC 1350, 1123 §4.2.3, 2347-2349, 7440): retransmit only on timeout, with backoff, never on
// a duplicate ACK (Sorcerer's Apprentice); the OACK, not DATA, is retransmitted until ACK 0; an
// ERROR 0/8 right after the OACK is a size probe (Pi "Early terminate", EDK2 "User aborted") and a
// normal end; the block counter is 64-bit internally and wraps to 0 on the wire; a file that is an
// exact multiple of blksize ends with an empty DATA; a client that never ACKs the last block ends
// the transfer quietly when the retries run out.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tftp/options.hpp"
#include "tftp/packet.hpp"
#include "tftp/source.hpp"

namespace mb::tftp {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;

struct RetryPolicy {
    std::chrono::milliseconds initial_rto{1000};  // used when the client did not ask for `timeout`
    std::chrono::milliseconds max_rto{8000};      // backoff doubles up to this
    unsigned max_retries = 5;                     // retransmissions of the same packet before giving up
};

enum class Outcome {
    running,
    completed,          // the last block was ACKed
    completed_unacked,  // every block was sent, the final ACK never came (some clients never send it)
    probe_aborted,      // ERROR 0/8 after the OACK: a tsize probe, normal
    client_error,       // the client sent another ERROR
    timed_out,          // retries exhausted before the last block was sent
    failed,             // the server could not read its data
    unreachable,        // ICMP port unreachable from the client's TID: it is gone, stop at once
};

std::string_view outcome_name(Outcome outcome);
// True for outcomes that are not a failure (completed, unacked end, probe).
bool outcome_ok(Outcome outcome);

struct Actions {
    bool send_oack = false;
    uint64_t data_first = 0;  // 64-bit block numbers to send, data_first .. data_first + data_count - 1
    uint64_t data_count = 0;
    std::optional<Time> timer;  // (re)arm for this instant; nullopt with done = cancel
    bool done = false;
};

struct TransferStats {
    uint64_t packets_sent = 0;
    uint64_t retransmits = 0;     // OACK or DATA packets sent again after a timeout
    uint64_t duplicate_acks = 0;  // ACKs for an already-acknowledged block (ignored)
    uint64_t stray_packets = 0;   // undecodable or unexpected packets from the client's TID
    uint64_t bytes_acked = 0;
    std::string client_error;  // the message of the client's ERROR, if any
    uint16_t client_error_code = 0;
};

class Transfer {
public:
    // `source` must outlive the transfer.
    Transfer(const DataSource& source, Negotiated negotiated, RetryPolicy policy = {});

    Actions start(Time now);
    Actions on_packet(std::span<const uint8_t> bytes, Time now);
    Actions on_packet(const Packet& packet, Time now);
    // The same client TID sent its RRQ again: the OACK (or DATA 1) was lost.
    Actions on_duplicate_request(Time now);
    Actions on_timer(Time now);

    // Encodes the DATA packet for 64-bit block `block` into `out` (4 + blksize bytes available);
    // returns its length. Throws mb::Error if the source cannot be read.
    size_t encode_block(uint64_t block, std::span<uint8_t> out) const;
    size_t packet_capacity() const { return 4 + negotiated_.blksize; }
    const std::vector<Option>& oack_options() const { return negotiated_.oack; }
    // The caller could not produce a packet (source read failed): end the transfer.
    Actions fail();
    // The client's port answered with ICMP port unreachable: end without further retransmits.
    Actions peer_unreachable();

    Outcome outcome() const { return outcome_; }
    bool finished() const { return outcome_ != Outcome::running; }
    const Negotiated& negotiated() const { return negotiated_; }
    const TransferStats& stats() const { return stats_; }
    uint64_t last_block() const { return last_block_; }
    uint64_t size() const { return size_; }
    Time deadline() const { return deadline_; }

private:
    enum class State { idle, oack_sent, sending, done };

    Actions send_window(Time now, bool retransmit);
    Actions arm(Actions a, Time now);
    Actions finish(Outcome outcome);
    std::chrono::milliseconds rto() const;
    Actions on_ack(uint16_t wire_block, Time now);
    Actions on_error(const ErrorPacket& e);

    const DataSource& source_;
    Negotiated negotiated_;
    RetryPolicy policy_;
    uint64_t size_;
    uint64_t last_block_;  // number of DATA blocks (>= 1)
    State state_ = State::idle;
    Outcome outcome_ = Outcome::running;
    uint64_t base_ = 1;        // first unacknowledged block
    uint64_t window_end_ = 0;  // last block sent in the current window
    unsigned retries_ = 0;
    Time deadline_{};
    TransferStats stats_;
};

}  // namespace mb::tftp
