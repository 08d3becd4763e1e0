// The fetcher alone, driven directly (no consumer) with a network client, metadata and a
// subscription_state over the fake cluster on simulated time: one Fetch per leader and none
// while one is in flight to it, fetch-ahead offsets, data of partitions seeked or revoked while
// their fetch was out dropped, max.poll.records per collect(), errors turned into resets and
// metadata refreshes.
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/fetcher.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using kafka::errc;
using kafka::offset_reset_strategy;
using kafka::topic_partition;
using kafka::engine::fetch_position;
namespace kc = kafka::client;
namespace ke = kafka::engine;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;

namespace {

constexpr std::int16_t fetch_key = proto::FetchRequest::api_key;
constexpr std::int16_t list_offsets_key = proto::ListOffsetsRequest::api_key;

using transport_type = kt::in_memory_transport;

kc::client_options client_options() {
    kc::client_options o;
    o.client_id = "unit";
    o.request_timeout = 5000ms;
    return o;
}

/// A fetch partition as a broker received it.
struct sent_partition {
    std::int32_t partition;
    std::int64_t offset;
    std::int32_t leader_epoch;
    friend bool operator==(const sent_partition&, const sent_partition&) = default;
};
/// Fetch requests by node, in the order they reached the cluster.
using fetch_log = std::vector<std::pair<std::int32_t, std::vector<sent_partition>>>;

/// (partition, offset) of records in the order collect() handed them over.
using collected = std::vector<std::pair<topic_partition, std::int64_t>>;

/// `batches` batches of `per_batch` records each on partition p of "t".
void produce_batches(kt::fake_cluster& cluster, std::int32_t p, int batches, int per_batch) {
    for (int b = 0; b < batches; ++b) {
        std::vector<std::string> values;
        for (int i = 0; i < per_batch; ++i) values.push_back("v" + std::to_string(b * per_batch + i));
        cluster.produce_values("t", p, values);
    }
}

/// A fetcher with everything it works with: a fake cluster, the network client, metadata
/// loaded from the cluster, and the subscription state. Topic "t"; what it fetches is logged.
struct harness {
    explicit harness(ke::fetch_options fetch = {}, offset_reset_strategy reset = offset_reset_strategy::earliest)
        : transport(cluster),
          client(io, transport, client_options()),
          subs(reset),
          fetcher(client, metadata, subs, fetch) {
        cluster.on_request([this](const kt::request_info& info) {
            if (info.api_key != fetch_key) return;
            proto::FetchRequest req;
            std::int16_t v = 0;
            std::int32_t corr = 0;
            REQUIRE_FALSE(proto::decode_request(info.frame, req, v, corr));
            std::vector<sent_partition> parts;
            for (auto const& t : req.topics)
                for (auto const& p : t.partitions)
                    parts.push_back({p.partition, p.fetch_offset, p.current_leader_epoch});
            fetches.emplace_back(info.node, std::move(parts));
        });
    }
    ~harness() { cluster.on_request({}); }

    /// Metadata of topic "t" from the cluster, brokers declared to the client (as the consumer does).
    void load_metadata() {
        client.set_node(-1, "sim", 9092);
        metadata.set_topics({"t"});
        auto f = client.send(-1, metadata.build_request(false));
        REQUIRE(client.poll_future(f, 5s));
        REQUIRE(f.succeeded());
        metadata.update(f.value().body, transport.now());
        for (auto const& [id, b] : metadata.brokers()) client.set_node(id, b.host, b.port);
    }

    /// Topic "t": partition p led by `leaders[p]`, with one batch of `records[p]` records; metadata loaded.
    void topic(const std::vector<std::int32_t>& leaders, const std::vector<int>& records) {
        cluster.create_topic("t", static_cast<std::int32_t>(leaders.size()), leaders);
        for (std::size_t p = 0; p < records.size(); ++p)
            if (records[p] > 0) produce_batches(cluster, static_cast<std::int32_t>(p), 1, records[p]);
        load_metadata();
    }

    /// Assigns partitions of "t" at `offset` each.
    void assign(const std::set<std::int32_t>& partitions, std::int64_t offset = 0) {
        std::set<topic_partition> tps;
        for (auto p : partitions) tps.insert({"t", p});
        subs.assign_from_user(tps);
        for (auto const& tp : tps) subs.seek(tp, {offset, std::nullopt});
    }

    /// Runs the client until no fetch is in flight.
    void await_fetches() {
        REQUIRE(client.poll_until(10s, [&] { return !fetcher.has_in_flight(); }));
    }

