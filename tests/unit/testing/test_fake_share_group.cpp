// The fake cluster's KIP-932 share groups on their own (fake/share_group.hpp): raw
// ShareGroupHeartbeat, ShareFetch and ShareAcknowledge requests sent by a network client over the
// in-memory transport, and the record states checked through describe_share_partition.
#include <kafka/client/network_client.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/protocol/messages/share_acknowledge.hpp>
#include <kafka/protocol/messages/share_fetch.hpp>
#include <kafka/protocol/messages/share_group_heartbeat.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace kc = kafka::client;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;
using kafka::errc;
using kt::share_record_state;

namespace {

using client_type = kc::network_client<kt::in_memory_transport>;
using acquired = proto::ShareFetchResponse::AcquiredRecords;

constexpr std::int16_t code(errc e) { return static_cast<std::int16_t>(e); }

kc::client_options options() {
    kc::client_options o;
    o.client_id = "unit";
    o.request_timeout = 5000ms;
    return o;
}

// A network client connected to every node of the cluster, sending one request at a time.
struct rig {
    explicit rig(kt::fake_cluster& c) : cluster(c), transport(c), client(io, transport, options()) {
        auto nodes = c.node_ids();
        for (auto id : nodes) client.set_node(id, "sim", static_cast<std::uint16_t>(9092 + id));
    }
    template <class Req>
    kc::response<typename Req::response_type> call(std::int32_t node, Req req,
                                                   std::optional<std::int16_t> version = {}) {
        auto f = client.send(node, std::move(req), version);
        REQUIRE(client.poll_future(f, 10s));
        REQUIRE(f.succeeded());
        return f.value();
    }
    kafka::uuid topic_id(const std::string& topic) {
        proto::MetadataRequest req;
        req.topics.emplace();
        proto::MetadataRequest::MetadataRequestTopic t;
        t.name = topic;
        req.topics->push_back(t);
        auto resp = call(0, req);
        REQUIRE(resp.body.topics.size() == 1);
        return resp.body.topics[0].topic_id;
    }

    kt::fake_cluster& cluster;
    asio::io_context io;
    kt::in_memory_transport transport;
    client_type client;
};

proto::ShareGroupHeartbeatRequest heartbeat(const std::string& member, std::int32_t epoch,
                                            std::optional<std::vector<std::string>> topics = std::nullopt) {
    proto::ShareGroupHeartbeatRequest req;
    req.group_id = "sg";
    req.member_id = member;
    req.member_epoch = epoch;
    req.subscribed_topic_names = std::move(topics);
    return req;
}

struct ack {
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::vector<std::int8_t> types;
};

proto::ShareFetchRequest share_fetch(const std::string& member, std::int32_t epoch, const kafka::uuid& topic,
                                     std::int32_t max_records = 100, const std::vector<ack>& acks = {}) {
    proto::ShareFetchRequest req;
    req.group_id = "sg";
    req.member_id = member;
    req.share_session_epoch = epoch;
    req.max_records = max_records;
    req.batch_size = max_records;
    proto::ShareFetchRequest::FetchPartition p;
    p.partition_index = 0;
    for (auto const& a : acks) p.acknowledgement_batches.push_back({a.first, a.last, a.types});
    req.topics.push_back({topic, {p}});
    return req;
}

proto::ShareAcknowledgeRequest share_ack(const std::string& member, std::int32_t epoch, const kafka::uuid& topic,
                                         const std::vector<ack>& acks) {
    proto::ShareAcknowledgeRequest req;
    req.group_id = "sg";
    req.member_id = member;
    req.share_session_epoch = epoch;
    proto::ShareAcknowledgeRequest::AcknowledgePartition p;
    p.partition_index = 0;
    for (auto const& a : acks) p.acknowledgement_batches.push_back({a.first, a.last, a.types});
    req.topics.push_back({topic, {p}});
    return req;
}

// The one partition of a ShareFetch answer about partition 0 of `topic` (nullptr: not in it).
const proto::ShareFetchResponse::PartitionData* partition_of(const proto::ShareFetchResponse& resp,
                                                             const kafka::uuid& topic) {
    for (auto const& t : resp.responses)
        if (t.topic_id == topic)
            for (auto const& p : t.partitions)
                if (p.partition_index == 0) return &p;
    return nullptr;
}
std::vector<acquired> acquired_of(const proto::ShareFetchResponse& resp, const kafka::uuid& topic) {
    auto* p = partition_of(resp, topic);
    return p ? p->acquired_records : std::vector<acquired>{};
}

// The base offsets of the record batches in a records field.
std::vector<std::int64_t> batch_bases(kafka::bytes_view bytes) {
    std::vector<std::int64_t> out;
    while (bytes.size() >= 12) {
        proto::reader r(bytes);
        auto base = r.int64();
        auto length = r.int32();
        out.push_back(base);
        bytes = bytes.subspan(std::min(bytes.size(), static_cast<std::size_t>(12 + length)));
    }
    return out;
}

share_record_state state_at(kt::fake_cluster& c, const std::string& topic, std::int64_t offset) {
    auto info = c.describe_share_partition("sg", {topic, 0});
    REQUIRE(info);
    auto* r = info->at(offset);
    return r ? r->state : share_record_state::available;
}
std::int16_t deliveries_at(kt::fake_cluster& c, const std::string& topic, std::int64_t offset) {
    auto info = c.describe_share_partition("sg", {topic, 0});
    REQUIRE(info);
    auto* r = info->at(offset);
    return r ? r->delivery_count : std::int16_t{0};
}

}  // namespace

