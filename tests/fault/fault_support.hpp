// Helpers of the fault suite (tests/fault): where the two fixtures are (the 3-node Kafka cluster
// `flt3` and the librdkafka mock clusters), how faults are injected (scripts/kafka-broker.sh
// kill-node/restart-node, scripts/mock-cluster.sh cmd ...), a third-party producer (kcat) running in
// the background, the ground truth of a topic as kcat reads it, and a transport policy that records
// what the consumer puts on the wire (connections, and the API key and version of every request), so
// that a test can see *how* the consumer recovered (a Metadata refresh, a FindCoordinator, a new
// connection, the versions it negotiated), not only that it did.
//
// FAULT_DEBUG=1 in the environment prints every connection, request header and consumer log line.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <kafka/consumer.hpp>

#include "../support/shell.hpp"

namespace fault {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

inline std::string source_dir() { return KAFKA_SOURCE_DIR; }

inline long long ms_since(steady::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
}

using kafka::test::shell::command_result;
using kafka::test::shell::read_env_file;
using kafka::test::shell::run_command;
using kafka::test::shell::shell_quote;
using kafka::test::shell::unique_name;

inline void log_line(const std::string& s) {
    static std::mutex m;
    std::lock_guard<std::mutex> l(m);
    std::printf("[fault] %s\n", s.c_str());
    std::fflush(stdout);
}

inline std::string env_or(const char* name, const std::string& fallback) {
    auto* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

// ---- metadata as kcat sees it (an independent client) ------------------------------------------

struct partition_info {
    int leader = -1;
    std::vector<int> replicas;
    std::vector<int> isrs;
};
struct kcat_metadata {
    std::map<int, std::string> brokers;  // id -> host:port
    std::map<std::string, std::map<int, partition_info>> topics;
};

inline std::vector<int> parse_ids(const std::string& s) {
    std::vector<int> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) out.push_back(std::stoi(item));
    return out;
}

/// `kcat -L` (all topics, or one) parsed; empty when kcat failed.
inline kcat_metadata kcat_list(const std::string& bootstrap, const std::string& topic = "") {
    kcat_metadata md;
    auto r = run_command("timeout 20 kcat -b " + shell_quote(bootstrap) + " -L -m 10" +
                         (topic.empty() ? "" : " -t " + shell_quote(topic)));
    if (r.status != 0) return md;
    std::istringstream in(r.output);
    std::string line, current;
    while (std::getline(in, line)) {
        int id, p, leader;
        char addr[256], topic_name[512], rep[512], isr[512];
        // "partition 0, leader 1, replicas: 1,2,3, isrs: 1,3": the replicas' scanset is greedy and takes
        // the comma after them too, so the format has none there (with one, the ISRs were never read).
        if (std::sscanf(line.c_str(), " broker %d at %255s", &id, addr) == 2) {
            md.brokers[id] = addr;
        } else if (std::sscanf(line.c_str(), " topic \"%511[^\"]\"", topic_name) == 1) {
            current = topic_name;
            md.topics[current];
        } else if (std::sscanf(line.c_str(), " partition %d, leader %d, replicas: %511[0-9,] isrs: %511[0-9,]", &p,
                               &leader, rep, isr) == 4) {
            md.topics[current][p] = {leader, parse_ids(rep), parse_ids(isr)};
        } else if (std::sscanf(line.c_str(), " partition %d, leader %d", &p, &leader) == 2) {
            md.topics[current][p] = {leader, {}, {}};
        }
    }
    return md;
}

/// Records of a topic as kcat reads it from the beginning to the end: partition -> [(offset, value)].
using topic_contents = std::map<int, std::vector<std::pair<std::int64_t, std::string>>>;

inline topic_contents kcat_read_all(const std::string& bootstrap, const std::string& topic) {
    auto r = run_command("timeout 60 kcat -C -b " + shell_quote(bootstrap) + " -t " + shell_quote(topic) +
                         " -o beginning -e -q -f '%p %o %s\\n'");
    if (r.status != 0) throw std::runtime_error("kcat could not read " + topic + ": " + r.output);
    topic_contents out;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        int p;
        std::int64_t o;
        std::string v;
        if (ls >> p >> o >> v) out[p].push_back({o, v});
    }
    return out;
}

inline std::size_t count_records(const topic_contents& c) {
    std::size_t n = 0;
    for (auto const& [p, v] : c) n += v.size();
    return n;
}

// ---- the fixtures -----------------------------------------------------------------------------

