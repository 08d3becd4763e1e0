// KafkaConsumer acceptance tests, in-process, against a real broker (Kafka 4.3 / 3.9 through the
// ctest fixtures of tests/integration/CMakeLists.txt). Data comes from a third-party producer
// (kcat): the fixture's `sample` topic (6000 records key-i:value-i over 6 partitions) and topics
// each test creates under a name unique to the run. Every wait is bounded.
//
//   sample                 subscribe + poll: all 6000 records once, key/value intact, offset order
//                          per partition, ConsumerRecords::partitions()/records(tp)/next_offsets()
//   offsets                beginningOffsets, endOffsets, offsetsForTimes, position, committed
//   seek                   seek, seekToBeginning, seekToEnd, seek out of range -> reset policy
//   pause                  pause stops a partition (even with data already fetched), resume restarts
//                          it where it stopped
//   headers                headers produced with kcat -H (repeated names, empty and null values)
//   assign                 assign() without group.id reads exactly one partition
//   commit/restart         commitSync after N records, close; Kafka's ConsumerGroupCommand shows the
//                          offsets; a restarted consumer resumes exactly there; commit on close
//   slow processing        10 s between polls with a 6 s session: same membership; a member joining
//                          meanwhile only gets partitions through a normal rebalance
//   max.poll.interval      exceeding it: the group rebalances without the member, which loses its
//                          partitions and rejoins at its next poll
//   wakeup / threads       wakeup() interrupts poll(60 s); a second thread gets
//                          concurrent_access_error; calls after close() throw
//   unknown / unreachable  unknown topic: poll returns empty on time; 127.0.0.1:1: poll returns
//                          empty, position/committed/commitSync throw timeout_error naming the cause
//   auto.offset.reset      none -> offset_out_of_range_error naming the partitions; earliest; latest
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <kafka/consumer.hpp>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace kafka::test::support;
using kafka::topic_partition;

struct manual_policies : kafka::default_policies {
    using offset_commit = kafka::commit::manual;
};
using auto_consumer = kafka::KafkaConsumer<std::string, std::string>;
using manual_consumer = kafka::KafkaConsumer<std::string, std::string, manual_policies>;

const std::string sample_topic = "sample";
constexpr int sample_partitions = 6;
constexpr std::size_t sample_records = 6000;

struct rec {
    std::int64_t offset = -1;
    std::string key, value;
    std::int64_t timestamp = -1;
};
using by_partition = std::map<topic_partition, std::vector<rec>>;

std::size_t total(const by_partition& m) {
    std::size_t n = 0;
    for (auto const& [tp, v] : m) n += v.size();
    return n;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<topic_partition> partitions_of(const std::string& topic, int n) {
    std::vector<topic_partition> out;
    for (int p = 0; p < n; ++p) out.push_back({topic, p});
    return out;
}

/// Empty when `recs` is self-consistent: one partition's records are consecutive and in offset
/// order, partitions() lists each partition once in order of appearance, records(tp) returns
/// exactly that partition's records, next_offsets() is last offset + 1.
template <class Records>
std::string batch_problem(const Records& recs) {
    std::vector<topic_partition> order;
    std::map<topic_partition, std::int64_t> last;
    for (auto const& r : recs) {
        topic_partition tp{r.topic(), r.partition()};
        if (order.empty() || order.back() != tp) {
            if (std::find(order.begin(), order.end(), tp) != order.end())
                return "records of " + tp.to_string() + " are interleaved with others";
            order.push_back(tp);
        }
        if (auto it = last.find(tp); it != last.end() && r.offset() <= it->second)
            return "offsets of " + tp.to_string() + " go backwards: " + std::to_string(it->second) + " then " +
                   std::to_string(r.offset());
        last[tp] = r.offset();
    }
    if (recs.partitions() != order) return "partitions() does not list the partitions in order of appearance";
    std::size_t n = 0;
    for (auto const& tp : order) {
        auto v = recs.records(tp);
        n += v.size();
        std::int64_t prev = -1;
        for (auto const& r : v) {
            if (r.topic() != tp.topic || r.partition() != tp.partition)
                return "records(" + tp.to_string() + ") returned another partition's record";
            if (r.offset() <= prev) return "records(" + tp.to_string() + ") out of order";
            prev = r.offset();
        }
    }
    if (n != recs.size())
        return "records(tp) over partitions() gives " + std::to_string(n) + " records, the batch has " +
               std::to_string(recs.size());
    if (!recs.records(topic_partition{"no-such-topic-in-batch", 0}).empty())
        return "records() of an absent partition is not empty";
    auto next = recs.next_offsets();
    if (next.size() != order.size()) return "next_offsets() has " + std::to_string(next.size()) + " partitions";
    for (auto const& [tp, om] : next)
        if (!last.count(tp) || om.offset != last[tp] + 1)
            return "next_offsets() of " + tp.to_string() + " is not last offset + 1";
    return "";
}

/// Polls until `want` records arrived in total (or `timeout`), checking each batch.
template <class Consumer>
by_partition drain(Consumer& c, std::size_t want, std::chrono::milliseconds timeout, std::vector<std::string>& problems,
                   by_partition out = {}) {
    auto deadline = steady::now() + timeout;
    while (total(out) < want && steady::now() < deadline) {
        auto recs = c.poll(500ms);
        if (auto p = batch_problem(recs); !p.empty() && problems.size() < 10) problems.push_back(p);
        for (auto const& r : recs)
            out[{r.topic(), r.partition()}].push_back({r.offset(), r.key(), r.value(), r.timestamp()});
    }
    return out;
}

/// Problems with `sample` data: offsets 0..n-1 per partition, key-i -> value-i, each i once.
std::vector<std::string> check_sample(const by_partition& got) {
    std::vector<std::string> bad;
    std::set<std::string> keys;
    for (auto const& [tp, v] : got) {
        if (tp.topic != sample_topic) bad.push_back("record of another topic: " + tp.to_string());
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i].offset != static_cast<std::int64_t>(i) && bad.size() < 20)
                bad.push_back(tp.to_string() + ": record #" + std::to_string(i) + " has offset " +
                              std::to_string(v[i].offset));
            if ((v[i].key.rfind("key-", 0) != 0 || v[i].value != "value-" + v[i].key.substr(4)) && bad.size() < 20)
                bad.push_back(tp.to_string() + "@" + std::to_string(v[i].offset) + ": key '" + v[i].key + "' value '" +
                              v[i].value + "'");
            if (!keys.insert(v[i].key).second && bad.size() < 20) bad.push_back("key " + v[i].key + " consumed twice");
        }
    }
    for (std::size_t i = 0; i < sample_records; ++i)
        if (!keys.count("key-" + std::to_string(i)) && bad.size() < 20)
            bad.push_back("key-" + std::to_string(i) + " missing");
    return bad;
}

// ---- rebalance event log ---------------------------------------------------------------------

struct rebalance_event {
    std::string member;
    std::string kind;  // assigned, revoked, lost
    std::vector<topic_partition> parts;
    steady::time_point at;
    std::thread::id thread;
};

