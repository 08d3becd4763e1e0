// Simulated end to end: KafkaConsumer under group.protocol=consumer (KIP-848) against the fake
// cluster's consumer group coordinator.
#include "sim_support.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

using namespace sim_support;

namespace {

constexpr std::int16_t cgh_key = proto::ConsumerGroupHeartbeatRequest::api_key;

// group.protocol=consumer: the broker owns the session and the heartbeat interval, so the
// classic keys must not be set (Java refuses them too).
std::map<std::string, std::string> kip848(std::map<std::string, std::string> extra = {}) {
    extra["group.protocol"] = "consumer";
    extra["session.timeout.ms"] = "";
    extra["heartbeat.interval.ms"] = "";
    return extra;
}

kt::fake_cluster_options fast_heartbeats() {
    kt::fake_cluster_options o;
    o.consumer_session_timeout = 10s;
    o.consumer_heartbeat_interval = 1s;
    return o;
}

}  // namespace

TEST_CASE("engine sim kip848: members split a topic with no partition owned twice and no record lost; leave hands over",
          "[sim][engine][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("orders", 6);
    for (int p = 0; p < 6; ++p) produce_batches(cluster, "orders", p, 2, 5);
    auto a = make_consumer(cluster, kip848());
    seen_records seen_a;
    listener_log log_a;
    join(cluster, *a, seen_a, log_a, "orders", 6);
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return seen_a.count() == 60; }));
    for (auto const& tp : partitions_of("orders", 6)) CHECK(seen_a.contiguous(tp, 0, 10));
    a->commitSync();
    for (auto const& tp : partitions_of("orders", 6)) CHECK(cluster.committed("g", tp) == 10);
    auto info = cluster.describe_consumer_group("g");
    REQUIRE(info);
    CHECK(info->members.size() == 1);
    CHECK(a->generation() == info->members.front().member_epoch);  // the member epoch
    CHECK_FALSE(cluster.describe_group("g"));                      // not a classic group

    // A second member joins while records keep coming: the first keeps consuming what it keeps.
    auto b = make_consumer(cluster, kip848());
    seen_records seen_b;
    listener_log log_b;
    b->subscribe({"orders"}, log_b.listener());
    log_a.before_revoke = [&](const std::vector<topic_partition>&) { a->commitSync(); };
    bool overlap = false;
    int produced = 0;
    auto split = [&] {
        for (auto const& tp : a->assignment())
            if (b->assignment().count(tp)) overlap = true;
        if (produced < 30) {
            cluster.produce("orders", produced % 6, "n" + std::to_string(produced));
            ++produced;
        }
        return a->assignment().size() == 3 && b->assignment().size() == 3 && produced == 30;
    };
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, split));
    CHECK_FALSE(overlap);
    CHECK(log_a.events == std::vector<std::string>{"assigned:6", "revoked:3", "assigned:0"});
    CHECK(log_b.events == std::vector<std::string>{"assigned:3"});
    // Everything produced is consumed; what moved resumes from the commit made before the revocation.
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}},
                       [&] { return seen_a.count() + seen_b.count() >= 90; }));
    for (auto const& tp : partitions_of("orders", 6)) {
        std::set<std::int64_t> got;
        for (auto* s : {&seen_a, &seen_b})
            if (auto it = s->offsets.find(tp); it != s->offsets.end()) got.insert(it->second.begin(), it->second.end());
        CHECK(got.size() == static_cast<std::size_t>(cluster.end_offset(tp)));
    }
    CHECK(seen_a.count() + seen_b.count() == 90);  // nothing twice either: committed before revoking

    // The first member closes: the second takes everything over at once (no session timeout).
    a->commitSync();
    a->close();
    auto left = cluster.now();
    seen_records last_b;
    REQUIRE(poll_until(cluster, *b, last_b, [&] { return b->assignment().size() == 6; }));
    CHECK(seconds(cluster.now() - left) < 3.0);
    CHECK(log_b.events.back() == "assigned:3");
}

TEST_CASE("engine sim kip848: a member whose session expired is fenced: lost, then it rejoins",
          "[sim][engine][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster, kip848());
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto id = c->member_id();
    cluster.remove_consumer_member("g", id);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return log.events.size() >= 3 && c->assignment().size() == 2; }));
    CHECK(log.events == std::vector<std::string>{"assigned:2", "lost:2", "assigned:2"});
    CHECK(c->member_id() == id);
    // Commits carry the new epoch.
    cluster.produce("t", 0, "x");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    c->commitSync();
    CHECK(cluster.committed("g", {"t", 0}) == 1);
}

TEST_CASE("engine sim kip848: a broker without the protocol: poll throws a sentence, never falls back to classic",
          "[sim][engine][kip848]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster, kip848());
    c->subscribe({"t"});
    cluster.inject(cgh_key, errc::unsupported_version);
    try {
        for (int i = 0; i < 100; ++i) (void)c->poll(100ms);
        FAIL("no error");
    } catch (const kafka::kafka_error& e) {
        CHECK(e.code() == errc::unsupported_version);
        CHECK_THAT(e.what(), Catch::Contains("group.protocol=classic"));
    }
    CHECK(cluster.request_count(join_key) == 0);
}

