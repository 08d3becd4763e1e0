// consume_bench: our KafkaConsumer against a real broker, through the public API only.
//
//   consume_bench -b HOST:PORT -t TOPIC -n N [-X key=value]...            throughput
//   consume_bench -b HOST:PORT -t TOPIC -n N --latency W [-X key=value]... latency
//   consume_bench ... --async                                              the same, through the
//       asynchronous face: the consumer on an io_context, records awaited in a coroutine
//   consume_bench ... --idle S                                             then 1 + S more seconds of
//       polling with nothing left to read; prints the bytes sent per request in the last S (with
//       fetch sessions, what a steady-state Fetch costs)
//
// Throughput: assigns every partition of TOPIC (no group), seeks to the beginning and polls until N
// records have arrived; values are zero-copy views (std::optional<kafka::bytes_view>), check.crcs
// on, max.poll.records 10000, fetch sizes at their defaults. Prints records, value bytes and the
// time from the first poll to the N-th record (process wall/CPU/RSS come from /usr/bin/time in
// bench/run.sh).
// Latency: the same, but each value starts with its produce time (19 decimal digits, ns since the
// epoch, CLOCK_REALTIME; see `rdkafka_bench --produce`); prints p50/p99/p99.9 of receive time
// (taken per record as the loop reaches it) minus produce time, skipping the first W records.
#include <kafka/consumer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "consume_bench: %s\n"
                 "usage: consume_bench -b HOST:PORT -t TOPIC -n N [--latency SKIP] [--timeout SECONDS] [--async] "
                 "[--idle SECONDS] [-X key=value]...\n",
                 why);
    std::exit(2);
}

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The first 19 characters of a latency payload: decimal ns since the epoch.
bool parse_ts(const std::optional<kafka::bytes_view>& v, std::int64_t& out) {
    if (!v || v->size() < 19) return false;
    std::int64_t x = 0;
    for (std::size_t i = 0; i < 19; ++i) {
        auto c = static_cast<unsigned char>((*v)[i]);
        if (c < '0' || c > '9') return false;
        x = x * 10 + (c - '0');
    }
    out = x;
    return true;
}

struct bench_policies : kafka::default_policies {
    using offset_commit = kafka::commit::manual;
};

}  // namespace

