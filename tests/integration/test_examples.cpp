// The example programs of examples/ run as separate processes against the real broker, on topics
// filled by kcat, and judged by what they print:
//
//   custom_assignor       two static members; the pinned partitions go where the pins say (not
//                         where range would put them), the rest by range, and each member
//                         consumes only its own partitions' records
//   custom_deserializer   bad CSV values are reported with their offsets and skipped; every good
//                         record before and after them is parsed
//   manual_commit         commits after processing; a restart resumes at the committed offset; a
//                         crash between processing and commit replays only the uncommitted records
//   prometheus_exporter   serves metrics() in Prometheus' text format over HTTP; the records-consumed
//                         counter equals what was produced, and the lag of every partition is 0
//   tls_consumer          reads over the SSL listener (KAFKA_CA_FILE) and over SASL_SSL with SCRAM;
//                         a CA that did not sign the broker's certificate fails fast and clearly
//   record_pipelines      each partition's non-empty records inserted once, in offset order, in
//                         batches of N within a poll; commits follow the inserts; a restart resumes there
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_env.hpp"
#include "example_process.hpp"

#if defined(CUSTOM_ASSIGNOR_BIN) && defined(CUSTOM_DESERIALIZER_BIN) && defined(MANUAL_COMMIT_BIN) && \
    defined(TLS_CONSUMER_BIN)

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::proc;

const kafka::test::broker_env& env() { return kafka::test::broker_env::get(); }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// "record: TOPIC-P@OFFSET REST" -> {P, OFFSET, REST} (for records of `topic`).
struct printed_record {
    int partition = -1;
    long long offset = -1;
    std::string rest;
};
std::vector<printed_record> records_of(const child& c, const std::string& topic,
                                       const std::string& prefix = "record: ") {
    std::vector<printed_record> out;
    for (auto const& l : c.lines(prefix)) {
        auto at = l.find('@');
        if (at == std::string::npos || !starts_with(l, topic + "-")) continue;
        printed_record r;
        r.partition = std::stoi(l.substr(topic.size() + 1, at - topic.size() - 1));
        auto sp = l.find(' ', at);
        r.offset = std::stoll(l.substr(at + 1, sp == std::string::npos ? std::string::npos : sp - at - 1));
        if (sp != std::string::npos) r.rest = l.substr(sp + 1);
        out.push_back(r);
    }
    return out;
}

std::string last_assignment(const child& c) {
    auto v = c.lines("assignment:");
    return v.empty() ? std::string("<none>") : v.back();
}

}  // namespace

