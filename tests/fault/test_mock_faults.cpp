// Faults injected into librdkafka's mock cluster (fixture fault_mock, tests/fault/fault-fixture.sh):
// errors answered in place of the real response, added latency beyond request.timeout.ms, the only
// broker going down and up, partition leaders moving. The mock serves old API versions only
// (ApiVersions v0-2, Metadata v0-2, Fetch v0-11, JoinGroup v0-5, ...), so these tests also run the
// consumer's version negotiation against an older broker implementation than Kafka 4.x.
//
// Two quirks of librdkafka 2.0.2's mock are worked around outside the library under test: the fixture
// makes it serve ListOffsets up to v3 only (its v4+ answers write LeaderEpoch as an int64), and the
// consumers here go through recording_tcp's shim, which rewrites the mock's answer to ApiVersions v3
// into the v0 layout (the first test checks the fallback without the shim).
//
// Each test uses topics and groups of its own; the mock's state that is cluster-wide (pushed errors,
// latency) is put back by a guard at the end of the test, pass or fail.
#include <catch2/catch.hpp>

#include "fault_support.hpp"

using namespace fault;
using kafka::topic_partition;

namespace {

const mock_cluster& mock3() {
    static const mock_cluster m(3);
    return m;
}
const mock_cluster& mock1() {
    static const mock_cluster m(1);
    return m;
}

#define REQUIRE_MOCK(m)                                       \
    do {                                                      \
        if (!(m).available()) FAIL((m).unavailable_reason()); \
    } while (0)

/// Runs `f` when the scope ends (restores the mock's cluster-wide state).
struct at_exit {
    std::function<void()> f;
    ~at_exit() {
        if (f) f();
    }
};

/// Group settings for the mock: its coordinator waits 3 s for the first JoinGroup and
/// session.timeout.ms - 1 s before it completes a later rebalance.
std::map<std::string, std::string> group_settings(const std::string& group) {
    return {{"group.id", group},
            {"auto.offset.reset", "earliest"},
            {"session.timeout.ms", "3000"},
            {"heartbeat.interval.ms", "300"},
            {"request.timeout.ms", "5000"},
            {"default.api.timeout.ms", "10000"},
            {"fetch.max.wait.ms", "200"}};
}

template <class Pred>
bool consume_until(observed_consumer& oc, record_collector& c, std::chrono::milliseconds timeout, Pred done,
                   std::chrono::milliseconds poll_timeout = 200ms) {
    auto deadline = steady::now() + timeout;
    while (!done()) {
        if (steady::now() >= deadline) return false;
        poll_into(*oc.consumer, c, poll_timeout);
    }
    return true;
}

/// The versions the mock advertises, read with a connection of the library's own client layer
/// (through the shim: see recording_tcp).
std::map<std::int16_t, kafka::protocol::versions> advertised_versions(const std::string& bootstrap) {
    auto first = bootstrap.substr(0, bootstrap.find(','));
    auto colon = first.rfind(':');
    asio::io_context io;
    recording_tcp tcp(std::make_shared<wire_log>(), true);
    auto conn = std::make_shared<kafka::client::connection<recording_tcp>>(
        asio::any_io_executor(io.get_executor()), tcp,
        kafka::client::broker_address{-1, first.substr(0, colon),
                                      static_cast<std::uint16_t>(std::stoi(first.substr(colon + 1)))},
        "fault-probe", std::chrono::milliseconds(5000));
    std::optional<std::error_code> state;
    conn->open([&](std::error_code ec) { state = ec; });
    auto deadline = steady::now() + 10s;
    while (!state && steady::now() < deadline) tcp.run_for(io, 50ms);
    std::map<std::int16_t, kafka::protocol::versions> out;
    if (!state || *state) return out;
    for (std::int16_t key : std::initializer_list<std::int16_t>{1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 23})
        out[key] = conn->broker_versions(key);
    conn->close(make_error_code(kafka::client_errc::closed));
    return out;
}

}  // namespace

