// The pieces of the asynchronous face that need no broker: the thread guard's rule for a pending
// operation, the executor driver's scheduling (coalesced wakes, the time a step asks for, nothing
// after shutdown), and the Asio completion (posted, never inline; cancellation forwarded).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <kafka/async.hpp>
#include <kafka/detail/executor_driver.hpp>
#include <kafka/detail/thread_guard.hpp>

using namespace std::chrono_literals;
using kafka::detail::executor_driver;
using kafka::detail::thread_guard;

TEST_CASE("thread guard: while an operation is pending every call fails, except from its own step", "[unit][async]") {
    thread_guard g;
    { auto s = g.acquire(); }  // fine before
    REQUIRE(g.begin_async());
    CHECK_FALSE(g.begin_async());  // a second operation
    CHECK_THROWS_AS(g.acquire(), kafka::concurrent_access_error);
    CHECK_THROWS_WITH(g.acquire(), Catch::Contains("asynchronous operation"));
    {
        thread_guard::scope step(g, false, true);  // the operation's step
        auto reentry = g.acquire();                // a listener it runs, calling the consumer
    }
    // Another thread is refused too.
    std::atomic<bool> refused{false};
    std::thread([&] {
        try {
            auto s = g.acquire();
        } catch (const kafka::concurrent_access_error&) {
            refused = true;
        }
    }).join();
    CHECK(refused);
    g.end_async();
    { auto s = g.acquire(); }  // fine again
    // A failed acquire leaves no owner behind: another thread can enter afterwards.
    REQUIRE(g.begin_async());
    CHECK_THROWS(g.acquire());
    g.end_async();
    std::atomic<bool> entered{false};
    std::thread([&] {
        auto s = g.acquire();
        entered = true;
    }).join();
    CHECK(entered);
}

TEST_CASE("executor driver: wakes are coalesced into one step, and a step's time is honoured", "[unit][async]") {
    asio::io_context io;
    executor_driver d(io.get_executor());
    int steps = 0;
    std::optional<executor_driver::clock::time_point> ask;
    d.set_step([&]() -> std::optional<executor_driver::clock::time_point> {
        ++steps;
        auto a = ask;
        ask.reset();
        return a;
    });
    d.wake();
    d.wake();
    d.wake();
    CHECK(steps == 0);  // never inside the call
    io.poll();
    CHECK(steps == 1);

    // A step asking to run again in 50 ms runs then, without any wake.
    ask = executor_driver::clock::now() + 50ms;
    d.wake();
    io.restart();
    io.poll();
    CHECK(steps == 2);
    auto t0 = executor_driver::clock::now();
    io.restart();
    io.run_one_for(2s);
    CHECK(steps == 3);
    CHECK(executor_driver::clock::now() - t0 >= 40ms);

    // Nothing asked for, nothing woken: the io_context runs out of work.
    io.restart();
    io.run_for(200ms);
    CHECK(steps == 3);
    CHECK(io.stopped());
}

TEST_CASE("executor driver: after shutdown no step runs", "[unit][async]") {
    asio::io_context io;
    int steps = 0;
    {
        executor_driver d(io.get_executor());
        d.set_step([&]() -> std::optional<executor_driver::clock::time_point> {
            ++steps;
            return executor_driver::clock::now() + 10ms;
        });
        d.wake();
        io.poll();
        CHECK(steps == 1);
        d.wake();
        d.shutdown();
    }  // destroyed with a wake and a timer pending
    io.restart();
    io.run_for(100ms);
    CHECK(steps == 1);
}

TEST_CASE("asio completion: a completion dropped before it was accepted leaves the executor's work alone",
          "[unit][async]") {
    asio::io_context io;
    {
        auto c = kafka::detail::make_completion<std::error_code>([](std::error_code) {}, io.get_executor());
    }  // an initiating call threw: the handler is dropped
    CHECK_FALSE(io.stopped());
}

TEST_CASE("asio completion: posted to the handler's executor, cancellation forwarded", "[unit][async]") {
    asio::io_context io;
    asio::cancellation_signal signal;
    int result = 0;
    std::error_code got;
    auto c = kafka::detail::make_completion<std::error_code, int>(
        asio::bind_cancellation_slot(signal.slot(),
                                     [&](std::error_code ec, int v) {
                                         got = ec;
                                         result = v;
                                     }),
        io.get_executor());
    c->accept();
    bool cancelled = false;
    unsigned type = 0;
    c->set_cancellation([&](unsigned t) {
        cancelled = true;
        type = t;
    });
    signal.emit(asio::cancellation_type::terminal);
    CHECK(cancelled);
    CHECK(type == static_cast<unsigned>(asio::cancellation_type::terminal));
    c->complete(make_error_code(asio::error::operation_aborted), 7);
    CHECK(result == 0);  // not inline
    io.run();
    CHECK(result == 7);
    CHECK(got == asio::error::operation_aborted);
    // Once completed the slot is cleared: a late signal reaches nobody.
    cancelled = false;
    signal.emit(asio::cancellation_type::terminal);
    CHECK_FALSE(cancelled);
}

namespace {
struct sync_after_poll_policies : kafka::default_policies {
    using offset_commit = kafka::commit::sync_after_poll;
};
}  // namespace

TEST_CASE("a consumer on an executor refuses what would have to block there", "[unit][async]") {
    asio::io_context io;
    auto config = kafka::consumer_config(std::map<std::string, std::string>{
        {"bootstrap.servers", "127.0.0.1:1"}, {"group.id", "g"}, {"reconnect.backoff.ms", "1000"}});
    // A commit policy that waits for its commit inside poll().
    CHECK_THROWS_WITH((kafka::KafkaConsumer<std::string, std::string, sync_after_poll_policies>(config, io)),
                      Catch::Contains("async_after_poll"));
    kafka::KafkaConsumer<std::string, std::string> c(config, io);
    c.assign({{"t", 0}});
    CHECK_THROWS_WITH(c.poll(std::chrono::milliseconds(10)), Catch::Contains("async_poll"));
    // Waiting for a lookup (no broker answers at 127.0.0.1:1) would block: refused, not hung.
    CHECK_THROWS_WITH(c.position({"t", 0}, std::chrono::milliseconds(200)), Catch::Contains("async_poll"));
    // What needs no I/O works.
    c.pause({{"t", 0}});
    CHECK(c.paused().size() == 1);
}
