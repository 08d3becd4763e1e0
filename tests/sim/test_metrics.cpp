// Simulated end to end: metrics() with Java's names, checked against what the test itself
// consumed, committed and timed on the simulated clock (rates are then exact).
#include "sim_support.hpp"

#include <kafka/metrics.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

using namespace sim_support;

namespace {

double value_of(const sim_consumer& c, const std::string& name, const std::map<std::string, std::string>& tags = {}) {
    auto all = c.metrics().all;
    auto m = kafka::find_metric(all, name, tags);
    if (!m) FAIL("no metric " << name);
    return m->value;
}
double ms_of(kt::sim_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

TEST_CASE("metrics sim: records and bytes consumed, their rates, lag and lead, per topic and partition",
          "[sim][engine][metrics]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    std::size_t bytes = 0;
    for (int i = 0; i < 30; ++i) {
        auto v = "value-" + std::to_string(i);
        bytes += v.size();
        cluster.produce("t", 0, v);
    }
    for (int i = 0; i < 10; ++i) {
        auto v = "x" + std::to_string(i);
        bytes += v.size();
        cluster.produce("t", 1, v);
    }
    cluster.delete_records("t", 0, 5);  // log start 5: partition 0 keeps 25 records
    bytes -= std::string("value-0value-1value-2value-3value-4").size();

    auto c = make_consumer(cluster, {{"metrics.sample.window.ms", "10000"}, {"metrics.num.samples", "2"}});
    c->assign({{"t", 0}, {"t", 1}});
    seen_records seen;
    std::optional<kt::sim_clock::time_point> first;
    REQUIRE(poll_until(cluster, *c, seen, [&] {
        if (!first && seen.count() > 0) first = cluster.now();
        return seen.count() == 35;
    }));
    for (int i = 0; i < 20; ++i) seen.add(c->poll(100ms));  // two more simulated seconds, nothing new
    REQUIRE(seen.count() == 35);

    CHECK(value_of(*c, "records-consumed-total", {{"client-id", "sim"}}) == 35);
    CHECK(value_of(*c, "bytes-consumed-total") == static_cast<double>(bytes));
    CHECK(value_of(*c, "records-consumed-total", {{"topic", "t"}}) == 35);
    CHECK(value_of(*c, "bytes-consumed-total", {{"topic", "t"}}) == static_cast<double>(bytes));
    // Lag 0 and lead = position - log start, per partition once its records were returned.
    CHECK(value_of(*c, "records-lag", {{"topic", "t"}, {"partition", "0"}}) == 0);
    CHECK(value_of(*c, "records-lag", {{"topic", "t"}, {"partition", "1"}}) == 0);
    CHECK(value_of(*c, "records-lead", {{"topic", "t"}, {"partition", "0"}}) == 25);
    CHECK(value_of(*c, "records-lead", {{"topic", "t"}, {"partition", "1"}}) == 10);
    CHECK(value_of(*c, "records-lead-min") == 10);
    CHECK(value_of(*c, "records-lag-max") == 0);

    // Java's Rate: the records' windows cover (now - the first record's window) plus the one full
    // window that two samples always count: 35 records over (elapsed + 10 s).
    REQUIRE(first);
    auto elapsed_s = std::chrono::duration<double>(cluster.now() - *first).count();
    REQUIRE(elapsed_s < 10);
    CHECK(value_of(*c, "records-consumed-rate") == Approx(35.0 / (elapsed_s + 10.0)).epsilon(1e-9));
    CHECK(value_of(*c, "bytes-consumed-rate") == Approx(static_cast<double>(bytes) / (elapsed_s + 10.0)).epsilon(1e-9));

    // Fetches: every response the consumer read is counted (one may still be in flight per broker).
    auto fetches = value_of(*c, "fetch-total");
    auto sent = static_cast<double>(cluster.request_count(fetch_key));
    CHECK(fetches >= sent - 2);
    CHECK(fetches <= sent);
    CHECK(value_of(*c, "fetch-size-max") > static_cast<double>(bytes) / 2);  // one response carried a partition's batch
    CHECK(value_of(*c, "fetch-latency-max") >= 0);

    // 20 s later with no new records: the windows have expired; totals stay.
    cluster.advance(std::chrono::seconds(20));
    CHECK(value_of(*c, "records-consumed-rate") == 0);
    CHECK(std::isnan(value_of(*c, "records-lag-max")));
    CHECK(value_of(*c, "records-consumed-total") == 35);
}

TEST_CASE("metrics sim: polls, commits and rebalances as the test timed them", "[sim][engine][metrics]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    cluster.produce("t", 0, "a");
    auto c = make_consumer(cluster, {{"metrics.sample.window.ms", "60000"}});
    CHECK(value_of(*c, "last-poll-seconds-ago") == -1);
    CHECK(value_of(*c, "rebalance-total") == 0);
    CHECK(value_of(*c, "last-rebalance-seconds-ago") == -1);

    listener_log log;
    seen_records seen;
    auto joined_at = cluster.now();
    join(cluster, *c, seen, log, "t", 2);
    auto stable_at = cluster.now();
    CHECK(value_of(*c, "rebalance-total") == 1);
    CHECK(value_of(*c, "assigned-partitions") == 2);
    // The join took from the first poll to the poll that saw the group stable.
    CHECK(value_of(*c, "rebalance-latency-max") <= ms_of(stable_at - joined_at));
    CHECK(value_of(*c, "rebalance-latency-max") >= 0);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));