// The mock answers ApiVersions v3 (which it does not serve) with UNSUPPORTED_VERSION in a layout of
// its own: correlation id, int16 35, a one-byte count (1), the entry ApiVersions 0..2, int32 throttle
// time. Kafka brokers use the v0 layout there. client::connection::negotiate reads the error code
// alone (the first field of every version) and retries at the version the answer names if it can be
// read in the v0 layout, else at v0, as librdkafka ("retrying with v0") and Java's client do.
TEST_CASE(
    "mock: ApiVersions v3 answered UNSUPPORTED_VERSION by the mock's own layout: the client falls back to a "
    "version the broker serves, as librdkafka and Java do",
    "[mock][versions]") {
    REQUIRE_MOCK(mock3());
    auto topic = unique_name("fn");
    mock3().create_topic(topic, 3, 3);
    observed_consumer oc(make_config(mock3().bootstrap(), {{"default.api.timeout.ms", "5000"}}), false);
    std::vector<kafka::partition_info> parts;
    std::string error;
    try {
        parts = oc->partitionsFor(topic);
    } catch (const std::exception& e) {
        error = e.what();
    }
    INFO(error);
    CHECK(error.empty());
    CHECK(parts.size() == 3);
    auto api = oc.wire->versions()[18];
    INFO("ApiVersions versions sent: " << api.size());
    CHECK(api.count(3));
    CHECK(api.size() == 2);         // one retry after UNSUPPORTED_VERSION ...
    CHECK(*api.begin() <= 2);       // ... at a version the mock serves
    CHECK(oc.wire->count(3) >= 1);  // and then a Metadata request
}

TEST_CASE(
    "mock: a group consumer negotiates the versions of an older broker (ApiVersions v0-2, Metadata v0-2, "
    "Fetch v0-11, ...) and uses the highest both serve",
    "[mock][versions]") {
    REQUIRE_MOCK(mock3());
    auto topic = unique_name("fv");
    mock3().create_topic(topic, 3, 3);
    produce(mock3().bootstrap(), topic, numbered("v", 0, 90));

    auto broker = advertised_versions(mock3().bootstrap());
    REQUIRE(!broker.empty());

    observed_consumer oc(make_config(mock3().bootstrap(), group_settings(unique_name("gv"))), true);
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    CHECK(consume_until(oc, c, 30s, [&] { return c.total >= 90; }));
    CHECK(c.anomalies.empty());
    oc->commitSync();
    // A few heartbeats (every 300 ms) before leaving.
    auto t0 = steady::now();
    while (ms_since(t0) < 1200) poll_into(*oc.consumer, c, 200ms);
    auto committed = oc->committed({{topic, 0}, {topic, 1}, {topic, 2}});
    std::int64_t sum = 0;
    for (auto const& [tp, om] : committed) sum += om ? om->offset : 0;
    CHECK(sum == 90);
    oc->close();

    log_line("versions the consumer used against the mock: " + describe_versions(*oc.wire));
    std::string adv;
    for (auto const& [k, v] : broker)
        if (!v.empty())
            adv += (adv.empty() ? "" : ", ") + api_name(k) + " " + std::to_string(v.lo) + ".." + std::to_string(v.hi);
    log_line("versions the mock advertises: " + adv);

    namespace p = kafka::protocol;
    struct expectation {
        std::int16_t key;
        p::versions ours;
        std::int16_t cap;  // the library's own cap without topic ids
    };
    const expectation expected[] = {
        {p::MetadataRequest::api_key, p::MetadataRequest::valid, INT16_MAX},
        {p::FetchRequest::api_key, p::FetchRequest::valid, 12},
        {p::ListOffsetsRequest::api_key, p::ListOffsetsRequest::valid, INT16_MAX},
        {p::FindCoordinatorRequest::api_key, p::FindCoordinatorRequest::valid, INT16_MAX},
        {p::JoinGroupRequest::api_key, p::JoinGroupRequest::valid, INT16_MAX},
        {p::SyncGroupRequest::api_key, p::SyncGroupRequest::valid, INT16_MAX},
        {p::HeartbeatRequest::api_key, p::HeartbeatRequest::valid, INT16_MAX},
        {p::OffsetFetchRequest::api_key, p::OffsetFetchRequest::valid, 9},
        {p::OffsetCommitRequest::api_key, p::OffsetCommitRequest::valid, 9},
        {p::LeaveGroupRequest::api_key, p::LeaveGroupRequest::valid, INT16_MAX},
    };
    auto used = oc.wire->versions();
    for (auto const& e : expected) {
        INFO(api_name(e.key));
        REQUIRE(broker.count(e.key));
        auto want = std::min<std::int16_t>({e.ours.hi, broker[e.key].hi, e.cap});
        REQUIRE(used.count(e.key));
        CHECK(used[e.key] == std::set<std::int16_t>{want});
    }
    // The mock answers ApiVersions v3 with UNSUPPORTED_VERSION and its own range (rewritten into the v0
    // layout by the shim, see the first test): the client retries at v2.
    CHECK(oc.wire->shim_rewrites() >= 1);
    auto api = used[p::ApiVersionsRequest::api_key];
    CHECK(api.count(3));
    CHECK(api.count(std::min<std::int16_t>(2, broker[18].hi)));
    CHECK(*api.rbegin() == 3);
    // No OffsetForLeaderEpoch: the mock does not serve it, so the consumer must not need it.
    CHECK(used.count(23) == 0);
}

