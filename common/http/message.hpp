#pragma once
// Transport-independent HTTP request and response: what route handlers (iPXE scripts, inspection,
// Redfish resources, the Talos image route) see and return. The Beast server in common/http
// translates to and from the wire; handlers and their tests never include Boost.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mb::http {

// Header fields in arrival order; lookups are case-insensitive.
class Headers {
public:
    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    void reserve(size_t n) { fields_.reserve(n); }
    // Replaces every field of that name with one.
    void set(std::string name, std::string value);
    std::optional<std::string_view> get(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }
    void remove(std::string_view name);
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
    std::string method;  // "GET", "HEAD", "POST", ...
    std::string target;  // as received: "/boot/dc-a6-32-01-02-03.ipxe?x=1"
    std::string path;    // percent-decoded path without the query: "/boot/dc-a6-32-01-02-03.ipxe"
    std::string query;   // raw query string without '?'
    Headers headers;
    std::string body;
    std::string remote_address;  // peer IP as text
    uint16_t remote_port = 0;
    std::string local_address;   // our address the request arrived on (for URLs pointing back at us)
    uint16_t local_port = 0;
    bool tls = false;
    int version = 11;  // 10 or 11
    // Filled by the Router: `{name}` captures of the matched pattern, and the pattern itself
    // (a metrics label that does not grow with the number of devices).
    std::map<std::string, std::string> params;
    std::string route;

    // A captured path parameter, "" when absent.
    std::string param(std::string_view name) const;

    std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
    // Decoded query parameters; a repeated key keeps the last value.
    std::map<std::string, std::string> query_params() const;
};

// An open file descriptor shared by the responses that send from it; closed with the last one.
class OpenFile {
public:
    explicit OpenFile(int fd) : fd_(fd) {}
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

// A body that is a region of a file, sent without copying through user space (sendfile on plain
// TCP, pread + write under TLS). When `open` is set the server sends from that descriptor (no
// second path lookup, no race with a rename); otherwise it opens `path` read-only itself.
struct FileBody {
    std::string path;
    uint64_t offset = 0;
    uint64_t length = 0;
    std::shared_ptr<const OpenFile> open = nullptr;
};

// A body produced while it is sent (e.g. a Talos image tee'd from an upstream download). The
// server calls `pull` each time it can write more; the producer calls `deliver` exactly once per
// pull, possibly later and from another thread, with the next chunk, an empty chunk for the end,
// or ok=false to abort (the client then sees a truncated response, never a complete-looking one).
class StreamBody {
public:
    using Deliver = std::function<void(bool ok, std::string chunk)>;
    virtual ~StreamBody() = default;
    virtual void pull(Deliver deliver) = 0;
    // Called when the client went away before the end.
    virtual void cancel() {}
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;                     // used when neither file nor stream is set
    std::optional<FileBody> file;         // zero-copy file region
    std::shared_ptr<StreamBody> stream;   // produced while sent
    std::optional<uint64_t> content_length;  // for stream bodies when known (else chunked)
    bool close = false;                   // close the connection after this response
};

// Convenience constructors.
Response text_response(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
Response json_response(int status, std::string body);

// percent-decoding of a path or query component; nullopt on a malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

}  // namespace mb::http
