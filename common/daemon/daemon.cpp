#include "daemon/daemon.hpp"

#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <random>
#include <vector>

#include "config/watcher.hpp"
#include "core/error.hpp"
#include "log/log.hpp"
#include "log/settings.hpp"

namespace mb::daemon {

namespace asio = boost::asio;

struct Daemon::Impl {
    std::string name;
    config::Tree tree;
    config::LoadOptions load_options;
    asio::io_context io{1};
    asio::signal_set signals{io};
    asio::steady_timer reload_timer{io};
    asio::steady_timer watchdog_timer{io};
    std::unique_ptr<config::TreeWatcher> watcher;
    std::unique_ptr<asio::posix::stream_descriptor> watch_fd;
    Snapshot snapshot;
    std::vector<std::function<void(const Snapshot&)>> reload_callbacks;
    std::vector<std::function<void()>> stop_callbacks;
    std::function<bool(const std::string&)> filter;
    std::chrono::milliseconds reload_delay{250};
    bool stopping = false;
    std::thread grace_thread;
    std::mutex grace_mutex;
    std::condition_variable grace_cv;
    bool loop_done = false;

    Impl(std::string n, config::Tree t, config::LoadOptions o)
        : name(std::move(n)), tree(std::move(t)), load_options(o) {}

    std::string own_state() const {
        std::string tool = name;
        if (tool.rfind("mb-", 0) == 0) tool = tool.substr(3);
        return "state/" + tool;
    }

    bool wants(const std::string& path) const {
        if (filter) return filter(path);
        const std::string own = own_state();
        if (path == own || path.rfind(own + "/", 0) == 0) return false;
        if (path.rfind("state/", 0) == 0) return path.find("/devices") != std::string::npos;
        if (path.rfind("cache", 0) == 0) return false;
        return true;
    }

    void do_reload(const std::string& reason) {
        sd_notify(0, "RELOADING=1");
        try {
            auto next = config::load_tree(tree, load_options);
            log::apply_config(next->settings.log.level, next->settings.log.format);
            for (const auto& w : next->warnings) log::warn("{}", w);
            snapshot = next;
            log::info("configuration reloaded ({}): {} devices", reason, snapshot->devices.size());
            for (auto& cb : reload_callbacks) cb(snapshot);
            sd_notify(0, "READY=1\nSTATUS=serving");
        } catch (const Error& e) {
            log::error("configuration not reloaded, the last good version stays in force: {}", e.what());
            sd_notifyf(0, "READY=1\nSTATUS=serving with the last good configuration: %s", e.what());
        } catch (const std::exception& e) {
            log::error("configuration not reloaded: {}", e.what());
            sd_notify(0, "READY=1");
        }
    }

    void schedule_reload(const std::string& reason) {
        reload_timer.expires_after(reload_delay);
        reload_timer.async_wait([this, reason](const boost::system::error_code& ec) {
            if (!ec && !stopping) do_reload(reason);
        });
    }

    void wait_signals() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                log::info("SIGHUP: reloading configuration");
                do_reload("SIGHUP");
                wait_signals();
            } else {
                log::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                begin_stop();
            }
        });
    }

    void wait_watch() {
        if (!watch_fd) return;
        watch_fd->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            bool relevant = false;
            std::string first;
            for (const auto& path : watcher->read_changes()) {
                if (wants(path)) {
                    relevant = true;
                    if (first.empty()) first = path;
                }
            }
            if (relevant) schedule_reload(first + " changed");
            wait_watch();
        });
    }

    void start_watchdog() {
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
        watchdog_tick(std::chrono::microseconds(usec / 2));
    }

    void watchdog_tick(std::chrono::microseconds interval) {
        sd_notify(0, "WATCHDOG=1");
        watchdog_timer.expires_after(interval);
        watchdog_timer.async_wait([this, interval](const boost::system::error_code& ec) {
            if (!ec && !stopping) watchdog_tick(interval);
        });
    }

    void begin_stop() {
        if (stopping) return;
        stopping = true;
        sd_notify(0, "STOPPING=1");
        signals.cancel();
        reload_timer.cancel();
        watchdog_timer.cancel();
        if (watch_fd) {
            boost::system::error_code ignored;
            watch_fd->cancel(ignored);
            watch_fd->release();
        }
        for (auto& cb : stop_callbacks) cb();
        // The loop ends as soon as the tool's own work is done; whatever is still in flight after a
        // grace period is abandoned. run() joins the grace thread.
        grace_thread = std::thread([this] {
            std::unique_lock<std::mutex> lock(grace_mutex);
            if (!grace_cv.wait_for(lock, std::chrono::seconds(5), [this] { return loop_done; })) io.stop();
        });
    }

    void finish_stop() {
        {
            std::lock_guard<std::mutex> lock(grace_mutex);
            loop_done = true;
        }
        grace_cv.notify_all();
        if (grace_thread.joinable()) grace_thread.join();
    }
};

