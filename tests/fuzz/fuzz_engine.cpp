// The whole consumer fuzzed: a KafkaConsumer over the in-memory transport against a fake cluster
// whose responses are mutated by the input (layout: engine_input.hpp), on simulated time.
//
// Each input builds a cluster with a topic or two and records, a consumer that subscribes with a
// group or assigns, polls a bounded number of times, maybe commits, and closes. A finding is:
//   - a crash, undefined behaviour, a leak (the sanitizers), a hang (libFuzzer's -timeout);
//   - an exception from the consumer's API that is not a kafka::kafka_error (bad_alloc from a
//     size taken on trust, out_of_range, logic_error, ...);
//   - a call that overstays its timeout in simulated time, or spins (loops on zero-length waits);
//   - a record that was never produced (check.crcs is on: a corrupt record must not come back),
//     a record of a partition not assigned when poll returned it, or, while no Fetch response
//     was mutated, a record whose offset or partition is not where it was produced.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <kafka/consumer.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include "engine_input.hpp"

using namespace std::chrono_literals;
namespace kt = kafka::testing;
using kafka::topic_partition;
using namespace kafka::fuzz::engine;

namespace {

struct fuzz_policies : kafka::default_policies {
    using transport = kt::in_memory_transport;
    using offset_commit = kafka::commit::manual;
    static constexpr bool background_heartbeat = false;  // simulated time: no real-time thread
};
using consumer = kafka::KafkaConsumer<std::string, std::string, fuzz_policies>;

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_engine finding: %s\n", what.c_str());
    std::abort();
}

struct mutation {
    std::uint8_t skip;
    mutation_kind kind;
    std::int16_t api;  // -1: any
    std::uint16_t pos;
    std::uint32_t value;
};

/// Applies the input's mutations to the responses as the cluster sends them.
class mutator {
public:
    explicit mutator(std::vector<mutation> m) : pending_(std::move(m)) {}

    void operator()(const kt::response_info& info, kafka::byte_buffer& frame) {
        while (next_ < pending_.size()) {
            auto const& m = pending_[next_];
            if (m.api != -1 && m.api != info.api_key) return;
            if (seen_ < m.skip) {
                ++seen_;
                return;
            }
            apply(m, frame);
            if (info.api_key == 1) fetch_mutated_ = true;
            ++next_;
            seen_ = 0;
        }
    }
    bool fetch_mutated() const { return fetch_mutated_; }

private:
    static void put(kafka::byte_buffer& f, std::size_t at, std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes && at + i < f.size(); ++i)
            f[at + i] = static_cast<std::byte>(v >> (8 * (bytes - 1 - i)));
    }
    static void apply(const mutation& m, kafka::byte_buffer& f) {
        if (f.size() <= 4) return;
        std::size_t at = 4 + m.pos % (f.size() - 4);
        switch (m.kind) {
            case mutation_kind::xor_byte:
                f[at] ^= static_cast<std::byte>((m.value & 0xff) ? (m.value & 0xff) : 1);
                break;
            case mutation_kind::set_int16:
                put(f, at, m.value, 2);
                break;
            case mutation_kind::set_int32:
                put(f, at, m.value, 4);
                break;
            case mutation_kind::set_int64:
                put(f, at, static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(m.value))),
                    8);
                break;
            case mutation_kind::truncate:
                f.resize(at);
                break;
            case mutation_kind::insert: {
                kafka::byte_buffer v(4);
                put(v, 0, m.value, 4);
                f.insert(f.begin() + static_cast<std::ptrdiff_t>(at), v.begin(), v.end());
                break;
            }
            case mutation_kind::erase: {
                auto n = std::min<std::size_t>(m.value % 16 + 1, f.size() - at);
                f.erase(f.begin() + static_cast<std::ptrdiff_t>(at), f.begin() + static_cast<std::ptrdiff_t>(at + n));
                break;
            }
            case mutation_kind::set_size:
                put(f, 0, m.value, 4);
                return;
        }
        put(f, 0, f.size() - 4, 4);
    }

    std::vector<mutation> pending_;
    std::size_t next_ = 0;
    std::uint32_t seen_ = 0;
    bool fetch_mutated_ = false;
};

struct produced_record {
    std::string key, value;
};

/// What was produced, by partition and offset, and every (key, value) anywhere.
struct ledger {
    std::map<topic_partition, std::vector<produced_record>> logs;
    std::set<std::pair<std::string, std::string>> all;
};

