// Brokers killed under a consuming group member, on a real 3-node Kafka 4.3.1 cluster (fixture flt3,
// tests/fault/fault-fixture.sh): topic f6 has 6 partitions with 3 replicas, min.insync.replicas 2.
// kcat produces into it all along (idempotent, acks=all), so a record is either in the log once or
// not at all; at the end the consumer's records are compared with the log as kcat reads it, offset
// by offset: nothing lost, no gap, nothing twice (positions are kept in memory across the failover).
#include <future>

#include "cluster_support.hpp"

using namespace fault;

namespace {

const std::string topic = "f6";

}  // namespace

TEST_CASE(
    "cluster: SIGKILL of a partition leader under a consuming group member: it follows the new leaders, "
    "then the node comes back; nothing lost, no gap, nothing twice",
    "[cluster][kill]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().settle(120s));
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
    log_line("killed node " + std::to_string(victim) + " (leader of partitions " + join_ids(moved) +
             "; coordinator is node " + std::to_string(coordinator) + ") after " + std::to_string(sent_at_kill) +
             " records");
    // Records produced after the kill arrive from every partition, those that moved included.
    bool recovered = poll_until(oc, c, 40s, [&] { return behind(c, prefix, sent_at_kill, 6).empty(); });
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
        INFO("partitions without records produced after the kill: " << join_ids(behind(c, prefix, sent_at_kill, 6)));
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
    CHECK(poll_until(oc, c, 30s, [&] { return behind(c, prefix, sent_at_restart, 6).empty(); }));

    finish_and_compare(oc, c, producer, prefix, cluster().bootstrap(), topic);
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
    REQUIRE(cluster().settle(120s));
    auto prefix = unique_name("kc");
    committing_member m(topic);
    auto& oc = m.oc;
    auto& c = m.c;
    auto& try_commit = m.commits;
    background_producer producer(cluster().bootstrap(), topic, prefix, 100);

    REQUIRE(poll_until(
        oc, c, 30s,
        [&] { return oc.assigned.size() == 6 && max_sequence(c, prefix).size() == 6 && oc.wire->last(12).has_value(); },
        try_commit));
    REQUIRE(try_commit.ok > 0);
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
    log_line("killed node " + std::to_string(coordinator) + " (group coordinator, leader of partitions " +
             join_ids(led) + ")");
    // A heartbeat to another node, a successful commit, and new records from every partition.
    bool recovered = poll_until(
        oc, c, 45s,
        [&] {
            auto hb = oc.wire->last(12);
            return behind(c, prefix, sent_at_kill, 6).empty() && hb && hb->at > t_kill && hb->peer != old_peer &&
                   try_commit.last_ok > t_kill;
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
             "; commits ok/failed " + std::to_string(try_commit.ok) + "/" + std::to_string(try_commit.failed) +
             "; FindCoordinator since: " + std::to_string(oc.wire->count(10, t_kill)));
    {
        INFO("partitions without records produced after the kill: " << join_ids(behind(c, prefix, sent_at_kill, 6)));
        INFO("last successful commit after the kill: " << (try_commit.last_ok > t_kill ? "yes" : "no"));
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

    finish_and_compare(oc, c, producer, prefix, cluster().bootstrap(), topic);
    if (!c.rewinds.empty()) log_line("re-read after the rejoin (from the last commit): " + c.rewinds.front());
    CHECK_NOTHROW(oc->commitSync());
    INFO("max poll overshoot " << c.max_poll_overshoot_ms << " ms");
    CHECK(c.max_poll_overshoot_ms <= 1000);
    oc->close();
}