Daemon::Daemon(std::string name, config::Tree tree, config::LoadOptions load_options)
    : impl_(std::make_unique<Impl>(std::move(name), std::move(tree), load_options)) {}

Daemon::~Daemon() = default;

Snapshot Daemon::start() {
    impl_->snapshot = config::load_tree(impl_->tree, impl_->load_options);
    log::apply_config(impl_->snapshot->settings.log.level, impl_->snapshot->settings.log.format);
    for (const auto& w : impl_->snapshot->warnings) log::warn("{}", w);
    try {
        impl_->watcher = std::make_unique<config::TreeWatcher>(impl_->tree);
        impl_->watch_fd = std::make_unique<asio::posix::stream_descriptor>(impl_->io, impl_->watcher->fd());
    } catch (const Error& e) {
        log::warn("not watching the config tree (reload with SIGHUP): {}", e.what());
    }
    return impl_->snapshot;
}

boost::asio::io_context& Daemon::io() { return impl_->io; }
Snapshot Daemon::config() const { return impl_->snapshot; }
void Daemon::on_reload(std::function<void(const Snapshot&)> cb) { impl_->reload_callbacks.push_back(std::move(cb)); }
void Daemon::on_stop(std::function<void()> cb) { impl_->stop_callbacks.push_back(std::move(cb)); }
void Daemon::set_reload_filter(std::function<bool(const std::string&)> f) { impl_->filter = std::move(f); }
void Daemon::set_reload_delay(std::chrono::milliseconds d) { impl_->reload_delay = d; }

int Daemon::run() {
    if (!impl_->snapshot) start();
    impl_->signals.add(SIGTERM);
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGHUP);
    impl_->wait_signals();
    impl_->wait_watch();
    impl_->start_watchdog();
    sd_notifyf(0, "READY=1\nSTATUS=serving\nMAINPID=%d", static_cast<int>(::getpid()));
    log::info("{} ready ({} devices)", impl_->name, impl_->snapshot->devices.size());
    impl_->io.run();
    impl_->finish_stop();
    log::info("{} stopped", impl_->name);
    return 0;
}

void Daemon::stop() {
    asio::post(impl_->io, [this] { impl_->begin_stop(); });
}

void Daemon::reload() {
    asio::post(impl_->io, [this] { impl_->do_reload("requested"); });
}

void Daemon::status(const std::string& text) {
    sd_notifyf(0, "STATUS=%s", text.c_str());
    log::debug("status: {}", text);
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(initial), max_(max), seed_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next() {
    const unsigned shift = std::min(attempt_, 20u);
    ++attempt_;
    auto base = initial_ * (1LL << shift);
    if (base > max_) base = max_;
    // Full jitter between half and all of the base delay.
    seed_ = seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto half = base.count() / 2;
    const auto jitter = half > 0 ? static_cast<long long>((seed_ >> 33) % static_cast<uint64_t>(half + 1)) : 0;
    return std::chrono::milliseconds(half + jitter);
}

}  // namespace mb::daemon
