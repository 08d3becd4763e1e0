// What runs a consumer constructed on an executor the user owns (the asynchronous face): a strand
// over that executor, on which every handler of the consumer runs (its connections' I/O, its
// timer, its steps), and one step function the engine gives it. A step runs when I/O parked a
// completion (wake(), called from inside an I/O handler), when the time the previous step asked
// for comes, or when an operation starts or is cancelled; it returns the next time it must run.
//
// No thread of its own: while no operation is pending the step still runs on those occasions, so
// heartbeats go out as long as someone runs the executor (the consumer's counterpart of the
// blocking form's heartbeat thread). Nothing here runs user code; the engine's step may, through
// the listener and commit callbacks of the operation it completes.
//
// Lifetime: handlers share a small state with the driver; shutdown() (from the engine's
// destructor) turns every later handler into a no-op, and waker() gives a wake that is safe after
// the driver is gone. Destroy the consumer from a handler of its executor when one thread runs
// that executor, or while no thread runs it (as any Asio I/O object).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <asio/any_io_executor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

namespace kafka::detail {

class executor_driver {
public:
    using clock = std::chrono::steady_clock;
    /// One step of the consumer; returns when it must run again without I/O (nullopt: only on I/O).
    using step_function = std::function<std::optional<clock::time_point>()>;

    explicit executor_driver(const asio::any_io_executor& user_executor)
        : state_(std::make_shared<state>(asio::make_strand(user_executor))) {}
    executor_driver(const executor_driver&) = delete;
    executor_driver& operator=(const executor_driver&) = delete;
    ~executor_driver() { shutdown(); }

    /// The consumer's strand: its connections and timers are made on it.
    asio::any_io_executor executor() const { return state_->strand; }

    void set_step(step_function step) { state_->step = std::move(step); }

    /// Schedules a step on the strand (coalesced: one posted step at a time). From any thread.
    void wake() { post_step(state_); }
    /// wake() as a function that may outlive the driver (then it does nothing).
    std::function<void()> waker() const {
        return [w = std::weak_ptr<state>(state_)] {
            if (auto s = w.lock(); s && s->alive) post_step(s);
        };
    }

    /// No step runs after this; pending handlers find nothing to do.
    void shutdown() {
        state_->alive = false;
        state_->step = nullptr;
        state_->timer.cancel();
    }

private:
    struct state {
        explicit state(asio::strand<asio::any_io_executor> s) : strand(std::move(s)), timer(strand) {}
        asio::strand<asio::any_io_executor> strand;
        asio::steady_timer timer;
        step_function step;
        std::atomic<bool> alive{true};
        std::atomic<bool> posted{false};
        std::optional<clock::time_point> armed;  // when the timer fires, if armed
    };

    static void post_step(const std::shared_ptr<state>& s) {
        if (s->posted.exchange(true, std::memory_order_acq_rel)) return;
        asio::post(s->strand, [s] {
            s->posted.store(false, std::memory_order_release);
            run(s);
        });
    }

    static void run(const std::shared_ptr<state>& s) {
        if (!s->alive || !s->step) return;
        auto next = s->step();
        if (!s->alive) return;
        arm(s, next);
    }

    static void arm(const std::shared_ptr<state>& s, std::optional<clock::time_point> next) {
        if (!next) {
            if (s->armed) s->timer.cancel();
            s->armed.reset();
            return;
        }
        if (s->armed && *s->armed == *next) return;  // already waiting for that time
        s->armed = next;
        s->timer.expires_at(*next);  // cancels the previous wait
        s->timer.async_wait([s, at = *next](const std::error_code& ec) {
            if (ec || !s->alive || s->armed != at) return;
            s->armed.reset();
            run(s);
        });
    }

    std::shared_ptr<state> state_;
};

}  // namespace kafka::detail
