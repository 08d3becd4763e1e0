// The in-memory transport on its own: refused connects, completions posted (never inline),
// simulated time moved only by run_for.
#include <kafka/testing/in_memory_transport.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace kt = kafka::testing;

TEST_CASE("in-memory transport: refused connects, posted completions, simulated time", "[testing][transport]") {
    kt::sim_network net;
    asio::io_context io;
    kt::in_memory_transport t(net);
    auto start = t.now();

    SECTION("nothing listening: connection_refused, delivered by a handler, not inline") {
        auto s = t.make_stream(io.get_executor());
        std::optional<std::error_code> result;
        t.async_connect(*s, "sim", 9092, [&](std::error_code ec) { result = ec; });
        CHECK_FALSE(result);
        t.run_for(io, 1s);
        REQUIRE(result);
        CHECK(*result == asio::error::connection_refused);
    }

    SECTION("an echo server with latency: reads complete after the latency of simulated time") {
        std::shared_ptr<kt::detail::sim_socket> server;
        net.listen("sim", 9092, [&](const std::shared_ptr<kt::detail::sim_socket>& s) {
            server = s;
            s->on_data = [&net, w = std::weak_ptr<kt::detail::sim_socket>(s)] {
                auto bytes = std::make_shared<kafka::byte_buffer>(w.lock()->take_written());
                net.schedule(net.now() + 250ms, [w, bytes] {
                    if (auto ss = w.lock()) ss->deliver(*bytes);
                });
            };
        });
        auto s = t.make_stream(io.get_executor());
        std::optional<std::error_code> connected;
        t.async_connect(*s, "sim", 9092, [&](std::error_code ec) { connected = ec; });
        t.run_for(io, 1s);
        REQUIRE(connected);
        REQUIRE_FALSE(*connected);
        REQUIRE(server);

        std::string out = "hello", in(5, '\0');
        std::optional<std::error_code> wrote, read;
        asio::async_write(*s, asio::buffer(out), [&](std::error_code ec, std::size_t) { wrote = ec; });
        asio::async_read(*s, asio::buffer(in), [&](std::error_code ec, std::size_t) { read = ec; });
        CHECK_FALSE(wrote);  // never inline
        auto before = t.now();
        while (!read) t.run_for(io, 10s);
        CHECK(*read == std::error_code{});
        CHECK(in == "hello");
        CHECK(t.now() - before == std::chrono::milliseconds(250));

        // The server closes: a pending read ends with eof.
        std::optional<std::error_code> eof;
        asio::async_read(*s, asio::buffer(in), [&](std::error_code ec, std::size_t) { eof = ec; });
        server->close_from_server();
        t.run_for(io, 1s);
        REQUIRE(eof);
        CHECK(*eof == asio::error::eof);
    }

    SECTION("run_for with nothing scheduled moves time by exactly d") {
        t.run_for(io, 3s);
        CHECK(t.now() - start == std::chrono::seconds(3));
        CHECK(kt::sim_clock::now() == t.now());
    }
}
