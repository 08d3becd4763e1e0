// At-least-once processing with the commit::manual policy: the consumer never commits by itself;
// the application processes a poll's records, then commits the offsets after them.
//
//   manual_commit BOOTSTRAP TOPIC GROUP [MAX] [TIMEOUT_SECONDS] [--crash-after K] [key=value]...
//
// A crash between processing and committing replays the uncommitted records on restart (never
// loses one): --crash-after K exits abruptly right after processing the K-th record, before its
// batch is committed, to show it. A restart with the same GROUP resumes at the committed offsets.
//
// Output (stdout, one line each):
//   resume: TOPIC-P at OFFSET|none              committed offset found when a partition is assigned
//   record: TOPIC-P@OFFSET VALUE                processed
//   committed: TOPIC-P=OFFSET ...               after each commitSync
//   crash: after K records                      (--crash-after), then exit status 3 without commit
//   done: N records
// Stops after at least MAX records (the batch that reaches MAX is processed and committed whole)
// or after TIMEOUT_SECONDS (default 60).
#include <kafka/consumer.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

struct manual_policies : kafka::default_policies {
    using offset_commit = kafka::commit::manual;  // no commit on an interval, after poll, on revoke or on close
};

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 4) {
        std::fprintf(
            stderr,
            "usage: manual_commit BOOTSTRAP TOPIC GROUP [MAX] [TIMEOUT_SECONDS] [--crash-after K] [key=value]...\n");
        return 2;
    }
    std::map<std::string, std::string> props{{"bootstrap.servers", argv[1]},
                                             {"group.id", argv[3]},
                                             {"enable.auto.commit", "false"},
                                             {"auto.offset.reset", "earliest"}};
    long max = -1, crash_after = -1;
    int timeout_s = 60;
    int positional = 0;
    for (int i = 4; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--crash-after" && i + 1 < argc) {
            crash_after = std::stol(argv[++i]);
        } else if (auto eq = a.find('='); eq != std::string::npos) {
            props[a.substr(0, eq)] = a.substr(eq + 1);
        } else if (positional == 0) {
            max = std::stol(a), ++positional;
        } else if (positional == 1) {
            timeout_s = std::stoi(a), ++positional;
        } else {
            std::fprintf(stderr, "manual_commit: unexpected argument '%s'\n", a.c_str());
            return 2;
        }
    }

    try {
        kafka::KafkaConsumer<std::string, std::string, manual_policies> consumer{kafka::consumer_config(props)};
        kafka::rebalance_listener listener;
        listener.on_partitions_assigned = [&](const std::vector<kafka::topic_partition>& parts) {
            if (parts.empty()) return;
            // Where this member starts: the group's committed offset (nothing committed: auto.offset.reset).
            auto committed = consumer.committed({parts.begin(), parts.end()});
            for (auto const& tp : parts) {
                auto it = committed.find(tp);
                if (it != committed.end() && it->second)
                    std::printf("resume: %s at %lld\n", tp.to_string().c_str(),
                                static_cast<long long>(it->second->offset));
                else
                    std::printf("resume: %s at none\n", tp.to_string().c_str());
            }
        };
        consumer.subscribe({argv[2]}, listener);

        long n = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        while ((max < 0 || n < max) && std::chrono::steady_clock::now() < deadline) {
            auto records = consumer.poll(std::chrono::milliseconds(200));
            if (records.empty()) continue;
            for (auto const& r : records) {
                std::printf("record: %s-%d@%lld %s\n", r.topic().c_str(), r.partition(),
                            static_cast<long long>(r.offset()), r.value().c_str());  // "processing"
                if (++n == crash_after) {
                    std::printf("crash: after %ld records\n", n);
                    std::fflush(stdout);
                    std::_Exit(3);  // no commit, no LeaveGroup: as if the process died here
                }
            }
            // Everything this poll returned is processed: commit the offsets after it. A failure
            // here (a rebalance took the partitions) throws; those records will be seen again.
            auto offsets = records.next_offsets();
            consumer.commitSync(offsets);
            std::string line = "committed:";
            for (auto const& [tp, om] : offsets) line += " " + tp.to_string() + "=" + std::to_string(om.offset);
            std::printf("%s\n", line.c_str());
        }
        std::printf("done: %ld records\n", n);
        consumer.close();  // leaves the group; commits nothing (commit::manual)
    } catch (const std::exception& e) {
        std::fprintf(stderr, "manual_commit: %s\n", e.what());
        return 1;
    }
}
