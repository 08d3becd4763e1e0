// Fetching on a real, changing 3-node Kafka 4.3.1 cluster (fixture flt3, tests/fault/fault-fixture.sh:
// node i in rack ri, replica.selector.class=RackAwareReplicaSelector), issue 14's acceptance:
//   - fetch from the closest replica (KIP-392) and back to the leader when that replica dies;
//   - log truncation by an unclean leader election detected (KIP-320), under earliest, latest and none;
//   - a rolling restart of all three brokers under a group member;
//   - incremental fetch sessions (KIP-227): the steady-state Fetch request is small.
// Every test makes its own topic, so they run in any order; each leaves all nodes running and every
// partition fully replicated behind it.
#include <future>

#include "cluster_support.hpp"

using namespace fault;

namespace {

/// Fetch requests the consumer wrote to `peer` since `since`, and their frame sizes.
std::vector<wire_request> fetches_to(const observed_consumer& oc, const std::string& peer,
                                     steady::time_point since = {}) {
    std::vector<wire_request> out;
    for (auto const& r : oc.wire->requests(1, since))
        if (r.peer == peer) out.push_back(r);
    return out;
}

/// Polls for `d` (records go into `c`): what the consumer does while nothing new arrives.
void idle(observed_consumer& oc, record_collector& c, std::chrono::milliseconds d) {
    auto end = steady::now() + d;
    while (steady::now() < end) poll_into(*oc.consumer, c, 200ms);
}

std::map<std::string, std::string> node_tags(int node) { return {{"node-id", "node-" + std::to_string(node)}}; }

std::map<std::string, std::string> partition_tags(const std::string& topic, int p) {
    return {{"topic", topic}, {"partition", std::to_string(p)}};
}

std::string show(std::optional<double> v) { return v ? std::to_string(*v) : std::string("(not reported)"); }

/// Lines of the consumer's log at level error.
std::vector<std::string> error_lines(const observed_consumer& oc) {
    std::lock_guard<std::mutex> g(*oc.lines_mutex);
    std::vector<std::string> out;
    for (auto const& l : *oc.lines)
        if (l.rfind("error: ", 0) == 0) out.push_back(l);
    return out;
}

bool logged(const observed_consumer& oc, const std::string& words) {
    std::lock_guard<std::mutex> g(*oc.lines_mutex);
    return std::any_of(oc.lines->begin(), oc.lines->end(),
                       [&](const std::string& l) { return l.find(words) != std::string::npos; });
}

}  // namespace

