// One consumer group, two clients: our KafkaConsumer (in this process, on the test's thread) and
// another client's consumer in a child process, with `range` and with `cooperative-sticky`.
//
// librdkafka (rdkafka_member.c), each client joining first once (so each one's assignor leads once):
//   * the partitions are split with no overlap and none left out, seen from both sides (our
//     assignment(), librdkafka's rd_kafka_assignment()), and the split is the one both clients'
//     assignors compute (range: contiguous blocks in member-id order; cooperative-sticky: balanced)
//   * records produced after the split reach only the owner of their partition, each exactly once
//   * under cooperative-sticky the member that gives partitions up keeps the rest throughout, and
//     librdkafka reports the COOPERATIVE protocol; under range it reports EAGER
//   * when the librdkafka member leaves (SIGTERM: rd_kafka_consumer_close, LeaveGroup), ours gets
//     every partition well before the session timeout
//
// Java (Kafka's ConsoleConsumer through scripts/kafka/run-tool.sh, the broker's version), joining
// first so that Java's assignor leads: the same split checks, Java's side as the broker reports it
// (ConsumerGroupCommand --describe --members --verbose) and by the records it prints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <kafka/consumer.hpp>

#include "broker_env.hpp"
#include "example_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::proc;

constexpr int partition_count = 6;
constexpr int per_partition = 5;

// The library's assignor, counting the times this member ran it (that is, led a rebalance).
template <class Base>
struct observed : Base {
    static inline int runs = 0;
    kafka::group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                                   const std::vector<kafka::member_subscription>& members) {
        ++runs;
        return Base::assign(partitions_per_topic, members);
    }
};

/// The partitions of `topic` in "TOPIC-0 TOPIC-3" (librdkafka member's lines).
std::set<int> partitions_in(const std::string& list, const std::string& topic) {
    std::set<int> out;
    std::size_t pos = 0;
    while ((pos = list.find(topic + "-", pos)) != std::string::npos) {
        pos += topic.size() + 1;
        out.insert(std::stoi(list.substr(pos)));
    }
    return out;
}

std::string show(const std::set<int>& s) {
    std::string out = "{";
    for (int p : s) out += (out.size() > 1 ? "," : "") + std::to_string(p);
    return out + "}";
}

std::set<int> all_partitions() {
    std::set<int> all;
    for (int p = 0; p < partition_count; ++p) all.insert(p);
    return all;
}

using record_ids = std::multiset<std::pair<int, long long>>;  // (partition, offset)

/// Our member of the group, polled on the test's thread; remembers its assignments, the
/// partitions its listener saw revoked and the records it received.
template <class Assignor>
class our_member {
public:
    using assignor = observed<Assignor>;
    struct policies : kafka::default_policies {
        using assignor [[maybe_unused]] = observed<Assignor>;
    };

    our_member(const std::string& topic, const std::string& group)
        : topic_(topic),
          consumer_{kafka::consumer_config{{"bootstrap.servers", kafka::test::broker_env::get().bootstrap()},
                                           {"group.id", group},
                                           {"client.id", "kafka-cpp"},
                                           {"auto.offset.reset", "earliest"},
                                           {"session.timeout.ms", "30000"},
                                           {"heartbeat.interval.ms", "1000"}}} {
        assignor::runs = 0;
    }

