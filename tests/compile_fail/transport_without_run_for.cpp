// A transport policy that forgets run_for(io, d), the one place the consumer waits.
// expect: transport type needs `void run_for(asio::io_context&, clock_type::duration)`
#include <kafka/consumer.hpp>

#include <memory>
#include <string>
#include <utility>

// Everything kafka::transport asks for, delegated to the tcp transport, except run_for.
struct tcp_without_run_for {
    using stream_type = kafka::transports::tcp::stream_type;
    using clock_type = kafka::transports::tcp::clock_type;

    std::unique_ptr<stream_type> make_stream(const asio::any_io_executor& ex) { return inner.make_stream(ex); }
    template <class Handler>
    void async_connect(stream_type& s, const std::string& host, std::uint16_t port, Handler&& h) {
        inner.async_connect(s, host, port, std::forward<Handler>(h));
    }
    clock_type::time_point now() const { return inner.now(); }
#ifdef COMPILE_FAIL_CONTROL
    void run_for(asio::io_context& io, clock_type::duration d) { inner.run_for(io, d); }
#endif
    void close(stream_type& s) { inner.close(s); }

    kafka::transports::tcp inner;
};

struct policies : kafka::default_policies {
    using transport = tcp_without_run_for;
};

int main() {
    kafka::KafkaConsumer<std::string, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    (void)consumer.poll(std::chrono::milliseconds(1));
}
