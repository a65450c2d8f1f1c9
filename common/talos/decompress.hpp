#pragma once
// Streaming decompression of the factory's .xz (liblzma) and .zst (libzstd) images: compressed
// bytes in, decompressed bytes out through a callback, in bounded memory. Output is handed over in
// batches of kOutputBatch bytes (whatever a network read decodes to is often much less: a batch
// means fewer, larger cache writes and client wakeups while it still fits in the CPU's L2 cache);
// `flush` hands over what is held (the caller does when the input stalls). `finish` checks that
// the stream really ended (a truncated download must not pass for a complete image).
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "talos/asset.hpp"

namespace mb::talos {

class Decompressor {
public:
    using Sink = std::function<void(const char* data, size_t size)>;
    virtual ~Decompressor() = default;
    // Feeds compressed bytes; calls `sink` zero or more times. Throws data_error on corrupt input.
    virtual void feed(std::string_view compressed, const Sink& sink) = 0;
    // Hands over the output decoded so far (feed holds up to one batch).
    virtual void flush(const Sink& sink) = 0;
    // Declares the end of input, flushes; throws data_error when the compressed stream is incomplete.
    virtual void finish(const Sink& sink) = 0;
};

constexpr size_t kOutputBatch = 256 * 1024;

// Codec::none passes bytes through.
std::unique_ptr<Decompressor> make_decompressor(Codec codec);

}  // namespace mb::talos