    void subscribe() {
        kafka::rebalance_listener listener;
        listener.on_partitions_revoked = [this](const std::vector<kafka::topic_partition>& parts) {
            if (!parts.empty()) revoked.push_back(parts);
        };
        consumer_.subscribe({topic_}, listener);
    }
    std::set<int> assignment() const {
        std::set<int> s;
        for (auto const& tp : consumer_.assignment())
            if (tp.topic == topic_) s.insert(tp.partition);
        return s;
    }
    std::set<int> poll() {
        for (auto const& r : consumer_.poll(100ms)) records.insert({r.partition(), r.offset()});
        auto now = assignment();
        if (history.empty() || history.back() != now) history.push_back(now);
        return now;
    }
    template <class Done>
    bool poll_until(std::chrono::milliseconds timeout, Done&& done) {
        auto deadline = steady::now() + timeout;
        while (steady::now() < deadline) {
            poll();
            if (done()) return true;
        }
        return false;
    }
    /// Polls until ours and `theirs()` are both non-empty, disjoint, cover every partition and
    /// stay unchanged for 3 s; returns {ours, theirs} then (empty sets on timeout).
    template <class Theirs>
    std::pair<std::set<int>, std::set<int>> wait_for_split(Theirs&& theirs, std::chrono::milliseconds timeout) {
        std::set<int> mine, other;
        auto all = all_partitions();
        auto deadline = steady::now() + timeout;
        auto since = steady::now();
        while (steady::now() < deadline) {
            auto o = poll();
            auto r = theirs();
            std::set<int> both, any;
            std::set_intersection(o.begin(), o.end(), r.begin(), r.end(), std::inserter(both, both.end()));
            std::set_union(o.begin(), o.end(), r.begin(), r.end(), std::inserter(any, any.end()));
            bool good = !o.empty() && !r.empty() && both.empty() && any == all;
            if (!good || o != mine || r != other) since = steady::now();
            mine = o, other = r;
            if (good && steady::now() - since >= 3s) return {mine, other};
        }
        last_seen = {mine, other};
        return {};
    }
    void close() { consumer_.close(); }

    std::vector<std::vector<kafka::topic_partition>> revoked;
    std::vector<std::set<int>> history;  // our assignment after each poll, when it changed
    record_ids records;
    std::pair<std::set<int>, std::set<int>> last_seen;  // when wait_for_split timed out

private:
    std::string topic_;
    kafka::KafkaConsumer<std::string, std::string, policies> consumer_;
};

/// Five records in each partition, produced by kcat.
void produce_everywhere(const std::string& topic) {
    for (int p = 0; p < partition_count; ++p) {
        std::vector<std::string> lines;
        for (int i = 0; i < per_partition; ++i) lines.push_back("p" + std::to_string(p) + "-" + std::to_string(i));
        produce(topic, lines, "-p " + std::to_string(p));
    }
}

/// The records of `mine` and `theirs` partitions.
std::pair<record_ids, record_ids> expected_records(const std::set<int>& mine) {
    record_ids want_mine, want_theirs;
    for (int p = 0; p < partition_count; ++p)
        for (long long o = 0; o < per_partition; ++o) (mine.count(p) ? want_mine : want_theirs).insert({p, o});
    return {want_mine, want_theirs};
}

}  // namespace

#if defined(RDKAFKA_MEMBER_BIN)

