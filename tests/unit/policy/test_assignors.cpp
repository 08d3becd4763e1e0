#include <kafka/policy/assignor.hpp>
#include <kafka/policy/assignors/cooperative_sticky.hpp>
#include <kafka/policy/assignors/range.hpp>
#include <kafka/policy/assignors/roundrobin.hpp>
#include <kafka/policy/assignors/sticky.hpp>

#include <algorithm>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "../protocol/message_testing.hpp"

using kafka::group_assignment;
using kafka::member_subscription;
using kafka::rebalance_protocol;
using kafka::topic_partition;
using kafka::test::hex_bytes;
namespace assignors = kafka::assignors;

namespace {

using partitions_map = std::map<std::string, std::int32_t>;
using tps = std::vector<topic_partition>;

member_subscription member(std::string id, std::vector<std::string> topics,
                           std::optional<std::string> instance = std::nullopt) {
    member_subscription m;
    m.member_id = std::move(id);
    m.topics = std::move(topics);
    m.group_instance_id = std::move(instance);
    return m;
}

tps sorted(tps v) {
    std::sort(v.begin(), v.end());
    return v;
}

// Checks what every assignor must guarantee: an entry per member, each partition of a
// subscribed topic to at most one member (exactly one when `complete`), only to a subscriber.
void check_valid(const group_assignment& result, const partitions_map& partitions,
                 const std::vector<member_subscription>& members, bool complete = true) {
    REQUIRE(result.size() == members.size());
    std::map<topic_partition, int> seen;
    std::set<std::string> subscribed_topics;
    for (auto const& m : members) {
        REQUIRE(result.count(m.member_id));
        for (auto const& tp : result.at(m.member_id)) {
            INFO(m.member_id << " got " << tp);
            CHECK(std::find(m.topics.begin(), m.topics.end(), tp.topic) != m.topics.end());
            REQUIRE(partitions.count(tp.topic));
            CHECK(tp.partition >= 0);
            CHECK(tp.partition < partitions.at(tp.topic));
            ++seen[tp];
        }
        subscribed_topics.insert(m.topics.begin(), m.topics.end());
    }
    for (auto const& [tp, n] : seen) {
        INFO(tp);
        CHECK(n == 1);
    }
    if (!complete) return;
    for (auto const& [topic, count] : partitions)
        if (subscribed_topics.count(topic))
            for (std::int32_t p = 0; p < count; ++p) {
                INFO(topic << "-" << p << " unassigned");
                CHECK(seen.count({topic, p}));
            }
}

std::pair<std::size_t, std::size_t> min_max_sizes(const group_assignment& result) {
    std::size_t lo = SIZE_MAX, hi = 0;
    for (auto const& [m, parts] : result) {
        lo = std::min(lo, parts.size());
        hi = std::max(hi, parts.size());
    }
    return {lo, hi};
}

// Java's balance criterion: no partition sits with a member holding two or more partitions
// more than another member subscribed to its topic.
void check_balanced(const group_assignment& result, const std::vector<member_subscription>& members) {
    for (auto const& [owner, parts] : result)
        for (auto const& tp : parts)
            for (auto const& other : members)
                if (std::find(other.topics.begin(), other.topics.end(), tp.topic) != other.topics.end()) {
                    INFO(tp << " on " << owner << " could move to " << other.member_id);
                    CHECK(parts.size() <= result.at(other.member_id).size() + 1);
                }
}

// How many partitions each member keeps from `before`.
std::size_t kept(const group_assignment& before, const group_assignment& after) {
    std::size_t n = 0;
    for (auto const& [m, parts] : after) {
        auto it = before.find(m);
        if (it == before.end()) continue;
        for (auto const& tp : parts) n += std::count(it->second.begin(), it->second.end(), tp);
    }
    return n;
}

// Members as an eager sticky member would rejoin: its last assignment in the user data.
std::vector<member_subscription> rejoin_sticky(std::vector<member_subscription> members, const group_assignment& last,
                                               std::int32_t generation) {
    for (auto& m : members) {
        auto it = last.find(m.member_id);
        if (it != last.end()) m.user_data = assignors::sticky{}.user_data(it->second, generation);
    }
    return members;
}

// Members as a cooperative member rejoins: what it owns in the subscription (v2+), with its generation.
std::vector<member_subscription> rejoin_cooperative(std::vector<member_subscription> members,
                                                    const group_assignment& owned, std::int32_t generation) {
    for (auto& m : members) {
        auto it = owned.find(m.member_id);
        if (it == owned.end()) continue;
        m.owned_partitions = it->second;
        m.generation_id = generation;
        m.user_data = assignors::cooperative_sticky{}.user_data(it->second, generation);
    }
    return members;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The concept and the list

namespace {
struct no_name {
    static constexpr std::array supported_protocols{rebalance_protocol::eager};
    group_assignment assign(const partitions_map&, const std::vector<member_subscription>&) { return {}; }
};
struct no_protocols {
    static constexpr std::string_view name = "x";
    group_assignment assign(const partitions_map&, const std::vector<member_subscription>&) { return {}; }
};
struct wrong_assign {
    static constexpr std::string_view name = "x";
    static constexpr std::array supported_protocols{rebalance_protocol::eager};
    int assign(const partitions_map&, const std::vector<member_subscription>&) { return 0; }
};

// A custom assignor: protocols from a function, both optional hooks, state of its own.
struct everything_to_first {
    static constexpr std::string_view name = "first";
    static constexpr auto supported_protocols() {
        return std::array{rebalance_protocol::cooperative, rebalance_protocol::eager};
    }
    group_assignment assign(const partitions_map& partitions, const std::vector<member_subscription>& members) {
        ++runs;
        group_assignment out;
        for (auto const& m : members) out[m.member_id];
        if (members.empty()) return out;
        auto first = std::min_element(members.begin(), members.end(),
                                      [](auto const& a, auto const& b) { return a.member_id < b.member_id; });
        for (auto const& [t, n] : partitions)
            for (std::int32_t p = 0; p < n; ++p) out[first->member_id].push_back({t, p});
        return out;
    }
    kafka::byte_buffer user_data(const tps& current, std::int32_t generation) const {
        return {static_cast<std::byte>(current.size()), static_cast<std::byte>(generation)};
    }
    void on_assignment(const tps& assignment, std::int32_t generation) {
        last = assignment;
        last_generation = generation;
    }
    int runs = 0;
    tps last;
    std::int32_t last_generation = -1;
};
}  // namespace

static_assert(kafka::assignor<assignors::range>);
static_assert(kafka::assignor<assignors::roundrobin>);
static_assert(kafka::assignor<assignors::sticky>);
static_assert(kafka::assignor<assignors::cooperative_sticky>);
static_assert(kafka::assignor<everything_to_first>);
static_assert(!kafka::assignor<no_name>);
static_assert(!kafka::assignor<no_protocols>);
static_assert(!kafka::assignor<wrong_assign>);
static_assert(kafka::assignor_with_user_data<assignors::sticky>);
static_assert(!kafka::assignor_with_user_data<assignors::range>);
static_assert(kafka::assignor_with_on_assignment<everything_to_first>);
static_assert(!kafka::assignor_with_on_assignment<assignors::sticky>);
static_assert(kafka::supports<assignors::cooperative_sticky>(rebalance_protocol::cooperative));
static_assert(!kafka::supports<assignors::sticky>(rebalance_protocol::cooperative));

TEST_CASE("assignor names and protocols are the ones Java and librdkafka use", "[policy][assignor]") {
    CHECK(assignors::range::name == "range");
    CHECK(assignors::roundrobin::name == "roundrobin");
    CHECK(assignors::sticky::name == "sticky");
    CHECK(assignors::cooperative_sticky::name == "cooperative-sticky");
    auto coop = kafka::supported_protocols<assignors::cooperative_sticky>();
    CHECK(std::vector(coop.begin(), coop.end()) ==
          std::vector{rebalance_protocol::cooperative, rebalance_protocol::eager});
}

TEST_CASE("assignors::list advertises in order and dispatches by name", "[policy][assignor]") {
    using both = assignors::list<assignors::cooperative_sticky, assignors::range>;
    static_assert(both::names == std::array<std::string_view, 2>{"cooperative-sticky", "range"});
    static_assert(both::protocol == rebalance_protocol::eager);  // range cannot cooperate
    static_assert(assignors::list<assignors::cooperative_sticky, everything_to_first>::protocol ==
                  rebalance_protocol::cooperative);
    static_assert(both::contains("range") && !both::contains("sticky"));

    both l;
    partitions_map partitions{{"t", 3}};
    std::vector members{member("a", {"t"}), member("b", {"t"})};
    auto by_range = l.assign("range", partitions, members);
    REQUIRE(by_range);
    CHECK(*by_range == assignors::range{}.assign(partitions, members));
    CHECK_FALSE(l.assign("roundrobin", partitions, members));
    CHECK(l.user_data("cooperative-sticky", {}, 3) == hex_bytes("00000003"));
    CHECK(l.user_data("range", {{"t", 0}}, 3).empty());  // no hook: no user data
    l.on_assignment("range", {{"t", 0}}, 3);             // no hook: nothing happens

    assignors::list<everything_to_first, assignors::sticky> custom;
    CHECK(custom.assign("first", partitions, members)->at("a").size() == 3);
    CHECK(custom.get<everything_to_first>().runs == 1);
    CHECK(custom.user_data("first", {{"t", 0}, {"t", 1}}, 5) == kafka::byte_buffer{std::byte{2}, std::byte{5}});
    custom.on_assignment("first", {{"t", 1}}, 6);
    CHECK(custom.get<everything_to_first>().last == tps{{"t", 1}});
    CHECK(custom.get<everything_to_first>().last_generation == 6);
    CHECK(custom.visit("sticky", [](auto& a) { CHECK(a.name == "sticky"); }));
    CHECK_FALSE(custom.visit("nope", [](auto&) {}));
}

// ---------------------------------------------------------------------------------------------
// range: Java's RangeAssignor results

TEST_CASE("range: Java's examples", "[policy][assignor][range]") {
    assignors::range range;

    SECTION("two members, two topics of three partitions (the javadoc example)") {
        partitions_map partitions{{"t0", 3}, {"t1", 3}};
        std::vector members{member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})};
        auto r = range.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("C0") == tps{{"t0", 0}, {"t0", 1}, {"t1", 0}, {"t1", 1}});
        CHECK(r.at("C1") == tps{{"t0", 2}, {"t1", 2}});
    }
    SECTION("no topics, unknown topics, topics nobody subscribes to") {
        partitions_map partitions{{"topic", 3}, {"other", 3}};
        auto r = range.assign(partitions, {member("c", {})});
        CHECK(r.at("c").empty());
        r = range.assign({}, {member("c", {"topic"})});
        CHECK(r.at("c").empty());
        std::vector members{member("c", {"topic"})};
        r = range.assign(partitions, members);
        CHECK(r.at("c") == tps{{"topic", 0}, {"topic", 1}, {"topic", 2}});
        CHECK(range.assign(partitions, {}).empty());
    }
    SECTION("two members, one partition: the first member gets it") {
        auto r = range.assign({{"t", 1}}, {member("consumer1", {"t"}), member("consumer2", {"t"})});
        CHECK(r.at("consumer1") == tps{{"t", 0}});
        CHECK(r.at("consumer2").empty());
    }
    SECTION("mixed subscriptions") {
        partitions_map partitions{{"topic1", 3}, {"topic2", 2}};
        std::vector members{member("consumer1", {"topic1"}), member("consumer2", {"topic1", "topic2"}),
                            member("consumer3", {"topic1"})};
        auto r = range.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("consumer1") == tps{{"topic1", 0}});
        CHECK(r.at("consumer2") == tps{{"topic1", 1}, {"topic2", 0}, {"topic2", 1}});
        CHECK(r.at("consumer3") == tps{{"topic1", 2}});
    }
    SECTION("three members, uneven topics") {
        partitions_map partitions{{"t1", 6}, {"t2", 7}, {"t3", 2}};
        std::vector<std::string> all{"t1", "t2", "t3"};
        std::vector members{member("consumer0", all), member("consumer1", all), member("consumer2", all)};
        auto r = range.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("consumer0") == tps{{"t1", 0}, {"t1", 1}, {"t2", 0}, {"t2", 1}, {"t2", 2}, {"t3", 0}});
        CHECK(r.at("consumer1") == tps{{"t1", 2}, {"t1", 3}, {"t2", 3}, {"t2", 4}, {"t3", 1}});
        CHECK(r.at("consumer2") == tps{{"t1", 4}, {"t1", 5}, {"t2", 5}, {"t2", 6}});
    }
    SECTION("static members sort by group.instance.id, ahead of dynamic ones") {
        partitions_map partitions{{"topic1", 3}, {"topic2", 3}};
        std::vector<std::string> both{"topic1", "topic2"};
        // consumer-a sorts first by member id, but instance ids decide.
        std::vector members{member("consumer-b", both, "instance1"), member("consumer-a", both, "instance2")};
        auto r = range.assign(partitions, members);
        CHECK(r.at("consumer-b") == tps{{"topic1", 0}, {"topic1", 1}, {"topic2", 0}, {"topic2", 1}});
        CHECK(r.at("consumer-a") == tps{{"topic1", 2}, {"topic2", 2}});
        // A static member sorts ahead of a dynamic one whatever their member ids.
        members = {member("consumer-b", both, "instance1"), member("consumer-a", both)};
        r = range.assign(partitions, members);
        CHECK(r.at("consumer-b") == tps{{"topic1", 0}, {"topic1", 1}, {"topic2", 0}, {"topic2", 1}});
        CHECK(r.at("consumer-a") == tps{{"topic1", 2}, {"topic2", 2}});
    }
    SECTION("static assignment survives member id changes and a replaced dynamic member") {
        partitions_map partitions{{"topic1", 5}, {"topic2", 4}};
        std::vector<std::string> both{"topic1", "topic2"};
        std::vector members{member("consumer1", both, "instance1"), member("consumer2", both, "instance2"),
                            member("consumer3", both, "instance3"), member("consumer4", both)};
        auto r = range.assign(partitions, members);
        CHECK(r.at("consumer1") == tps{{"topic1", 0}, {"topic1", 1}, {"topic2", 0}});
        CHECK(r.at("consumer2") == tps{{"topic1", 2}, {"topic2", 1}});
        CHECK(r.at("consumer3") == tps{{"topic1", 3}, {"topic2", 2}});
        CHECK(r.at("consumer4") == tps{{"topic1", 4}, {"topic2", 3}});
        members[3].member_id = "consumer5";
        members[0].member_id = "consumer9";  // a static member rejoined with a new member id
        auto again = range.assign(partitions, members);
        CHECK(again.at("consumer5") == r.at("consumer4"));
        CHECK(again.at("consumer9") == r.at("consumer1"));
    }
}

