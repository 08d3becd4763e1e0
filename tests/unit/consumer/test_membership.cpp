// The group parts on their own, against the fake cluster on simulated time: the classic
// membership driven step by step (no KafkaConsumer), the commit manager with a member's identity
// and without one, and the consumer's choice of membership from group.protocol.
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer.hpp>
#include <kafka/consumer/classic_membership.hpp>
#include <kafka/consumer/group_membership.hpp>
#include <kafka/policy/assignors/range.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include "group_rig.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using kafka::errc;
using kafka::topic_partition;
namespace kc = kafka::client;
namespace ke = kafka::engine;
namespace kt = kafka::testing;

namespace {

using membership = ke::classic_membership<kt::in_memory_transport, kafka::assignors::range>;

using unit_rig::sim_manual;
using sim_consumer = kafka::KafkaConsumer<std::string, std::string, sim_manual>;

/// P without the background heartbeat thread (simulated time has no real-time thread).
template <class P>
struct sim_no_thread : P {
    static constexpr bool background_heartbeat = false;
};

using unit_rig::group_rig;

}  // namespace

TEST_CASE("classic transitions: only the protocol's order, and any fall back to unjoined", "[membership]") {
    using enum ke::classic_state;
    STATIC_REQUIRE(ke::valid_transition(unjoined, joining));
    STATIC_REQUIRE(ke::valid_transition(joining, syncing));
    STATIC_REQUIRE(ke::valid_transition(syncing, stable));
    STATIC_REQUIRE(ke::valid_transition(stable, joining));
    STATIC_REQUIRE(ke::valid_transition(stable, unjoined));
    STATIC_REQUIRE_FALSE(ke::valid_transition(unjoined, syncing));
    STATIC_REQUIRE_FALSE(ke::valid_transition(unjoined, stable));
    STATIC_REQUIRE_FALSE(ke::valid_transition(joining, stable));
    STATIC_REQUIRE_FALSE(ke::valid_transition(syncing, joining));
}

TEST_CASE("classic membership: joins, syncs, applies the assignment through the listener, heartbeats", "[membership]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    group_rig rig(cluster);
    membership m(rig.parts);
    std::vector<std::string> events;
    kafka::rebalance_listener l;
    l.on_partitions_assigned = [&](auto const& ps) { events.push_back("assigned:" + std::to_string(ps.size())); };
    l.on_partitions_revoked = [&](auto const& ps) { events.push_back("revoked:" + std::to_string(ps.size())); };
    rig.parts.applier.set_listener(l);
    rig.subscribe("t");

    CHECK(m.protocol() == "classic");
    CHECK(m.state() == ke::classic_state::unjoined);
    CHECK(m.identity().generation_or_epoch == -1);

    auto step = [&](auto now) { m.poll(now); };
    REQUIRE(rig.run_until(step, [&] { return m.stable(); }));
    CHECK(m.state() == ke::classic_state::stable);
    CHECK(m.generation() == 1);
    CHECK_FALSE(m.member_id().empty());
    CHECK(m.is_leader());
    CHECK(m.identity().generation_or_epoch == 1);
    CHECK(m.identity().member_id == m.member_id());
    CHECK(rig.subs.assigned_partitions().size() == 3);
    CHECK(events == std::vector<std::string>{"assigned:3"});
    CHECK_FALSE(m.take_fatal());

    // Stable: heartbeats go out at the interval, and nothing else changes.
    auto hb = cluster.request_count(kafka::protocol::HeartbeatRequest::api_key);
    auto until = rig.transport.now() + 5s;
    REQUIRE_FALSE(rig.run_until(
        step, [&] { return rig.transport.now() >= until && !m.stable(); }, 5s));
    CHECK(cluster.request_count(kafka::protocol::HeartbeatRequest::api_key) >= hb + 4);
    CHECK(m.generation() == 1);

    // Leaving revokes through the listener and sends LeaveGroup.
    m.revoke_all_and_leave("test");
    CHECK(events.back() == "revoked:3");
    REQUIRE(m.leave_future());
    REQUIRE(rig.client.poll_future(*m.leave_future(), 5s));
    CHECK(m.state() == ke::classic_state::unjoined);
    CHECK(cluster.describe_group("g")->members.empty());
}

TEST_CASE("commit manager: commits carry the member's identity; a stale one loses the membership",
          "[membership][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    group_rig rig(cluster);
    membership m(rig.parts);
    std::vector<std::string> events;
    kafka::rebalance_listener l;
    l.on_partitions_assigned = [&](auto const& ps) { events.push_back("assigned:" + std::to_string(ps.size())); };
    l.on_partitions_lost = [&](auto const& ps) { events.push_back("lost:" + std::to_string(ps.size())); };
    rig.parts.applier.set_listener(l);
    rig.subscribe("t");
    auto step = [&](auto now) { m.poll(now); };
    REQUIRE(rig.run_until(step, [&] { return m.stable(); }));

    topic_partition tp{"t", 1};
    auto f = rig.parts.commits.commit({{tp, {42, "meta", std::nullopt}}}, m.identity(), rig.transport.now());
    REQUIRE(rig.client.poll_future(f, 10s));
    REQUIRE(f.succeeded());
    CHECK(cluster.committed("g", tp) == 42);

    auto fetched = rig.parts.commits.fetch_committed({tp, {"t", 0}});
    REQUIRE(rig.client.poll_future(fetched, 10s));
    REQUIRE(fetched.succeeded());
    REQUIRE(fetched.value().at(tp));
    CHECK(fetched.value().at(tp)->offset == 42);
    CHECK(fetched.value().at(tp)->metadata == "meta");
    CHECK_FALSE(fetched.value().at({"t", 0}));

    // A generation the group has moved past: the commit fails, and the membership learns it is gone.
    auto stale = m.identity();
    stale.generation_or_epoch += 5;
    auto bad = rig.parts.commits.commit({{tp, {50, "", std::nullopt}}}, stale, rig.transport.now());
    REQUIRE(rig.client.poll_future(bad, 10s));
    REQUIRE(bad.failed());
    CHECK(bad.error() == errc::illegal_generation);
    CHECK(cluster.committed("g", tp) == 42);
    CHECK(m.state() == ke::classic_state::unjoined);
    CHECK(m.identity().generation_or_epoch == -1);

    // The next step reports the partitions lost (not revoked) and joins again.
    REQUIRE(rig.run_until(step, [&] { return m.stable(); }));
    CHECK(events == std::vector<std::string>{"assigned:2", "lost:2", "assigned:2"});
}

