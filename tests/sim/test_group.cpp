// Simulated end to end: group membership, rebalances and the coordinator's error paths.
#include "sim_support.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace sim_support;

// ---------------------------------------------------------------------------------------------
// Membership and consumption.

TEST_CASE("engine sim: a member gets every partition, consumes all, commits; a second member splits them",
          "[sim][engine][group]") {
    kt::fake_cluster cluster;
    cluster.create_topic("orders", 4);
    for (int p = 0; p < 4; ++p) {
        cluster.produce("orders", p, "a", "b", "c");
        cluster.produce("orders", p, "d", "e");
    }
    auto a = make_consumer(cluster);
    seen_records seen_a;
    listener_log log_a;
    join(cluster, *a, seen_a, log_a, "orders", 4);
    CHECK(a->assignment() == partitions_of("orders", 4));
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return seen_a.count() == 20; }));
    for (auto const& tp : partitions_of("orders", 4)) CHECK(seen_a.contiguous(tp, 0, 5));

    a->commitSync();
    for (auto const& tp : partitions_of("orders", 4)) CHECK(cluster.committed("g", tp) == 5);

    // A second consumer of its own (own io_context and transport) joins the same group.
    auto b = make_consumer(cluster);
    seen_records seen_b;
    listener_log log_b;
    b->subscribe({"orders"}, log_b.listener());
    auto split = [&] {
        return a->assignment().size() + b->assignment().size() == 4 && !a->assignment().empty() &&
               !b->assignment().empty() && a->generation() == b->generation();
    };
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, split));
    std::set<topic_partition> both;
    for (auto const& tp : a->assignment()) both.insert(tp);
    for (auto const& tp : b->assignment()) CHECK(both.insert(tp).second);  // no overlap
    CHECK(both == partitions_of("orders", 4));
    auto info = cluster.describe_group("g");
    REQUIRE(info);
    CHECK(info->state == "Stable");
    CHECK(info->members.size() == 2);
    // Eager protocol (range): the first member gave everything up before the split.
    CHECK(log_a.events.front() == "assigned:4");
    CHECK(log_a.saw("revoked:4"));

    // New records are consumed once, by their owner; nothing committed before is replayed.
    REQUIRE(seen_a.count() == 20);
    REQUIRE(seen_b.count() == 0);
    seen_records new_a, new_b;
    for (int p = 0; p < 4; ++p) cluster.produce("orders", p, "f", "g", "h");
    REQUIRE(poll_until(cluster, {{a.get(), &new_a}, {b.get(), &new_b}},
                       [&] { return new_a.count() + new_b.count() == 12; }));
    for (auto const& tp : partitions_of("orders", 4)) {
        bool mine = a->assignment().count(tp) != 0;
        CHECK((mine ? new_a : new_b).contiguous(tp, 5, 8));
        CHECK((mine ? new_b : new_a).offsets.count(tp) == 0);
    }

    // The first member leaves (both committed): the second takes everything over at once and
    // resumes from the commits.
    a->commitSync();
    b->commitSync();
    a->close();
    auto left = cluster.now();
    seen_records last_b;
    REQUIRE(poll_until(cluster, *b, last_b, [&] { return b->assignment().size() == 4; }));
    CHECK(seconds(cluster.now() - left) < 5.0);  // LeaveGroup, not a session timeout
    for (int p = 0; p < 4; ++p) cluster.produce("orders", p, "i");
    REQUIRE(poll_until(cluster, *b, last_b, [&] { return last_b.count() == 4; }));
    for (auto const& tp : partitions_of("orders", 4)) CHECK(last_b.contiguous(tp, 8, 9));
}

// ---------------------------------------------------------------------------------------------
// Coordinator error paths.