// ---------------------------------------------------------------------------------------------
// roundrobin: Java's RoundRobinAssignor results

TEST_CASE("roundrobin: Java's examples", "[policy][assignor][roundrobin]") {
    assignors::roundrobin rr;

    SECTION("two members, two topics of three partitions (the javadoc example)") {
        partitions_map partitions{{"t0", 3}, {"t1", 3}};
        std::vector members{member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})};
        auto r = rr.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("C0") == tps{{"t0", 0}, {"t0", 2}, {"t1", 1}});
        CHECK(r.at("C1") == tps{{"t0", 1}, {"t1", 0}, {"t1", 2}});
    }
    SECTION("differing subscriptions skip members not subscribed (the javadoc example)") {
        partitions_map partitions{{"t0", 1}, {"t1", 2}, {"t2", 3}};
        std::vector members{member("C0", {"t0"}), member("C1", {"t0", "t1"}), member("C2", {"t0", "t1", "t2"})};
        auto r = rr.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("C0") == tps{{"t0", 0}});
        CHECK(r.at("C1") == tps{{"t1", 0}});
        CHECK(r.at("C2") == tps{{"t1", 1}, {"t2", 0}, {"t2", 1}, {"t2", 2}});
    }
    SECTION("three members, two topics (the static membership javadoc example)") {
        partitions_map partitions{{"t0", 3}, {"t1", 3}};
        std::vector<std::string> both{"t0", "t1"};
        std::vector members{member("C0", both), member("C1", both), member("C2", both)};
        auto r = rr.assign(partitions, members);
        CHECK(r.at("C0") == tps{{"t0", 0}, {"t1", 0}});
        CHECK(r.at("C1") == tps{{"t0", 1}, {"t1", 1}});
        CHECK(r.at("C2") == tps{{"t0", 2}, {"t1", 2}});
    }
    SECTION("mixed subscriptions") {
        partitions_map partitions{{"topic1", 3}, {"topic2", 2}};
        std::vector members{member("consumer1", {"topic1"}), member("consumer2", {"topic1", "topic2"}),
                            member("consumer3", {"topic1"})};
        auto r = rr.assign(partitions, members);
        CHECK(r.at("consumer1") == tps{{"topic1", 0}});
        CHECK(r.at("consumer2") == tps{{"topic1", 1}, {"topic2", 0}, {"topic2", 1}});
        CHECK(r.at("consumer3") == tps{{"topic1", 2}});
    }
    SECTION("only subscribed topics, unknown topics skipped") {
        partitions_map partitions{{"topic", 3}, {"other", 3}};
        std::vector members{member("c", {"topic", "missing"})};
        auto r = rr.assign(partitions, members);
        CHECK(r.at("c") == tps{{"topic", 0}, {"topic", 1}, {"topic", 2}});
        CHECK(rr.assign({}, members).at("c").empty());
    }
    SECTION("static members: three static and one dynamic, then the dynamic one replaced") {
        partitions_map partitions{{"topic1", 3}, {"topic2", 3}};
        std::vector<std::string> both{"topic1", "topic2"};
        std::vector members{member("consumer1", both, "instance1"), member("consumer2", both, "instance2"),
                            member("consumer3", both, "instance3"), member("consumer4", both)};
        auto r = rr.assign(partitions, members);
        CHECK(r.at("consumer1") == tps{{"topic1", 0}, {"topic2", 1}});
        CHECK(r.at("consumer2") == tps{{"topic1", 1}, {"topic2", 2}});
        CHECK(r.at("consumer3") == tps{{"topic1", 2}});
        CHECK(r.at("consumer4") == tps{{"topic2", 0}});
        members[3].member_id = "consumer5";
        CHECK(rr.assign(partitions, members).at("consumer5") == tps{{"topic2", 0}});
    }
    SECTION("static members keep their shares across member id changes") {
        partitions_map partitions{{"topic1", 5}, {"topic2", 5}};
        std::vector<std::string> both{"topic1", "topic2"};
        std::vector members{member("consumer1", both, "instance1"), member("consumer2", both, "instance2"),
                            member("consumer3", both, "instance3")};
        auto r = rr.assign(partitions, members);
        CHECK(r.at("consumer1") == tps{{"topic1", 0}, {"topic1", 3}, {"topic2", 1}, {"topic2", 4}});
        CHECK(r.at("consumer2") == tps{{"topic1", 1}, {"topic1", 4}, {"topic2", 2}});
        CHECK(r.at("consumer3") == tps{{"topic1", 2}, {"topic2", 0}, {"topic2", 3}});
        members[2].member_id = "consumer4";
        members[1].member_id = "consumer5";
        auto again = rr.assign(partitions, members);
        CHECK(again.at("consumer5") == r.at("consumer2"));
        CHECK(again.at("consumer4") == r.at("consumer3"));
    }
}