TEST_CASE("fake share group: heartbeats join with every partition, epochs, fencing, leaving, expiry",
          "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 3);
    cluster.create_topic("u", 2);
    rig r(cluster);
    auto t = r.topic_id("t");
    auto u = r.topic_id("u");

    // The first member gets every partition of its topic.
    auto a = r.call(0, heartbeat("a", 0, std::vector<std::string>{"t"})).body;
    REQUIRE(a.error_code == 0);
    CHECK(a.member_id == "a");
    CHECK(a.member_epoch == 1);
    CHECK(a.heartbeat_interval_ms == 5000);
    REQUIRE(a.assignment);
    REQUIRE(a.assignment->topic_partitions.size() == 1);
    CHECK(a.assignment->topic_partitions[0].topic_id == t);
    CHECK(a.assignment->topic_partitions[0].partitions == std::vector<std::int32_t>{0, 1, 2});

    // A second member gets every partition too: share groups assign a partition to several members.
    auto b = r.call(0, heartbeat("b", 0, std::vector<std::string>{"t", "u"})).body;
    REQUIRE(b.error_code == 0);
    CHECK(b.member_epoch == 2);
    REQUIRE(b.assignment);
    REQUIRE(b.assignment->topic_partitions.size() == 2);
    for (auto const& tp : b.assignment->topic_partitions) {
        if (tp.topic_id == t) CHECK(tp.partitions == std::vector<std::int32_t>{0, 1, 2});
        if (tp.topic_id == u) CHECK(tp.partitions == std::vector<std::int32_t>{0, 1});
    }
    auto info = cluster.describe_share_group("sg");
    REQUIRE(info);
    CHECK(info->group_epoch == 2);
    REQUIRE(info->members.size() == 2);

    // The first member catches up with the group epoch; its assignment did not change: null.
    auto a2 = r.call(0, heartbeat("a", 1)).body;
    REQUIRE(a2.error_code == 0);
    CHECK(a2.member_epoch == 2);
    CHECK_FALSE(a2.assignment);
    // Its old epoch is now fenced; an unknown member is unknown.
    CHECK(r.call(0, heartbeat("a", 1)).body.error_code == code(errc::fenced_member_epoch));
    CHECK(r.call(0, heartbeat("a", 7)).body.error_code == code(errc::fenced_member_epoch));
    CHECK(r.call(0, heartbeat("nobody", 2)).body.error_code == code(errc::unknown_member_id));
    // The member id is the client's: empty is refused; a join needs its topics.
    CHECK(r.call(0, heartbeat("", 0, std::vector<std::string>{"t"})).body.error_code == code(errc::invalid_request));
    CHECK(r.call(0, heartbeat("c", 0)).body.error_code == code(errc::invalid_request));

    // Subscribing to more topics changes the assignment, which is then sent.
    auto a3 = r.call(0, heartbeat("a", 2, std::vector<std::string>{"t", "u"})).body;
    REQUIRE(a3.error_code == 0);
    CHECK(a3.member_epoch == 3);
    REQUIRE(a3.assignment);
    CHECK(a3.assignment->topic_partitions.size() == 2);

    // Leaving: epoch -1 answered, the member gone, the group epoch bumped.
    auto left = r.call(0, heartbeat("b", -1)).body;
    CHECK(left.error_code == 0);
    CHECK(left.member_epoch == -1);
    info = cluster.describe_share_group("sg");
    REQUIRE(info);
    REQUIRE(info->members.size() == 1);
    CHECK(info->members[0].member_id == "a");
    CHECK(info->group_epoch == 4);

    // Not heard from within the session timeout (45 s): removed, then unknown.
    cluster.advance(46s);
    info = cluster.describe_share_group("sg");
    REQUIRE(info);
    CHECK(info->members.empty());
    CHECK(r.call(0, heartbeat("a", 4)).body.error_code == code(errc::unknown_member_id));
}

