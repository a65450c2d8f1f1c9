#pragma once
// Where a transfer's bytes come from: an in-memory buffer (rendered or converted files, shared
// between transfers of the same render) or a region of an open file read with pread (static files,
// so a 50 MiB initrd costs one descriptor, not 50 MiB).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace mb::tftp {

class DataSource {
public:
    virtual ~DataSource() = default;
    virtual uint64_t size() const = 0;
    // Copies up to out.size() bytes from `offset`; returns the count (less only at the end).
    // Throws mb::Error on an I/O failure.
    virtual size_t read(uint64_t offset, std::span<uint8_t> out) const = 0;
};

using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

class MemorySource final : public DataSource {
public:
    explicit MemorySource(Bytes bytes) : bytes_(std::move(bytes)) {}
    uint64_t size() const override { return bytes_->size(); }
    size_t read(uint64_t offset, std::span<uint8_t> out) const override;
    const Bytes& bytes() const { return bytes_; }

private:
    Bytes bytes_;
};

// Owns the descriptor; size is taken at open (fstat) so tsize and the block count agree even if
// the file grows while it is served.
class FileSource final : public DataSource {
public:
    FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
    ~FileSource() override;
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    uint64_t size() const override { return size_; }
    size_t read(uint64_t offset, std::span<uint8_t> out) const override;
    int fd() const { return fd_; }

private:
    int fd_;
    uint64_t size_;
    mutable bool blocking_ = false;  // O_NONBLOCK cleared after an EAGAIN
};

// Per-transfer read-ahead over a source that costs a system call per read (FileSource): the first
// `direct_reads` reads go straight through (size probes and transfers that never get going keep no
// buffer), then each read that misses the buffer fills `chunk` bytes from that offset, so a
// lock-step transfer at blksize 1468 makes one pread per 11 blocks instead of one per block.
class ReadAheadSource final : public DataSource {
public:
    explicit ReadAheadSource(std::shared_ptr<const DataSource> inner, size_t chunk = 16 * 1024,
                             unsigned direct_reads = 4)
        : inner_(std::move(inner)), chunk_(chunk), direct_left_(direct_reads) {}
    uint64_t size() const override { return inner_->size(); }
    size_t read(uint64_t offset, std::span<uint8_t> out) const override;
    size_t buffered_bytes() const { return buf_.capacity(); }
    uint64_t inner_reads() const { return inner_reads_; }

private:
    std::shared_ptr<const DataSource> inner_;
    size_t chunk_;
    mutable unsigned direct_left_;
    mutable std::vector<uint8_t> buf_;
    mutable uint64_t buf_offset_ = 0;
    mutable uint64_t inner_reads_ = 0;
};

// netascii (RFC 764 as used by RFC 1350): LF -> CR LF, CR -> CR NUL.
std::vector<uint8_t> to_netascii(std::span<const uint8_t> bytes);
// Reads a whole source into memory (for netascii conversion and tests).
std::vector<uint8_t> read_all(const DataSource& source);

}  // namespace mb::tftp
