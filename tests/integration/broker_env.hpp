// Where the integration tests find their broker: the variables written by
// scripts/kafka-broker.sh (through KAFKA_ENV_FILE), or the same variables set
// by the user to point the suite at another cluster.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <kafka/client/connection.hpp>

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
        auto* path = std::getenv("KAFKA_ENV_FILE");
        if (!path) return;
        std::ifstream in(path);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("export ", 0) == 0) line = line.substr(7);
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            auto value = line.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
            file_[line.substr(0, eq)] = value;
        }
    }
    std::map<std::string, std::string> file_;
};

}  // namespace kafka::test
