// Crash-restart tests of the offset-commit policies sync_after_poll, async_after_poll and on_revoke_only against the
// real broker (their guarantees are in include/kafka/policy/offset_commit.hpp). The group members
// are commit_policy_member processes, so that a crash is a real one: std::_Exit in the middle of a
// batch, or SIGKILL; no close(), no LeaveGroup. Each topic has 3 partitions filled by kcat with
// records keyed "pP-I"; max.poll.records is 7, so that a poll's batch is a known, small thing.
//
//   sync_after_poll   a crash mid-batch: the group's committed offsets cover every poll but the
//                     last; the restart resumes there, so it replays only records of the dead
//                     member's last poll, and loses none
//   async_after_poll  the same, but the commit of the poll before the last may still have been on
//                     its way: the replay is bounded by the last two polls
//   on_revoke_only    close() commits the positions; a later crash commits nothing, so the next
//                     restart resumes at what the close committed: everything since is replayed,
//                     nothing before it is
//                     a rebalance (a second member joins; range: the eager protocol, every partition
//                     revoked; cooperative-sticky: only those that move) commits the positions of
//                     the revoked partitions, where the new owners start; then the first member is
//                     SIGKILLed: the survivor resumes its partitions exactly at the committed
//                     offsets, replaying everything since, skipping nothing, and the replay starts
//                     where the dead member was at the rebalance (cooperative-sticky: the
//                     partitions it kept were committed before the rejoin)
//
// Every case runs under both group protocols, each in a section named "group.protocol=classic" or
// "group.protocol=consumer" (KIP-848; Kafka 4 only, as the [kip848] cases: 3.9 serves it only as a
// preview). Classic members have a 6 s session and a 1 s heartbeat; under the consumer protocol the
// broker owns both (the rig's group.consumer.session.timeout.ms=10000, heartbeat 1000), and it
// assigns: the rebalance cases name its assignor (group.remote.assignor) in place of the client's.
// No assignor of the consumer protocol is eager: A gives up only what moves to B. What A keeps is
// not committed at that rebalance by this library (a gap against the promise and against Java's
// consumer, see rebalance_then_crash), so B replays it from before the rebalance; the check says so
// without failing the suite.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"
#include "example_process.hpp"

#ifdef COMMIT_POLICY_MEMBER_BIN

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::proc;
using kafka::test::support::describe_group;

constexpr int partitions = 3;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// Appends `count` records to every partition of `topic`, keyed "pP-I" where I is the offset (the
/// partitions already hold `first` records each).
std::set<std::string> fill(const std::string& topic, int count, int first = 0) {
    std::set<std::string> keys;
    for (int p = 0; p < partitions; ++p) {
        std::vector<std::string> lines;
        for (int i = first; i < first + count; ++i) {
            auto key = "p" + std::to_string(p) + "-" + std::to_string(i);
            lines.push_back(key + ":value-" + key);
            keys.insert(key);
        }
        produce(topic, lines, "-K : -p " + std::to_string(p));
    }
    return keys;
}

/// The group protocol a member speaks ("classic" or "consumer") and the assignor: classic's
/// partition.assignment.strategy (range when empty), or the consumer protocol's broker-side
/// group.remote.assignor (the broker's default, uniform, when empty).
struct group_protocol {
    std::string name;
    std::string assignor;
};

std::vector<std::string> member(const std::string& topic, const std::string& group, const std::string& policy,
                                const std::string& stop, const group_protocol& protocol) {
    std::vector<std::string> argv{
        COMMIT_POLICY_MEMBER_BIN, kafka::test::broker_env::get().bootstrap(), topic, group, policy, stop,
        "max.poll.records=7"};
    if (protocol.name == "classic") {
        argv.insert(argv.end(), {"session.timeout.ms=6000", "heartbeat.interval.ms=1000",
                                 "partition.assignment.strategy=" +
                                     (protocol.assignor.empty() ? std::string("range") : protocol.assignor)});
    } else {
        // No session.timeout.ms / heartbeat.interval.ms: the client refuses them, the broker owns them.
        argv.push_back("group.protocol=" + protocol.name);
        if (!protocol.assignor.empty()) argv.push_back("group.remote.assignor=" + protocol.assignor);
    }
    return argv;
}