class event_log {
public:
    kafka::rebalance_listener listener(const std::string& member) {
        kafka::rebalance_listener l;
        l.on_partitions_assigned = [this, member](auto const& p) { add(member, "assigned", p); };
        l.on_partitions_revoked = [this, member](auto const& p) { add(member, "revoked", p); };
        l.on_partitions_lost = [this, member](auto const& p) { add(member, "lost", p); };
        return l;
    }
    void add(const std::string& member, const std::string& kind, const std::vector<topic_partition>& parts) {
        std::lock_guard<std::mutex> g(m_);
        events_.push_back({member, kind, parts, steady::now(), std::this_thread::get_id()});
    }
    std::vector<rebalance_event> events() const {
        std::lock_guard<std::mutex> g(m_);
        return events_;
    }
    /// Who owns what after replaying the events in order; `overlaps` collects every assignment
    /// of a partition another member still owned.
    std::map<std::string, std::set<topic_partition>> owners(std::vector<std::string>* overlaps = nullptr) const {
        std::map<topic_partition, std::string> owner;
        for (auto const& e : events()) {
            for (auto const& tp : e.parts) {
                if (e.kind == "assigned") {
                    if (auto it = owner.find(tp); it != owner.end() && it->second != e.member && overlaps)
                        overlaps->push_back(tp.to_string() + " assigned to " + e.member + " while " + it->second +
                                            " owned it");
                    owner[tp] = e.member;
                } else if (auto it = owner.find(tp); it != owner.end() && it->second == e.member) {
                    owner.erase(it);
                }
            }
        }
        std::map<std::string, std::set<topic_partition>> out;
        for (auto const& [tp, m] : owner) out[m].insert(tp);
        return out;
    }
    std::string dump() const {
        std::ostringstream o;
        auto ev = events();
        auto t0 = ev.empty() ? steady::now() : ev.front().at;
        for (auto const& e : ev) {
            o << "  +" << std::chrono::duration_cast<std::chrono::milliseconds>(e.at - t0).count() << "ms " << e.member
              << ' ' << e.kind;
            for (auto const& tp : e.parts) o << ' ' << tp.to_string();
            o << '\n';
        }
        return o.str();
    }

private:
    mutable std::mutex m_;
    std::vector<rebalance_event> events_;
};

/// A consumer polling on a thread of its own until stopped (joined on destruction).
class background_member {
public:
    background_member(kafka::consumer_config cfg, std::string topic, event_log& log, std::string name)
        : thread_([this, cfg = std::move(cfg), topic = std::move(topic), &log, name = std::move(name)]() mutable {
              try {
                  auto_consumer c(std::move(cfg));
                  c.subscribe({topic}, log.listener(name));
                  while (!stop_) records_ += c.poll(200ms).size();
                  c.close();
              } catch (const std::exception& e) {
                  std::lock_guard<std::mutex> g(m_);
                  error_ = e.what();
              }
          }) {}
    ~background_member() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::string error() {
        std::lock_guard<std::mutex> g(m_);
        return error_;
    }
    std::size_t records() const { return records_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> records_{0};
    std::mutex m_;
    std::string error_;
    std::thread thread_;
};

}  // namespace

// ---- 2. sample: subscribe + poll ----------------------------------------------------------------

TEST_CASE("consumer: subscribe + poll reads all 6000 records of `sample` once, in offset order per partition",
          "[integration][consumer]") {
    manual_consumer c(
        make_config({{"group.id", unique_name("it-consumer-sample")}, {"auto.offset.reset", "earliest"}}));
    c.subscribe({sample_topic});
    std::vector<std::string> problems;
    auto t0 = steady::now();
    auto got = drain(c, sample_records, 60s, problems);
    INFO("consumed " << total(got) << " records in " << ms_since(t0) << " ms");
    REQUIRE(total(got) == sample_records);
    CHECK(problems == std::vector<std::string>{});
    CHECK(check_sample(got) == std::vector<std::string>{});
    CHECK(got.size() == sample_partitions);
    CHECK(c.poll(1s).empty());  // nothing more
    auto parts = partitions_of(sample_topic, sample_partitions);
    CHECK(c.assignment() == std::set<topic_partition>(parts.begin(), parts.end()));
    CHECK(c.subscription() == std::set<std::string>{sample_topic});
    CHECK(c.generation() > 0);
    CHECK_FALSE(c.member_id().empty());
    auto m = c.metrics();
    CHECK(m.records_consumed >= sample_records);
    for (auto const& tp : parts) {
        CHECK(m.lag[tp].lag == 0);
        CHECK(m.lag[tp].position == static_cast<std::int64_t>(got[tp].size()));
    }
    c.close();
}

TEST_CASE("consumer: beginningOffsets, endOffsets, offsetsForTimes, position and committed on `sample`",
          "[integration][consumer]") {
    manual_consumer c(
        make_config({{"group.id", unique_name("it-consumer-offsets")}, {"auto.offset.reset", "earliest"}}));
    c.subscribe({sample_topic});
    std::vector<std::string> problems;
    auto got = drain(c, sample_records, 60s, problems);
    REQUIRE(total(got) == sample_records);
    auto parts = partitions_of(sample_topic, sample_partitions);

    auto begin = c.beginningOffsets(parts);
    auto end = c.endOffsets(parts);
    REQUIRE(begin.size() == parts.size());
    REQUIRE(end.size() == parts.size());
    for (auto const& tp : parts) {
        INFO(tp.to_string());
        CHECK(begin[tp] == 0);
        CHECK(end[tp] == static_cast<std::int64_t>(got[tp].size()));
        CHECK(c.position(tp) == end[tp]);
    }

    // Nothing committed yet (manual commits), then everything, then one explicit offset with metadata.
    std::set<topic_partition> all(parts.begin(), parts.end());
    for (auto const& [tp, om] : c.committed(all)) CHECK_FALSE(om.has_value());
    c.commitSync();
    auto committed = c.committed(all);
    REQUIRE(committed.size() == parts.size());
    for (auto const& tp : parts) {
        INFO(tp.to_string());
        REQUIRE(committed[tp].has_value());
        CHECK(committed[tp]->offset == end[tp]);
    }
    c.commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{parts[0], {5, "it-meta", std::nullopt}}});
    auto one = c.committed({parts[0]});
    REQUIRE(one[parts[0]].has_value());
    CHECK(one[parts[0]]->offset == 5);
    CHECK(one[parts[0]]->metadata == "it-meta");

    // offsetsForTimes: the earliest offset whose timestamp is >= the query, per partition.
    std::map<topic_partition, std::int64_t> query;
    std::map<topic_partition, std::size_t> expected;
    for (auto const& tp : parts) {
        auto const& v = got[tp];
        REQUIRE(v.size() > 2);
        auto ts = v[v.size() / 2].timestamp;
        std::size_t i = 0;
        while (v[i].timestamp < ts) ++i;
        query[tp] = ts;
        expected[tp] = i;
    }
    auto found = c.offsetsForTimes(query);
    REQUIRE(found.size() == parts.size());
    for (auto const& tp : parts) {
        INFO(tp.to_string() << " timestamp " << query[tp]);
        REQUIRE(found[tp].has_value());
        CHECK(found[tp]->offset == got[tp][expected[tp]].offset);
        CHECK(found[tp]->timestamp == got[tp][expected[tp]].timestamp);
    }
    std::int64_t max_ts = 0;
    for (auto const& [tp, v] : got)
        for (auto const& r : v) max_ts = std::max(max_ts, r.timestamp);
    auto edges = c.offsetsForTimes({{parts[0], 0}, {parts[1], max_ts + 3600 * 1000}});
    REQUIRE(edges[parts[0]].has_value());
    CHECK(edges[parts[0]]->offset == 0);
    CHECK(edges[parts[0]]->timestamp == got[parts[0]][0].timestamp);
    CHECK_FALSE(edges[parts[1]].has_value());  // no record that late: null, as Java
    c.close();
}