TEST_CASE("commit manager: outside any membership, commits as a simple consumer and finds the coordinator itself",
          "[membership][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    group_rig rig(cluster, "simple");
    topic_partition tp{"t", 0};
    ke::member_identity none;
    CHECK_FALSE(rig.parts.locator.coordinator());
    // The first try finds no coordinator yet, and starts looking for one.
    auto early = rig.parts.commits.commit({{tp, {7, "", std::nullopt}}}, none, rig.transport.now());
    REQUIRE(early.failed());
    CHECK(early.error() == errc::coordinator_not_available);
    REQUIRE(rig.run_until([](auto) {}, [&] { return rig.parts.locator.coordinator().has_value(); }, 10s));
    auto f = rig.parts.commits.commit({{tp, {7, "", std::nullopt}}}, none, rig.transport.now());
    REQUIRE(rig.client.poll_future(f, 10s));
    REQUIRE(f.succeeded());
    CHECK(cluster.committed("simple", tp) == 7);
}

TEST_CASE("commitAsync after assign(): finds the coordinator, commits, and its callback runs", "[membership][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce_values("t", 0, {"a", "b", "c"});
    using consumer = sim_consumer;
    kafka::consumer_config cfg{{"bootstrap.servers", cluster.bootstrap_servers()},
                               {"group.id", "assigned"},
                               {"auto.offset.reset", "earliest"},
                               {"enable.auto.commit", "false"}};
    consumer c(cfg, {}, {}, cluster.transport());
    topic_partition tp{"t", 0};
    c.assign({tp});
    std::size_t got = 0;
    for (int i = 0; i < 100 && got < 3; ++i) got += c.poll(100ms).size();
    REQUIRE(got == 3);

    std::optional<std::error_code> outcome;
    c.commitAsync({{tp, {3, "", std::nullopt}}}, [&](auto const&, std::error_code ec) { outcome = ec; });
    for (int i = 0; i < 100 && !outcome; ++i) (void)c.poll(100ms);
    REQUIRE(outcome);
    CHECK_FALSE(*outcome);
    CHECK(cluster.committed("assigned", tp) == 3);

    // The coordinator moves: the next commitAsync follows it, and its callback still runs.
    auto old = cluster.coordinator_of("assigned");
    REQUIRE(old);
    auto other = *old == cluster.node_ids().front() ? cluster.node_ids().back() : cluster.node_ids().front();
    REQUIRE(other != *old);
    cluster.move_coordinator("assigned", other);
    outcome.reset();
    c.commitAsync({{tp, {2, "", std::nullopt}}}, [&](auto const&, std::error_code ec) { outcome = ec; });
    for (int i = 0; i < 200 && (!outcome || *outcome); ++i) {
        if (outcome && *outcome) {  // NOT_COORDINATOR: the user retries, as Java's callers do
            outcome.reset();
            c.commitAsync({{tp, {2, "", std::nullopt}}}, [&](auto const&, std::error_code ec) { outcome = ec; });
        }
        (void)c.poll(100ms);
    }
    REQUIRE(outcome);
    CHECK_FALSE(*outcome);
    CHECK(cluster.committed("assigned", tp) == 2);
    CHECK(cluster.coordinator_of("assigned") == other);
}

TEST_CASE("close(timeout) bounds the commit on revocation: a coordinator that does not answer costs the timeout",
          "[membership][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce_values("t", 0, {"a", "b", "c"});
    struct auto_commit_sim : kafka::default_policies {
        using transport = kt::in_memory_transport;
        using offset_commit = kafka::commit::auto_commit;
    };
    kafka::consumer_config cfg{{"bootstrap.servers", cluster.bootstrap_servers()},
                               {"group.id", "closing"},
                               {"auto.offset.reset", "earliest"},
                               {"auto.commit.interval.ms", "600000"},
                               {"default.api.timeout.ms", "60000"},
                               {"request.timeout.ms", "30000"}};
    kafka::KafkaConsumer<std::string, std::string, sim_no_thread<auto_commit_sim>> c(cfg, {}, {}, cluster.transport());
    c.subscribe({"t"});
    std::size_t got = 0;
    for (int i = 0; i < 200 && got < 3; ++i) got += c.poll(100ms).size();
    REQUIRE(got == 3);

    cluster.drop_responses(kafka::protocol::OffsetCommitRequest::api_key, 100);
    kt::in_memory_transport t(cluster);
    auto start = t.now();
    c.close(1000ms);
    auto took = t.now() - start;
    CHECK(took >= 900ms);
    CHECK(took < 2000ms);  // not default.api.timeout.ms (60 s), nor the request timeout (30 s)
    CHECK_FALSE(cluster.committed("closing", {"t", 0}));
}
