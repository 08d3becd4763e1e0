// Simulated end to end: the offset commit policies (auto-commit, after-poll sync and async).
#include "sim_support.hpp"

// The commit-policy consumer types below are compiled here (sim_consumer is compiled in sim_consumer.cpp).
#include <kafka/impl/consumer.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace sim_support;

namespace {
struct auto_commit_policies : sim_policies {
    using offset_commit = kafka::commit::auto_commit;
};
}  // namespace

TEST_CASE("engine sim: auto-commit commits consumed positions on its interval and on close", "[sim][engine][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c");
    using auto_consumer = kafka::KafkaConsumer<std::string, std::string, auto_commit_policies>;
    auto_consumer c(config_for(cluster, {{"enable.auto.commit", "true"}, {"auto.commit.interval.ms", "1000"}}), {}, {},
                    cluster.transport());
    c.subscribe({"t"});
    std::size_t n = 0;
    auto end = cluster.now() + 30s;
    while (n < 3 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 3);
    auto start = cluster.now();
    while (cluster.committed("g", {"t", 0}) != 3 && cluster.now() < end) c.poll(100ms);
    CHECK(cluster.committed("g", {"t", 0}) == 3);
    CHECK(seconds(cluster.now() - start) <= 1.5);
    cluster.produce("t", 0, "d");
    while (n < 4 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 4);
    c.close();  // commits on the way out
    CHECK(cluster.committed("g", {"t", 0}) == 4);
}

namespace {
struct async_after_poll_policies : sim_policies {
    using offset_commit = kafka::commit::async_after_poll;
};
struct sync_after_poll_policies : sim_policies {
    using offset_commit = kafka::commit::sync_after_poll;
};
}  // namespace

TEMPLATE_TEST_CASE(
    "engine sim: after-poll commits: the previous poll's records are committed at the next poll, "
    "sync waits for the broker and async does not",
    "[sim][engine][commit]", sync_after_poll_policies, async_after_poll_policies) {
    constexpr bool async = kafka::commit::commits_async<typename TestType::offset_commit>;
    kt::fake_cluster cluster;
    auto coordinator = *cluster.coordinator_of("g");
    cluster.create_topic("t", 1, {(coordinator + 1) % 3});  // the leader is another node
    cluster.produce("t", 0, "a", "b", "c");
    using consumer_t = kafka::KafkaConsumer<std::string, std::string, TestType>;
    consumer_t c(config_for(cluster, {{"max.poll.records", "2"}, {"request.timeout.ms", "30000"}}), {}, {},
                 cluster.transport());
    std::vector<std::pair<std::int64_t, std::error_code>> outcomes;  // committed offset of t-0, error
    c.set_commit_callback([&](const std::map<topic_partition, kafka::offset_and_metadata>& o, std::error_code ec) {
        auto it = o.find({"t", 0});
        outcomes.push_back({it == o.end() ? -1 : it->second.offset, ec});
    });
    c.subscribe({"t"});
    std::size_t n = 0;
    auto end = cluster.now() + 30s;
    while (n == 0 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 2);                                            // offsets 0 and 1
    CHECK_FALSE(cluster.committed("g", {"t", 0}).has_value());  // nothing committed before the next poll

    // The coordinator now answers after 1 s: the next poll commits offset 2. (It reads one request
    // of a connection at a time, as Kafka does, so requests queued behind each other wait longer.)
    cluster.set_latency(coordinator, 1s);
    auto before = cluster.now();
    n += c.poll(100ms).size();
    auto took = cluster.now() - before;
    if constexpr (async) {
        CHECK(took < 500ms);  // the commit is on its way; poll returned the next record meanwhile
        CHECK(n == 3);
        // The next poll sends the commit of offset 3 behind it; both outcomes come back in order.
        while (outcomes.size() < 2 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 2);
        CHECK(outcomes[0] == std::pair<std::int64_t, std::error_code>{2, {}});
        CHECK(outcomes[1] == std::pair<std::int64_t, std::error_code>{3, {}});
        CHECK(cluster.committed("g", {"t", 0}) == 3);
    } else {
        CHECK(took >= 1s);        // the commit was waited for
        CHECK(outcomes.empty());  // sync commits do not go to the callback
        CHECK(cluster.committed("g", {"t", 0}) == 2);
    }
    cluster.set_latency(coordinator, 1ms);

    if constexpr (async) {
        // A failed commit goes to the callback and is not retried; the next poll's commit covers it.
        cluster.produce("t", 0, "d");
        while (n < 4 && cluster.now() < end) n += c.poll(100ms).size();
        REQUIRE(n == 4);
        cluster.inject(commit_key, errc::coordinator_load_in_progress);
        while (outcomes.size() < 3 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 3);
        CHECK(outcomes[2] ==
              std::pair<std::int64_t, std::error_code>{4, make_error_code(errc::coordinator_load_in_progress)});
        CHECK(cluster.committed("g", {"t", 0}) == 3);
        cluster.produce("t", 0, "e");
        while (n < 5 && cluster.now() < end) n += c.poll(100ms).size();
        REQUIRE(n == 5);
        while (outcomes.size() < 4 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 4);
        CHECK(outcomes[3] == std::pair<std::int64_t, std::error_code>{5, {}});
        CHECK(cluster.committed("g", {"t", 0}) == 5);
    }
    c.close();
    CHECK(cluster.committed("g", {"t", 0}) == static_cast<std::int64_t>(n));
}