/// The 3-node Kafka cluster `flt3` (tests/fault/fault-fixture.sh cluster-start).
class kafka_cluster {
public:
    kafka_cluster() {
        env_file_ = env_or("FAULT_CLUSTER_ENV", source_dir() + "/.cache/run/flt3/env");
        auto env = read_env_file(env_file_);
        bootstrap_ = env["KAFKA_BOOTSTRAP"];
        name_ = env["KAFKA_NAME"];
        version_ = env["KAFKA_VERSION"];
        std::stringstream racks(env["KAFKA_RACKS"]);
        for (std::string r; std::getline(racks, r, ',');) racks_.push_back(r);
    }
    bool available() const { return !bootstrap_.empty() && !name_.empty(); }
    std::string unavailable_reason() const {
        return "no 3-node cluster: " + env_file_ +
               " is missing (run the suite through ctest -L fault, which starts it)";
    }
    const std::string& bootstrap() const { return bootstrap_; }
    const std::string& name() const { return name_; }

    /// scripts/kafka-broker.sh SUBCOMMAND --name flt3 ARGS; throws on failure.
    std::string broker(const std::string& args) const {
        auto r = run_command(shell_quote(source_dir() + "/scripts/kafka-broker.sh") + " " + args);
        if (r.status != 0) throw std::runtime_error("kafka-broker.sh " + args + " failed: " + r.output);
        return r.output;
    }
    void kill_node(int node) const { broker("kill-node --name " + name_ + " --node " + std::to_string(node)); }
    void restart_node(int node) const { broker("restart-node --name " + name_ + " --node " + std::to_string(node)); }
    /// SIGTERM: a controlled shutdown (leadership moves away first).
    void stop_node(int node) const { broker("stop-node --name " + name_ + " --node " + std::to_string(node)); }

    /// The node in `rack` (the fixture's --racks, node i in the i-th), -1 when the cluster has no such rack.
    int node_in_rack(const std::string& rack) const {
        for (std::size_t i = 0; i < racks_.size(); ++i)
            if (racks_[i] == rack) return static_cast<int>(i) + 1;
        return -1;
    }
    /// "127.0.0.1:<PLAINTEXT port>" of a node, from its place in the bootstrap list (node i is the i-th).
    std::string address(int node) const {
        std::stringstream in(bootstrap_);
        std::string a;
        for (int i = 1; std::getline(in, a, ','); ++i)
            if (i == node) return a;
        return "";
    }

    /// One of Kafka's own command-line tools (scripts/kafka/run-tool.sh CLASS ARGS, the cluster's
    /// version) with `--bootstrap-server` first; throws with its output unless it exits 0.
    std::string tool(const std::string& cls, const std::string& args, const std::string& bootstrap = "") const {
        auto cmd = "KAFKA_VERSION=" + shell_quote(version_) + " timeout 120 " +
                   shell_quote(source_dir() + "/scripts/kafka/run-tool.sh") + " " + cls + " --bootstrap-server " +
                   shell_quote(bootstrap.empty() ? bootstrap_ : bootstrap) + " " + args;
        auto r = run_command(cmd);
        if (r.status != 0) throw std::runtime_error(cls + " " + args + " failed: " + r.output);
        return r.output;
    }
    /// A topic with an explicit replica assignment ("1:2:3,2:3:1": per partition, the preferred
    /// leader first) and topic configs ("key=value" each).
    void create_topic(const std::string& topic, const std::string& assignment,
                      const std::vector<std::string>& configs = {}) const {
        std::string args = "--create --topic " + shell_quote(topic) + " --replica-assignment " + assignment;
        for (auto const& c : configs) args += " --config " + shell_quote(c);
        tool("TopicCommand", args);
    }
    /// A topic spread by the cluster (`partitions`, replication factor `rf`).
    void create_topic(const std::string& topic, int partitions, int rf) const {
        tool("TopicCommand", "--create --topic " + shell_quote(topic) + " --partitions " + std::to_string(partitions) +
                                 " --replication-factor " + std::to_string(rf));
    }

    kcat_metadata metadata(const std::string& topic = "") const { return kcat_list(bootstrap_, topic); }

    /// Waits until `pred(partition_info)` holds for partition `p` of `topic` as kcat sees it.
    template <class Pred>
    bool wait_partition(const std::string& topic, int p, Pred pred, std::chrono::seconds timeout) const {
        auto deadline = steady::now() + timeout;
        for (;;) {
            auto md = metadata(topic);
            auto t = md.topics.find(topic);
            if (t != md.topics.end() && t->second.count(p) && pred(t->second.at(p))) return true;
            if (steady::now() >= deadline) return false;
            std::this_thread::sleep_for(300ms);
        }
    }