namespace {

template <class Assignor>
void mixed_with_librdkafka(const std::string& strategy, bool ours_first) {
    auto const& env = kafka::test::broker_env::get();
    auto topic = unique_name("mixed-" + strategy);
    auto group = unique_name("mixed-group");
    create_topic(topic, partition_count);
    auto all = all_partitions();
    our_member<Assignor> ours(topic, group);
    using assignor = typename our_member<Assignor>::assignor;

    std::vector<std::string> rd_args{
        RDKAFKA_MEMBER_BIN,          env.bootstrap(), group, topic, strategy, "session.timeout.ms=30000",
        "heartbeat.interval.ms=1000"};
    std::optional<child> rd;
    auto rd_assignment = [&] {
        auto v = rd->lines("assignment:");
        return v.empty() ? std::set<int>{} : partitions_in(v.back(), topic);
    };

    if (ours_first) {
        ours.subscribe();
        REQUIRE(ours.poll_until(30s, [&] { return ours.assignment() == all; }));
        rd.emplace("librdkafka", rd_args);
    } else {
        rd.emplace("librdkafka", rd_args);
        bool rd_alone = rd->wait_for_line(
            [&](const std::string& l) { return l.rfind("assignment:", 0) == 0 && partitions_in(l, topic) == all; },
            30s);
        INFO(rd->transcript());
        REQUIRE(rd_alone);
        ours.subscribe();
    }
    auto runs_before_split = assignor::runs;

    auto [mine, theirs] = ours.wait_for_split(rd_assignment, 60s);
    INFO("ours " << show(mine) << ", librdkafka " << show(theirs) << " (last seen: ours " << show(ours.last_seen.first)
                 << ", librdkafka " << show(ours.last_seen.second) << ")\n"
                 << rd->transcript());
    REQUIRE(!mine.empty());
    CHECK(mine.size() == partition_count / 2);
    CHECK(theirs.size() == partition_count / 2);
    if (ours_first)
        CHECK(assignor::runs > runs_before_split);  // ours led: our assignor made the split
    else
        CHECK(assignor::runs == 0);  // librdkafka led: its assignor made it

    auto events = rd->lines("event: ");
    bool cooperative = strategy == "cooperative-sticky";
    int assigns = 0;
    for (auto const& e : events) {
        CHECK(e.find("error") == std::string::npos);
        if (e.rfind("assign ", 0) == 0) {
            ++assigns;
            CHECK(e.rfind(cooperative ? "assign COOPERATIVE" : "assign EAGER", 0) == 0);
        }
    }
    CHECK(assigns > 0);
    if (!cooperative) {
        // range: contiguous blocks, the lower one to the member whose id sorts first. Our member id
        // starts with our client.id "kafka-cpp", librdkafka's with "rdkafka-member": ours sorts first.
        CHECK(mine == std::set<int>{0, 1, 2});
        CHECK(theirs == std::set<int>{3, 4, 5});
    } else if (ours_first) {
        // cooperative-sticky: ours held everything, keeps half and never gives up the rest.
        for (auto it = std::next(ours.history.begin()); it != ours.history.end(); ++it)
            CHECK(std::includes(it->begin(), it->end(), mine.begin(), mine.end()));
        REQUIRE(ours.revoked.size() == 1);
        std::set<int> given_up;
        for (auto const& tp : ours.revoked[0]) given_up.insert(tp.partition);
        CHECK(given_up == theirs);
    } else {
        // librdkafka held everything: it revokes exactly our half, and keeps its own throughout.
        std::set<int> rd_revoked;
        for (auto const& e : events)
            if (e.rfind("revoke COOPERATIVE", 0) == 0)
                for (int p : partitions_in(e, topic)) rd_revoked.insert(p);
        CHECK(rd_revoked == mine);
        for (auto const& l : rd->lines("assignment:")) {
            auto held = partitions_in(l, topic);
            if (!held.empty()) CHECK(std::includes(held.begin(), held.end(), theirs.begin(), theirs.end()));
        }
        CHECK(ours.revoked.empty());
    }

    // Records produced now reach only their partition's owner, each once.
    ours.records.clear();
    produce_everywhere(topic);
    auto rd_records = [&] {
        record_ids s;
        for (auto const& l : rd->lines("record: ")) {
            auto at = l.find('@');
            auto dash = l.rfind('-', at);
            s.insert({std::stoi(l.substr(dash + 1, at - dash - 1)), std::stoll(l.substr(at + 1))});
        }
        return s;
    };
    auto half = static_cast<std::size_t>(per_partition * partition_count / 2);
    bool delivered = ours.poll_until(30s, [&] { return ours.records.size() >= half && rd_records().size() >= half; });
    ours.poll_until(1s, [] { return false; });  // nothing more may come
    INFO(rd->transcript());
    CHECK(delivered);
    auto [want_mine, want_theirs] = expected_records(mine);
    CHECK(ours.records == want_mine);
    CHECK(rd_records() == want_theirs);

    // The librdkafka member leaves: ours takes over everything, long before the 30 s session timeout.
    auto runs_before_leave = assignor::runs;
    auto left_at = steady::now();
    rd->signal(SIGTERM);
    bool took_over = ours.poll_until(20s, [&] { return ours.assignment() == all; });
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - left_at);
    auto rc = rd->exit_code(10s);
    INFO("took over in " << took.count() << " ms\n" << rd->transcript());
    CHECK(rc == 0);
    CHECK(rd->lines("closed").size() == 1);
    CHECK(took_over);
    CHECK(took < 15s);
    CHECK(assignor::runs > runs_before_leave);  // alone now, ours leads
    ours.close();
}

}  // namespace

