// The KIP-848 consumer group protocol (group.protocol=consumer) against the real broker: on
// Kafka 4.x a group of our consumers shares a topic with no partition owned twice and no record
// lost, Kafka's own tooling sees a Consumer group, commits are visible, the broker's regex picks up
// new topics; on Kafka 3.9 (the protocol enabled as a preview by the rig) v0 works and the
// broker-side regex is refused with the reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <kafka/consumer.hpp>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"
#include "example_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::support;
using kafka::topic_partition;

struct manual_policies : kafka::default_policies {
    using offset_commit = kafka::commit::manual;
};
using consumer = kafka::KafkaConsumer<std::string, std::string, manual_policies>;

kafka::consumer_config kip848_config(const std::string& group) {
    return make_config({{"group.id", group},
                        {"group.protocol", "consumer"},
                        {"auto.offset.reset", "earliest"},
                        {"enable.auto.commit", "false"}});
}

std::vector<std::string> records(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i) + ":v");
    return out;
}

/// Every record a member returned: offsets per partition, and when.
struct member_log {
    std::map<topic_partition, std::set<std::int64_t>> offsets;
    std::size_t count = 0, duplicates = 0;
    steady::time_point last_record{};
    long long longest_gap_ms = 0;  // between two polls that returned records, while measuring
    void add(const consumer::records_type& rs, bool measure) {
        if (rs.empty()) return;
        auto now = steady::now();
        if (measure && last_record != steady::time_point{})
            longest_gap_ms = std::max<long long>(
                longest_gap_ms, std::chrono::duration_cast<std::chrono::milliseconds>(now - last_record).count());
        last_record = now;
        for (auto const& r : rs) {
            if (!offsets[{r.topic(), r.partition()}].insert(r.offset()).second) ++duplicates;
            ++count;
        }
    }
};

/// The TYPE column of `group` in Kafka's GroupsCommand --list (Classic, Consumer, Share).
std::string group_type(const std::string& group) {
    auto const& env = kafka::test::broker_env::get();
    auto r = run_command(
        "KAFKA_VERSION=" + shell_quote(env.version()) + " " + shell_quote(source_dir() + "/scripts/kafka/run-tool.sh") +
        " org.apache.kafka.tools.GroupsCommand --bootstrap-server " + shell_quote(env.bootstrap()) + " --list");
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string g, type;
        if (ls >> g >> type && g == group) return type;
    }
    return "(not listed: " + r.output + ")";
}

}  // namespace

TEST_CASE(
    "consumer protocol: members share a topic, never two owners, nothing lost; Kafka's tools see a Consumer group",
    "[kip848]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("Kafka 3.9 serves the consumer protocol only when enabled: see the next test case");
        return;
    }
    auto topic = unique_name("kip848");
    auto group = unique_name("kip848-group");
    create_topic(topic, 6);
    produce(topic, records("a", 300));

    consumer a(kip848_config(group));
    member_log la, lb;
    // Manual commits: what a member processed is committed before it gives a partition up, so its
    // next owner starts right after (no record twice).
    kafka::rebalance_listener commit_a;
    commit_a.on_partitions_revoked = [&](const std::vector<topic_partition>&) { a.commitSync(); };
    a.subscribe({topic}, commit_a);
    auto t0 = steady::now();
    REQUIRE(wait_until(
        60s,
        [&] {
            la.add(a.poll(100ms), false);
            return la.count >= 300;
        },
        0ms));
    auto first_join_ms = ms_since(t0);
    CHECK(la.count == 300);
    CHECK(la.duplicates == 0);
    CHECK(a.assignment().size() == 6);
    a.commitSync();
    CHECK(group_type(group) == "Consumer");

    // A second member joins while the first keeps consuming: no partition is owned by both at any
    // sampled moment, and the first member's kept partitions keep flowing.
    consumer b(kip848_config(group));
    kafka::rebalance_listener commit_b;
    commit_b.on_partitions_revoked = [&](const std::vector<topic_partition>&) { b.commitSync(); };
    b.subscribe({topic}, commit_b);
    bool overlap = false;
    int produced = 0;
    auto joined = steady::now();
    long long b_first_ms = -1;
    REQUIRE(wait_until(
        60s,
        [&] {
            if (produced < 20) produce(topic, records("b" + std::to_string(produced++) + "-", 10));
            la.add(a.poll(50ms), true);
            lb.add(b.poll(50ms), false);
            if (b_first_ms < 0 && lb.count > 0) b_first_ms = ms_since(joined);
            for (auto const& tp : a.assignment())
                if (b.assignment().count(tp)) overlap = true;
            return produced == 20 && a.assignment().size() == 3 && b.assignment().size() == 3 &&
                   la.count + lb.count >= 500;
        },
        0ms));
    CHECK_FALSE(overlap);
    CHECK(la.count + lb.count == 500);
    CHECK(la.duplicates + lb.duplicates == 0);
    for (int p = 0; p < 6; ++p) {
        topic_partition tp{topic, p};
        std::set<std::int64_t> all = la.offsets[tp];
        all.insert(lb.offsets[tp].begin(), lb.offsets[tp].end());
        CHECK(all.size() == (all.empty() ? 0 : static_cast<std::size_t>(*all.rbegin() + 1)));  // no gap
    }
    WARN("kip848 timing: first member join to all 300 records "
         << first_join_ms << " ms; second member subscribe to first record " << b_first_ms
         << " ms; longest gap between record-bearing polls of the first member meanwhile " << la.longest_gap_ms
         << " ms");

    // The second member closes: the first gets everything back at once (no session timeout).
    a.commitSync();
    b.commitSync();
    b.close();
    auto closed = steady::now();
    REQUIRE(wait_until(
        30s,
        [&] {
            la.add(a.poll(100ms), false);
            return a.assignment().size() == 6;
        },
        0ms));
    CHECK(ms_since(closed) < 10000);
    a.commitSync();

    // The commits are the group's, as Kafka's ConsumerGroupCommand shows them.
    std::string raw;
    auto described = describe_group(group, topic, &raw);
    INFO("ConsumerGroupCommand --describe:\n" << raw);
    REQUIRE(described.size() == 6);
    for (auto const& [p, o] : described) {
        CHECK(o.current);
        CHECK(o.current == o.log_end);
    }
    a.close();
}