    /// Waits until every partition of every topic has its full replica set in sync (after a restart).
    bool wait_fully_replicated(std::chrono::seconds timeout) const {
        auto deadline = steady::now() + timeout;
        for (;;) {
            auto md = metadata();
            bool ok = md.brokers.size() == 3 && !md.topics.empty();
            for (auto const& [t, ps] : md.topics)
                for (auto const& [p, info] : ps)
                    if (info.leader < 0 || info.isrs.size() != info.replicas.size()) ok = false;
            if (ok) return true;
            if (steady::now() >= deadline) return false;
            std::this_thread::sleep_for(500ms);
        }
    }

    /// Fully replicated (wait_fully_replicated), then every partition led by its preferred replica
    /// again (a preferred leader election when one is not): after a test killed nodes, leadership
    /// has gathered on the survivors and the next test would find a lopsided cluster.
    bool settle(std::chrono::seconds timeout) const {
        auto deadline = steady::now() + timeout;
        if (!wait_fully_replicated(timeout)) return false;
        for (bool elected = false;;) {
            bool preferred = true;
            for (auto const& [t, ps] : metadata().topics)
                for (auto const& [p, info] : ps)
                    if (!info.replicas.empty() && info.leader != info.replicas.front()) preferred = false;
            if (preferred) return true;
            if (steady::now() >= deadline) return false;
            if (!elected) {
                try {
                    tool("LeaderElectionCommand", "--election-type preferred --all-topic-partitions");
                } catch (const std::exception& e) {
                    log_line(std::string("preferred leader election: ") + e.what());
                }
                elected = true;
            }
            std::this_thread::sleep_for(500ms);
        }
    }

private:
    std::string env_file_, bootstrap_, name_, version_;
    std::vector<std::string> racks_;
};

/// One of the mock clusters of the mock fixture (3 brokers or 1 broker), each in its own cache dir.
class mock_cluster {
public:
    explicit mock_cluster(int brokers) : brokers_(brokers) {
        cache_ = env_or(brokers == 1 ? "FAULT_MOCK1_CACHE" : "FAULT_MOCK3_CACHE",
                        source_dir() + "/.cache/fault/mock" + std::to_string(brokers));
        auto env = read_env_file(cache_ + "/run/mock/env");
        bootstrap_ = env["KAFKA_MOCK_BOOTSTRAP"];
    }
    bool available() const {
        return !bootstrap_.empty() &&
               run_command("KAFKA_CACHE=" + shell_quote(cache_) + " " + shell_quote(script()) + " status").status == 0;
    }
    std::string unavailable_reason() const {
        return "no mock cluster with " + std::to_string(brokers_) + " broker(s) in " + cache_ +
               " (run the suite through ctest -L fault, which starts it)";
    }
    const std::string& bootstrap() const { return bootstrap_; }

    /// One command to the mock host (`down 1`, `error 12 1 NOT_COORDINATOR`, ...); throws unless it answers ok.
    std::string cmd(const std::string& c) const {
        auto r = run_command("KAFKA_CACHE=" + shell_quote(cache_) + " " + shell_quote(script()) + " cmd " + c);
        if (r.status != 0) throw std::runtime_error("mock-cluster.sh cmd " + c + ": " + r.output);
        return r.output;
    }
    /// Like cmd(), for clean-up paths: never throws.
    void cmd_quiet(const std::string& c) const noexcept {
        try {
            cmd(c);
        } catch (...) {
        }
    }

    void create_topic(const std::string& topic, int partitions, int rf) const {
        cmd("topic " + topic + " " + std::to_string(partitions) + " " + std::to_string(rf));
    }
    kcat_metadata metadata(const std::string& topic = "") const { return kcat_list(bootstrap_, topic); }

private:
    static std::string script() { return source_dir() + "/scripts/mock-cluster.sh"; }
    int brokers_;
    std::string cache_, bootstrap_;
};

/// The value of the metric `name` whose tags include `tags` in what metrics() returned; nullopt when
/// the consumer does not report it.
inline std::optional<double> metric_value(const std::vector<kafka::metric>& all, const std::string& name,
                                          const std::map<std::string, std::string>& tags = {}) {
    if (auto* m = kafka::find_metric(all, name, tags)) return m->value;
    return std::nullopt;
}