TEST_CASE("examples: custom_assignor pins partitions by group.instance.id and ranges the rest", "[examples]") {
    auto topic = unique_name("ex-pinned");
    auto group = unique_name("ex-pinned-group");
    create_topic(topic, 4);
    auto t = [&](int p) { return " " + topic + "-" + std::to_string(p); };
    // Pins: partition 0 to pin-b, partition 3 to pin-a. Partitions 1 and 2 are left to range:
    // pin-a (first by instance id) gets 1, pin-b gets 2. Plain range would give pin-a 0 and 1.
    auto args = [&](const std::string& instance) {
        return std::vector<std::string>{CUSTOM_ASSIGNOR_BIN,
                                        env().bootstrap(),
                                        topic,
                                        group,
                                        instance,
                                        "--pin",
                                        "0=pin-b",
                                        "--pin",
                                        "3=pin-a",
                                        "--max",
                                        "6",
                                        "--timeout",
                                        "120",
                                        "session.timeout.ms=6000",
                                        "heartbeat.interval.ms=1000"};
    };

    child a("pin-a", args("pin-a"));
    // Alone, pin-a leads and also gets the partition pinned to the absent pin-b (range fallback).
    bool alone = a.wait_for_line([&](auto& l) { return l == "assignment:" + t(0) + t(1) + t(2) + t(3); }, 60s);
    INFO(a.transcript());
    REQUIRE(alone);
    auto leader_lines = a.lines("leader: ");
    CHECK(std::find(leader_lines.begin(), leader_lines.end(), topic + "-0 -> pin-a (range)") != leader_lines.end());
    CHECK(std::find(leader_lines.begin(), leader_lines.end(), topic + "-3 -> pin-a (pinned)") != leader_lines.end());

    child b("pin-b", args("pin-b"));
    bool split = b.wait_for_line([&](auto& l) { return l == "assignment:" + t(0) + t(2); }, 60s) &&
                 a.wait_for_line([&](auto& l) { return l == "assignment:" + t(1) + t(3); }, 30s);
    INFO(b.transcript());
    REQUIRE(split);
    // The leader (pin-a) computed it: the pins, then range.
    leader_lines = a.lines("leader: ");
    REQUIRE(leader_lines.size() >= 4);
    std::vector<std::string> last(leader_lines.end() - 4, leader_lines.end());
    std::sort(last.begin(), last.end());
    CHECK(last == std::vector<std::string>{topic + "-0 -> pin-b (pinned)", topic + "-1 -> pin-a (range)",
                                           topic + "-2 -> pin-b (range)", topic + "-3 -> pin-a (pinned)"});
    CHECK(b.lines("leader: ").empty());

    // Three records per partition, produced after the split: each member reads only its own.
    for (int p = 0; p < 4; ++p)
        produce(topic,
                {"k" + std::to_string(p) + "-0:v", "k" + std::to_string(p) + "-1:v", "k" + std::to_string(p) + "-2:v"},
                "-K : -p " + std::to_string(p));
    auto rc_a = a.exit_code(60s), rc_b = b.exit_code(60s);
    INFO("after both exited:\n" << a.transcript() << b.transcript());
    CHECK(rc_a == 0);
    CHECK(rc_b == 0);
    auto partitions_of = [&](const child& c) {
        std::multiset<int> s;
        for (auto const& r : records_of(c, topic)) s.insert(r.partition);
        return s;
    };
    CHECK(partitions_of(a) == std::multiset<int>{1, 1, 1, 3, 3, 3});
    CHECK(partitions_of(b) == std::multiset<int>{0, 0, 0, 2, 2, 2});
    CHECK(last_assignment(a) == t(1) + t(3));
    CHECK(last_assignment(b) == t(0) + t(2));
}

namespace {

// Runs custom_deserializer over 7 values, 3 of them bad, with `extra` consumer properties.
void run_custom_deserializer(const std::vector<std::string>& extra) {
    auto topic = unique_name("ex-payments");
    create_topic(topic, 1);
    produce(topic,
            {"1,10.50,EUR",    // 0
             "2,12.5,USD",     // 1
             "3,abc,USD",      // 2: amount is not a number
             "4,7,GBP",        // 3
             "not a payment",  // 4: not three fields
             "5,0.99,JPY",     // 5
             "6,1.00,eur"},    // 6: currency in lower case
            "-p 0");
    std::vector<std::string> args{
        CUSTOM_DESERIALIZER_BIN, env().bootstrap(), topic, unique_name("ex-payments-group"), "7", "30"};
    args.insert(args.end(), extra.begin(), extra.end());
    child c("custom_deserializer", args);
    auto rc = c.exit_code(60s);
    INFO(c.transcript());
    REQUIRE(rc == 0);

    auto good = records_of(c, topic, "payment: ");
    std::map<long long, std::string> by_offset;
    for (auto const& r : good) by_offset[r.offset] = r.rest;
    CHECK(good.size() == 4);
    CHECK(by_offset == std::map<long long, std::string>{{0, "id=1 amount=10.50 currency=EUR"},
                                                        {1, "id=2 amount=12.50 currency=USD"},
                                                        {3, "id=4 amount=7.00 currency=GBP"},
                                                        {5, "id=5 amount=0.99 currency=JPY"}});
    auto bad = c.lines("bad record: ");
    REQUIRE(bad.size() == 3);
    CHECK(starts_with(bad[0], topic + "-0@2: "));
    CHECK(bad[0].find("amount 'abc' is not an integer") != std::string::npos);
    CHECK(bad[0].find("offset 2 of " + topic + "-0") != std::string::npos);  // the library's message names it too
    CHECK(starts_with(bad[1], topic + "-0@4: "));
    CHECK(bad[1].find("expected 3 comma-separated fields") != std::string::npos);
    CHECK(starts_with(bad[2], topic + "-0@6: "));
    CHECK(bad[2].find("currency 'eur'") != std::string::npos);
    CHECK(c.lines("done: ") == std::vector<std::string>{"4 good, 3 bad"});
    // Output order: each bad record is reported after the good ones before it.
    std::vector<long long> order;
    for (auto const& l : c.out()) {
        auto at = l.find('@');
        if ((starts_with(l, "payment: ") || starts_with(l, "bad record: ")) && at != std::string::npos)
            order.push_back(std::stoll(l.substr(at + 1)));
    }
    CHECK(order == std::vector<long long>{0, 1, 2, 3, 4, 5, 6});
}

}  // namespace