TEST_CASE("consumer protocol on Kafka 3.9: ConsumerGroupHeartbeat v0 where the broker enables it; no broker-side regex",
          "[kip848]") {
    // scripts/kafka-broker.sh enables the protocol on 3.x (group.coordinator.rebalance.protocols=
    // classic,consumer, a preview there); a 3.9 broker without it answers UNSUPPORTED_VERSION, which the
    // unit and sim tests cover (a fatal error naming the cause, thrown from poll).
    if (kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("Kafka 4.x serves v1: see the other test cases");
        return;
    }
    auto topic = unique_name("kip848-v0");
    auto group = unique_name("kip848-v0-group");
    create_topic(topic, 2);
    produce(topic, records("a", 20));
    {
        consumer c(kip848_config(group));
        member_log log;
        c.subscribe({topic});
        REQUIRE(wait_until(
            60s,
            [&] {
                log.add(c.poll(100ms), false);
                return log.count >= 20;
            },
            0ms));
        CHECK(log.count == 20);
        CHECK(c.assignment().size() == 2);
        CHECK(c.generation() > 0);  // the member epoch
        c.commitSync();
        c.close();
    }
    auto described = describe_group(group, topic);
    REQUIRE(described.size() == 2);
    for (auto const& [p, o] : described) CHECK(o.current == o.log_end);

    consumer r(kip848_config(group));
    r.subscribe(kafka::subscription_pattern(topic + ".*"));
    try {
        for (int i = 0; i < 300; ++i) (void)r.poll(100ms);
        FAIL("no error within 30 s");
    } catch (const kafka::kafka_error& e) {
        CHECK(e.code() == kafka::errc::unsupported_version);
        CHECK_THAT(e.what(), Catch::Contains("v1") && Catch::Contains("topic_pattern"));
    }
}

TEST_CASE(
    "consumer protocol: subscribe(subscription_pattern): the broker's regex picks up a topic created after the join",
    "[kip848]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("SubscribedTopicRegex needs ConsumerGroupHeartbeat v1 (Kafka 4.0+)");
        return;
    }
    auto prefix = unique_name("kip848re");
    auto group = unique_name("kip848-re-group");
    create_topic(prefix + "-a", 2);
    produce(prefix + "-a", records("a", 10));
    consumer c(kip848_config(group));
    member_log log;
    c.subscribe(kafka::subscription_pattern(prefix + "-.*"));
    REQUIRE(wait_until(
        60s,
        [&] {
            log.add(c.poll(100ms), false);
            return log.count >= 10;
        },
        0ms));
    CHECK(c.subscription() == std::set<std::string>{prefix + "-a"});

    create_topic(prefix + "-b", 1);
    produce(prefix + "-b", records("b", 5));
    // The broker refreshes its regex matches on its own schedule (a few seconds to a minute).
    REQUIRE(wait_until(
        120s,
        [&] {
            log.add(c.poll(100ms), false);
            return log.count >= 15;
        },
        0ms));
    CHECK(log.count == 15);
    CHECK(log.offsets[{prefix + "-b", 0}].size() == 5);
    CHECK(c.assignment().size() == 3);
    c.close();
}