// ---------------------------------------------------------------------------------------------
// sticky: user data and stickiness

TEST_CASE("sticky: StickyAssignorUserData bytes as Java writes them", "[policy][assignor][sticky]") {
    assignors::sticky s;
    // v1: [topic, [partition]] then the generation; no version prefix.
    CHECK(s.user_data({{"t", 1}, {"t", 0}, {"u", 2}}, 5) ==
          hex_bytes("00000002  0001 74 00000002 00000000 00000001  0001 75 00000001 00000002  00000005"));
    CHECK(s.user_data({}, -1).empty());  // never assigned: no user data
    CHECK(s.user_data({}, 4) == hex_bytes("00000000 00000004"));

    auto claim = assignors::sticky_user_data::decode(hex_bytes("00000001 0001 74 00000001 00000003 00000009"));
    CHECK(claim.partitions == tps{{"t", 3}});
    CHECK(claim.generation == 9);
    // v0 (no generation) is read by the fallback.
    claim = assignors::sticky_user_data::decode(hex_bytes("00000001 0001 74 00000001 00000003"));
    CHECK(claim.partitions == tps{{"t", 3}});
    CHECK(claim.generation == -1);
    // Unreadable user data means "owned nothing", as in Java.
    claim = assignors::sticky_user_data::decode(hex_bytes("00000005 0001"));
    CHECK(claim.partitions.empty());
    CHECK(claim.generation == -1);
}

