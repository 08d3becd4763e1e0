// KafkaConsumer acceptance tests with separate processes: the example binaries (the seed's
// quickstart, the kcat-style kafka-consume) run as children of the test, against a real broker,
// on topics filled by kcat. Their stdout (records) and stderr (kafka-consume's "assigned /
// revoked / lost" lines) are read as they come, each line stamped with its arrival time, so the
// test can follow who owned which partition when.
//
//   quickstart             consumes what kcat produced, keys and values intact, each record once,
//                          and commits on close
//   group of three         three kafka-consume members (--commit sync, session 6 s, heartbeat 1 s)
//                          divide 6 partitions with never two owners at once and consume every
//                          record; SIGKILL of one: its partitions move after the session timeout,
//                          duplicates only in its uncommitted tail; SIGTERM of another: hand-over
//                          well before the session timeout
//   the same under group.protocol=consumer (KIP-848, Kafka 4): three members on 12 partitions, the
//                          session timeout and heartbeat the broker's (the rig's 10 s and 1 s)
//   restart                kafka-consume -c N --commit sync, then a restart with the same group
//                          reads the rest, nothing lost, nothing twice
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <kafka/consumer.hpp>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"
#include "example_process.hpp"

#if defined(KAFKA_CONSUME_BIN) && defined(QUICKSTART_BIN) && defined(SEPARATE_COMPILATION_BIN)

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::support;
using kafka::topic_partition;

using child_process = kafka::test::proc::child;
using kafka::test::proc::output_line;

std::string describe_status(std::optional<int> st) {
    if (!st) return "still running";
    if (WIFEXITED(*st)) return "exit " + std::to_string(WEXITSTATUS(*st));
    if (WIFSIGNALED(*st)) return std::string("killed by ") + ::strsignal(WTERMSIG(*st));
    return "status " + std::to_string(*st);
}

// ---- group membership as seen in kafka-consume's stderr -----------------------------------------

struct member_event {
    steady::time_point at;
    std::string member;
    std::string kind;  // assigned, revoked, lost, killed
    std::vector<int> partitions;
};

/// "% group G: assigned t-0 t-3" -> the event (partitions of `topic` only).
std::optional<member_event> parse_group_line(const output_line& l, const std::string& member,
                                             const std::string& topic) {
    for (std::string kind : {"assigned", "revoked", "lost"}) {
        auto key = ": " + kind;
        auto pos = l.text.find(key);
        if (l.text.rfind("% group ", 0) != 0 || pos == std::string::npos) continue;
        member_event e{l.at, member, kind, {}};
        std::istringstream in(l.text.substr(pos + key.size()));
        std::string tp;
        while (in >> tp) {
            auto dash = tp.rfind('-');
            if (dash == std::string::npos || tp.substr(0, dash) != topic) continue;
            e.partitions.push_back(std::stoi(tp.substr(dash + 1)));
        }
        return e;
    }
    return std::nullopt;
}

struct group_view {
    std::vector<member_event> events;
    std::map<std::string, std::set<int>> owned;  // after the last event
    std::vector<std::string> overlaps;           // a partition assigned while another member owned it

    std::set<int> owned_by(const std::string& m) const {
        auto it = owned.find(m);
        return it == owned.end() ? std::set<int>{} : it->second;
    }
    std::string dump(steady::time_point t0) const {
        std::ostringstream o;
        for (auto const& e : events) {
            o << "    +" << std::chrono::duration_cast<std::chrono::milliseconds>(e.at - t0).count() << "ms "
              << e.member << ' ' << e.kind;
            for (int p : e.partitions) o << ' ' << p;
            o << '\n';
        }
        return o.str();
    }
};

/// Replays every member's group lines (and kills) in arrival order; releases before assignments
/// when they arrive together (a revocation precedes the next assignment in an eager rebalance).
group_view view_group(const std::vector<child_process*>& members, const std::string& topic,
                      const std::map<std::string, steady::time_point>& killed) {
    group_view v;
    for (auto const* m : members)
        for (auto const& l : m->timed_err())
            if (auto e = parse_group_line(l, m->name(), topic)) v.events.push_back(*e);
    for (auto const& [m, at] : killed) v.events.push_back({at, m, "killed", {}});
    std::stable_sort(v.events.begin(), v.events.end(), [](auto const& a, auto const& b) {
        if (a.at != b.at) return a.at < b.at;
        return (a.kind == "assigned") < (b.kind == "assigned");
    });
    std::map<int, std::string> owner;
    for (auto const& e : v.events) {
        if (e.kind == "killed") {
            std::erase_if(owner, [&](auto const& o) { return o.second == e.member; });
            continue;
        }
        for (int p : e.partitions) {
            if (e.kind == "assigned") {
                if (auto it = owner.find(p); it != owner.end() && it->second != e.member)
                    v.overlaps.push_back("partition " + std::to_string(p) + " assigned to " + e.member + " while " +
                                         it->second + " owned it");
                owner[p] = e.member;
            } else if (auto it = owner.find(p); it != owner.end() && it->second == e.member) {
                owner.erase(it);
            }
        }
    }
    for (auto const& [p, m] : owner) v.owned[m].insert(p);
    return v;
}