TEST_CASE("examples: custom_deserializer reports bad records by offset and continues past them (one record per poll)",
          "[examples]") {
    // Each bad record is then the first of its poll: poll() throws record_deserialization_error.
    run_custom_deserializer({"max.poll.records=1"});
}

// A bad record after good ones in the same poll: poll() returns the good ones, and the next poll
// reports the bad one (the position stays on it until the user seeks past it).
TEST_CASE("examples: custom_deserializer reports bad records by offset and continues past them (batched polls)",
          "[examples]") {
    run_custom_deserializer({});
}

TEST_CASE("examples: manual_commit resumes at the committed offset and replays only the uncommitted tail",
          "[examples]") {
    auto topic = unique_name("ex-manual");
    auto group = unique_name("ex-manual-group");
    create_topic(topic, 1);
    std::vector<std::string> values;
    for (int i = 0; i < 20; ++i) values.push_back("v-" + std::to_string(i));
    produce(topic, values, "-p 0");
    auto tp = topic + "-0";
    std::vector<std::string> common{"max.poll.records=3", "session.timeout.ms=6000", "heartbeat.interval.ms=1000"};
    auto args = [&](std::vector<std::string> a) {
        std::vector<std::string> v{MANUAL_COMMIT_BIN, env().bootstrap(), topic, group};
        v.insert(v.end(), a.begin(), a.end());
        v.insert(v.end(), common.begin(), common.end());
        return v;
    };
    auto offsets_of = [&](const child& c) {
        std::vector<long long> v;
        for (auto const& r : records_of(c, topic)) {
            CHECK(r.rest == "v-" + std::to_string(r.offset));
            v.push_back(r.offset);
        }
        return v;
    };
    auto range = [](long long from, long long to) {
        std::vector<long long> v;
        for (auto i = from; i < to; ++i) v.push_back(i);
        return v;
    };

    // 1. At least 7 records, whole polls of at most 3, each committed after processing.
    long long k = 0;
    {
        child first("first", args({"7", "60"}));
        auto rc = first.exit_code(90s);
        INFO(first.transcript());
        REQUIRE(rc == 0);
        CHECK(first.lines("resume: ") == std::vector<std::string>{tp + " at none"});
        auto got = offsets_of(first);
        k = static_cast<long long>(got.size());
        CHECK(k >= 7);
        CHECK(k <= 9);
        CHECK(got == range(0, k));
        auto commits = first.lines("committed: ");
        REQUIRE(!commits.empty());
        CHECK(commits.back() == tp + "=" + std::to_string(k));
    }

    // 2. Resumes at k; processes 4 records and "crashes" before committing the poll holding the 4th.
    long long committed = 0;
    {
        child second("second", args({"--crash-after", "4", "100", "60"}));
        auto rc = second.exit_code(90s);
        INFO(second.transcript());
        CHECK(rc == 3);
        CHECK(second.lines("resume: ") == std::vector<std::string>{tp + " at " + std::to_string(k)});
        auto got = offsets_of(second);
        CHECK(got == range(k, k + 4));
        auto commits = second.lines("committed: ");
        REQUIRE(!commits.empty());
        committed = std::stoll(commits.back().substr(commits.back().find('=') + 1));
        CHECK(committed > k);
        CHECK(committed < k + 4);  // the 4th record's poll was not committed
        CHECK(second.lines("crash: ") == std::vector<std::string>{"after 4 records"});
    }

    // 3. Resumes at the last commit: the records processed after it are delivered again (at least
    //    once), then everything to the end, nothing skipped.
    {
        auto left = 20 - committed;
        child third("third", args({std::to_string(left), "60"}));
        auto rc = third.exit_code(90s);
        INFO(third.transcript());
        REQUIRE(rc == 0);
        CHECK(third.lines("resume: ") == std::vector<std::string>{tp + " at " + std::to_string(committed)});
        CHECK(offsets_of(third) == range(committed, 20));
        auto commits = third.lines("committed: ");
        REQUIRE(!commits.empty());
        CHECK(commits.back() == tp + "=20");
    }
}

