// Three consumers on one thread, next to an Asio timer and a TCP acceptor: a server that consumes
// three topics (one consumer, in its own coroutine, per topic) and answers every TCP connection on
// 127.0.0.1 with its counts, all on one io_context run by one thread.
// Usage: multi_topic_server BOOTSTRAP GROUP TOPIC1 TOPIC2 TOPIC3 [MAX_PER_TOPIC]
// (each consumer is in group GROUP-TOPIC)
// Prints "listening on 127.0.0.1:PORT" first, "counts t1=N t2=N t3=N" every second, and
// "done t1=N t2=N t3=N" once each topic gave MAX_PER_TOPIC records (or run until interrupted).
// A connection receives one line per topic, "TOPIC N", then is closed.
#include <kafka/consumer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;
using consumer_type = kafka::KafkaConsumer<std::string, std::string>;

struct topic_feed {
    std::string topic;
    std::unique_ptr<consumer_type> consumer;
    long count = 0;
    bool closed = false;
};

std::string counts(const std::array<topic_feed, 3>& feeds) {
    std::string s;
    for (auto const& f : feeds) s += " " + f.topic + "=" + std::to_string(f.count);
    return s;
}

asio::awaitable<void> consume(topic_feed& feed, long max, bool& stopping) {
    while (!stopping && (max < 0 || feed.count < max)) {
        auto records = co_await feed.consumer->async_poll(200ms, asio::use_awaitable);
        feed.count += static_cast<long>(records.size());
    }
    co_await feed.consumer->async_close(asio::use_awaitable);
    feed.closed = true;
}

asio::awaitable<void> report(std::array<topic_feed, 3>& feeds, asio::ip::tcp::acceptor& acceptor) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(1s);
        co_await timer.async_wait(asio::use_awaitable);
        bool all_closed = true;
        for (auto const& f : feeds) all_closed = all_closed && f.closed;
        if (all_closed) {
            std::printf("done%s\n", counts(feeds).c_str());
            std::fflush(stdout);
            acceptor.close();  // the io_context then runs out of work
            co_return;
        }
        std::printf("counts%s\n", counts(feeds).c_str());
        std::fflush(stdout);
    }
}

asio::awaitable<void> serve(std::array<topic_feed, 3>& feeds, asio::ip::tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // closed
        std::string answer;
        for (auto const& f : feeds) answer += f.topic + " " + std::to_string(f.count) + "\n";
        co_await asio::async_write(socket, asio::buffer(answer), asio::use_awaitable);
    }
}

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: multi_topic_server BOOTSTRAP GROUP TOPIC1 TOPIC2 TOPIC3 [MAX_PER_TOPIC]\n");
        return 2;
    }
    long max = argc > 6 ? std::stol(argv[6]) : -1;
    asio::io_context io;  // the one thread below runs everything
    std::array<topic_feed, 3> feeds;
    for (int i = 0; i < 3; ++i) {
        feeds[i].topic = argv[3 + i];
        feeds[i].consumer = std::make_unique<consumer_type>(
            kafka::consumer_config{std::map<std::string, std::string>{
                {"bootstrap.servers", argv[1]},
                {"group.id", std::string(argv[2]) + "-" + feeds[i].topic},  // a group per topic
                {"auto.offset.reset", "earliest"}}},
            io);
        feeds[i].consumer->subscribe({feeds[i].topic});
    }
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);

    bool stopping = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int) { stopping = !ec; });
    for (auto& f : feeds) asio::co_spawn(io, consume(f, max, stopping), asio::detached);
    asio::co_spawn(io, serve(feeds, acceptor), asio::detached);
    asio::co_spawn(io, report(feeds, acceptor), [&](std::exception_ptr) { signals.cancel(); });
    io.run();
}