// ---- records as printed by kafka-consume -f '%p\t%o\t%k\t%s\n' ----------------------------------

const std::string record_format = "%p\\t%o\\t%k\\t%s\\n";

struct printed_record {
    int partition = -1;
    std::int64_t offset = -1;
    std::string key, value;
    std::string member;
};

std::vector<printed_record> parse_records(const child_process& c, std::vector<std::string>& bad) {
    std::vector<printed_record> out;
    for (auto const& l : c.timed_out()) {
        std::istringstream in(l.text);
        printed_record r;
        std::string p, o;
        if (!std::getline(in, p, '\t') || !std::getline(in, o, '\t') || !std::getline(in, r.key, '\t') ||
            !std::getline(in, r.value)) {
            bad.push_back(c.name() + ": unparsable line '" + l.text + "'");
            continue;
        }
        r.partition = std::stoi(p);
        r.offset = std::stoll(o);
        r.member = c.name();
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<std::string> consume_args(const std::string& topic, const std::string& group,
                                      const std::vector<std::string>& extra) {
    std::vector<std::string> a{"stdbuf", "-oL",
                               "-eL",    KAFKA_CONSUME_BIN,
                               "-b",     kafka::test::broker_env::get().bootstrap(),
                               "-t",     topic,
                               "-g",     group,
                               "-o",     "beginning",
                               "-f",     record_format};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

/// A kcat producer fed line by line from this process (through a pipe), so records keep
/// arriving while members die and leave.
class streaming_producer {
public:
    explicit streaming_producer(const std::string& topic) {
        auto cmd = shell_quote(broker_script()) + " produce --name " + shell_quote(broker_name()) + " " +
                   shell_quote(topic) + " -K : >/dev/null";
        pipe_ = ::popen(cmd.c_str(), "w");
        if (!pipe_) throw std::runtime_error("popen failed: " + cmd);
    }
    ~streaming_producer() { close(); }
    void write(const std::vector<std::string>& lines) {
        for (auto const& l : lines) {
            std::fwrite(l.data(), 1, l.size(), pipe_);
            std::fputc('\n', pipe_);
        }
        std::fflush(pipe_);
    }
    /// Ends the input; kcat delivers what it has and exits. True when it exited with 0.
    bool close() {
        if (!pipe_) return ok_;
        int st = ::pclose(pipe_);
        pipe_ = nullptr;
        ok_ = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        return ok_;
    }

private:
    FILE* pipe_ = nullptr;
    bool ok_ = false;
};

std::string record_line(std::size_t i) { return "k-" + std::to_string(i) + ":v-" + std::to_string(i); }

}  // namespace

// ---- 1. the seed's quickstart ---------------------------------------------------------------------

TEST_CASE("quickstart: the seed's example consumes what kcat produced, keys and values intact, each once",
          "[integration][consumer][processes]") {
    // The same program built header-only, and with the consumer compiled in a file of its own.
    auto bin = GENERATE(as<std::string>{}, QUICKSTART_BIN, SEPARATE_COMPILATION_BIN);
    INFO("program: " << bin);
    auto topic = unique_name("it-quickstart");
    auto group = unique_name("it-quickstart");
    create_topic(topic, 3);
    constexpr std::size_t n = 300;
    std::multiset<std::string> want;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < n; ++i) {
        auto key = "qk-" + std::to_string(i);
        auto value = "value " + std::to_string(i) +
                     ": spaces, a = sign and \xc3\xbcnic\xc3\xb6"
                     "de";
        lines.push_back(key + ":" + value);
        want.insert(key + "=" + value);
    }
    produce(topic, lines);

    auto t0 = steady::now();
    child_process q("quickstart", {bin, kafka::test::broker_env::get().bootstrap(), topic, group, std::to_string(n)});
    auto st = q.wait(60s);
    q.drain_output();
    INFO("quickstart: " << describe_status(st) << " after " << ms_since(t0) << " ms\n" << q.err_text());
    REQUIRE(st.has_value());
    CHECK(WIFEXITED(*st));
    CHECK(WEXITSTATUS(*st) == 0);
    std::multiset<std::string> got;
    for (auto const& l : q.out()) got.insert(l);
    CHECK(got.size() == n);
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
    if (missing.size() > 5) missing.resize(5);
    if (extra.size() > 5) extra.resize(5);
    CHECK(missing == std::vector<std::string>{});
    CHECK(extra == std::vector<std::string>{});

    // Its auto-commit policy committed everything it consumed when it closed (Kafka's view).
    std::string raw;
    auto described = describe_group(group, topic, &raw);
    INFO("ConsumerGroupCommand --describe:\n" << raw);
    std::int64_t end_total = 0;
    for (int p = 0; p < 3; ++p) {
        INFO("partition " << p);
        CHECK(described[p].current.has_value());
        CHECK(described[p].current == described[p].log_end);
        end_total += described[p].log_end.value_or(0);
    }
    CHECK(end_total == static_cast<std::int64_t>(n));
}

// ---- 3. a group of kafka-consume processes ------------------------------------------------------------

namespace {

/// The group protocol of the three members, the topic's partitions, the session timeout that
/// applies (the member's under classic, the broker's under the consumer protocol) and the
/// kafka-consume options that choose them.
struct group_setup {
    std::string protocol;
    int partitions = 0;
    long long session_ms = 0;
    std::vector<std::string> options;
};

/// Three kafka-consume members (--commit sync) share the topic; each owns partitions / 3. Ownership
/// is replayed from every assigned / revoked line the members print, in the order they came, so no
/// moment between two lines is missed: a partition assigned while another member still owned it is
/// an overlap. SIGKILL of m1: its partitions move once the broker ends its session; SIGTERM of m2:
/// m3 has everything well before a session timeout; every record consumed, duplicates only in
/// m1's uncommitted tail.
void three_members(const group_setup& setup) {
    auto topic = unique_name("it-group-procs");
    auto group = unique_name("it-group-procs");
    const auto partitions = static_cast<std::size_t>(setup.partitions);
    const std::size_t share = partitions / 3;
    const long long session_ms = setup.session_ms;
    create_topic(topic, setup.partitions);
    std::size_t produced = 3000;
    {
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < produced; ++i) lines.push_back(record_line(i));
        produce(topic, lines);
    }
    const auto& extra = setup.options;
    auto t0 = steady::now();
    child_process m1("m1", consume_args(topic, group, extra));
    child_process m2("m2", consume_args(topic, group, extra));
    child_process m3("m3", consume_args(topic, group, extra));
    std::vector<child_process*> members{&m1, &m2, &m3};
    std::map<std::string, steady::time_point> killed;
    auto view = [&] { return view_group(members, topic, killed); };
    auto all_stderr = [&] {
        std::string s;
        for (auto* m : members) s += m->err_text();
        return s;
    };
    auto consumed_keys = [&] {
        std::set<std::string> keys;
        std::vector<std::string> bad;
        for (auto* m : members)
            for (auto const& r : parse_records(*m, bad)) keys.insert(r.key);
        return keys;
    };
    auto all_consumed = [&](std::size_t n) {
        auto keys = consumed_keys();
        for (std::size_t i = 0; i < n; ++i)
            if (!keys.count("k-" + std::to_string(i))) return false;
        return true;
    };

    // The group settles with two partitions each, and every record of the first batch is consumed.
    bool divided = wait_until(
        45s,
        [&] {
            auto v = view();
            return v.owned_by("m1").size() == share && v.owned_by("m2").size() == share &&
                   v.owned_by("m3").size() == share;
        },
        100ms);
    {
        auto v = view();
        INFO("group after start:\n" << v.dump(t0) << all_stderr());
        REQUIRE(divided);
        CHECK(v.overlaps == std::vector<std::string>{});
    }
    REQUIRE(wait_until(
        30s, [&] { return all_consumed(produced); }, 100ms));
    auto settled_ms = ms_since(t0);

    // Records keep coming from here on (200/s) while members die and leave.
    streaming_producer producer(topic);
    std::atomic<bool> stop_producing{false};
    std::atomic<std::size_t> streamed{0};
    std::thread feeder([&] {
        while (!stop_producing) {
            std::vector<std::string> lines;
            for (int i = 0; i < 10; ++i) lines.push_back(record_line(produced + streamed++));
            producer.write(lines);
            std::this_thread::sleep_for(50ms);
        }
    });
    struct joiner {
        std::atomic<bool>& stop;
        std::thread& t;
        ~joiner() {
            stop = true;
            if (t.joinable()) t.join();
        }
    } feeder_guard{stop_producing, feeder};
    std::this_thread::sleep_for(2s);

    // SIGKILL m1: no LeaveGroup, its partitions move only when its session expires.
    auto p1 = view().owned_by("m1");
    REQUIRE(p1.size() == share);
    m1.signal(SIGKILL);
    auto tk = steady::now();
    killed["m1"] = tk;
    CHECK(m1.wait(5s).has_value());
    std::optional<long long> moved_ms;
    wait_until(
        25s,
        [&] {
            auto v = view();
            if (v.owned_by("m2").size() + v.owned_by("m3").size() == partitions) moved_ms = ms_since(tk);
            return moved_ms.has_value();
        },
        20ms);
    {
        INFO("group after SIGKILL of m1:\n" << view().dump(t0) << all_stderr());
        REQUIRE(moved_ms.has_value());
        CHECK(*moved_ms >= session_ms - 2000);  // the broker waited for the session to expire
        CHECK(*moved_ms < session_ms + 10000);
    }
    std::this_thread::sleep_for(2s);

    // SIGTERM m2: it commits, leaves the group, and m3 takes over at once.
    m2.signal(SIGTERM);
    auto tt = steady::now();
    std::optional<long long> handover_ms;
    wait_until(
        20s,
        [&] {
            if (view().owned_by("m3").size() == partitions) handover_ms = ms_since(tt);
            return handover_ms.has_value();
        },
        20ms);
    auto m2_status = m2.wait(15s);
    {
        INFO("group after SIGTERM of m2:\n" << view().dump(t0) << all_stderr());
        REQUIRE(handover_ms.has_value());
        CHECK(*handover_ms < session_ms);  // well before a session timeout would have moved them
        REQUIRE(m2_status.has_value());
        CHECK(describe_status(m2_status) == "exit 0");
    }
    std::this_thread::sleep_for(1s);
    stop_producing = true;
    feeder.join();
    REQUIRE(producer.close());
    auto total_produced = produced + streamed.load();
    bool complete = wait_until(
        30s, [&] { return all_consumed(total_produced); }, 100ms);
    m3.signal(SIGTERM);
    auto m3_status = m3.wait(15s);
    for (auto* m : members) m->drain_output();
    auto v = view();
    INFO("timeline:\n" << v.dump(t0) << all_stderr());
    CHECK(describe_status(m3_status) == "exit 0");
    CHECK(v.overlaps == std::vector<std::string>{});
    CHECK(complete);

    // Every record at least once, intact; a record twice only in m1's uncommitted tail.
    std::vector<std::string> bad;
    std::map<std::pair<int, std::int64_t>, std::vector<printed_record>> by_offset;
    std::set<std::string> keys;
    for (auto* m : members)
        for (auto& r : parse_records(*m, bad)) {
            if (r.value != "v-" + r.key.substr(2) && bad.size() < 10)
                bad.push_back(r.member + ": " + r.key + " has value " + r.value);
            keys.insert(r.key);
            by_offset[{r.partition, r.offset}].push_back(r);
        }
    std::size_t missing = 0;
    for (std::size_t i = 0; i < total_produced; ++i) missing += keys.count("k-" + std::to_string(i)) ? 0 : 1;
    CHECK(missing == 0);
    std::map<int, std::set<std::int64_t>> dups;
    for (auto const& [po, copies] : by_offset) {
        for (auto const& c : copies)
            if (c.key != copies.front().key && bad.size() < 10)
                bad.push_back("partition " + std::to_string(po.first) + " offset " + std::to_string(po.second) +
                              " printed as " + c.key + " and " + copies.front().key);
        if (copies.size() == 1) continue;
        int from_m1 = 0;
        for (auto const& c : copies) from_m1 += c.member == "m1";
        if (copies.size() != 2 || from_m1 != 1 || !p1.count(po.first)) {
            if (bad.size() < 10)
                bad.push_back("partition " + std::to_string(po.first) + " offset " + std::to_string(po.second) +
                              " consumed " + std::to_string(copies.size()) + " times (" + std::to_string(from_m1) +
                              " by m1)");
            continue;
        }
        dups[po.first].insert(po.second);
    }
    // The duplicates of a partition are the tail of what m1 printed for it: past its last commit.
    std::size_t duplicated = 0;
    for (auto const& [p, offs] : dups) {
        duplicated += offs.size();
        for (auto const& [po, copies] : by_offset)
            if (po.first == p && po.second >= *offs.begin() && !offs.count(po.second)) {
                for (auto const& c : copies)
                    if (c.member == "m1" && bad.size() < 10)
                        bad.push_back(
                            "partition " + std::to_string(p) + ": m1's offset " + std::to_string(po.second) +
                            " after a duplicated one was not redelivered: duplicates are not m1's uncommitted tail");
            }
    }
    CHECK(bad == std::vector<std::string>{});
    std::cout << "[consumer] group of 3 processes, group.protocol=" << setup.protocol << ", " << partitions
              << " partitions: settled " << settled_ms << " ms, " << total_produced << " records, SIGKILL -> "
              << "reassigned " << moved_ms.value_or(-1) << " ms (session " << session_ms
              << " ms), SIGTERM -> handed over " << handover_ms.value_or(-1) << " ms, " << duplicated
              << " duplicates (m1's uncommitted tail), " << v.overlaps.size() << " partition(s) owned twice over "
              << v.events.size() << " group events\n";
}

}  // namespace

