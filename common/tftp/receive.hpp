#pragma once
// The receiving side of one write transfer (WRQ) as a pure state machine, the mirror of Transfer.
// Time is passed in; the caller owns the socket, the timer and the file. Events: start, a packet
// from the client's TID, a duplicate WRQ (lost OACK / ACK 0), timer expiry, and the caller's report
// that storing failed. Each returns ReceiveActions: bytes to append, whether to commit the file
// (before the final ACK goes out, so an ACKed upload is on disk), which ACK / OACK / ERROR to send,
// when the timer must fire and whether the transfer is over.
//
// Rules: DATA blocks are accepted strictly in order (block counter 64-bit, wire value wraps to 0);
// a repeat of the previous block means our ACK was lost and is answered with that ACK again
// (nothing is written twice); anything else is ignored. The last ACK (or OACK / ACK 0) is resent only
// on timeout, with backoff; after the last block the session dallies one timeout to re-ACK a
// repeated final DATA. Uploads larger than the limit end with ERROR 3 before a byte beyond it is
// written. windowsize is not granted for writes (negotiate_write), so every block is ACKed.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tftp/options.hpp"
#include "tftp/packet.hpp"
#include "tftp/transfer.hpp"

namespace mb::tftp {

enum class ReceiveOutcome {
    running,
    completed,     // the last block arrived, was committed and ACKed
    client_error,  // the client sent an ERROR
    timed_out,     // the client stopped sending
    too_large,     // the upload exceeded the size limit (ERROR 3 sent)
    failed,        // storing failed (ERROR 3 or 0 sent)
};

std::string_view receive_outcome_name(ReceiveOutcome outcome);

struct ReceiveActions {
    std::span<const uint8_t> write;  // payload to append (points into the packet passed in)
    bool commit = false;             // the file is complete: make it durable and visible now
    bool send_oack = false;
    std::optional<uint16_t> send_ack;  // wire block number to ACK
    std::optional<ErrorCode> send_error;
    std::string error_message;  // goes on the wire with send_error
    std::optional<Time> timer;  // (re)arm for this instant
    bool done = false;          // the session is over (discard the file unless committed)
};

struct ReceiveStats {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
    uint64_t duplicates = 0;  // repeats of the previous block (re-ACKed)
    uint64_t stray_packets = 0;
    uint64_t retransmits = 0;  // ACK/OACK resent after a timeout
    std::string client_error;
    uint16_t client_error_code = 0;
};

class Receive {
public:
    // `max_bytes`: the largest upload accepted (on the wire, before netascii decoding).
    Receive(Negotiated negotiated, uint64_t max_bytes, RetryPolicy policy = {});

    ReceiveActions start(Time now);
    ReceiveActions on_packet(std::span<const uint8_t> bytes, Time now);
    ReceiveActions on_duplicate_request(Time now);
    ReceiveActions on_timer(Time now);
    // Appending or committing failed (disk full, I/O error): end with this ERROR.
    ReceiveActions storage_failed(ErrorCode code, std::string message);

    ReceiveOutcome outcome() const { return outcome_; }
    bool finished() const { return state_ == State::done; }
    bool committed() const { return committed_; }
    const Negotiated& negotiated() const { return negotiated_; }
    const std::vector<Option>& oack_options() const { return negotiated_.oack; }
    const ReceiveStats& stats() const { return stats_; }

private:
    enum class State { idle, waiting, dallying, done };

    ReceiveActions resend(Time now);
    ReceiveActions arm(ReceiveActions a, Time now);
    ReceiveActions finish(ReceiveOutcome outcome, ReceiveActions a = {});
    std::chrono::milliseconds rto() const;
    ReceiveActions on_data(const DataPacket& d, Time now);

    Negotiated negotiated_;
    uint64_t max_bytes_;
    RetryPolicy policy_;
    State state_ = State::idle;
    ReceiveOutcome outcome_ = ReceiveOutcome::running;
    uint64_t next_ = 1;  // 64-bit number of the next block expected
    unsigned retries_ = 0;
    bool committed_ = false;
    Time deadline_{};
    ReceiveStats stats_;
};

// netascii on the wire (CR LF for LF, CR NUL for CR) back to local bytes, across block boundaries.
class NetasciiDecoder {
public:
    void feed(std::span<const uint8_t> in, std::vector<uint8_t>& out);
    // End of data: a dangling CR is kept as is.
    void finish(std::vector<uint8_t>& out);

private:
    bool pending_cr_ = false;
};

}  // namespace mb::tftp