TEST_CASE("mixed group with librdkafka: range, our consumer joins first and leads", "[mixed]") {
    mixed_with_librdkafka<kafka::assignors::range>("range", true);
}
TEST_CASE("mixed group with librdkafka: range, librdkafka joins first and leads", "[mixed]") {
    mixed_with_librdkafka<kafka::assignors::range>("range", false);
}
TEST_CASE("mixed group with librdkafka: cooperative-sticky, our consumer joins first and leads", "[mixed]") {
    mixed_with_librdkafka<kafka::assignors::cooperative_sticky>("cooperative-sticky", true);
}
TEST_CASE("mixed group with librdkafka: cooperative-sticky, librdkafka joins first and leads", "[mixed]") {
    mixed_with_librdkafka<kafka::assignors::cooperative_sticky>("cooperative-sticky", false);
}

#endif

namespace {

std::string run_tool() { return std::string(KAFKA_SOURCE_DIR) + "/scripts/kafka/run-tool.sh"; }
std::string broker_version() {
    auto v = kafka::test::broker_env::get().version();
    return v.empty() ? std::string("4.3.1") : v;
}

/// The partitions of `topic` the broker lists for the member with `client_id`, from
/// ConsumerGroupCommand --describe --members --verbose ("TOPIC:0,1,2" in Kafka 4; "(0,1,2)" or
/// "TOPIC(0,1,2)" in 3.9); nullopt when that member is not listed.
std::optional<std::set<int>> described_assignment(const std::string& group, const std::string& topic,
                                                  const std::string& client_id, std::string* raw = nullptr) {
    auto r =
        run_command("KAFKA_VERSION=" + quote(broker_version()) + " " + quote(run_tool()) +
                    " ConsumerGroupCommand --bootstrap-server " + quote(kafka::test::broker_env::get().bootstrap()) +
                    " --describe --group " + quote(group) + " --members --verbose");
    if (raw) *raw = r.output;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::vector<std::string> cols{std::istream_iterator<std::string>(ls), std::istream_iterator<std::string>()};
        if (cols.size() < 5 || cols[0] != group || cols[3] != client_id) continue;
        std::set<int> out;
        for (auto const& c : cols) {
            std::string list;
            if (c.rfind(topic + "(", 0) == 0 || c.rfind(topic + ":", 0) == 0)
                list = c.substr(topic.size() + 1);
            else if (c.size() >= 2 && c.front() == '(' && c.back() == ')')
                list = c.substr(1);  // 3.9: the only topic
            else
                continue;
            if (!list.empty() && list.back() == ')') list.pop_back();
            std::istringstream ps(list);
            std::string p;
            while (std::getline(ps, p, ','))
                if (!p.empty()) out.insert(std::stoi(p));
        }
        return out;
    }
    return std::nullopt;
}