TEST_CASE("examples: tls_consumer reads over the SSL and SASL_SSL listeners", "[examples]") {
    auto ssl = env().var("KAFKA_BOOTSTRAP_SSL");
    auto ca = env().var("KAFKA_CA_FILE");
    if (ssl.empty() || ca.empty()) {
        WARN("no SSL listener configured (KAFKA_BOOTSTRAP_SSL, KAFKA_CA_FILE): skipped");
        return;
    }
    auto topic = unique_name("ex-tls");
    create_topic(topic, 2);
    std::vector<std::string> lines;
    for (int i = 0; i < 10; ++i) lines.push_back("k-" + std::to_string(i) + ":v-" + std::to_string(i));
    produce(topic, lines, "-K :");
    auto check_records = [&](const child& c) {
        auto got = records_of(c, topic);
        std::set<std::string> seen;
        for (auto const& r : got) seen.insert(r.rest);
        std::set<std::string> want;
        for (int i = 0; i < 10; ++i) want.insert("k-" + std::to_string(i) + "=v-" + std::to_string(i));
        CHECK(got.size() == 10);
        CHECK(seen == want);
    };

    SECTION("SSL, broker verified against the test CA") {
        child c("tls_consumer", {TLS_CONSUMER_BIN, ssl, topic, unique_name("ex-tls-group"), "--ca", ca, "--max", "10",
                                 "--timeout", "60"});
        auto rc = c.exit_code(90s);
        INFO(c.transcript());
        REQUIRE(rc == 0);
        CHECK(c.lines("security: ") == std::vector<std::string>{"SSL"});
        check_records(c);
    }
    SECTION("SSL with a client certificate") {
        auto cert = env().var("KAFKA_CLIENT_CERT"), key = env().var("KAFKA_CLIENT_KEY");
        if (cert.empty() || key.empty()) return;
        child c("tls_consumer", {TLS_CONSUMER_BIN, ssl, topic, unique_name("ex-tls-group"), "--ca", ca, "--cert", cert,
                                 "--key", key, "--max", "10", "--timeout", "60"});
        auto rc = c.exit_code(90s);
        INFO(c.transcript());
        REQUIRE(rc == 0);
        check_records(c);
    }
    SECTION("SASL_SSL with SCRAM-SHA-512") {
        auto sasl_ssl = env().var("KAFKA_BOOTSTRAP_SASL_SSL");
        if (sasl_ssl.empty()) {
            WARN("no SASL_SSL listener configured (KAFKA_BOOTSTRAP_SASL_SSL): skipped");
            return;
        }
        child c("tls_consumer", {TLS_CONSUMER_BIN, sasl_ssl, topic, unique_name("ex-tls-group"), "--ca", ca, "--sasl",
                                 "SCRAM-SHA-512", "--user", env().var("KAFKA_SASL_USER"), "--password",
                                 env().var("KAFKA_SASL_PASSWORD"), "--max", "10", "--timeout", "60"});
        auto rc = c.exit_code(90s);
        INFO(c.transcript());
        REQUIRE(rc == 0);
        CHECK(c.lines("security: ") ==
              std::vector<std::string>{"SASL_SSL SCRAM-SHA-512 as " + env().var("KAFKA_SASL_USER")});
        check_records(c);
    }
    SECTION("a CA that did not sign the broker's certificate: a clear error, exit 1, no hang") {
        auto other = env().var("KAFKA_OTHER_CA_FILE");
        if (other.empty()) return;
        auto start = steady::now();
        child c("tls_consumer", {TLS_CONSUMER_BIN, ssl, topic, unique_name("ex-tls-group"), "--ca", other, "--max",
                                 "10", "--timeout", "60"});
        auto rc = c.exit_code(90s);
        INFO(c.transcript());
        CHECK(rc == 1);
        CHECK(steady::now() - start < 30s);
        bool explained = false;
        for (auto const& l : c.err()) explained = explained || l.find("certificate verify failed") != std::string::npos;
        CHECK(explained);
        CHECK(records_of(c, topic).empty());
    }
}

#endif

#ifdef PROMETHEUS_EXPORTER_BIN

namespace {
// GET `path` from 127.0.0.1:`port` (HTTP/1.0, the server closes after its answer).
std::string http_get(int port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return {};
    }
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return {};
    }
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}
}  // namespace