TEST_CASE("consumer: seek, seekToBeginning and seekToEnd move the position where expected", "[integration][consumer]") {
    manual_consumer c(make_config({{"group.id", unique_name("it-consumer-seek")}, {"auto.offset.reset", "earliest"}}));
    c.subscribe({sample_topic});
    std::vector<std::string> problems;
    auto got = drain(c, sample_records, 60s, problems);
    REQUIRE(total(got) == sample_records);
    auto parts = partitions_of(sample_topic, sample_partitions);
    auto end = c.endOffsets(parts);
    auto tp0 = parts[0], tp1 = parts[1], tp2 = parts[2];
    REQUIRE(end[tp0] > 200);

    // Reads `tp` from the current position to its end: its offsets, in order.
    auto read_to_end = [&](const topic_partition& tp) {
        std::vector<std::int64_t> offsets;
        std::size_t others = 0;
        auto deadline = steady::now() + 30s;
        while (steady::now() < deadline && (offsets.empty() || offsets.back() + 1 < end[tp])) {
            for (auto const& r : c.poll(500ms)) {
                if (r.partition() == tp.partition)
                    offsets.push_back(r.offset());
                else
                    ++others;
            }
        }
        CHECK(others == 0);  // every other partition is at its end
        return offsets;
    };
    auto contiguous = [](const std::vector<std::int64_t>& v, std::int64_t from, std::int64_t to) {
        if (v.size() != static_cast<std::size_t>(to - from)) return false;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i] != from + static_cast<std::int64_t>(i)) return false;
        return true;
    };

    SECTION("seek") {
        c.seek(tp0, 100);
        CHECK(c.position(tp0) == 100);
        auto offs = read_to_end(tp0);
        REQUIRE_FALSE(offs.empty());
        CHECK(offs.front() == 100);
        CHECK(contiguous(offs, 100, end[tp0]));
        CHECK(c.position(tp0) == end[tp0]);
    }
    SECTION("seekToBeginning") {
        c.seekToBeginning({tp1});
        CHECK(c.position(tp1) == 0);
        auto offs = read_to_end(tp1);
        CHECK(contiguous(offs, 0, end[tp1]));
    }
    SECTION("seekToEnd") {
        c.seekToBeginning({tp2});
        CHECK(c.position(tp2) == 0);
        c.seekToEnd({tp2});
        CHECK(c.position(tp2) == end[tp2]);
        CHECK(c.poll(1s).empty());
    }
    SECTION("an empty list means every assigned partition") {
        c.seekToBeginning({});
        for (auto const& tp : parts) CHECK(c.position(tp) == 0);
        c.seekToEnd({});
        for (auto const& tp : parts) CHECK(c.position(tp) == end[tp]);
    }
    SECTION("a seek past the end is out of range: auto.offset.reset (earliest) applies") {
        c.seek(tp0, end[tp0] + 1000);
        auto offs = read_to_end(tp0);
        CHECK(contiguous(offs, 0, end[tp0]));
    }
    c.close();
}

TEST_CASE("consumer: pause stops a partition's records, resume restarts it where it stopped",
          "[integration][consumer]") {
    manual_consumer c(make_config({{"group.id", unique_name("it-consumer-pause")}, {"auto.offset.reset", "earliest"}}));
    c.subscribe({sample_topic});
    auto parts = partitions_of(sample_topic, sample_partitions);
    by_partition got;
    // The first batch: its partition has more data, likely already fetched (pipelining) when paused.
    auto deadline = steady::now() + 30s;
    while (got.empty() && steady::now() < deadline)
        for (auto const& r : c.poll(500ms))
            got[{r.topic(), r.partition()}].push_back({r.offset(), r.key(), r.value(), r.timestamp()});
    REQUIRE_FALSE(got.empty());
    auto end = c.endOffsets(parts);
    auto tpx = got.begin()->first;
    auto stopped_at = got[tpx].back().offset + 1;
    REQUIRE(stopped_at < end[tpx]);  // max.poll.records (500) < a partition's ~1000 records

    c.pause({tpx});
    CHECK(c.paused() == std::set<topic_partition>{tpx});
    std::size_t want_others = 0;
    for (auto const& tp : parts)
        if (tp != tpx) want_others += static_cast<std::size_t>(end[tp]);
    std::size_t others = 0, paused_records = 0;
    auto count = [&] {
        others = 0;
        for (auto const& [tp, v] : got)
            if (tp != tpx) others += v.size();
    };
    deadline = steady::now() + 30s;
    for (count(); others < want_others && steady::now() < deadline; count()) {
        for (auto const& r : c.poll(500ms)) {
            if (r.partition() == tpx.partition)
                ++paused_records;
            else
                got[{r.topic(), r.partition()}].push_back({r.offset(), r.key(), r.value(), r.timestamp()});
        }
    }
    CHECK(others == want_others);
    for (int i = 0; i < 3; ++i)
        for (auto const& r : c.poll(300ms))
            if (r.partition() == tpx.partition) ++paused_records;
    CHECK(paused_records == 0);
    CHECK(c.position(tpx) == stopped_at);

    c.resume({tpx});
    CHECK(c.paused().empty());
    std::vector<std::int64_t> after;
    deadline = steady::now() + 30s;
    while (steady::now() < deadline && (after.empty() || after.back() + 1 < end[tpx]))
        for (auto const& r : c.poll(500ms))
            if (r.partition() == tpx.partition) after.push_back(r.offset());
    REQUIRE_FALSE(after.empty());
    CHECK(after.front() == stopped_at);
    CHECK(after.size() == static_cast<std::size_t>(end[tpx] - stopped_at));
    CHECK(after.back() == end[tpx] - 1);
    c.close();
}

