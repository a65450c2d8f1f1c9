#pragma once
// Streaming decompression of the factory's .xz (liblzma) and .zst (libzstd) images: compressed
// bytes in, decompressed bytes out through a callback, in bounded memory. `finish` checks that the
// stream really ended (a truncated download must not pass for a complete image).
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
    // Declares the end of input; throws data_error when the compressed stream is incomplete.
    virtual void finish(const Sink& sink) = 0;
};

// Codec::none passes bytes through.
std::unique_ptr<Decompressor> make_decompressor(Codec codec);

}  // namespace mb::talos