TEST_CASE("rebalance timing on one topic: classic eager, classic cooperative-sticky, consumer protocol",
          "[kip848][timing]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("measured on Kafka 4.x");
        return;
    }
    auto topic = unique_name("kip848-timing");
    create_topic(topic, 6);
    produce(topic, records("t", 30000));
    struct scenario {
        const char* name;
        std::map<std::string, std::string> props;
    };
    std::vector<scenario> scenarios{
        {"classic/eager (range)", {{"partition.assignment.strategy", "range"}}},
        {"classic/cooperative-sticky", {{"partition.assignment.strategy", "cooperative-sticky"}}},
        {"consumer (KIP-848, uniform)", {{"group.protocol", "consumer"}}},
    };
    std::ostringstream report;
    for (auto const& sc : scenarios) {
        auto group = unique_name("kip848-timing-group");
        std::map<std::string, std::string> props{{"group.id", group},
                                                 {"auto.offset.reset", "earliest"},
                                                 {"enable.auto.commit", "false"},
                                                 {"max.poll.records", "20"}};
        props.insert(sc.props.begin(), sc.props.end());
        consumer a(make_config(props));
        member_log la, lb;
        a.subscribe({topic});
        REQUIRE(wait_until(
            60s,
            [&] {
                la.add(a.poll(20ms), false);
                return la.count >= 200 && a.assignment().size() == 6;
            },
            0ms));
        // The second member joins while the first consumes steadily (20 records per poll).
        consumer b(make_config(props));
        b.subscribe({topic});
        auto joined = steady::now();
        la.last_record = steady::now();
        long long b_first = -1;
        REQUIRE(wait_until(
            60s,
            [&] {
                la.add(a.poll(20ms), true);
                lb.add(b.poll(20ms), false);
                if (b_first < 0 && lb.count > 0) b_first = ms_since(joined);
                return b_first >= 0 && a.assignment().size() == 3 && b.assignment().size() == 3 &&
                       ms_since(joined) > 3000;
            },
            0ms));
        for (auto const& tp : a.assignment()) CHECK_FALSE(b.assignment().count(tp));
        report << "\n  " << sc.name << ": join to the new member's first record " << b_first
               << " ms; longest pause of the existing member " << la.longest_gap_ms << " ms";
        b.close();
        a.close();
    }
    WARN("rebalance timing, 6 partitions, second member joining a consuming first one:" << report.str());
}

TEST_CASE("consumer protocol: a mixed group with Java's consumer (ConsoleConsumer, group.protocol=consumer)",
          "[kip848][mixed]") {
    auto const& env = kafka::test::broker_env::get();
    if (!env.is_kafka4() || run_command("command -v java").status != 0) {
        SUCCEED("needs Kafka 4.x and java");
        return;
    }
    auto topic = unique_name("kip848-java");
    auto group = unique_name("kip848-java-group");
    create_topic(topic, 6);
    kafka::test::proc::child java(
        "java",
        {"env", "KAFKA_VERSION=" + env.version(), source_dir() + "/scripts/kafka/run-tool.sh", "ConsoleConsumer",
         "--bootstrap-server", env.bootstrap(), "--topic", topic, "--group", group, "--consumer-property",
         "group.protocol=consumer", "--consumer-property", "auto.offset.reset=earliest", "--property",
         "print.partition=true", "--property", "print.offset=true"},
        true);
    consumer ours(kip848_config(group));
    member_log log;
    // Ours joins at once, Java once its JVM is up: the broker then splits the partitions.
    ours.subscribe({topic});
    REQUIRE(wait_until(
        90s,
        [&] {
            log.add(ours.poll(100ms), false);
            return ours.assignment().size() == 3;
        },
        0ms));
    // Stable for a while: the other three are Java's.
    std::set<topic_partition> mine;
    auto since = steady::now();
    REQUIRE(wait_until(
        30s,
        [&] {
            log.add(ours.poll(100ms), false);
            if (ours.assignment() != mine) mine = ours.assignment(), since = steady::now();
            return mine.size() == 3 && steady::now() - since > 3s;
        },
        0ms));
    std::vector<std::string> lines;
    for (int i = 0; i < 120; ++i) lines.push_back("k" + std::to_string(i) + ":v" + std::to_string(i));
    produce(topic, lines);
    static const std::regex java_record(R"(^Partition:(\d+)\s+Offset:(\d+)\s)");
    auto java_records = [&] {
        std::set<std::pair<int, std::int64_t>> s;
        for (auto const& l : java.out()) {
            std::smatch m;
            if (std::regex_search(l, m, java_record)) s.insert({std::stoi(m[1]), std::stoll(m[2])});
        }
        return s;
    };
    REQUIRE(wait_until(
        60s,
        [&] {
            log.add(ours.poll(100ms), false);
            return log.count + java_records().size() >= 120;
        },
        0ms));
    INFO(java.transcript());
    CHECK(log.count + java_records().size() == 120);
    for (auto const& [p, o] : java_records()) CHECK_FALSE(mine.count({topic, p}));  // disjoint
    for (auto const& [tp, offs] : log.offsets) CHECK(mine.count(tp));

    // Java leaves (SIGTERM: its shutdown hook closes its consumer): ours takes everything over.
    java.signal_group(SIGTERM);
    auto left = steady::now();
    REQUIRE(wait_until(
        30s,
        [&] {
            log.add(ours.poll(100ms), false);
            return ours.assignment().size() == 6;
        },
        0ms));
    WARN("kip848 mixed with Java: ours took over Java's partitions " << ms_since(left) << " ms after its SIGTERM");
    java.wait(20s);
    ours.close();
}