/// Produces `lines` ("key:value") with kcat, acks=all; throws when kcat reports a failure.
inline void produce(const std::string& bootstrap, const std::string& topic, const std::vector<std::string>& lines,
                    const std::string& extra = "") {
    auto cmd = "timeout 120 kcat -P -b " + shell_quote(bootstrap) + " -t " + shell_quote(topic) +
               " -K : -X acks=all -X message.timeout.ms=60000 " + extra + " >/dev/null 2>&1";
    kafka::test::shell::pipe_lines(cmd, lines, "kcat failed to produce to " + topic);
}

/// "k<i>:<prefix>-<i>" for i in [from, from + n).
inline std::vector<std::string> numbered(const std::string& prefix, int from, int n) {
    std::vector<std::string> out;
    for (int i = from; i < from + n; ++i)
        out.push_back("k" + std::to_string(i) + ":" + prefix + "-" + std::to_string(i));
    return out;
}

/// kcat -P in the background, fed `rate` records per second ("k<i>:<prefix>-<i>") until stop().
/// Idempotent (acks=all): a leader failover neither loses nor duplicates what it acknowledged.
class background_producer {
public:
    background_producer(std::string bootstrap, std::string topic, std::string prefix, int rate)
        : bootstrap_(std::move(bootstrap)), topic_(std::move(topic)), prefix_(std::move(prefix)), rate_(rate) {
        errfile_ = "/tmp/fault-kcat-" + std::to_string(::getpid()) + "-" + unique_name("p") + ".log";
        auto cmd = "timeout 300 kcat -P -b " + shell_quote(bootstrap_) + " -t " + shell_quote(topic_) +
                   " -K : -X enable.idempotence=true -X acks=all -X linger.ms=5 -X message.timeout.ms=120000" + " >" +
                   shell_quote(errfile_) + " 2>&1";
        pipe_ = ::popen(cmd.c_str(), "w");
        if (!pipe_) throw std::runtime_error("popen failed for: " + cmd);
        thread_ = std::thread([this] { run(); });
    }
    background_producer(const background_producer&) = delete;
    background_producer& operator=(const background_producer&) = delete;
    ~background_producer() {
        try {
            stop();
        } catch (...) {
        }
    }

    int sent() const { return sent_.load(); }

    /// Stops feeding kcat and waits until it delivered everything (or gave up); returns kcat's exit status.
    int stop() {
        if (!pipe_) return status_;
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        int st = ::pclose(pipe_);
        pipe_ = nullptr;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        std::ifstream in(errfile_);
        std::stringstream s;
        s << in.rdbuf();
        output_ = s.str();
        std::remove(errfile_.c_str());
        return status_;
    }
    /// kcat's own output (delivery failures are reported there).
    const std::string& output() const { return output_; }

private:
    void run() {
        auto t0 = steady::now();
        int i = 0;
        while (!stop_) {
            auto due = t0 + std::chrono::microseconds(1000000LL * i / rate_);
            if (steady::now() < due) {
                std::this_thread::sleep_for(std::min<steady::duration>(due - steady::now(), 50ms));
                continue;
            }
            auto line = "k" + std::to_string(i) + ":" + prefix_ + "-" + std::to_string(i) + "\n";
            if (std::fwrite(line.data(), 1, line.size(), pipe_) != line.size()) break;
            std::fflush(pipe_);
            sent_ = ++i;
        }
    }

    std::string bootstrap_, topic_, prefix_;
    int rate_;
    std::string errfile_;
    FILE* pipe_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> sent_{0};
    int status_ = -1;
    std::string output_;
};

// ---- the wire recorder --------------------------------------------------------------------------

struct wire_request {
    steady::time_point at;
    std::string peer;  // host:port
    std::int16_t api_key = -1;
    std::int16_t version = -1;
    std::int32_t size = -1;  // the frame's size field: bytes after it (header and body)
};

