// What the consumer logs (detail/log_events.hpp through the sink of set_log_handler), against the
// fake cluster on simulated time: each line names the consumer, says where and why, and a
// condition that lasts (a broker that is down, a topic that is missing) is logged once per window
// with the count of what was left out, not once per attempt.
#include "sim_support.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace sim_support;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("engine sim log: a refused connection is one warning naming the address and reason, then once per window",
          "[sim][engine][logging]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    log_capture log;
    auto c = make_consumer(cluster, {{"bootstrap.servers", "sim:1"}, {"group.id", ""}});
    log.attach(*c);
    c->assign({{"t", 0}});
    seen_records seen;
    auto start = cluster.now();
    // The first attempt fails at once; its warning is there after the first poll.
    seen.add(c->poll(100ms));
    auto first = log.with("connection to sim:1", kafka::log_level::warn);
    INFO(log.all());
    REQUIRE(first.size() == 1);
    CHECK(contains(first[0],
                   "[Consumer clientId=sim] connection to sim:1 (bootstrap server) failed: Connection refused"));
    CHECK(contains(first[0], "next attempt in"));
    CHECK(cluster.now() - start < 1s);
    // 35 s of attempts (reconnect backoff 50 ms growing to 1 s: about 35 of them) log 4 lines: at
    // 0, 10, 20 and 30 s; each after the first says how many were left out.
    REQUIRE_FALSE(poll_until(
        cluster, *c, seen, [] { return false; }, 35s));
    auto lines = log.with("connection to sim:1", kafka::log_level::warn);
    CHECK(lines.size() == 4);
    for (std::size_t i = 1; i < lines.size(); ++i) CHECK(contains(lines[i], " more like this in the last 1"));
    CHECK(seen.count() == 0);
}

TEST_CASE("engine sim log: a subscribed topic that does not exist is a warning per window, and its arrival is said",
          "[sim][engine][logging]") {
    kt::fake_cluster cluster;
    log_capture log;
    auto c = make_consumer(cluster, {{"allow.auto.create.topics", "false"}, {"metadata.max.age.ms", "1000"}});
    log.attach(*c);
    c->subscribe({"later"});
    seen_records seen;
    REQUIRE_FALSE(poll_until(
        cluster, *c, seen, [] { return false; }, 25s));
    INFO(log.all());
    auto missing =
        log.with("[Consumer clientId=sim, groupId=g] topic 'later' does not exist (yet)", kafka::log_level::warn);
    CHECK(missing.size() == 3);  // at 0, 10 and 20 s, though metadata was refreshed every second
    cluster.create_topic("later", 2);
    cluster.produce("later", 0, "x");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    CHECK(log.with("topic 'later' is available now", kafka::log_level::info).size() == 1);
    CHECK(log.with("assigned partitions: later-0, later-1", kafka::log_level::info).size() == 1);
}

TEST_CASE("engine sim log: rebalances, lost partitions and fencing", "[sim][engine][logging]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    seen_records seen;
    listener_log listener;
    SECTION("assigned, then lost when the coordinator drops the member, then assigned again") {
        log_capture log;
        auto c = make_consumer(cluster);
        log.attach(*c);
        join(cluster, *c, seen, listener, "t", 2);
        INFO(log.all());
        CHECK(log.with("[Consumer clientId=sim, groupId=g] assigned partitions: t-0, t-1", kafka::log_level::info)
                  .size() == 1);
        cluster.remove_member("g", c->member_id());
        REQUIRE(poll_until(cluster, *c, seen, [&] { return listener.saw("lost:") && c->assignment().size() == 2; }));
        CHECK(log.with("lost partitions: t-0, t-1 (the group membership was lost", kafka::log_level::warn).size() == 1);
        CHECK(log.with("assigned partitions: t-0, t-1", kafka::log_level::info).size() == 2);
    }
    SECTION("a static member fenced by another with its group.instance.id: an error line, then the exception") {
        log_capture log;
        auto c = make_consumer(cluster, {{"group.instance.id", "i-1"}});
        log.attach(*c);
        join(cluster, *c, seen, listener, "t", 2);
        cluster.inject(heartbeat_key, errc::fenced_instance_id);
        bool thrown = false;
        try {
            poll_until(
                cluster, *c, seen, [] { return false; }, 10s);
        } catch (const kafka::kafka_error& e) {
            thrown = e.code() == errc::fenced_instance_id;
        }
        INFO(log.all());
        CHECK(thrown);
        CHECK(log.with("this static member was fenced by another with the same group.instance.id",
                       kafka::log_level::error)
                  .size() == 1);
    }
}

TEST_CASE("engine sim log: offset resets and commit failures", "[sim][engine][logging]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c");
    log_capture log;
    auto c = make_consumer(cluster, {{"group.id", ""}});
    log.attach(*c);
    c->assign({{"t", 0}});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    INFO(log.all());
    CHECK(log.with("reset the offset of partition t-0 to 0", kafka::log_level::info).size() == 1);
    // Out of range: the records before 2 are deleted and the consumer seeks to 1.
    cluster.delete_records("t", 0, 2);
    c->seek({"t", 0}, 1);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return !log.with("reset the offset of partition t-0 to 2").empty(); }));
    CHECK(log.with("fetch offset 1 is out of range for partition t-0", kafka::log_level::warn).size() == 1);

    log_capture glog;
    auto g = make_consumer(cluster);
    glog.attach(*g);
    g->assign({{"t", 0}});
    cluster.inject(commit_key, errc::group_authorization_failed);
    CHECK_THROWS(
        g->commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{{"t", 0}, {2, "", std::nullopt}}}));
    INFO(glog.all());
    CHECK(glog.with("[Consumer clientId=sim, groupId=g] commit of offsets t-0@2 failed:", kafka::log_level::warn)
              .size() == 1);
}

TEST_CASE("engine sim log: the configuration's warnings reach the sink when it is set", "[sim][engine][logging]") {
    kt::fake_cluster cluster;
    log_capture log;
    auto c = make_consumer(cluster, {{"reconnect.backoff.ms", "100"}});
    log.attach(*c);
    INFO(log.all());
    CHECK(log.with("reconnect.backoff.ms is set but reconnect.backoff.max.ms is not", kafka::log_level::warn).size() ==
          1);
}