/// Runs `body` once per group protocol, in a section named after it. The consumer protocol only
/// against Kafka 4 (see the top of the file).
void under_both_protocols(const std::function<void(const std::string&)>& body) {
    auto protocol = GENERATE(as<std::string>{}, "classic", "consumer");
    DYNAMIC_SECTION("group.protocol=" << protocol) {
        if (protocol == "consumer" && !kafka::test::broker_env::get().is_kafka4()) {
            SUCCEED("the consumer protocol cases run against Kafka 4");
            return;
        }
        body(protocol);
    }
}

struct record {
    int partition = -1;
    long long offset = -1;
    std::string key;
};

/// A member's output from line `from` on: its polls, each with the number of records it returned
/// and those it processed (all of them, but in the poll a member died in).
struct poll_batch {
    std::size_t returned = 0;
    std::vector<record> processed;
};
std::vector<poll_batch> polls_of(const child& c, std::size_t from = 0) {
    std::vector<poll_batch> out;
    auto lines = c.out();
    for (auto i = from; i < lines.size(); ++i) {
        std::istringstream in(lines[i]);
        std::string tag;
        in >> tag;
        if (tag == "poll:") {
            out.emplace_back();
            in >> out.back().returned;
        } else if (tag == "record:" && !out.empty()) {
            record r;
            in >> r.partition >> r.offset >> r.key;
            out.back().processed.push_back(r);
        }
    }
    return out;
}
std::vector<record> records_of(const child& c, std::size_t from = 0) {
    std::vector<record> out;
    for (auto const& p : polls_of(c, from)) out.insert(out.end(), p.processed.begin(), p.processed.end());
    return out;
}
std::set<std::string> keys_of(const std::vector<record>& records) {
    std::set<std::string> out;
    for (auto const& r : records) out.insert(r.key);
    return out;
}
/// Per partition: the first offset among `records`, and the offset after the last one.
std::map<int, long long> first_offsets(const std::vector<record>& records) {
    std::map<int, long long> out;
    for (auto const& r : records)
        if (!out.count(r.partition)) out[r.partition] = r.offset;
    return out;
}
std::map<int, long long> next_offsets(const std::vector<record>& records) {
    std::map<int, long long> out;
    for (auto const& r : records) out[r.partition] = std::max(out[r.partition], r.offset + 1);
    return out;
}

/// The index of the first stdout line from `from` on starting with `prefix`.
std::optional<std::size_t> line_index(const child& c, const std::string& prefix, std::size_t from = 0) {
    auto lines = c.out();
    for (auto i = from; i < lines.size(); ++i)
        if (starts_with(lines[i], prefix)) return i;
    return std::nullopt;
}
/// "PREFIX P=POSITION ..." (the first such line) as {P: POSITION}.
std::map<int, long long> positions_line(const child& c, const std::string& prefix) {
    std::map<int, long long> out;
    auto lines = c.lines(prefix);
    if (lines.empty()) return out;
    std::istringstream in(lines.front());
    std::string item;
    while (in >> item) out[std::stoi(item.substr(0, item.find('=')))] = std::stoll(item.substr(item.find('=') + 1));
    return out;
}
/// The partitions of the "assigned:" lines from line `from` on.
std::set<int> assigned_from(const child& c, std::size_t from) {
    std::set<int> out;
    auto lines = c.out();
    for (auto i = from; i < lines.size(); ++i) {
        if (!starts_with(lines[i], "assigned:")) continue;
        std::istringstream in(lines[i].substr(9));
        int p;
        while (in >> p) out.insert(p);
    }
    return out;
}

