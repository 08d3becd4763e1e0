// subscription_state alone: the kinds of subscription and their exclusion, assignments keeping
// what stays, positions, seek epochs (changed by every change of position that is not
// consumption, never reused), pauses, and resets requested and cleared.
#include <kafka/consumer/subscription_state.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using kafka::offset_reset_strategy;
using kafka::topic_partition;
using kafka::engine::fetch_position;
using kafka::engine::subscription_state;
using kind = subscription_state::kind;
using topics = std::set<std::string>;

namespace {

const topic_partition a0{"a", 0}, a1{"a", 1}, b0{"b", 0};

std::vector<topic_partition> tps(std::initializer_list<topic_partition> l) { return l; }

}  // namespace

TEST_CASE("subscription state: topic subscription", "[consumer][subscription]") {
    subscription_state s;
    CHECK(s.subscription_kind() == kind::none);
    CHECK(s.default_reset() == offset_reset_strategy::latest);

    CHECK(s.subscribe(topics{"a", "b"}));
    CHECK(s.subscription_kind() == kind::topics);
    CHECK(s.has_auto_assigned_partitions());
    CHECK_FALSE(s.is_user_assigned());
    CHECK(s.subscription() == topics{"a", "b"});
    CHECK(s.metadata_topics() == topics{"a", "b"});
    CHECK(s.assigned_count() == 0);

    CHECK_FALSE(s.subscribe(topics{"a", "b"}));  // unchanged
    CHECK(s.subscribe(topics{"a"}));
    CHECK(s.subscription() == topics{"a"});

    SECTION("the group's assignment must be of subscribed topics") {
        s.assign_from_subscribed(tps({a0, a1}));
        CHECK(s.assigned_partitions() == tps({a0, a1}));
        CHECK(s.is_assigned(a1));
        CHECK_THROWS_AS(s.assign_from_subscribed(tps({a0, b0})), kafka::illegal_state_error);
        CHECK(s.assigned_partitions() == tps({a0, a1}));  // unchanged by the refused assignment
    }
    SECTION("assign() and subscribe(pattern) are refused until unsubscribe()") {
        CHECK_THROWS_AS(s.assign_from_user({a0}), kafka::illegal_state_error);
        CHECK_THROWS_AS(s.subscribe(std::string("a.*")), kafka::illegal_state_error);
        CHECK_THROWS_WITH(s.assign_from_user({a0}), Catch::Contains("the consumer is subscribed to topics") &&
                                                        Catch::Contains("call unsubscribe() first"));
        CHECK(s.subscription_kind() == kind::topics);
        s.unsubscribe();
        s.assign_from_user({a0});
        CHECK(s.subscription_kind() == kind::user_assigned);
    }
}

TEST_CASE("subscription state: user assignment", "[consumer][subscription]") {
    subscription_state s(offset_reset_strategy::earliest);
    CHECK(s.default_reset() == offset_reset_strategy::earliest);
    s.assign_from_user({a0, a1, b0});
    CHECK(s.subscription_kind() == kind::user_assigned);
    CHECK(s.is_user_assigned());
    CHECK_FALSE(s.has_auto_assigned_partitions());
    CHECK(s.subscription().empty());
    CHECK(s.metadata_topics() == topics{"a", "b"});
    CHECK(s.assigned_partitions() == tps({a0, a1, b0}));
    CHECK(s.assigned_count() == 3);

    CHECK_THROWS_WITH(s.subscribe(topics{"a"}), Catch::Contains("partitions were assigned with assign()"));
    CHECK_THROWS_AS(s.subscribe(std::string("a")), kafka::illegal_state_error);
    CHECK_THROWS_AS(s.assign_from_subscribed(tps({a0})), kafka::illegal_state_error);

    s.assign_from_user({b0});
    CHECK(s.metadata_topics() == topics{"b"});
    CHECK_FALSE(s.is_assigned(a0));
    CHECK(s.state(a0) == nullptr);

    s.assign_from_user({});  // nothing assigned: no kind, so any kind may follow
    CHECK(s.subscription_kind() == kind::none);
    CHECK(s.assigned_count() == 0);
    CHECK(s.subscribe(topics{"a"}));
    CHECK(s.subscription_kind() == kind::topics);
}

