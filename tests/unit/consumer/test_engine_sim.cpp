// The real engine (KafkaConsumer: network client, fetcher, group coordinator) against a fake
// cluster over the in-memory transport, on simulated time: each test covers seconds or minutes of
// simulated time in milliseconds of real time, and never sleeps.
#include <kafka/consumer.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using kafka::errc;
using kafka::topic_partition;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;

namespace {

struct sim_policies : kafka::default_policies {
    using transport = kt::in_memory_transport;
    using offset_commit = kafka::commit::manual;
    static constexpr bool background_heartbeat = false;  // simulated time: no real-time thread
};
using sim_consumer = kafka::KafkaConsumer<std::string, std::string, sim_policies>;

constexpr std::int16_t fetch_key = proto::FetchRequest::api_key;
constexpr std::int16_t find_coordinator_key = proto::FindCoordinatorRequest::api_key;
constexpr std::int16_t join_key = proto::JoinGroupRequest::api_key;
constexpr std::int16_t heartbeat_key = proto::HeartbeatRequest::api_key;
constexpr std::int16_t commit_key = proto::OffsetCommitRequest::api_key;

// Short timeouts so that failure paths play out in a few simulated seconds.
kafka::consumer_config config_for(const kt::fake_cluster& cluster, const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> p{
        {"bootstrap.servers", cluster.bootstrap_servers()},
        {"group.id", "g"},
        {"client.id", "sim"},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"session.timeout.ms", "10000"},
        {"heartbeat.interval.ms", "1000"},
        {"max.poll.interval.ms", "60000"},
        {"request.timeout.ms", "5000"},
        {"default.api.timeout.ms", "20000"},
        {"retry.backoff.ms", "100"},
        {"fetch.max.wait.ms", "500"},
    };
    for (auto const& [k, v] : extra) p[k] = v;
    for (auto it = p.begin(); it != p.end();) it = it->second.empty() ? p.erase(it) : std::next(it);  // "" unsets
    return kafka::consumer_config(p);
}

std::unique_ptr<sim_consumer> make_consumer(const kt::fake_cluster& cluster, const std::map<std::string, std::string>& extra = {}) {
    return std::make_unique<sim_consumer>(config_for(cluster, extra), sim_consumer::key_deserializer{},
                                          sim_consumer::value_deserializer{}, cluster.transport());
}

std::set<topic_partition> partitions_of(const std::string& topic, int n) {
    std::set<topic_partition> out;
    for (int p = 0; p < n; ++p) out.insert({topic, p});
    return out;
}

/// Everything a consumer returned, in order.
struct seen_records {
    std::map<topic_partition, std::vector<std::int64_t>> offsets;
    std::vector<std::string> values;
    std::size_t count() const { return values.size(); }
    void add(const sim_consumer::records_type& records) {
        for (auto const& r : records) {
            offsets[{r.topic(), r.partition()}].push_back(r.offset());
            values.push_back(r.value());
        }
    }
    /// Offsets of `tp` are exactly from, from+1, ..., to-1 (no gap, no duplicate, in order).
    bool contiguous(const topic_partition& tp, std::int64_t from, std::int64_t to) const {
        auto it = offsets.find(tp);
        std::vector<std::int64_t> want;
        for (auto o = from; o < to; ++o) want.push_back(o);
        return (it == offsets.end() ? std::vector<std::int64_t>{} : it->second) == want;
    }
};

/// Rebalance callbacks as a log of "revoked:N", "assigned:N", "lost:N", plus the current assignment.
/// The state is shared with the listener, which the consumer may call from its destructor.
struct listener_state {
    std::vector<std::string> events;
    std::set<topic_partition> owned;
    std::function<void(const std::vector<topic_partition>&)> before_revoke;
};
struct listener_log {
    std::shared_ptr<listener_state> state = std::make_shared<listener_state>();
    std::vector<std::string>& events = state->events;
    std::set<topic_partition>& owned = state->owned;
    std::function<void(const std::vector<topic_partition>&)>& before_revoke = state->before_revoke;

    kafka::rebalance_listener listener() {
        kafka::rebalance_listener l;
        l.on_partitions_revoked = [s = state](const std::vector<topic_partition>& ps) {
            if (s->before_revoke) s->before_revoke(ps);
            s->events.push_back("revoked:" + std::to_string(ps.size()));
            for (auto const& tp : ps) s->owned.erase(tp);
        };
        l.on_partitions_assigned = [s = state](const std::vector<topic_partition>& ps) {
            s->events.push_back("assigned:" + std::to_string(ps.size()));
            s->owned.insert(ps.begin(), ps.end());
        };
        l.on_partitions_lost = [s = state](const std::vector<topic_partition>& ps) {
            s->events.push_back("lost:" + std::to_string(ps.size()));
            for (auto const& tp : ps) s->owned.erase(tp);
        };
        return l;
    }
    bool saw(const std::string& prefix) const {
        return std::any_of(events.begin(), events.end(), [&](auto const& e) { return e.rfind(prefix, 0) == 0; });
    }
};

/// Polls `consumers` in turn (100 ms of simulated time each) until `done()`; false after `limit`
/// of simulated time. A guard on real iterations turns an engine that spins without letting time
/// pass into a failure instead of a hang.
template <class Done>
bool poll_until(kt::fake_cluster& cluster, std::vector<std::pair<sim_consumer*, seen_records*>> consumers, Done done,
                kt::sim_clock::duration limit = 60s, std::chrono::milliseconds step = 100ms) {
    auto end = cluster.now() + limit;
    for (int guard = 0; !done(); ++guard) {
        if (cluster.now() >= end || guard > 200000) return false;
        for (auto& [c, seen] : consumers) seen->add(c->poll(step));
    }
    return true;
}
template <class Done>
bool poll_until(kt::fake_cluster& cluster, sim_consumer& c, seen_records& seen, Done done, kt::sim_clock::duration limit = 60s) {
    return poll_until(cluster, {{&c, &seen}}, done, limit);
}