/// The group's committed offset per partition, per Kafka's ConsumerGroupCommand; where nothing is
/// committed, 0: where auto.offset.reset=earliest starts a member.
std::map<int, long long> committed_offsets(const std::string& group, const std::string& topic, std::string& raw) {
    std::map<int, long long> out;
    auto described = describe_group(group, topic, &raw);
    for (int p = 0; p < partitions; ++p) out[p] = described.count(p) ? described[p].current.value_or(0) : 0;
    return out;
}

/// A new topic of `partitions` partitions, and a new group.
struct topic_and_group {
    std::string topic, group;
    explicit topic_and_group(const std::string& prefix) : topic(unique_name(prefix)), group(unique_name(prefix)) {
        create_topic(topic, partitions);
    }
};

/// Waits (60 s at most) for a member to end by itself, with `status` (3 after exit:N, else 0).
void require_exit(child& c, int status) {
    auto code = c.exit_code(60s);
    INFO(c.transcript());
    REQUIRE(code == status);
}

/// Starts a member of `policy` in `group` that reads to the end (it closes after 3 s without a record),
/// checks that it resumes every partition exactly at `committed` and reads each record once, and
/// returns its records.
std::vector<record> restart_to_end(const std::string& topic, const std::string& group, const std::string& policy,
                                   std::map<int, long long> committed, int per_partition,
                                   const group_protocol& protocol) {
    child c("restart", member(topic, group, policy, "idle:3000", protocol));
    require_exit(c, 0);
    INFO(c.transcript());
    auto records = records_of(c);
    auto starts = first_offsets(records);
    for (int p = 0; p < partitions; ++p) {
        INFO("partition " << p << ": the restart resumes at the committed offset");
        if (committed[p] < per_partition) CHECK(starts[p] == committed[p]);
    }
    CHECK(keys_of(records).size() == records.size());
    return records;
}

long long seconds_since(steady::time_point t0) {
    return std::chrono::duration_cast<std::chrono::seconds>(steady::now() - t0).count();
}

}  // namespace

namespace {

/// A member with an after-poll policy dies mid-batch; a restart reads to the end. `unconfirmed` is
/// how many of the last polls may have had their commit still on its way at the crash: 1 for
/// sync_after_poll (the last poll committed the ones before it and waited), 2 for async_after_poll
/// (the last poll's commit of the one before it may not have been answered yet).
void crash_mid_batch(const std::string& policy, std::size_t unconfirmed, const group_protocol& protocol) {
    auto t0 = steady::now();
    auto [topic, group] = topic_and_group("it-commit-" + policy.substr(0, 5));
    constexpr int per_partition = 12;  // polls of 7 that span partitions
    auto keys = fill(topic, per_partition);
    constexpr std::size_t crash_at = 24;  // in the 4th poll

    child a("crashing", member(topic, group, policy, "exit:" + std::to_string(crash_at), protocol));
    require_exit(a, 3);
    INFO(a.transcript());
    auto polls = polls_of(a);
    auto processed = records_of(a);
    REQUIRE(processed.size() == crash_at);
    auto const& last = polls.back();                 // the poll it died in
    REQUIRE(last.processed.size() < last.returned);  // the test's premise: it died mid-batch

    // The group's commits: at least everything the polls before the unconfirmed ones returned, at
    // most what was processed (at-least-once).
    REQUIRE(polls.size() > unconfirmed);
    std::vector<record> before_last, in_last;
    for (std::size_t i = 0; i < polls.size(); ++i) {
        auto& into = i + unconfirmed < polls.size() ? before_last : in_last;
        into.insert(into.end(), polls[i].processed.begin(), polls[i].processed.end());
    }
    auto returned_before_last = next_offsets(before_last);
    auto processed_next = next_offsets(processed);
    std::string raw;
    auto committed = committed_offsets(group, topic, raw);
    INFO("ConsumerGroupCommand --describe after the crash:\n" << raw);
    for (int p = 0; p < partitions; ++p) {
        INFO("partition " << p);
        CHECK(committed[p] >= returned_before_last[p]);
        CHECK(committed[p] <= processed_next[p]);
    }

    // A restart in the same group (once the dead member's session is over) reads to the end.
    auto again = restart_to_end(topic, group, policy, committed, per_partition, protocol);
    auto seen = keys_of(processed), seen_again = keys_of(again), last_poll = keys_of(in_last);
    std::vector<std::string> lost, replayed_from_earlier_polls;
    for (auto const& k : keys)
        if (!seen.count(k) && !seen_again.count(k)) lost.push_back(k);
    std::size_t replayed = 0;
    for (auto const& k : seen_again)
        if (seen.count(k)) {
            ++replayed;
            if (!last_poll.count(k)) replayed_from_earlier_polls.push_back(k);
        }
    CHECK(lost == std::vector<std::string>{});
    CHECK(replayed_from_earlier_polls == std::vector<std::string>{});
    CHECK(replayed <= in_last.size());
    std::cout << "[commit] " << policy << " (group.protocol=" << protocol.name << "): crashed after " << crash_at
              << " records (" << last.processed.size() << " of a poll of " << last.returned << "), " << keys.size()
              << " produced, " << processed.size() + again.size() << " consumed, " << replayed
              << " replayed by the restart, " << lost.size() << " lost, " << seconds_since(t0) << " s\n";
}

}  // namespace