TEST_CASE("subscription state: pattern subscription", "[consumer][subscription]") {
    subscription_state s;
    s.subscribe(std::string("orders-.*"));
    CHECK(s.subscription_kind() == kind::pattern);
    CHECK(s.has_auto_assigned_partitions());
    CHECK(s.pattern() == "orders-.*");
    CHECK(s.matches_pattern("orders-eu"));
    CHECK_FALSE(s.matches_pattern("old-orders-eu"));  // a full match, as Java's matches()
    CHECK_FALSE(s.matches_pattern("orders"));
    CHECK(s.subscription().empty());  // no topic matched until metadata says which exist

    CHECK(s.set_pattern_topics(topics{"orders-eu", "orders-us"}));
    CHECK_FALSE(s.set_pattern_topics(topics{"orders-eu", "orders-us"}));
    CHECK(s.subscription() == topics{"orders-eu", "orders-us"});
    CHECK(s.metadata_topics() == topics{"orders-eu", "orders-us"});
    s.assign_from_subscribed(tps({{"orders-us", 2}}));
    CHECK(s.assigned_partitions() == tps({{"orders-us", 2}}));
    CHECK_THROWS_AS(s.assign_from_subscribed(tps({{"orders-asia", 0}})), kafka::illegal_state_error);

    CHECK_THROWS_WITH(s.subscribe(topics{"orders-eu"}), Catch::Contains("the consumer is subscribed to a pattern"));
    s.subscribe(std::string("orders-e.*"));  // another pattern replaces it
    CHECK(s.pattern() == "orders-e.*");
    CHECK_FALSE(s.matches_pattern("orders-us"));

    s.unsubscribe();
    CHECK(s.subscription_kind() == kind::none);
    CHECK(s.pattern().empty());
    CHECK_FALSE(s.matches_pattern("orders-eu"));
    CHECK(s.subscription().empty());
    CHECK(s.assigned_count() == 0);

    SECTION("an invalid pattern is a configuration error and changes nothing") {
        try {
            s.subscribe(std::string("orders-("));
            FAIL("no exception");
        } catch (const kafka::kafka_error& e) {
            CHECK(e.code() == kafka::client_errc::invalid_config);
            CHECK_THAT(e.what(), Catch::Contains("orders-("));
        }
        CHECK(s.subscription_kind() == kind::none);
    }
}

TEST_CASE("subscription state: unsubscribe forgets everything", "[consumer][subscription]") {
    subscription_state s;
    s.subscribe(topics{"a"});
    s.assign_from_subscribed(tps({a0}));
    s.seek(a0, {5, std::nullopt});
    s.unsubscribe();
    CHECK(s.subscription_kind() == kind::none);
    CHECK(s.subscription().empty());
    CHECK(s.metadata_topics().empty());
    CHECK(s.assigned_partitions().empty());
    CHECK_FALSE(s.position(a0));
    CHECK(s.seek_epoch(a0) == 0);
    CHECK(s.all_consumed().empty());
}