TEST_CASE(
    "cluster: client.rack=r2 reads a partition led from r1 from its r2 follower (KIP-392); when that "
    "follower dies it reads from the leader; every record once, in order",
    "[cluster][fetch][rack]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    const int r1 = cluster().node_in_rack("r1"), r2 = cluster().node_in_rack("r2"), r3 = cluster().node_in_rack("r3");
    INFO("the fixture starts flt3 with --racks r1,r2,r3");
    REQUIRE((r1 > 0 && r2 > 0 && r3 > 0));
    REQUIRE(cluster().settle(120s));
    auto t_start = steady::now();
    auto topic = unique_name("rack");
    // Leader in r1, the r2 node a follower.
    cluster().create_topic(topic, std::to_string(r1) + ":" + std::to_string(r2) + ":" + std::to_string(r3));
    REQUIRE(cluster().wait_partition(
        topic, 0, [&](const partition_info& i) { return i.leader == r1 && i.isrs.size() == 3; }, 30s));
    const int n = 1000;
    produce(cluster().bootstrap(), topic, numbered("ra", 0, n));
    const std::string leader = cluster().address(r1), follower = cluster().address(r2);

    observed_consumer oc(make_config(cluster().bootstrap(), assign_settings({{"client.rack", "r2"}})));
    const kafka::topic_partition tp{topic, 0};
    oc->assign({tp});
    record_collector c;
    REQUIRE(poll_until(oc, c, 30s, [&] { return c.unique_count() >= static_cast<std::size_t>(n); }));
    // Caught up: the consumer long-polls its read replica for what comes next.
    auto t_idle = steady::now();
    idle(oc, c, 2s);
    {
        auto m = oc->metrics().all;
        auto preferred = metric_value(m, "preferred-read-replica", partition_tags(topic, 0));
        auto leader_fetches = fetches_to(oc, leader).size(), follower_fetches = fetches_to(oc, follower).size();
        auto idle_leader = fetches_to(oc, leader, t_idle).size(),
             idle_follower = fetches_to(oc, follower, t_idle).size();
        auto in_r1 = metric_value(m, "incoming-byte-total", node_tags(r1));
        auto in_r2 = metric_value(m, "incoming-byte-total", node_tags(r2));
        log_line("rack r2: Fetch requests to the leader (node " + std::to_string(r1) + ") " +
                 std::to_string(leader_fetches) + " (" + std::to_string(idle_leader) + " while idle), to the r2 node " +
                 std::to_string(follower_fetches) + " (" + std::to_string(idle_follower) +
                 " while idle); preferred-read-replica " + show(preferred) + "; bytes in from r1 " + show(in_r1) +
                 ", from r2 " + show(in_r2));
        INFO(oc.log_tail(20));
        CHECK(c.anomalies.empty());
        CHECK(preferred == std::optional<double>(r2));
        // The leader answered the first fetch (naming the r2 replica) and perhaps one more; the rest,
        // the records and the long polls after them, went to the r2 node.
        CHECK(leader_fetches <= 3);
        CHECK(idle_leader == 0);
        CHECK(idle_follower >= 3);
        REQUIRE(in_r1);
        REQUIRE(in_r2);
        CHECK(*in_r2 >= 10.0 * n);  // every record's value ("ra-<i>") came from the r2 node
        CHECK(*in_r2 > *in_r1);
    }

    // The r2 follower dies while records keep coming: the consumer goes back to the leader.
    auto prefix = unique_name("rb");
    background_producer producer(cluster().bootstrap(), topic, prefix, 100);
    REQUIRE(poll_until(oc, c, 30s, [&] { return max_sequence(c, prefix).count(0) > 0; }));
    auto sent_at_kill = producer.sent();
    auto t_kill = steady::now();
    cluster().kill_node(r2);
    log_line("killed the r2 node " + std::to_string(r2) + " after " + std::to_string(sent_at_kill) + " records");
    bool recovered = poll_until(oc, c, 40s, [&] {
        auto seen = max_sequence(c, prefix);
        return seen.count(0) && seen[0] > sent_at_kill + 50;
    });
    log_line(std::string("after the kill: ") + (recovered ? "records produced since arrived" : "NO new records") +
             " within " + std::to_string(ms_since(t_kill)) +
             " ms; Fetch requests to the leader since: " + std::to_string(fetches_to(oc, leader, t_kill).size()));
    {
        INFO(oc.log_tail(30));
        CHECK(recovered);
        CHECK(fetches_to(oc, leader, t_kill).size() >= 1);
        auto preferred = metric_value(oc->metrics().all, "preferred-read-replica", partition_tags(topic, 0));
        INFO("preferred-read-replica " << show(preferred));
        CHECK(preferred == std::optional<double>(-1));
    }

    auto restart = std::async(std::launch::async, [&] { cluster().restart_node(r2); });
    poll_until(oc, c, 120s, [&] { return restart.wait_for(0s) == std::future_status::ready; });
    restart.get();
    finish_and_compare(oc, c, producer, prefix, cluster().bootstrap(), topic);
    CHECK(c.rewinds.empty());
    INFO("max poll overshoot " << c.max_poll_overshoot_ms << " ms");
    CHECK(c.max_poll_overshoot_ms <= 1000);
    oc->close();
    CHECK(cluster().settle(120s));
    log_line("rack test: " + std::to_string(ms_since(t_start)) + " ms");
}