TEST_CASE("fake share group: ShareFetch acquires with delivery count 1, whole batches, MaxRecords",
          "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c");  // batch 0..2
    cluster.produce("t", 0, "d", "e");       // batch 3..4
    rig r(cluster);
    auto t = r.topic_id("t");

    SECTION("everything available is acquired by the first fetch") {
        auto resp = r.call(0, share_fetch("m", 0, t));
        REQUIRE(resp.body.error_code == 0);
        CHECK(resp.body.acquisition_lock_timeout_ms == 30000);
        auto* p = partition_of(resp.body, t);
        REQUIRE(p);
        CHECK(p->error_code == 0);
        CHECK(p->acquired_records == std::vector<acquired>{{0, 4, 1}});
        CHECK(batch_bases(p->records.bytes) == std::vector<std::int64_t>{0, 3});
        for (std::int64_t o = 0; o < 5; ++o) {
            CHECK(state_at(cluster, "t", o) == share_record_state::acquired);
            CHECK(deliveries_at(cluster, "t", o) == 1);
        }
        auto described = cluster.describe_share_partition("sg", {"t", 0});
        REQUIRE(described);
        CHECK(described->at(2)->member_id == "m");
        REQUIRE(described->at(2)->lock_deadline);
        CHECK(*described->at(2)->lock_deadline > cluster.now());

        // Nothing left to acquire: an empty answer (no wait asked).
        auto again = r.call(0, share_fetch("m", 1, t));
        REQUIRE(again.body.error_code == 0);
        CHECK(acquired_of(again.body, t).empty());
    }

    SECTION("MaxRecords bounds the acquisition; the batch holding the records is sent whole") {
        auto resp = r.call(0, share_fetch("m", 0, t, 2));
        auto* p = partition_of(resp.body, t);
        REQUIRE(p);
        CHECK(p->acquired_records == std::vector<acquired>{{0, 1, 1}});
        CHECK(batch_bases(p->records.bytes) == std::vector<std::int64_t>{0});
        CHECK(state_at(cluster, "t", 2) == share_record_state::available);
        // The next fetch continues where the acquired records end.
        auto next = r.call(0, share_fetch("m", 1, t, 2));
        CHECK(acquired_of(next.body, t) == std::vector<acquired>{{2, 3, 1}});
        CHECK(batch_bases(partition_of(next.body, t)->records.bytes) == std::vector<std::int64_t>{0, 3});
    }

    SECTION("another member gets only what is still available") {
        CHECK(acquired_of(r.call(0, share_fetch("m", 0, t, 3)).body, t) == std::vector<acquired>{{0, 2, 1}});
        CHECK(acquired_of(r.call(0, share_fetch("n", 0, t)).body, t) == std::vector<acquired>{{3, 4, 1}});
        // n may not acknowledge m's records.
        auto wrong = r.call(0, share_ack("n", 1, t, {{0, 0, {1}}}));
        REQUIRE(wrong.body.error_code == 0);
        REQUIRE(wrong.body.responses.size() == 1);
        CHECK(wrong.body.responses[0].partitions[0].error_code == code(errc::invalid_record_state));
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
    }
}