    collected collect(std::size_t max) {
        kafka::record_storage storage;
        collected out;
        fetcher.collect(max, storage,
                        [&](const std::string* topic, std::int32_t partition, const kafka::record_view& r) {
                            out.push_back({{*topic, partition}, r.offset});
                        });
        return out;
    }

    std::int64_t position(std::int32_t p) const {
        auto pos = subs.position({"t", p});
        return pos ? pos->offset : -1;
    }

    kt::fake_cluster cluster;
    asio::io_context io;
    transport_type transport;
    kc::network_client<transport_type> client;
    kc::basic_metadata<kt::sim_clock> metadata;
    ke::subscription_state subs;
    ke::fetcher<transport_type> fetcher;
    fetch_log fetches;
};

/// Offsets [from, to) of partition p of "t".
collected offsets_of(std::int32_t p, std::int64_t from, std::int64_t to) {
    collected out;
    for (auto o = from; o < to; ++o) out.push_back({{"t", p}, o});
    return out;
}
collected operator+(collected a, const collected& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("fetcher: one Fetch per leader, sent by the client's poll, not by send_fetches", "[consumer][fetcher]") {
    harness h;
    h.topic({0, 1, 2, 0}, {3, 3, 3, 3});
    h.assign({0, 1, 2, 3});

    CHECK(h.fetcher.send_fetches() == 3);
    CHECK(h.fetcher.has_in_flight());
    CHECK(h.fetcher.send_fetches() == 0);  // every leader has one in flight
    CHECK(h.cluster.request_count(fetch_key) == 0);
    h.await_fetches();
    std::map<std::int32_t, std::vector<sent_partition>> by_node(h.fetches.begin(), h.fetches.end());
    CHECK(h.fetches.size() == 3);
    CHECK(by_node == std::map<std::int32_t, std::vector<sent_partition>>{
                         {0, {{0, 0, 0}, {3, 0, 0}}}, {1, {{1, 0, 0}}}, {2, {{2, 0, 0}}}});
    CHECK(h.fetcher.stats().fetch_requests == 3);
    CHECK(h.fetcher.stats().fetch_responses == 3);

    auto got = h.collect(100);
    CHECK(got.size() == 12);
    for (int p = 0; p < 4; ++p) CHECK(h.position(p) == 3);
}

TEST_CASE("fetcher: nothing is sent to a leader while a fetch to it is in flight; other leaders are fetched",
          "[consumer][fetcher]") {
    harness h;
    h.topic({0, 1}, {5, 5});
    h.cluster.set_latency(0, 2s);  // node 0 answers (and accepts connections) slowly
    h.assign({0, 1});

    CHECK(h.fetcher.send_fetches() == 2);
    REQUIRE(h.client.poll_until(10s, [&] { return h.fetcher.has_completed_fetches(); }));
    CHECK(h.collect(100) == offsets_of(1, 0, 5));  // node 1 answered; node 0 has not yet
    CHECK(h.fetcher.has_in_flight());

    produce_batches(h.cluster, 1, 1, 5);
    CHECK(h.fetcher.send_fetches() == 1);  // node 1 only
    REQUIRE(h.client.poll_until(10s, [&] { return h.fetcher.has_completed_fetches(); }));
    CHECK(h.collect(100) == offsets_of(1, 5, 10));
    CHECK(h.fetcher.send_fetches() == 1);  // node 1 again (it waits for data); node 0 still busy

    h.await_fetches();
    CHECK(h.cluster.request_count(fetch_key, 0) == 1);
    CHECK(h.collect(100) == offsets_of(0, 0, 5));
    CHECK(h.fetches.front() == std::pair<std::int32_t, std::vector<sent_partition>>{1, {{1, 0, 0}}});
}

TEST_CASE("fetcher: the next batch is fetched ahead from the end of the buffered one, once half of it is decoded",
          "[consumer][fetcher]") {
    ke::fetch_options o;
    o.max_partition_bytes = 1;  // one batch per response
    harness h(o);
    h.topic({0}, {});
    produce_batches(h.cluster, 0, 3, 10);
    h.assign({0});

    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK(h.fetcher.has_completed_fetches());
    CHECK(h.fetcher.send_fetches() == 0);  // buffered, nothing decoded yet

    CHECK(h.collect(4) == offsets_of(0, 0, 4));
    CHECK(h.position(0) == 4);
    CHECK(h.fetcher.send_fetches() == 1);  // ahead, from the end of the batch, not from the position
    h.await_fetches();
    CHECK(h.fetcher.send_fetches() == 0);  // two fetches held: no third

    CHECK(h.collect(100) == offsets_of(0, 4, 20));
    CHECK(h.fetcher.send_fetches() == 1);  // nothing buffered: from the position
    h.await_fetches();
    CHECK(h.collect(100) == offsets_of(0, 20, 30));

    std::vector<std::int64_t> sent;
    for (auto const& [node, parts] : h.fetches) sent.push_back(parts.at(0).offset);
    CHECK(sent == std::vector<std::int64_t>{0, 10, 20});
}

TEST_CASE("fetcher: a partition's fetched-ahead records follow its buffered ones in the same collect",
          "[consumer][fetcher]") {
    // ConsumerRecords promises one run per partition (records(tp) is a subrange): the ahead fetch
    // of partition 0 arrives after partition 1's buffered fetch, so it is not handed over after
    // partition 1's records in the same collect, but by the next one.
    ke::fetch_options o;
    o.max_partition_bytes = 1;  // one batch per partition per response
    harness h(o);
    h.topic({0, 0}, {});
    produce_batches(h.cluster, 0, 2, 10);
    produce_batches(h.cluster, 1, 1, 10);
    h.assign({0, 1});
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK(h.collect(6) == offsets_of(0, 0, 6));
    CHECK(h.fetcher.send_fetches() == 1);  // partition 0 ahead, from 10
    h.await_fetches();
    CHECK(h.collect(100) == offsets_of(0, 6, 10) + offsets_of(1, 0, 10));
    CHECK(h.position(0) == 10);
    CHECK(h.collect(100) == offsets_of(0, 10, 20));
    CHECK(h.position(0) == 20);
    CHECK_FALSE(h.fetcher.has_completed_fetches());
}

TEST_CASE("fetcher: a partition seeked while its fetch is out gets none of that fetch's records",
          "[consumer][fetcher]") {
    harness h;
    h.topic({0}, {10});
    h.cluster.set_latency(0, 1s);
    h.assign({0});

    CHECK(h.fetcher.send_fetches() == 1);
    h.client.poll(100ms);
    REQUIRE(h.fetcher.has_in_flight());

    SECTION("seeked while in flight: the response is dropped on arrival") {
        h.subs.seek({"t", 0}, {6, std::nullopt});
        CHECK(h.fetcher.send_fetches() == 0);  // the leader still has the old one in flight
        h.await_fetches();
        CHECK_FALSE(h.fetcher.has_completed_fetches());
        CHECK(h.collect(100).empty());
        CHECK(h.position(0) == 6);
    }
    SECTION("seeked to the offset it had: dropped all the same (the seek epoch changed)") {
        h.subs.seek({"t", 0}, {0, std::nullopt});
        h.await_fetches();
        CHECK_FALSE(h.fetcher.has_completed_fetches());
        CHECK(h.collect(100).empty());
    }
    SECTION("seeked after the response arrived: the buffered data is dropped by collect") {
        h.await_fetches();
        REQUIRE(h.fetcher.has_completed_fetches());
        h.subs.seek({"t", 0}, {6, std::nullopt});
        CHECK(h.collect(100).empty());
        CHECK_FALSE(h.fetcher.has_completed_fetches());
        CHECK(h.position(0) == 6);
    }
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    auto from = h.position(0);
    CHECK(h.collect(100) == offsets_of(0, from, 10));
    CHECK(h.fetches.size() == 2);
    CHECK(h.fetches.back().second.at(0).offset == from);
}

TEST_CASE("fetcher: a partition revoked while its fetch is out gets none of its records", "[consumer][fetcher]") {
    harness h;
    h.topic({0, 0}, {4, 4});  // one leader: both partitions in one response
    h.cluster.set_latency(0, 1s);
    h.assign({0, 1});
    CHECK(h.fetcher.send_fetches() == 1);
    h.client.poll(100ms);
    REQUIRE(h.fetcher.has_in_flight());

    const topic_partition t0{"t", 0}, t1{"t", 1};
    SECTION("revoked") {
        h.subs.assign_from_user({t1});  // t-1 kept: its position and seek epoch stay
        h.await_fetches();
        CHECK(h.collect(100) == offsets_of(1, 0, 4));
        CHECK_FALSE(h.fetcher.has_completed_fetches());
    }
    SECTION("revoked and assigned again at the same offset: still dropped") {
        h.subs.assign_from_user({t1});
        h.subs.assign_from_user({t0, t1});
        h.subs.seek(t0, {0, std::nullopt});
        h.await_fetches();
        CHECK(h.collect(100) == offsets_of(1, 0, 4));
        CHECK(h.position(0) == 0);
    }
    SECTION("revoked after the response arrived: drop_unassigned() forgets its data") {
        h.await_fetches();
        h.subs.assign_from_user({t1});
        h.fetcher.drop_unassigned();
        CHECK(h.collect(100) == offsets_of(1, 0, 4));
        CHECK_FALSE(h.fetcher.has_completed_fetches());
    }
}

TEST_CASE("fetcher: collect() returns at most max.poll.records; the rest stays buffered", "[consumer][fetcher]") {
    harness h;
    h.topic({0, 0}, {25, 5});
    h.assign({0, 1});
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();

    CHECK(h.collect(10) == offsets_of(0, 0, 10));
    CHECK(h.position(0) == 10);
    CHECK(h.position(1) == 0);
    CHECK(h.collect(10) == offsets_of(0, 10, 20));
    CHECK(h.collect(7) == offsets_of(0, 20, 25) + offsets_of(1, 0, 2));
    CHECK(h.position(0) == 25);
    CHECK(h.position(1) == 2);
    CHECK(h.collect(0).empty());
    CHECK(h.collect(10) == offsets_of(1, 2, 5));
    CHECK_FALSE(h.fetcher.has_completed_fetches());
    CHECK(h.fetcher.stats().records == 30);
}

TEST_CASE("fetcher: nothing of a paused partition is fetched or returned", "[consumer][fetcher]") {
    harness h;
    h.topic({0, 0}, {3, 3});
    h.assign({0, 1});
    h.subs.pause({"t", 0});
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK(h.fetches.at(0).second == std::vector<sent_partition>{{1, 0, 0}});
    CHECK(h.collect(100) == offsets_of(1, 0, 3));

    h.subs.resume({"t", 0});
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    h.subs.pause({"t", 0});  // paused with its data buffered: the data is dropped, the position stays
    CHECK(h.collect(100).empty());
    CHECK(h.position(0) == 0);
}

TEST_CASE("fetcher: OFFSET_OUT_OF_RANGE requests a reset per auto.offset.reset", "[consumer][fetcher]") {
    SECTION("earliest: ListOffsets, then records from the log start") {
        harness h({}, offset_reset_strategy::earliest);
        h.topic({0}, {10});
        h.cluster.delete_records("t", 0, 4);
        h.assign({0}, 100);
        CHECK(h.fetcher.send_fetches() == 1);
        h.await_fetches();
        CHECK(h.collect(100).empty());
        CHECK(h.subs.pending_reset({"t", 0}) == offset_reset_strategy::earliest);
        CHECK_FALSE(h.subs.position({"t", 0}));
        CHECK(h.subs.partitions_needing_reset() == std::vector<topic_partition>{{"t", 0}});
        CHECK(h.fetcher.send_fetches() == 0);  // no position: not fetchable

        h.fetcher.reset_offsets_if_needed();
        REQUIRE(h.client.poll_until(5s, [&] { return h.subs.position({"t", 0}).has_value(); }));
        CHECK(h.cluster.request_count(list_offsets_key) == 1);
        CHECK(h.subs.position({"t", 0}) == fetch_position{4, 0});
        CHECK_FALSE(h.subs.pending_reset({"t", 0}));
        CHECK(h.fetcher.send_fetches() == 1);
        h.await_fetches();
        CHECK(h.collect(100) == offsets_of(0, 4, 10));
    }
    SECTION("latest, below the log start") {
        harness h({}, offset_reset_strategy::latest);
        h.topic({0}, {10});
        h.cluster.delete_records("t", 0, 4);
        h.assign({0}, 2);
        h.fetcher.send_fetches();
        h.await_fetches();
        CHECK(h.collect(100).empty());
        CHECK(h.subs.pending_reset({"t", 0}) == offset_reset_strategy::latest);
        h.fetcher.reset_offsets_if_needed();
        REQUIRE(h.client.poll_until(5s, [&] { return h.subs.position({"t", 0}).has_value(); }));
        CHECK(h.position(0) == 10);
    }
    SECTION("none: collect throws offset_out_of_range_error naming the partition and the offset") {
        harness h({}, offset_reset_strategy::none);
        h.topic({0}, {10});
        h.assign({0}, 100);
        h.fetcher.send_fetches();
        h.await_fetches();
        try {
            h.collect(100);
            FAIL("no exception");
        } catch (const kafka::offset_out_of_range_error& e) {
            CHECK(e.partitions() == std::map<topic_partition, std::int64_t>{{{"t", 0}, 100}});
        }
        CHECK(h.position(0) == 100);
    }
}

TEST_CASE(
    "fetcher: a leader change: NOT_LEADER_OR_FOLLOWER asks for metadata; the next fetch goes to the new leader "
    "with its epoch",
    "[consumer][fetcher]") {
    harness h;
    h.topic({0}, {3});
    h.assign({0});
    h.cluster.move_leader("t", 0, 2);
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK_FALSE(h.metadata.update_requested());
    CHECK(h.collect(100).empty());  // the error is handled where Java does: on collect
    CHECK(h.metadata.update_requested());
    CHECK(h.position(0) == 0);

    h.load_metadata();
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK(h.collect(100) == offsets_of(0, 0, 3));
    REQUIRE(h.fetches.size() == 2);
    CHECK(h.fetches[0] == std::pair<std::int32_t, std::vector<sent_partition>>{0, {{0, 0, 0}}});
    CHECK(h.fetches[1] == std::pair<std::int32_t, std::vector<sent_partition>>{2, {{0, 0, 1}}});
}

// As Java's FetchCollector: an error met after records were handed over is held back (those
// records are returned, the next collect throws it), so that no record is consumed and lost; an
// errored fetch without records is removed as it is thrown, so that the partition is fetched
// again instead of the same error being thrown forever.
TEST_CASE("fetcher: an error after records were collected is thrown by the next collect, not instead of them",
          "[consumer][fetcher]") {
    harness h({}, offset_reset_strategy::none);
    h.topic({0, 0}, {3, 3});  // one leader: one response, t-0 first
    const topic_partition t0{"t", 0}, t1{"t", 1};
    h.subs.assign_from_user({t0, t1});
    h.subs.seek(t0, {0, std::nullopt});
    h.subs.seek(t1, {100, std::nullopt});  // out of range, and no reset policy
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();

    collected got;
    CHECK_NOTHROW(got = h.collect(100));
    CHECK(got == offsets_of(0, 0, 3));
    CHECK(h.position(0) == 3);
    CHECK_THROWS_AS(h.collect(100), kafka::offset_out_of_range_error);
    CHECK(h.position(1) == 100);
}

TEST_CASE("fetcher: a partition error is thrown once; the partition is then fetched again", "[consumer][fetcher]") {
    harness h;
    h.topic({0}, {3});
    h.assign({0});
    h.cluster.inject(fetch_key, errc::topic_authorization_failed);
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    try {
        h.collect(100);
        FAIL("no exception");
    } catch (const kafka::kafka_error& e) {
        CHECK(e.code() == errc::topic_authorization_failed);
    }
    CHECK_NOTHROW(h.collect(100));
    CHECK_FALSE(h.fetcher.has_completed_fetches());
    CHECK(h.fetcher.send_fetches() == 1);
    h.await_fetches();
    CHECK(h.collect(100) == offsets_of(0, 0, 3));
}

TEST_CASE("fetcher: a node whose Fetch failed is not fetched from again before a backoff that doubles per failure",
          "[consumer][fetcher]") {
    // Found by fuzz_engine: a broker that advertised no usable Fetch version failed each Fetch
    // before it was sent, and poll() sent the next one at once (79,000 zero-length waits per poll).
    harness h;  // retry.backoff.ms 100, retry.backoff.max.ms 1000, 20 % jitter
    h.topic({0, 1}, {3, 3});
    h.cluster.limit_version(fetch_key, -1);  // no Fetch version left to use
    h.assign({0, 1});

    CHECK_FALSE(h.fetcher.time_to_fetch_retry(h.transport.now()));
    CHECK(h.fetcher.send_fetches() == 2);
    h.await_fetches();  // both fail without reaching a broker
    CHECK(h.cluster.request_count(fetch_key) == 0);
    auto first = h.fetcher.time_to_fetch_retry(h.transport.now());
    REQUIRE(first);
    CHECK(*first >= 80ms);
    CHECK(*first <= 120ms);
    CHECK(h.fetcher.send_fetches() == 0);  // both nodes wait

    h.client.poll(*first);  // simulated time passes; nothing to do meanwhile
    while (auto left = h.fetcher.time_to_fetch_retry(h.transport.now())) h.client.poll(*left);
    CHECK(h.fetcher.send_fetches() == 2);
    h.await_fetches();
    auto second = h.fetcher.time_to_fetch_retry(h.transport.now());
    REQUIRE(second);
    CHECK(*second >= 160ms);  // doubled, -20 % at worst
    CHECK(*second <= 240ms);
}
