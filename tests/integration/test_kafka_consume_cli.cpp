// What a user of kafka-consume (examples/kafka_consume.cpp) sees, run as a child process against
// the real broker, without stdbuf: its stdout is a file or a pipe, so stdio buffers it fully.
//
//   crash after a commit   SIGKILL as soon as the broker shows a commit (--commit sync, async,
//                          auto): every record at a committed offset is in the output file
//   unwritable stdout      /dev/full: exit 1, nothing committed (auto-commit included), a
//                          restart reads every record
//   pipeline               each burst of records reaches the reader of its stdout pipe without
//                          more records following it
//   -e with nothing        an empty topic (assigned, or in a group), a group member given no
//                          partition, a topic that does not exist: exit 0 within seconds
//   log lines              the consumer's warnings reach stderr in librdkafka's "%4|...|WARN|"
//                          format, naming the consumer ("[Consumer clientId=..., groupId=...]")
//   failures, told apart   a wrong address is named on stderr within 5 s (exit 5 once
//                          default.api.timeout.ms passed), an unknown topic exits 3, a refused
//                          authentication 4
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <kafka/consumer.hpp>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"
#include "example_process.hpp"

#if defined(KAFKA_CONSUME_BIN)

namespace {

using namespace std::chrono_literals;
using kafka::test::create_topic;
using kafka::test::proc::child;
using kafka::test::shell::shell_quote;
using kafka::test::shell::unique_name;
using kafka::test::support::wait_until;

std::string bootstrap() { return kafka::test::broker_env::get().bootstrap(); }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool has_line(const std::vector<std::string>& lines, const std::function<bool(const std::string&)>& pred) {
    for (auto const& l : lines)
        if (pred(l)) return true;
    return false;
}

/// The committed offsets of a group as the broker has them (OffsetFetch; this consumer never joins).
class committed_offsets {
public:
    committed_offsets(const std::string& group, const std::string& topic, int partitions)
        : consumer_(kafka::test::support::make_config({{"group.id", group}, {"enable.auto.commit", "false"}})) {
        for (int p = 0; p < partitions; ++p) partitions_.insert({topic, p});
    }
    /// Partition -> committed offset (0 where nothing is committed).
    std::map<int, std::int64_t> read() {
        std::map<int, std::int64_t> out;
        for (auto const& [tp, om] : consumer_.committed(partitions_)) out[tp.partition] = om ? om->offset : 0;
        return out;
    }
    static std::int64_t total(const std::map<int, std::int64_t>& offsets) {
        std::int64_t n = 0;
        for (auto const& [p, o] : offsets) n += o;
        return n;
    }

private:
    struct policies : kafka::default_policies {
        using offset_commit = kafka::commit::manual;
    };
    kafka::KafkaConsumer<std::string, std::string, policies> consumer_;
    std::set<kafka::topic_partition> partitions_;
};

/// The complete lines of a file (a last line without its newline is left out: it was cut).
std::vector<std::string> complete_lines(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    std::vector<std::string> out;
    std::size_t start = 0, nl;
    while ((nl = text.find('\n', start)) != std::string::npos) {
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

/// Removes a file when the test ends.
struct temp_file {
    std::string path = (std::filesystem::temp_directory_path() / unique_name("kafka-consume-out")).string();
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
};

}  // namespace

// kafka-consume writes to a file (fully buffered stdio) and commits as it goes. It is SIGKILLed
// the moment the broker shows a commit of it: whatever it committed must already be in the file,
// or a restart would resume past records that nobody ever saw. Killed at its first commit (in the
// middle of the stream), and at the commit that covers the last record (async commits trail the
// output, so only that one is sure to cover the records of the last polls).
TEST_CASE("kafka-consume: SIGKILL right after a commit; every committed record is in the output file",
          "[integration][cli]") {
    std::string mode = GENERATE(as<std::string>{}, "sync", "async", "auto");
    bool at_last = GENERATE(false, true);
    INFO("--commit " << mode << ", killed at " << (at_last ? "the commit of the last record" : "the first commit"));
    auto topic = unique_name("cli-crash");
    auto group = unique_name("cli-crash");
    constexpr int partitions = 3;
    constexpr std::size_t records = 3000;
    create_topic(topic, partitions);
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < records; ++i)
        lines.push_back("k-" + std::to_string(i) + ":value " + std::to_string(i) +
                        " padded to be a line of some length");
    kafka::test::produce_with_kcat(topic, lines, "-K :");

    temp_file out;
    // Small polls, so that many commits follow each other while the test watches.
    std::string cmd = "exec " + shell_quote(KAFKA_CONSUME_BIN) + " -b " + shell_quote(bootstrap()) + " -t " +
                      shell_quote(topic) + " -g " + shell_quote(group) + " -o beginning -f " +
                      shell_quote("%p %o %s\\n") + " --commit " + mode + " -X max.poll.records=20";
    if (mode == "auto") cmd += " -X auto.commit.interval.ms=20";
    committed_offsets broker_view(group, topic, partitions);
    child c("kafka-consume", {"/bin/sh", "-c", cmd + " > " + shell_quote(out.path)});

    bool seen = wait_until(
        60s,
        [&] {
            auto n = committed_offsets::total(broker_view.read());
            return at_last ? n == static_cast<std::int64_t>(records) : n > 0;
        },
        5ms);
    c.signal(SIGKILL);
    auto st = c.wait(10s);
    INFO(c.transcript());
    REQUIRE(seen);
    REQUIRE(st.has_value());
    CHECK(WIFSIGNALED(*st));

    // The final word: the broker's committed offsets once the process is gone.
    auto committed = broker_view.read();
    std::map<int, std::set<std::int64_t>> written;
    std::size_t unparsable = 0;
    for (auto const& l : complete_lines(out.path)) {
        std::istringstream in(l);
        int p = -1;
        std::int64_t o = -1;
        std::string value;
        if (!(in >> p >> o) || !std::getline(in, value) ||
            value.find(" padded to be a line of some length") == std::string::npos) {
            ++unparsable;
            continue;
        }
        written[p].insert(o);
    }
    std::size_t missing = 0, in_file = 0;
    std::string first_missing;
    for (auto const& [p, upto] : committed) {
        for (std::int64_t o = 0; o < upto; ++o) {
            if (written[p].count(o)) continue;
            if (missing++ == 0) first_missing = std::to_string(p) + "@" + std::to_string(o);
        }
        in_file += written[p].size();
    }
    INFO("committed " << committed_offsets::total(committed) << " of " << records << ", " << in_file
                      << " records in the file; first committed record missing from it: " << first_missing);
    CHECK(unparsable == 0);
    CHECK(missing == 0);
}

// Records that cannot be written (a full disk) are not committed either, also not by the
// library's own commits (auto-commit, the commit on close): a restart reads them again.
TEST_CASE("kafka-consume: stdout that cannot be written; exit 1, nothing committed, a restart reads every record",
          "[integration][cli]") {
    std::string mode = GENERATE(as<std::string>{}, "sync", "auto");
    INFO("--commit " << mode);
    auto topic = unique_name("cli-full");
    auto group = unique_name("cli-full");
    create_topic(topic, 2);
    std::vector<std::string> values;
    for (int i = 0; i < 20; ++i) values.push_back("v-" + std::to_string(i));
    kafka::test::produce_with_kcat(topic, values, "");
    auto args = [&](const std::string& out) {
        return "exec " + shell_quote(KAFKA_CONSUME_BIN) + " -b " + shell_quote(bootstrap()) + " -t " +
               shell_quote(topic) + " -g " + shell_quote(group) + " -o beginning -e --commit " + mode + " > " + out;
    };
    child full("kafka-consume", {"/bin/sh", "-c", args("/dev/full")});
    auto rc = full.exit_code(60s);
    INFO(full.transcript());
    CHECK(rc == 1);
    CHECK(has_line(full.err(),
                   [](auto& l) { return starts_with(l, "kafka-consume: writing records to stdout failed"); }));

    child again("kafka-consume", {"/bin/sh", "-c", args("/dev/stdout")});
    auto rc_again = again.exit_code(60s);
    INFO(again.transcript());
    CHECK(rc_again == 0);
    auto got = again.out();
    std::sort(got.begin(), got.end());
    std::sort(values.begin(), values.end());
    CHECK(got == values);
}

// A reader at the other end of a pipe gets each burst as it comes, not when later records push it
// out of kafka-consume's stdio buffer.
TEST_CASE("kafka-consume: in a pipeline every record of a burst arrives without more following", "[integration][cli]") {
    auto topic = unique_name("cli-pipe");
    create_topic(topic, 1);
    child c("kafka-consume", {KAFKA_CONSUME_BIN, "-b", bootstrap(), "-t", topic, "-o", "beginning", "-f", "%o %s\\n"});
    REQUIRE(wait_until(30s, [&] { return has_line(c.err(), [](auto& l) { return starts_with(l, "% assigned"); }); }));

    std::vector<std::string> want;
    for (int burst = 0; burst < 2; ++burst) {
        std::vector<std::string> values;
        for (int i = 0; i < 4; ++i) {
            values.push_back("burst-" + std::to_string(burst) + "-record-" + std::to_string(i));
            want.push_back(std::to_string(want.size()) + " " + values.back());
        }
        kafka::test::produce_with_kcat(topic, values, "");
        // Liveness, not speed: without a flush the burst would not arrive at all until more records came.
        bool arrived = c.wait_for_line([&](auto& l) { return l == want.back(); }, 20s);
        INFO("burst " << burst << "\n" << c.transcript());
        REQUIRE(arrived);
        CHECK(c.out() == want);
    }
    c.signal(SIGTERM);
    CHECK(c.exit_code(30s) == 0);
}

TEST_CASE("kafka-consume: -e with no records at all exits 0", "[integration][cli]") {
    auto topic = unique_name("cli-eof-empty");
    auto group = unique_name("cli-eof-empty");
    auto consume = [&](const std::vector<std::string>& extra) {
        std::vector<std::string> a{KAFKA_CONSUME_BIN, "-b", bootstrap(), "-t", topic};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };

    SECTION("an empty topic, its partitions assigned, then in a group") {
        create_topic(topic, 2);
        for (auto const& mode : {std::vector<std::string>{"-e"}, std::vector<std::string>{"-e", "-g", group}}) {
            child c("kafka-consume", consume(mode));
            auto rc = c.exit_code(30s);
            INFO(c.transcript());
            CHECK(rc == 0);
            CHECK(c.out().empty());
        }
    }
    SECTION("a group member that the rebalance gives no partition") {
        // One partition, two static members: range gives it to the first instance id, the holder.
        create_topic(topic, 1);
        auto member = [&](const std::string& instance) {
            return consume({"-g", group, "-X", "heartbeat.interval.ms=500", "-X", "group.instance.id=" + instance});
        };
        child holder("holder", member("a-holder"));
        REQUIRE(wait_until(60s, [&] {
            return has_line(holder.err(),
                            [&](auto& l) { return l == "% group " + group + ": assigned " + topic + "-0"; });
        }));
        auto args = member("b-eof");
        args.push_back("-e");
        child c("kafka-consume", args);
        auto rc = c.exit_code(60s);
        INFO(c.transcript() << holder.transcript());
        CHECK(rc == 0);
        CHECK(has_line(c.err(), [&](auto& l) { return l == "% group " + group + ": assigned "; }));
        holder.signal(SIGTERM);
        CHECK(holder.exit_code(30s) == 0);
    }
    SECTION("a topic that does not exist, in a group: a warning on stderr") {
        child c("kafka-consume", consume({"-e", "-g", group, "-X", "allow.auto.create.topics=false"}));
        auto rc = c.exit_code(30s);
        INFO(c.transcript());
        CHECK(rc == 0);
        CHECK(has_line(c.err(), [&](auto& l) {
            return starts_with(l, "%4|") &&
                   l.find("|WARN|kafka-consume| [Consumer clientId=kafka-consume, groupId=" + group + "] topic '" +
                          topic + "' does not exist") != std::string::npos;
        }));
    }
}

namespace {
std::size_t count_lines(const std::vector<std::string>& lines, const std::function<bool(const std::string&)>& pred) {
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), pred));
}
}  // namespace

