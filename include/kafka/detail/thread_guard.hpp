// Thread confinement, detected (the seed's acquireAndEnsureOpen / release): every public call of a
// consumer holds a scope of its guard. A call from a second thread while one is inside throws
// concurrent_access_error; re-entry from the owning thread (a rebalance listener calling
// commitSync) is allowed; a call after close() throws. The guard's mutex is held while a call is
// inside, so a background thread can try_lock it to work only between calls.
//
// The asynchronous face adds one rule: while an async operation (async_poll, async_commit,
// async_close) is pending, every other call fails with concurrent_access_error, from any thread,
// except calls made from inside the operation's own steps (a rebalance listener it runs).
#pragma once

#include <atomic>
#include <mutex>
#include <thread>

#include <kafka/exceptions.hpp>

namespace kafka::detail {

class thread_guard {
public:
    class scope {
    public:
        scope(const thread_guard& g, bool allow_closed, bool async_step = false) : g_(&g) {
            auto me = std::this_thread::get_id();
            auto expected = std::thread::id();
            bool reentry = !g_->owner_.compare_exchange_strong(expected, me);
            if (reentry && expected != me) throw concurrent_access_error();
            if (!reentry && !async_step && g_->async_pending_.load(std::memory_order_acquire)) {
                g_->owner_.store(std::thread::id());
                throw concurrent_access_error(
                    "an asynchronous operation (async_poll, async_commit or async_close) is pending on this "
                    "consumer: wait for its completion, or cancel it, before the next call");
            }
            if (g_->depth_++ == 0) g_->lock_.lock();
            if (!allow_closed && g_->closed_) {
                release();
                throw kafka_error(make_error_code(client_errc::closed), "this consumer has already been closed");
            }
        }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() {
            if (g_) release();
        }

    private:
        void release() {
            if (--g_->depth_ == 0) {
                g_->lock_.unlock();
                g_->owner_.store(std::thread::id());
            }
            g_ = nullptr;
        }
        const thread_guard* g_;
    };

    /// Enters a public call (throws on use from a second thread, or after close unless allowed).
    scope acquire(bool allow_closed = false) const { return scope(*this, allow_closed); }

    /// Marks an asynchronous operation pending; false if one already is.
    bool begin_async() noexcept {
        bool expected = false;
        return async_pending_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
    }
    void end_async() noexcept { async_pending_.store(false, std::memory_order_release); }
    bool async_pending() const noexcept { return async_pending_.load(std::memory_order_acquire); }

    bool closed() const noexcept { return closed_; }
    void mark_closed() noexcept { closed_ = true; }
    /// Held while a call is inside: a background thread try_locks it to run between calls.
    std::mutex& mutex() const noexcept { return lock_; }

private:
    mutable std::atomic<std::thread::id> owner_{};
    mutable int depth_ = 0;
    mutable std::mutex lock_;
    std::atomic<bool> async_pending_{false};
    bool closed_ = false;
};

}  // namespace kafka::detail