namespace {
struct on_revoke_only_policies : sim_policies {
    using offset_commit = kafka::commit::on_revoke_only;
};
}  // namespace

TEST_CASE("engine sim: on_revoke_only commits the partitions a member keeps too when a rebalance takes some away",
          "[sim][engine][commit]") {
    // Found by the real-broker crash-restart test under group.protocol=consumer: a reconciliation
    // committed only the partitions it revoked, so after a crash the kept ones were replayed from
    // before the rebalance (offset_commit.hpp promises: only what came after it).
    auto protocol = GENERATE(std::string("classic"), std::string("consumer"));
    INFO("group.protocol=" << protocol);
    kt::fake_cluster_options options;
    options.consumer_session_timeout = 10s;
    options.consumer_heartbeat_interval = 1s;
    kt::fake_cluster cluster(options);
    cluster.create_topic("t", 6);
    for (int p = 0; p < 6; ++p) cluster.produce("t", p, "a", "b", "c");
    std::map<std::string, std::string> extra{{"group.protocol", protocol}};
    if (protocol == "consumer") extra.insert({{"session.timeout.ms", ""}, {"heartbeat.interval.ms", ""}});
    using consumer_t = kafka::KafkaConsumer<std::string, std::string, on_revoke_only_policies>;
    consumer_t a(config_for(cluster, extra), {}, {}, cluster.transport());
    consumer_t b(config_for(cluster, extra), {}, {}, cluster.transport());
    a.subscribe({"t"});
    std::size_t n = 0;
    auto end = cluster.now() + 60s;
    while (n < 18 && cluster.now() < end) n += a.poll(100ms).size();
    REQUIRE(n == 18);
    for (int p = 0; p < 6; ++p) CHECK_FALSE(cluster.committed("g", {"t", p}));  // nothing committed yet

    b.subscribe({"t"});
    while (!(a.assignment().size() == 3 && b.assignment().size() == 3) && cluster.now() < end) {
        CHECK(a.poll(100ms).empty());
        CHECK(b.poll(100ms).empty());  // everything was consumed and is committed before it moves
    }
    REQUIRE(a.assignment().size() == 3);
    for (int p = 0; p < 6; ++p) {
        INFO("partition " << p << (a.assignment().count({"t", p}) ? ", kept by the first member" : ", moved"));
        CHECK(cluster.committed("g", {"t", p}) == 3);
    }
}