TEST_CASE("engine sim kip848: a static member restarting within the session keeps its partitions",
          "[sim][engine][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 4);
    auto a = make_consumer(cluster, kip848({{"group.instance.id", "a"}}));
    auto b = make_consumer(cluster, kip848({{"group.instance.id", "b"}}));
    seen_records sa, sb;
    listener_log la, lb;
    a->subscribe({"t"}, la.listener());
    b->subscribe({"t"}, lb.listener());
    REQUIRE(poll_until(cluster, {{a.get(), &sa}, {b.get(), &sb}},
                       [&] { return a->assignment().size() == 2 && b->assignment().size() == 2; }));
    auto kept = a->assignment();
    a->close();
    a = make_consumer(cluster, kip848({{"group.instance.id", "a"}}));
    listener_log la2;
    a->subscribe({"t"}, la2.listener());
    REQUIRE(poll_until(
        cluster, {{a.get(), &sa}, {b.get(), &sb}},
        [&] {
            for (auto const& tp : b->assignment()) REQUIRE_FALSE(kept.count(tp));
            return a->assignment() == kept;
        },
        5s));
    CHECK(lb.events == std::vector<std::string>{"assigned:2"});
}

TEST_CASE(
    "engine sim kip848: subscribe(subscription_pattern): the broker's regex, a topic created later is consumed too",
    "[sim][engine][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("orders-eu", 2);
    cluster.create_topic("refunds", 1);
    cluster.produce("orders-eu", 0, "a");
    cluster.produce("refunds", 0, "x");
    auto c = make_consumer(cluster, kip848());
    seen_records seen;
    listener_log log;
    c->subscribe(kafka::subscription_pattern("orders-.*"), log.listener());
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1 && c->assignment().size() == 2; }));
    CHECK(seen.values == std::vector<std::string>{"a"});
    CHECK(c->subscription() == std::set<std::string>{"orders-eu"});

    cluster.create_topic("orders-us", 1);
    cluster.produce("orders-us", 0, "b");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
    CHECK(seen.values.back() == "b");
    CHECK(c->assignment().size() == 3);
    CHECK(log.events == std::vector<std::string>{"assigned:2", "assigned:1"});
}

TEST_CASE("engine sim kip848: subscription_pattern is refused under classic, on a v0-only broker, and when malformed",
          "[sim][engine][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 1);
    SECTION("classic") {
        auto c = make_consumer(cluster);
        CHECK_THROWS_WITH(c->subscribe(kafka::subscription_pattern("t.*")),
                          Catch::Contains("group.protocol=consumer") && Catch::Contains("topic_pattern"));
    }
    SECTION("a broker serving ConsumerGroupHeartbeat v0 only (Kafka 3.9)") {
        cluster.limit_version(cgh_key, 0);
        auto c = make_consumer(cluster, kip848());
        c->subscribe(kafka::subscription_pattern("t.*"));
        CHECK_THROWS_WITH(
            [&] {
                for (int i = 0; i < 100; ++i) (void)c->poll(100ms);
            }(),
            Catch::Contains("v1") && Catch::Contains("Kafka 4.0"));
    }
    SECTION("a regex the broker refuses") {
        auto c = make_consumer(cluster, kip848());
        c->subscribe(kafka::subscription_pattern("t(["));
        CHECK_THROWS_WITH(
            [&] {
                for (int i = 0; i < 100; ++i) (void)c->poll(100ms);
            }(),
            Catch::Contains("t([") && Catch::Contains("RE2/J"));
    }
}

TEST_CASE("engine sim kip848: close(close_options) picks the leave heartbeat: -1, -2 for a static member, or none",
          "[sim][engine][kip848]") {
    using op = kafka::group_membership_operation;
    struct variant {
        const char* name;
        bool is_static;
        op operation;
        std::optional<std::int32_t> epoch;  // of the leave heartbeat; nullopt: none is sent
    };
    auto v = GENERATE(variant{"dynamic, default", false, op::default_operation, -1},
                      variant{"dynamic, leave_group", false, op::leave_group, -1},
                      variant{"dynamic, remain_in_group", false, op::remain_in_group, std::nullopt},
                      variant{"static, default", true, op::default_operation, -2},
                      variant{"static, leave_group", true, op::leave_group, -1},
                      variant{"static, remain_in_group", true, op::remain_in_group, -2});
    INFO(v.name);
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 2);
    std::map<std::string, std::string> extra;
    if (v.is_static) extra["group.instance.id"] = "i-1";
    auto c = make_consumer(cluster, kip848(extra));
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    std::vector<std::int32_t> leave_epochs;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key != cgh_key) return;
        proto::ConsumerGroupHeartbeatRequest req;
        std::int16_t ver = 0;
        std::int32_t corr = 0;
        if (!proto::decode_request(info.frame, req, ver, corr) && req.member_epoch < 0)
            leave_epochs.push_back(req.member_epoch);
    });
    c->close(kafka::close_options{std::chrono::milliseconds(2000), v.operation});
    if (v.epoch)
        CHECK(leave_epochs == std::vector<std::int32_t>{*v.epoch});
    else
        CHECK(leave_epochs.empty());
}