/// What a recording_tcp transport saw: connection attempts and every request written.
class wire_log {
public:
    void connected(const std::string& peer) {
        static const bool print = std::getenv("FAULT_DEBUG") != nullptr;
        if (print) log_line("wire: connect " + peer);
        std::lock_guard<std::mutex> l(m_);
        connects_.push_back({steady::now(), peer});
    }
    void request(const std::string& peer, std::int16_t key, std::int16_t version, std::int32_t size) {
        static const bool print = std::getenv("FAULT_DEBUG") != nullptr;
        if (print)
            log_line("wire: " + peer + " key " + std::to_string(key) + " v" + std::to_string(version) + ", " +
                     std::to_string(size) + " bytes");
        std::lock_guard<std::mutex> l(m_);
        requests_.push_back({steady::now(), peer, key, version, size});
    }
    std::vector<wire_request> requests(std::optional<std::int16_t> key = {}, steady::time_point since = {}) const {
        std::lock_guard<std::mutex> l(m_);
        std::vector<wire_request> out;
        for (auto const& r : requests_)
            if ((!key || r.api_key == *key) && r.at >= since) out.push_back(r);
        return out;
    }
    std::size_t count(std::int16_t key, steady::time_point since = {}) const { return requests(key, since).size(); }
    std::vector<std::pair<steady::time_point, std::string>> connects(steady::time_point since = {}) const {
        std::lock_guard<std::mutex> l(m_);
        std::vector<std::pair<steady::time_point, std::string>> out;
        for (auto const& c : connects_)
            if (c.first >= since) out.push_back(c);
        return out;
    }
    /// api key -> versions used.
    std::map<std::int16_t, std::set<std::int16_t>> versions() const {
        std::lock_guard<std::mutex> l(m_);
        std::map<std::int16_t, std::set<std::int16_t>> out;
        for (auto const& r : requests_) out[r.api_key].insert(r.version);
        return out;
    }
    void rewrote_apiversions() { ++shim_rewrites_; }
    /// How many ApiVersions answers the mock shim rewrote (see recording_tcp).
    int shim_rewrites() const { return shim_rewrites_.load(); }
    std::optional<wire_request> last(std::int16_t key) const {
        std::lock_guard<std::mutex> l(m_);
        for (auto it = requests_.rbegin(); it != requests_.rend(); ++it)
            if (it->api_key == key) return *it;
        return std::nullopt;
    }

private:
    mutable std::mutex m_;
    std::vector<std::pair<steady::time_point, std::string>> connects_;
    std::vector<wire_request> requests_;
    std::atomic<int> shim_rewrites_{0};
};

/// kafka::transports::tcp plus a recorder: every connection attempt and the header of every request
/// frame written (API key, version and the frame's size) go into a shared wire_log. The heartbeat thread writes too,
/// hence the log's mutex.
///
/// With `mock_apiversions_shim`, the one answer of librdkafka 2.0's mock cluster that the library
/// cannot parse is rewritten: to an ApiVersions request at a version it does not serve (v3) the mock
/// answers UNSUPPORTED_VERSION in a layout of its own (error code, a one-byte count, the ApiVersions
/// range, throttle time), where Kafka brokers answer in the v0 layout (error code, int32 count,
/// entries). The shim turns that answer into the v0 layout a broker sends, so that everything after
/// the negotiation can be tested against the mock; the first test in test_mock_faults.cpp runs
/// the negotiation itself without the shim.
class recording_tcp {
public:
    class stream {
    public:
        using executor_type = asio::any_io_executor;
        stream(const asio::any_io_executor& ex, std::shared_ptr<wire_log> log, bool shim)
            : inner_(ex), log_(std::move(log)), shim_(shim) {}
        executor_type get_executor() { return inner_.get_executor(); }

        template <class Buffers, class Handler>
        void async_read_some(const Buffers& b, Handler&& h) {
            if (!shim_) return inner_.async_read_some(b, std::forward<Handler>(h));
            if (!inbox_.empty()) {
                auto n = take(b);
                asio::post(inner_.get_executor(),
                           [h = std::forward<Handler>(h), n]() mutable { h(std::error_code{}, n); });
                return;
            }
            auto chunk = std::make_shared<std::vector<unsigned char>>(65536);
            inner_.async_read_some(asio::buffer(*chunk), [this, chunk, bufs = b, h = std::forward<Handler>(h)](
                                                             std::error_code ec, std::size_t n) mutable {
                if (ec) return h(ec, std::size_t{0});
                absorb(chunk->data(), n);
                if (inbox_.empty()) return async_read_some(bufs, std::move(h));  // only part of a frame so far
                auto m = take(bufs);
                h(std::error_code{}, m);
            });
        }
        template <class Buffers, class Handler>
        void async_write_some(const Buffers& b, Handler&& h) {
            // The buffers stay valid until the handler runs; only what was written is parsed.
            auto copy = std::make_shared<std::vector<unsigned char>>(asio::buffer_size(b));
            asio::buffer_copy(asio::buffer(*copy), b);
            inner_.async_write_some(
                b, [this, copy, h = std::forward<Handler>(h)](std::error_code ec, std::size_t n) mutable {
                    if (!ec) feed(copy->data(), n);
                    h(ec, n);
                });
        }

