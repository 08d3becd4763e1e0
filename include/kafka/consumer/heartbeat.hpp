// The heartbeat timers of a group member (Java's Heartbeat): when to send the
// next heartbeat, whether the session or the poll interval has expired. Pure
// state driven by the caller's clock: no I/O, no thread.
#pragma once

#include <chrono>

namespace kafka::engine {

template <class Clock>
class heartbeat_timer {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    heartbeat_timer(std::chrono::milliseconds session_timeout, std::chrono::milliseconds interval,
                    std::chrono::milliseconds max_poll_interval, std::chrono::milliseconds retry_backoff)
        : session_timeout_(session_timeout),
          interval_(interval),
          max_poll_interval_(max_poll_interval),
          retry_backoff_(retry_backoff) {}

    /// The member (re)joined: every timer starts from now.
    void reset(time_point now) {
        last_send_ = last_receive_ = last_poll_ = now;
        in_flight_ = false;
        failed_ = false;
    }
    void sent(time_point now) {
        last_send_ = now;
        in_flight_ = true;
    }
    void received(time_point now) {
        last_receive_ = now;
        in_flight_ = false;
        failed_ = false;
    }
    /// A heartbeat failed (disconnect, coordinator moved): retry after the backoff.
    void failed(time_point now) {
        last_send_ = now;
        in_flight_ = false;
        failed_ = true;
    }
    /// The user called poll().
    void polled(time_point now) { last_poll_ = now; }

    bool in_flight() const noexcept { return in_flight_; }
    duration time_to_next(time_point now) const {
        if (in_flight_) return std::chrono::duration_cast<duration>(interval_);
        auto next = last_send_ + (failed_ ? retry_backoff_ : interval_);
        return next <= now ? duration::zero() : next - now;
    }
    bool due(time_point now) const { return !in_flight_ && time_to_next(now) == duration::zero(); }
    bool session_expired(time_point now) const { return now - last_receive_ > session_timeout_; }
    bool poll_interval_expired(time_point now) const { return now - last_poll_ > max_poll_interval_; }
    time_point last_poll() const noexcept { return last_poll_; }

private:
    std::chrono::milliseconds session_timeout_;
    std::chrono::milliseconds interval_;
    std::chrono::milliseconds max_poll_interval_;
    std::chrono::milliseconds retry_backoff_;
    time_point last_send_{};
    time_point last_receive_{};
    time_point last_poll_{};
    bool in_flight_ = false;
    bool failed_ = false;
};

}  // namespace kafka::engine
