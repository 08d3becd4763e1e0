// Helpers shared by the KafkaConsumer acceptance tests (test_consumer.cpp,
// test_consumer_group_processes.cpp): unique names, topics created with
// scripts/kafka-broker.sh (Kafka's TopicCommand), records produced by kcat (a
// third-party producer), consumer configurations pointing at the test broker.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <kafka/config.hpp>

#include "../support/shell.hpp"
#include "broker_env.hpp"

namespace kafka::test::support {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

using shell::command_result;
using shell::run_command;
using shell::shell_quote;
using shell::unique_name;

inline std::string source_dir() { return KAFKA_SOURCE_DIR; }
using kafka::test::broker_name;
using kafka::test::broker_script;
using kafka::test::create_topic;

/// Produces `lines` (one record each) with kcat; "-K :" splits key:value.
inline void produce(const std::string& topic, const std::vector<std::string>& lines,
                    const std::string& kcat_args = "-K :") {
    produce_with_kcat(topic, lines, kcat_args);
}

/// Runs Kafka's own ConsumerGroupCommand (scripts/kafka/run-tool.sh, the broker's version).
inline command_result consumer_group_command(const std::string& args) {
    auto const& env = broker_env::get();
    auto version = env.version().empty() ? std::string("4.3.1") : env.version();
    return run_command("KAFKA_VERSION=" + shell_quote(version) + " " +
                       shell_quote(source_dir() + "/scripts/kafka/run-tool.sh") +
                       " ConsumerGroupCommand --bootstrap-server " + shell_quote(env.bootstrap()) + " " + args);
}

struct group_partition_offsets {
    std::optional<std::int64_t> current;  // CURRENT-OFFSET; nullopt for "-"
    std::optional<std::int64_t> log_end;  // LOG-END-OFFSET
};

/// The group's offsets in `topic` as Kafka's ConsumerGroupCommand --describe shows them, per
/// partition. A group without active members lists only the partitions it has committed.
inline std::map<int, group_partition_offsets> describe_group(const std::string& group, const std::string& topic,
                                                             std::string* raw = nullptr) {
    auto r = consumer_group_command("--describe --group " + shell_quote(group));
    if (raw) *raw = r.output;
    if (r.status != 0) throw std::runtime_error("ConsumerGroupCommand --describe failed: " + r.output);
    auto number = [](const std::string& s) {
        return s == "-" ? std::nullopt : std::optional<std::int64_t>(std::stoll(s));
    };
    std::map<int, group_partition_offsets> out;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string g, t, p, cur, end;
        if (!(ls >> g >> t >> p >> cur >> end) || g != group || t != topic) continue;
        out[std::stoi(p)] = {number(cur), number(end)};
    }
    return out;
}

/// Commits `offset` for every partition of `topic` in the (inactive) group, with Kafka's tool.
inline void reset_group_offsets(const std::string& group, const std::string& topic, std::int64_t offset) {
    auto r = consumer_group_command("--reset-offsets --group " + shell_quote(group) + " --topic " + shell_quote(topic) +
                                    " --to-offset " + std::to_string(offset) + " --execute");
    if (r.status != 0) throw std::runtime_error("ConsumerGroupCommand --reset-offsets failed: " + r.output);
}

/// The test broker plus `extra` (Java property names).
inline consumer_config make_config(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> p{{"bootstrap.servers", broker_env::get().bootstrap()},
                                         {"client.id", "kafka-cpp-consumer-it"}};
    for (auto const& [k, v] : extra) p[k] = v;
    return consumer_config(p);
}

/// Milliseconds since `t0`.
inline long long ms_since(steady::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
}

/// Calls `step` until it returns true or `timeout` passes; returns the last result.
inline bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& step,
                       std::chrono::milliseconds pause = 50ms) {
    auto deadline = steady::now() + timeout;
    for (;;) {
        if (step()) return true;
        if (steady::now() >= deadline) return false;
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace kafka::test::support
