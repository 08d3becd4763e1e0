// A partition assignor of your own, in one small type, plugged in with Policies::assignor.
//
//   custom_assignor BOOTSTRAP TOPIC GROUP INSTANCE_ID [--pin PARTITION=INSTANCE]... [--max N]
//                   [--timeout SECONDS] [key=value]...
//
// `pinned_range` gives chosen partitions of TOPIC to chosen members, named by their
// group.instance.id (static membership, KIP-345, so the name survives restarts), and divides the
// remaining partitions like Java's RangeAssignor. Every member runs the same assignor; the one the
// coordinator elects leader runs assign() for the whole group. A pin whose member is absent falls
// back to range, so the group never leaves a partition unowned.
//
// Output (stdout, one line each):
//   leader: TOPIC-P -> INSTANCE (pinned|range)     on the member that computed the assignment
//   assignment: TOPIC-P TOPIC-P ...                this member's partitions, whenever they change
//   record: TOPIC-P@OFFSET KEY=VALUE
//   done: N records
// Stops after N records (--max) or SECONDS without reaching them (--timeout, default 60).
#include <kafka/consumer.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// The whole assignor: a name, the rebalance protocols it supports and assign(). No base class;
// kafka::check_assignor<pinned_range>() (run by the consumer) explains anything missing.
struct pinned_range {
    static constexpr std::string_view name = "pinned-range";  // the protocol name in JoinGroup
    static constexpr std::array supported_protocols{kafka::rebalance_protocol::eager};

    std::map<kafka::topic_partition, std::string> pins;  // partition -> group.instance.id

    kafka::group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                                   const std::vector<kafka::member_subscription>& members) {
        kafka::group_assignment out;
        for (auto const& m : members) out[m.member_id];  // every member gets an entry, maybe empty
        for (auto const& [topic, count] : partitions_per_topic) {
            std::vector<const kafka::member_subscription*> subscribers;
            for (auto const& m : members)
                if (std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end()) subscribers.push_back(&m);
            if (subscribers.empty()) continue;
            std::sort(subscribers.begin(), subscribers.end(),
                      [](auto const* a, auto const* b) { return kafka::java_member_order(*a, *b); });

            std::vector<std::int32_t> rest;
            for (std::int32_t p = 0; p < count; ++p) {
                const kafka::member_subscription* owner = nullptr;
                if (auto pin = pins.find({topic, p}); pin != pins.end())
                    for (auto const* m : subscribers)
                        if (m->group_instance_id == pin->second) owner = m;
                if (!owner) {
                    rest.push_back(p);
                    continue;
                }
                out[owner->member_id].push_back({topic, p});
                report(topic, p, *owner, "pinned");
            }
            // Range over what is left: contiguous runs, the first (rest % n) members one more.
            auto n = subscribers.size();
            std::size_t next = 0;
            for (std::size_t i = 0; i < n; ++i) {
                auto take = rest.size() / n + (i < rest.size() % n ? 1 : 0);
                for (std::size_t k = 0; k < take; ++k, ++next) {
                    out[subscribers[i]->member_id].push_back({topic, rest[next]});
                    report(topic, rest[next], *subscribers[i], "range");
                }
            }
        }
        return out;
    }

private:
    static void report(const std::string& topic, std::int32_t p, const kafka::member_subscription& m, const char* how) {
        std::printf("leader: %s-%d -> %s (%s)\n", topic.c_str(), p,
                    m.group_instance_id ? m.group_instance_id->c_str() : m.member_id.c_str(), how);
    }
};

struct pinned_policies : kafka::default_policies {
    using assignor = pinned_range;
};

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 5) {
        std::fprintf(stderr,
                     "usage: custom_assignor BOOTSTRAP TOPIC GROUP INSTANCE_ID [--pin PARTITION=INSTANCE]... "
                     "[--max N] [--timeout SECONDS] [key=value]...\n");
        return 2;
    }
    std::string topic = argv[2];
    std::map<std::string, std::string> props{{"bootstrap.servers", argv[1]},
                                             {"group.id", argv[3]},
                                             {"group.instance.id", argv[4]},
                                             {"auto.offset.reset", "earliest"}};
    pinned_range assignor;
    long max = -1;
    int timeout_s = 60;
    for (int i = 5; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--pin" || a == "--max" || a == "--timeout") && i + 1 >= argc) {
            std::fprintf(stderr, "custom_assignor: %s needs a value\n", a.c_str());
            return 2;
        }
        if (a == "--pin") {
            std::string pin = argv[++i];
            auto eq = pin.find('=');
            if (eq == std::string::npos || eq == 0) {
                std::fprintf(stderr, "custom_assignor: --pin takes PARTITION=INSTANCE, not '%s'\n", pin.c_str());
                return 2;
            }
            assignor.pins[{topic, std::stoi(pin.substr(0, eq))}] = pin.substr(eq + 1);
        } else if (a == "--max") {
            max = std::stol(argv[++i]);
        } else if (a == "--timeout") {
            timeout_s = std::stoi(argv[++i]);
        } else if (auto eq = a.find('='); eq != std::string::npos) {
            props[a.substr(0, eq)] = a.substr(eq + 1);
        } else {
            std::fprintf(stderr, "custom_assignor: unknown argument '%s'\n", a.c_str());
            return 2;
        }
    }

    try {
        // The assignor instance (with its pins) is the consumer's fifth constructor argument.
        kafka::KafkaConsumer<std::string, std::string, pinned_policies> consumer(kafka::consumer_config(props), {}, {},
                                                                                 {}, std::move(assignor));
        consumer.subscribe({topic});
        std::set<kafka::topic_partition> shown;
        long n = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        while ((max < 0 || n < max) && std::chrono::steady_clock::now() < deadline) {
            auto records = consumer.poll(std::chrono::milliseconds(200));
            if (auto now = consumer.assignment(); now != shown) {
                shown = now;
                std::string line = "assignment:";
                for (auto const& tp : now) line += " " + tp.to_string();
                std::printf("%s\n", line.c_str());
            }
            for (auto const& r : records) {
                std::printf("record: %s-%d@%lld %s=%s\n", r.topic().c_str(), r.partition(),
                            static_cast<long long>(r.offset()), r.key().c_str(), r.value().c_str());
                ++n;
            }
        }
        std::printf("done: %ld records\n", n);
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "custom_assignor: %s\n", e.what());
        return 1;
    }
}
