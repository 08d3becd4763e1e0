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
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
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

/// A member of `group` under `protocol`, reading from the start, committing only when told; `extra` adds to it.
kafka::consumer_config group_config(const std::string& group, const std::string& protocol,
                                    std::map<std::string, std::string> extra = {}) {
    extra.insert({{"group.id", group},
                  {"group.protocol", protocol},
                  {"auto.offset.reset", "earliest"},
                  {"enable.auto.commit", "false"}});
    return make_config(extra);
}

kafka::consumer_config kip848_config(const std::string& group, std::map<std::string, std::string> extra = {}) {
    return group_config(group, "consumer", std::move(extra));
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

namespace {

// `c` subscribed to the pattern <prefix>-.* while only <prefix>-a (2 partitions, 10 records) exists: it
// reads those, then <prefix>-b is created with 5 records, and within `within` the subscription and
// the records show the pattern picked it up. The offsets are committed before the new topic comes:
// under classic the subscription change rebalances (eager range by default: every partition revoked
// and assigned again, from its committed offset), so each record arrives exactly once either way.
void new_topic_picked_up(consumer& c, const std::string& prefix, std::chrono::seconds within) {
    member_log log;
    REQUIRE(wait_until(
        60s,
        [&] {
            log.add(c.poll(100ms), false);
            return log.count >= 10;
        },
        0ms));
    CHECK(c.subscription() == std::set<std::string>{prefix + "-a"});
    c.commitSync();

    create_topic(prefix + "-b", 1);
    produce(prefix + "-b", records("b", 5));
    REQUIRE(wait_until(
        within,
        [&] {
            log.add(c.poll(100ms), false);
            return log.count >= 15;
        },
        0ms));
    CHECK(log.count == 15);
    CHECK(log.offsets[{prefix + "-b", 0}].size() == 5);
    CHECK(c.subscription() == std::set<std::string>{prefix + "-a", prefix + "-b"});
    CHECK(c.assignment().size() == 3);
    c.close();
}

}  // namespace

TEST_CASE(
    "consumer protocol: subscribe(subscription_pattern): the broker's regex picks up a topic created after the join",
    "[kip848]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("SubscribedTopicRegex needs ConsumerGroupHeartbeat v1 (Kafka 4.0+)");
        return;
    }
    auto prefix = unique_name("kip848re");
    create_topic(prefix + "-a", 2);
    produce(prefix + "-a", records("a", 10));
    consumer c(kip848_config(unique_name("kip848-re-group")));
    c.subscribe(kafka::subscription_pattern(prefix + "-.*"));
    // The broker refreshes its regex matches on its own schedule (a few seconds to a minute).
    new_topic_picked_up(c, prefix, 120s);
}

TEST_CASE("classic protocol: subscribe(topic_pattern): the client's regex picks up a topic created after the join",
          "[kip848]") {
    // The client matches the pattern against each metadata refresh (Java's classic consumer too), so
    // how soon a new topic is seen is metadata.max.age.ms.
    auto prefix = unique_name("classicre");
    create_topic(prefix + "-a", 2);
    produce(prefix + "-a", records("a", 10));
    consumer c(group_config(unique_name("classic-re-group"), "classic", {{"metadata.max.age.ms", "1000"}}));
    c.subscribe(kafka::topic_pattern{prefix + "-.*"});
    new_topic_picked_up(c, prefix, 60s);
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

namespace {

// Our member and another client's in one KIP-848 group on a 6-partition topic: ours settles on three
// partitions, the other's records (its "Partition:<p> Offset:<o>" lines) are all on the other three,
// together every one of 120 records; when the other leaves (SIGTERM: it closes its consumer), ours
// takes everything over.
void mixed_group_with(kafka::test::proc::child& other, const std::string& who, const std::string& topic,
                      const std::string& group) {
    consumer ours(kip848_config(group));
    member_log log;
    // Ours joins at once, the other once its runtime is up: the broker then splits the partitions.
    ours.subscribe({topic});
    REQUIRE(wait_until(
        90s,
        [&] {
            log.add(ours.poll(100ms), false);
            return ours.assignment().size() == 3;
        },
        0ms));
    // Stable for a while: the other three are the other member's.
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
    produce(topic, records("k", 120));
    static const std::regex record_line(R"(^Partition:(\d+)\s+Offset:(\d+)\s)");
    auto other_records = [&] {
        std::set<std::pair<int, std::int64_t>> s;
        for (auto const& l : other.out()) {
            std::smatch m;
            if (std::regex_search(l, m, record_line)) s.insert({std::stoi(m[1]), std::stoll(m[2])});
        }
        return s;
    };
    REQUIRE(wait_until(
        60s,
        [&] {
            log.add(ours.poll(100ms), false);
            return log.count + other_records().size() >= 120;
        },
        0ms));
    INFO(other.transcript());
    CHECK(log.count + other_records().size() == 120);
    CHECK(log.duplicates == 0);
    CHECK(other_records().size() > 0);
    for (auto const& [p, o] : other_records()) CHECK_FALSE(mine.count({topic, p}));  // disjoint
    for (auto const& [tp, offs] : log.offsets) CHECK(mine.count(tp));

    other.signal_group(SIGTERM);
    auto left = steady::now();
    REQUIRE(wait_until(
        30s,
        [&] {
            log.add(ours.poll(100ms), false);
            return ours.assignment().size() == 6;
        },
        0ms));
    WARN("kip848 mixed with " << who << ": ours took over its partitions " << ms_since(left)
                              << " ms after its SIGTERM");
    other.wait(20s);
    ours.close();
}

}  // namespace

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
    mixed_group_with(java, "Java", topic, group);
}

