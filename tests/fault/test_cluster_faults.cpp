// Brokers killed under a consuming group member, on a real 3-node Kafka 4.3.1 cluster (fixture flt3,
// tests/fault/fault-fixture.sh): topic f6 has 6 partitions with 3 replicas, min.insync.replicas 2.
// kcat produces into it all along (idempotent, acks=all), so a record is either in the log once or
// not at all; at the end the consumer's records are compared with the log as kcat reads it, offset
// by offset: nothing lost, no gap, nothing twice (positions are kept in memory across the failover).
#include <catch2/catch.hpp>

#include <future>

#include "fault_support.hpp"

using namespace fault;

namespace {

const kafka_cluster& cluster() {
    static const kafka_cluster c;
    return c;
}

const std::string topic = "f6";

std::map<std::string, std::string> member_settings() {
    return {{"group.id", unique_name("gk")},   {"auto.offset.reset", "earliest"}, {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "1000"}, {"request.timeout.ms", "5000"},    {"default.api.timeout.ms", "15000"},
            {"fetch.max.wait.ms", "200"}};
}

/// The producer's sequence number in a value "<prefix>-<i>" (-1 for other values).
long long sequence_of(const std::string& value, const std::string& prefix) {
    if (value.rfind(prefix + "-", 0) != 0) return -1;
    return std::stoll(value.substr(prefix.size() + 1));
}

/// Highest producer sequence number of `prefix` the consumer has seen, per partition.
std::map<int, long long> max_sequence(const record_collector& c, const std::string& prefix) {
    std::map<int, long long> out;
    for (auto const& [p, list] : c.by_partition)
        for (auto it = list.rbegin(); it != list.rend(); ++it)
            if (auto s = sequence_of(it->second, prefix); s >= 0) {
                out[p] = s;
                break;
            }
    return out;
}

/// The broker id listening on `peer` (host:port), -1 if none.
int node_of(const kcat_metadata& md, const std::string& peer) {
    for (auto const& [id, addr] : md.brokers)
        if (addr == peer) return id;
    return -1;
}

std::string join(const std::vector<int>& v) {
    std::string s;
    for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

/// Polls until `done()` or the deadline; `each` runs after every poll.
template <class Done, class Each>
bool poll_until(observed_consumer& oc, record_collector& c, std::chrono::milliseconds timeout, Done done, Each each) {
    auto deadline = steady::now() + timeout;
    while (!done()) {
        if (steady::now() >= deadline) return false;
        poll_into(*oc.consumer, c, 200ms);
        each();
    }
    return true;
}
template <class Done>
bool poll_until(observed_consumer& oc, record_collector& c, std::chrono::milliseconds timeout, Done done) {
    return poll_until(oc, c, timeout, done, [] {});
}

/// Stops the producer, reads the whole topic with kcat, lets the consumer catch up and compares.
void finish_and_compare(observed_consumer& oc, record_collector& c, background_producer& producer,
                        const std::string& prefix) {
    int status = producer.stop();
    INFO("kcat: " << producer.output());
    CHECK(status == 0);
    CHECK(producer.output().find("Delivery failed") == std::string::npos);
    auto truth = kcat_read_all(cluster().bootstrap(), topic);
    // Every record the producer was given is in the log, once (idempotent producer).
    std::set<long long> seqs;
    std::size_t mine = 0;
    for (auto const& [p, list] : truth)
        for (auto const& [o, v] : list)
            if (auto s = sequence_of(v, prefix); s >= 0) {
                ++mine;
                seqs.insert(s);
            }
    CHECK(mine == static_cast<std::size_t>(producer.sent()));
    CHECK(seqs.size() == static_cast<std::size_t>(producer.sent()));
    auto want = count_records(truth);
    auto t0 = steady::now();
    bool caught_up = poll_until(oc, c, 30s, [&] { return c.unique_count() >= want; });
    log_line("caught up with the log (" + std::to_string(want) + " records) " + std::to_string(ms_since(t0)) +
             " ms after the producer stopped: " + (caught_up ? "yes" : "NO"));
    INFO(oc.log_tail(40));
    CHECK(caught_up);
    INFO("anomalies: " << c.anomalies.size() << (c.anomalies.empty() ? "" : ", first: " + c.anomalies.front()));
    CHECK(c.anomalies.empty());
    auto diff = c.diff(truth);
    INFO(diff);
    CHECK(diff.empty());
}

}  // namespace

TEST_CASE(
    "cluster: SIGKILL of a partition leader under a consuming group member: it follows the new leaders, "
    "then the node comes back; nothing lost, no gap, nothing twice",
    "[cluster][kill]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().wait_fully_replicated(120s));
    auto prefix = unique_name("kl");
    observed_consumer oc(make_config(cluster().bootstrap(), member_settings()));
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    background_producer producer(cluster().bootstrap(), topic, prefix, 100);

    // Member of the group, all 6 partitions, this run's records arriving.
    REQUIRE(poll_until(oc, c, 30s, [&] {
        return oc.assigned.size() == 6 && max_sequence(c, prefix).size() == 6 && oc.wire->last(12).has_value();
    }));
    REQUIRE(oc.wire->last(12));  // a heartbeat went out: that peer is the coordinator
    auto md = cluster().metadata(topic);
    REQUIRE(md.brokers.size() == 3);
    int coordinator = node_of(md, oc.wire->last(12)->peer);
    REQUIRE(coordinator > 0);
    // The victim leads some partitions of f6 and is not the coordinator (that is the next test).
    int victim = -1;
    std::vector<int> moved;
    for (int n = 1; n <= 3 && victim < 0; ++n) {
        if (n == coordinator) continue;
        std::vector<int> led;
        for (auto const& [p, info] : md.topics[topic])
            if (info.leader == n) led.push_back(p);
        if (!led.empty()) victim = n, moved = led;
    }
    REQUIRE(victim > 0);
    auto generation = oc->generation();
    auto member = oc->member_id();

    auto sent_at_kill = producer.sent();
    auto t_kill = steady::now();
    cluster().kill_node(victim);
    log_line("killed node " + std::to_string(victim) + " (leader of partitions " + join(moved) +
             "; coordinator is node " + std::to_string(coordinator) + ") after " + std::to_string(sent_at_kill) +
             " records");
    // Records produced after the kill arrive from every partition, those that moved included.
    bool recovered = poll_until(oc, c, 40s, [&] {
        auto seen = max_sequence(c, prefix);
        for (int p = 0; p < 6; ++p)
            if (!seen.count(p) || seen[p] <= sent_at_kill) return false;
        return true;
    });
    auto recovery_ms = ms_since(t_kill);
    auto after = cluster().metadata(topic);
    std::string leaders;
    for (auto const& [p, info] : after.topics[topic])
        leaders += " p" + std::to_string(p) + "->" + std::to_string(info.leader);
    log_line(std::string("after the kill: ") +
             (recovered ? "every partition delivered new records" : "NOT every partition delivered new records") +
             " within " + std::to_string(recovery_ms) + " ms; leaders now:" + leaders +
             "; Metadata requests since: " + std::to_string(oc.wire->count(3, t_kill)));
    {
        auto seen = max_sequence(c, prefix);
        std::string stuck;
        for (int p = 0; p < 6; ++p)
            if (!seen.count(p) || seen[p] <= sent_at_kill) stuck += " " + std::to_string(p);
        INFO("partitions without records produced after the kill:" << stuck);
        INFO(oc.log_tail(40));
        CHECK(recovered);
    }
    CHECK(oc.wire->count(3, t_kill) >= 1);  // the move was learnt from a metadata refresh

    // The node comes back (restart-node waits until it is in the metadata again) while consuming goes on.
    auto t_restart = steady::now();
    auto restart = std::async(std::launch::async, [&] { cluster().restart_node(victim); });
    poll_until(oc, c, 120s, [&] { return restart.wait_for(0s) == std::future_status::ready; });
    restart.get();
    log_line("node " + std::to_string(victim) + " restarted in " + std::to_string(ms_since(t_restart)) + " ms");
    auto sent_at_restart = producer.sent();
    CHECK(poll_until(oc, c, 30s, [&] {
        auto seen = max_sequence(c, prefix);
        for (int p = 0; p < 6; ++p)
            if (!seen.count(p) || seen[p] <= sent_at_restart) return false;
        return true;
    }));

    finish_and_compare(oc, c, producer, prefix);
    // A leader failover is not a rebalance: same member, same generation, no listener calls.
    CHECK(oc->generation() == generation);
    CHECK(oc->member_id() == member);
    CHECK(oc.assigned_calls == 1);
    CHECK(oc.revoked == 0);
    CHECK(oc.lost == 0);
    INFO("max poll overshoot " << c.max_poll_overshoot_ms << " ms");
    CHECK(c.max_poll_overshoot_ms <= 1000);
    CHECK_NOTHROW(oc->commitSync());
    oc->close();
}

TEST_CASE(
    "cluster: SIGKILL of the group coordinator's node: the member finds the new coordinator, keeps its "
    "membership (or rejoins), commits succeed again; nothing lost",
    "[cluster][kill][coordinator]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().wait_fully_replicated(120s));
    auto prefix = unique_name("kc");
    observed_consumer oc(make_config(cluster().bootstrap(), member_settings()));
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    // After a rebalance the member may legitimately read again from its last successful commit.
    std::map<int, std::int64_t> committed;
    c.allow_rewind = [&](int p, std::int64_t to, std::int64_t) {
        return (oc.revoked > 0 || oc.lost > 0) && committed.count(p) && committed[p] == to;
    };
    int commits_ok = 0, commits_failed = 0;
    auto last_commit = steady::now();
    steady::time_point last_ok{};
    auto try_commit = [&] {
        if (ms_since(last_commit) < 1000) return;
        last_commit = steady::now();
        try {
            oc->commitSync(std::chrono::milliseconds(2000));
            ++commits_ok;
            last_ok = steady::now();
            for (auto const& tp : oc.assigned) committed[tp.partition] = c.next_offset(tp.partition);
        } catch (const kafka::kafka_error&) {
            ++commits_failed;
        }
    };
    background_producer producer(cluster().bootstrap(), topic, prefix, 100);

    REQUIRE(poll_until(
        oc, c, 30s,
        [&] { return oc.assigned.size() == 6 && max_sequence(c, prefix).size() == 6 && oc.wire->last(12).has_value(); },
        try_commit));
    REQUIRE(commits_ok > 0);
    REQUIRE(oc.wire->last(12));
    auto md = cluster().metadata(topic);
    REQUIRE(md.brokers.size() == 3);
    auto old_peer = oc.wire->last(12)->peer;
    int coordinator = node_of(md, old_peer);
    REQUIRE(coordinator > 0);
    std::vector<int> led;
    for (auto const& [p, info] : md.topics[topic])
        if (info.leader == coordinator) led.push_back(p);
    auto generation = oc->generation();
    auto member = oc->member_id();

    auto sent_at_kill = producer.sent();
    auto t_kill = steady::now();
    cluster().kill_node(coordinator);
    log_line("killed node " + std::to_string(coordinator) + " (group coordinator, leader of partitions " + join(led) +
             ")");
    // A heartbeat to another node, a successful commit, and new records from every partition.
    bool recovered = poll_until(
        oc, c, 45s,
        [&] {
            auto hb = oc.wire->last(12);
            auto seen = max_sequence(c, prefix);
            for (int p = 0; p < 6; ++p)
                if (!seen.count(p) || seen[p] <= sent_at_kill) return false;
            return hb && hb->at > t_kill && hb->peer != old_peer && last_ok > t_kill;
        },
        try_commit);
    auto recovery_ms = ms_since(t_kill);
    auto hb = oc.wire->last(12);
    auto new_md = cluster().metadata(topic);
    int new_coordinator = hb ? node_of(new_md, hb->peer) : -1;
    bool kept = oc->member_id() == member && oc->generation() == generation;
    log_line(std::string("after the coordinator's kill: ") + (recovered ? "recovered" : "NOT recovered") + " within " +
             std::to_string(recovery_ms) + " ms; heartbeats now to node " + std::to_string(new_coordinator) + "; " +
             (kept ? "membership kept"
                   : "rejoined (generation " + std::to_string(generation) + " -> " + std::to_string(oc->generation()) +
                         ")") +
             "; commits ok/failed " + std::to_string(commits_ok) + "/" + std::to_string(commits_failed) +
             "; FindCoordinator since: " + std::to_string(oc.wire->count(10, t_kill)));
    {
        auto seen = max_sequence(c, prefix);
        std::string stuck;
        for (int p = 0; p < 6; ++p)
            if (!seen.count(p) || seen[p] <= sent_at_kill) stuck += " " + std::to_string(p);
        INFO("partitions without records produced after the kill:" << stuck);
        INFO("last successful commit after the kill: " << (last_ok > t_kill ? "yes" : "no"));
        INFO(oc.log_tail(40));
        CHECK(recovered);
    }
    CHECK(oc.wire->count(10, t_kill) >= 1);  // the coordinator was looked up again
    CHECK(new_coordinator > 0);
    CHECK(new_coordinator != coordinator);
    CHECK(oc.assigned.size() == 6);

    auto t_restart = steady::now();
    auto restart = std::async(std::launch::async, [&] { cluster().restart_node(coordinator); });
    poll_until(
        oc, c, 120s, [&] { return restart.wait_for(0s) == std::future_status::ready; }, try_commit);
    restart.get();
    log_line("node " + std::to_string(coordinator) + " restarted in " + std::to_string(ms_since(t_restart)) + " ms");

    finish_and_compare(oc, c, producer, prefix);
    if (!c.rewinds.empty()) log_line("re-read after the rejoin (from the last commit): " + c.rewinds.front());
    CHECK_NOTHROW(oc->commitSync());
    INFO("max poll overshoot " << c.max_poll_overshoot_ms << " ms");
    CHECK(c.max_poll_overshoot_ms <= 1000);
    oc->close();
}
