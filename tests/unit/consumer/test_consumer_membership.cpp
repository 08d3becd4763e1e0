// The KIP-848 membership (group.protocol=consumer) on its own, against the fake cluster's consumer
// group coordinator on simulated time: driven step by step, as the consumer's poll drives it.
#include <kafka/consumer.hpp>
#include <kafka/consumer/consumer_membership.hpp>
#include <kafka/protocol/messages/consumer_group_heartbeat.hpp>
#include <kafka/testing/fake_cluster.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "group_rig.hpp"

using namespace std::chrono_literals;
using kafka::errc;
using kafka::topic_partition;
namespace ke = kafka::engine;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;

namespace {

using membership = ke::consumer_membership<kt::in_memory_transport>;
using unit_rig::group_rig;
constexpr std::int16_t cgh_key = proto::ConsumerGroupHeartbeatRequest::api_key;

/// A member: its rig, its membership and its listener's log.
struct member {
    explicit member(kt::fake_cluster& c, std::optional<std::string> instance = std::nullopt,
                    std::optional<std::string> assignor = std::nullopt)
        : rig(c, "g", std::move(instance)), m(rig.parts, std::move(assignor)) {
        kafka::rebalance_listener l;
        l.on_partitions_assigned = [this](auto const& ps) {
            events.push_back("assigned:" + std::to_string(ps.size()));
        };
        l.on_partitions_revoked = [this](auto const& ps) { events.push_back("revoked:" + std::to_string(ps.size())); };
        l.on_partitions_lost = [this](auto const& ps) { events.push_back("lost:" + std::to_string(ps.size())); };
        rig.parts.applier.set_listener(l);
    }
    void step() {
        rig.round([&](auto now) { m.poll(now); });
    }
    template <class Done>
    bool run_until(Done&& done, std::chrono::seconds limit = 60s) {
        return rig.run_until([&](auto now) { m.poll(now); }, std::forward<Done>(done), limit);
    }
    /// Subscribes to `topic` and steps until stable with `n` partitions.
    bool join(const std::string& topic, std::size_t n) {
        rig.subscribe(topic);
        return run_until([&] { return m.state() == ke::consumer_state::stable && owned().size() == n; });
    }
    std::set<topic_partition> owned() const {
        auto v = rig.subs.assigned_partitions();
        return {v.begin(), v.end()};
    }
    group_rig rig;
    membership m;
    std::vector<std::string> events;
};

/// Every ConsumerGroupHeartbeat the cluster reads, decoded.
struct heartbeat_log {
    explicit heartbeat_log(kt::fake_cluster& c) {
        c.on_request([this](const kt::request_info& info) {
            if (info.api_key != cgh_key) return;
            proto::ConsumerGroupHeartbeatRequest req;
            std::int16_t v = 0;
            std::int32_t corr = 0;
            if (!proto::decode_request(info.frame, req, v, corr)) {
                requests.push_back(req);
                versions.push_back(v);
            }
        });
    }
    std::vector<proto::ConsumerGroupHeartbeatRequest> requests;
    std::vector<std::int16_t> versions;
};

using unit_rig::sim_manual;
struct my_assignor : kafka::assignors::range {
    static constexpr std::string_view name = "mine";
};
struct custom : sim_manual {
    using assignor = my_assignor;
};

kt::fake_cluster_options fast_heartbeats() {
    kt::fake_cluster_options o;
    o.consumer_session_timeout = 10s;
    o.consumer_heartbeat_interval = 1s;
    return o;
}

}  // namespace

TEST_CASE("consumer membership transitions: the protocol's order; fatal is the end", "[membership][kip848]") {
    using enum ke::consumer_state;
    STATIC_REQUIRE(ke::valid_transition(unjoined, joining));
    STATIC_REQUIRE(ke::valid_transition(joining, reconciling));
    STATIC_REQUIRE(ke::valid_transition(reconciling, acknowledging));
    STATIC_REQUIRE(ke::valid_transition(acknowledging, stable));
    STATIC_REQUIRE(ke::valid_transition(stable, reconciling));
    STATIC_REQUIRE(ke::valid_transition(stable, fenced));
    STATIC_REQUIRE(ke::valid_transition(fenced, joining));
    STATIC_REQUIRE(ke::valid_transition(stale, joining));
    STATIC_REQUIRE_FALSE(ke::valid_transition(unjoined, stable));
    STATIC_REQUIRE_FALSE(ke::valid_transition(joining, acknowledging));
    STATIC_REQUIRE_FALSE(ke::valid_transition(fenced, stable));
    STATIC_REQUIRE_FALSE(ke::valid_transition(fatal, joining));
    STATIC_REQUIRE_FALSE(ke::valid_transition(fatal, unjoined));
}