TEST_CASE("consumer protocol: a mixed group with a current librdkafka (confluent-kafka's, group.protocol=consumer)",
          "[kip848][mixed]") {
    auto const& env = kafka::test::broker_env::get();
    if (!env.is_kafka4()) {
        SUCCEED("needs Kafka 4.x");
        return;
    }
    // scripts/install-deps.sh makes it (scripts/python-deps.sh); without it this peer is missing, not skipped.
    auto python = run_command(shell_quote(source_dir() + "/scripts/python-deps.sh") + " --path").output;
    python.erase(python.find_last_not_of("\n") + 1);
    INFO("no confluent-kafka at " + python + ": run scripts/python-deps.sh");
    REQUIRE(run_command(shell_quote(python) + " -c 'import confluent_kafka'").status == 0);
    auto topic = unique_name("kip848-rdkafka");
    auto group = unique_name("kip848-rdkafka-group");
    create_topic(topic, 6);
    kafka::test::proc::child rdkafka(
        "librdkafka",
        {python, source_dir() + "/tests/integration/rdkafka_kip848_member.py", env.bootstrap(), topic, group}, true);
    mixed_group_with(rdkafka, "librdkafka", topic, group);
    auto out = rdkafka.out();
    CHECK(std::any_of(out.begin(), out.end(), [](auto const& l) { return l.rfind("librdkafka 2.", 0) == 0; }));
    CHECK(std::find(out.begin(), out.end(), "closed") != out.end());
}

namespace {

/// GROUP-EPOCH of `group` (ConsumerGroupCommand --describe --state --verbose), -1 when not shown.
int group_epoch(const std::string& group, std::string& raw) {
    auto r = consumer_group_command("--describe --group " + shell_quote(group) + " --state --verbose");
    raw = r.output;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string g, coordinator, id, strategy, state;
        int epoch = -1;
        if (ls >> g >> coordinator >> id >> strategy >> state >> epoch && g == group) return epoch;
    }
    return -1;
}

/// Each static member's CURRENT-ASSIGNMENT (ConsumerGroupCommand --describe --members --verbose), by
/// GROUP-INSTANCE-ID.
std::map<std::string, std::string> assignments_by_instance(const std::string& group, std::string& raw) {
    auto r = consumer_group_command("--describe --group " + shell_quote(group) + " --members --verbose");
    raw = r.output;
    std::map<std::string, std::string> out;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string g, member, instance, host, client, count, epoch, assignment;
        if (ls >> g >> member >> instance >> host >> client >> count >> epoch >> assignment && g == group)
            out[instance] = assignment;
    }
    return out;
}

}  // namespace