TEST_CASE("sticky: balanced first assignment, then survivors keep everything", "[policy][assignor][sticky]") {
    assignors::sticky sticky;

    SECTION("Java's example 1: four topics of two partitions, three members, then one leaves") {
        partitions_map partitions{{"t0", 2}, {"t1", 2}, {"t2", 2}, {"t3", 2}};
        std::vector<std::string> all{"t0", "t1", "t2", "t3"};
        std::vector members{member("C0", all), member("C1", all), member("C2", all)};
        auto first = sticky.assign(partitions, members);
        check_valid(first, partitions, members);
        CHECK(first.at("C0") == tps{{"t0", 0}, {"t1", 1}, {"t3", 0}});
        CHECK(first.at("C1") == tps{{"t0", 1}, {"t2", 0}, {"t3", 1}});
        CHECK(first.at("C2") == tps{{"t1", 0}, {"t2", 1}});

        auto survivors = rejoin_sticky({members[0], members[2]}, first, 1);
        auto second = sticky.assign(partitions, survivors);
        check_valid(second, partitions, survivors);
        CHECK(second.at("C0").size() == 4);
        CHECK(second.at("C2").size() == 4);
        CHECK(kept(first, second) == 5);  // all of C0's and C2's
    }
    SECTION("Java's example 2: different subscriptions, then the narrowest member leaves") {
        partitions_map partitions{{"t0", 1}, {"t1", 2}, {"t2", 3}};
        std::vector members{member("C0", {"t0"}), member("C1", {"t0", "t1"}), member("C2", {"t0", "t1", "t2"})};
        auto first = sticky.assign(partitions, members);
        check_valid(first, partitions, members);
        CHECK(first.at("C0") == tps{{"t0", 0}});
        CHECK(first.at("C1") == tps{{"t1", 0}, {"t1", 1}});
        CHECK(first.at("C2") == tps{{"t2", 0}, {"t2", 1}, {"t2", 2}});

        auto survivors = rejoin_sticky({members[1], members[2]}, first, 1);
        auto second = sticky.assign(partitions, survivors);
        check_valid(second, partitions, survivors);
        CHECK(second.at("C1") == tps{{"t0", 0}, {"t1", 0}, {"t1", 1}});
        CHECK(second.at("C2") == tps{{"t2", 0}, {"t2", 1}, {"t2", 2}});
    }
    SECTION("a member joins: the others give up only what balance needs") {
        partitions_map partitions{{"t", 9}};
        std::vector members{member("a", {"t"}), member("b", {"t"})};
        auto first = sticky.assign(partitions, members);
        members.push_back(member("c", {"t"}));
        auto second = sticky.assign(partitions, rejoin_sticky(members, first, 1));
        check_valid(second, partitions, members);
        CHECK(min_max_sizes(second) == std::pair<std::size_t, std::size_t>{3, 3});
        CHECK(kept(first, second) == 6);  // 9 owned by two members, 3 had to move
    }
    SECTION("claims with stale generations lose to newer ones; same-generation conflicts to nobody") {
        partitions_map partitions{{"t", 4}};
        std::vector members{member("a", {"t"}), member("b", {"t"}), member("c", {"t"}), member("d", {"t"})};
        members[0].user_data = sticky.user_data({{"t", 0}, {"t", 1}}, 3);  // stale
        members[1].user_data = sticky.user_data({{"t", 0}}, 4);            // newer claim on t-0
        members[2].user_data = sticky.user_data({{"t", 2}}, 4);
        members[3].user_data = sticky.user_data({{"t", 2}, {"t", 3}}, 4);  // same generation as c on t-2
        auto r = sticky.assign(partitions, members);
        check_valid(r, partitions, members);
        CHECK(r.at("b") == tps{{"t", 0}});
        CHECK(r.at("a") == tps{{"t", 1}});
        CHECK(r.at("d") == tps{{"t", 3}});
        CHECK(r.at("c") == tps{{"t", 2}});  // contested: reassigned as unowned (c is the only one left below quota)
    }
    SECTION("user data from a librdkafka member, and owned partitions in the subscription") {
        partitions_map partitions{{"t", 4}};
        std::vector members{member("a", {"t"}), member("b", {"t"})};
        members[0].user_data = sticky.user_data({{"t", 2}, {"t", 3}}, 2);
        members[1].owned_partitions = {{"t", 0}, {"t", 1}};  // empty user data: read the subscription
        members[1].generation_id = 2;
        auto r = sticky.assign(partitions, members);
        CHECK(r.at("a") == tps{{"t", 2}, {"t", 3}});
        CHECK(r.at("b") == tps{{"t", 0}, {"t", 1}});
    }
    SECTION("claims on topics no longer subscribed, or no longer existing, are dropped") {
        partitions_map partitions{{"t", 2}, {"u", 2}};
        std::vector members{member("a", {"t"}), member("b", {"t", "u"})};
        members[0].user_data = sticky.user_data({{"u", 0}, {"u", 1}, {"gone", 0}, {"t", 7}}, 1);
        auto r = sticky.assign(partitions, members);
        check_valid(r, partitions, members);
        check_balanced(r, members);
    }
}