TEST_CASE(
    "mock: the only broker down, then up: poll returns empty on time, commitSync throws timeout_error after "
    "default.api.timeout.ms, consumption resumes",
    "[mock][down]") {
    REQUIRE_MOCK(mock1());
    auto topic = unique_name("fd");
    mock1().create_topic(topic, 2, 1);
    produce(mock1().bootstrap(), topic, numbered("d", 0, 100));
    at_exit restore{[] { mock1().cmd_quiet("up 1"); }};

    auto settings = group_settings(unique_name("gd"));
    settings["session.timeout.ms"] = "15000";  // the outage below is shorter: the membership survives it
    settings["heartbeat.interval.ms"] = "1000";
    settings["default.api.timeout.ms"] = "3000";
    observed_consumer oc(make_config(mock1().bootstrap(), settings), true);
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    REQUIRE(consume_until(oc, c, 30s, [&] { return c.total >= 100; }));
    oc->commitSync();
    auto member = oc->member_id();
    auto generation = oc->generation();

    mock1().cmd("down 1");
    auto down_at = steady::now();
    // poll keeps returning, empty, within its timeout (a little scheduling slack allowed).
    long long worst = 0;
    std::size_t during = 0;
    for (int i = 0; i < 6; ++i) {
        auto t0 = steady::now();
        during += oc->poll(500ms).size();
        worst = std::max(worst, ms_since(t0));
    }
    INFO("slowest poll(500 ms) while the broker was down: " << worst << " ms");
    CHECK(during == 0);
    CHECK(worst <= 800);

    // commitSync with default.api.timeout.ms=3000: kafka::timeout_error after ~3 s, not at once, not later.
    auto t0 = steady::now();
    bool timed_out = false;
    std::string what;
    try {
        oc->commitSync();
    } catch (const kafka::timeout_error& e) {
        timed_out = true;
        what = e.what();
    } catch (const std::exception& e) {
        what = std::string("not a timeout_error: ") + e.what();
    }
    auto took = ms_since(t0);
    log_line("broker down: slowest poll(500ms) " + std::to_string(worst) + " ms; commitSync threw after " +
             std::to_string(took) + " ms: " + what);
    INFO(what);
    CHECK(timed_out);
    CHECK(took >= 2900);
    CHECK(took <= 4000);

    mock1().cmd("up 1");
    auto down_for = ms_since(down_at);
    produce(mock1().bootstrap(), topic, numbered("d", 100, 50));
    auto t_up = steady::now();
    CHECK(consume_until(oc, c, 20s, [&] { return c.total >= 150; }));
    log_line("broker was down " + std::to_string(down_for) + " ms; after up, the 50 new records arrived in " +
             std::to_string(ms_since(t_up)) + " ms (kcat included)");
    INFO(oc.log_tail());
    CHECK(c.anomalies.empty());
    CHECK(c.total == 150);
    // The coordinator connection is new: wait until a heartbeat went over it before committing (a
    // commit on a connection still negotiating hits the forced-v9 bug, see the OffsetCommit test).
    auto t_hb = steady::now();
    CHECK(consume_until(oc, c, 10s, [&] { return oc.wire->count(12, t_hb) >= 1; }));
    CHECK_NOTHROW(oc->commitSync());
    auto committed = oc->committed({{topic, 0}, {topic, 1}});
    std::int64_t sum = 0;
    for (auto const& [tp, om] : committed) sum += om ? om->offset : 0;
    CHECK(sum == 150);
    // The outage was shorter than the session: the member should still be the same one.
    CHECK(oc->member_id() == member);
    CHECK(oc->generation() == generation);
    CHECK(c.diff(kcat_read_all(mock1().bootstrap(), topic)).empty());
    oc->close();
}