/// Subscribes and polls until the consumer is a stable member owning `n` partitions.
void join(kt::fake_cluster& cluster, sim_consumer& c, seen_records& seen, listener_log& log, const std::string& topic,
          std::size_t n) {
    c.subscribe({topic}, log.listener());
    REQUIRE(poll_until(cluster, c, seen, [&] { return c.assignment().size() == n && c.generation() > 0; }));
}

std::string decode_join_member_id(const kt::request_info& info) {
    proto::JoinGroupRequest req;
    std::int16_t v = 0;
    std::int32_t corr = 0;
    if (proto::decode_request(info.frame, req, v, corr)) return "<malformed>";
    return req.member_id;
}

/// `batches` batches of `per_batch` records each (values "v<offset>").
void produce_batches(kt::fake_cluster& cluster, const std::string& topic, std::int32_t partition, int batches, int per_batch) {
    for (int b = 0; b < batches; ++b) {
        std::vector<std::string> values;
        for (int i = 0; i < per_batch; ++i) values.push_back("v" + std::to_string(b * per_batch + i));
        cluster.produce_values(topic, partition, values);
    }
}

double seconds(kt::sim_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// The transport on its own.

TEST_CASE("in-memory transport: refused connects, posted completions, simulated time", "[sim][transport]") {
    kt::sim_network net;
    asio::io_context io;
    kt::in_memory_transport t(net);
    auto start = t.now();

    SECTION("nothing listening: connection_refused, delivered by a handler, not inline") {
        auto s = t.make_stream(io.get_executor());
        std::optional<std::error_code> result;
        t.async_connect(*s, "sim", 9092, [&](std::error_code ec) { result = ec; });
        CHECK_FALSE(result);
        t.run_for(io, 1s);
        REQUIRE(result);
        CHECK(*result == asio::error::connection_refused);
    }

    SECTION("an echo server with latency: reads complete after the latency of simulated time") {
        std::shared_ptr<kt::detail::sim_socket> server;
        net.listen("sim", 9092, [&](const std::shared_ptr<kt::detail::sim_socket>& s) {
            server = s;
            s->on_data = [&net, w = std::weak_ptr<kt::detail::sim_socket>(s)] {
                auto bytes = std::make_shared<kafka::byte_buffer>(w.lock()->take_written());
                net.schedule(net.now() + 250ms, [w, bytes] {
                    if (auto ss = w.lock()) ss->deliver(*bytes);
                });
            };
        });
        auto s = t.make_stream(io.get_executor());
        std::optional<std::error_code> connected;
        t.async_connect(*s, "sim", 9092, [&](std::error_code ec) { connected = ec; });
        t.run_for(io, 1s);
        REQUIRE(connected);
        REQUIRE_FALSE(*connected);
        REQUIRE(server);

        std::string out = "hello", in(5, '\0');
        std::optional<std::error_code> wrote, read;
        asio::async_write(*s, asio::buffer(out), [&](std::error_code ec, std::size_t) { wrote = ec; });
        asio::async_read(*s, asio::buffer(in), [&](std::error_code ec, std::size_t) { read = ec; });
        CHECK_FALSE(wrote);  // never inline
        auto before = t.now();
        while (!read) t.run_for(io, 10s);
        CHECK(*read == std::error_code{});
        CHECK(in == "hello");
        CHECK(t.now() - before == std::chrono::milliseconds(250));

        // The server closes: a pending read ends with eof.
        std::optional<std::error_code> eof;
        asio::async_read(*s, asio::buffer(in), [&](std::error_code ec, std::size_t) { eof = ec; });
        server->close_from_server();
        t.run_for(io, 1s);
        REQUIRE(eof);
        CHECK(*eof == asio::error::eof);
    }

    SECTION("run_for with nothing scheduled moves time by exactly d") {
        t.run_for(io, 3s);
        CHECK(t.now() - start == std::chrono::seconds(3));
        CHECK(kt::sim_clock::now() == t.now());
    }
}

// ---------------------------------------------------------------------------------------------
// Group membership and consumption.

TEST_CASE("engine sim: a member gets every partition, consumes all, commits; a second member splits them",
          "[sim][engine][group]") {
    kt::fake_cluster cluster;
    cluster.create_topic("orders", 4);
    for (int p = 0; p < 4; ++p) {
        cluster.produce("orders", p, "a", "b", "c");
        cluster.produce("orders", p, "d", "e");
    }
    auto a = make_consumer(cluster);
    seen_records seen_a;
    listener_log log_a;
    join(cluster, *a, seen_a, log_a, "orders", 4);
    CHECK(a->assignment() == partitions_of("orders", 4));
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return seen_a.count() == 20; }));
    for (auto const& tp : partitions_of("orders", 4)) CHECK(seen_a.contiguous(tp, 0, 5));

    a->commitSync();
    for (auto const& tp : partitions_of("orders", 4)) CHECK(cluster.committed("g", tp) == 5);

    // A second consumer of its own (own io_context and transport) joins the same group.
    auto b = make_consumer(cluster);
    seen_records seen_b;
    listener_log log_b;
    b->subscribe({"orders"}, log_b.listener());
    auto split = [&] {
        return a->assignment().size() + b->assignment().size() == 4 && !a->assignment().empty() &&
               !b->assignment().empty() && a->generation() == b->generation();
    };
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, split));
    std::set<topic_partition> both;
    for (auto const& tp : a->assignment()) both.insert(tp);
    for (auto const& tp : b->assignment()) CHECK(both.insert(tp).second);  // no overlap
    CHECK(both == partitions_of("orders", 4));
    auto info = cluster.describe_group("g");
    REQUIRE(info);
    CHECK(info->state == "Stable");
    CHECK(info->members.size() == 2);
    // Eager protocol (range): the first member gave everything up before the split.
    CHECK(log_a.events.front() == "assigned:4");
    CHECK(log_a.saw("revoked:4"));

    // New records are consumed once, by their owner; nothing committed before is replayed.
    REQUIRE(seen_a.count() == 20);
    REQUIRE(seen_b.count() == 0);
    seen_records new_a, new_b;
    for (int p = 0; p < 4; ++p) cluster.produce("orders", p, "f", "g", "h");
    REQUIRE(poll_until(cluster, {{a.get(), &new_a}, {b.get(), &new_b}}, [&] { return new_a.count() + new_b.count() == 12; }));
    for (auto const& tp : partitions_of("orders", 4)) {
        bool mine = a->assignment().count(tp) != 0;
        CHECK((mine ? new_a : new_b).contiguous(tp, 5, 8));
        CHECK((mine ? new_b : new_a).offsets.count(tp) == 0);
    }

    // The first member leaves (both committed): the second takes everything over at once and
    // resumes from the commits.
    a->commitSync();
    b->commitSync();
    a->close();
    auto left = cluster.now();
    seen_records last_b;
    REQUIRE(poll_until(cluster, *b, last_b, [&] { return b->assignment().size() == 4; }));
    CHECK(seconds(cluster.now() - left) < 5.0);  // LeaveGroup, not a session timeout
    for (int p = 0; p < 4; ++p) cluster.produce("orders", p, "i");
    REQUIRE(poll_until(cluster, *b, last_b, [&] { return last_b.count() == 4; }));
    for (auto const& tp : partitions_of("orders", 4)) CHECK(last_b.contiguous(tp, 8, 9));
}

