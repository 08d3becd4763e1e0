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
    /// Runs the handler with `args` on its associated executor, never inside this call.
    virtual void complete(Args... args) = 0;
    /// Calls `on_cancel` (from whoever emits the signal) when the handler's cancellation slot is
    /// signalled; nothing if the handler has no slot.
    virtual void set_cancellation(std::function<void()> on_cancel) = 0;
};

template <class... Args>
using async_completion_ptr = std::unique_ptr<async_completion<Args...>>;

}  // namespace kafka::detail