TEST_CASE("consumer membership: joins with epoch 0 and its own member id, reconciles, acknowledges, sends only changes",
          "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 3);
    heartbeat_log log(cluster);
    member a(cluster);
    a.rig.subscribe("t");
    CHECK(a.m.protocol() == "consumer");
    CHECK(a.m.member_id().size() == 22);  // Java's Uuid string: 16 bytes in base64url
    CHECK(a.m.identity().generation_or_epoch == -1);

    REQUIRE(a.run_until([&] {
        return a.m.state() == ke::consumer_state::stable && a.owned().size() == 3 && log.requests.size() >= 2;
    }));
    CHECK(a.events == std::vector<std::string>{"assigned:3"});
    CHECK(a.m.member_epoch() > 0);
    CHECK(a.m.identity().generation_or_epoch == a.m.member_epoch());
    CHECK(a.m.identity().member_id == a.m.member_id());
    CHECK(a.m.heartbeat_interval() == 1s);  // the broker's, not heartbeat.interval.ms
    CHECK_FALSE(a.m.take_fatal());

    REQUIRE(log.requests.size() >= 2);
    CHECK(log.versions.front() == 1);
    auto const& join = log.requests.front();
    CHECK(join.member_epoch == 0);
    CHECK(join.member_id == a.m.member_id());
    CHECK(join.rebalance_timeout_ms == 60000);  // max.poll.interval.ms
    REQUIRE(join.subscribed_topic_names);
    CHECK(*join.subscribed_topic_names == std::vector<std::string>{"t"});
    REQUIRE(join.topic_partitions);
    CHECK(join.topic_partitions->empty());
    // The acknowledgement: the owned partitions, and nothing that did not change.
    auto const& ack = log.requests[1];
    CHECK(ack.member_epoch == a.m.member_epoch());
    REQUIRE(ack.topic_partitions);
    REQUIRE(ack.topic_partitions->size() == 1);
    CHECK(ack.topic_partitions->front().partitions.size() == 3);
    CHECK_FALSE(ack.subscribed_topic_names);
    CHECK(ack.rebalance_timeout_ms == -1);

    // Stable: heartbeats at the broker's interval, with no fields but the identity.
    auto before = log.requests.size();
    auto until = a.rig.transport.now() + 5s;
    REQUIRE(a.run_until([&] { return a.rig.transport.now() >= until; }, 6s));
    CHECK(log.requests.size() >= before + 4);
    CHECK(log.requests.size() <= before + 6);
    auto const& last = log.requests.back();
    CHECK_FALSE(last.topic_partitions);
    CHECK_FALSE(last.subscribed_topic_names);
    CHECK_FALSE(last.server_assignor);

    // Leaving: revoked through the listener, epoch -1, and the coordinator forgets the member.
    a.m.revoke_all_and_leave("test");
    CHECK(a.events.back() == "revoked:3");
    REQUIRE(a.m.leave_future());
    REQUIRE(a.rig.client.poll_future(*a.m.leave_future(), 5s));
    CHECK(log.requests.back().member_epoch == -1);
    CHECK(cluster.describe_consumer_group("g")->members.empty());
    CHECK(a.m.state() == ke::consumer_state::unjoined);
}