namespace {
struct auto_commit_policies : sim_policies {
    using offset_commit = kafka::commit::auto_commit;
};
}  // namespace

TEST_CASE("engine sim: auto-commit commits consumed positions on its interval and on close", "[sim][engine][commit]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c");
    using auto_consumer = kafka::KafkaConsumer<std::string, std::string, auto_commit_policies>;
    auto_consumer c(config_for(cluster, {{"enable.auto.commit", "true"}, {"auto.commit.interval.ms", "1000"}}), {}, {},
                    cluster.transport());
    c.subscribe({"t"});
    std::size_t n = 0;
    auto end = cluster.now() + 30s;
    while (n < 3 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 3);
    auto start = cluster.now();
    while (cluster.committed("g", {"t", 0}) != 3 && cluster.now() < end) c.poll(100ms);
    CHECK(cluster.committed("g", {"t", 0}) == 3);
    CHECK(seconds(cluster.now() - start) <= 1.5);
    cluster.produce("t", 0, "d");
    while (n < 4 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 4);
    c.close();  // commits on the way out
    CHECK(cluster.committed("g", {"t", 0}) == 4);
}

namespace {
struct async_after_poll_policies : sim_policies {
    using offset_commit = kafka::commit::async_after_poll;
};
struct sync_after_poll_policies : sim_policies {
    using offset_commit = kafka::commit::sync_after_poll;
};
}  // namespace

TEMPLATE_TEST_CASE("engine sim: after-poll commits: the previous poll's records are committed at the next poll, "
                   "sync waits for the broker and async does not",
                   "[sim][engine][commit]", sync_after_poll_policies, async_after_poll_policies) {
    constexpr bool async = kafka::commit::commits_async<typename TestType::offset_commit>;
    kt::fake_cluster cluster;
    auto coordinator = *cluster.coordinator_of("g");
    cluster.create_topic("t", 1, {(coordinator + 1) % 3});  // the leader is another node
    cluster.produce("t", 0, "a", "b", "c");
    using consumer_t = kafka::KafkaConsumer<std::string, std::string, TestType>;
    consumer_t c(config_for(cluster, {{"max.poll.records", "2"}, {"request.timeout.ms", "30000"}}), {}, {}, cluster.transport());
    std::vector<std::pair<std::int64_t, std::error_code>> outcomes;  // committed offset of t-0, error
    c.set_commit_callback([&](const std::map<topic_partition, kafka::offset_and_metadata>& o, std::error_code ec) {
        auto it = o.find({"t", 0});
        outcomes.push_back({it == o.end() ? -1 : it->second.offset, ec});
    });
    c.subscribe({"t"});
    std::size_t n = 0;
    auto end = cluster.now() + 30s;
    while (n == 0 && cluster.now() < end) n += c.poll(100ms).size();
    REQUIRE(n == 2);  // offsets 0 and 1
    CHECK_FALSE(cluster.committed("g", {"t", 0}).has_value());  // nothing committed before the next poll

    // The coordinator now answers after 1 s: the next poll commits offset 2. (It reads one request
    // of a connection at a time, as Kafka does, so requests queued behind each other wait longer.)
    cluster.set_latency(coordinator, 1s);
    auto before = cluster.now();
    n += c.poll(100ms).size();
    auto took = cluster.now() - before;
    if constexpr (async) {
        CHECK(took < 500ms);  // the commit is on its way; poll returned the next record meanwhile
        CHECK(n == 3);
        // The next poll sends the commit of offset 3 behind it; both outcomes come back in order.
        while (outcomes.size() < 2 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 2);
        CHECK(outcomes[0] == std::pair<std::int64_t, std::error_code>{2, {}});
        CHECK(outcomes[1] == std::pair<std::int64_t, std::error_code>{3, {}});
        CHECK(cluster.committed("g", {"t", 0}) == 3);
    } else {
        CHECK(took >= 1s);  // the commit was waited for
        CHECK(outcomes.empty());  // sync commits do not go to the callback
        CHECK(cluster.committed("g", {"t", 0}) == 2);
    }
    cluster.set_latency(coordinator, 1ms);

    if constexpr (async) {
        // A failed commit goes to the callback and is not retried; the next poll's commit covers it.
        cluster.produce("t", 0, "d");
        while (n < 4 && cluster.now() < end) n += c.poll(100ms).size();
        REQUIRE(n == 4);
        cluster.inject(commit_key, errc::coordinator_load_in_progress);
        while (outcomes.size() < 3 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 3);
        CHECK(outcomes[2] == std::pair<std::int64_t, std::error_code>{4, make_error_code(errc::coordinator_load_in_progress)});
        CHECK(cluster.committed("g", {"t", 0}) == 3);
        cluster.produce("t", 0, "e");
        while (n < 5 && cluster.now() < end) n += c.poll(100ms).size();
        REQUIRE(n == 5);
        while (outcomes.size() < 4 && cluster.now() < end) c.poll(100ms);
        REQUIRE(outcomes.size() == 4);
        CHECK(outcomes[3] == std::pair<std::int64_t, std::error_code>{5, {}});
        CHECK(cluster.committed("g", {"t", 0}) == 5);
    }
    c.close();
    CHECK(cluster.committed("g", {"t", 0}) == static_cast<std::int64_t>(n));
}