TEST_CASE("examples: prometheus_exporter serves Java-named metrics that match what was consumed",
          "[examples][metrics]") {
    auto topic = unique_name("ex-prom");
    create_topic(topic, 3);
    std::vector<std::string> lines;
    for (int i = 0; i < 300; ++i) lines.push_back("k" + std::to_string(i) + ":v" + std::to_string(i));
    produce(topic, lines, "-K :");
    child c("prometheus_exporter",
            {PROMETHEUS_EXPORTER_BIN, env().bootstrap(), topic, unique_name("ex-prom-group"), "0", "300"});
    std::string listening;
    REQUIRE(c.wait_for_line(
        [&](auto& l) { return l.rfind("listening on 127.0.0.1:", 0) == 0 && (listening = l, true); }, 30s));
    auto port = std::stoi(listening.substr(std::string("listening on 127.0.0.1:").size()));
    bool consumed = c.wait_for_line([](auto& l) { return l == "consumed 300"; }, 90s);
    INFO(c.transcript());
    REQUIRE(consumed);
    // The statistics callback renders once a second: wait for a rendering that has all 300.
    std::string want = "kafka_consumer_fetch_manager_records_consumed_total{client_id=\"prometheus-example\",topic=\"" +
                       topic + "\"} 300";
    std::string body;
    auto deadline = steady::now() + 20s;
    while (steady::now() < deadline) {
        body = http_get(port, "/metrics");
        if (body.find(want) != std::string::npos) break;
        std::this_thread::sleep_for(200ms);
    }
    INFO(body);
    CHECK(body.rfind("HTTP/1.0 200 OK", 0) == 0);
    CHECK(body.find(want) != std::string::npos);
    CHECK(body.find("# TYPE kafka_consumer_fetch_manager_records_consumed_total counter") != std::string::npos);
    for (int p = 0; p < 3; ++p)
        CHECK(body.find("kafka_consumer_fetch_manager_records_lag{client_id=\"prometheus-example\",partition=\"" +
                        std::to_string(p) + "\",topic=\"" + topic + "\"} 0") != std::string::npos);
    CHECK(body.find("kafka_consumer_coordinator_rebalance_total{client_id=\"prometheus-example\"} 1") !=
          std::string::npos);
    CHECK(body.find("kafka_consumer_coordinator_assigned_partitions{client_id=\"prometheus-example\"} 3") !=
          std::string::npos);
    CHECK(http_get(port, "/other").rfind("HTTP/1.0 404", 0) == 0);
}

#endif

#ifdef RECORD_PIPELINES_BIN

namespace {

/// What record_pipelines printed, in order: its insert batches and its commits.
struct pipeline_output {
    struct batch {
        int partition = -1;
        std::size_t n = 0;                                    // what the line says
        std::vector<std::pair<long long, std::string>> rows;  // OFFSET, "KEY=VALUE"
    };
    std::vector<batch> batches;
    std::vector<std::string> lines;  // "insert"/"committed" lines in order, to check commits follow inserts
};

pipeline_output parse_pipeline(const kafka::test::proc::child& c, const std::string& topic) {
    pipeline_output out;
    for (auto const& l : c.out()) {
        if (l.rfind("committed: ", 0) == 0) out.lines.push_back(l);
        if (l.rfind("insert: ", 0) != 0) continue;
        out.lines.push_back(l);
        std::istringstream in(l.substr(std::string("insert: ").size()));
        std::string where, n, row;
        in >> where >> n;
        pipeline_output::batch b;
        REQUIRE(where.rfind(topic + "-", 0) == 0);
        b.partition = std::stoi(where.substr(topic.size() + 1));
        REQUIRE(n.rfind("n=", 0) == 0);
        b.n = std::stoul(n.substr(2));
        while (in >> row) {
            auto colon = row.find(':');
            REQUIRE(colon != std::string::npos);
            b.rows.emplace_back(std::stoll(row.substr(0, colon)), row.substr(colon + 1));
        }
        out.batches.push_back(std::move(b));
    }
    return out;
}

}  // namespace