namespace {
/// A subscribed consumer of a new 3-partition topic on mock3 that has read its first 60 records.
struct stable_member {
    std::string topic = unique_name("fc");
    std::unique_ptr<observed_consumer> oc;
    record_collector c;
    std::string member;
    std::int32_t generation = -1;
    int assigned_calls = 0;

    stable_member() {
        mock3().create_topic(topic, 3, 3);
        produce(mock3().bootstrap(), topic, numbered("c", 0, 60));
        oc = std::make_unique<observed_consumer>(make_config(mock3().bootstrap(), group_settings(unique_name("gc"))),
                                                 true);
        (*oc)->subscribe({topic}, oc->listener());
        if (!consume_until(*oc, c, 30s, [&] { return c.total >= 60; }))
            throw std::runtime_error("the first 60 records did not arrive");
        member = (*oc)->member_id();
        generation = (*oc)->generation();
        assigned_calls = oc->assigned_calls;
    }
    /// Rediscovery must keep the membership: no rebalance, nothing read twice.
    void check_membership_kept() {
        CHECK((*oc)->member_id() == member);
        CHECK((*oc)->generation() == generation);
        CHECK(oc->assigned_calls == assigned_calls);
        CHECK(oc->revoked == 0);
        CHECK(oc->lost == 0);
        CHECK(c.anomalies.empty());
    }
};
}  // namespace

TEST_CASE("mock: NOT_COORDINATOR on Heartbeat: the coordinator is looked up again, the membership stays",
          "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 12"); }};
    stable_member m;
    auto& oc = *m.oc;
    auto before = steady::now();
    mock3().cmd("error 12 1 NOT_COORDINATOR");
    // Heartbeats every 300 ms: the next one gets the error, then FindCoordinator, then heartbeats again.
    CHECK(consume_until(oc, m.c, 10s, [&] {
        auto hb = oc.wire->requests(12, before);
        auto fc = oc.wire->requests(10, before);
        return !fc.empty() && !hb.empty() &&
               std::count_if(hb.begin(), hb.end(), [&](auto& r) { return r.at > fc.front().at; }) >= 2;
    }));
    auto hb = oc.wire->requests(12, before);
    auto fc = oc.wire->requests(10, before);
    INFO("heartbeats since the injection: " << hb.size() << ", FindCoordinator: " << fc.size());
    REQUIRE(!hb.empty());
    REQUIRE(!fc.empty());
    CHECK(hb.front().at < fc.front().at);  // the heartbeat that got NOT_COORDINATOR came first
    // A new connection to the coordinator after the error (the old one was dropped).
    CHECK(!oc.wire->connects(hb.front().at).empty());
    m.check_membership_kept();
    produce(mock3().bootstrap(), m.topic, numbered("c", 60, 30));
    CHECK(consume_until(oc, m.c, 10s, [&] { return m.c.total >= 90; }));
    CHECK(m.c.anomalies.empty());
    oc->close();
}

// After NOT_COORDINATOR the commit is retried on a new coordinator connection. Until that connection
// has finished ApiVersions the version is left open up to the cap (network_client::send's cap), so the
// retry uses a version the mock serves (OffsetCommit v0-7) rather than the cap itself (v9): this once
// failed with "no API version supported by both client and broker".
TEST_CASE("mock: NOT_COORDINATOR on OffsetCommit: commitSync looks the coordinator up again and succeeds",
          "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 8"); }};
    stable_member m;
    auto& oc = *m.oc;
    auto before = steady::now();
    mock3().cmd("error 8 1 NOT_COORDINATOR");
    auto t0 = steady::now();
    std::string error;
    try {
        oc->commitSync();
    } catch (const std::exception& e) {
        error = e.what();
    }
    auto took = ms_since(t0);
    auto commits = oc.wire->requests(8, before);
    auto finds = oc.wire->requests(10, before);
    INFO("commitSync took " << took << " ms; OffsetCommit sent " << commits.size() << "x, FindCoordinator "
                            << finds.size() << "x; error: " << error);
    CHECK(error.empty());
    CHECK(took < 3000);
    REQUIRE(commits.size() >= 2);
    REQUIRE(!finds.empty());
    CHECK(commits.front().at < finds.front().at);
    CHECK(finds.front().at < commits.back().at);
    auto committed = oc->committed({{m.topic, 0}, {m.topic, 1}, {m.topic, 2}});
    std::int64_t sum = 0;
    for (auto const& [tp, om] : committed) sum += om ? om->offset : 0;
    CHECK(sum == 60);
    m.check_membership_kept();
    oc->close();
}