TEST_CASE("kafka-consume: a wrong address is named with the reason on stderr within 5 s; exit 5 (cluster unreachable)",
          "[integration][cli]") {
    bool grouped = GENERATE(false, true);
    INFO((grouped ? "in a group" : "partitions assigned"));
    std::vector<std::string> args{
        KAFKA_CONSUME_BIN, "-b", "127.0.0.1:1", "-t", unique_name("cli-nowhere"), "-X", "default.api.timeout.ms=7000"};
    std::string group = unique_name("cli-nowhere");
    if (grouped) args.insert(args.end(), {"-g", group});
    auto start = std::chrono::steady_clock::now();
    child c("kafka-consume", args);
    auto refused = [&](const std::string& l) {
        return starts_with(l, "%4|") &&
               l.find(std::string("|WARN|kafka-consume| [Consumer clientId=kafka-consume") +
                      (grouped ? ", groupId=" + group : "") +
                      "] connection to 127.0.0.1:1 (bootstrap server) failed: Connection refused") != std::string::npos;
    };
    bool named = wait_until(5s, [&] { return has_line(c.err(), refused); });
    INFO("named after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
         << " ms");
    auto rc = c.exit_code(30s);
    INFO(c.transcript());
    CHECK(named);
    CHECK(rc == 5);
    CHECK(has_line(c.err(), [](auto& l) { return starts_with(l, "kafka-consume: cluster unreachable"); }));
    // About 15 attempts in 7 s (reconnect backoff 50 ms growing to 1 s), one line: the rest fall in its 10 s window.
    CHECK(count_lines(c.err(), [](auto& l) { return l.find("connection to 127.0.0.1:1") != std::string::npos; }) == 1);
}