TEST_CASE("sync_after_poll: a crash mid-batch replays at most the records of the last poll, loses none",
          "[integration][commit]") {
    under_both_protocols([](const std::string& protocol) { crash_mid_batch("sync_after_poll", 1, {protocol, ""}); });
}

TEST_CASE("async_after_poll: a crash mid-batch replays at most the records of the last two polls, loses none",
          "[integration][commit]") {
    under_both_protocols([](const std::string& protocol) { crash_mid_batch("async_after_poll", 2, {protocol, ""}); });
}

namespace {

/// on_revoke_only: a member closes, the next one crashes, a third reads to the end.
void close_crash_restart(const group_protocol& protocol) {
    auto t0 = steady::now();
    auto [topic, group] = topic_and_group("it-commit-oro");
    constexpr int per_partition = 20;
    auto keys = fill(topic, per_partition);

    // 1. Processes two polls (14 records) and closes: the close commits its positions.
    child closing("closing", member(topic, group, "on_revoke_only", "close:10", protocol));
    require_exit(closing, 0);
    INFO(closing.transcript());
    auto first = records_of(closing);
    auto positions = positions_line(closing, "positions:");
    REQUIRE(positions.size() == partitions);
    auto first_next = next_offsets(first);
    std::string raw;
    auto committed = committed_offsets(group, topic, raw);
    {
        INFO("ConsumerGroupCommand --describe after the close:\n" << raw);
        for (int p = 0; p < partitions; ++p) {
            INFO("partition " << p);
            CHECK(positions[p] == first_next[p]);  // the positions are what it processed
            CHECK(committed[p] == positions[p]);
        }
    }

    // 2. A restart resumes exactly there, processes 10 records and crashes mid-batch: no commit.
    child crashing("crashing", member(topic, group, "on_revoke_only", "exit:10", protocol));
    require_exit(crashing, 3);
    INFO(crashing.transcript());
    auto second = records_of(crashing);
    REQUIRE(second.size() == 10);
    for (auto const& [p, offset] : first_offsets(second)) {
        INFO("partition " << p);
        CHECK(offset == committed[p]);
    }
    auto after_crash = committed_offsets(group, topic, raw);
    {
        INFO("ConsumerGroupCommand --describe after the crash:\n" << raw);
        CHECK(after_crash == committed);
    }

    // 3. The next restart resumes at the close's commit again: what the crashed member processed
    // is replayed, nothing the closed member processed is, nothing is lost.
    auto third = restart_to_end(topic, group, "on_revoke_only", committed, per_partition, protocol);
    auto seen_first = keys_of(first), seen_second = keys_of(second), seen_third = keys_of(third);
    std::vector<std::string> lost, not_replayed, twice;
    for (auto const& k : keys)
        if (!seen_first.count(k) && !seen_third.count(k)) lost.push_back(k);
    for (auto const& k : seen_second)
        if (!seen_third.count(k)) not_replayed.push_back(k);
    for (auto const& k : seen_first)
        if (seen_third.count(k)) twice.push_back(k);
    CHECK(lost == std::vector<std::string>{});
    CHECK(not_replayed == std::vector<std::string>{});
    CHECK(twice == std::vector<std::string>{});
    std::cout << "[commit] on_revoke_only close/crash/restart (group.protocol=" << protocol.name << "): " << keys.size()
              << " produced, " << first.size() << " + " << second.size() << " (crashed) + " << third.size()
              << " records consumed, " << second.size() << " replayed, " << lost.size() << " lost, "
              << seconds_since(t0) << " s\n";
}

}  // namespace