TEST_CASE("fake share group: acknowledgements accept, release, reject, gap", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b", "c", "d", "e");
    rig r(cluster);
    auto t = r.topic_id("t");
    REQUIRE(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 4, 1}});

    SECTION("ACCEPT: acknowledged, never delivered again, the start offset moves past them") {
        auto resp = r.call(0, share_fetch("m", 1, t, 100, {{0, 4, {1}}}));
        auto* p = partition_of(resp.body, t);
        REQUIRE(p);
        CHECK(p->acknowledge_error_code == 0);
        CHECK(p->acquired_records.empty());
        for (std::int64_t o = 0; o < 5; ++o) CHECK(state_at(cluster, "t", o) == share_record_state::acknowledged);
        CHECK(cluster.describe_share_partition("sg", {"t", 0})->start_offset == 5);
        cluster.advance(31s);  // past any lock
        CHECK(acquired_of(r.call(0, share_fetch("m", 2, t)).body, t).empty());
        // Records produced later are delivered.
        cluster.produce("t", 0, "f");
        CHECK(acquired_of(r.call(0, share_fetch("m", 3, t)).body, t) == std::vector<acquired>{{5, 5, 1}});
    }

    SECTION("RELEASE: delivered again with delivery count 2") {
        auto resp = r.call(0, share_ack("m", 1, t, {{0, 1, {2}}}));
        REQUIRE(resp.body.error_code == 0);
        CHECK(resp.body.responses[0].partitions[0].error_code == 0);
        CHECK(state_at(cluster, "t", 0) == share_record_state::available);
        CHECK(deliveries_at(cluster, "t", 0) == 1);  // kept on release
        auto again = r.call(0, share_fetch("m", 2, t));
        CHECK(acquired_of(again.body, t) == std::vector<acquired>{{0, 1, 2}});
        CHECK(deliveries_at(cluster, "t", 1) == 2);
    }

    SECTION("REJECT and GAP: archived, never delivered again") {
        auto resp = r.call(0, share_ack("m", 1, t, {{0, 3, {3}}, {4, 4, {0}}}));
        CHECK(resp.body.responses[0].partitions[0].error_code == 0);
        for (std::int64_t o = 0; o < 5; ++o) CHECK(state_at(cluster, "t", o) == share_record_state::archived);
        cluster.advance(31s);
        CHECK(acquired_of(r.call(0, share_fetch("m", 2, t)).body, t).empty());
        CHECK(cluster.describe_share_partition("sg", {"t", 0})->start_offset == 5);
    }

    SECTION("one type per offset; ranges with different delivery counts come back separately") {
        auto resp = r.call(0, share_ack("m", 1, t, {{0, 4, {1, 2, 3, 2, 1}}}));
        CHECK(resp.body.responses[0].partitions[0].error_code == 0);
        CHECK(state_at(cluster, "t", 0) == share_record_state::acknowledged);
        CHECK(state_at(cluster, "t", 1) == share_record_state::available);
        CHECK(state_at(cluster, "t", 2) == share_record_state::archived);
        CHECK(state_at(cluster, "t", 3) == share_record_state::available);
        CHECK(state_at(cluster, "t", 4) == share_record_state::acknowledged);
        CHECK(acquired_of(r.call(0, share_fetch("m", 2, t)).body, t) == std::vector<acquired>{{1, 1, 2}, {3, 3, 2}});
    }

    SECTION("acknowledgements are all or nothing per partition") {
        // Offset 5 was never acquired: the whole partition's acknowledgement fails.
        auto resp = r.call(0, share_ack("m", 1, t, {{0, 0, {1}}, {5, 5, {1}}}));
        CHECK(resp.body.responses[0].partitions[0].error_code == code(errc::invalid_record_state));
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
        // Types that do not match the range: INVALID_REQUEST; renew (4) needs v2.
        auto bad = r.call(0, share_ack("m", 2, t, {{0, 2, {1, 1}}}));
        CHECK(bad.body.responses[0].partitions[0].error_code == code(errc::invalid_request));
        auto renew_v1 = r.call(0, share_ack("m", 3, t, {{0, 0, {4}}}), std::int16_t{1});
        CHECK(renew_v1.body.responses[0].partitions[0].error_code == code(errc::invalid_request));
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
    }
}