TEST_CASE("subscription state: positions", "[consumer][subscription]") {
    subscription_state s;
    s.assign_from_user({a0, a1});
    CHECK_FALSE(s.position(a0));
    CHECK_FALSE(s.has_all_positions());
    CHECK(s.partitions_needing_position() == tps({a0, a1}));
    CHECK_FALSE(s.is_fetchable(a0));
    CHECK(s.fetchable_partitions().empty());

    s.seek(a0, {5, 3});
    CHECK(s.position(a0) == fetch_position{5, 3});
    CHECK(s.is_fetchable(a0));
    CHECK(s.fetchable_partitions() == tps({a0}));
    CHECK(s.partitions_needing_position() == tps({a1}));
    CHECK_FALSE(s.has_all_positions());

    s.advance(a0, {9, 4});
    CHECK(s.position(a0) == fetch_position{9, 4});
    s.seek(a1, {0, std::nullopt});
    CHECK(s.has_all_positions());
    CHECK(s.partitions_needing_position().empty());
    CHECK(s.all_consumed() ==
          std::map<topic_partition, kafka::offset_and_metadata>{{a0, {9, "", 4}}, {a1, {0, "", std::nullopt}}});

    SECTION("a partition not assigned has no position; seeking it is refused, advancing it does nothing") {
        CHECK_FALSE(s.position(b0));
        CHECK_THROWS_WITH(s.seek(b0, {1, std::nullopt}), Catch::Contains("cannot seek partition b-0"));
        s.advance(b0, {1, std::nullopt});
        CHECK_FALSE(s.is_assigned(b0));
        CHECK_FALSE(s.position(b0));
    }
    SECTION("a new assignment keeps the positions of the partitions it keeps") {
        s.assign_from_user({a1, b0});
        CHECK(s.position(a1) == fetch_position{0, std::nullopt});
        CHECK_FALSE(s.position(b0));
        CHECK_FALSE(s.position(a0));
        CHECK(s.partitions_needing_position() == tps({b0}));
        s.assign_from_user({a0, a1});
        CHECK_FALSE(s.position(a0));  // a0 was revoked in between: it starts over
    }
    SECTION("watermarks: recorded for assigned partitions, each kept until a new value comes") {
        s.update_watermarks(a0, 20, 18, 2);
        s.update_watermarks(a0, 25, std::nullopt, std::nullopt);
        s.update_watermarks(b0, 1, 1, 1);  // not assigned: ignored
        auto const* st = s.state(a0);
        REQUIRE(st != nullptr);
        CHECK(st->high_watermark == 25);
        CHECK(st->last_stable_offset == 18);
        CHECK(st->log_start_offset == 2);
        CHECK(s.state(b0) == nullptr);
    }
}

TEST_CASE("subscription state: the seek epoch changes with every change of position but consumption",
          "[consumer][subscription]") {
    subscription_state s;
    std::set<std::uint64_t> seen;  // every epoch ever given: none may come back
    auto fresh = [&](const topic_partition& tp) {
        auto e = s.seek_epoch(tp);
        CHECK(e != 0);
        CHECK(seen.insert(e).second);
        return e;
    };
    CHECK(s.seek_epoch(a0) == 0);  // not assigned
    s.assign_from_user({a0, a1});
    auto e0 = fresh(a0);
    auto e1 = fresh(a1);

    s.seek(a0, {3, std::nullopt});
    e0 = fresh(a0);
    CHECK(s.seek_epoch(a1) == e1);  // only the partition moved

    s.seek(a0, {3, std::nullopt});  // to where it is: still a seek
    e0 = fresh(a0);

    s.advance(a0, {7, std::nullopt});  // consumption: fetches in flight stay valid
    CHECK(s.seek_epoch(a0) == e0);

    s.pause(a0);
    s.resume(a0);
    s.update_watermarks(a0, 10, 10, 0);
    CHECK(s.seek_epoch(a0) == e0);

    s.request_reset(a0, offset_reset_strategy::earliest);
    e0 = fresh(a0);

    s.assign_from_user({a0, b0});  // kept: same epoch; new: a new one
    CHECK(s.seek_epoch(a0) == e0);
    fresh(b0);
    CHECK(s.seek_epoch(a1) == 0);

    s.assign_from_user({a0, a1, b0});  // a1 again, after a revocation: never its old epoch
    CHECK(s.seek_epoch(a1) != e1);
    fresh(a1);

    s.unsubscribe();
    s.subscribe(topics{"a"});
    s.assign_from_subscribed(tps({a0}));  // from the group, after unsubscribe: new
    fresh(a0);
}

