// The completion of one asynchronous consumer operation, with the handler's type erased, so the
// engine and the facade's non-template members (compiled once under KAFKA_SEPARATE_COMPILATION)
// hand completions around without knowing the completion token. kafka/async.hpp makes one from
// the handler asio::async_initiate gives it; this header needs no Asio.
#pragma once

#include <functional>
#include <memory>

namespace kafka::detail {

template <class... Args>
class async_completion {
public:
    virtual ~async_completion() = default;
    /// The consumer took the operation: from now until complete(), the handler's executor counts
    /// it as outstanding work (a completion dropped before this, by an initiating call that threw,
    /// leaves that executor's work count as it was).
    virtual void accept() = 0;
    /// Runs the handler with `args` on its associated executor, never inside this call.
    virtual void complete(Args... args) = 0;
    /// Calls `on_cancel(type)` (from whoever emits the signal; `type` holds Asio's
    /// cancellation_type bits: terminal 1, partial 2, total 4) when the handler's cancellation slot
    /// is signalled; nothing if the handler has no slot. `on_cancel` may outlive the consumer.
    virtual void set_cancellation(std::function<void(unsigned)> on_cancel) = 0;
};

template <class... Args>
using async_completion_ptr = std::unique_ptr<async_completion<Args...>>;

}  // namespace kafka::detail