// A consumer with group.id that uses assign() looks the group coordinator up again once it lost it
// (here NOT_COORDINATOR on an OffsetCommit; a broker restart or a request timeout does the same):
// KafkaConsumer::ensure_coordinator() sends FindCoordinator itself, with or without a subscription.
TEST_CASE("mock: assign() with group.id: after NOT_COORDINATOR on OffsetCommit, commitSync finds the coordinator again",
          "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 8"); }};
    auto topic = unique_name("fa");
    mock3().create_topic(topic, 2, 3);
    produce(mock3().bootstrap(), topic, numbered("a", 0, 40));
    auto settings = group_settings(unique_name("ga"));
    settings["default.api.timeout.ms"] = "3000";
    observed_consumer oc(make_config(mock3().bootstrap(), settings), true);
    oc->assign({{topic, 0}, {topic, 1}});
    record_collector c;
    REQUIRE(consume_until(oc, c, 15s, [&] { return c.total >= 40; }));  // positions from OffsetFetch: coordinator known
    REQUIRE_NOTHROW(oc->commitSync());
    auto before = steady::now();
    mock3().cmd("error 8 1 NOT_COORDINATOR");
    std::string error;
    try {
        oc->commitSync();
    } catch (const std::exception& e) {
        error = e.what();
    }
    INFO("commitSync after NOT_COORDINATOR: " << (error.empty() ? std::string("ok") : error)
                                              << "; FindCoordinator sent " << oc.wire->count(10, before) << "x");
    CHECK(error.empty());
    CHECK(oc.wire->count(10, before) >= 1);
    oc->close();
}

TEST_CASE(
    "mock: COORDINATOR_LOAD_IN_PROGRESS on FindCoordinator and OffsetFetch is retried; the consumer starts "
    "at the committed offsets, not at the reset policy",
    "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] {
        mock3().cmd_quiet("clear 10");
        mock3().cmd_quiet("clear 9");
    }};
    auto topic = unique_name("fl");
    auto group = unique_name("gl");
    mock3().create_topic(topic, 2, 3);
    produce(mock3().bootstrap(), topic, numbered("l", 0, 100));
    auto truth = kcat_read_all(mock3().bootstrap(), topic);
    REQUIRE(truth[0].size() > 10);
    REQUIRE(truth[1].size() > 10);
    {
        // The group's offsets, committed by a consumer outside the group protocol (assign()).
        auto settings = group_settings(group);
        observed_consumer setup(make_config(mock3().bootstrap(), settings), true);
        setup->assign({{topic, 0}, {topic, 1}});
        record_collector sc;
        REQUIRE(consume_until(setup, sc, 15s, [&] { return sc.total >= 100; }));
        setup->commitSync(std::map<topic_partition, kafka::offset_and_metadata>{{{topic, 0}, {7, "", std::nullopt}},
                                                                                {{topic, 1}, {5, "", std::nullopt}}});
        setup->close();
    }
    auto before = steady::now();
    mock3().cmd("error 10 2 COORDINATOR_LOAD_IN_PROGRESS");
    mock3().cmd("error 9 2 COORDINATOR_LOAD_IN_PROGRESS");

    observed_consumer oc(make_config(mock3().bootstrap(), group_settings(group)), true);
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    c.start = {{0, 7}, {1, 5}};
    auto want = truth[0].size() - 7 + truth[1].size() - 5;
    CHECK(consume_until(oc, c, 30s, [&] { return c.total >= want; }));
    auto finds = oc.wire->count(10, before);
    auto fetches = oc.wire->count(9, before);
    log_line("COORDINATOR_LOAD_IN_PROGRESS: FindCoordinator sent " + std::to_string(finds) + "x, OffsetFetch " +
             std::to_string(fetches) + "x");
    CHECK(finds >= 3);    // two answered with the error, then the coordinator
    CHECK(fetches >= 3);  // two answered with the error, then the committed offsets
    INFO(oc.log_tail());
    CHECK(c.anomalies.empty());  // the first records are offsets 7 and 5: the committed ones
    CHECK(c.total == want);
    CHECK(oc.wire->count(2, before) == 0);  // no ListOffsets: nothing was reset
    oc->close();
}

