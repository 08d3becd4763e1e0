// request_future<T>: the result of a request that completes later, in poll().
//
// The network client completes futures only from poll(), by draining its
// pendingCompletion queue, so a listener never runs inside the call that sent
// the request nor inside an I/O handler. Listeners added after completion run
// at once (the caller is already in a safe place).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <kafka/exceptions.hpp>

namespace kafka::client {

template <class T>
class request_future {
    struct state {
        bool done = false;
        std::error_code error{};
        std::optional<T> value;
        std::vector<std::function<void(request_future&)>> listeners;
    };

public:
    request_future() : s_(std::make_shared<state>()) {}

    bool is_done() const noexcept { return s_->done; }
    bool succeeded() const noexcept { return s_->done && !s_->error; }
    bool failed() const noexcept { return s_->done && s_->error; }
    std::error_code error() const noexcept { return s_->error; }
    /// The value of a succeeded future.
    T& value() {
        if (!succeeded())
            throw kafka_error(s_->error ? s_->error : make_error_code(client_errc::illegal_state),
                              "request_future::value() on a future that did not succeed");
        return *s_->value;
    }

    /// Runs `fn(future)` on completion (from the network client's poll).
    void add_listener(std::function<void(request_future&)> fn) {
        if (s_->done) {
            fn(*this);
            return;
        }
        s_->listeners.push_back(std::move(fn));
    }

    void complete(T v) {
        if (s_->done) return;
        s_->value.emplace(std::move(v));
        finish();
    }
    void raise(std::error_code ec) {
        if (s_->done) return;
        s_->error = ec ? ec : make_error_code(client_errc::illegal_state);
        finish();
    }

    /// A future of U completed from this one through `fn(T&) -> U` (errors pass through).
    template <class U, class F>
    request_future<U> then(F fn) {
        request_future<U> out;
        add_listener([out, fn = std::move(fn)](request_future& f) mutable {
            if (f.failed()) return out.raise(f.error());
            out.complete(fn(f.value()));
        });
        return out;
    }

private:
    void finish() {
        s_->done = true;
        auto listeners = std::move(s_->listeners);
        s_->listeners.clear();
        for (auto& l : listeners) l(*this);
    }
    std::shared_ptr<state> s_;
};

/// Callbacks parked by I/O handlers and run from poll().
class completion_queue {
public:
    void push(std::function<void()> fn) {
        q_.push_back(std::move(fn));
        if (on_push_) on_push_();
    }
    /// Called after each push (it must only schedule a run_all, never run one).
    void set_on_push(std::function<void()> fn) { on_push_ = std::move(fn); }
    bool empty() const noexcept { return q_.empty(); }
    void run_all() {
        while (!q_.empty()) {
            auto fn = std::move(q_.front());
            q_.pop_front();
            fn();
        }
    }

private:
    std::deque<std::function<void()>> q_;
    std::function<void()> on_push_;
};

}  // namespace kafka::client
