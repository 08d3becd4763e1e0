// The executor a consumer of the asynchronous form runs on, as KafkaConsumer's non-template
// constructor takes it (kafka/consumer.hpp declares it without Asio).
#pragma once

#include <asio/any_io_executor.hpp>

namespace kafka::detail {

struct user_executor {
    asio::any_io_executor executor;
};

/// An executor as it is, or an execution context's (an io_context's) executor.
template <class ExecutorOrContext>
user_executor executor_of(ExecutorOrContext& on) {
    if constexpr (requires { on.get_executor(); })
        return {asio::any_io_executor(on.get_executor())};
    else
        return {asio::any_io_executor(on)};
}

}  // namespace kafka::detail