TEST_CASE("subscription state: pause and resume", "[consumer][subscription]") {
    subscription_state s;
    s.assign_from_user({a0, a1});
    s.seek(a0, {1, std::nullopt});
    s.seek(a1, {2, std::nullopt});
    s.pause(a0);
    CHECK(s.is_paused(a0));
    CHECK_FALSE(s.is_paused(a1));
    CHECK(s.paused_partitions() == std::set<topic_partition>{a0});
    CHECK_FALSE(s.is_fetchable(a0));
    CHECK(s.fetchable_partitions() == tps({a1}));
    CHECK(s.position(a0) == fetch_position{1, std::nullopt});  // paused, not moved
    CHECK(s.all_consumed().count(a0) == 1);                    // and still committed

    s.pause(a0);  // twice is once
    CHECK(s.paused_partitions() == std::set<topic_partition>{a0});

    s.assign_from_user({a0, b0});  // kept partitions stay paused
    CHECK(s.is_paused(a0));

    s.resume(a0);
    CHECK_FALSE(s.is_paused(a0));
    CHECK(s.is_fetchable(a0));
    CHECK(s.paused_partitions().empty());

    CHECK_THROWS_AS(s.pause(a1), kafka::illegal_state_error);  // no longer assigned
    CHECK_THROWS_AS(s.resume(a1), kafka::illegal_state_error);
    CHECK_FALSE(s.is_paused(a1));
}

TEST_CASE("subscription state: resets requested and cleared", "[consumer][subscription]") {
    subscription_state s(offset_reset_strategy::earliest);
    s.assign_from_user({a0, a1});
    s.seek(a0, {8, 1});
    CHECK_FALSE(s.pending_reset(a0));

    s.request_reset(a0, offset_reset_strategy::latest);
    CHECK(s.pending_reset(a0) == offset_reset_strategy::latest);
    CHECK_FALSE(s.position(a0));  // the old position is gone
    CHECK_FALSE(s.is_fetchable(a0));
    CHECK(s.all_consumed().empty());
    CHECK(s.partitions_needing_reset() == tps({a0}));
    CHECK(s.partitions_needing_position() == tps({a1}));  // a0 awaits its reset, not its committed offset
    CHECK_FALSE(s.has_all_positions());

    SECTION("a later request replaces the strategy") {
        s.request_reset(a0, offset_reset_strategy::earliest);
        CHECK(s.pending_reset(a0) == offset_reset_strategy::earliest);
        CHECK(s.partitions_needing_reset() == tps({a0}));
    }
    SECTION("a seek clears the reset") {
        s.seek(a0, {4, 2});
        CHECK_FALSE(s.pending_reset(a0));
        CHECK(s.partitions_needing_reset().empty());
        CHECK(s.position(a0) == fetch_position{4, 2});
    }
    SECTION("a paused partition is not reset until it is resumed") {
        s.pause(a0);
        CHECK(s.partitions_needing_reset().empty());
        CHECK(s.pending_reset(a0) == offset_reset_strategy::latest);
        s.resume(a0);
        CHECK(s.partitions_needing_reset() == tps({a0}));
    }
    SECTION("revoking the partition drops its reset") {
        s.assign_from_user({a1});
        CHECK_FALSE(s.pending_reset(a0));
        CHECK(s.partitions_needing_reset().empty());
        s.assign_from_user({a0, a1});
        CHECK_FALSE(s.pending_reset(a0));
        CHECK(s.partitions_needing_position() == tps({a0, a1}));
    }
    SECTION("a partition not assigned cannot be reset") {
        CHECK_THROWS_WITH(s.request_reset(b0, offset_reset_strategy::latest),
                          Catch::Contains("cannot reset partition b-0"));
        CHECK_FALSE(s.pending_reset(b0));
    }
}
