// A consumer-group member for test_commit_policies.cpp: a KafkaConsumer whose policies differ from
// kafka::default_policies only in offset_commit, reading TOPIC in GROUP and reporting on stdout
// (line-buffered, so that a crash loses no line printed before it):
//
//   assigned: P P ...            on_partitions_assigned (the partitions added)
//   revoked: P=POSITION ...      on_partitions_revoked, with the positions at that moment
//   lost: P ...                  on_partitions_lost
//   poll: N                      before the N records of a non-empty poll
//   record: P OFFSET KEY         one record processed
//   paused: P=POSITION ...       (pause:N) the positions when it paused
//   positions: P=POSITION ...    (close:N) the positions just before close()
//   exit: after N records        (exit:N) just before std::_Exit(3)
//
//   commit_policy_member BOOTSTRAP TOPIC GROUP POLICY STOP [key=value]...
//
// POLICY: sync_after_poll | async_after_poll | on_revoke_only. The assignor is default_policies' (range, then
// cooperative-sticky: the eager protocol), or with partition.assignment.strategy=cooperative-sticky
// the cooperative_sticky policy alone (the cooperative protocol: a compile-time choice). Under
// group.protocol=consumer neither is used: the broker assigns (group.remote.assignor=range|uniform),
// and a revocation only ever gives up the partitions that move. STOP:
//   exit:N    std::_Exit(3) right after processing the N-th record, in the middle of its batch: no
//             commit, no LeaveGroup, as if the process died there
//   close:N   close() once the batch holding the N-th record is processed, then exit 0
//   pause:N   once that batch is processed, pause the assigned partitions and keep polling (in the
//             group, taking part in rebalances; partitions assigned later are read) until killed
//   idle:MS   close() once MS ms passed without a record (counted from the first assignment)
//   run       poll until killed
#include <kafka/consumer.hpp>

#include "../support/member_program.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

struct stop_rule {
    std::string kind;  // exit, close, pause, idle, run
    long n = 0;        // records (exit, close, pause) or milliseconds (idle)
};

template <class Consumer>
std::string positions(Consumer& consumer, const std::vector<kafka::topic_partition>& parts) {
    std::string s;
    for (auto const& tp : parts) s += " " + std::to_string(tp.partition) + "=" + std::to_string(consumer.position(tp));
    return s;
}

std::string partitions(const std::vector<kafka::topic_partition>& parts) {
    std::string s;
    for (auto const& tp : parts) s += " " + std::to_string(tp.partition);
    return s;
}

template <class Policies>
int run(const std::map<std::string, std::string>& props, const std::string& topic, stop_rule stop) {
    using clock = std::chrono::steady_clock;
    kafka::KafkaConsumer<std::string, std::string, Policies> consumer{kafka::consumer_config(props)};
    std::optional<clock::time_point> last_activity;  // the first assignment, then each record
    kafka::rebalance_listener listener;
    listener.on_partitions_assigned = [&](const std::vector<kafka::topic_partition>& parts) {
        std::printf("assigned:%s\n", partitions(parts).c_str());
        if (!parts.empty() && !last_activity) last_activity = clock::now();
    };
    listener.on_partitions_revoked = [&](const std::vector<kafka::topic_partition>& parts) {
        std::printf("revoked:%s\n", positions(consumer, parts).c_str());
    };
    listener.on_partitions_lost = [&](const std::vector<kafka::topic_partition>& parts) {
        std::printf("lost:%s\n", partitions(parts).c_str());
    };
    consumer.subscribe({topic}, listener);

    long processed = 0;
    bool paused = false;
    for (;;) {
        auto records = consumer.poll(std::chrono::milliseconds(100));
        if (!records.empty()) std::printf("poll: %zu\n", records.size());
        for (auto const& r : records) {
            std::printf("record: %d %lld %s\n", r.partition(), static_cast<long long>(r.offset()), r.key().c_str());
            last_activity = clock::now();
            if (++processed == stop.n && stop.kind == "exit") {
                std::printf("exit: after %ld records\n", processed);
                std::fflush(stdout);
                std::_Exit(3);
            }
        }
        auto assigned = consumer.assignment();
        std::vector<kafka::topic_partition> parts(assigned.begin(), assigned.end());
        if (stop.kind == "close" && processed >= stop.n) {
            std::printf("positions:%s\n", positions(consumer, parts).c_str());
            break;
        }
        if (stop.kind == "pause" && processed >= stop.n && !paused) {
            consumer.pause(parts);
            paused = true;
            std::printf("paused:%s\n", positions(consumer, parts).c_str());
        }
        if (stop.kind == "idle" && last_activity && clock::now() - *last_activity > std::chrono::milliseconds(stop.n))
            break;
    }
    consumer.close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 6) {
        std::fprintf(stderr, "usage: commit_policy_member BOOTSTRAP TOPIC GROUP POLICY STOP [key=value]...\n");
        return 2;
    }
    auto parsed = kafka::test::member_properties("commit_policy_member", argv[1], argv[3], argc, argv, 6);
    if (!parsed) return 2;
    auto& props = *parsed;
    std::string policy = argv[4], s = argv[5];
    auto colon = s.find(':');
    stop_rule stop{s.substr(0, colon), colon == std::string::npos ? 0 : std::stol(s.substr(colon + 1))};
    static const std::set<std::string> stops{"exit", "close", "pause", "idle", "run"};
    if (!stops.count(stop.kind)) {
        std::fprintf(stderr, "commit_policy_member: unknown STOP '%s'\n", argv[5]);
        return 2;
    }
    try {
        using kafka::commit::on_revoke_only, kafka::commit::sync_after_poll, kafka::commit::async_after_poll;
        using kafka::test::member_policies;
        auto strategy = props.find("partition.assignment.strategy");
        bool cooperative = strategy != props.end() && strategy->second == "cooperative-sticky";
        if (policy == "sync_after_poll" && !cooperative)
            return run<member_policies<sync_after_poll>>(props, argv[2], stop);
        if (policy == "async_after_poll" && !cooperative)
            return run<member_policies<async_after_poll>>(props, argv[2], stop);
        if (policy == "on_revoke_only" && !cooperative)
            return run<member_policies<on_revoke_only>>(props, argv[2], stop);
        if (policy == "on_revoke_only")
            return run<member_policies<on_revoke_only, kafka::assignors::cooperative_sticky>>(props, argv[2], stop);
        std::fprintf(stderr, "commit_policy_member: unknown policy '%s' (or not built with cooperative-sticky)\n",
                     policy.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "commit_policy_member: %s\n", e.what());
        return 1;
    }
}
