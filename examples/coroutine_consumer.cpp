// A consumer in a C++20 coroutine on an io_context the program runs: co_await the records,
// commit each batch with co_await, stop cleanly on SIGINT/SIGTERM by cancelling the pending poll.
// Usage: coroutine_consumer BOOTSTRAP TOPIC GROUP [MAX]
// Prints "partition offset value" per record; after MAX records (or a signal) commits, closes the
// consumer (leaving the group) and prints "done N".
#include <kafka/consumer.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

struct manual_commits : kafka::default_policies {
    using offset_commit = kafka::commit::manual;  // this program commits what it has printed
};
using consumer_type = kafka::KafkaConsumer<std::string, std::string, manual_commits>;

asio::awaitable<void> consume(consumer_type& consumer, asio::cancellation_signal& stop, const bool& stopping,
                              long max) {
    long n = 0;
    while (!stopping && (max < 0 || n < max)) {
        // A signal cancels the pending poll: it completes with operation_aborted, nothing lost.
        auto [ec, records] = co_await consumer.async_poll(
            1s, asio::bind_cancellation_slot(stop.slot(), asio::experimental::as_tuple(asio::use_awaitable)));
        if (ec == asio::error::operation_aborted) break;
        if (ec) {
            std::fprintf(stderr, "poll failed: %s\n", ec.message().c_str());
            break;
        }
        for (auto const& rec : records) {
            std::printf("%d %lld %s\n", rec.partition(), static_cast<long long>(rec.offset()), rec.value().c_str());
            ++n;
        }
        if (!records.empty()) co_await consumer.async_commit(records.next_offsets(), asio::use_awaitable);
    }
    co_await consumer.async_close(asio::use_awaitable);
    std::printf("done %ld\n", n);
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: coroutine_consumer BOOTSTRAP TOPIC GROUP [MAX]\n");
        return 2;
    }
    long max = argc > 4 ? std::stol(argv[4]) : -1;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each record's line as it comes, also into a pipe
    asio::io_context io;
    consumer_type consumer(
        kafka::consumer_config{std::map<std::string, std::string>{
            {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}}},
        io);
    consumer.subscribe({argv[2]});

    // A signal during a poll cancels it; at any other moment the loop sees `stopping` next.
    asio::cancellation_signal stop;
    bool stopping = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int) {
        if (ec) return;
        stopping = true;
        stop.emit(asio::cancellation_type::terminal);
    });
    asio::co_spawn(io, consume(consumer, stop, stopping, max), [&](std::exception_ptr e) {
        signals.cancel();
        if (e) std::rethrow_exception(e);
    });
    io.run();  // returns once the consumer is closed and the signal wait is cancelled
}
