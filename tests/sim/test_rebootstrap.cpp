// Simulated end to end: re-bootstrapping (metadata.recovery.strategy=rebootstrap, KIP-899 and
// KIP-1102). The whole cluster moves to new ports, as brokers restarted with other listeners: the
// brokers the consumer knows refuse connections, and only bootstrap.servers leads to the new ones.
#include "sim_support.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace sim_support;

namespace {

// bootstrap.servers: node 0's address now, and where node 0 will listen after the move.
constexpr const char* bootstrap_before_and_after = "sim:9092,sim:9192";

void move_cluster(kt::fake_cluster& cluster) {
    for (std::int32_t node = 0; node < 3; ++node) cluster.move_node(node, static_cast<std::uint16_t>(9192 + node));
}

}  // namespace

TEST_CASE("rebootstrap: a cluster that moved to new ports is found again through bootstrap.servers",
          "[sim][rebootstrap]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    for (std::int32_t p = 0; p < 3; ++p) cluster.produce("t", p, "before-" + std::to_string(p));
    std::map<std::string, std::string> base{{"bootstrap.servers", bootstrap_before_and_after}};

    auto assigned = make_consumer(cluster, [&] {
        auto m = base;
        m["group.id"] = "";
        return m;
    }());
    auto member = make_consumer(cluster, base);  // metadata.recovery.strategy defaults to rebootstrap
    auto stuck = make_consumer(cluster, [&] {
        auto m = base;
        m["group.id"] = "";
        m["metadata.recovery.strategy"] = "none";
        return m;
    }());
    log_capture assigned_log, stuck_log;
    assigned_log.attach(*assigned);
    stuck_log.attach(*stuck);
    seen_records a, m, s;
    listener_log listener;
    assigned->assign({{"t", 0}, {"t", 1}, {"t", 2}});
    stuck->assign({{"t", 0}, {"t", 1}, {"t", 2}});
    member->subscribe({"t"}, listener.listener());
    REQUIRE(poll_until(cluster, {{assigned.get(), &a}, {member.get(), &m}, {stuck.get(), &s}},
                       [&] { return a.count() == 3 && m.count() == 3 && s.count() == 3; }));
    member->commitSync();

    move_cluster(cluster);
    for (std::int32_t p = 0; p < 3; ++p) cluster.produce("t", p, "after-" + std::to_string(p));
    bool resumed = poll_until(cluster, {{assigned.get(), &a}, {member.get(), &m}, {stuck.get(), &s}},
                              [&] { return a.count() == 6 && m.count() >= 6; });
    CHECK(resumed);
    // Every record once for the assigned consumer; at least once for the group member.
    for (std::int32_t p = 0; p < 3; ++p) CHECK(a.contiguous({"t", p}, 0, 2));
    for (std::int32_t p = 0; p < 3; ++p) {
        auto const& got = m.offsets[{"t", p}];
        CHECK(std::count(got.begin(), got.end(), 1) >= 1);
    }
    CHECK(assigned_log.count("re-bootstrapping from bootstrap.servers sim:9092,sim:9192") >= 1);
    // strategy none keeps trying the addresses it knew: nothing after the move, even 30 s later.
    CHECK_FALSE(poll_until(
        cluster, *stuck, s, [&] { return s.count() > 3; }, 30s));
    CHECK(s.count() == 3);
    CHECK(stuck_log.count("re-bootstrapping") == 0);
}

TEST_CASE(
    "rebootstrap: a REBOOTSTRAP_REQUIRED answer sends the consumer back to bootstrap.servers; under none "
    "it is a warning and the known brokers are asked again",
    "[sim][rebootstrap]") {
    auto strategy = GENERATE(std::string("rebootstrap"), std::string("none"));
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a");
    auto c = make_consumer(
        cluster, {{"group.id", ""}, {"metadata.recovery.strategy", strategy}, {"metadata.max.age.ms", "2000"}});
    log_capture log;
    log.attach(*c);
    seen_records seen;
    c->assign({{"t", 0}});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    auto before = cluster.request_count(proto::MetadataRequest::api_key);
    cluster.inject(proto::MetadataRequest::api_key, kafka::errc::rebootstrap_required);
    cluster.produce("t", 0, "b");
    // The next refresh (metadata.max.age.ms) gets the error; consumption goes on either way.
    REQUIRE(poll_until(cluster, *c, seen, [&] {
        return seen.count() == 2 && cluster.request_count(proto::MetadataRequest::api_key) >= before + 2;
    }));
    if (strategy == "rebootstrap") {
        CHECK(log.count("re-bootstrapping from bootstrap.servers") == 1);
        CHECK(log.count("REBOOTSTRAP_REQUIRED") == 1);
    } else {
        CHECK(log.count("re-bootstrapping") == 0);
        CHECK(log.count("metadata.recovery.strategy=none") == 1);
    }
}