TEST_CASE("examples: record_pipelines inserts each partition's non-empty records in batches, then commits",
          "[examples]") {
    using namespace kafka::test::proc;
    auto const& env = kafka::test::broker_env::get();
    auto topic = unique_name("ex-pipelines");
    auto group = unique_name("ex-pipelines-group");
    create_topic(topic, 3);
    // 8 records per partition, values "v<P>-<I>"; records 3 and 7 have an empty value (skipped).
    std::map<int, std::vector<long long>> want_offsets;
    for (int p = 0; p < 3; ++p) {
        std::vector<std::string> lines;
        for (int i = 0; i < 8; ++i) {
            auto k = std::to_string(p) + "-" + std::to_string(i);
            lines.push_back("k" + k + ":" + (i % 4 == 3 ? std::string() : "v" + k));
            if (i % 4 != 3) want_offsets[p].push_back(i);
        }
        produce(topic, lines, "-K : -p " + std::to_string(p));
    }
    auto args = [&](const std::string& max) {  // MAX records, 60 s at most, batches of 3
        return std::vector<std::string>{RECORD_PIPELINES_BIN,
                                        env.bootstrap(),
                                        topic,
                                        group,
                                        max,
                                        "60",
                                        "3",
                                        "max.poll.records=5",
                                        "session.timeout.ms=6000",
                                        "heartbeat.interval.ms=1000"};
    };

    child first("record_pipelines", args("24"));
    auto rc = first.exit_code(90s);
    INFO(first.transcript());
    REQUIRE(rc == 0);
    auto got = parse_pipeline(first, topic);

    // Every non-empty record inserted once, in offset order per partition, with its key and value.
    std::map<int, std::vector<long long>> offsets;
    std::size_t rows = 0;
    for (auto const& b : got.batches) {
        CHECK(b.n == b.rows.size());
        CHECK(b.n >= 1);
        CHECK(b.n <= 3);
        rows += b.rows.size();
        for (auto const& [offset, kv] : b.rows) {
            auto k = std::to_string(b.partition) + "-" + std::to_string(offset);
            CHECK(kv == "k" + k + "=v" + k);
            offsets[b.partition].push_back(offset);
        }
    }
    CHECK(offsets == want_offsets);
    CHECK(rows == 18);
    CHECK(first.lines("done: ") ==
          std::vector<std::string>{"24 records, 18 rows in " + std::to_string(got.batches.size()) + " batches"});

    // Between two commits (one poll), a partition's batches are full but for its last one; a
    // commit comes after the inserts of every row below the offsets it commits.
    std::map<int, std::vector<std::size_t>> poll_batches;
    std::map<int, std::set<long long>> inserted;
    std::map<int, long long> last_commit;
    std::size_t bi = 0;
    for (auto const& l : got.lines) {
        if (l.rfind("insert: ", 0) == 0) {
            auto const& b = got.batches[bi++];
            poll_batches[b.partition].push_back(b.n);
            for (auto const& r : b.rows) inserted[b.partition].insert(r.first);
            continue;
        }
        for (auto& [p, sizes] : poll_batches)
            for (std::size_t i = 0; i + 1 < sizes.size(); ++i) CHECK(sizes[i] == 3);
        poll_batches.clear();
        std::istringstream in(l.substr(std::string("committed: ").size()));
        std::string entry;
        while (in >> entry) {
            auto eq = entry.find('=');
            REQUIRE(eq != std::string::npos);
            int p = std::stoi(entry.substr(topic.size() + 1, eq - topic.size() - 1));
            long long committed = std::stoll(entry.substr(eq + 1));
            for (auto o : want_offsets[p])
                if (o < committed) CHECK(inserted[p].count(o) == 1);
            last_commit[p] = committed;
        }
    }
    CHECK(poll_batches.empty());  // the last inserts were committed too
    CHECK(last_commit == std::map<int, long long>{{0, 8}, {1, 8}, {2, 8}});

    // A restart resumes at the commits: only what was produced since is inserted.
    produce(topic, {"k1-8:v1-8", "k1-9:v1-9"}, "-K : -p 1");
    child second("record_pipelines", args("2"));
    rc = second.exit_code(90s);
    INFO(second.transcript());
    REQUIRE(rc == 0);
    auto again = parse_pipeline(second, topic);
    REQUIRE(again.batches.size() == 1);
    CHECK(again.batches[0].partition == 1);
    CHECK(again.batches[0].rows == std::vector<std::pair<long long, std::string>>{{8, "k1-8=v1-8"}, {9, "k1-9=v1-9"}});
    CHECK(second.lines("committed: ").back() == topic + "-1=10");
}

#endif