TEST_CASE("kafka-consume: a topic that does not exist exits 3", "[integration][cli]") {
    auto topic = unique_name("cli-missing");
    child c("kafka-consume",
            {KAFKA_CONSUME_BIN, "-b", bootstrap(), "-t", topic, "-X", "allow.auto.create.topics=false"});
    auto rc = c.exit_code(30s);
    INFO(c.transcript());
    CHECK(rc == 3);
    CHECK(has_line(c.err(), [&](auto& l) { return l == "kafka-consume: topic '" + topic + "' does not exist"; }));
}

TEST_CASE("kafka-consume: a refused authentication is an error line naming the broker; exit 4", "[integration][cli]") {
    auto sasl = kafka::test::broker_env::get().var("KAFKA_BOOTSTRAP_SASL_PLAINTEXT");
    if (sasl.empty()) {
        WARN("no SASL_PLAINTEXT listener configured (KAFKA_BOOTSTRAP_SASL_PLAINTEXT): skipped");
        return;
    }
    auto start = std::chrono::steady_clock::now();
    child c("kafka-consume",
            {KAFKA_CONSUME_BIN, "-b", sasl, "-t", "conformance", "-X", "security.protocol=SASL_PLAINTEXT", "-X",
             "sasl.mechanism=PLAIN", "-X", "sasl.username=" + kafka::test::broker_env::get().var("KAFKA_SASL_USER"),
             "-X", "sasl.password=wrong-password"});
    auto rc = c.exit_code(30s);
    auto took = std::chrono::steady_clock::now() - start;
    INFO(c.transcript());
    CHECK(rc == 4);
    CHECK(took < 10s);
    CHECK(has_line(c.err(), [&](auto& l) {
        return starts_with(l, "%3|") &&
               l.find("|ERROR|kafka-consume| [Consumer clientId=kafka-consume] authentication with " + sasl +
                      " (bootstrap server) failed") != std::string::npos;
    }));
}