// The recipe (Kafka 4.3.1, KRaft, eligible.leader.replicas.version=1 as a fresh cluster has it):
//   1. topic with one partition on nodes 1 (leader) and 2, topic configs min.insync.replicas=1 and
//      unclean.leader.election.enable=true; 10 records with acks=all (offsets 0-9, on both);
//   2. SIGKILL node 2; once the controller fenced it (broker.session.timeout.ms, 6 s here) the ISR is
//      {1}; 10 records with acks=1 (offsets 10-19, only on node 1, committed: the ISR is just node 1);
//      the consumers read all 20;
//   3. SIGKILL node 1 (the partition has no leader; node 3, alone, has no controller quorum either);
//   4. start node 2: with the quorum back the controller elects it, out of sync, leader at once (the
//      topic's unclean.leader.election.enable; ELR does not stand in the way because the ISR never
//      fell below min.insync.replicas, so it has no eligible replicas to prefer). Should a version
//      not do this by itself, `LeaderElectionCommand --election-type unclean` forces it (done below
//      after 15 s);
//   5. 15 records with acks=1 to node 2: offsets 10-24, a different history from offset 10 on. A
//      consumer at 20 that does not compare epochs would go on at 20 and miss c-10..c-19 silently.
//   6. node 1 restarted afterwards truncates its log to 10 and follows node 2.
TEST_CASE(
    "cluster: an unclean leader election truncates the log under the consumers (KIP-320): earliest and "
    "latest go on from the divergence point, none throws log_truncation_error naming it",
    "[cluster][fetch][truncation]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().settle(120s));
    auto t_start = steady::now();
    const int leader = 1, follower = 2;
    auto topic = unique_name("trunc");
    const kafka::topic_partition tp{topic, 0};
    cluster().create_topic(topic, std::to_string(leader) + ":" + std::to_string(follower),
                           {"min.insync.replicas=1", "unclean.leader.election.enable=true"});
    REQUIRE(cluster().wait_partition(
        topic, 0, [&](const partition_info& i) { return i.leader == leader && i.isrs.size() == 2; }, 30s));
    produce(cluster().bootstrap(), topic, numbered("a", 0, 10));

    cluster().kill_node(follower);
    REQUIRE(cluster().wait_partition(
        topic, 0, [&](const partition_info& i) { return i.isrs == std::vector<int>{leader}; }, 30s));
    produce(cluster().bootstrap(), topic, numbered("b", 10, 10), "-X acks=1");
    auto before = kcat_read_all(cluster().bootstrap(), topic);
    REQUIRE(before[0].size() == 20);

    // Three consumers read offsets 0-19 from node 1.
    struct reader {
        std::string reset;
        std::unique_ptr<observed_consumer> oc;
        record_collector c;
        std::optional<kafka::log_truncation_error> error;
    };
    std::vector<reader> readers(3);
    readers[0].reset = "earliest";
    readers[1].reset = "latest";
    readers[2].reset = "none";
    for (auto& r : readers) {
        r.oc = std::make_unique<observed_consumer>(
            make_config(cluster().bootstrap(), assign_settings({{"auto.offset.reset", r.reset}})));
        (*r.oc)->assign({tp});
        (*r.oc)->seek(tp, 0);
        r.c.allow_rewind = [](int, std::int64_t to, std::int64_t last) { return to == 10 && last == 19; };
        INFO("auto.offset.reset=" << r.reset);
        REQUIRE(poll_until(*r.oc, r.c, 30s, [&] { return r.c.unique_count() >= 20; }));
        REQUIRE(r.c.diff(before).empty());
    }

    cluster().kill_node(leader);
    log_line("truncation: killed node " + std::to_string(leader) + " (the leader, offsets 0-19), node " +
             std::to_string(follower) + " (offsets 0-9) is down too; starting node " + std::to_string(follower));
    cluster().restart_node(follower);
    bool elected = cluster().wait_partition(
        topic, 0, [&](const partition_info& i) { return i.leader == follower; }, 15s);
    if (!elected) {
        log_line("truncation: no unclean election by itself; LeaderElectionCommand --election-type unclean");
        cluster().tool("LeaderElectionCommand", "--election-type unclean --topic " + topic + " --partition 0",
                       cluster().address(follower));
        elected = cluster().wait_partition(
            topic, 0, [&](const partition_info& i) { return i.leader == follower; }, 30s);
    }
    REQUIRE(elected);
    produce(cluster().address(follower), topic, numbered("c", 10, 15), "-X acks=1");
    auto after = kcat_read_all(cluster().address(follower), topic);
    REQUIRE(after[0].size() == 25);
    REQUIRE(after[0][10].second == "c-10");  // the recipe worked: a new history from offset 10
    log_line("truncation: node " + std::to_string(follower) + " leads with offsets 0-9 (a) and 10-24 (c) after " +
             std::to_string(ms_since(t_start)) + " ms");

    for (auto& r : readers) {
        auto t0 = steady::now();
        bool done = false;
        if (r.reset != "none") {
            done = poll_until(*r.oc, r.c, 30s, [&] { return r.c.diff(after).empty(); });
        } else {
            auto deadline = steady::now() + 30s;
            while (!r.error && steady::now() < deadline) {
                try {
                    poll_into(*r.oc->consumer, r.c, 200ms);
                } catch (const kafka::log_truncation_error& e) {
                    r.error = e;
                }
            }
            done = r.error.has_value();
        }
        log_line("truncation, auto.offset.reset=" + r.reset + ": " + (done ? "detected" : "NOT detected") + " in " +
                 std::to_string(ms_since(t0)) + " ms" + (r.c.rewinds.empty() ? "" : "; " + r.c.rewinds.front()) +
                 (r.error ? std::string("; ") + r.error->what() : ""));
        INFO("auto.offset.reset=" << r.reset);
        INFO(r.oc->log_tail(30));
        INFO(r.c.diff(after));
        CHECK(done);
        CHECK(r.c.anomalies.empty());
        if (r.reset != "none") {
            // Back to offset 10 once, then every record of the new history.
            CHECK(r.c.rewinds == std::vector<std::string>{"p0 back to 10 after 19"});
            CHECK(logged(*r.oc, "runcation"));
        } else if (r.error) {
            CHECK(r.error->partitions() == std::map<kafka::topic_partition, std::int64_t>{{tp, 20}});
            REQUIRE(r.error->divergent_offsets().count(tp) == 1);
            CHECK(r.error->divergent_offsets().at(tp).offset == 10);
            // Nothing of the new history was returned before the exception.
            CHECK(r.c.unique_count() == 20);
            CHECK(r.c.rewinds.empty());
            // The user seeks to the divergence point and reads the new history.
            (*r.oc)->seek(tp, r.error->divergent_offsets().at(tp));
            CHECK(poll_until(*r.oc, r.c, 30s, [&] { return r.c.diff(after).empty(); }));
        }
    }
    for (auto& r : readers) (*r.oc)->close();

    cluster().restart_node(leader);
    CHECK(cluster().settle(120s));
    log_line("truncation test: " + std::to_string(ms_since(t_start)) + " ms");
}