/// A call that must return (or throw a kafka_error) within `timeout` of simulated time. A call may
/// run a little past its deadline finishing a step it started (a response being handled), never
/// by a whole request timeout.
template <class Fn>
void bounded(kt::fake_cluster& cluster, const char* what, std::chrono::milliseconds timeout, Fn&& fn) {
    auto start = cluster.now();
    auto busy_before = cluster.network().busy_polls();
    std::map<std::int16_t, std::size_t> counts;
    for (std::int16_t api : mutation_apis)
        if (api >= 0) counts[api] = cluster.request_count(api);
    try {
        fn();
    } catch (const kafka::kafka_error&) {
        // The documented failures of the API: fine.
    } catch (const std::exception& e) {
        finding(std::string(what) + " threw a non-kafka exception: " + e.what());
    } catch (...) {
        finding(std::string(what) + " threw something that is not a std::exception");
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(cluster.now() - start);
    // A call waiting for I/O waits in the transport; one that keeps looping with zero-length
    // waits burns a core (on the simulated clock each such wait costs 10 us: a call spinning
    // through its whole timeout makes tens of thousands).
    auto spins = cluster.network().busy_polls() - busy_before;
    if (spins > 2000) {
        std::string requests;
        for (std::int16_t api : mutation_apis)
            if (api >= 0)
                requests += " " + std::to_string(api) + ":" + std::to_string(cluster.request_count(api) - counts[api]);
        finding(std::string(what) + " spun: " + std::to_string(spins) + " zero-length waits that found nothing in " +
                std::to_string(took.count()) + " ms of simulated time; requests by API key:" + requests);
    }
    if (took > timeout + 100ms)
        finding(std::string(what) + " took " + std::to_string(took.count()) + " ms of simulated time, timeout " +
                std::to_string(timeout.count()) + " ms");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < header_size) return 0;
    const std::uint8_t scenario = data[0], shape = data[1], run = data[2];
    const bool use_group = scenario & 1;
    const bool consumer_protocol = scenario & 2;
    const bool commit = scenario & 4;
    const int topics = (scenario & 8) ? 2 : 1;
    const bool read_committed = scenario & 16;
    const int brokers = std::min(3, ((scenario >> 5) & 3) + 1);
    const int partitions = std::min(3, (shape & 3) + 1);
    const int batches = (shape >> 2) & 7;
    const int per_batch = ((shape >> 5) & 7) + 1;
    const int polls = (run & 15) + 1;
    const auto poll_timeout = std::chrono::milliseconds(100 << ((run >> 4) & 3));
    static constexpr int max_poll_records[] = {1, 3, 50, 500};

    std::vector<mutation> mutations;
    for (std::size_t at = header_size; at + mutation_size <= size; at += mutation_size) {
        const std::uint8_t* m = data + at;
        mutations.push_back(mutation{m[0], static_cast<mutation_kind>(m[1] % mutation_kinds),
                                     mutation_apis[(m[1] >> 3) % mutation_apis.size()],
                                     static_cast<std::uint16_t>(m[2] << 8 | m[3]),
                                     static_cast<std::uint32_t>(m[4]) << 24 | static_cast<std::uint32_t>(m[5]) << 16 |
                                         static_cast<std::uint32_t>(m[6]) << 8 | m[7]});
    }

    kt::fake_cluster cluster({.brokers = brokers});
    ledger produced;
    std::vector<std::string> topic_names;
    std::vector<topic_partition> all_partitions;
    for (int t = 0; t < topics; ++t) {
        auto name = "t" + std::to_string(t);
        topic_names.push_back(name);
        cluster.create_topic(name, partitions);
        for (int p = 0; p < partitions; ++p) {
            topic_partition tp{name, p};
            all_partitions.push_back(tp);
            auto& log = produced.logs[tp];
            for (int b = 0; b < batches; ++b) {
                std::vector<kt::sim_record> rs;
                for (int i = 0; i < per_batch; ++i) {
                    auto offset = std::to_string(log.size() + rs.size());
                    produced_record r{"k" + offset, name + "/" + std::to_string(p) + "/" + offset + "/" +
                                                        std::string(static_cast<std::size_t>(i * 7 % 23), 'x')};
                    rs.push_back(kt::sim_record{r.key, r.value, std::nullopt, {}});
                    produced.all.insert({r.key, r.value});
                }
                cluster.produce(name, p, rs);
                for (auto const& r : rs) log.push_back({*r.key, *r.value});
            }
        }
    }
    mutator mutate(std::move(mutations));
    cluster.on_response([&](const kt::response_info& info, kafka::byte_buffer& frame) { mutate(info, frame); });

    std::map<std::string, std::string> properties{
        {"bootstrap.servers", cluster.bootstrap_servers()},
        {"group.id", "g"},
        {"client.id", "fuzz"},
        {"group.protocol", consumer_protocol ? "consumer" : "classic"},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"check.crcs", "true"},
        {"isolation.level", read_committed ? "read_committed" : "read_uncommitted"},
        {"max.poll.records", std::to_string(max_poll_records[(run >> 6) & 3])},
        {"max.poll.interval.ms", "60000"},
        {"request.timeout.ms", "3000"},
        {"default.api.timeout.ms", "5000"},
        {"retry.backoff.ms", "100"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "1000"},
        {"fetch.max.wait.ms", "200"},
    };
    if (!consumer_protocol) {  // under group.protocol=consumer the broker sets them
        properties["session.timeout.ms"] = "10000";
        properties["heartbeat.interval.ms"] = "1000";
    }
    kafka::consumer_config config(properties);
    {
        consumer c(config, {}, {}, cluster.transport());
        if (use_group)
            c.subscribe(topic_names);
        else
            c.assign(all_partitions);
        for (int i = 0; i < polls; ++i) {
            bounded(cluster, "poll", poll_timeout, [&] {
                auto rs = c.poll(poll_timeout);
                auto assigned = c.assignment();
                for (auto const& r : rs) {
                    topic_partition tp{r.topic(), r.partition()};
                    std::string where =
                        tp.topic + "-" + std::to_string(tp.partition) + "@" + std::to_string(r.offset());
                    if (!produced.all.contains({r.key(), r.value()}))
                        finding("a record that was never produced: " + where + " value " + r.value());
                    if (!assigned.contains(tp)) finding("a record of a partition not assigned: " + where);
                    if (mutate.fetch_mutated()) continue;
                    auto const& log = produced.logs[tp];
                    if (r.offset() < 0 || static_cast<std::size_t>(r.offset()) >= log.size() ||
                        log[static_cast<std::size_t>(r.offset())].value != r.value())
                        finding("a record not where it was produced: " + where + " value " + r.value());
                }
            });
        }
        if (commit) bounded(cluster, "commitSync", 5000ms, [&] { c.commitSync(); });
        bounded(cluster, "close", 2000ms, [&] { c.close(2000ms); });
    }
    return 0;
}