/// Java's KafkaConsumer (Kafka's ConsoleConsumer) joins first and leads; ours joins it.
template <class Assignor>
void mixed_with_java(const std::string& strategy, const std::string& java_assignor_class) {
    auto topic = unique_name("mixed-java-" + strategy);
    auto group = unique_name("mixed-java-group");
    create_topic(topic, partition_count);
    auto all = all_partitions();
    our_member<Assignor> ours(topic, group);
    using assignor = typename our_member<Assignor>::assignor;

    // Its own process group: the script runs java as a child, and SIGTERM must reach java.
    child java("java",
               {"env",
                "KAFKA_VERSION=" + broker_version(),
                run_tool(),
                "ConsoleConsumer",
                "--bootstrap-server",
                kafka::test::broker_env::get().bootstrap(),
                "--topic",
                topic,
                "--group",
                group,
                "--consumer-property",
                "client.id=java-console",
                "--consumer-property",
                "partition.assignment.strategy=" + java_assignor_class,
                "--consumer-property",
                "auto.offset.reset=earliest",
                "--consumer-property",
                "session.timeout.ms=30000",
                "--consumer-property",
                "heartbeat.interval.ms=1000",
                "--property",
                "print.partition=true",
                "--property",
                "print.offset=true"},
               true);
    // Alone first: Java's member owns everything (as the broker reports it).
    std::string raw;
    bool java_alone = false;
    for (auto deadline = steady::now() + 60s; !java_alone && steady::now() < deadline;) {
        java_alone = described_assignment(group, topic, "java-console", &raw) == all;
        if (!java_alone) std::this_thread::sleep_for(500ms);
    }
    INFO(raw << java.transcript());
    REQUIRE(java_alone);

    ours.subscribe();
    std::set<int> mine, java_side;
    // Java's assignment is only visible through the broker (a JVM per look): wait for ours to settle
    // on a stable half, then ask the broker for both members' shares.
    std::set<int> last;
    auto since = steady::now();
    for (auto deadline = steady::now() + 60s; steady::now() < deadline;) {
        auto o = ours.poll();
        if (o != last || o.empty() || o == all) since = steady::now();
        last = o;
        if (!o.empty() && o != all && steady::now() - since >= 3s) break;
    }
    mine = last;
    // Keep our member polling (heartbeats) while the broker is asked.
    auto described = described_assignment(group, topic, "java-console", &raw);
    auto ours_described = described_assignment(group, topic, "kafka-cpp");
    INFO("ours " << show(mine) << "\n" << raw << java.transcript());
    REQUIRE(described);
    java_side = *described;
    CHECK(ours_described == mine);
    std::set<int> both, any;
    std::set_intersection(mine.begin(), mine.end(), java_side.begin(), java_side.end(),
                          std::inserter(both, both.end()));
    std::set_union(mine.begin(), mine.end(), java_side.begin(), java_side.end(), std::inserter(any, any.end()));
    CHECK(both.empty());
    CHECK(any == all);
    CHECK(mine.size() == partition_count / 2);
    CHECK(assignor::runs == 0);  // Java led: its assignor made the split
    if (strategy == "range") {
        // Member ids start with the client ids: "java-console" sorts before "kafka-cpp".
        CHECK(java_side == std::set<int>{0, 1, 2});
        CHECK(mine == std::set<int>{3, 4, 5});
    } else {
        CHECK(ours.revoked.empty());  // cooperative: ours only ever received partitions
    }

    // Records produced now: ours gets its partitions' records, Java prints the others'.
    ours.records.clear();
    produce_everywhere(topic);
    static const std::regex java_record(R"(^Partition:(\d+)\s+Offset:(\d+)\s)");
    auto java_records = [&] {
        record_ids s;
        for (auto const& l : java.out()) {
            std::smatch m;
            if (std::regex_search(l, m, java_record)) s.insert({std::stoi(m[1]), std::stoll(m[2])});
        }
        return s;
    };
    auto half = static_cast<std::size_t>(per_partition * partition_count / 2);
    bool delivered = ours.poll_until(30s, [&] { return ours.records.size() >= half && java_records().size() >= half; });
    ours.poll_until(1s, [] { return false; });
    INFO(java.transcript());
    CHECK(delivered);
    auto [want_mine, want_theirs] = expected_records(mine);
    CHECK(ours.records == want_mine);
    CHECK(java_records() == want_theirs);

    // Java leaves (SIGTERM: its shutdown hook closes the consumer, LeaveGroup): ours takes over.
    auto left_at = steady::now();
    java.signal_group(SIGTERM);
    bool took_over = ours.poll_until(20s, [&] { return ours.assignment() == all; });
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - left_at);
    java.wait(20s);
    INFO("took over in " << took.count() << " ms\n" << java.transcript());
    CHECK(took_over);
    CHECK(took < 15s);
    ours.close();
}

bool have_java_tools() {
    auto home = kafka::test::broker_env::get().var("KAFKA_HOME");
    return !home.empty() && run_command("command -v java && test -d " + quote(home + "/libs")).status == 0;
}

}  // namespace

TEST_CASE("mixed group with Java's consumer (ConsoleConsumer): range, Java leads", "[mixed]") {
    if (!have_java_tools()) {
        WARN("no java or no Kafka jars for " << broker_version() << ": skipped");
        return;
    }
    mixed_with_java<kafka::assignors::range>("range", "org.apache.kafka.clients.consumer.RangeAssignor");
}
TEST_CASE("mixed group with Java's consumer (ConsoleConsumer): cooperative-sticky, Java leads", "[mixed]") {
    if (!have_java_tools()) {
        WARN("no java or no Kafka jars for " << broker_version() << ": skipped");
        return;
    }
    mixed_with_java<kafka::assignors::cooperative_sticky>(
        "cooperative-sticky", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
}