    SECTION("polls") {
        // Ten polls 100 ms apart, each waiting its whole 100 ms: Java's idle ratio is 100 / (100 + 100).
        for (int i = 0; i < 10; ++i) seen.add(c->poll(100ms));
        // Then the user works 900 ms before a poll of 100 ms: 100 / (100 + 1000) for that one.
        cluster.advance(900ms);
        CHECK(value_of(*c, "last-poll-seconds-ago") == Approx(1.0));
        seen.add(c->poll(100ms));
        seen.add(c->poll(100ms));
        CHECK(value_of(*c, "time-between-poll-max") == Approx(1000));
        CHECK(value_of(*c, "last-poll-seconds-ago") == Approx(0.1));
        auto ratio = value_of(*c, "poll-idle-ratio-avg");
        CHECK(ratio < 0.6);  // the first poll counts 1 (nothing before it), the join polls about 0.5
        CHECK(ratio > 0.3);
    }
    SECTION("commits") {
        for (int node = 0; node < 3; ++node) cluster.set_latency(node, 30ms);
        auto before = value_of(*c, "commit-total");
        for (int i = 0; i < 3; ++i) c->commitSync();
        CHECK(value_of(*c, "commit-total") == before + 3);
        CHECK(value_of(*c, "commit-latency-max") >= 30);
        CHECK(value_of(*c, "commit-latency-avg") >= 30);
    }
    SECTION("a second member: a second rebalance") {
        auto c2 = make_consumer(cluster);
        listener_log log2;
        seen_records seen2;
        c2->subscribe({"t"}, log2.listener());
        REQUIRE(poll_until(cluster, {{c.get(), &seen}, {c2.get(), &seen2}},
                           [&] { return c->assignment().size() == 1 && c2->assignment().size() == 1; }));
        for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
        CHECK(value_of(*c, "rebalance-total") == 2);
        CHECK(value_of(*c, "assigned-partitions") == 1);
        // Two rebalances in windows that count as at least one full window of 60 s and less than two.
        auto per_hour = value_of(*c, "rebalance-rate-per-hour");
        CHECK(per_hour > 2.0 * 3600.0 / 120.0);
        CHECK(per_hour <= 2.0 * 3600.0 / 60.0);
    }
}

TEST_CASE("metrics sim: connections and requests per broker", "[sim][engine][metrics]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    cluster.produce("t", 0, "a");
    cluster.produce("t", 1, "b");
    auto c = make_consumer(cluster);
    c->assign({{"t", 0}, {"t", 1}});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
    auto all = c->metrics().all;
    double per_node = 0;
    for (auto const& m : all)
        if (m.name.group == "consumer-node-metrics" && m.name.name == "request-total") per_node += m.value;
    auto total = kafka::find_metric(all, "request-total", {{"client-id", "sim"}});
    REQUIRE(total);
    CHECK(per_node == total->value);  // the client-level meter is the sum of the brokers'
    CHECK(kafka::find_metric(all, "request-total", {{"node-id", "node-0"}})->value > 0);
    CHECK(kafka::find_metric(all, "outgoing-byte-total", {{"node-id", "node-0"}})->value > 0);
    CHECK(kafka::find_metric(all, "connection-count")->value >= 2);  // bootstrap and both leaders
    CHECK(kafka::find_metric(all, "connection-creation-total")->value >= 2);

    cluster.disconnect_all(0);
    for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
    CHECK(value_of(*c, "connection-close-total") >= 1);
}

TEST_CASE("metrics sim: the statistics callback runs from poll once per interval", "[sim][engine][metrics]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a");
    auto c = make_consumer(cluster);
    c->assign({{"t", 0}});
    std::vector<double> consumed;
    c->set_statistics_callback(1000ms, [&](const sim_consumer::metrics_snapshot& m) {
        consumed.push_back(kafka::find_metric(m.all, "records-consumed-total")->value);
    });
    for (int i = 0; i < 35; ++i) c->poll(100ms);  // 3.5 simulated seconds
    CHECK(consumed.size() == 3);
    CHECK(consumed.back() == 1);
    c->set_statistics_callback(0ms, {});
    for (int i = 0; i < 20; ++i) c->poll(100ms);
    CHECK(consumed.size() == 3);
    CHECK_THROWS_AS(c->set_statistics_callback(-1ms, {}), kafka::kafka_error);
}