TEST_CASE("sticky: balance within one and exact coverage when subscriptions are equal", "[policy][assignor][sticky]") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 30; ++round) {
        partitions_map partitions;
        std::vector<std::string> topics;
        int topic_count = 1 + static_cast<int>(rng() % 5);
        for (int t = 0; t < topic_count; ++t) {
            topics.push_back("t" + std::to_string(t));
            partitions[topics.back()] = static_cast<std::int32_t>(rng() % 12);
        }
        std::vector<member_subscription> members;
        int member_count = 1 + static_cast<int>(rng() % 7);
        for (int m = 0; m < member_count; ++m) members.push_back(member("m" + std::to_string(m), topics));
        // Random previous ownership, overlapping on purpose, at random generations.
        for (auto& m : members) {
            tps owned;
            for (auto const& [t, n] : partitions)
                for (std::int32_t p = 0; p < n; ++p)
                    if (rng() % 3 == 0) owned.push_back({t, p});
            m.user_data = assignors::sticky{}.user_data(owned, static_cast<std::int32_t>(rng() % 3));
        }
        auto r = assignors::sticky{}.assign(partitions, members);
        check_valid(r, partitions, members);
        auto [lo, hi] = min_max_sizes(r);
        CHECK(hi - lo <= 1);
    }
}

