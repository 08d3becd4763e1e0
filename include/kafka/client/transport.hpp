// The transport policy: how bytes reach a broker, and how time passes.
//
// A transport supplies a stream type (an Asio AsyncReadStream and
// AsyncWriteStream), a way to connect one, a clock, and `run_for`, the one
// place where the consumer waits. Real transports wait on the io_context; the
// in-memory transport of the tests advances simulated time instead, which is
// what lets rebalances and timeouts run in milliseconds without a broker.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <asio.hpp>

namespace kafka {

/// What every transport must provide (see kafka::transports::tcp for the reference implementation).
template <class T>
concept transport = requires { typename T::stream_type; typename T::clock_type; } &&
    requires(T& t, asio::io_context& io, typename T::stream_type& s, const std::string& host, std::uint16_t port,
             typename T::clock_type::duration d) {
        { t.make_stream(io) } -> std::same_as<std::unique_ptr<typename T::stream_type>>;
        t.async_connect(s, host, port, [](std::error_code) {});
        { t.now() } -> std::same_as<typename T::clock_type::time_point>;
        t.run_for(io, d);
        t.close(s);
    };

namespace transports {

/// Plain TCP over Asio.
class tcp {
public:
    using stream_type = asio::ip::tcp::socket;
    using clock_type = std::chrono::steady_clock;

    std::unique_ptr<stream_type> make_stream(asio::io_context& io) { return std::make_unique<stream_type>(io); }

    /// Resolves `host` and connects to the first address that accepts.
    template <class Handler>
    void async_connect(stream_type& s, const std::string& host, std::uint16_t port, Handler&& handler) {
        auto resolver = std::make_shared<asio::ip::tcp::resolver>(s.get_executor());
        resolver->async_resolve(
            host, std::to_string(port),
            [&s, resolver, h = std::forward<Handler>(handler)](std::error_code ec, auto results) mutable {
                if (ec) return h(ec);
                asio::async_connect(s, results, [&s, h = std::move(h)](std::error_code ec2, auto const&) mutable {
                    if (!ec2) {
                        std::error_code ignored;
                        s.set_option(asio::ip::tcp::no_delay(true), ignored);
                    }
                    h(ec2);
                });
            });
    }

    clock_type::time_point now() const { return clock_type::now(); }

    /// Waits for I/O for at most `d`: returns after one ready handler ran, or when `d` passed.
    void run_for(asio::io_context& io, clock_type::duration d) {
        if (d <= clock_type::duration::zero()) io.poll();
        else io.run_one_for(d);
        if (io.stopped()) io.restart();
    }

    void close(stream_type& s) {
        std::error_code ignored;
        s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        s.close(ignored);
    }
};

static_assert(transport<tcp>);

}  // namespace transports
}  // namespace kafka