TEST_CASE("consumer: headers produced with kcat -H arrive intact", "[integration][consumer]") {
    auto topic = unique_name("it-consumer-headers");
    create_topic(topic, 1);
    produce(topic, {"k1:v1", "k2:v2", "k3:v3"}, "-K : -H h1=v1 -H h2= -H h3 -H h1=again");
    auto_consumer c(make_config({{"group.id", unique_name("it-consumer-headers")}, {"auto.offset.reset", "earliest"}}));
    c.subscribe({topic});
    struct seen_record {
        std::string key, value;
        std::vector<std::pair<std::string, std::optional<std::string>>> headers;
    };
    std::vector<seen_record> seen;
    auto deadline = steady::now() + 30s;
    while (seen.size() < 3 && steady::now() < deadline) {
        for (auto const& r : c.poll(500ms)) {
            seen_record s{r.key(), r.value(), {}};
            for (auto const& h : r.headers())
                s.headers.emplace_back(
                    std::string(h.key),
                    h.value ? std::optional<std::string>(std::string(kafka::as_string_view(*h.value))) : std::nullopt);
            seen.push_back(std::move(s));
        }
    }
    REQUIRE(seen.size() == 3);
    std::vector<std::pair<std::string, std::optional<std::string>>> want{
        {"h1", "v1"}, {"h2", ""}, {"h3", std::nullopt}, {"h1", "again"}};
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("record " << i);
        CHECK(seen[i].key == "k" + std::to_string(i + 1));
        CHECK(seen[i].value == "v" + std::to_string(i + 1));
        CHECK(seen[i].headers == want);
    }
    c.close();
}

TEST_CASE("consumer: assign() without group.id reads exactly one partition", "[integration][consumer]") {
    auto_consumer c(make_config({{"auto.offset.reset", "earliest"}}));  // no group.id
    topic_partition tp{sample_topic, 3};
    c.assign({tp});
    CHECK(c.assignment() == std::set<topic_partition>{tp});
    CHECK(c.subscription().empty());
    auto end = c.endOffsets({tp})[tp];
    REQUIRE(end > 0);
    std::vector<std::string> problems;
    auto got = drain(c, static_cast<std::size_t>(end), 30s, problems);
    CHECK(problems == std::vector<std::string>{});
    REQUIRE(got.size() == 1);
    REQUIRE(got.begin()->first == tp);
    auto const& v = got[tp];
    REQUIRE(v.size() == static_cast<std::size_t>(end));
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].offset != static_cast<std::int64_t>(i) || v[i].value != "value-" + v[i].key.substr(4)) {
            FAIL_CHECK("record #" << i << ": offset " << v[i].offset << " key " << v[i].key << " value " << v[i].value);
            break;
        }
    }
    CHECK(c.poll(500ms).empty());
    CHECK(c.position(tp) == end);
    // Group operations need group.id (Java's InvalidGroupIdException).
    CHECK_THROWS_AS(c.commitSync(), kafka::kafka_error);
    CHECK_THROWS_AS(c.committed({tp}), kafka::kafka_error);
    CHECK_THROWS_AS(c.subscribe({sample_topic}), kafka::kafka_error);
    c.close();
}

// ---- 4. commit, stop, restart ------------------------------------------------------------------

TEST_CASE(
    "consumer: commitSync after N records, close, ConsumerGroupCommand shows the offsets, a restart resumes there",
    "[integration][consumer]") {
    auto topic = unique_name("it-consumer-restart");
    auto group = unique_name("it-consumer-restart");
    create_topic(topic, 3);
    constexpr int per_partition = 100;
    for (int p = 0; p < 3; ++p) {
        std::vector<std::string> lines;
        for (int i = 0; i < per_partition; ++i)
            lines.push_back("p" + std::to_string(p) + "-" + std::to_string(i) + ":v" + std::to_string(i));
        produce(topic, lines, "-K : -p " + std::to_string(p));
    }
    auto cfg = make_config({{"group.id", group}, {"auto.offset.reset", "earliest"}, {"max.poll.records", "40"}});
    constexpr std::size_t n = 150;
    std::map<topic_partition, kafka::offset_and_metadata> processed;  // next offset per partition
    {
        manual_consumer c(cfg);
        c.subscribe({topic});
        std::size_t done = 0;
        auto deadline = steady::now() + 30s;
        while (done < n && steady::now() < deadline) {
            for (auto const& r : c.poll(500ms)) {
                if (done == n) break;  // the rest of this batch is not processed
                processed[{r.topic(), r.partition()}] = {r.offset() + 1, "", r.leader_epoch()};
                ++done;
            }
        }
        REQUIRE(done == n);
        c.commitSync(processed);
        c.close();
    }
    std::int64_t committed_total = 0;
    for (auto const& [tp, om] : processed) committed_total += om.offset;
    REQUIRE(committed_total == static_cast<std::int64_t>(n));

    // Kafka's own view of the group. Without active members it lists the committed partitions only.
    std::string raw;
    auto described = describe_group(group, topic, &raw);
    INFO("ConsumerGroupCommand --describe:\n" << raw);
    std::map<int, std::optional<std::int64_t>> shown, want;
    for (auto const& [p, o] : described)
        if (o.current) shown[p] = o.current;
    for (auto const& [tp, om] : processed) want[tp.partition] = om.offset;
    CHECK(shown == want);
    for (auto const& [p, o] : described) CHECK(o.log_end == std::optional<std::int64_t>(per_partition));

    // Restart: resumes exactly at the committed offsets, and reads the rest once.
    manual_consumer c(cfg);
    c.subscribe({topic});
    std::vector<std::string> problems;
    auto rest = drain(c, 3 * per_partition - n, 30s, problems);
    CHECK(problems == std::vector<std::string>{});
    CHECK(total(rest) == 3 * per_partition - n);
    for (int p = 0; p < 3; ++p) {
        topic_partition tp{topic, p};
        std::int64_t from = processed.count(tp) ? processed[tp].offset : 0;
        auto const& v = rest[tp];
        INFO(tp.to_string() << " committed " << from);
        CHECK(v.size() == static_cast<std::size_t>(per_partition - from));
        if (!v.empty()) {
            CHECK(v.front().offset == from);
            CHECK(v.front().key == "p" + std::to_string(p) + "-" + std::to_string(from));
        }
    }
    auto committed = c.committed({{topic, 0}, {topic, 1}, {topic, 2}});
    for (auto const& [tp, om] : processed) CHECK(committed[tp] == std::optional<kafka::offset_and_metadata>(om));
    c.close();
}

TEST_CASE("consumer: the auto-commit policy commits what was consumed when the consumer closes",
          "[integration][consumer]") {
    auto topic = unique_name("it-consumer-autocommit");
    auto group = unique_name("it-consumer-autocommit");
    create_topic(topic, 2);
    std::vector<std::string> lines;
    for (int i = 0; i < 200; ++i) lines.push_back("k" + std::to_string(i) + ":v" + std::to_string(i));
    produce(topic, lines);
    auto cfg =
        make_config({{"group.id", group}, {"auto.offset.reset", "earliest"}, {"auto.commit.interval.ms", "60000"}});
    std::map<topic_partition, std::int64_t> end;
    {
        auto_consumer c(cfg);
        c.subscribe({topic});
        std::vector<std::string> problems;
        auto got = drain(c, 200, 30s, problems);
        REQUIRE(total(got) == 200);
        end = c.endOffsets(partitions_of(topic, 2));
        c.close();
    }
    std::string raw;
    auto described = describe_group(group, topic, &raw);
    INFO("ConsumerGroupCommand --describe:\n" << raw);
    for (auto const& [tp, e] : end) {
        INFO(tp.to_string());
        CHECK(described[tp.partition].current == std::optional<std::int64_t>(e));
    }
}