    private:
        friend class recording_tcp;
        static std::int32_t be32(const unsigned char* p) {
            return static_cast<std::int32_t>((std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
                                             (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]));
        }
        static std::int16_t be16(const unsigned char* p) {
            return static_cast<std::int16_t>((std::uint16_t(p[0]) << 8) | std::uint16_t(p[1]));
        }
        static void put32(std::vector<unsigned char>& v, std::int32_t x) {
            for (int s = 24; s >= 0; s -= 8)
                v.push_back(static_cast<unsigned char>((static_cast<std::uint32_t>(x) >> s) & 0xff));
        }

        // Request frames: int32 size, int16 api key, int16 api version, int32 correlation id, ...
        void feed(const unsigned char* p, std::size_t n) {
            pending_.insert(pending_.end(), p, p + n);
            for (;;) {
                if (pending_.size() < 12) return;
                auto size = be32(pending_.data());
                if (!seen_header_) {
                    auto key = be16(pending_.data() + 4), version = be16(pending_.data() + 6);
                    log_->request(peer_, key, version, size);
                    if (key == 18 && version >= 3) {
                        std::lock_guard<std::mutex> l(shim_mutex_);
                        apiversions_v3_.insert(be32(pending_.data() + 8));
                    }
                    seen_header_ = true;
                }
                if (size < 0 || pending_.size() < static_cast<std::size_t>(size) + 4) return;
                pending_.erase(pending_.begin(), pending_.begin() + size + 4);
                seen_header_ = false;
            }
        }

        // Response frames: whole frames are passed on; the mock's UNSUPPORTED_VERSION answer to
        // ApiVersions v3 (correlation id, int16 35, int8 count, count x (key, min, max), int32
        // throttle) becomes the v0 layout (correlation id, int16 35, int32 count, entries).
        void absorb(const unsigned char* p, std::size_t n) {
            held_.insert(held_.end(), p, p + n);
            for (;;) {
                if (held_.size() < 4) return;
                auto size = be32(held_.data());
                if (size < 0 || held_.size() < static_cast<std::size_t>(size) + 4) return;
                const unsigned char* body = held_.data() + 4;
                bool rewrite = false;
                if (size >= 6) {
                    std::lock_guard<std::mutex> l(shim_mutex_);
                    auto it = apiversions_v3_.find(be32(body));
                    if (it != apiversions_v3_.end()) {
                        apiversions_v3_.erase(it);
                        rewrite = be16(body + 4) == 35 && size >= 7 && size == 4 + 2 + 1 + 6 * body[6] + 4;
                    }
                }
                if (rewrite) {
                    std::vector<unsigned char> v0(body, body + 6);  // correlation id, error code
                    put32(v0, body[6]);
                    v0.insert(v0.end(), body + 7, body + 7 + 6 * body[6]);
                    put32(inbox_, static_cast<std::int32_t>(v0.size()));
                    inbox_.insert(inbox_.end(), v0.begin(), v0.end());
                    log_->rewrote_apiversions();
                } else {
                    inbox_.insert(inbox_.end(), held_.begin(), held_.begin() + size + 4);
                }
                held_.erase(held_.begin(), held_.begin() + size + 4);
            }
        }
        template <class Buffers>
        std::size_t take(const Buffers& b) {
            auto n = asio::buffer_copy(b, asio::buffer(inbox_));
            inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(n));
            return n;
        }

        kafka::transports::tcp::stream inner_;
        std::shared_ptr<wire_log> log_;
        bool shim_;
        std::string peer_;
        std::vector<unsigned char> pending_;
        bool seen_header_ = false;
        std::mutex shim_mutex_;
        std::set<std::int32_t> apiversions_v3_;
        std::vector<unsigned char> held_, inbox_;
    };

    using stream_type = stream;
    using clock_type = std::chrono::steady_clock;

    recording_tcp() : log_(std::make_shared<wire_log>()) {}
    explicit recording_tcp(std::shared_ptr<wire_log> log, bool mock_apiversions_shim = false)
        : log_(std::move(log)), shim_(mock_apiversions_shim) {}
    recording_tcp(const recording_tcp& o) : log_(o.log_), shim_(o.shim_) {}
    recording_tcp& operator=(const recording_tcp& o) {
        log_ = o.log_;
        shim_ = o.shim_;
        return *this;
    }

    const std::shared_ptr<wire_log>& log() const { return log_; }

    std::unique_ptr<stream_type> make_stream(const asio::any_io_executor& ex) {
        return std::make_unique<stream_type>(ex, log_, shim_);
    }
    template <class Handler>
    void async_connect(stream_type& s, const std::string& host, std::uint16_t port, Handler&& handler) {
        s.peer_ = host + ":" + std::to_string(port);
        log_->connected(s.peer_);
        tcp_.async_connect(s.inner_, host, port, std::forward<Handler>(handler));
    }
    clock_type::time_point now() const { return tcp_.now(); }
    void run_for(asio::io_context& io, clock_type::duration d) { tcp_.run_for(io, d); }
    void close(stream_type& s) { tcp_.close(s.inner_); }

