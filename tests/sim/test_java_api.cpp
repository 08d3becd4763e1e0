// The rest of Java's KafkaConsumer API against the fake cluster on simulated time: partitionsFor
// with replicas, listTopics, currentLag, groupMetadata, enforceRebalance, records(topic) and
// close(close_options) (KIP-1092).
#include "sim_support.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using namespace sim_support;

namespace {
constexpr std::int16_t leave_key = proto::LeaveGroupRequest::api_key;

std::vector<std::int32_t> ids(const std::vector<kafka::node_info>& nodes) {
    std::vector<std::int32_t> out;
    for (auto const& n : nodes) out.push_back(n.id);
    return out;
}
}  // namespace

TEST_CASE("engine sim api: partitionsFor gives leader, replicas, in-sync and offline replicas", "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2, {0, 1});
    auto c = make_consumer(cluster, {{"group.id", ""}, {"allow.auto.create.topics", "false"}});
    auto parts = c->partitionsFor("t");
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].topic == "t");
    CHECK(parts[0].partition == 0);
    REQUIRE(parts[0].leader);
    CHECK(*parts[0].leader == kafka::node_info{0, "sim", 9092, std::nullopt});
    CHECK(parts[1].leader->id == 1);
    CHECK(parts[1].leader->port == 9093);
    CHECK(ids(parts[0].replicas) == std::vector<std::int32_t>{0, 1, 2});
    CHECK(ids(parts[0].in_sync_replicas) == std::vector<std::int32_t>{0, 1, 2});
    CHECK(parts[0].offline_replicas.empty());
    CHECK(parts[1].topic_partition() == topic_partition{"t", 1});

    // A node down: offline, out of the ISR, and (not being in the brokers list) without an address.
    cluster.set_down(2, true, false);
    parts = c->partitionsFor("t");
    REQUIRE(parts.size() == 2);
    CHECK(ids(parts[0].in_sync_replicas) == std::vector<std::int32_t>{0, 1});
    REQUIRE(parts[0].offline_replicas.size() == 1);
    CHECK(parts[0].offline_replicas[0] == kafka::node_info{2, "", -1, std::nullopt});

    CHECK(c->partitionsFor("nope").empty());
    CHECK_FALSE(cluster.has_topic("nope"));
}

TEST_CASE("engine sim api: partitionsFor against a cluster nobody answers for: timeout_error within its timeout",
          "[sim][engine][api]") {
    kt::fake_cluster cluster;
    auto c = make_consumer(cluster, {{"group.id", ""}, {"bootstrap.servers", "sim:1"}});
    auto start = cluster.now();
    CHECK_THROWS_AS(c->partitionsFor("t", 2s), kafka::timeout_error);
    CHECK(cluster.now() - start >= 2s);
    CHECK(cluster.now() - start < 3s);
}

TEST_CASE("engine sim api: listTopics lists every topic with its partitions", "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("a", 1);
    cluster.create_topic("b", 3);
    auto c = make_consumer(cluster, {{"group.id", ""}});
    auto topics = c->listTopics();
    REQUIRE(topics.count("a"));
    REQUIRE(topics.count("b"));
    CHECK(topics["a"].size() == 1);
    CHECK(topics["b"].size() == 3);
    CHECK(topics["b"][2].partition == 2);
    CHECK(topics["b"][2].leader);
}

TEST_CASE("engine sim api: currentLag is known once a fetch told the high watermark", "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c", "d", "e");
    auto c = make_consumer(cluster, {{"group.id", ""}, {"max.poll.records", "2"}});
    CHECK_THROWS_AS(c->currentLag({"t", 0}), kafka::illegal_state_error);
    c->assign({{"t", 0}});
    CHECK_FALSE(c->currentLag({"t", 0}).has_value());
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 2; }));
    auto lag = c->currentLag({"t", 0});
    REQUIRE(lag);
    CHECK(*lag == 5 - static_cast<std::int64_t>(seen.count()));
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 5; }));
    CHECK(c->currentLag({"t", 0}) == std::optional<std::int64_t>(0));
}