TEST_CASE("consumer membership: a second member gets partitions only once the first revoked them; never two owners",
          "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 4);
    member a(cluster), b(cluster);
    REQUIRE(a.join("t", 4));
    auto first_epoch = a.m.member_epoch();

    b.rig.subscribe("t");
    bool overlap = false;
    auto split = [&] {
        for (auto const& tp : a.owned())
            if (b.owned().count(tp)) overlap = true;
        return a.owned().size() == 2 && b.owned().size() == 2 && a.m.state() == ke::consumer_state::stable &&
               b.m.state() == ke::consumer_state::stable;
    };
    for (int i = 0; i < 2000 && !split(); ++i) {
        a.step();
        b.step();
    }
    REQUIRE(split());
    CHECK_FALSE(overlap);
    // The first member kept two partitions (no stop-the-world), revoked two, was given nothing new
    // (onPartitionsAssigned still runs after each reconciliation, with nothing, as Java's does).
    CHECK(a.events == std::vector<std::string>{"assigned:4", "revoked:2", "assigned:0"});
    CHECK(b.events == std::vector<std::string>{"assigned:2"});
    CHECK(a.m.member_epoch() > first_epoch);
    auto info = cluster.describe_consumer_group("g");
    REQUIRE(info);
    CHECK(info->members.size() == 2);
    for (auto const& mi : info->members) CHECK(mi.revoking.empty());

    // The second leaves: the first gets everything back without a revocation.
    b.m.revoke_all_and_leave("bye");
    REQUIRE(a.run_until([&] { return a.owned().size() == 4; }));
    CHECK(a.events.back() == "assigned:2");
}

TEST_CASE(
    "consumer membership: fenced or unknown: the partitions are lost, and it rejoins with epoch 0 and the same id",
    "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 2);
    heartbeat_log log(cluster);
    member a(cluster);
    REQUIRE(a.join("t", 2));
    auto id = a.m.member_id();

    auto lost_and_rejoined = [&] {
        REQUIRE(a.run_until([&] { return a.events.size() >= 3 && a.m.state() == ke::consumer_state::stable; }));
        CHECK(a.events == std::vector<std::string>{"assigned:2", "lost:2", "assigned:2"});
        CHECK(a.m.member_id() == id);
        auto rejoin = std::find_if(log.requests.begin() + 1, log.requests.end(),
                                   [](auto const& r) { return r.member_epoch == 0; });
        REQUIRE(rejoin != log.requests.end());
        CHECK(rejoin->member_id == id);
    };
    SECTION("the coordinator dropped the member (UNKNOWN_MEMBER_ID)") {
        cluster.remove_consumer_member("g", id);
        lost_and_rejoined();
    }
    SECTION("FENCED_MEMBER_EPOCH") {
        cluster.inject(cgh_key, errc::fenced_member_epoch);
        lost_and_rejoined();
    }
}

TEST_CASE("consumer membership: a static member leaves with epoch -2 and comes back to the same partitions",
          "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 4);
    heartbeat_log log(cluster);
    auto a = std::make_unique<member>(cluster, "box-1");
    member b(cluster, "box-2");
    a->rig.subscribe("t");
    b.rig.subscribe("t");
    auto both = [&] {
        return a->owned().size() == 2 && b.owned().size() == 2 && a->m.state() == ke::consumer_state::stable &&
               b.m.state() == ke::consumer_state::stable;
    };
    for (int i = 0; i < 2000 && !both(); ++i) {
        a->step();
        b.step();
    }
    REQUIRE(both());
    auto kept = a->owned();
    auto epoch = a->m.member_epoch();

    a->m.revoke_all_and_leave("restart");
    REQUIRE(a->rig.client.poll_future(*a->m.leave_future(), 5s));
    CHECK(log.requests.back().member_epoch == -2);
    CHECK(log.requests.back().instance_id == "box-1");
    a.reset();

    // Within the session timeout, a new process with the same group.instance.id: same partitions,
    // same epoch, and the other member was never given them.
    member again(cluster, "box-1");
    again.rig.subscribe("t");
    for (int i = 0; i < 2000 && !(again.owned() == kept && again.m.state() == ke::consumer_state::stable); ++i) {
        again.step();
        b.step();
        for (auto const& tp : b.owned()) REQUIRE_FALSE(kept.count(tp));
    }
    CHECK(again.owned() == kept);
    CHECK(again.m.member_epoch() == epoch);
    CHECK(b.events == std::vector<std::string>{"assigned:2"});

    // Another process with that group.instance.id while it is held: a clear fatal error.
    member twin(cluster, "box-1");
    twin.rig.subscribe("t");
    REQUIRE(twin.run_until([&] { return twin.m.state() == ke::consumer_state::fatal; }, 10s));
    auto f = twin.m.take_fatal();
    REQUIRE(f);
    CHECK(f->code == errc::unreleased_instance_id);
    CHECK_THAT(f->what, Catch::Contains("box-1"));
}