int main(int argc, char** argv) {
    std::string brokers, topic;
    long long n = 0, skip = -1;
    double timeout_s = 120, idle_s = 0;
    bool async = false;
    std::map<std::string, std::string> props;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "-b")
            brokers = next();
        else if (a == "-t")
            topic = next();
        else if (a == "-n")
            n = std::atoll(next().c_str());
        else if (a == "--latency")
            skip = std::atoll(next().c_str());
        else if (a == "--timeout")
            timeout_s = std::atof(next().c_str());
        else if (a == "--async")
            async = true;
        else if (a == "--idle")
            idle_s = std::atof(next().c_str());
        else if (a == "-X") {
            auto kv = next();
            auto eq = kv.find('=');
            if (eq == std::string::npos) usage("-X needs key=value");
            props[kv.substr(0, eq)] = kv.substr(eq + 1);
        } else
            usage(("unknown argument " + a).c_str());
    }
    if (brokers.empty() || topic.empty() || n <= 0) usage("-b, -t and -n are required");
    if (async && idle_s > 0) usage("--idle is measured on the blocking consumer only");

    std::map<std::string, std::string> config{{"bootstrap.servers", brokers},
                                              {"client.id", "consume_bench"},
                                              {"enable.auto.commit", "false"},
                                              {"check.crcs", "true"},
                                              {"max.poll.records", "10000"}};
    for (auto const& [k, v] : props) config[k] = v;

    using view = std::optional<kafka::bytes_view>;
    using consumer_type = kafka::KafkaConsumer<view, view, bench_policies>;
    try {
        // The partitions, from a blocking consumer (partitionsFor waits for I/O): the one measured,
        // or, for --async, one made for the lookup before the clock starts.
        std::vector<kafka::topic_partition> parts;
        auto blocking = std::make_unique<consumer_type>(kafka::consumer_config(config));
        for (auto const& p : blocking->partitionsFor(topic)) parts.push_back(p.topic_partition());
        if (async) blocking.reset();
        if (parts.empty()) {
            std::fprintf(stderr, "consume_bench: topic '%s' does not exist\n", topic.c_str());
            return 1;
        }

        long long count = 0, bytes = 0;
        std::vector<std::int64_t> lat;
        if (skip >= 0) lat.reserve(static_cast<std::size_t>(std::max(0LL, n - skip)));
        auto tally = [&](const consumer_type::records_type& records) {
            if (skip >= 0) {
                for (auto const& r : records) {
                    ++count;
                    bytes += r.serialized_value_size();
                    std::int64_t ts;
                    if (count > skip && parse_ts(r.value(), ts)) lat.push_back(now_ns() - ts);
                }
            } else {
                for (auto const& r : records) {
                    ++count;
                    bytes += r.serialized_value_size();
                }
            }
        };
        std::chrono::steady_clock::time_point t0, give_up, t1;
        auto start = [&] {
            t0 = std::chrono::steady_clock::now();
            give_up = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(timeout_s));
        };
        kafka::consumer_metrics m, settled, idle;
        if (!async) {
            auto& consumer = *blocking;
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            start();
            while (count < n && std::chrono::steady_clock::now() < give_up)
                tally(consumer.poll(std::chrono::milliseconds(1000)));
            t1 = std::chrono::steady_clock::now();
            m = consumer.metrics();
            if (idle_s > 0) {
                // One second to settle first: the first requests after the read still put back the
                // partitions that had records buffered (a session forgets those meanwhile).
                auto poll_for = [&](std::chrono::duration<double> d) {
                    auto end = std::chrono::steady_clock::now() +
                               std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
                    while (std::chrono::steady_clock::now() < end) tally(consumer.poll(std::chrono::milliseconds(200)));
                };
                poll_for(std::chrono::seconds(1));
                settled = consumer.metrics();
                poll_for(std::chrono::duration<double>(idle_s));
                idle = consumer.metrics();
            }
            consumer.close(std::chrono::milliseconds(0));
        } else {
            asio::io_context io;
            consumer_type consumer{kafka::consumer_config(config), io};
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            start();
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    while (count < n && std::chrono::steady_clock::now() < give_up)
                        tally(co_await consumer.async_poll(std::chrono::milliseconds(1000), asio::use_awaitable));
                    t1 = std::chrono::steady_clock::now();
                    m = consumer.metrics();
                    co_await consumer.async_close(std::chrono::milliseconds(0), asio::use_awaitable);
                },
                asio::detached);
            io.run();
        }
        auto secs = std::chrono::duration<double>(t1 - t0).count();
        std::printf("consume_bench: %lld records, %lld value bytes, %.3f s, %.0f records/s\n", count, bytes, secs,
                    secs > 0 ? static_cast<double>(count) / secs : 0.0);
        if (skip >= 0) {
            std::sort(lat.begin(), lat.end());
            auto q = [&](double f) {
                return lat.empty() ? -1.0
                                   : static_cast<double>(
                                         lat[static_cast<std::size_t>(f * static_cast<double>(lat.size() - 1))]) /
                                         1e6;
            };
            std::printf("latency_ms samples=%zu p50=%.3f p99=%.3f p99.9=%.3f max=%.3f\n", lat.size(), q(0.5), q(0.99),
                        q(0.999), q(1.0));
        }
        std::fprintf(
            stderr, "consume_bench: %llu polls, %llu fetch requests, %llu fetch responses, %.0f bytes per response\n",
            static_cast<unsigned long long>(m.polls), static_cast<unsigned long long>(m.fetch_requests),
            static_cast<unsigned long long>(m.fetch_responses),
            m.fetch_responses ? static_cast<double>(m.bytes_fetched) / static_cast<double>(m.fetch_responses) : 0.0);
        // Request sizes over all requests (Fetch dominates a long run): what fetch sessions shrink.
        auto total = [&](const kafka::consumer_metrics& of, const char* name) {
            for (auto const& x : of.all)
                if (x.name.group == "consumer-metrics" && x.name.name == name) return x.value;
            return 0.0;
        };
        if (auto reqs = total(m, "request-total"); reqs > 0)
            std::fprintf(stderr, "consume_bench: %.0f requests, %.0f bytes sent per request\n", reqs,
                         total(m, "outgoing-byte-total") / reqs);
        if (auto reqs = total(idle, "request-total") - total(settled, "request-total"); idle_s > 0 && reqs > 0)
            std::fprintf(stderr, "consume_bench: idle: %.0f requests, %.0f bytes sent per request\n", reqs,
                         (total(idle, "outgoing-byte-total") - total(settled, "outgoing-byte-total")) / reqs);
        return count < n ? 3 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consume_bench: %s\n", e.what());
        return 1;
    }
}