TEST_CASE("engine sim: coordinator moved or NOT_COORDINATOR leads to FindCoordinator again",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto member = c->member_id();
    auto generation = c->generation();
    auto finds = cluster.request_count(find_coordinator_key);
    auto old_node = *cluster.coordinator_of("g");
    auto new_node = (old_node + 1) % 3;

    SECTION("the coordinator moves: heartbeats get NOT_COORDINATOR, then go to the new one") {
        cluster.move_coordinator("g", new_node);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return cluster.request_count(heartbeat_key, new_node) >= 2; }));
        CHECK(cluster.request_count(find_coordinator_key) > finds);
        CHECK(c->member_id() == member);  // the group survived the move: no rebalance
        CHECK(c->generation() == generation);
        CHECK(log.events == std::vector<std::string>{"assigned:2"});

        // A commit goes to the new coordinator too.
        cluster.produce("t", 0, "x", "y");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
        cluster.move_coordinator("g", old_node);
        c->commitSync();
        CHECK(cluster.committed("g", {"t", 0}) == 2);
        CHECK(cluster.request_count(commit_key, old_node) >= 1);
    }

    SECTION("injected NOT_COORDINATOR on a heartbeat") {
        cluster.inject(heartbeat_key, errc::not_coordinator);
        auto hb = cluster.request_count(heartbeat_key);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return cluster.request_count(heartbeat_key) >= hb + 3; }));
        CHECK(cluster.request_count(find_coordinator_key) == finds + 1);
        CHECK(c->generation() == generation);
    }

    SECTION("injected NOT_COORDINATOR on a commit: commitSync retries and succeeds") {
        cluster.produce("t", 1, "x");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
        cluster.inject(commit_key, errc::not_coordinator, 2);
        c->commitSync();
        CHECK(cluster.committed("g", {"t", 1}) == 1);
        CHECK(cluster.request_count(commit_key) == 3);
        CHECK(cluster.request_count(find_coordinator_key) >= finds + 2);
    }
}

TEST_CASE("engine sim: UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION: partitions lost, rejoin with an empty member id",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 3);
    auto member = c->member_id();
    std::vector<std::string> join_ids;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == join_key) join_ids.push_back(decode_join_member_id(info));
    });
    auto rejoined = [&] {
        return log.saw("lost:") && c->assignment().size() == 3 && !c->member_id().empty() && c->generation() > 0;
    };

    SECTION("injected UNKNOWN_MEMBER_ID on a heartbeat") {
        cluster.inject(heartbeat_key, errc::unknown_member_id);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("injected ILLEGAL_GENERATION on a heartbeat") {
        cluster.inject(heartbeat_key, errc::illegal_generation);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("the coordinator removed the member (its real UNKNOWN_MEMBER_ID)") {
        cluster.remove_member("g", member);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("ILLEGAL_GENERATION on a commit: commitSync throws commit_failed_error, then the member rejoins") {
        cluster.inject(commit_key, errc::illegal_generation);
        CHECK_THROWS_AS(
            c->commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{{"t", 0}, {0, "", std::nullopt}}}),
            kafka::commit_failed_error);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    REQUIRE_FALSE(join_ids.empty());
    CHECK(join_ids.front().empty());  // rejoined as a new member
    CHECK(c->member_id() != member);
    CHECK(log.events == std::vector<std::string>{"assigned:3", "lost:3", "assigned:3"});  // lost, not revoked
    cluster.on_request({});
}

TEST_CASE("engine sim: REBALANCE_IN_PROGRESS on a heartbeat: rejoin, revoked then assigned (eager)",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto member = c->member_id();
    auto generation = c->generation();
    cluster.inject(heartbeat_key, errc::rebalance_in_progress);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return c->generation() > generation && c->assignment().size() == 2; }));
    CHECK(log.events == std::vector<std::string>{"assigned:2", "revoked:2", "assigned:2"});
    CHECK(c->member_id() == member);  // same member, next generation
    CHECK(c->generation() == generation + 1);
}

TEST_CASE("engine sim: a member that does not rejoin within the rebalance timeout is removed",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 4);
    // Sessions outlast the rebalance timeout (max.poll.interval.ms), so that only the latter can act.
    std::map<std::string, std::string> cfg{{"session.timeout.ms", "60000"}, {"max.poll.interval.ms", "20000"}};
    auto a = make_consumer(cluster, cfg);
    auto b = make_consumer(cluster, cfg);
    seen_records seen_a, seen_b;
    listener_log log_a, log_b;
    a->subscribe({"t"}, log_a.listener());
    b->subscribe({"t"}, log_b.listener());
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, [&] {
        return a->assignment().size() == 2 && b->assignment().size() == 2 && a->generation() == b->generation();
    }));
    auto b_member = b->member_id();

    cluster.trigger_rebalance("g");
    auto start = cluster.now();
    // Only a polls (and rejoins); b is silent.
    REQUIRE(poll_until(
        cluster, *a, seen_a, [&] { return a->assignment().size() == 4; }, 50s));
    auto took = cluster.now() - start;
    CHECK(seconds(took) >= 19.9);
    CHECK(seconds(took) < 30.0);
    auto info = cluster.describe_group("g");
    REQUIRE(info);
    CHECK(info->members == std::vector<std::string>{a->member_id()});

    // b comes back: it finds itself unknown, loses its partitions and rejoins; the group splits again.
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, [&] {
        return log_b.saw("lost:2") && a->assignment().size() == 2 && b->assignment().size() == 2 &&
               a->generation() == b->generation();
    }));
    CHECK(b->member_id() != b_member);
}