TEST_CASE("engine sim: a cluster serving older API versions (no topic ids, no MEMBER_ID_REQUIRED)", "[sim][engine][versions]") {
    kt::fake_cluster cluster;
    cluster.limit_version(proto::FetchRequest::api_key, 11);
    cluster.limit_version(proto::MetadataRequest::api_key, 8);
    cluster.limit_version(proto::ListOffsetsRequest::api_key, 5);
    cluster.limit_version(proto::FindCoordinatorRequest::api_key, 3);
    cluster.limit_version(proto::JoinGroupRequest::api_key, 3);
    cluster.limit_version(proto::SyncGroupRequest::api_key, 2);
    cluster.limit_version(proto::HeartbeatRequest::api_key, 2);
    cluster.limit_version(proto::LeaveGroupRequest::api_key, 2);
    cluster.limit_version(proto::OffsetCommitRequest::api_key, 7);
    cluster.limit_version(proto::OffsetFetchRequest::api_key, 7);
    std::set<std::pair<std::int16_t, std::int16_t>> used;
    cluster.on_request([&](const kt::request_info& info) { used.insert({info.api_key, info.version}); });
    cluster.create_topic("t", 2);
    cluster.produce("t", 0, "a", "b");
    cluster.produce("t", 1, "c");
    seen_records seen;
    listener_log log;
    auto c = make_consumer(cluster);
    join(cluster, *c, seen, log, "t", 2);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    c->commitSync();
    CHECK(cluster.committed("g", {"t", 0}) == 2);
    auto committed = c->committed({{"t", 0}, {"t", 1}});
    REQUIRE(committed[{"t", 1}]);
    CHECK(committed[{"t", 1}]->offset == 1);
    c->close();
    CHECK(cluster.describe_group("g")->members.empty());  // LeaveGroup v2
    CHECK(used.count({proto::FetchRequest::api_key, 11}));
    CHECK(used.count({proto::JoinGroupRequest::api_key, 3}));
    CHECK(used.count({proto::OffsetCommitRequest::api_key, 7}));
    CHECK(used.count({proto::LeaveGroupRequest::api_key, 2}));
    cluster.on_request({});
}

// Regression (network_client.hpp, next_deadline, fixed): a node with queued requests whose
// connection existed but was not ready yet (connecting, negotiating ApiVersions) yielded "now" as
// its deadline, so poll() waited zero and the consumer spun for as long as connecting took. The
// deadline is "now" only when a connection must be started; one in progress is bounded by its
// own connect deadline and I/O completion ends the wait.
TEST_CASE("engine sim: no busy polling while connections are being established", "[sim][engine]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    for (int n = 0; n < 3; ++n) cluster.set_latency(n, 20ms);  // a 20 ms round trip
    seen_records seen;
    listener_log log;
    auto c = make_consumer(cluster);
    auto before = cluster.network().busy_polls();
    join(cluster, *c, seen, log, "t", 3);
    auto spins = cluster.network().busy_polls() - before;
    INFO("zero-length waits that found nothing to do: " << spins);
    CHECK(spins < 50);
}

// ---------------------------------------------------------------------------------------------
// Coordinator error paths.

TEST_CASE("engine sim: coordinator moved or NOT_COORDINATOR leads to FindCoordinator again", "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto member = c->member_id();
    auto generation = c->generation();
    auto finds = cluster.request_count(find_coordinator_key);
    auto old_node = *cluster.coordinator_of("g");
    auto new_node = (old_node + 1) % 3;

    SECTION("the coordinator moves: heartbeats get NOT_COORDINATOR, then go to the new one") {
        cluster.move_coordinator("g", new_node);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return cluster.request_count(heartbeat_key, new_node) >= 2; }));
        CHECK(cluster.request_count(find_coordinator_key) > finds);
        CHECK(c->member_id() == member);  // the group survived the move: no rebalance
        CHECK(c->generation() == generation);
        CHECK(log.events == std::vector<std::string>{"assigned:2"});

        // A commit goes to the new coordinator too.
        cluster.produce("t", 0, "x", "y");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
        cluster.move_coordinator("g", old_node);
        c->commitSync();
        CHECK(cluster.committed("g", {"t", 0}) == 2);
        CHECK(cluster.request_count(commit_key, old_node) >= 1);
    }

    SECTION("injected NOT_COORDINATOR on a heartbeat") {
        cluster.inject(heartbeat_key, errc::not_coordinator);
        auto hb = cluster.request_count(heartbeat_key);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return cluster.request_count(heartbeat_key) >= hb + 3; }));
        CHECK(cluster.request_count(find_coordinator_key) == finds + 1);
        CHECK(c->generation() == generation);
    }

    SECTION("injected NOT_COORDINATOR on a commit: commitSync retries and succeeds") {
        cluster.produce("t", 1, "x");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
        cluster.inject(commit_key, errc::not_coordinator, 2);
        c->commitSync();
        CHECK(cluster.committed("g", {"t", 1}) == 1);
        CHECK(cluster.request_count(commit_key) == 3);
        CHECK(cluster.request_count(find_coordinator_key) >= finds + 2);
    }
}