// Java: a consumer with group.id commits and reads committed offsets without joining the group
// (a "simple" consumer: nothing subscribed, or partitions taken with assign()). The consumer looks the
// group coordinator up for that itself. default.api.timeout.ms leaves room for a fresh broker, whose
// first FindCoordinator creates __consumer_offsets (COORDINATOR_NOT_AVAILABLE for a few seconds).
TEST_CASE("consumer: committed() and commitSync() work without subscribe(): a fresh consumer, and one using assign()",
          "[integration][consumer]") {
    auto topic = unique_name("it-consumer-simple");
    auto group = unique_name("it-consumer-simple");
    create_topic(topic, 2);
    for (int p = 0; p < 2; ++p) {
        std::vector<std::string> lines;
        for (int i = 0; i < 10; ++i) lines.push_back("k" + std::to_string(p) + "-" + std::to_string(i) + ":v");
        produce(topic, lines, "-K : -p " + std::to_string(p));
    }
    topic_partition tp0{topic, 0}, tp1{topic, 1};
    auto cfg =
        make_config({{"group.id", group}, {"default.api.timeout.ms", "30000"}, {"auto.offset.reset", "earliest"}});
    using offsets = std::map<topic_partition, kafka::offset_and_metadata>;

    SECTION("a consumer that was only constructed") {
        manual_consumer c(cfg);
        std::map<topic_partition, std::optional<kafka::offset_and_metadata>> committed;
        REQUIRE_NOTHROW(committed = c.committed({tp0, tp1}));
        CHECK_FALSE(committed[tp0].has_value());
        CHECK_FALSE(committed[tp1].has_value());
        REQUIRE_NOTHROW(c.commitSync(offsets{{tp0, {3, "", std::nullopt}}, {tp1, {4, "", std::nullopt}}}));
        committed = c.committed({tp0, tp1});
        REQUIRE(committed[tp0].has_value());
        CHECK(committed[tp0]->offset == 3);
        REQUIRE(committed[tp1].has_value());
        CHECK(committed[tp1]->offset == 4);
        c.close();
        auto described = describe_group(group, topic);
        CHECK(described[0].current == std::optional<std::int64_t>(3));
        CHECK(described[1].current == std::optional<std::int64_t>(4));
    }
    SECTION("assign() with group.id: commit before the first poll, resume from it, commit the positions") {
        manual_consumer c(cfg);
        c.assign({tp0, tp1});
        REQUIRE_NOTHROW(c.commitSync(offsets{{tp0, {5, "", std::nullopt}}}));
        std::vector<std::string> problems;
        auto got = drain(c, 15, 20s, problems);  // tp0 from 5, tp1 from 0
        CHECK(got[tp0].size() == 5);
        CHECK(got[tp1].size() == 10);
        if (!got[tp0].empty()) CHECK(got[tp0].front().offset == 5);
        REQUIRE_NOTHROW(c.commitSync());
        c.close();
        auto described = describe_group(group, topic);
        CHECK(described[0].current == std::optional<std::int64_t>(10));
        CHECK(described[1].current == std::optional<std::int64_t>(10));
    }
    SECTION("assign() with group.id on a fresh consumer: commitAsync finds the coordinator itself, its callback runs") {
        manual_consumer c(cfg);
        c.assign({tp0, tp1});
        std::vector<std::string> problems;
        auto got = drain(c, 20, 20s, problems);
        REQUIRE(got[tp0].size() + got[tp1].size() == 20);
        int calls = 0;
        std::error_code result = make_error_code(kafka::client_errc::illegal_state);
        c.commitAsync([&](const offsets& o, std::error_code ec) {
            ++calls;
            result = ec;
            CHECK(o.at(tp0).offset == 10);
            CHECK(o.at(tp1).offset == 10);
        });
        auto until = std::chrono::steady_clock::now() + 20s;
        while (calls == 0 && std::chrono::steady_clock::now() < until) c.poll(100ms);
        CHECK(calls == 1);
        CHECK_FALSE(result);
        c.close();
        auto described = describe_group(group, topic);
        CHECK(described[0].current == std::optional<std::int64_t>(10));
        CHECK(described[1].current == std::optional<std::int64_t>(10));
    }
}

// ---- 5. slow processing and max.poll.interval.ms -------------------------------------------------

TEST_CASE(
    "consumer: slow processing within max.poll.interval.ms keeps the membership; a joining member waits for a "
    "normal rebalance",
    "[integration][consumer][slow]") {
    auto topic = unique_name("it-consumer-slow");
    auto group = unique_name("it-consumer-slow");
    create_topic(topic, 6);
    std::vector<std::string> lines;
    for (int i = 0; i < 60; ++i) lines.push_back("k" + std::to_string(i) + ":v" + std::to_string(i));
    produce(topic, lines);
    std::map<std::string, std::string> timing{{"group.id", group},
                                              {"auto.offset.reset", "earliest"},
                                              {"session.timeout.ms", "6000"},
                                              {"heartbeat.interval.ms", "1000"},
                                              {"max.poll.interval.ms", "30000"}};
    event_log log;
    auto_consumer a(make_config(timing));
    a.subscribe({topic}, log.listener("A"));
    std::size_t a_records = 0;
    REQUIRE(wait_until(
        30s,
        [&] {
            a_records += a.poll(500ms).size();
            return a.assignment().size() == 6 && a_records == 60;
        },
        0ms));
    auto gen = a.generation();
    auto member = a.member_id();
    auto events_before = log.events().size();

    // Two processing pauses longer than the session timeout: the heartbeat thread keeps A in.
    for (int round = 0; round < 2; ++round) {
        std::this_thread::sleep_for(10s);
        produce(topic, {"late-" + std::to_string(round) + ":x"});
        std::size_t got = 0;
        auto t0 = steady::now();
        while (got == 0 && ms_since(t0) < 5000) got += a.poll(1s).size();
        INFO("round " << round << "\n" << log.dump());
        CHECK(got == 1);
        CHECK(log.events().size() == events_before);  // no revocation, no loss, no new assignment
        CHECK(a.generation() == gen);
        CHECK(a.member_id() == member);
        CHECK(a.assignment().size() == 6);
    }

    // B joins while A sleeps again: B gets nothing until A revokes in its next poll.
    auto b_cfg = timing;
    b_cfg["max.poll.interval.ms"] = "300000";
    background_member b(make_config(b_cfg), topic, log, "B");
    auto slept_from = steady::now();
    std::this_thread::sleep_for(10s);
    {
        std::vector<std::string> overlaps;
        auto owners = log.owners(&overlaps);
        INFO(log.dump());
        CHECK(overlaps == std::vector<std::string>{});
        CHECK(owners["A"].size() == 6);  // nothing was taken from A behind its back
        CHECK(owners["B"].empty());
    }
    auto resumed = steady::now();
    std::vector<std::string> overlaps;
    std::map<std::string, std::set<topic_partition>> owners;
    bool split = wait_until(
        30s,
        [&] {
            a.poll(500ms);
            owners = log.owners(&overlaps);
            return owners["A"].size() == 3 && owners["B"].size() == 3;
        },
        0ms);
    b.stop();
    INFO(log.dump());
    CHECK(b.error() == "");
    REQUIRE(split);
    CHECK(overlaps == std::vector<std::string>{});
    CHECK(a.generation() > gen);
    // A gave its partitions up through revocation (a normal rebalance), never lost them.
    int revoked = 0, lost = 0;
    for (auto const& e : log.events()) {
        if (e.member != "A") continue;
        if (e.kind == "revoked" && !e.parts.empty()) {
            ++revoked;
            CHECK(e.at >= resumed);  // inside A's poll, not while A slept
        }
        if (e.kind == "lost") ++lost;
    }
    CHECK(revoked >= 1);
    CHECK(lost == 0);
    // B's first partitions came after A's revocation, i.e. after A's sleep.
    for (auto const& e : log.events())
        if (e.member == "B" && e.kind == "assigned" && !e.parts.empty()) {
            CHECK(e.at >= slept_from + 9s);
            break;
        }
    // Callbacks run on the thread that called poll (A's: this one).
    for (auto const& e : log.events())
        if (e.member == "A") CHECK(e.thread == std::this_thread::get_id());
    a.close();
}