TEST_CASE("engine sim: COORDINATOR_LOAD_IN_PROGRESS on FindCoordinator and JoinGroup is retried after the backoff",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    std::vector<kt::sim_clock::time_point> finds, joins;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == find_coordinator_key) finds.push_back(cluster.now());
        if (info.api_key == join_key) joins.push_back(cluster.now());
    });
    cluster.inject(find_coordinator_key, errc::coordinator_load_in_progress, 2);
    cluster.inject(join_key, errc::coordinator_load_in_progress, 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);
    REQUIRE(finds.size() == 3);
    // Lookups back off exponentially with 20% jitter (retry.backoff.ms 100, then 200).
    CHECK(seconds(finds[1] - finds[0]) >= 0.079);
    CHECK(seconds(finds[2] - finds[1]) >= 0.159);
    REQUIRE(joins.size() == 4);  // two refused, MEMBER_ID_REQUIRED, the join
    CHECK(seconds(joins[1] - joins[0]) >= 0.099);
    CHECK(seconds(joins[2] - joins[1]) >= 0.099);
    CHECK(log.events == std::vector<std::string>{"assigned:1"});
}

// ---------------------------------------------------------------------------------------------
// No record of a partition after it was revoked.

TEST_CASE("engine sim: nothing from a partition after it was revoked", "[sim][engine][group]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 4);
    std::vector<std::string> values;
    for (int i = 0; i < 50; ++i) values.push_back("v" + std::to_string(i));
    for (int p = 0; p < 4; ++p) cluster.produce_values("t", p, values);
    std::map<std::string, std::string> cfg{{"max.poll.records", "3"}};
    auto a = make_consumer(cluster, cfg);
    seen_records seen_a;
    listener_log log_a;
    log_a.before_revoke = [&](const std::vector<topic_partition>&) { a->commitSync(); };  // re-entry from the listener
    join(cluster, *a, seen_a, log_a, "t", 4);
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return seen_a.count() >= 6; }));

    auto b = make_consumer(cluster, cfg);
    seen_records seen_b;
    listener_log log_b;
    log_b.before_revoke = [&](const std::vector<topic_partition>&) { b->commitSync(); };
    b->subscribe({"t"}, log_b.listener());
    // Every record a returns must belong to a partition it owns at that moment.
    bool stray = false;
    auto step = [&] {
        auto rs = a->poll(100ms);
        for (auto const& r : rs)
            if (!log_a.owned.count({r.topic(), r.partition()})) stray = true;
        seen_a.add(rs);
        seen_b.add(b->poll(100ms));
    };
    for (int i = 0; i < 2000 && seen_a.count() + seen_b.count() < 200; ++i) step();
    CHECK_FALSE(stray);
    CHECK(log_a.saw("revoked:4"));
    CHECK(a->assignment().size() == 2);
    CHECK(b->assignment().size() == 2);
    // Each record once: a's before the split continue seamlessly in b's.
    CHECK(seen_a.count() + seen_b.count() == 200);
    for (int p = 0; p < 4; ++p) {
        topic_partition tp{"t", p};
        std::vector<std::int64_t> all = seen_a.offsets[tp];
        all.insert(all.end(), seen_b.offsets[tp].begin(), seen_b.offsets[tp].end());
        std::sort(all.begin(), all.end());
        std::vector<std::int64_t> want(50);
        for (int i = 0; i < 50; ++i) want[static_cast<std::size_t>(i)] = i;
        CHECK(all == want);
    }
    log_a.before_revoke = nullptr;  // they call the consumers, which are destroyed first
    log_b.before_revoke = nullptr;
}
