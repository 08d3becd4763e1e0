// The background heartbeat thread of a blocking consumer (as Java's): every `step` it runs `tick`
// under the consumer's mutex, but only when it gets the mutex with try_lock, that is while no call
// of the user's is inside the consumer (the user's thread heartbeats by itself then). `tick` must
// not run user code; its exceptions are dropped (errors surface at the user's next call).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kafka::detail {

class heartbeat_thread {
public:
    heartbeat_thread() = default;
    heartbeat_thread(const heartbeat_thread&) = delete;
    heartbeat_thread& operator=(const heartbeat_thread&) = delete;
    ~heartbeat_thread() { stop(); }

    bool running() const noexcept { return thread_.joinable(); }

    void start(std::chrono::milliseconds step, std::mutex& consumer_lock, std::function<void()> tick) {
        if (thread_.joinable()) return;
        stop_ = false;
        thread_ = std::thread([this, step, &consumer_lock, tick = std::move(tick)] {
            std::unique_lock<std::mutex> l(mutex_);
            while (!stop_) {
                cv_.wait_for(l, step, [&] { return stop_; });
                if (stop_) break;
                if (!consumer_lock.try_lock()) continue;
                try {
                    tick();
                } catch (...) {
                }
                consumer_lock.unlock();
            }
        });
    }

    /// Joins the thread. The caller may hold the consumer's mutex: the loop only try_locks it.
    void stop() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> l(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
};

}  // namespace kafka::detail