TEST_CASE(
    "kafka-consume: a ^regex topic (kcat -G), client-side under classic, the broker's under group.protocol=consumer",
    "[integration][cli][kip848]") {
    auto prefix = unique_name("cli-re");
    create_topic(prefix + "-a", 2);
    create_topic(prefix + "-b", 1);
    create_topic("x" + prefix, 1);  // does not match
    kafka::test::produce_with_kcat(prefix + "-a", {"a1", "a2", "a3"}, "");
    kafka::test::produce_with_kcat(prefix + "-b", {"b1", "b2"}, "");
    kafka::test::produce_with_kcat("x" + prefix, {"x1"}, "");
    std::vector<std::string> protocols{"classic"};
    if (kafka::test::broker_env::get().is_kafka4()) protocols.push_back("consumer");  // SubscribedTopicRegex: v1
    for (auto const& protocol : protocols) {
        child c("kafka-consume", {KAFKA_CONSUME_BIN, "-b", bootstrap(), "-g", unique_name("cli-re-" + protocol), "-t",
                                  "^" + prefix + "-.*", "-X", "group.protocol=" + protocol, "-c", "5"});
        auto rc = c.exit_code(60s);
        INFO(protocol << "\n" << c.transcript());
        CHECK(rc == 0);
        auto out = c.out();
        std::sort(out.begin(), out.end());
        CHECK(out == std::vector<std::string>{"a1", "a2", "a3", "b1", "b2"});
    }
    // --assignor names a client-side assignor, which the consumer protocol does not use: refused.
    child bad("kafka-consume", {KAFKA_CONSUME_BIN, "-b", bootstrap(), "-g", unique_name("cli-re-bad"), "-t",
                                prefix + "-a", "-X", "group.protocol=consumer", "--assignor", "sticky", "-c", "1"});
    CHECK(bad.exit_code(30s) == 1);
    CHECK(has_line(bad.err(), [](auto& l) { return l.find("group.remote.assignor") != std::string::npos; }));
}

#endif  // KAFKA_CONSUME_BIN