TEST_CASE("on_revoke_only: close() commits the positions; a crash after it replays everything since the close",
          "[integration][commit]") {
    under_both_protocols([](const std::string& protocol) { close_crash_restart({protocol, ""}); });
}

namespace {

/// Member A reads what the partitions hold (4 records each), then pauses; more records come; B joins,
/// and the rebalance moves partitions from A to B. Then A is SIGKILLed, and B takes A's partitions
/// once A's session is over.
void rebalance_then_crash(const group_protocol& protocol) {
    auto t0 = steady::now();
    auto [topic, group] = topic_and_group("it-commit-oro-rb");
    constexpr int before_pause = 4, per_partition = 20;
    auto keys = fill(topic, before_pause);
    auto read_to_end = [](const std::vector<record>& records, int p) {
        return next_offsets(records)[p] == per_partition;
    };

    auto pause_after = "pause:" + std::to_string(partitions * before_pause);  // all there is
    child a("A", member(topic, group, "on_revoke_only", pause_after, protocol));
    bool paused = a.wait_for_line([](auto& l) { return starts_with(l, "paused:"); }, 60s);
    INFO(a.transcript());
    REQUIRE(paused);
    auto paused_at = positions_line(a, "paused:");
    REQUIRE(paused_at == std::map<int, long long>{{0, before_pause}, {1, before_pause}, {2, before_pause}});
    keys.merge(fill(topic, per_partition - before_pause, before_pause));

    // B joins. Settled: A revoked and took its new assignment (range: what it keeps, all of it new
    // after an eager revocation; cooperative-sticky and the consumer protocol: nothing new), B read
    // its partitions to the end, and A the partitions it got after the revocation.
    child b("B", member(topic, group, "on_revoke_only", "run", protocol));
    std::size_t revoked_at = 0;
    std::set<int> a_after, b_parts;
    bool settled = kafka::test::support::wait_until(60s, [&] {
        auto revoked_line = line_index(a, "revoked:");
        if (!revoked_line || !line_index(a, "assigned:", *revoked_line)) return false;
        revoked_at = *revoked_line;
        a_after = assigned_from(a, revoked_at);
        b_parts = assigned_from(b, 0);
        auto a_records = records_of(a, revoked_at), b_records = records_of(b);
        bool done = !b_parts.empty();
        for (int p : b_parts) done = done && read_to_end(b_records, p);
        for (int p : a_after) done = done && read_to_end(a_records, p);
        return done;
    });
    INFO(a.transcript() << b.transcript());
    REQUIRE(settled);
    auto revoked = positions_line(a, "revoked:");
    auto a_since_rebalance = records_of(a, revoked_at);
    std::string raw;
    auto committed = committed_offsets(group, topic, raw);
    {
        INFO("ConsumerGroupCommand --describe after the rebalance:\n" << raw);
        // A's revocation committed the positions it had then: what it processed (it was paused).
        REQUIRE(!revoked.empty());
        for (auto const& [p, position] : revoked) {
            INFO("partition " << p);
            CHECK(position == paused_at[p]);
            CHECK(committed[p] == position);
        }
        // Whoever got a partition in the rebalance started at its committed offset.
        auto b_starts = first_offsets(records_of(b)), a_starts = first_offsets(a_since_rebalance);
        for (int p : b_parts) {
            INFO("B's partition " << p);
            CHECK(b_starts[p] == committed[p]);
        }
        for (int p : a_after) {
            INFO("A's partition " << p << " (assigned again)");
            CHECK(a_starts[p] == committed[p]);
        }
    }

    // A crashes; B resumes A's partitions exactly at the committed offsets: every record from there
    // once, in order, so what A processed since the rebalance is replayed and nothing is skipped.
    // And (offset_commit.hpp: "a crash replays everything since the last rebalance") the replay
    // starts where A was at the rebalance, not before.
    std::set<int> a_parts;
    for (int p = 0; p < partitions; ++p)
        if (!b_parts.count(p)) a_parts.insert(p);
    a.signal(SIGKILL);
    REQUIRE(a.wait(10s));
    auto killed_at = steady::now();
    bool taken_over = kafka::test::support::wait_until(60s, [&] {
        auto b_records = records_of(b);
        return std::all_of(a_parts.begin(), a_parts.end(), [&](int p) { return read_to_end(b_records, p); });
    });
    INFO(b.transcript());
    REQUIRE(taken_over);
    auto takeover_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - killed_at).count();
    auto b_records = records_of(b);
    for (int p : a_parts) {
        INFO("A's partition " << p << ", committed " << committed[p]);
        std::vector<long long> offsets, expected;
        for (auto const& r : b_records)
            if (r.partition == p) offsets.push_back(r.offset);
        for (long long o = committed[p]; o < per_partition; ++o) expected.push_back(o);
        CHECK(offsets == expected);
        INFO("A's position at the rebalance " << paused_at[p]);
        // Both protocols commit every owned partition before a revocation (classic before every
        // rejoin; the consumer protocol before a reconciliation that revokes, as Java's consumer).
        CHECK(committed[p] == paused_at[p]);
    }
    auto seen_a = keys_of(records_of(a)), seen_b = keys_of(b_records);
    std::vector<std::string> lost, not_replayed;
    for (auto const& k : keys)
        if (!seen_a.count(k) && !seen_b.count(k)) lost.push_back(k);
    for (auto const& k : keys_of(a_since_rebalance))
        if (!seen_b.count(k)) not_replayed.push_back(k);
    std::size_t twice = 0;
    for (auto const& k : seen_a) twice += seen_b.count(k);
    CHECK(lost == std::vector<std::string>{});
    CHECK(not_replayed == std::vector<std::string>{});
    std::cout << "[commit] on_revoke_only " << protocol.assignor << " (group.protocol=" << protocol.name
              << "): " << keys.size() << " produced, " << records_of(a).size() + b_records.size() << " consumed, "
              << twice << " twice, " << lost.size() << " lost; A revoked " << revoked.size() << " partition(s), "
              << a_since_rebalance.size() << " records since the rebalance replayed after the SIGKILL; takeover "
              << takeover_ms << " ms, " << seconds_since(t0) << " s";
    std::cout << '\n';
}

}  // namespace

TEST_CASE("on_revoke_only: a range rebalance commits the revoked positions; after a crash the survivor resumes there",
          "[integration][commit]") {
    // Under the consumer protocol the broker's range assignor splits the partitions as the client's
    // does, but no protocol of KIP-848 is eager: A gives up only what moves to B, as under
    // cooperative-sticky, and what it keeps is what B takes after the crash.
    under_both_protocols([](const std::string& protocol) { rebalance_then_crash({protocol, "range"}); });
}

// Under the cooperative protocol only the partitions that move are revoked; the ones A keeps are
// committed before the rejoin all the same (Java's onJoinPrepare), so the promise holds there too.
TEST_CASE(
    "on_revoke_only: a cooperative-sticky rebalance commits the revoked positions; after a crash the survivor "
    "resumes there",
    "[integration][commit]") {
    // The consumer protocol's counterpart: the broker's uniform assignor, sticky as cooperative-sticky.
    under_both_protocols([](const std::string& protocol) {
        rebalance_then_crash({protocol, protocol == "classic" ? "cooperative-sticky" : "uniform"});
    });
}

#endif  // COMMIT_POLICY_MEMBER_BIN