TEST_CASE("engine sim: UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION: partitions lost, rejoin with an empty member id",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 3);
    auto member = c->member_id();
    std::vector<std::string> join_ids;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == join_key) join_ids.push_back(decode_join_member_id(info));
    });
    auto rejoined = [&] { return log.saw("lost:") && c->assignment().size() == 3 && !c->member_id().empty() && c->generation() > 0; };

    SECTION("injected UNKNOWN_MEMBER_ID on a heartbeat") {
        cluster.inject(heartbeat_key, errc::unknown_member_id);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("injected ILLEGAL_GENERATION on a heartbeat") {
        cluster.inject(heartbeat_key, errc::illegal_generation);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("the coordinator removed the member (its real UNKNOWN_MEMBER_ID)") {
        cluster.remove_member("g", member);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    SECTION("ILLEGAL_GENERATION on a commit: commitSync throws commit_failed_error, then the member rejoins") {
        cluster.inject(commit_key, errc::illegal_generation);
        CHECK_THROWS_AS(c->commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{{"t", 0}, {0, "", std::nullopt}}}),
                        kafka::commit_failed_error);
        REQUIRE(poll_until(cluster, *c, seen, rejoined));
    }
    REQUIRE_FALSE(join_ids.empty());
    CHECK(join_ids.front().empty());  // rejoined as a new member
    CHECK(c->member_id() != member);
    CHECK(log.events == std::vector<std::string>{"assigned:3", "lost:3", "assigned:3"});  // lost, not revoked
    cluster.on_request({});
}

TEST_CASE("engine sim: REBALANCE_IN_PROGRESS on a heartbeat: rejoin, revoked then assigned (eager)", "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto member = c->member_id();
    auto generation = c->generation();
    cluster.inject(heartbeat_key, errc::rebalance_in_progress);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return c->generation() > generation && c->assignment().size() == 2; }));
    CHECK(log.events == std::vector<std::string>{"assigned:2", "revoked:2", "assigned:2"});
    CHECK(c->member_id() == member);  // same member, next generation
    CHECK(c->generation() == generation + 1);
}

TEST_CASE("engine sim: a member that does not rejoin within the rebalance timeout is removed", "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 4);
    // Sessions outlast the rebalance timeout (max.poll.interval.ms), so that only the latter can act.
    std::map<std::string, std::string> cfg{{"session.timeout.ms", "60000"}, {"max.poll.interval.ms", "20000"}};
    auto a = make_consumer(cluster, cfg);
    auto b = make_consumer(cluster, cfg);
    seen_records seen_a, seen_b;
    listener_log log_a, log_b;
    a->subscribe({"t"}, log_a.listener());
    b->subscribe({"t"}, log_b.listener());
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, [&] {
        return a->assignment().size() == 2 && b->assignment().size() == 2 && a->generation() == b->generation();
    }));
    auto b_member = b->member_id();

    cluster.trigger_rebalance("g");
    auto start = cluster.now();
    // Only a polls (and rejoins); b is silent.
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return a->assignment().size() == 4; }, 50s));
    auto took = cluster.now() - start;
    CHECK(seconds(took) >= 19.9);
    CHECK(seconds(took) < 30.0);
    auto info = cluster.describe_group("g");
    REQUIRE(info);
    CHECK(info->members == std::vector<std::string>{a->member_id()});

    // b comes back: it finds itself unknown, loses its partitions and rejoins; the group splits again.
    REQUIRE(poll_until(cluster, {{a.get(), &seen_a}, {b.get(), &seen_b}}, [&] {
        return log_b.saw("lost:2") && a->assignment().size() == 2 && b->assignment().size() == 2 &&
               a->generation() == b->generation();
    }));
    CHECK(b->member_id() != b_member);
}

TEST_CASE("engine sim: COORDINATOR_LOAD_IN_PROGRESS on FindCoordinator and JoinGroup is retried after the backoff",
          "[sim][engine][coordinator]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    std::vector<kt::sim_clock::time_point> finds, joins;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == find_coordinator_key) finds.push_back(cluster.now());
        if (info.api_key == join_key) joins.push_back(cluster.now());
    });
    cluster.inject(find_coordinator_key, errc::coordinator_load_in_progress, 2);
    cluster.inject(join_key, errc::coordinator_load_in_progress, 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);
    REQUIRE(finds.size() == 3);
    CHECK(seconds(finds[1] - finds[0]) >= 0.099);
    CHECK(seconds(finds[2] - finds[1]) >= 0.099);
    REQUIRE(joins.size() == 4);  // two refused, MEMBER_ID_REQUIRED, the join
    CHECK(seconds(joins[1] - joins[0]) >= 0.099);
    CHECK(seconds(joins[2] - joins[1]) >= 0.099);
    CHECK(log.events == std::vector<std::string>{"assigned:1"});
}

