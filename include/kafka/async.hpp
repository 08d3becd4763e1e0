// The asynchronous face of KafkaConsumer (declared in kafka/consumer.hpp): the executor
// constructor's adapter and the async operations' templates, which turn a completion token into
// a handler (asio::async_initiate) and the handler into a type-erased completion for the engine.
//
//   asio::io_context io;
//   kafka::KafkaConsumer<std::string, std::string> consumer(config, io);
//   consumer.subscribe({"orders"});
//   asio::co_spawn(io, [&]() -> asio::awaitable<void> {
//       for (;;)
//           for (auto const& rec : co_await consumer.async_poll(1s, asio::use_awaitable)) handle(rec);
//   }, asio::detached);
//   io.run();
//
// Included by kafka/consumer.hpp (header-only); with KAFKA_SEPARATE_COMPILATION, include it where
// the asynchronous operations or the executor constructor are used.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution.hpp>
#include <asio/post.hpp>

#include <kafka/consumer.hpp>
#include <kafka/detail/async_completion.hpp>
#include <kafka/detail/user_executor.hpp>

namespace kafka::detail {

/// A completion over the handler asio::async_initiate gave: completes by posting the handler to
/// its associated executor (keeping that executor's work counted until then), and forwards the
/// handler's cancellation slot.
template <class Handler, class... Args>
class asio_completion final : public async_completion<Args...> {
    using executor_type = asio::associated_executor_t<Handler, asio::any_io_executor>;
    using work_type = std::decay_t<decltype(asio::prefer(std::declval<const executor_type&>(),
                                                         asio::execution::outstanding_work.tracked))>;

public:
    asio_completion(Handler handler, const asio::any_io_executor& fallback)
        : handler_(std::move(handler)), executor_(asio::get_associated_executor(handler_, fallback)) {}

    void accept() override { work_.emplace(asio::prefer(executor_, asio::execution::outstanding_work.tracked)); }

    void complete(Args... args) override {
        auto post_to = [&](const auto& ex) {
            asio::post(ex, [h = std::move(handler_), ... a = std::move(args)]() mutable {
                // On the handler's executor, where its owner emits the signal: the slot is cleared there.
                auto slot = asio::get_associated_cancellation_slot(h);
                if (slot.is_connected()) slot.clear();
                std::move(h)(std::move(a)...);
            });
        };
        if (work_) {
            auto work = std::move(*work_);
            work_.reset();
            post_to(work);
        } else {
            post_to(executor_);
        }
    }

    void set_cancellation(std::function<void(unsigned)> on_cancel) override {
        auto slot = asio::get_associated_cancellation_slot(handler_);
        if (!slot.is_connected()) return;
        slot.assign([on_cancel = std::move(on_cancel)](asio::cancellation_type type) {
            if (type != asio::cancellation_type::none) on_cancel(static_cast<unsigned>(type));
        });
    }

private:
    Handler handler_;
    executor_type executor_;
    std::optional<work_type> work_;
};

template <class... Args, class Handler>
async_completion_ptr<Args...> make_completion(Handler&& handler, const asio::any_io_executor& fallback) {
    return std::make_unique<asio_completion<std::decay_t<Handler>, Args...>>(std::forward<Handler>(handler), fallback);
}

}  // namespace kafka::detail

namespace kafka {

template <class K, class V, class P>
template <class CompletionToken>
auto KafkaConsumer<K, V, P>::async_poll(std::chrono::milliseconds timeout, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, records_type)>(
        [this](auto handler, std::chrono::milliseconds t) {
            start_async_poll(t, detail::make_completion<std::error_code, records_type>(std::move(handler),
                                                                                       handler_executor().executor));
        },
        token, timeout);
}

template <class K, class V, class P>
template <class CompletionToken>
auto KafkaConsumer<K, V, P>::async_commit(CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler) {
            start_async_commit(std::nullopt, detail::make_completion<std::error_code>(std::move(handler),
                                                                                      handler_executor().executor));
        },
        token);
}

template <class K, class V, class P>
template <class CompletionToken>
auto KafkaConsumer<K, V, P>::async_commit(const std::map<topic_partition, offset_and_metadata>& offsets,
                                          CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler, std::map<topic_partition, offset_and_metadata> o) {
            start_async_commit(std::move(o), detail::make_completion<std::error_code>(std::move(handler),
                                                                                      handler_executor().executor));
        },
        token, offsets);
}

template <class K, class V, class P>
template <class CompletionToken>
auto KafkaConsumer<K, V, P>::async_close(CompletionToken&& token) {
    return async_close(std::chrono::seconds(30), std::forward<CompletionToken>(token));
}

template <class K, class V, class P>
template <class CompletionToken>
auto KafkaConsumer<K, V, P>::async_close(std::chrono::milliseconds timeout, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler, std::chrono::milliseconds t) {
            start_async_close(
                t, detail::make_completion<std::error_code>(std::move(handler), handler_executor().executor));
        },
        token, timeout);
}

}  // namespace kafka
