#include "talos/decompress.hpp"

#include <lzma.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace mb::talos {

namespace {

constexpr size_t kOutChunk = 1 << 20;

class Passthrough final : public Decompressor {
public:
    void feed(std::string_view in, const Sink& sink) override {
        if (!in.empty()) sink(in.data(), in.size());
    }
    void finish(const Sink&) override {}
};

class XzDecoder final : public Decompressor {
public:
    XzDecoder() : out_(kOutChunk) {
        if (lzma_stream_decoder(&strm_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            throw Error(kExitSoftware, "liblzma: cannot initialise the xz decoder");
    }
    ~XzDecoder() override { lzma_end(&strm_); }

    void feed(std::string_view in, const Sink& sink) override { run(in, LZMA_RUN, sink); }
    void finish(const Sink& sink) override {
        run({}, LZMA_FINISH, sink);
        if (!ended_) throw data_error("xz stream truncated: the compressed image ended early");
    }

private:
    void run(std::string_view in, lzma_action action, const Sink& sink) {
        if (ended_) {
            if (!in.empty()) throw data_error("xz: data after the end of the stream");
            return;
        }
        strm_.next_in = reinterpret_cast<const uint8_t*>(in.data());
        strm_.avail_in = in.size();
        while (true) {
            strm_.next_out = out_.data();
            strm_.avail_out = out_.size();
            const lzma_ret ret = lzma_code(&strm_, action);
            const size_t produced = out_.size() - strm_.avail_out;
            if (produced) sink(reinterpret_cast<const char*>(out_.data()), produced);
            if (ret == LZMA_STREAM_END) {
                ended_ = true;
                return;
            }
            if (ret == LZMA_BUF_ERROR && action == LZMA_FINISH) return;  // truncated; finish() reports it
            if (ret != LZMA_OK)
                throw data_error("xz: corrupt compressed data (liblzma error " + std::to_string(ret) + ")");
            if (strm_.avail_in == 0 && strm_.avail_out != 0) return;
        }
    }

    lzma_stream strm_ = LZMA_STREAM_INIT;
    std::vector<uint8_t> out_;
    bool ended_ = false;
};

class ZstdDecoder final : public Decompressor {
public:
    ZstdDecoder() : dctx_(ZSTD_createDCtx()), out_(kOutChunk) {
        if (!dctx_) throw Error(kExitSoftware, "libzstd: cannot create a decompression context");
    }
    ~ZstdDecoder() override { ZSTD_freeDCtx(dctx_); }

    void feed(std::string_view in, const Sink& sink) override {
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        while (input.pos < input.size) {
            ZSTD_outBuffer output{out_.data(), out_.size(), 0};
            const size_t ret = ZSTD_decompressStream(dctx_, &output, &input);
            if (ZSTD_isError(ret))
                throw data_error(std::string("zstd: corrupt compressed data: ") + ZSTD_getErrorName(ret));
            if (output.pos) sink(out_.data(), output.pos);
            frame_done_ = ret == 0;
        }
        // Flush what the decoder still holds for this input.
        while (true) {
            ZSTD_inBuffer empty{nullptr, 0, 0};
            ZSTD_outBuffer output{out_.data(), out_.size(), 0};
            const size_t ret = ZSTD_decompressStream(dctx_, &output, &empty);
            if (ZSTD_isError(ret))
                throw data_error(std::string("zstd: corrupt compressed data: ") + ZSTD_getErrorName(ret));
            if (output.pos) sink(out_.data(), output.pos);
            if (ret == 0) frame_done_ = true;
            if (output.pos < output.size) break;
        }
        seen_input_ = seen_input_ || !in.empty();
    }
    void finish(const Sink&) override {
        if (!seen_input_ || !frame_done_) throw data_error("zstd stream truncated: the compressed image ended early");
    }

private:
    ZSTD_DCtx* dctx_;
    std::vector<char> out_;
    bool frame_done_ = false;
    bool seen_input_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> make_decompressor(Codec codec) {
    switch (codec) {
        case Codec::xz: return std::make_unique<XzDecoder>();
        case Codec::zst: return std::make_unique<ZstdDecoder>();
        case Codec::none: break;
    }
    return std::make_unique<Passthrough>();
}

}  // namespace mb::talos