namespace {
/// What happened when a member slept past max.poll.interval.ms; see poll_timeout_scenario().
struct poll_timeout_outcome {
    std::vector<rebalance_event> events;
    std::string timeline;
    std::size_t events_at_wakeup = 0;       // A's events from here on come from its next poll...
    std::size_t events_at_rejoin = 0;       // ...up to here, when the group was split again
    std::optional<long long> b_got_all_ms;  // when B owned all 6 partitions, since A's last poll
    bool rejoined = false;
    std::int32_t generation_before = -1, generation_after = -1;
    std::string member_before, member_after;
    std::set<topic_partition> a_partitions;  // A's share before it slept
    std::string b_error;
    std::vector<std::string> a_log;  // A's warn/error log lines
};

/// A (max.poll.interval.ms=8000) and B share 6 partitions; A sleeps 12 s between two polls, then
/// polls until the group is split again. Run once and shared by the two test cases below.
const poll_timeout_outcome& poll_timeout_scenario() {
    static std::optional<poll_timeout_outcome> cached;
    if (cached) return *cached;
    poll_timeout_outcome out;
    auto topic = unique_name("it-consumer-pollint");
    auto group = unique_name("it-consumer-pollint");
    create_topic(topic, 6);
    produce(topic, {"k0:v0", "k1:v1", "k2:v2", "k3:v3", "k4:v4", "k5:v5"});
    std::map<std::string, std::string> timing{{"group.id", group},
                                              {"auto.offset.reset", "earliest"},
                                              {"session.timeout.ms", "6000"},
                                              {"heartbeat.interval.ms", "1000"},
                                              {"max.poll.interval.ms", "8000"}};
    event_log log;
    std::mutex log_mutex;
    std::vector<std::string> a_log;
    auto_consumer a(make_config(timing));
    a.set_log_handler([&](kafka::log_level level, const std::string& line) {
        if (level < kafka::log_level::warn) return;
        std::lock_guard<std::mutex> g(log_mutex);
        a_log.push_back(line);
    });
    a.subscribe({topic}, log.listener("A"));
    REQUIRE(wait_until(
        30s,
        [&] {
            a.poll(500ms);
            return a.assignment().size() == 6;
        },
        0ms));
    auto b_cfg = timing;
    b_cfg["max.poll.interval.ms"] = "300000";
    background_member b(make_config(b_cfg), topic, log, "B");
    std::map<std::string, std::set<topic_partition>> owners;
    REQUIRE(wait_until(
        30s,
        [&] {
            a.poll(500ms);
            owners = log.owners();
            return owners["A"].size() == 3 && owners["B"].size() == 3;
        },
        0ms));
    out.generation_before = a.generation();
    out.member_before = a.member_id();
    out.a_partitions = owners["A"];

    // 12 s without poll: after 8 s A's heartbeat thread leaves the group and B takes everything.
    auto slept_from = steady::now();
    std::this_thread::sleep_for(12s);
    std::set<topic_partition> b_owned;
    for (auto const& e : log.events()) {
        if (e.member != "B") continue;
        for (auto const& tp : e.parts) {
            if (e.kind == "assigned")
                b_owned.insert(tp);
            else
                b_owned.erase(tp);
        }
        if (b_owned.size() == 6 && e.at > slept_from && !out.b_got_all_ms)
            out.b_got_all_ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.at - slept_from).count();
    }
    out.events_at_wakeup = log.events().size();

    // A's next poll: it rejoins and the group splits the partitions again.
    out.rejoined = wait_until(
        30s,
        [&] {
            a.poll(500ms);
            owners = log.owners();
            return owners["A"].size() == 3 && owners["B"].size() == 3;
        },
        0ms);
    out.events_at_rejoin = log.events().size();
    out.generation_after = a.generation();
    out.member_after = a.member_id();
    b.stop();
    a.close();
    out.b_error = b.error();
    out.events = log.events();
    out.timeline = log.dump();
    {
        std::lock_guard<std::mutex> g(log_mutex);
        out.a_log = a_log;
    }
    cached = std::move(out);
    return *cached;
}
}  // namespace

TEST_CASE("consumer: exceeding max.poll.interval.ms: the group rebalances without the member; its next poll rejoins",
          "[integration][consumer][slow]") {
    auto const& o = poll_timeout_scenario();
    INFO(o.timeline);
    CHECK(o.b_error == "");
    REQUIRE(o.b_got_all_ms.has_value());  // the group rebalanced without A while A slept
    CHECK(*o.b_got_all_ms >= 7000);       // not before max.poll.interval.ms
    CHECK(*o.b_got_all_ms < 12000);
    CHECK(o.rejoined);
    CHECK(o.generation_after > o.generation_before);
    CHECK_FALSE(o.member_after.empty());
    CHECK(o.member_after != o.member_before);
    // A's partitions left A's assignment at its next poll (revoked or lost).
    std::set<topic_partition> released;
    for (std::size_t i = o.events_at_wakeup; i < o.events_at_rejoin; ++i)
        if (o.events[i].member == "A" && o.events[i].kind != "assigned")
            released.insert(o.events[i].parts.begin(), o.events[i].parts.end());
    CHECK(released == o.a_partitions);
}

