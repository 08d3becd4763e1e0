// One member of a chaos-soak group (tests/chaos/soak.py): a KafkaConsumer that reads TOPIC in GROUP
// until killed and writes its ledger to stdout, one line per event (line-buffered, so that a SIGKILL
// loses no line printed before it). T is the wall clock in milliseconds, G the generation (classic
// protocol) or member epoch (consumer protocol) when the line was written:
//
//   A T G P P ...     on_partitions_assigned (the partitions added)
//   V T G P P ...     on_partitions_revoked
//   L T G P P ...     on_partitions_lost
//   R T G P OFFSET    one record processed
//   K T N             progress: N records so far (at most once a second, and whenever poll returns)
//   W T message       a warning or error the consumer logged
//   X T what          an exception out of poll(); the member goes on polling, as a service would
//
//   chaos_member BOOTSTRAP TOPIC GROUP POLICY [key=value]...
//
// POLICY: sync_after_poll | async_after_poll | on_revoke_only (the offset_commit policy).
// partition.assignment.strategy=cooperative-sticky selects the cooperative_sticky assignor (a
// compile-time choice); otherwise default_policies' list (range first: the eager protocol). Under
// group.protocol=consumer the broker assigns and neither is used.
#include <kafka/consumer.hpp>

#include "../support/member_program.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

long long now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string partitions(const std::vector<kafka::topic_partition>& parts) {
    std::string s;
    for (auto const& tp : parts) s += " " + std::to_string(tp.partition);
    return s;
}

template <class Policies>
int run(const std::map<std::string, std::string>& props, const std::string& topic) {
    kafka::KafkaConsumer<std::string, std::string, Policies> consumer{kafka::consumer_config(props)};
    consumer.set_log_handler([](kafka::log_level level, const std::string& line) {
        if (level >= kafka::log_level::warn) std::printf("W %lld %s\n", now_ms(), line.c_str());
    });
    auto event = [&](char kind, const std::vector<kafka::topic_partition>& parts) {
        std::printf("%c %lld %d%s\n", kind, now_ms(), consumer.generation(), partitions(parts).c_str());
    };
    kafka::rebalance_listener listener;
    listener.on_partitions_assigned = [&](const std::vector<kafka::topic_partition>& p) { event('A', p); };
    listener.on_partitions_revoked = [&](const std::vector<kafka::topic_partition>& p) { event('V', p); };
    listener.on_partitions_lost = [&](const std::vector<kafka::topic_partition>& p) { event('L', p); };
    consumer.subscribe({topic}, listener);

    long long processed = 0, last_progress = 0;
    for (;;) {
        try {
            auto records = consumer.poll(std::chrono::milliseconds(200));
            for (auto const& r : records)
                std::printf("R %lld %d %d %lld\n", now_ms(), consumer.generation(), r.partition(),
                            static_cast<long long>(r.offset()));
            processed += static_cast<long long>(records.size());
            if (!records.empty() || now_ms() - last_progress >= 1000) {
                last_progress = now_ms();
                std::printf("K %lld %lld\n", last_progress, processed);
            }
        } catch (const std::exception& e) {
            std::printf("X %lld %s\n", now_ms(), e.what());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a failure that repeats: no busy loop
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 5) {
        std::fprintf(stderr, "usage: chaos_member BOOTSTRAP TOPIC GROUP POLICY [key=value]...\n");
        return 2;
    }
    auto parsed = kafka::test::member_properties("chaos_member", argv[1], argv[3], argc, argv, 5);
    if (!parsed) return 2;
    auto& props = *parsed;
    std::string policy = argv[4];
    try {
        using kafka::assignors::cooperative_sticky;
        using kafka::commit::on_revoke_only, kafka::commit::sync_after_poll, kafka::commit::async_after_poll;
        using kafka::test::member_policies;
        auto strategy = props.find("partition.assignment.strategy");
        if (strategy != props.end() && strategy->second == "cooperative-sticky") {
            if (policy == "sync_after_poll")
                return run<member_policies<sync_after_poll, cooperative_sticky>>(props, argv[2]);
            if (policy == "async_after_poll")
                return run<member_policies<async_after_poll, cooperative_sticky>>(props, argv[2]);
            if (policy == "on_revoke_only")
                return run<member_policies<on_revoke_only, cooperative_sticky>>(props, argv[2]);
        } else {
            if (policy == "sync_after_poll") return run<member_policies<sync_after_poll>>(props, argv[2]);
            if (policy == "async_after_poll") return run<member_policies<async_after_poll>>(props, argv[2]);
            if (policy == "on_revoke_only") return run<member_policies<on_revoke_only>>(props, argv[2]);
        }
        std::fprintf(stderr, "chaos_member: unknown policy '%s'\n", policy.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::printf("X %lld %s\n", now_ms(), e.what());
        std::fprintf(stderr, "chaos_member: %s\n", e.what());
        return 1;
    }
}
