#pragma once
// The lifecycle every mb-* daemon shares: one boost::asio::io_context, SIGTERM/SIGINT graceful
// stop, SIGHUP and config-tree changes (inotify, debounced) reload with last-good semantics,
// sd_notify READY/RELOADING/STOPPING/STATUS and the systemd watchdog.
//
//   mb::daemon::Daemon d("mb-tftp", global.tree());
//   auto config = d.start();               // invalid tree: throws mb::Error(kExitConfig) → exit 78
//   Server server(d.io(), config);         // the tool's own sockets on d.io()
//   d.on_reload([&](auto next) { server.apply(next); });
//   d.on_stop([&] { server.close(); });    // stop accepting, let transfers finish or cancel
//   return d.run();                        // READY=1 ... STOPPING=1
//
// This header stays light (no Boost includes): io() returns a forward-declared io_context.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/loader.hpp"
#include "config/tree.hpp"

namespace boost::asio {
class io_context;
}

namespace mb::daemon {

using Snapshot = std::shared_ptr<const config::Snapshot>;

class Daemon {
public:
    Daemon(std::string name, config::Tree tree, config::LoadOptions load_options = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Loads the tree; throws mb::Error(kExitConfig) naming file, line and key when invalid.
    Snapshot start();
    boost::asio::io_context& io();
    // The last good snapshot.
    Snapshot config() const;

    // Called on the io_context thread after a successful reload.
    void on_reload(std::function<void(const Snapshot&)> callback);
    // Called once when a stop was requested (signal or stop()), before the loop ends.
    void on_stop(std::function<void()> callback);
    // Decides whether a changed path (relative to the root) triggers a reload. Default: every
    // operator file, and state/<tool>/devices/ of other tools; never this tool's own state.
    void set_reload_filter(std::function<bool(const std::string&)> filter);
    // Debounce between the last change and the reload (default 250 ms).
    void set_reload_delay(std::chrono::milliseconds delay);

    // Runs until stopped; returns the process exit code (0 after a graceful stop).
    int run();
    // Requests a graceful stop (thread-safe).
    void stop();
    // Triggers a reload now (thread-safe), as SIGHUP does.
    void reload();
    // sd_notify STATUS= line (also logged at debug level).
    void status(const std::string& text);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Exponential backoff with jitter for recoverable faults (a switch or peer unreachable, a file
// briefly locked): next() returns the delay before the next attempt.
class Backoff {
public:
    explicit Backoff(std::chrono::milliseconds initial = std::chrono::milliseconds(200),
                     std::chrono::milliseconds max = std::chrono::seconds(30));
    std::chrono::milliseconds next();
    void reset() { attempt_ = 0; }
    unsigned attempts() const { return attempt_; }

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    unsigned attempt_ = 0;
    uint64_t seed_;
};

}  // namespace mb::daemon
