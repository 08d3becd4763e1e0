// Where the integration tests find their broker: the variables written by
// scripts/kafka-broker.sh (through KAFKA_ENV_FILE), or the same variables set
// by the user to point the suite at another cluster.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <kafka/client/connection.hpp>

#include "../support/shell.hpp"

namespace kafka::test {

class broker_env {
public:
    static const broker_env& get() {
        static const broker_env e;
        return e;
    }

    /// A variable (KAFKA_BOOTSTRAP, KAFKA_CA_FILE, ...): the process environment first, then the env file.
    std::string var(const std::string& name) const {
        if (auto* v = std::getenv(name.c_str()); v && *v) return v;
        auto it = file_.find(name);
        return it == file_.end() ? std::string() : it->second;
    }
    std::string bootstrap() const {
        auto b = var("KAFKA_BOOTSTRAP");
        if (b.empty())
            throw std::runtime_error(
                "integration tests need a broker: set KAFKA_BOOTSTRAP=host:port (or KAFKA_ENV_FILE to the env file "
                "of scripts/kafka-broker.sh), or run them through ctest, which starts one");
        return b;
    }
    /// "host:port,host:port" as addresses with bootstrap ids -1, -2, ...
    static std::vector<client::broker_address> parse(const std::string& list) {
        std::vector<client::broker_address> out;
        std::size_t start = 0;
        std::int32_t id = -1;
        while (start < list.size()) {
            auto end = list.find(',', start);
            if (end == std::string::npos) end = list.size();
            auto item = list.substr(start, end - start);
            auto colon = item.rfind(':');
            if (colon == std::string::npos) throw std::runtime_error("bad broker address '" + item + "'");
            out.push_back({id--, item.substr(0, colon), static_cast<std::uint16_t>(std::stoi(item.substr(colon + 1)))});
            start = end + 1;
        }
        return out;
    }
    std::vector<client::broker_address> bootstrap_addresses() const { return parse(bootstrap()); }
    /// The broker version ("4.3.1"), empty for a user-supplied cluster.
    std::string version() const { return var("KAFKA_VERSION"); }
    bool is_kafka4() const { return version().rfind("4.", 0) == 0; }

private:
    broker_env() {
        if (auto* path = std::getenv("KAFKA_ENV_FILE")) file_ = shell::read_env_file(path);
    }
    std::map<std::string, std::string> file_;
};

/// scripts/kafka-broker.sh, which the tests drive to create topics and produce with kcat.
inline std::string broker_script() { return std::string(KAFKA_SOURCE_DIR) + "/scripts/kafka-broker.sh"; }

/// The name scripts/kafka-broker.sh knows the test broker by (KAFKA_NAME in its env file).
inline std::string broker_name() {
    auto n = broker_env::get().var("KAFKA_NAME");
    if (n.empty())
        throw std::runtime_error(
            "these tests create topics through scripts/kafka-broker.sh: set KAFKA_ENV_FILE to the "
            "env file of a broker it started (KAFKA_NAME missing)");
    return n;
}

/// Creates `topic` with Kafka's TopicCommand (through scripts/kafka-broker.sh).
inline void create_topic(const std::string& topic, int partitions) {
    using shell::shell_quote;
    auto r = shell::run_command(shell_quote(broker_script()) + " topic --name " + shell_quote(broker_name()) +
                                " create " + shell_quote(topic) + " " + std::to_string(partitions));
    if (r.status != 0) throw std::runtime_error("creating topic " + topic + " failed: " + r.output);
}

/// Produces one record per line with kcat (through scripts/kafka-broker.sh, PLAINTEXT); `kcat_args`
/// as kcat takes them ("-K :" splits key:value).
inline void produce_with_kcat(const std::string& topic, const std::vector<std::string>& lines,
                              const std::string& kcat_args) {
    using shell::shell_quote;
    auto cmd = shell_quote(broker_script()) + " produce --name " + shell_quote(broker_name()) + " " +
               shell_quote(topic) + " " + kcat_args + " >/dev/null 2>&1";
    shell::pipe_lines(cmd, lines, "kcat failed to produce to " + topic);
}

}  // namespace kafka::test