TEST_CASE(
    "mock: REBALANCE_IN_PROGRESS on Heartbeat: the member rejoins, the listener sees revoked then assigned, "
    "consumption goes on from the committed offsets",
    "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 12"); }};
    auto topic = unique_name("fr");
    mock3().create_topic(topic, 3, 3);
    produce(mock3().bootstrap(), topic, numbered("r", 0, 60));
    observed_consumer oc(make_config(mock3().bootstrap(), group_settings(unique_name("gr"))), true);
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    REQUIRE(consume_until(oc, c, 30s, [&] { return c.total >= 60; }));
    oc->commitSync();
    auto generation = oc->generation();
    REQUIRE(oc.assigned_calls == 1);
    REQUIRE(oc.revoked == 0);

    auto before = steady::now();
    mock3().cmd("error 12 1 REBALANCE_IN_PROGRESS");
    // The mock completes a rebalance of a stable group after session.timeout.ms - 1 s (2 s here).
    CHECK(consume_until(oc, c, 15s, [&] { return oc.assigned_calls >= 2 && oc->generation() != generation; }));
    log_line("REBALANCE_IN_PROGRESS: rejoined in " + std::to_string(ms_since(before)) + " ms, generation " +
             std::to_string(generation) + " -> " + std::to_string(oc->generation()));
    CHECK(oc.revoked == 1);  // eager protocol (range): everything revoked before the JoinGroup
    CHECK(oc.lost == 0);
    CHECK(oc.wire->count(11, before) >= 1);
    CHECK(oc.assigned.size() == 3);

    produce(mock3().bootstrap(), topic, numbered("r", 60, 60));
    CHECK(consume_until(oc, c, 15s, [&] { return c.total >= 120; }));
    INFO(oc.log_tail());
    CHECK(c.anomalies.empty());  // resumed at the committed offsets: nothing twice, nothing skipped
    CHECK(c.diff(kcat_read_all(mock3().bootstrap(), topic)).empty());
    CHECK_NOTHROW(oc->commitSync());
    oc->close();
}

TEST_CASE(
    "mock: NOT_LEADER_OR_FOLLOWER and UNKNOWN_TOPIC_OR_PARTITION on Fetch: metadata is refreshed and "
    "consumption continues without loss or duplicates",
    "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 1"); }};
    auto topic = unique_name("ff");
    mock3().create_topic(topic, 3, 3);
    produce(mock3().bootstrap(), topic, numbered("f", 0, 60));
    observed_consumer oc(
        make_config(mock3().bootstrap(), {{"fetch.max.wait.ms", "200"}, {"auto.offset.reset", "earliest"}}), true);
    oc->assign({{topic, 0}, {topic, 1}, {topic, 2}});
    record_collector c;
    REQUIRE(consume_until(oc, c, 15s, [&] { return c.total >= 60; }));

    int produced = 60;
    for (auto const* code : {"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION"}) {
        INFO(code);
        auto before = steady::now();
        mock3().cmd(std::string("error 1 4 ") + code);
        produce(mock3().bootstrap(), topic, numbered("f", produced, 60));
        produced += 60;
        CHECK(consume_until(oc, c, 15s, [&] { return c.total >= static_cast<std::size_t>(produced); }));
        auto metadata = oc.wire->count(3, before);
        log_line(std::string("Fetch answered with ") + code + " x4: " + std::to_string(metadata) +
                 " Metadata request(s) after it, all records in " + std::to_string(ms_since(before)) + " ms");
        CHECK(metadata >= 1);
    }
    INFO(oc.log_tail());
    CHECK(c.anomalies.empty());
    CHECK(c.total == static_cast<std::size_t>(produced));
    CHECK(c.diff(kcat_read_all(mock3().bootstrap(), topic)).empty());
    oc->close();
}