TEST_CASE("fake share group: acquisition locks expire on simulated time; renew extends them", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b");
    rig r(cluster);
    auto t = r.topic_id("t");
    REQUIRE(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 1, 1}});

    SECTION("an expired lock makes the records available: redelivered with delivery count 2") {
        cluster.advance(29s);
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
        CHECK(acquired_of(r.call(0, share_fetch("m", 1, t)).body, t).empty());
        cluster.advance(2s);
        CHECK(state_at(cluster, "t", 0) == share_record_state::available);
        // Acknowledging a record whose lock expired: INVALID_RECORD_STATE.
        auto late = r.call(0, share_ack("m", 2, t, {{0, 0, {1}}}));
        CHECK(late.body.responses[0].partitions[0].error_code == code(errc::invalid_record_state));
        CHECK(acquired_of(r.call(0, share_fetch("m", 3, t)).body, t) == std::vector<acquired>{{0, 1, 2}});
    }

    SECTION("RENEW (v2) extends the lock by the lock duration from now") {
        cluster.advance(20s);
        auto req = share_ack("m", 1, t, {{0, 1, {4}}});
        req.is_renew_ack = true;
        auto resp = r.call(0, req);
        CHECK(resp.body.responses[0].partitions[0].error_code == 0);
        CHECK(resp.body.acquisition_lock_timeout_ms == 30000);
        cluster.advance(20s);  // 40 s after the acquisition, 20 s after the renewal
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
        CHECK(deliveries_at(cluster, "t", 0) == 1);
        cluster.advance(11s);
        CHECK(state_at(cluster, "t", 0) == share_record_state::available);
    }
}

TEST_CASE("fake share group: the delivery count limit archives records", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1, .share_delivery_count_limit = 2});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a");
    rig r(cluster);
    auto t = r.topic_id("t");

    // Delivery 1, released; delivery 2 (the limit), released: archived instead of available.
    CHECK(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 0, 1}});
    CHECK(r.call(0, share_ack("m", 1, t, {{0, 0, {2}}})).body.responses[0].partitions[0].error_code == 0);
    CHECK(state_at(cluster, "t", 0) == share_record_state::available);
    CHECK(acquired_of(r.call(0, share_fetch("m", 2, t)).body, t) == std::vector<acquired>{{0, 0, 2}});
    CHECK(r.call(0, share_ack("m", 3, t, {{0, 0, {2}}})).body.responses[0].partitions[0].error_code == 0);
    CHECK(state_at(cluster, "t", 0) == share_record_state::archived);
    CHECK(acquired_of(r.call(0, share_fetch("m", 4, t)).body, t).empty());

    // The same through lock expiry.
    cluster.produce("t", 0, "b");
    CHECK(acquired_of(r.call(0, share_fetch("m", 5, t)).body, t) == std::vector<acquired>{{1, 1, 1}});
    cluster.advance(31s);
    CHECK(state_at(cluster, "t", 1) == share_record_state::available);
    CHECK(acquired_of(r.call(0, share_fetch("m", 6, t)).body, t) == std::vector<acquired>{{1, 1, 2}});
    cluster.advance(31s);
    CHECK(state_at(cluster, "t", 1) == share_record_state::archived);
    CHECK(acquired_of(r.call(0, share_fetch("m", 7, t)).body, t).empty());
    CHECK(cluster.describe_share_partition("sg", {"t", 0})->start_offset == 2);
}

