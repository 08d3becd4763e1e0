// The simulated end-to-end tests (tests/sim/): the real engine (KafkaConsumer: network client,
// fetcher, group coordinator) against a fake cluster over the in-memory transport, on simulated
// time: each test covers seconds or minutes of simulated time in milliseconds of real time, and
// never sleeps.
//
// What they share: a consumer type over the in-memory transport, a configuration with short
// timeouts, records and rebalance callbacks as logs, and polling until a condition holds.
#pragma once

#include <kafka/consumer.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using kafka::errc;
using kafka::topic_partition;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;

namespace sim_support {

struct sim_policies : kafka::default_policies {
    using transport = kt::in_memory_transport;
    using offset_commit = kafka::commit::manual;
    static constexpr bool background_heartbeat = false;  // simulated time: no real-time thread
};
using sim_consumer = kafka::KafkaConsumer<std::string, std::string, sim_policies>;

}  // namespace sim_support

// sim_tests is built with KAFKA_SEPARATE_COMPILATION: sim_consumer is compiled once, in
// sim_consumer.cpp, and the test files see its declarations only (a file that needs another
// consumer type includes <kafka/impl/consumer.hpp> itself, as test_commit.cpp does).
extern template class kafka::KafkaConsumer<std::string, std::string, sim_support::sim_policies>;

namespace sim_support {

inline constexpr std::int16_t fetch_key = proto::FetchRequest::api_key;
inline constexpr std::int16_t find_coordinator_key = proto::FindCoordinatorRequest::api_key;
inline constexpr std::int16_t join_key = proto::JoinGroupRequest::api_key;
inline constexpr std::int16_t heartbeat_key = proto::HeartbeatRequest::api_key;
inline constexpr std::int16_t commit_key = proto::OffsetCommitRequest::api_key;

// Short timeouts so that failure paths play out in a few simulated seconds.
inline kafka::consumer_config config_for(const kt::fake_cluster& cluster,
                                         const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> p{
        {"bootstrap.servers", cluster.bootstrap_servers()},
        {"group.id", "g"},
        {"client.id", "sim"},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"session.timeout.ms", "10000"},
        {"heartbeat.interval.ms", "1000"},
        {"max.poll.interval.ms", "60000"},
        {"request.timeout.ms", "5000"},
        {"default.api.timeout.ms", "20000"},
        {"retry.backoff.ms", "100"},
        {"fetch.max.wait.ms", "500"},
    };
    for (auto const& [k, v] : extra) p[k] = v;
    for (auto it = p.begin(); it != p.end();) it = it->second.empty() ? p.erase(it) : std::next(it);  // "" unsets
    return kafka::consumer_config(p);
}

inline std::unique_ptr<sim_consumer> make_consumer(const kt::fake_cluster& cluster,
                                                   const std::map<std::string, std::string>& extra = {}) {
    return std::make_unique<sim_consumer>(config_for(cluster, extra), sim_consumer::key_deserializer{},
                                          sim_consumer::value_deserializer{}, cluster.transport());
}

inline std::set<topic_partition> partitions_of(const std::string& topic, int n) {
    std::set<topic_partition> out;
    for (int p = 0; p < n; ++p) out.insert({topic, p});
    return out;
}

/// Everything a consumer returned, in order.
struct seen_records {
    std::map<topic_partition, std::vector<std::int64_t>> offsets;
    std::vector<std::string> values;
    std::size_t count() const { return values.size(); }
    void add(const sim_consumer::records_type& records) {
        for (auto const& r : records) {
            offsets[{r.topic(), r.partition()}].push_back(r.offset());
            values.push_back(r.value());
        }
    }
    /// Offsets of `tp` are exactly from, from+1, ..., to-1 (no gap, no duplicate, in order).
    bool contiguous(const topic_partition& tp, std::int64_t from, std::int64_t to) const {
        auto it = offsets.find(tp);
        std::vector<std::int64_t> want;
        for (auto o = from; o < to; ++o) want.push_back(o);
        return (it == offsets.end() ? std::vector<std::int64_t>{} : it->second) == want;
    }
};

/// Rebalance callbacks as a log of "revoked:N", "assigned:N", "lost:N", plus the current assignment.
/// The state is shared with the listener, which the consumer may call from its destructor.
struct listener_state {
    std::vector<std::string> events;
    std::set<topic_partition> owned;
    std::function<void(const std::vector<topic_partition>&)> before_revoke;
};
struct listener_log {
    std::shared_ptr<listener_state> state = std::make_shared<listener_state>();
    std::vector<std::string>& events = state->events;
    std::set<topic_partition>& owned = state->owned;
    std::function<void(const std::vector<topic_partition>&)>& before_revoke = state->before_revoke;