// Java: after leaving the group on a poll timeout, the next poll calls onPartitionsLost only
// (ConsumerCoordinator.onJoinPrepare: the generation was reset, so the partitions are lost, not
// revoked, and nothing is committed for them).
TEST_CASE("consumer: exceeding max.poll.interval.ms: the member's partitions are reported lost, not revoked (Java)",
          "[integration][consumer][slow]") {
    auto const& o = poll_timeout_scenario();
    INFO(o.timeline);
    std::set<topic_partition> lost, revoked;
    for (std::size_t i = o.events_at_wakeup; i < o.events_at_rejoin; ++i) {
        if (o.events[i].member != "A") continue;
        if (o.events[i].kind == "lost") lost.insert(o.events[i].parts.begin(), o.events[i].parts.end());
        if (o.events[i].kind == "revoked") revoked.insert(o.events[i].parts.begin(), o.events[i].parts.end());
    }
    CHECK(lost == o.a_partitions);
    CHECK(revoked.empty());
    // The lines the consumer logs about a commit it tried ("commit of offsets ... failed", "commit
    // before revocation failed"); the lost-partitions line itself says they were not committed.
    std::vector<std::string> commit_warnings;
    for (auto const& l : o.a_log)
        if (l.find("commit of offsets") != std::string::npos || l.find("commit before revocation") != std::string::npos)
            commit_warnings.push_back(l);
    CHECK(commit_warnings == std::vector<std::string>{});  // no commit attempted for lost partitions
}

// ---- 6. wakeup, threads, close -------------------------------------------------------------------

TEST_CASE("consumer: wakeup() interrupts poll, a second thread gets concurrent_access_error, calls after close() throw",
          "[integration][consumer]") {
    auto topic = unique_name("it-consumer-wakeup");
    create_topic(topic, 1);
    auto group = unique_name("it-consumer-wakeup");
    auto_consumer c(make_config({{"group.id", group}, {"auto.offset.reset", "earliest"}}));
    // A listener may call the consumer from inside poll (same thread): that is not concurrent access.
    std::string listener_error;
    bool listener_called = false;
    kafka::rebalance_listener l;
    l.on_partitions_assigned = [&](const std::vector<topic_partition>& parts) {
        listener_called = true;
        try {
            (void)c.committed({parts.begin(), parts.end()});
            (void)c.assignment();
        } catch (const std::exception& e) {
            listener_error = e.what();
        }
    };
    c.subscribe({topic}, l);
    REQUIRE(wait_until(
        30s,
        [&] {
            c.poll(500ms);
            return c.assignment().size() == 1;
        },
        0ms));
    CHECK(listener_called);
    CHECK(listener_error == "");

    SECTION("wakeup() from another thread interrupts poll(60 s) within a second") {
        std::string outcome;
        steady::time_point woke{};
        std::thread t([&] {
            try {
                (void)c.poll(60s);
                outcome = "poll returned without wakeup_error";
            } catch (const kafka::wakeup_error&) {
                woke = steady::now();
                outcome = "wakeup_error";
            } catch (const std::exception& e) {
                outcome = std::string("other exception: ") + e.what();
            }
        });
        std::this_thread::sleep_for(1s);
        auto sent = steady::now();
        c.wakeup();
        t.join();
        CHECK(outcome == "wakeup_error");
        CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(woke - sent).count() < 1000);
        // The wakeup was consumed: the consumer works normally again.
        auto t0 = steady::now();
        CHECK_NOTHROW(c.poll(300ms));
        CHECK(ms_since(t0) >= 250);
    }
    SECTION("a wakeup() before the call makes the next blocking call throw at once, once") {
        c.wakeup();
        auto t0 = steady::now();
        CHECK_THROWS_AS(c.poll(10s), kafka::wakeup_error);
        CHECK(ms_since(t0) < 1000);
        CHECK_NOTHROW(c.poll(100ms));
    }
    SECTION("a second thread calling the consumer while one polls gets concurrent_access_error") {
        std::atomic<bool> entering{false};
        std::string outcome;
        std::thread t([&] {
            entering = true;
            try {
                (void)c.poll(2s);
                outcome = "ok";
            } catch (const std::exception& e) {
                outcome = e.what();
            }
        });
        while (!entering) std::this_thread::yield();
        std::this_thread::sleep_for(300ms);
        CHECK_THROWS_AS(c.poll(0ms), kafka::concurrent_access_error);
        CHECK_THROWS_AS(c.commitSync(), kafka::concurrent_access_error);
        CHECK_THROWS_AS(c.assignment(), kafka::concurrent_access_error);
        CHECK_THROWS_AS(c.position({topic, 0}), kafka::concurrent_access_error);
        t.join();
        CHECK(outcome == "ok");        // the polling thread was not disturbed
        CHECK_NOTHROW(c.poll(100ms));  // and the consumer is free again
    }
    SECTION("after close() every call throws; close() again is harmless") {
        c.close();
        auto closed = [](auto&& call) {
            try {
                call();
            } catch (const kafka::kafka_error& e) {
                return e.code() == kafka::client_errc::closed;
            } catch (...) {
            }
            return false;
        };
        topic_partition tp{topic, 0};
        CHECK(closed([&] { c.poll(100ms); }));
        CHECK(closed([&] { c.subscribe({topic}); }));
        CHECK(closed([&] { c.assign({tp}); }));
        CHECK(closed([&] { c.commitSync(); }));
        CHECK(closed([&] { c.commitAsync(); }));
        CHECK(closed([&] { c.position(tp); }));
        CHECK(closed([&] { c.committed({tp}); }));
        CHECK(closed([&] { c.seek(tp, 0); }));
        CHECK(closed([&] { c.pause({tp}); }));
        CHECK(closed([&] { c.endOffsets({tp}); }));
        CHECK(closed([&] { c.assignment(); }));
        CHECK_NOTHROW(c.close());
        CHECK_NOTHROW(c.wakeup());
    }
}

// ---- 7. unknown topic, unreachable broker -------------------------------------------------------

TEST_CASE("consumer: a subscription to a topic that does not exist polls empty on time", "[integration][consumer]") {
    auto missing = unique_name("it-consumer-missing");
    auto_consumer c(make_config({{"group.id", unique_name("it-consumer-missing")},
                                 {"allow.auto.create.topics", "false"},
                                 {"auto.offset.reset", "earliest"}}));
    c.subscribe({missing});
    for (int i = 0; i < 2; ++i) {
        auto t0 = steady::now();
        auto recs = c.poll(2s);
        auto ms = ms_since(t0);
        INFO("poll " << i << " took " << ms << " ms");
        CHECK(recs.empty());
        CHECK(ms >= 1900);
        CHECK(ms < 3500);
    }
    CHECK(c.assignment().empty());
    auto t0 = steady::now();
    c.close(5s);
    CHECK(ms_since(t0) < 5500);

    // The same for a manually assigned partition of a missing topic.
    auto_consumer m(make_config({{"allow.auto.create.topics", "false"}, {"auto.offset.reset", "earliest"}}));
    m.assign({{missing, 0}});
    t0 = steady::now();
    CHECK(m.poll(2s).empty());
    CHECK(ms_since(t0) >= 1900);
    CHECK(ms_since(t0) < 3500);
}