TEST_CASE("fake share group: share session epochs", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b");
    rig r(cluster);
    auto t = r.topic_id("t");

    // No session yet: any epoch but 0 is SHARE_SESSION_NOT_FOUND; acknowledgements at 0 are refused.
    CHECK(r.call(0, share_fetch("m", 1, t)).body.error_code == code(errc::share_session_not_found));
    CHECK(r.call(0, share_ack("m", 1, t, {})).body.error_code == code(errc::share_session_not_found));
    CHECK(r.call(0, share_fetch("m", 0, t, 100, {{0, 0, {1}}})).body.error_code == code(errc::invalid_request));
    CHECK(cluster.share_session_count(0) == 0);

    // Epoch 0 opens (and acquires); then each request must carry the next epoch.
    CHECK(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 1, 1}});
    CHECK(cluster.share_session_count(0) == 1);
    CHECK(r.call(0, share_fetch("m", 2, t)).body.error_code == code(errc::invalid_share_session_epoch));
    CHECK(r.call(0, share_fetch("m", 1, t)).body.error_code == 0);
    // ShareAcknowledge advances the epoch too, and may not open a session.
    CHECK(r.call(0, share_ack("m", 0, t, {})).body.error_code == code(errc::invalid_share_session_epoch));
    CHECK(r.call(0, share_ack("m", 2, t, {{0, 0, {1}}})).body.error_code == 0);
    CHECK(r.call(0, share_fetch("m", 2, t)).body.error_code == code(errc::invalid_share_session_epoch));
    CHECK(r.call(0, share_fetch("m", 3, t)).body.error_code == 0);
    // Sessions are per member: another member's epochs are its own.
    CHECK(r.call(0, share_fetch("n", 1, t)).body.error_code == code(errc::share_session_not_found));

    // Epoch -1 closes: what the member still holds is released (delivery count kept), the session gone.
    auto close = r.call(0, share_ack("m", -1, t, {}));
    CHECK(close.body.error_code == 0);
    CHECK(cluster.share_session_count(0) == 0);
    CHECK(state_at(cluster, "t", 0) == share_record_state::acknowledged);
    CHECK(state_at(cluster, "t", 1) == share_record_state::available);
    CHECK(deliveries_at(cluster, "t", 1) == 1);
    CHECK(r.call(0, share_fetch("m", 4, t)).body.error_code == code(errc::share_session_not_found));

    // A ShareFetch at epoch 0 replaces a session; ForgottenTopicsData takes a partition out of it.
    CHECK(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{1, 1, 2}});
    CHECK(r.call(0, share_ack("m", 1, t, {{1, 1, {2}}})).body.error_code == 0);
    proto::ShareFetchRequest forget;
    forget.group_id = "sg";
    forget.member_id = "m";
    forget.share_session_epoch = 2;
    forget.max_records = 100;
    forget.forgotten_topics_data.push_back({t, {0}});
    CHECK(acquired_of(r.call(0, forget).body, t).empty());
    forget.share_session_epoch = 3;
    forget.forgotten_topics_data.clear();
    CHECK(acquired_of(r.call(0, forget).body, t).empty());  // the session has no partition left
    CHECK(state_at(cluster, "t", 1) == share_record_state::available);
}

TEST_CASE("fake share group: leaving the group releases the member's records", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a", "b");
    rig r(cluster);
    auto t = r.topic_id("t");
    REQUIRE(r.call(0, heartbeat("m", 0, std::vector<std::string>{"t"})).body.error_code == 0);
    REQUIRE(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 1, 1}});

    SECTION("by a heartbeat at epoch -1") { REQUIRE(r.call(0, heartbeat("m", -1)).body.error_code == 0); }
    SECTION("by its session timing out") {
        cluster.advance(29s);  // locks still hold; the member's session (45 s) too
        CHECK(state_at(cluster, "t", 0) == share_record_state::acquired);
        REQUIRE(r.call(0, share_ack("m", 1, t, {{0, 1, {4}}})).body.error_code == 0);  // renewed to 59 s
        cluster.advance(17s);
        CHECK(cluster.describe_share_group("sg")->members.empty());
    }
    CHECK(state_at(cluster, "t", 0) == share_record_state::available);
    CHECK(state_at(cluster, "t", 1) == share_record_state::available);
    CHECK(acquired_of(r.call(0, share_fetch("n", 0, t)).body, t) == std::vector<acquired>{{0, 1, 2}});
}