TEST_CASE("engine sim api: groupMetadata and enforceRebalance", "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster, {{"group.instance.id", "i-1"}});
    auto before = c->groupMetadata();
    CHECK(before == kafka::consumer_group_metadata{"g", -1, "", std::string("i-1")});
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto m = c->groupMetadata();
    CHECK(m.group_id == "g");
    CHECK(m.generation_id == c->generation());
    CHECK(m.generation_id > 0);
    CHECK(m.member_id == c->member_id());
    CHECK_FALSE(m.member_id.empty());
    CHECK(m.group_instance_id == std::optional<std::string>("i-1"));

    std::vector<std::string> reasons;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key != join_key) return;
        proto::JoinGroupRequest req;
        std::int16_t v = 0;
        std::int32_t corr = 0;
        if (!proto::decode_request(info.frame, req, v, corr)) reasons.push_back(req.reason.value_or(""));
    });
    c->enforceRebalance("a test asked");
    REQUIRE(poll_until(cluster, *c, seen,
                       [&] { return c->generation() > m.generation_id && c->assignment().size() == 2; }));
    REQUIRE_FALSE(reasons.empty());
    CHECK(reasons.front() == "rebalance enforced by the user: a test asked");

    auto solo = make_consumer(cluster, {{"group.id", ""}});
    CHECK_THROWS_AS(solo->groupMetadata(), kafka::kafka_error);
    solo->assign({{"t", 0}});
    CHECK_THROWS_AS(solo->enforceRebalance(), kafka::illegal_state_error);
}

TEST_CASE("engine sim api: ConsumerRecords::records(topic)", "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("a", 2);
    cluster.create_topic("b", 1);
    cluster.produce("a", 0, "a0");
    cluster.produce("a", 1, "a1");
    cluster.produce("b", 0, "b0");
    auto c = make_consumer(cluster, {{"group.id", ""}});
    c->assign({{"a", 0}, {"a", 1}, {"b", 0}});
    std::vector<std::string> as, bs;
    std::size_t n = 0;
    for (int i = 0; i < 200 && n < 3; ++i) {
        auto records = c->poll(100ms);
        n += records.count();
        for (auto const& r : records.records("a")) as.push_back(r.value());
        for (auto const& r : records.records(std::string("b"))) bs.push_back(r.value());
        CHECK(records.records("c").empty());
        CHECK(records.records({"a", 0}).size() <= 1);  // still the partition overload
    }
    std::sort(as.begin(), as.end());
    CHECK(as == std::vector<std::string>{"a0", "a1"});
    CHECK(bs == std::vector<std::string>{"b0"});
}

TEST_CASE("engine sim api: close(close_options) leaves, or remains in, the group as asked (KIP-1092)",
          "[sim][engine][api]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    seen_records seen;
    listener_log log;
    auto members = [&] { return cluster.describe_group("g")->members.size(); };
    using op = kafka::group_membership_operation;

    SECTION("a dynamic member: DEFAULT leaves, REMAIN_IN_GROUP stays until its session expires") {
        auto stay = GENERATE(false, true);
        auto c = make_consumer(cluster);
        join(cluster, *c, seen, log, "t", 2);
        auto leaves = cluster.request_count(leave_key);
        c->close(kafka::close_options{std::nullopt, stay ? op::remain_in_group : op::default_operation});
        CHECK(cluster.request_count(leave_key) == leaves + (stay ? 0 : 1));
        CHECK(members() == (stay ? 1u : 0u));
        CHECK(log.saw("revoked:2"));
    }
    SECTION("a static member: DEFAULT stays, LEAVE_GROUP leaves") {
        auto leave = GENERATE(false, true);
        auto c = make_consumer(cluster, {{"group.instance.id", "i-1"}});
        join(cluster, *c, seen, log, "t", 2);
        auto leaves = cluster.request_count(leave_key);
        c->close(kafka::close_options{std::nullopt, leave ? op::leave_group : op::default_operation});
        CHECK(cluster.request_count(leave_key) == leaves + (leave ? 1 : 0));
        CHECK(members() == (leave ? 0u : 1u));
    }
    SECTION("the timeout bounds close when the coordinator does not answer") {
        auto c = make_consumer(cluster);
        join(cluster, *c, seen, log, "t", 2);
        cluster.drop_responses(leave_key, 1);
        auto start = cluster.now();
        c->close(kafka::close_options{1s, op::leave_group});
        auto took = cluster.now() - start;
        CHECK(took <= 1100ms);
    }
}