TEST_CASE(
    "cluster: rolling restart of all three brokers under a consuming group member: every record at "
    "least once, no hang, no error the user cannot act on",
    "[cluster][fetch][rolling]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().settle(120s));
    auto t_start = steady::now();
    const std::string topic = "f6";
    auto prefix = unique_name("rr");
    // After a rejoin the member may read again from its last successful commit (at least once).
    committing_member m(topic);
    auto& oc = m.oc;
    auto& c = m.c;
    auto& try_commit = m.commits;
    background_producer producer(cluster().bootstrap(), topic, prefix, 100);
    REQUIRE(poll_until(
        oc, c, 30s, [&] { return oc.assigned.size() == 6 && max_sequence(c, prefix).size() == 6; }, try_commit));

    for (int node = 1; node <= 3; ++node) {
        auto t0 = steady::now();
        // restart-node: SIGTERM (controlled shutdown: leaders and the coordinator move first), start, ready.
        auto restart = std::async(std::launch::async, [&] {
            cluster().restart_node(node);
            return cluster().wait_fully_replicated(120s);
        });
        poll_until(
            oc, c, 180s, [&] { return restart.wait_for(0s) == std::future_status::ready; }, try_commit);
        REQUIRE(restart.get());
        auto sent = producer.sent();
        bool flowing = poll_until(
            oc, c, 30s, [&] { return behind(c, prefix, sent, 6).empty(); }, try_commit);
        log_line("rolling restart: node " + std::to_string(node) + " restarted and in sync after " +
                 std::to_string(ms_since(t0)) + " ms; records from every partition again: " + (flowing ? "yes" : "NO") +
                 "; rebalances so far " + std::to_string(oc.revoked + oc.lost));
        INFO(oc.log_tail(30));
        CHECK(flowing);
    }
    finish_and_compare(oc, c, producer, prefix, cluster().bootstrap(), topic);
    log_line("rolling restart: commits ok/failed " + std::to_string(try_commit.ok) + "/" +
             std::to_string(try_commit.failed) + (c.rewinds.empty() ? "" : "; re-read " + c.rewinds.front()));
    auto errors = error_lines(oc);
    std::string all;
    for (auto const& e : errors) all += e + "\n";
    INFO("error lines in the consumer's log:\n" << all);
    CHECK(errors.empty());
    INFO("max poll overshoot " << c.max_poll_overshoot_ms << " ms");
    CHECK(c.max_poll_overshoot_ms <= 1000);
    CHECK_NOTHROW(oc->commitSync());
    oc->close();
    log_line("rolling restart test: " + std::to_string(ms_since(t_start)) + " ms");
}