TEST_CASE(
    "mock: latency beyond request.timeout.ms: requests time out (connection dropped and reopened), poll stays "
    "on time, commitSync times out; the member and its consumption recover when the latency goes",
    "[mock][latency]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("rtt -1 0"); }};
    auto topic = unique_name("ft");
    mock3().create_topic(topic, 3, 3);
    produce(mock3().bootstrap(), topic, numbered("t", 0, 60));
    auto settings = group_settings(unique_name("gt"));
    settings["request.timeout.ms"] = "1500";
    settings["default.api.timeout.ms"] = "3000";
    settings["fetch.max.wait.ms"] = "100";
    settings["session.timeout.ms"] = "15000";  // the mock still sees the heartbeats (only its answers are late)
    settings["heartbeat.interval.ms"] = "500";
    observed_consumer oc(make_config(mock3().bootstrap(), settings), true);
    oc->subscribe({topic}, oc.listener());
    record_collector c;
    REQUIRE(consume_until(oc, c, 30s, [&] { return c.total >= 60; }));
    CHECK_NOTHROW(oc->commitSync());
    auto member = oc->member_id();
    auto generation = oc->generation();

    auto before = steady::now();
    mock3().cmd("rtt -1 2500");
    long long worst = 0;
    while (ms_since(before) < 4000) {
        auto t0 = steady::now();
        oc->poll(300ms);
        worst = std::max(worst, ms_since(t0));
    }
    auto t0 = steady::now();
    bool timed_out = false;
    std::string other;
    try {
        oc->commitSync();
    } catch (const kafka::timeout_error&) {
        timed_out = true;
    } catch (const std::exception& e) {
        other = e.what();
    }
    auto commit_took = ms_since(t0);
    auto reconnects = oc.wire->connects(before).size();
    mock3().cmd("rtt -1 0");
    auto cleared = steady::now();
    log_line("rtt 2500 ms > request.timeout.ms 1500: slowest poll(300ms) " + std::to_string(worst) + " ms, " +
             std::to_string(reconnects) + " new connection(s), commitSync timed out after " +
             std::to_string(commit_took) + " ms");
    INFO(oc.log_tail());
    INFO("commitSync threw: " << other);
    CHECK(worst <= 700);
    CHECK(timed_out);
    CHECK(commit_took >= 2900);
    CHECK(commit_took <= 4500);
    // Timed-out requests close their connection (as Java does), so new connections were opened.
    CHECK(reconnects >= 2);

    produce(mock3().bootstrap(), topic, numbered("t", 60, 60));
    CHECK(consume_until(oc, c, 15s, [&] { return c.total >= 120; }));
    log_line("after the latency went: 60 new records in " + std::to_string(ms_since(cleared)) + " ms (kcat included)");
    CHECK(c.anomalies.empty());
    CHECK(c.diff(kcat_read_all(mock3().bootstrap(), topic)).empty());
    // Heartbeats again over a new coordinator connection, then a commit (see the down/up test on why
    // the heartbeat is waited for).
    auto t_hb = steady::now();
    CHECK(consume_until(oc, c, 10s, [&] { return oc.wire->count(12, t_hb) >= 1; }));
    CHECK_NOTHROW(oc->commitSync());
    CHECK(oc->member_id() == member);
    CHECK(oc->generation() == generation);
    CHECK(oc.lost == 0);
    oc->close();
}