TEST_CASE("sticky: differing subscriptions end balanced by Java's criterion", "[policy][assignor][sticky]") {
    std::mt19937 rng(777);
    for (int round = 0; round < 40; ++round) {
        partitions_map partitions;
        std::vector<std::string> topics;
        int topic_count = 1 + static_cast<int>(rng() % 6);
        for (int t = 0; t < topic_count; ++t) {
            topics.push_back("t" + std::to_string(t));
            partitions[topics.back()] = static_cast<std::int32_t>(1 + rng() % 8);
        }
        std::vector<member_subscription> members;
        int member_count = 1 + static_cast<int>(rng() % 6);
        for (int m = 0; m < member_count; ++m) {
            std::vector<std::string> mine;
            for (auto const& t : topics)
                if (rng() % 2) mine.push_back(t);
            if (mine.empty()) mine.push_back(topics[rng() % topics.size()]);
            members.push_back(member("m" + std::to_string(m), mine));
        }
        auto first = assignors::sticky{}.assign(partitions, members);
        check_valid(first, partitions, members);
        check_balanced(first, members);
        // Every member computes the same result, whatever order the members arrive in.
        auto shuffled = members;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        CHECK(assignors::sticky{}.assign(partitions, shuffled) == first);
        // Next generation: one member leaves, one joins; survivors keep what balance allows.
        members.erase(members.begin());
        members.push_back(member("new", topics));
        auto second = assignors::sticky{}.assign(partitions, rejoin_sticky(members, first, 1));
        check_valid(second, partitions, members);
        check_balanced(second, members);
    }
}