TEST_CASE("fake share group: a ShareFetch with nothing to acquire waits up to MaxWaitMs", "[share][testing]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    rig r(cluster);
    auto t = r.topic_id("t");

    SECTION("a produce answers it early") {
        auto req = share_fetch("m", 0, t);
        req.max_wait_ms = 500;
        auto start = cluster.now();
        auto f = r.client.send(0, req);
        for (int i = 0; i < 100 && cluster.request_count(proto::ShareFetchRequest::api_key) == 0; ++i)
            r.client.poll(10ms);
        REQUIRE(cluster.request_count(proto::ShareFetchRequest::api_key) == 1);
        r.client.poll(50ms);
        CHECK_FALSE(f.is_done());
        cluster.produce("t", 0, "a");
        REQUIRE(r.client.poll_future(f, 5s));
        REQUIRE(f.succeeded());
        CHECK(acquired_of(f.value().body, t) == std::vector<acquired>{{0, 0, 1}});
        CHECK(cluster.now() - start < 500ms);
    }

    SECTION("else it answers empty after MaxWaitMs") {
        auto req = share_fetch("m", 0, t);
        req.max_wait_ms = 500;
        auto start = cluster.now();
        auto resp = r.call(0, req);
        CHECK(resp.body.error_code == 0);
        CHECK(acquired_of(resp.body, t).empty());
        CHECK(cluster.now() - start >= 500ms);
    }
}

TEST_CASE("fake share group: partition errors and share.auto.offset.reset=latest", "[share][testing]") {
    SECTION("a node that does not lead the partition: NOT_LEADER_OR_FOLLOWER with the leader's endpoint") {
        kt::fake_cluster cluster({.brokers = 2});
        cluster.create_topic("t", 1, {1});
        cluster.produce("t", 0, "a");
        rig r(cluster);
        auto t = r.topic_id("t");
        auto resp = r.call(0, share_fetch("m", 0, t));
        auto* p = partition_of(resp.body, t);
        REQUIRE(p);
        CHECK(p->error_code == code(errc::not_leader_or_follower));
        CHECK(p->current_leader.leader_id == 1);
        REQUIRE(resp.body.node_endpoints.size() == 1);
        CHECK(resp.body.node_endpoints[0].node_id == 1);
        CHECK(resp.body.node_endpoints[0].port == 9093);
        // The leader serves it.
        CHECK(acquired_of(r.call(1, share_fetch("m", 0, t)).body, t) == std::vector<acquired>{{0, 0, 1}});
        // An unknown topic id.
        kafka::uuid unknown;
        unknown.bytes[0] = std::byte{1};
        auto unknown_resp = r.call(1, share_fetch("m", 0, unknown));
        auto* q = partition_of(unknown_resp.body, unknown);
        REQUIRE(q);
        CHECK(q->error_code == code(errc::unknown_topic_id));
    }

    SECTION("latest: only records produced after the group first fetched the partition") {
        kt::fake_cluster cluster({.brokers = 1, .share_auto_offset_reset = "latest"});
        cluster.create_topic("t", 1);
        cluster.produce("t", 0, "a", "b", "c");
        rig r(cluster);
        auto t = r.topic_id("t");
        CHECK(acquired_of(r.call(0, share_fetch("m", 0, t)).body, t).empty());
        CHECK(cluster.describe_share_partition("sg", {"t", 0})->start_offset == 3);
        cluster.produce("t", 0, "d", "e");
        CHECK(acquired_of(r.call(0, share_fetch("m", 1, t)).body, t) == std::vector<acquired>{{3, 4, 1}});
    }
}