TEST_CASE(
    "consumer protocol: a static member restarted within the session timeout keeps its partitions, no "
    "reassignment",
    "[kip848][static]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("the rig's Kafka 3.9 preview is checked in the 3.9 case");
        return;
    }
    auto topic = unique_name("kip848-static");
    auto group = unique_name("kip848-static-group");
    create_topic(topic, 6);
    auto config = [&](const std::string& instance) { return kip848_config(group, {{"group.instance.id", instance}}); };
    auto a = std::make_unique<consumer>(config("static-a"));
    consumer b(config("static-b"));
    a->subscribe({topic});
    b.subscribe({topic});
    auto settled = [&](std::chrono::milliseconds for_how_long) {
        std::set<topic_partition> sa, sb;
        auto since = steady::now();
        return wait_until(
            60s,
            [&] {
                a->poll(50ms);
                b.poll(50ms);
                if (a->assignment() != sa || b.assignment() != sb)
                    sa = a->assignment(), sb = b.assignment(), since = steady::now();
                return sa.size() == 3 && sb.size() == 3 && steady::now() - since > for_how_long;
            },
            0ms);
    };
    REQUIRE(settled(3s));
    const auto a_partitions = a->assignment(), b_partitions = b.assignment();
    std::string raw;
    const int epoch_before = group_epoch(group, raw);
    INFO("before the restart:\n" << raw);
    REQUIRE(epoch_before > 0);
    auto described_before = assignments_by_instance(group, raw);
    INFO(raw);
    REQUIRE(described_before.size() == 2);

    // a closes (a static member leaves with epoch -2: the broker keeps its partitions for it) and
    // comes back as a new process would, well within group.consumer.session.timeout.ms (10 s in the rig).
    a->close();
    a.reset();
    auto restarted = steady::now();
    std::this_thread::sleep_for(1s);
    bool b_unchanged = true;
    for (auto until = steady::now() + 1s; steady::now() < until;) {
        b.poll(50ms);
        b_unchanged = b_unchanged && b.assignment() == b_partitions;
    }
    a = std::make_unique<consumer>(config("static-a"));
    a->subscribe({topic});
    REQUIRE(wait_until(
        30s,
        [&] {
            a->poll(50ms);
            b.poll(50ms);
            b_unchanged = b_unchanged && b.assignment() == b_partitions;
            return a->assignment().size() == 3;
        },
        0ms));
    WARN("kip848 static member: back with its partitions " << ms_since(restarted) << " ms after its close");
    CHECK(a->assignment() == a_partitions);
    CHECK(b_unchanged);  // b never lost or gained a partition
    REQUIRE(settled(2s));
    CHECK(a->assignment() == a_partitions);
    const int epoch_after = group_epoch(group, raw);
    INFO("after the restart:\n" << raw);
    CHECK(epoch_after == epoch_before);  // the broker computed no new assignment
    auto described_after = assignments_by_instance(group, raw);
    INFO(raw);
    CHECK(described_after == described_before);
    a->close();
    b.close();
}

TEST_CASE("consumer protocol and classic members in one group: online upgrade, downgrade, and classic joining",
          "[kip848][migration]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("online migration between the protocols needs Kafka 4.x");
        return;
    }
    // group.consumer.migration.policy is bidirectional by default: a consumer-protocol member joining a
    // classic group converts it to a consumer group (its classic members then run JoinGroup/SyncGroup
    // against the new coordinator), and when the last consumer-protocol member leaves, it is classic
    // again. A classic member may also join a consumer group.
    auto [first_protocol, second_protocol] = GENERATE(std::pair{std::string("classic"), std::string("consumer")},
                                                      std::pair{std::string("consumer"), std::string("classic")});
    INFO("first " << first_protocol << ", then " << second_protocol);
    const auto first_type = first_protocol == "classic" ? "Classic" : "Consumer";
    auto topic = unique_name("kip848-migrate");
    auto group = unique_name("kip848-migrate-group");
    create_topic(topic, 6);
    auto config = [&](const std::string& protocol) { return group_config(group, protocol); };
    consumer first(config(first_protocol));
    member_log l1, l2;
    first.subscribe({topic});
    REQUIRE(wait_until(
        60s,
        [&] {
            l1.add(first.poll(100ms), false);
            return first.assignment().size() == 6;
        },
        0ms));
    CHECK(group_type(group) == first_type);

    auto second = std::make_unique<consumer>(config(second_protocol));
    second->subscribe({topic});
    bool never_shared = true;
    auto both_polled = [&] {
        l1.add(first.poll(50ms), false);
        l2.add(second->poll(50ms), false);
        for (auto const& tp : first.assignment()) never_shared = never_shared && !second->assignment().count(tp);
    };
    REQUIRE(wait_until(
        60s,
        [&] {
            both_polled();
            return first.assignment().size() == 3 && second->assignment().size() == 3;
        },
        0ms));
    CHECK(group_type(group) == "Consumer");  // any consumer-protocol member makes it a consumer group
    produce(topic, records("k", 120));
    auto distinct = [&] {
        std::set<std::pair<topic_partition, std::int64_t>> all;
        for (auto* l : {&l1, &l2})
            for (auto const& [tp, offs] : l->offsets)
                for (auto o : offs) all.insert({tp, o});
        return all.size();
    };
    REQUIRE(wait_until(
        60s,
        [&] {
            both_polled();
            return distinct() >= 120;
        },
        0ms));
    CHECK(l1.count > 0);
    CHECK(l2.count > 0);

    // The second member leaves: the first owns everything, and the group is of the first one's type.
    second->close();
    second.reset();
    auto left = steady::now();
    REQUIRE(wait_until(
        60s,
        [&] {
            l1.add(first.poll(100ms), false);
            return first.assignment().size() == 6;
        },
        0ms));
    WARN("kip848 migration (first " << first_protocol << "): the first member owned all partitions again "
                                    << ms_since(left) << " ms after the other closed");
    CHECK(wait_until(
        20s, [&] { return group_type(group) == first_type; }, 500ms));
    CHECK(never_shared);
    CHECK(distinct() == 120);
    first.close();
}