// ---------------------------------------------------------------------------------------------
// cooperative-sticky

TEST_CASE("cooperative-sticky: user data is the generation alone", "[policy][assignor][cooperative]") {
    assignors::cooperative_sticky c;
    CHECK(c.user_data({{"t", 0}}, 7) == hex_bytes("00000007"));
    CHECK(c.user_data({}, -1) == hex_bytes("ffffffff"));

    // Generation from the subscription (v2+) when present, from the user data otherwise.
    auto m = member("a", {"t"});
    m.owned_partitions = {{"t", 1}};
    m.user_data = hex_bytes("00000003");
    CHECK(assignors::cooperative_sticky::claim_of(m).generation == 3);
    m.generation_id = 8;
    CHECK(assignors::cooperative_sticky::claim_of(m).generation == 8);
    CHECK(assignors::cooperative_sticky::claim_of(m).partitions == tps{{"t", 1}});
    m.generation_id = -1;
    m.user_data = hex_bytes("0102");  // unreadable
    CHECK(assignors::cooperative_sticky::claim_of(m).generation == -1);
}

TEST_CASE("cooperative-sticky: a new member gets partitions only as others give up the minimum",
          "[policy][assignor][cooperative]") {
    assignors::cooperative_sticky coop;
    partitions_map partitions{{"t", 6}, {"u", 3}};
    std::vector<std::string> both{"t", "u"};
    std::vector members{member("a", both), member("b", both)};

    auto gen1 = coop.assign(partitions, members);
    check_valid(gen1, partitions, members);
    CHECK(min_max_sizes(gen1) == std::pair<std::size_t, std::size_t>{4, 5});

    // c joins; a and b keep owning while they rejoin.
    members.push_back(member("c", both));
    auto gen2 = coop.assign(partitions, rejoin_cooperative(members, gen1, 1));
    check_valid(gen2, partitions, members, /*complete=*/false);
    CHECK(gen2.at("c").empty());  // nothing free yet: what c will get is still owned by a or b
    for (auto const& m : {"a", "b"})
        for (auto const& tp : gen2.at(m)) CHECK(std::count(gen1.at(m).begin(), gen1.at(m).end(), tp) == 1);
    CHECK(gen2.at("a").size() == 3);  // each gives up only down to the quota of 3
    CHECK(gen2.at("b").size() == 3);

    // a and b revoke what they lost and rejoin: now c gets exactly the revoked partitions.
    auto gen3 = coop.assign(partitions, rejoin_cooperative(members, gen2, 2));
    check_valid(gen3, partitions, members);
    CHECK(gen3.at("a") == gen2.at("a"));
    CHECK(gen3.at("b") == gen2.at("b"));
    tps revoked;
    for (auto const& m : {"a", "b"})
        for (auto const& tp : gen1.at(m))
            if (!std::count(gen2.at(m).begin(), gen2.at(m).end(), tp)) revoked.push_back(tp);
    CHECK(sorted(gen3.at("c")) == sorted(revoked));
    CHECK(min_max_sizes(gen3) == std::pair<std::size_t, std::size_t>{3, 3});
}