TEST_CASE("engine sim: request timeouts (responses never sent) are survived", "[sim][engine][timeout]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    auto generation = c->generation();

    SECTION("a heartbeat: the connection times out, the coordinator is found again, the member stays") {
        auto finds = cluster.request_count(find_coordinator_key);
        auto hb = cluster.request_count(heartbeat_key);
        cluster.drop_responses(heartbeat_key, 1);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return cluster.request_count(heartbeat_key) >= hb + 5; }));
        CHECK(cluster.request_count(find_coordinator_key) > finds);
        CHECK(c->generation() == generation);
        CHECK(log.events == std::vector<std::string>{"assigned:2"});
    }

    SECTION("a commit: commitSync retries on a new connection and succeeds") {
        cluster.produce("t", 0, "x");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
        cluster.drop_responses(commit_key, 1);
        auto start = cluster.now();
        c->commitSync();
        CHECK(seconds(cluster.now() - start) >= 5.0);  // request.timeout.ms
        CHECK(cluster.committed("g", {"t", 0}) == 1);
        CHECK(c->generation() == generation);
    }

    SECTION("a SyncGroup: the member rejoins and the group settles") {
        cluster.drop_responses(proto::SyncGroupRequest::api_key, 1);
        cluster.trigger_rebalance("g");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return c->generation() >= generation + 2 && c->assignment().size() == 2; }));
        CHECK(cluster.describe_group("g")->state == "Stable");
    }

    SECTION("a JoinGroup: the member joins again after the join timeout (rebalance timeout + 5 s)") {
        cluster.drop_responses(join_key, 1);
        cluster.trigger_rebalance("g");
        auto start = cluster.now();
        REQUIRE(poll_until(cluster, *c, seen, [&] { return c->generation() > generation && c->assignment().size() == 2; }, 120s));
        CHECK(seconds(cluster.now() - start) >= 60.0);
        CHECK(cluster.describe_group("g")->state == "Stable");
    }

    SECTION("a fetch: records continue after the timeout, no duplicates, no loss") {
        for (int i = 0; i < 3; ++i) cluster.produce("t", 0, "r" + std::to_string(i));
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
        cluster.drop_responses(fetch_key, 2);
        auto fetches = cluster.request_count(fetch_key);
        for (int i = 3; i < 6; ++i) {
            cluster.produce("t", 0, "r" + std::to_string(i));
            cluster.produce("t", 1, "s" + std::to_string(i));
        }
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 9; }));
        CHECK(cluster.request_count(fetch_key) > fetches + 2);
        CHECK(seen.contiguous({"t", 0}, 0, 6));
        CHECK(seen.contiguous({"t", 1}, 0, 3));
    }
}

namespace {

// A consumer reads three partitions (partition p led by node p) while node 1 goes down with a
// Fetch response carrying data still on its way; records are produced throughout.
void leader_down_mid_fetch(kt::fake_cluster& cluster) {
    cluster.create_topic("t", 3);
    seen_records seen;
    listener_log log;
    auto c = make_consumer(cluster, {{"group.id", "fetchers"}});
    join(cluster, *c, seen, log, "t", 3);
    int produced[3] = {0, 0, 0};
    auto produce_round = [&] {
        for (int p = 0; p < 3; ++p) cluster.produce("t", p, "v" + std::to_string(produced[p]++));
    };
    for (int i = 0; i < 5; ++i) produce_round();
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 15; }));

    // Node 1 answers slowly: its next Fetch (with data) is still on the way when it goes down.
    cluster.set_latency(1, 300ms);
    produce_round();
    auto fetches_to_1 = cluster.request_count(fetch_key, 1);
    seen.add(c->poll(50ms));
    REQUIRE(cluster.request_count(fetch_key, 1) > fetches_to_1);
    cluster.set_down(1, true);
    CHECK(cluster.leader_of({"t", 1}) == 2);
    for (int i = 0; i < 5; ++i) {
        produce_round();
        seen.add(c->poll(100ms));
    }
    CHECK(poll_until(cluster, *c, seen, [&] { return seen.count() == 33; }, 30s));
    for (int p = 0; p < 3; ++p) CHECK(seen.contiguous({"t", p}, 0, produced[p]));
}

}  // namespace

TEST_CASE("engine sim: the leader goes down mid-fetch: records continue from the new leader, no duplicates, no loss",
          "[sim][engine][fetch]") {
    // Leader epochs are not checked here: this covers the failover itself (see the next test).
    kt::fake_cluster_options o;
    o.check_leader_epochs = false;
    kt::fake_cluster cluster(o);
    leader_down_mid_fetch(cluster);
}

// Regression (fetcher.hpp, send_fetches, fixed): FetchRequest.current_leader_epoch came from the
// leader epoch of the last record consumed instead of the partition's current leader epoch from
// metadata, so after a leader change the new leader fenced the partition forever. Kafka's broker
// fences exactly like this fake does (check_leader_epochs).
TEST_CASE("engine sim: after a leader failover (new leader epoch) the partition is still consumed",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    leader_down_mid_fetch(cluster);
}

TEST_CASE("engine sim: a partition without a leader is consumed again once its leader is back", "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);  // partition p led by node p
    seen_records seen;
    listener_log log;
    auto c = make_consumer(cluster, {{"group.id", "solo"}});
    join(cluster, *c, seen, log, "t", 2);
    cluster.produce("t", 0, "a");
    cluster.produce("t", 1, "b");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
    cluster.set_down(1, true, /*fail_over=*/false);  // t-1 has no leader now
    cluster.produce("t", 0, "c");
    cluster.produce("t", 1, "d");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    for (int i = 0; i < 20; ++i) seen.add(c->poll(100ms));
    CHECK(seen.count() == 3);
    cluster.set_down(1, false);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 4; }));
    CHECK(seen.contiguous({"t", 0}, 0, 2));
    CHECK(seen.contiguous({"t", 1}, 0, 2));
}