private:
    kafka::transports::tcp tcp_;
    std::shared_ptr<wire_log> log_;
    bool shim_ = false;
};
static_assert(kafka::transport<recording_tcp>);

/// The consumer the fault tests use: the recording transport, commits only when the test says so.
struct fault_policies : kafka::default_policies {
    using transport = recording_tcp;
    using offset_commit = kafka::commit::manual;
};
using consumer_type = kafka::KafkaConsumer<std::string, std::string, fault_policies>;

inline kafka::consumer_config make_config(const std::string& bootstrap,
                                          const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> p{{"bootstrap.servers", bootstrap}, {"client.id", "kafka-cpp-fault"}};
    for (auto const& [k, v] : extra) p[k] = v;
    return kafka::consumer_config(p);
}

/// A consumer with its wire log, its log lines and its rebalance history.
struct observed_consumer {
    std::shared_ptr<wire_log> wire = std::make_shared<wire_log>();
    std::unique_ptr<consumer_type> consumer;
    std::shared_ptr<std::mutex> lines_mutex = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    int revoked = 0, assigned_calls = 0, lost = 0;
    std::set<kafka::topic_partition> assigned;

    // The consumer goes first: closing it may still call the listener, which writes into this object.
    ~observed_consumer() { consumer.reset(); }
    observed_consumer(const observed_consumer&) = delete;  // the listener points at this object
    observed_consumer& operator=(const observed_consumer&) = delete;

    /// `mock_shim`: rewrite the mock's ApiVersions v3 answer (see recording_tcp).
    explicit observed_consumer(kafka::consumer_config cfg, bool mock_shim = false) {
        consumer = std::make_unique<consumer_type>(std::move(cfg), consumer_type::key_deserializer{},
                                                   consumer_type::value_deserializer{}, recording_tcp(wire, mock_shim));
        auto m = lines_mutex;
        auto l = lines;
        static const bool print = std::getenv("FAULT_DEBUG") != nullptr;
        consumer->set_log_handler([m, l](kafka::log_level lvl, const std::string& s) {
            std::lock_guard<std::mutex> g(*m);
            static const char* names[] = {"debug", "info", "warn", "error"};
            l->push_back(std::string(names[static_cast<int>(lvl)]) + ": " + s);
            if (print) log_line("consumer " + l->back());
        });
    }
    kafka::rebalance_listener listener() {
        kafka::rebalance_listener rl;
        rl.on_partitions_revoked = [this](const std::vector<kafka::topic_partition>& ps) {
            ++revoked;
            for (auto const& tp : ps) assigned.erase(tp);
        };
        rl.on_partitions_assigned = [this](const std::vector<kafka::topic_partition>& ps) {
            ++assigned_calls;
            assigned.insert(ps.begin(), ps.end());
        };
        rl.on_partitions_lost = [this](const std::vector<kafka::topic_partition>& ps) {
            ++lost;
            for (auto const& tp : ps) assigned.erase(tp);
        };
        return rl;
    }
    std::string log_tail(std::size_t n = 30) const {
        std::lock_guard<std::mutex> g(*lines_mutex);
        std::string out;
        for (std::size_t i = lines->size() > n ? lines->size() - n : 0; i < lines->size(); ++i)
            out += (*lines)[i] + "\n";
        return out;
    }
    consumer_type* operator->() { return consumer.get(); }
};

/// Records as the consumer returned them, checked as they come: per partition, every offset must be
/// the previous one + 1 (a gap or a step back is an anomaly unless the test allows a rewind).
struct record_collector {
    std::map<int, std::vector<std::pair<std::int64_t, std::string>>> by_partition;
    std::vector<std::string> anomalies;
    std::map<int, std::int64_t> start;  // expected first offset per partition (default 0)
    std::size_t total = 0;
    long long max_poll_overshoot_ms = 0;
    /// Called on a step back (p, offset, last offset); returns true when the rewind is legitimate.
    std::function<bool(int, std::int64_t, std::int64_t)> allow_rewind;
    std::vector<std::string> rewinds;