    kafka::rebalance_listener listener() {
        kafka::rebalance_listener l;
        l.on_partitions_revoked = [s = state](const std::vector<topic_partition>& ps) {
            if (s->before_revoke) s->before_revoke(ps);
            s->events.push_back("revoked:" + std::to_string(ps.size()));
            for (auto const& tp : ps) s->owned.erase(tp);
        };
        l.on_partitions_assigned = [s = state](const std::vector<topic_partition>& ps) {
            s->events.push_back("assigned:" + std::to_string(ps.size()));
            s->owned.insert(ps.begin(), ps.end());
        };
        l.on_partitions_lost = [s = state](const std::vector<topic_partition>& ps) {
            s->events.push_back("lost:" + std::to_string(ps.size()));
            for (auto const& tp : ps) s->owned.erase(tp);
        };
        return l;
    }
    bool saw(const std::string& prefix) const {
        return std::any_of(events.begin(), events.end(), [&](auto const& e) { return e.rfind(prefix, 0) == 0; });
    }
};

/// Polls `consumers` in turn (100 ms of simulated time each) until `done()`; false after `limit`
/// of simulated time. A guard on real iterations turns an engine that spins without letting time
/// pass into a failure instead of a hang.
template <class Done>
bool poll_until(kt::fake_cluster& cluster, std::vector<std::pair<sim_consumer*, seen_records*>> consumers, Done done,
                kt::sim_clock::duration limit = 60s, std::chrono::milliseconds step = 100ms) {
    auto end = cluster.now() + limit;
    for (int guard = 0; !done(); ++guard) {
        if (cluster.now() >= end || guard > 200000) return false;
        for (auto& [c, seen] : consumers) seen->add(c->poll(step));
    }
    return true;
}
template <class Done>
bool poll_until(kt::fake_cluster& cluster, sim_consumer& c, seen_records& seen, Done done,
                kt::sim_clock::duration limit = 60s) {
    return poll_until(cluster, {{&c, &seen}}, done, limit);
}

/// Subscribes and polls until the consumer is a stable member owning `n` partitions.
inline void join(kt::fake_cluster& cluster, sim_consumer& c, seen_records& seen, listener_log& log,
                 const std::string& topic, std::size_t n) {
    c.subscribe({topic}, log.listener());
    REQUIRE(poll_until(cluster, c, seen, [&] { return c.assignment().size() == n && c.generation() > 0; }));
}

inline std::string decode_join_member_id(const kt::request_info& info) {
    proto::JoinGroupRequest req;
    std::int16_t v = 0;
    std::int32_t corr = 0;
    if (proto::decode_request(info.frame, req, v, corr)) return "<malformed>";
    return req.member_id;
}

/// `batches` batches of `per_batch` records each (values "v<offset>").
inline void produce_batches(kt::fake_cluster& cluster, const std::string& topic, std::int32_t partition, int batches,
                            int per_batch) {
    for (int b = 0; b < batches; ++b) {
        std::vector<std::string> values;
        for (int i = 0; i < per_batch; ++i) values.push_back("v" + std::to_string(b * per_batch + i));
        cluster.produce_values(topic, partition, values);
    }
}

/// The consumer's log lines, by way of set_log_handler. Declared before the consumer it is attached
/// to: the consumer logs until it is destroyed.
struct log_capture {
    std::vector<std::pair<kafka::log_level, std::string>> lines;
    void attach(sim_consumer& c) {
        c.set_log_handler([this](kafka::log_level l, const std::string& s) { lines.emplace_back(l, s); });
    }
    /// The lines containing `text` (at `level`, when given).
    std::vector<std::string> with(const std::string& text, std::optional<kafka::log_level> level = std::nullopt) const {
        std::vector<std::string> out;
        for (auto const& [l, s] : lines)
            if (s.find(text) != std::string::npos && (!level || l == *level)) out.push_back(s);
        return out;
    }
    std::size_t count(const std::string& text) const { return with(text).size(); }
    std::string all() const {
        std::string s;
        for (auto const& [l, line] : lines) s += std::to_string(static_cast<int>(l)) + " " + line + "\n";
        return s;
    }
};

inline double seconds(kt::sim_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace sim_support