// ---------------------------------------------------------------------------------------------
// Offsets.

TEST_CASE("engine sim: OFFSET_OUT_OF_RANGE resets per auto.offset.reset", "[sim][engine][offsets]") {
    kt::fake_cluster cluster;
    cluster.create_topic("orders", 1);
    for (int i = 0; i < 10; ++i) cluster.produce("orders", 0, "v" + std::to_string(i));
    cluster.delete_records("orders", 0, 4);  // log start 4, end 10
    topic_partition tp{"orders", 0};

    SECTION("earliest") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "earliest"}});
        c->assign({tp});
        c->seek(tp, 100);
        seen_records seen;
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 6; }));
        CHECK(seen.contiguous(tp, 4, 10));
    }
    SECTION("latest") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "latest"}});
        c->assign({tp});
        c->seek(tp, 2);  // below the log start
        seen_records seen;
        for (int i = 0; i < 10; ++i) seen.add(c->poll(100ms));
        CHECK(seen.count() == 0);
        CHECK(c->position(tp) == 10);
        cluster.produce("orders", 0, "new1", "new2");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
        CHECK(seen.contiguous(tp, 10, 12));
    }
    SECTION("none: the fetch's OFFSET_OUT_OF_RANGE raises offset_out_of_range_error naming the partition") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}});
        c->assign({tp});
        c->seek(tp, 100);
        bool thrown = false;
        for (int i = 0; i < 50 && !thrown; ++i) {
            try {
                c->poll(100ms);
            } catch (const kafka::offset_out_of_range_error& e) {
                thrown = true;
                CHECK(e.partitions() == std::map<topic_partition, std::int64_t>{{tp, 100}});
                CHECK(std::string(e.what()).find("orders-0") != std::string::npos);
            }
        }
        CHECK(thrown);
    }
    SECTION("none without a committed offset raises offset_out_of_range_error too") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}});
        c->assign({tp});
        bool thrown = false;
        for (int i = 0; i < 50 && !thrown; ++i) {
            try {
                c->poll(100ms);
            } catch (const kafka::offset_out_of_range_error& e) {
                thrown = true;
                CHECK(e.partitions().count(tp) == 1);
                CHECK(std::string(e.what()).find("orders-0") != std::string::npos);
            }
        }
        CHECK(thrown);
    }
}

// ---------------------------------------------------------------------------------------------
// No record of a partition after it was revoked, paused or seeked.

TEST_CASE("engine sim: nothing from a paused partition; resume continues where it stopped", "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2, {0, 0});  // one leader: both partitions come in one Fetch response
    std::vector<std::string> values;
    for (int i = 0; i < 10; ++i) values.push_back("v" + std::to_string(i));
    cluster.produce_values("t", 0, values);
    cluster.produce_values("t", 1, values);
    seen_records seen;
    auto c = make_consumer(cluster, {{"max.poll.records", "2"}});
    topic_partition p0{"t", 0}, p1{"t", 1};
    c->assign({p0, p1});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 2; }));
    REQUIRE(seen.offsets.count(p0) == 1);
    c->pause({p0});
    auto p0_before = seen.offsets[p0];
    REQUIRE(p0_before.size() < 10);  // data of p0 is still buffered
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.offsets[p1].size() == 10; }));
    for (int i = 0; i < 10; ++i) seen.add(c->poll(100ms));
    CHECK(seen.offsets[p0] == p0_before);
    c->resume({p0});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.offsets[p0].size() == 10; }));
    CHECK(seen.contiguous(p0, 0, 10));
    CHECK(seen.contiguous(p1, 0, 10));
}

TEST_CASE("engine sim: after seek, records start at the new offset", "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    std::vector<std::string> values;
    for (int i = 0; i < 10; ++i) values.push_back("v" + std::to_string(i));
    cluster.produce_values("t", 0, values);
    auto c = make_consumer(cluster, {{"max.poll.records", "2"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 2; }));
    CHECK(seen.offsets[tp] == std::vector<std::int64_t>{0, 1});  // the rest of the batch is buffered

    c->seek(tp, 7);
    seen_records after;
    REQUIRE(poll_until(cluster, *c, after, [&] { return after.count() >= 3; }));
    CHECK(after.contiguous(tp, 7, 10));

    c->seek(tp, 1);  // backwards
    seen_records again;
    REQUIRE(poll_until(cluster, *c, again, [&] { return again.count() >= 9; }));
    CHECK(again.contiguous(tp, 1, 10));
}

TEST_CASE("engine sim: the next data of a partition is fetched ahead while its buffered data is drained",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    produce_batches(cluster, "t", 0, 5, 10);
    // Fetch offsets in the order the broker saw them, and how many records the user had by then.
    std::vector<std::pair<std::int64_t, std::size_t>> fetches;
    seen_records seen;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key != fetch_key) return;
        proto::FetchRequest req;
        std::int16_t v = 0;
        std::int32_t corr = 0;
        REQUIRE_FALSE(proto::decode_request(info.frame, req, v, corr));
        for (auto const& t : req.topics)
            for (auto const& p : t.partitions) fetches.push_back({p.fetch_offset, seen.count()});
    });
    // One batch per response (the broker returns at least one whole batch), three records per poll.
    auto c = make_consumer(cluster, {{"max.partition.fetch.bytes", "1"}, {"max.poll.records", "3"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 50; }));
    cluster.on_request({});
    CHECK(seen.contiguous(tp, 0, 50));
    // Each batch was asked for once, from the end of the one before, while the user was still
    // receiving records of the one before (not after it ran dry).
    std::vector<std::int64_t> offsets;
    for (auto const& [offset, had] : fetches) {
        if (offset > 50) continue;  // polls at the end of the log
        offsets.push_back(offset);
        if (offset > 0 && offset < 50) {
            INFO("fetch from " << offset << " sent when the user had " << had << " records");
            CHECK(had < static_cast<std::size_t>(offset));
        }
    }
    auto first_at_end = std::find(offsets.begin(), offsets.end(), 50);
    CHECK(std::vector<std::int64_t>(offsets.begin(), first_at_end) == std::vector<std::int64_t>{0, 10, 20, 30, 40});
}