    template <class Records>
    void add(const Records& records) {
        for (auto const& r : records) add(r.partition(), r.offset(), r.value());
    }
    void add(int p, std::int64_t o, const std::string& v) {
        auto& list = by_partition[p];
        std::int64_t expected = list.empty() ? (start.count(p) ? start[p] : 0) : list.back().first + 1;
        if (o != expected) {
            if (!list.empty() && o < expected && allow_rewind && allow_rewind(p, o, expected - 1)) {
                rewinds.push_back("p" + std::to_string(p) + " back to " + std::to_string(o) + " after " +
                                  std::to_string(expected - 1));
                // keep only the first delivery of each offset for the comparison with the log
                while (!list.empty() && list.back().first >= o) list.pop_back();
            } else {
                anomalies.push_back("partition " + std::to_string(p) + ": offset " + std::to_string(o) + " where " +
                                    std::to_string(expected) + " was expected (" +
                                    (o < expected ? "duplicate" : "gap") + ")");
            }
        }
        list.push_back({o, v});
        ++total;
    }
    std::int64_t next_offset(int p) const {
        auto it = by_partition.find(p);
        if (it == by_partition.end() || it->second.empty()) return 0;
        return it->second.back().first + 1;
    }
    std::size_t unique_count() const {
        std::size_t n = 0;
        for (auto const& [p, v] : by_partition) n += v.size();
        return n;
    }
    /// Differences with the log as kcat read it (empty when equal).
    std::string diff(const topic_contents& truth) const {
        std::ostringstream o;
        for (auto const& [p, want] : truth) {
            auto it = by_partition.find(p);
            std::vector<std::pair<std::int64_t, std::string>> got =
                it == by_partition.end() ? decltype(got){} : it->second;
            if (got == want) continue;
            o << "partition " << p << ": the log has " << want.size() << " records";
            if (!want.empty()) o << " (offsets " << want.front().first << ".." << want.back().first << ")";
            o << ", the consumer returned " << got.size();
            if (!got.empty()) o << " (offsets " << got.front().first << ".." << got.back().first << ")";
            std::size_t i = 0;
            while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
            if (i < got.size() || i < want.size())
                o << "; first difference at index " << i << ": log "
                  << (i < want.size() ? std::to_string(want[i].first) + "=" + want[i].second : std::string("(end)"))
                  << ", consumer "
                  << (i < got.size() ? std::to_string(got[i].first) + "=" + got[i].second : std::string("(end)"));
            o << "\n";
        }
        for (auto const& [p, got] : by_partition)
            if (!truth.count(p) && !got.empty())
                o << "partition " << p << ": " << got.size() << " records not in the log\n";
        return o.str();
    }
};

/// poll(timeout) into `c`, remembering how far past its timeout poll returned.
template <class Consumer>
std::size_t poll_into(Consumer& consumer, record_collector& c, std::chrono::milliseconds timeout) {
    auto t0 = steady::now();
    auto records = consumer.poll(timeout);
    auto over = ms_since(t0) - timeout.count();
    c.max_poll_overshoot_ms = std::max(c.max_poll_overshoot_ms, over);
    c.add(records);
    return records.size();
}

inline std::string api_name(std::int16_t key) {
    switch (key) {
        case 0:
            return "Produce";
        case 1:
            return "Fetch";
        case 2:
            return "ListOffsets";
        case 3:
            return "Metadata";
        case 8:
            return "OffsetCommit";
        case 9:
            return "OffsetFetch";
        case 10:
            return "FindCoordinator";
        case 11:
            return "JoinGroup";
        case 12:
            return "Heartbeat";
        case 13:
            return "LeaveGroup";
        case 14:
            return "SyncGroup";
        case 15:
            return "DescribeGroups";
        case 18:
            return "ApiVersions";
        case 23:
            return "OffsetForLeaderEpoch";
        default:
            return "key" + std::to_string(key);
    }
}

inline std::string describe_versions(const wire_log& w) {
    std::string out;
    for (auto const& [k, vs] : w.versions()) {
        out += (out.empty() ? "" : ", ") + api_name(k) + " v";
        bool first = true;
        for (auto v : vs) {
            out += (first ? "" : "/v") + std::to_string(v);
            first = false;
        }
    }
    return out;
}

}  // namespace fault