// Java's consumer notices a subscribed topic created later at its next metadata refresh and
// rejoins (ConsumerCoordinator.rejoinNeededOrPending: the metadata snapshot no longer matches the
// one the assignment was made with), also when none of the subscribed topics existed at the last
// assignment.
TEST_CASE("consumer: a subscribed topic created after subscribe() is picked up", "[integration][consumer]") {
    auto topic = unique_name("it-consumer-later");
    auto_consumer c(make_config({{"group.id", unique_name("it-consumer-later")},
                                 {"allow.auto.create.topics", "false"},
                                 {"metadata.max.age.ms", "1000"},
                                 {"auto.offset.reset", "earliest"}}));
    c.subscribe({topic});
    CHECK(c.poll(2s).empty());
    create_topic(topic, 2);
    produce(topic, {"a:1", "b:2", "c:3", "d:4"});
    std::size_t got = 0;
    auto t0 = steady::now();
    while (got < 4 && ms_since(t0) < 20000) got += c.poll(500ms).size();
    INFO("waited " << ms_since(t0) << " ms");
    CHECK(got == 4);
    CHECK(c.assignment().size() == 2);
    c.close(5s);
}

TEST_CASE(
    "consumer: an unreachable bootstrap server: poll returns empty, position/committed/commitSync throw "
    "timeout_error naming the cause",
    "[integration][consumer]") {
    auto cfg = make_config({{"bootstrap.servers", "127.0.0.1:1"},
                            {"group.id", unique_name("it-consumer-unreachable")},
                            {"default.api.timeout.ms", "3000"}});
    auto_consumer c(cfg);
    c.subscribe({"unreachable-topic"});
    auto t0 = steady::now();
    CHECK(c.poll(2s).empty());
    CHECK(ms_since(t0) >= 1900);
    CHECK(ms_since(t0) < 4000);

    c.unsubscribe();
    topic_partition tp{"unreachable-topic", 0};
    c.assign({tp});
    auto times_out = [&](const char* what, auto&& call) {
        INFO(what);
        auto start = steady::now();
        std::string message;
        bool timed_out = false;
        try {
            call();
        } catch (const kafka::timeout_error& e) {
            timed_out = true;
            message = e.what();
        } catch (const std::exception& e) {
            message = std::string("not a timeout_error: ") + e.what();
        }
        auto ms = ms_since(start);
        INFO("after " << ms << " ms: " << message);
        CHECK(timed_out);
        CHECK(ms >= 2500);
        CHECK(ms < 5000);
        CHECK(lower(message).find("refused") != std::string::npos);  // ECONNREFUSED from 127.0.0.1:1
    };
    times_out("position()", [&] { (void)c.position(tp); });
    times_out("committed()", [&] { (void)c.committed({tp}); });
    times_out("commitSync(offsets)", [&] {
        c.commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{tp, {1, "", std::nullopt}}});
    });
    t0 = steady::now();
    CHECK_NOTHROW(c.close(5s));
    CHECK(ms_since(t0) < 5500);
}

// ---- 8. auto.offset.reset ----------------------------------------------------------------------

TEST_CASE("consumer: auto.offset.reset none / earliest / latest on a new group", "[integration][consumer]") {
    auto topic = unique_name("it-consumer-reset");
    create_topic(topic, 3);
    for (int p = 0; p < 3; ++p) {
        std::vector<std::string> lines;
        for (int i = 0; i < 10; ++i) lines.push_back("k" + std::to_string(p) + "-" + std::to_string(i) + ":v");
        produce(topic, lines, "-K : -p " + std::to_string(p));
    }
    auto parts = partitions_of(topic, 3);

    SECTION("none: poll throws offset_out_of_range_error naming every partition without a committed offset") {
        auto_consumer c(
            make_config({{"group.id", unique_name("it-consumer-reset-none")}, {"auto.offset.reset", "none"}}));
        c.subscribe({topic});
        std::optional<kafka::offset_out_of_range_error> error;
        auto t0 = steady::now();
        std::size_t records = 0;
        while (!error && ms_since(t0) < 20000) {
            try {
                records += c.poll(500ms).size();
            } catch (const kafka::offset_out_of_range_error& e) {
                error = e;
            }
        }
        CHECK(records == 0);
        REQUIRE(error.has_value());
        INFO(error->what());
        std::set<topic_partition> named;
        for (auto const& [tp, off] : error->partitions()) named.insert(tp);
        CHECK(named == std::set<topic_partition>(parts.begin(), parts.end()));
        std::string what = error->what();
        for (auto const& tp : parts) CHECK(what.find(tp.to_string()) != std::string::npos);
        // As Java's NoOffsetForPartitionException: the application seeks, then polls normally.
        c.seekToBeginning({});
        std::vector<std::string> problems;
        auto got = drain(c, 30, 20s, problems);
        CHECK(total(got) == 30);
        c.close();
    }
    SECTION("none with committed offsets: resumes there, no error") {
        auto group = unique_name("it-consumer-reset-none-committed");
        reset_group_offsets(group, topic, 7);  // committed by Kafka's ConsumerGroupCommand
        auto_consumer c(make_config({{"group.id", group}, {"auto.offset.reset", "none"}}));
        c.subscribe({topic});
        std::vector<std::string> problems;
        by_partition got;
        REQUIRE_NOTHROW(got = drain(c, 9, 20s, problems));
        CHECK(total(got) == 9);
        for (auto const& [tp, v] : got) {
            REQUIRE_FALSE(v.empty());
            CHECK(v.front().offset == 7);
        }
        c.close();
    }
    SECTION("earliest: a new group reads from the first offset") {
        auto_consumer c(
            make_config({{"group.id", unique_name("it-consumer-reset-earliest")}, {"auto.offset.reset", "earliest"}}));
        c.subscribe({topic});
        std::vector<std::string> problems;
        auto got = drain(c, 30, 20s, problems);
        CHECK(total(got) == 30);
        for (auto const& [tp, v] : got) {
            REQUIRE(v.size() == 10);
            CHECK(v.front().offset == 0);
        }
        c.close();
    }
    SECTION("latest: a new group reads only what is produced after it is positioned") {
        auto_consumer c(
            make_config({{"group.id", unique_name("it-consumer-reset-latest")}, {"auto.offset.reset", "latest"}}));
        c.subscribe({topic});
        std::size_t early = 0;
        REQUIRE(wait_until(
            30s,
            [&] {
                early += c.poll(300ms).size();
                return c.assignment().size() == 3;
            },
            0ms));
        for (auto const& tp : parts) CHECK(c.position(tp) == 10);
        CHECK(early == 0);
        produce(topic, {"new-0:x", "new-1:x", "new-2:x", "new-3:x", "new-4:x"}, "-K : -p 1");
        std::vector<std::string> problems;
        auto got = drain(c, 5, 20s, problems);
        CHECK(total(got) == 5);
        CHECK(got.size() == 1);
        for (auto const& [tp, v] : got) {
            CHECK(tp.partition == 1);
            REQUIRE_FALSE(v.empty());
            CHECK(v.front().offset == 10);
            CHECK(v.front().key == "new-0");
        }
        c.close();
    }
}
