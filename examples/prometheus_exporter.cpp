// Exposes the consumer's metrics (Java's names) to Prometheus: a statistics callback renders them
// every second in Prometheus' text format, and a small HTTP server on 127.0.0.1 serves the latest
// rendering at /metrics for a scraper.
//
//   prometheus_exporter BOOTSTRAP TOPIC GROUP PORT [MAX]
//
// PORT 0 picks a free port; the program prints "listening on 127.0.0.1:PORT". It consumes TOPIC in
// GROUP (printing nothing per record), prints "consumed N" after MAX records (and then keeps
// serving the metrics, polling on, until killed).
#include <kafka/consumer.hpp>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

// The latest rendering, written by the consumer's thread and read by the HTTP thread.
struct exposition {
    std::mutex mutex;
    std::string text = "# no statistics yet\n";
};

// One request per connection, as a scraper makes them: reads the request head, answers, closes.
void serve(asio::ip::tcp::acceptor& acceptor, exposition& latest) {
    for (;;) {
        asio::ip::tcp::socket socket(acceptor.get_executor());
        std::error_code ec;
        acceptor.accept(socket, ec);
        if (ec) return;
        asio::streambuf head;
        asio::read_until(socket, head, "\r\n\r\n", ec);
        if (ec) continue;
        std::string request_line(asio::buffers_begin(head.data()), asio::buffers_end(head.data()));
        request_line = request_line.substr(0, request_line.find("\r\n"));
        std::string status = "200 OK", body;
        if (request_line.rfind("GET /metrics ", 0) == 0) {
            std::lock_guard<std::mutex> lock(latest.mutex);
            body = latest.text;
        } else {
            status = "404 Not Found";
            body = "only GET /metrics is served\n";
        }
        auto response = "HTTP/1.0 " + status + "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        asio::write(socket, asio::buffer(response), ec);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: prometheus_exporter BOOTSTRAP TOPIC GROUP PORT [MAX]\n");
        return 2;
    }
    long max = argc > 5 ? std::stol(argv[5]) : -1;
    kafka::consumer_config config{std::map<std::string, std::string>{{"bootstrap.servers", argv[1]},
                                                                     {"group.id", argv[3]},
                                                                     {"client.id", "prometheus-example"},
                                                                     {"auto.offset.reset", "earliest"}}};
    kafka::KafkaConsumer<std::string, std::string> consumer(config);

    exposition latest;
    consumer.set_statistics_callback(std::chrono::seconds(1), [&](const auto& m) {
        auto text = kafka::to_prometheus(m.all);
        std::lock_guard<std::mutex> lock(latest.mutex);
        latest.text = std::move(text);
    });

    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                                                 static_cast<unsigned short>(std::stoi(argv[4]))));
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    std::thread http([&] { serve(acceptor, latest); });
    http.detach();  // serves until the process ends

    consumer.subscribe({argv[2]});
    long n = 0;
    bool reported = false;
    try {
        for (;;) {
            n += static_cast<long>(consumer.poll(std::chrono::milliseconds(100)).size());
            if (!reported && max >= 0 && n >= max) {
                std::printf("consumed %ld\n", n);
                std::fflush(stdout);
                reported = true;
            }
        }
    } catch (const std::exception& e) {
        // The HTTP thread still uses `latest` and `acceptor`: end the process without unwinding them.
        std::fprintf(stderr, "prometheus_exporter: %s\n", e.what());
        std::fflush(stderr);
        std::_Exit(1);
    }
}