// Needs incremental fetch sessions in the consumer (KIP-227, issue 14); without them every Fetch
// carries all of a node's partitions and the checks on sizes fail.
TEST_CASE(
    "cluster: with 200 partitions assigned, the steady-state Fetch request to each node is a small "
    "incremental one (KIP-227 fetch sessions)",
    "[cluster][fetch][sessions]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    REQUIRE(cluster().settle(120s));
    auto t_start = steady::now();
    const int partitions = 200, n = 400;
    auto topic = unique_name("sess");
    cluster().create_topic(topic, partitions, 1);
    auto md = cluster().metadata(topic);
    for (int i = 0; i < 60 && md.topics[topic].size() < static_cast<std::size_t>(partitions); ++i) {
        std::this_thread::sleep_for(500ms);
        md = cluster().metadata(topic);
    }
    REQUIRE(md.topics[topic].size() == static_cast<std::size_t>(partitions));
    produce(cluster().bootstrap(), topic, numbered("s", 0, n));
    auto truth = kcat_read_all(cluster().bootstrap(), topic);
    REQUIRE(count_records(truth) == static_cast<std::size_t>(n));

    observed_consumer oc(make_config(cluster().bootstrap(), assign_settings({{"fetch.max.wait.ms", "100"}})));
    std::vector<kafka::topic_partition> all;
    for (int p = 0; p < partitions; ++p) all.push_back({topic, p});
    oc->assign(all);
    record_collector c;
    REQUIRE(poll_until(oc, c, 30s, [&] { return c.unique_count() >= static_cast<std::size_t>(n); }));
    idle(oc, c, 4s);
    CHECK(c.anomalies.empty());
    CHECK(c.diff(truth).empty());

    auto m = oc->metrics().all;
    for (auto const& [node, addr] : md.brokers) {
        std::vector<std::int32_t> sizes;
        for (auto const& r : fetches_to(oc, addr)) sizes.push_back(r.size);
        INFO("node " << node << " at " << addr);
        REQUIRE(sizes.size() >= 10);
        auto full = *std::max_element(sizes.begin(), sizes.end());
        std::vector<std::int32_t> last(sizes.end() - 10, sizes.end());
        auto steady_max = *std::max_element(last.begin(), last.end());
        auto avg = metric_value(m, "request-size-avg", node_tags(node));
        std::string shown;
        for (auto s : last) shown += " " + std::to_string(s);
        log_line("fetch sessions, node " + std::to_string(node) + ": " + std::to_string(sizes.size()) +
                 " Fetch requests, the largest " + std::to_string(full) + " bytes, the last ten:" + shown +
                 "; request-size-avg " + show(avg));
        // A full request names each of the node's ~67 partitions (>= 30 bytes each).
        CHECK(full >= 1000);
        // Idle and nothing changed: the session's incremental request names no partition.
        CHECK(steady_max * 10 < full);
        REQUIRE(avg);
        CHECK(*avg * 3 < full);
    }
    oc->close();
    log_line("fetch sessions test: " + std::to_string(ms_since(t_start)) + " ms");
}
