#include "talos/decompress.hpp"

#include <lzma.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace mb::talos {

namespace {

class Passthrough final : public Decompressor {
public:
    void feed(std::string_view in, const Sink& sink) override {
        if (!in.empty()) sink(in.data(), in.size());
    }
    void flush(const Sink&) override {}
    void finish(const Sink&) override {}
};

// The output batch both decoders fill across feed() calls.
class Batch {
public:
    Batch() : buf_(kOutputBatch) {}
    char* free_space() { return buf_.data() + used_; }
    size_t free_size() const { return buf_.size() - used_; }
    void added(size_t n) { used_ += n; }
    // Hands the batch over when it is full (or always with `force`) and starts the next one.
    void emit(const Decompressor::Sink& sink, bool force = false) {
        if (used_ == 0 || (!force && used_ < buf_.size())) return;
        sink(buf_.data(), used_);
        used_ = 0;
    }

private:
    std::vector<char> buf_;
    size_t used_ = 0;
};

class XzDecoder final : public Decompressor {
public:
    XzDecoder() {
        if (lzma_stream_decoder(&strm_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            throw Error(kExitSoftware, "liblzma: cannot initialise the xz decoder");
    }
    ~XzDecoder() override { lzma_end(&strm_); }

    void feed(std::string_view in, const Sink& sink) override { run(in, LZMA_RUN, sink); }
    void flush(const Sink& sink) override { out_.emit(sink, true); }
    void finish(const Sink& sink) override {
        run({}, LZMA_FINISH, sink);
        out_.emit(sink, true);
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
            strm_.next_out = reinterpret_cast<uint8_t*>(out_.free_space());
            strm_.avail_out = out_.free_size();
            const lzma_ret ret = lzma_code(&strm_, action);
            out_.added(out_.free_size() - strm_.avail_out);
            const bool full = strm_.avail_out == 0;
            out_.emit(sink);
            if (ret == LZMA_STREAM_END) {
                ended_ = true;
                return;
            }
            if (ret == LZMA_BUF_ERROR && action == LZMA_FINISH) return;  // truncated; finish() reports it
            if (ret != LZMA_OK)
                throw data_error("xz: corrupt compressed data (liblzma error " + std::to_string(ret) + ")");
            if (strm_.avail_in == 0 && !full) return;
        }
    }

    lzma_stream strm_ = LZMA_STREAM_INIT;
    Batch out_;
    bool ended_ = false;
};

class ZstdDecoder final : public Decompressor {
public:
    ZstdDecoder() : dctx_(ZSTD_createDCtx()) {
        if (!dctx_) throw Error(kExitSoftware, "libzstd: cannot create a decompression context");
    }
    ~ZstdDecoder() override { ZSTD_freeDCtx(dctx_); }

    void feed(std::string_view in, const Sink& sink) override {
        ZSTD_inBuffer input{in.data(), in.size(), 0};
        // until the input is used up and the decoder holds nothing more for it (a call that fills
        // the output may leave decoded bytes inside the context)
        while (true) {
            ZSTD_outBuffer output{out_.free_space(), out_.free_size(), 0};
            const size_t ret = ZSTD_decompressStream(dctx_, &output, &input);
            if (ZSTD_isError(ret))
                throw data_error(std::string("zstd: corrupt compressed data: ") + ZSTD_getErrorName(ret));
            out_.added(output.pos);
            if (ret == 0) frame_done_ = true;
            const bool full = output.pos == output.size;
            out_.emit(sink);
            if (input.pos == input.size && !full) break;
        }
        seen_input_ = seen_input_ || !in.empty();
    }
    void flush(const Sink& sink) override { out_.emit(sink, true); }
    void finish(const Sink& sink) override {
        out_.emit(sink, true);
        if (!seen_input_ || !frame_done_) throw data_error("zstd stream truncated: the compressed image ended early");
    }

private:
    ZSTD_DCtx* dctx_;
    Batch out_;
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