TEST_CASE("engine sim: a seek while data is fetched ahead: nothing of the old position is returned",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    produce_batches(cluster, "t", 0, 4, 10);
    auto c = make_consumer(cluster, {{"max.partition.fetch.bytes", "1"}, {"max.poll.records", "2"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 4; }));  // batch 0 buffered, batch 1 ahead
    c->seek(tp, 35);
    seen_records after;
    REQUIRE(poll_until(cluster, *c, after, [&] { return after.count() >= 5; }));
    CHECK(after.contiguous(tp, 35, 40));
    c->seek(tp, 3);  // backwards, into the batch that was drained first
    seen_records again;
    REQUIRE(poll_until(cluster, *c, again, [&] { return again.count() >= 37; }));
    CHECK(again.contiguous(tp, 3, 40));
}

TEST_CASE("engine sim: nothing from a partition after it was revoked", "[sim][engine][group]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 4);
    std::vector<std::string> values;
    for (int i = 0; i < 50; ++i) values.push_back("v" + std::to_string(i));
    for (int p = 0; p < 4; ++p) cluster.produce_values("t", p, values);
    std::map<std::string, std::string> cfg{{"max.poll.records", "3"}};
    auto a = make_consumer(cluster, cfg);
    seen_records seen_a;
    listener_log log_a;
    log_a.before_revoke = [&](const std::vector<topic_partition>&) { a->commitSync(); };  // re-entry from the listener
    join(cluster, *a, seen_a, log_a, "t", 4);
    REQUIRE(poll_until(cluster, *a, seen_a, [&] { return seen_a.count() >= 6; }));

    auto b = make_consumer(cluster, cfg);
    seen_records seen_b;
    listener_log log_b;
    log_b.before_revoke = [&](const std::vector<topic_partition>&) { b->commitSync(); };
    b->subscribe({"t"}, log_b.listener());
    // Every record a returns must belong to a partition it owns at that moment.
    bool stray = false;
    auto step = [&] {
        auto rs = a->poll(100ms);
        for (auto const& r : rs)
            if (!log_a.owned.count({r.topic(), r.partition()})) stray = true;
        seen_a.add(rs);
        seen_b.add(b->poll(100ms));
    };
    for (int i = 0; i < 2000 && seen_a.count() + seen_b.count() < 200; ++i) step();
    CHECK_FALSE(stray);
    CHECK(log_a.saw("revoked:4"));
    CHECK(a->assignment().size() == 2);
    CHECK(b->assignment().size() == 2);
    // Each record once: a's before the split continue seamlessly in b's.
    CHECK(seen_a.count() + seen_b.count() == 200);
    for (int p = 0; p < 4; ++p) {
        topic_partition tp{"t", p};
        std::vector<std::int64_t> all = seen_a.offsets[tp];
        all.insert(all.end(), seen_b.offsets[tp].begin(), seen_b.offsets[tp].end());
        std::sort(all.begin(), all.end());
        std::vector<std::int64_t> want(50);
        for (int i = 0; i < 50; ++i) want[static_cast<std::size_t>(i)] = i;
        CHECK(all == want);
    }
    log_a.before_revoke = nullptr;  // they call the consumers, which are destroyed first
    log_b.before_revoke = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Threads.

TEST_CASE("engine sim: wakeup() from another thread interrupts a poll blocked in simulated time", "[sim][engine][threads]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);

    int idles = 0;
    cluster.on_idle([&] {
        if (++idles != 3) return;  // well inside the poll
        std::thread other([&] { c->wakeup(); });
        other.join();
    });
    auto start = cluster.now();
    CHECK_THROWS_AS(c->poll(10min), kafka::wakeup_error);
    CHECK(seconds(cluster.now() - start) < 5.0);
    cluster.on_idle({});

    // The wakeup is consumed: the consumer works on.
    cluster.produce("t", 0, "after");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    CHECK(seen.values.back() == "after");
}

TEST_CASE("engine sim: using the consumer from a second thread while a poll runs throws concurrent_access_error",
          "[sim][engine][threads]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);

    std::vector<std::string> outcomes;
    bool done = false;
    cluster.on_idle([&] {
        if (done) return;
        done = true;
        std::thread other([&] {
            auto attempt = [&](const char* what, auto&& fn) {
                try {
                    fn();
                    outcomes.push_back(std::string(what) + ": no error");
                } catch (const kafka::concurrent_access_error&) {
                    outcomes.push_back(std::string(what) + ": concurrent_access_error");
                } catch (const std::exception& e) {
                    outcomes.push_back(std::string(what) + ": " + e.what());
                }
            };
            attempt("poll", [&] { c->poll(0ms); });
            attempt("assignment", [&] { (void)c->assignment(); });
            attempt("commitSync", [&] { c->commitSync(); });
        });
        other.join();
    });
    cluster.produce("t", 0, "x");
    auto rs = c->poll(5s);  // the poll in progress is not disturbed
    cluster.on_idle({});
    seen.add(rs);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    CHECK(outcomes == std::vector<std::string>{"poll: concurrent_access_error", "assignment: concurrent_access_error",
                                               "commitSync: concurrent_access_error"});
}