TEST_CASE("consumer membership: errors the user must see are fatal, with a sentence naming the cause",
          "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 1);

    SECTION("a broker without the protocol (UNSUPPORTED_VERSION, as Kafka 3.9 by default)") {
        member a(cluster);
        a.rig.subscribe("t");
        cluster.inject(cgh_key, errc::unsupported_version);
        REQUIRE(a.run_until([&] { return a.m.state() == ke::consumer_state::fatal; }, 10s));
        auto f = a.m.take_fatal();
        REQUIRE(f);
        CHECK(f->code == errc::unsupported_version);
        CHECK_THAT(f->what, Catch::Contains("group.protocol=classic") &&
                                Catch::Contains("group.coordinator.rebalance.protocols"));
        CHECK_FALSE(a.m.take_fatal());  // once
    }
    SECTION("an assignor the broker does not have") {
        member a(cluster, std::nullopt, "nope");
        a.rig.subscribe("t");
        REQUIRE(a.run_until([&] { return a.m.state() == ke::consumer_state::fatal; }, 10s));
        auto f = a.m.take_fatal();
        REQUIRE(f);
        CHECK(f->code == errc::unsupported_assignor);
        CHECK_THAT(f->what, Catch::Contains("'nope'") && Catch::Contains("group.remote.assignor"));
    }
    SECTION("GROUP_MAX_SIZE_REACHED") {
        member a(cluster);
        a.rig.subscribe("t");
        cluster.inject(cgh_key, errc::group_max_size_reached);
        REQUIRE(a.run_until([&] { return a.m.state() == ke::consumer_state::fatal; }, 10s));
        CHECK(a.m.take_fatal()->code == errc::group_max_size_reached);
    }
    SECTION("NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS are not fatal: found again, retried") {
        member a(cluster);
        a.rig.subscribe("t");
        REQUIRE(a.run_until([&] { return a.m.state() == ke::consumer_state::stable && a.owned().size() == 1; }));
        auto finds = cluster.request_count(proto::FindCoordinatorRequest::api_key);
        cluster.inject(cgh_key, errc::not_coordinator);
        cluster.inject(cgh_key, errc::coordinator_load_in_progress);
        auto hb = cluster.request_count(cgh_key);
        REQUIRE(a.run_until([&] { return cluster.request_count(cgh_key) >= hb + 4; }));
        CHECK(cluster.request_count(proto::FindCoordinatorRequest::api_key) == finds + 1);
        CHECK(a.m.state() == ke::consumer_state::stable);
        CHECK(a.events == std::vector<std::string>{"assigned:1"});
        CHECK_FALSE(a.m.take_fatal());
    }
}

TEST_CASE("consumer membership: max.poll.interval.ms expired: leaves at once, lost and rejoined at the next poll",
          "[membership][kip848]") {
    kt::fake_cluster cluster(fast_heartbeats());
    cluster.create_topic("t", 2);
    heartbeat_log log(cluster);
    member a(cluster);
    REQUIRE(a.join("t", 2));
    // The background heartbeat runs while the user has not polled for longer than 60 s.
    a.m.heartbeat_tick(a.rig.transport.now() + 61s);
    CHECK(a.m.state() == ke::consumer_state::stale);
    REQUIRE(a.m.leave_future());
    REQUIRE(a.rig.client.poll_future(*a.m.leave_future(), 5s));
    CHECK(log.requests.back().member_epoch == -1);
    CHECK(cluster.describe_consumer_group("g")->members.empty());
    REQUIRE(a.run_until([&] { return a.events.size() >= 3 && a.m.state() == ke::consumer_state::stable; }));
    CHECK(a.events == std::vector<std::string>{"assigned:2", "lost:2", "assigned:2"});
}

TEST_CASE("the consumer runs group.protocol=consumer with the KIP-848 membership; a custom assignor is refused",
          "[membership][kip848]") {
    kt::fake_cluster cluster;
    kafka::consumer_config cfg{
        {"bootstrap.servers", cluster.bootstrap_servers()}, {"group.id", "g"}, {"group.protocol", "consumer"}};
    kafka::KafkaConsumer<std::string, std::string, sim_manual> c(cfg, {}, {}, cluster.transport());
    CHECK(c.generation() == 0);
    CHECK(c.member_id().size() == 22);

    try {
        kafka::KafkaConsumer<std::string, std::string, custom> bad(cfg, {}, {}, cluster.transport());
        FAIL("constructed");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == "group.protocol");
        CHECK_THAT(e.what(), Catch::Contains("'mine'") && Catch::Contains("group.remote.assignor"));
    }
}