TEST_CASE("mock: partition leaders move to another broker: fetching follows them, nothing lost or repeated",
          "[mock][leader]") {
    REQUIRE_MOCK(mock3());
    auto topic = unique_name("fm");
    mock3().create_topic(topic, 3, 3);
    produce(mock3().bootstrap(), topic, numbered("m", 0, 90));
    auto md = mock3().metadata(topic);
    REQUIRE(md.topics[topic].size() == 3);
    REQUIRE(md.brokers.size() == 3);

    observed_consumer oc(
        make_config(mock3().bootstrap(), {{"fetch.max.wait.ms", "200"}, {"auto.offset.reset", "earliest"}}), true);
    oc->assign({{topic, 0}, {topic, 1}, {topic, 2}});
    record_collector c;
    REQUIRE(consume_until(oc, c, 15s, [&] { return c.total >= 90; }));

    // Every partition's leader moves to one broker that does not lead partition 0 now (the mock may
    // have put all leaders on one broker), preferably one that leads nothing: at least partition 0 moves.
    int target = -1;
    std::set<int> leaders;
    for (auto const& [p, info] : md.topics[topic]) leaders.insert(info.leader);
    for (auto const& [id, addr] : md.brokers)
        if (id != md.topics[topic][0].leader && (target < 0 || !leaders.count(id))) target = id;
    REQUIRE(target > 0);
    int moving = 0;
    for (auto const& [p, info] : md.topics[topic]) moving += info.leader != target;
    auto address = md.brokers[target];
    auto before = steady::now();
    for (int p = 0; p < 3; ++p) mock3().cmd("leader " + topic + " " + std::to_string(p) + " " + std::to_string(target));
    auto after = mock3().metadata(topic);
    for (int p = 0; p < 3; ++p) CHECK(after.topics[topic][p].leader == target);
    produce(mock3().bootstrap(), topic, numbered("m", 90, 90));
    CHECK(consume_until(oc, c, 20s, [&] { return c.total >= 180; }));
    log_line(std::to_string(moving) + " partition leader(s) moved to broker " + std::to_string(target) +
             ": all records in " + std::to_string(ms_since(before)) + " ms (kcat included), " +
             std::to_string(oc.wire->count(3, before)) + " Metadata request(s)");
    INFO(oc.log_tail());
    CHECK(c.anomalies.empty());
    CHECK(c.diff(kcat_read_all(mock3().bootstrap(), topic)).empty());
    CHECK(oc.wire->count(3, before) >= 1);
    // The old leader answered NOT_LEADER_OR_FOLLOWER, metadata was refreshed, and now every fetch goes
    // to the new leader (fetch.max.wait.ms is 200: several fetches in the last 600 ms of a 1 s poll).
    auto t1 = steady::now();
    while (ms_since(t1) < 1000) poll_into(*oc.consumer, c, 200ms);
    auto fetches = oc.wire->requests(1, steady::now() - 600ms);
    REQUIRE(!fetches.empty());
    for (auto const& f : fetches) CHECK(f.peer == address);
    CHECK(c.anomalies.empty());
    oc->close();
}

// A failed ListOffsets (the reset of a partition without a position) is sent again after
// retry.backoff.ms, as Java's SubscriptionState.requestFailed does, not at once: against a broker that
// keeps failing, a client without the backoff spins on the CPU and the network.
TEST_CASE("mock: a ListOffsets answered with errors is retried after retry.backoff.ms, not at once", "[mock][errors]") {
    REQUIRE_MOCK(mock3());
    at_exit restore{[] { mock3().cmd_quiet("clear 2"); }};
    auto topic = unique_name("fo");
    mock3().create_topic(topic, 1, 3);
    produce(mock3().bootstrap(), topic, numbered("o", 0, 10));
    mock3().cmd("error 2 30 NOT_LEADER_OR_FOLLOWER");
    observed_consumer oc(make_config(mock3().bootstrap(), {{"auto.offset.reset", "earliest"},
                                                           {"retry.backoff.ms", "100"},
                                                           {"retry.backoff.max.ms", "100"},
                                                           {"fetch.max.wait.ms", "200"}}),
                         true);
    oc->assign({{topic, 0}});
    record_collector c;
    CHECK(consume_until(oc, c, 20s, [&] { return c.total >= 10; }));
    auto offsets = oc.wire->requests(2);
    REQUIRE(offsets.size() >= 31);
    auto span = std::chrono::duration_cast<std::chrono::milliseconds>(offsets[30].at - offsets[0].at).count();
    log_line("31 ListOffsets (30 answered with an error) sent within " + std::to_string(span) + " ms");
    // 30 retries, each at least retry.backoff.ms (100 ms) after the previous failure; allow for jitter.
    CHECK(span >= 2400);
    CHECK(c.anomalies.empty());
    oc->close();
}