TEST_CASE(
    "kafka-consume: three members share 6 partitions; SIGKILL moves a member's partitions after the session "
    "timeout, SIGTERM at once; every record consumed",
    "[integration][consumer][processes][slow]") {
    three_members({"classic",
                   6,
                   6000,
                   {"--commit", "sync", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"}});
}

// KIP-848: the broker assigns (its default assignor, uniform) and owns the session timeout and the
// heartbeat interval, which the client refuses to set; the rig's broker has
// group.consumer.session.timeout.ms=10000 and group.consumer.heartbeat.interval.ms=1000.
TEST_CASE(
    "kafka-consume under group.protocol=consumer: three members share 12 partitions; SIGKILL moves a member's "
    "partitions after the broker's session timeout, SIGTERM at once; every record consumed",
    "[integration][consumer][processes][slow][kip848]") {
    if (!kafka::test::broker_env::get().is_kafka4()) {
        SUCCEED("the consumer protocol's group cases run against Kafka 4 (3.9 serves it only as a preview)");
        return;
    }
    three_members({"consumer", 12, 10000, {"--commit", "sync", "-X", "group.protocol=consumer"}});
}

// ---- 4. kafka-consume: commit, stop, restart ------------------------------------------------------------

// kafka-consume -c N stops in the middle of a poll's batch: it commits what it printed, not the
// positions of the whole batch, so the next member of the group reads the unprinted rest.
TEST_CASE("kafka-consume: -c N --commit sync, then a restart in the same group reads the rest, nothing lost or twice",
          "[integration][consumer][processes]") {
    auto topic = unique_name("it-cli-restart");
    auto group = unique_name("it-cli-restart");
    create_topic(topic, 3);
    constexpr std::size_t n = 300, first = 50;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < n; ++i) lines.push_back(record_line(i));
    produce(topic, lines);

    std::vector<std::string> bad;
    child_process a("first", consume_args(topic, group, {"--commit", "sync", "-c", std::to_string(first)}));
    auto st = a.wait(30s);
    a.drain_output();
    INFO(a.err_text());
    REQUIRE(describe_status(st) == "exit 0");
    auto first_records = parse_records(a, bad);
    CHECK(first_records.size() == first);

    // What it committed is at most what it printed (at-least-once), per partition.
    std::map<int, std::int64_t> printed_next;
    for (auto const& r : first_records) printed_next[r.partition] = std::max(printed_next[r.partition], r.offset + 1);
    {
        std::string raw;
        auto described = describe_group(group, topic, &raw);
        INFO("ConsumerGroupCommand --describe:\n" << raw);
        for (auto const& [p, o] : described) {
            INFO("partition " << p << " printed up to offset " << printed_next[p]);
            if (o.current) CHECK(*o.current <= printed_next[p]);
        }
    }

    child_process b("restart", consume_args(topic, group, {"--commit", "sync", "-e"}));
    st = b.wait(30s);
    b.drain_output();
    INFO(b.err_text());
    REQUIRE(describe_status(st) == "exit 0");
    auto rest = parse_records(b, bad);
    CHECK(bad == std::vector<std::string>{});
    std::multiset<std::string> keys;
    for (auto const& r : first_records) keys.insert(r.key);
    for (auto const& r : rest) keys.insert(r.key);
    std::size_t missing = 0, twice = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = keys.count("k-" + std::to_string(i));
        missing += c == 0;
        twice += c > 1;
    }
    CHECK(missing == 0);
    CHECK(twice == 0);
    CHECK(first_records.size() + rest.size() == n);
}

#endif  // KAFKA_CONSUME_BIN && QUICKSTART_BIN