TEST_CASE("cooperative-sticky: contested partitions are withheld until nobody else claims them",
          "[policy][assignor][cooperative]") {
    assignors::cooperative_sticky coop;
    partitions_map partitions{{"t", 2}};
    std::vector members{member("a", {"t"}), member("b", {"t"})};
    members[0].owned_partitions = {{"t", 0}, {"t", 1}};
    members[0].generation_id = 5;
    members[1].owned_partitions = {{"t", 1}};
    members[1].generation_id = 5;  // both claim t-1 in the same generation
    auto r = coop.assign(partitions, members);
    check_valid(r, partitions, members, false);
    CHECK(r.at("a") == tps{{"t", 0}});
    CHECK(r.at("b").empty());  // t-1 goes to someone only once a and b have both let it go

    // A stale claim loses to the newer one, and is withheld from nobody but its new owner.
    members[1].generation_id = 4;
    members[1].owned_partitions = {{"t", 0}};
    members[0].owned_partitions = {{"t", 0}};
    r = coop.assign(partitions, members);
    CHECK(r.at("a") == tps{{"t", 0}});
    CHECK(r.at("b") == tps{{"t", 1}});
}

TEST_CASE("cooperative-sticky: under the eager fallback nothing is withheld", "[policy][assignor][cooperative]") {
    // Eager members own nothing while they rejoin, so the whole assignment is handed out.
    assignors::cooperative_sticky coop;
    partitions_map partitions{{"t", 5}};
    std::vector members{member("a", {"t"}), member("b", {"t"})};
    members[0].user_data = coop.user_data({}, 3);
    auto r = coop.assign(partitions, members);
    check_valid(r, partitions, members);
    CHECK(min_max_sizes(r) == std::pair<std::size_t, std::size_t>{2, 3});
}

// ---------------------------------------------------------------------------------------------
// Scale: 100 members, 1000 partitions

TEST_CASE("assignors handle 100 members and 1000 partitions", "[policy][assignor][scale]") {
    partitions_map partitions;
    std::vector<std::string> topics;
    for (int t = 0; t < 10; ++t) {
        topics.push_back("topic-" + std::to_string(t));
        partitions[topics.back()] = 100;
    }
    std::vector<member_subscription> members;
    for (int m = 0; m < 100; ++m) members.push_back(member("member-" + std::to_string(1000 + m), topics));

    auto by_range = assignors::range{}.assign(partitions, members);
    check_valid(by_range, partitions, members);
    auto by_rr = assignors::roundrobin{}.assign(partitions, members);
    check_valid(by_rr, partitions, members);
    CHECK(min_max_sizes(by_rr) == std::pair<std::size_t, std::size_t>{10, 10});

    auto first = assignors::sticky{}.assign(partitions, members);
    check_valid(first, partitions, members);
    CHECK(min_max_sizes(first) == std::pair<std::size_t, std::size_t>{10, 10});
    auto next = members;
    next.erase(next.begin() + 50);
    next.push_back(member("member-new", topics));
    auto second = assignors::sticky{}.assign(partitions, rejoin_sticky(next, first, 1));
    check_valid(second, partitions, next);
    CHECK(kept(first, second) == 990);

    auto coop = assignors::cooperative_sticky{}.assign(partitions, rejoin_cooperative(next, first, 1));
    check_valid(coop, partitions, next, false);

    // Differing subscriptions take the general path.
    std::vector<member_subscription> mixed;
    for (int m = 0; m < 100; ++m) {
        std::vector<std::string> mine(topics.begin(), topics.begin() + 1 + m % 10);
        mixed.push_back(member("member-" + std::to_string(1000 + m), mine));
    }
    auto general = assignors::sticky{}.assign(partitions, mixed);
    check_valid(general, partitions, mixed);
    check_balanced(general, mixed);
    mixed.pop_back();
    auto general2 = assignors::sticky{}.assign(partitions, rejoin_sticky(mixed, general, 1));
    check_valid(general2, partitions, mixed);
    check_balanced(general2, mixed);
}
