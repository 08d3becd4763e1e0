// Protocol conformance against a real broker: every version of every API in
// include/kafka/protocol/messages that both our description and the broker
// support (the broker's range comes from the connection's ApiVersions), sent
// through the network client with the version forced, and checked for real
// semantics, not only for decoding:
//
//   ApiVersions        0-4   the ranges agree with what the connection negotiated
//   Metadata           all   `conformance` has 3 partitions with leaders; topic ids (v10+),
//                            lookups by id (v12+), unknown topics (v4+), all topics (null list)
//   ListOffsets        all   earliest 0 / latest 300 of conformance/0 (v0: old_style_offsets),
//                            by timestamp (v1+), read_committed (v2+)
//   Fetch              all   offsets 0..299 of conformance/0 decode to k-i / msg-i in order,
//                            high watermark 300 (v13+ by topic id); offset 1000 is out of range
//   FindCoordinator    all   single key (v0-3) and coordinator_keys batch (v4+)
//   JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, DescribeGroups, LeaveGroup:
//                      all   one classic-group lifecycle per JoinGroup version (and as many
//                            more as the API with the most versions needs), each API's
//                            versions spread monotonically over the lifecycles
//   OffsetForLeaderEpoch all end offset of the current epoch = ListOffsets latest; fencing (v2+)
//   ConsumerGroupHeartbeat 0-1 KIP-848 join, assignment of the 3 partitions, leave
//   SaslHandshake      0-1   on the SASL_PLAINTEXT listener (v0 only up to the handshake)
//   SaslAuthenticate   0-2   PLAIN alice/alice-secret after a v1 handshake; a wrong password
//
// A listener prints at the end of the run which versions were exercised and
// whether each passed. Needs a broker started by tests/integration/broker-fixture.sh.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>

#include <kafka/client/network_client.hpp>
#include <kafka/protocol/messages.hpp>
#include <kafka/protocol/record_batch.hpp>

#include "broker_env.hpp"

namespace {

using namespace std::chrono_literals;
namespace kp = kafka::protocol;
namespace kc = kafka::client;
using client_type = kc::network_client<kafka::transports::tcp>;

constexpr auto request_timeout = 15s;
const std::string conformance_topic = "conformance";
constexpr std::int32_t conformance_partitions = 3;
constexpr std::int64_t conformance_records = 300;  // in partition 0 (broker-fixture.sh)
const std::string test_client_id = "kafka-cpp-conformance";

const char* api_name(std::int16_t key) {
    switch (key) {
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
        case 17:
            return "SaslHandshake";
        case 18:
            return "ApiVersions";
        case 23:
            return "OffsetForLeaderEpoch";
        case 36:
            return "SaslAuthenticate";
        case 68:
            return "ConsumerGroupHeartbeat";
        default:
            return "?";
    }
}

/// "NOT_COORDINATOR(16)": error codes compare as strings so that a failed check names them.
std::string err(std::int16_t code) { return std::string(kafka::error_name(code)) + "(" + std::to_string(code) + ")"; }
std::string err(kafka::errc e) { return err(static_cast<std::int16_t>(e)); }
const std::string none = err(kafka::errc::none);

std::string str(std::optional<kafka::bytes_view> b) { return b ? std::string(kafka::as_string_view(*b)) : "<null>"; }
kafka::byte_buffer bytes(std::string_view s) {
    auto v = kafka::as_bytes_view(s);
    return {v.begin(), v.end()};
}

/// An error message that says nothing: null, or what brokers send on success (Kafka's generated
/// messages default strings to "", and some responses carry the error's name, "NONE").
bool no_message(const std::optional<std::string>& m) { return !m || m->empty() || *m == "NONE"; }

std::string hex(const kafka::uuid& u) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto b : u.bytes) {
        s += digits[static_cast<unsigned>(b) >> 4];
        s += digits[static_cast<unsigned>(b) & 0xf];
    }
    return s;
}

std::string unique_name(const std::string& prefix) {
    static std::mt19937_64 rng{std::random_device{}()};
    std::ostringstream o;
    o << prefix << '-' << std::hex << rng();
    return o.str();
}

// ConsumerProtocol (the "consumer" protocol type's opaque bytes), version 0, written by hand.
struct bytes_writer {
    kafka::byte_buffer out;
    void i16(std::int16_t v) {
        for (int s = 8; s >= 0; s -= 8)
            out.push_back(static_cast<std::byte>((static_cast<std::uint16_t>(v) >> s) & 0xff));
    }
    void i32(std::int32_t v) {
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<std::byte>((static_cast<std::uint32_t>(v) >> s) & 0xff));
    }
    void string(std::string_view s) {
        i16(static_cast<std::int16_t>(s.size()));
        auto b = kafka::as_bytes_view(s);
        out.insert(out.end(), b.begin(), b.end());
    }
};
kafka::byte_buffer consumer_subscription() {
    bytes_writer w;
    w.i16(0);  // version
    w.i32(1);  // topics
    w.string(conformance_topic);
    w.i32(-1);  // user data: null
    return w.out;
}
kafka::byte_buffer consumer_assignment() {
    bytes_writer w;
    w.i16(0);  // version
    w.i32(1);  // topics
    w.string(conformance_topic);
    w.i32(conformance_partitions);
    for (std::int32_t p = 0; p < conformance_partitions; ++p) w.i32(p);
    w.i32(-1);  // user data: null
    return w.out;
}

/// One network client on its own io_context, with the bootstrap server as node -1.
class session {
public:
    explicit session(const kc::broker_address& bootstrap) : client_(io_, tcp_, options()) {
        client_.set_node(-1, bootstrap.host, bootstrap.port);
    }
    static kc::broker_address bootstrap() { return kafka::test::broker_env::get().bootstrap_addresses().at(0); }

    client_type& client() { return client_; }

    template <class Req>
    kc::request_future<kc::response<typename Req::response_type>> start(std::int32_t node, Req req,
                                                                        std::optional<std::int16_t> version) {
        auto f = client_.send(node, std::move(req), version);
        client_.poll_future(f, request_timeout);
        return f;
    }

    /// Sends `req` at exactly `version`, polls up to 15 s, and REQUIREs a decoded response.
    template <class Req>
    kc::response<typename Req::response_type> call(std::int32_t node, Req req, std::int16_t version) {
        auto f = start(node, std::move(req), version);
        INFO(api_name(Req::api_key) << " v" << version << " to node " << node << ": "
                                    << (!f.is_done() ? std::string("no response within 15 s")
                                        : f.failed() ? "request failed: " + f.error().message() + " [" +
                                                           f.error().category().name() + "]"
                                                     : std::string("ok")));
        REQUIRE(f.succeeded());
        auto r = std::move(f.value());
        REQUIRE(r.version == version);
        return r;
    }

    /// Opens and negotiates the connection to `node` (an ApiVersions round trip).
    void ensure_ready(std::int32_t node) {
        if (client_.is_ready(node)) return;
        kp::ApiVersionsRequest req;  // v3+ brokers answer INVALID_REQUEST to an empty software name
        req.client_software_name = "kafka-cpp-conformance";
        req.client_software_version = "0.1.0";
        auto f = start(node, req, std::nullopt);
        if (f.succeeded()) CHECK(err(f.value().body.error_code) == none);
        INFO("connecting to node " << node << ": "
                                   << (!f.is_done() ? std::string("no response within 15 s")
                                       : f.failed() ? f.error().message()
                                                    : std::string("ok")));
        REQUIRE(f.succeeded());
        REQUIRE(client_.is_ready(node));
    }

    /// The versions of `Req` both we and the broker behind `node` serve, from the connection's ApiVersions.
    template <class Req>
    std::vector<std::int16_t> common_versions(std::int32_t node) {
        ensure_ready(node);
        std::vector<std::int16_t> out;
        for (auto v = Req::valid.lo; v <= Req::valid.hi; ++v)
            if (client_.version_for(node, Req::api_key, {v, v})) out.push_back(v);
        return out;
    }
    /// The highest common version (for the setup requests of a test).
    template <class Req>
    std::int16_t latest(std::int32_t node) {
        ensure_ready(node);
        auto v = client_.version_for(node, Req::api_key, Req::valid);
        INFO("no common version of " << api_name(Req::api_key));
        REQUIRE(v);
        return *v;
    }

private:
    static kc::client_options options() {
        kc::client_options o;
        o.client_id = test_client_id;
        o.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(request_timeout);
        return o;
    }
    asio::io_context io_;
    kafka::transports::tcp tcp_;
    client_type client_;
};

std::string list(const std::vector<std::int16_t>& vs) {
    std::ostringstream o;
    for (std::size_t i = 0; i < vs.size(); ++i) o << (i ? "," : "") << vs[i];
    return o.str();
}

/// What Metadata says about the conformance topic; the leader is registered as a node.
struct cluster_info {
    std::int32_t leader = -1;
    std::int32_t leader_epoch = -1;
    kafka::uuid topic_id;
    std::string leader_host;
    std::uint16_t leader_port = 0;
};

cluster_info discover(session& s) {
    kp::MetadataRequest req;
    req.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>{{{}, conformance_topic}};
    req.allow_auto_topic_creation = false;
    auto v = s.latest<kp::MetadataRequest>(-1);
    REQUIRE(v >= 10);  // topic ids
    auto r = s.call(-1, req, v).body;
    REQUIRE(r.topics.size() == 1);
    auto& t = r.topics[0];
    REQUIRE(err(t.error_code) == none);
    REQUIRE(t.partitions.size() == conformance_partitions);
    cluster_info c;
    c.topic_id = t.topic_id;
    for (auto& p : t.partitions)
        if (p.partition_index == 0) {
            c.leader = p.leader_id;
            c.leader_epoch = p.leader_epoch;
        }
    REQUIRE(c.leader >= 0);
    for (auto& b : r.brokers)
        if (b.node_id == c.leader) {
            c.leader_host = b.host;
            c.leader_port = static_cast<std::uint16_t>(b.port);
        }
    REQUIRE(c.leader_port != 0);
    s.client().set_node(c.leader, c.leader_host, c.leader_port);
    return c;
}

/// ListOffsets of conformance/0 at the latest common version: the log end offset.
std::int64_t latest_offset(session& s, std::int32_t node) {
    kp::ListOffsetsRequest req;
    req.replica_id = -1;
    req.topics = {{conformance_topic, {{0, -1, -1, 1}}}};
    auto v = s.latest<kp::ListOffsetsRequest>(node);
    REQUIRE(v >= 1);
    auto r = s.call(node, req, v).body;
    REQUIRE(r.topics.size() == 1);
    REQUIRE(r.topics[0].partitions.size() == 1);
    REQUIRE(err(r.topics[0].partitions[0].error_code) == none);
    return r.topics[0].partitions[0].offset;
}

/// The group coordinator of `group`, registered as coordinator_node_id(broker id). Retries while
/// the coordinator is still loading (the first group of a fresh broker creates __consumer_offsets).
std::int32_t coordinator(session& s, const std::string& group) {
    auto v = s.latest<kp::FindCoordinatorRequest>(-1);
    auto deadline = std::chrono::steady_clock::now() + request_timeout;
    for (;;) {
        kp::FindCoordinatorRequest req;
        if (v >= 4)
            req.coordinator_keys = {group};
        else
            req.key = group;
        auto r = s.call(-1, req, v).body;
        std::int16_t ec = r.error_code;
        std::int32_t id = r.node_id;
        std::string host = r.host;
        std::int32_t port = r.port;
        if (v >= 4) {
            REQUIRE(r.coordinators.size() == 1);
            auto& c = r.coordinators[0];
            ec = c.error_code;
            id = c.node_id;
            host = c.host;
            port = c.port;
        }
        if ((ec == static_cast<std::int16_t>(kafka::errc::coordinator_not_available) ||
             ec == static_cast<std::int16_t>(kafka::errc::coordinator_load_in_progress)) &&
            std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(200ms);
            continue;
        }
        REQUIRE(err(ec) == none);
        auto node = kc::coordinator_node_id(id);
        s.client().set_node(node, host, static_cast<std::uint16_t>(port));
        return node;
    }
}

// ---------------------------------------------------------------------------------------------
// Which versions ran and passed: collected from the sections, printed at the end of the run.

struct coverage_listener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;
    void sectionEnded(Catch::SectionStats const& stats) override {
        auto const& name = stats.sectionInfo.name;
        if (name.rfind("v=", 0) != 0) return;
        results().push_back({current_, name.substr(2), stats.assertions.allPassed()});
    }
    void testCaseStarting(Catch::TestCaseInfo const& info) override { current_ = info.name; }
    void testRunEnded(Catch::TestRunStats const&) override {
        if (results().empty()) return;
        auto& o = std::cout;
        o << "\nprotocol conformance (broker " << kafka::test::broker_env::get().version() << "):\n";
        std::string last;
        for (auto& r : results()) {
            if (r.test != last) {
                o << "  " << r.test << ":\n";
                last = r.test;
            }
            o << "    " << (r.passed ? "ok   " : "FAIL ") << r.section << "\n";
        }
        o << std::flush;
    }
    struct result {
        std::string test, section;
        bool passed;
    };
    static std::vector<result>& results() {
        static std::vector<result> r;
        return r;
    }
    std::string current_;
};

}  // namespace

CATCH_REGISTER_LISTENER(coverage_listener)

// Sections named "v=..." are what the listener reports.
#define VERSION_SECTION(...) DYNAMIC_SECTION("v=" << __VA_ARGS__)

// ---------------------------------------------------------------------------------------------

TEST_CASE("conformance: ApiVersions at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto versions = s.common_versions<kp::ApiVersionsRequest>(-1);
    INFO("ApiVersions versions in common: " << list(versions));
    CHECK(versions == std::vector<std::int16_t>{0, 1, 2, 3, 4});
    for (auto v : versions) {
        VERSION_SECTION("ApiVersions v" << v) {
            kp::ApiVersionsRequest req;
            req.client_software_name = "kafka-cpp-conformance";
            req.client_software_version = "0.1.0";
            auto r = s.call(-1, req, v).body;
            CHECK(err(r.error_code) == none);
            CHECK(r.throttle_time_ms == 0);
            std::map<std::int16_t, kp::versions> ranges;
            for (auto& k : r.api_keys) {
                CHECK(ranges.count(k.api_key) == 0);
                CHECK(k.min_version <= k.max_version);
                ranges[k.api_key] = {k.min_version, k.max_version};
            }
            REQUIRE(ranges.count(18));
            CHECK(ranges[18].contains(v));
            CHECK(ranges.count(1));
            CHECK(ranges.count(3));
            // What this response says agrees with what the connection negotiated, for every API we describe.
            auto agrees = [&]<class Req>(Req) {
                for (auto x = Req::valid.lo; x <= Req::valid.hi; ++x) {
                    auto it = ranges.find(Req::api_key);
                    bool broker = it != ranges.end() && it->second.contains(x);
                    INFO(api_name(Req::api_key) << " v" << x);
                    CHECK(broker == s.client().version_for(-1, Req::api_key, {x, x}).has_value());
                }
            };
            agrees(kp::FetchRequest{});
            agrees(kp::ListOffsetsRequest{});
            agrees(kp::MetadataRequest{});
            agrees(kp::OffsetCommitRequest{});
            agrees(kp::OffsetFetchRequest{});
            agrees(kp::FindCoordinatorRequest{});
            agrees(kp::JoinGroupRequest{});
            agrees(kp::HeartbeatRequest{});
            agrees(kp::LeaveGroupRequest{});
            agrees(kp::SyncGroupRequest{});
            agrees(kp::DescribeGroupsRequest{});
            agrees(kp::SaslHandshakeRequest{});
            agrees(kp::ApiVersionsRequest{});
            agrees(kp::OffsetForLeaderEpochRequest{});
            agrees(kp::SaslAuthenticateRequest{});
            agrees(kp::ConsumerGroupHeartbeatRequest{});
            if (v >= 3) {
                // KRaft brokers always report the metadata.version feature, supported and finalized.
                bool supported = false, finalized = false;
                for (auto& f : r.supported_features)
                    if (f.name == "metadata.version") supported = f.min_version >= 1 && f.max_version >= f.min_version;
                for (auto& f : r.finalized_features)
                    if (f.name == "metadata.version") finalized = f.max_version_level >= 1;
                CHECK(supported);
                CHECK(finalized);
                CHECK(r.finalized_features_epoch >= 0);
                // KIP-511: the software name must be a valid identifier.
                kp::ApiVersionsRequest bad;
                auto b = s.call(-1, bad, v).body;
                CHECK(err(b.error_code) == err(kafka::errc::invalid_request));
                CHECK(b.api_keys.empty());
            } else {
                CHECK(r.supported_features.empty());
                CHECK(r.finalized_features.empty());
            }
        }
    }
}

TEST_CASE("conformance: Metadata at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    auto versions = s.common_versions<kp::MetadataRequest>(-1);
    REQUIRE(!versions.empty());
    auto cluster_id = kafka::test::broker_env::get().var("KAFKA_CLUSTER_ID");
    using topic_req = kp::MetadataRequest::MetadataRequestTopic;
    for (auto v : versions) {
        VERSION_SECTION("Metadata v" << v) {
            kp::MetadataRequest req;
            req.topics = std::vector<topic_req>{{{}, conformance_topic}};
            req.allow_auto_topic_creation = false;
            auto r = s.call(-1, req, v).body;
            CHECK(err(r.error_code) == none);
            REQUIRE(!r.brokers.empty());
            std::set<std::int32_t> brokers;
            for (auto& b : r.brokers) {
                brokers.insert(b.node_id);
                CHECK(!b.host.empty());
                CHECK(b.port > 0);
                CHECK(!b.rack);
            }
            CHECK(brokers.count(c.leader));
            if (v >= 1) CHECK(r.controller_id >= 0);
            if (v >= 2) {
                REQUIRE(r.cluster_id);
                if (!cluster_id.empty()) CHECK(*r.cluster_id == cluster_id);
            } else {
                CHECK(!r.cluster_id);
            }
            REQUIRE(r.topics.size() == 1);
            auto& t = r.topics[0];
            CHECK(err(t.error_code) == none);
            REQUIRE(t.name);
            CHECK(*t.name == conformance_topic);
            CHECK(!t.is_internal);
            if (v >= 10) {
                CHECK(!t.topic_id.is_zero());
                CHECK(hex(t.topic_id) == hex(c.topic_id));
            } else {
                CHECK(t.topic_id.is_zero());
            }
            REQUIRE(t.partitions.size() == conformance_partitions);
            std::set<std::int32_t> indexes;
            for (auto& p : t.partitions) {
                INFO("partition " << p.partition_index);
                indexes.insert(p.partition_index);
                CHECK(err(p.error_code) == none);
                CHECK(p.leader_id >= 0);
                CHECK(brokers.count(p.leader_id));
                CHECK(std::count(p.replica_nodes.begin(), p.replica_nodes.end(), p.leader_id) == 1);
                CHECK(std::count(p.isr_nodes.begin(), p.isr_nodes.end(), p.leader_id) == 1);
                CHECK(p.offline_replicas.empty());
                if (v >= 7)
                    CHECK(p.leader_epoch >= 0);
                else
                    CHECK(p.leader_epoch == -1);
                if (p.partition_index == 0 && v >= 7) CHECK(p.leader_epoch == c.leader_epoch);
            }
            CHECK(indexes == std::set<std::int32_t>{0, 1, 2});
            if (v >= 8) CHECK(t.topic_authorized_operations == std::numeric_limits<std::int32_t>::min());

            // v0: an empty list means every topic; v1+: null does.
            kp::MetadataRequest all;
            if (v >= 1) all.topics.reset();
            all.allow_auto_topic_creation = false;
            auto a = s.call(-1, all, v).body;
            std::map<std::string, std::size_t> partitions;
            for (auto& x : a.topics)
                if (x.name) partitions[*x.name] = x.partitions.size();
            CHECK(partitions["conformance"] == 3);
            CHECK(partitions["sample"] == 6);

            if (v >= 4) {  // before v4 the broker may auto-create what it is asked about
                kp::MetadataRequest unknown;
                unknown.topics = std::vector<topic_req>{{{}, unique_name("no-such-topic")}};
                unknown.allow_auto_topic_creation = false;
                auto u = s.call(-1, unknown, v).body;
                REQUIRE(u.topics.size() == 1);
                CHECK(err(u.topics[0].error_code) == err(kafka::errc::unknown_topic_or_partition));
            }
            if (v >= 12) {  // lookup by topic id, name null
                kp::MetadataRequest by_id;
                by_id.topics = std::vector<topic_req>{{c.topic_id, std::nullopt}};
                by_id.allow_auto_topic_creation = false;
                auto b = s.call(-1, by_id, v).body;
                REQUIRE(b.topics.size() == 1);
                CHECK(err(b.topics[0].error_code) == none);
                REQUIRE(b.topics[0].name);
                CHECK(*b.topics[0].name == conformance_topic);
                CHECK(b.topics[0].partitions.size() == conformance_partitions);
            }
        }
    }
}

TEST_CASE("conformance: ListOffsets at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    auto versions = s.common_versions<kp::ListOffsetsRequest>(c.leader);
    REQUIRE(!versions.empty());
    for (auto v : versions) {
        VERSION_SECTION("ListOffsets v" << v) {
            // One request per lookup: v1+ rejects a partition listed twice.
            auto lookup = [&](std::int64_t timestamp, std::int8_t isolation = 0) {
                kp::ListOffsetsRequest req;
                req.replica_id = -1;
                req.isolation_level = isolation;
                req.topics = {{conformance_topic, {{0, v >= 4 ? c.leader_epoch : -1, timestamp, 1}}}};
                auto r = s.call(c.leader, req, v).body;
                REQUIRE(r.topics.size() == 1);
                CHECK(r.topics[0].name == conformance_topic);
                REQUIRE(r.topics[0].partitions.size() == 1);
                auto p = r.topics[0].partitions[0];
                CHECK(p.partition_index == 0);
                CHECK(err(p.error_code) == none);
                return p;
            };
            if (v == 0) {
                // v0: max_num_offsets in, a list of offsets (old_style_offsets) out.
                auto earliest = lookup(-2);
                CHECK(earliest.old_style_offsets == std::vector<std::int64_t>{0});
                auto latest = lookup(-1);
                CHECK(latest.old_style_offsets == std::vector<std::int64_t>{conformance_records});
            } else {
                auto earliest = lookup(-2);
                CHECK(earliest.offset == 0);
                CHECK(earliest.timestamp == -1);
                CHECK(earliest.old_style_offsets.empty());
                auto latest = lookup(-1);
                CHECK(latest.offset == conformance_records);
                CHECK(latest.timestamp == -1);
                if (v >= 4) CHECK(latest.leader_epoch == c.leader_epoch);
                // By timestamp: every record is newer than the epoch, none is from the future.
                auto first = lookup(0);
                CHECK(first.offset == 0);
                CHECK(first.timestamp > 0);
                auto future = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24))
                                  .count();
                auto none_yet = lookup(future);
                CHECK(none_yet.offset == -1);
                CHECK(none_yet.timestamp == -1);
                if (v >= 2) {
                    auto committed = lookup(-1, 1);  // read_committed: the LSO, which is the end without transactions
                    CHECK(committed.offset == conformance_records);
                }
                if (v >= 7) {  // max timestamp (KIP-734)
                    auto max_ts = lookup(-3);
                    CHECK(max_ts.offset >= 0);
                    CHECK(max_ts.offset < conformance_records);
                    CHECK(max_ts.timestamp >= first.timestamp);
                }
            }
        }
    }
}

TEST_CASE("conformance: Fetch at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    auto versions = s.common_versions<kp::FetchRequest>(c.leader);
    REQUIRE(!versions.empty());
    for (auto v : versions) {
        VERSION_SECTION("Fetch v" << v) {
            auto fetch = [&](std::int64_t offset) {
                kp::FetchRequest req;
                req.replica_id = -1;
                req.max_wait_ms = 100;
                req.min_bytes = 1;
                req.max_bytes = 1 << 20;
                kp::FetchRequest::FetchPartition p;
                p.partition = 0;
                p.current_leader_epoch = c.leader_epoch;
                p.fetch_offset = offset;
                p.partition_max_bytes = 1 << 20;
                kp::FetchRequest::FetchTopic t;
                if (v >= 13)
                    t.topic_id = c.topic_id;
                else
                    t.topic = conformance_topic;
                t.partitions = {p};
                req.topics = {t};
                return s.call(c.leader, req, v);
            };
            auto partition_of = [&](const kp::FetchResponse& r) -> const kp::FetchResponse::PartitionData& {
                CHECK(err(r.error_code) == none);
                if (v >= 7) CHECK(r.session_id == 0);  // no session asked for
                REQUIRE(r.responses.size() == 1);
                auto& t = r.responses[0];
                if (v >= 13)
                    CHECK(hex(t.topic_id) == hex(c.topic_id));
                else
                    CHECK(t.topic == conformance_topic);
                REQUIRE(t.partitions.size() == 1);
                CHECK(t.partitions[0].partition_index == 0);
                return t.partitions[0];
            };

            std::int64_t next = 0;
            kafka::protocol::codec_context codecs;
            kafka::byte_buffer scratch;
            int rounds = 0;
            std::set<int> magics;
            while (next < conformance_records && rounds++ < 50) {
                auto resp = fetch(next);
                auto& p = partition_of(resp.body);
                REQUIRE(err(p.error_code) == none);
                CHECK(p.high_watermark == conformance_records);
                if (v >= 4) {
                    CHECK(p.last_stable_offset == conformance_records);
                    CHECK((!p.aborted_transactions || p.aborted_transactions->empty()));
                }
                if (v >= 5) CHECK(p.log_start_offset == 0);
                if (v >= 11) CHECK(p.preferred_read_replica == -1);
                auto before = next;
                kp::record_set_reader reader(p.records.bytes);
                kp::decoded_batch batch;
                kp::batch_status st;
                while ((st = reader.next(batch, scratch, codecs)) == kp::batch_status::ok) {
                    magics.insert(batch.header.magic);
                    if (batch.header.is_control()) continue;
                    kp::record_cursor cursor(batch);
                    kafka::record_view rec;
                    while (cursor.next(rec)) {
                        if (rec.offset < next) continue;  // a batch that began before the fetch offset
                        INFO("record at offset " << rec.offset);
                        REQUIRE(rec.offset == next);
                        CHECK(str(rec.key) == "k-" + std::to_string(next));
                        CHECK(str(rec.value) == "msg-" + std::to_string(next));
                        if (batch.header.magic == 2) CHECK(rec.leader_epoch == c.leader_epoch);
                        if (batch.header.magic >= 1) CHECK(rec.timestamp > 0);
                        ++next;
                    }
                    INFO("record_cursor error: " << cursor.error().message());
                    CHECK(!cursor.error());
                }
                INFO("record_set_reader error: " << reader.error().message());
                CHECK(st != kp::batch_status::error);
                REQUIRE(next > before);  // every round makes progress
            }
            CHECK(next == conformance_records);
            // Which record formats the broker sent: down-converted for old fetch versions.
            if (v <= 1)
                CHECK(magics == std::set<int>{0});
            else if (v <= 3)
                CHECK(magics == std::set<int>{1});
            else
                CHECK(magics == std::set<int>{2});

            // Past the end of the log.
            auto oor = fetch(1000);
            auto& p = partition_of(oor.body);
            CHECK(err(p.error_code) == err(kafka::errc::offset_out_of_range));
            CHECK(p.records.bytes.empty());
            if (v >= 1) CHECK(oor.body.throttle_time_ms == 0);
        }
    }
}

TEST_CASE("conformance: FindCoordinator at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    auto versions = s.common_versions<kp::FindCoordinatorRequest>(-1);
    REQUIRE(!versions.empty());
    auto group = unique_name("conformance-fc");
    coordinator(s, group);  // waits until the offsets topic is ready
    for (auto v : versions) {
        VERSION_SECTION("FindCoordinator v" << v) {
            kp::FindCoordinatorRequest req;
            if (v >= 4)
                req.coordinator_keys = {group, group + "-2"};
            else
                req.key = group;
            req.key_type = 0;
            auto r = s.call(-1, req, v).body;
            if (v >= 4) {
                REQUIRE(r.coordinators.size() == 2);
                std::set<std::string> keys;
                for (auto& x : r.coordinators) {
                    keys.insert(x.key);
                    CHECK(err(x.error_code) == none);
                    // Brokers fill the message from the error's name even on success.
                    INFO("error_message: " << x.error_message.value_or("<null>"));
                    CHECK(no_message(x.error_message));
                    CHECK(x.node_id == c.leader);  // a single node coordinates everything
                    CHECK(x.host == c.leader_host);
                    CHECK(x.port == c.leader_port);
                }
                CHECK(keys == std::set<std::string>{group, group + "-2"});
            } else {
                CHECK(err(r.error_code) == none);
                INFO("error_message: " << r.error_message.value_or("<null>"));
                if (v >= 1) CHECK(no_message(r.error_message));
                CHECK(r.node_id == c.leader);
                CHECK(r.host == c.leader_host);
                CHECK(r.port == c.leader_port);
                CHECK(r.coordinators.empty());
            }
        }
    }
}

namespace {

/// The versions each group API uses in lifecycle i of n: spread monotonically, every version used once at least.
std::int16_t pick(const std::vector<std::int16_t>& vs, std::size_t i, std::size_t n) {
    return vs.at(i * vs.size() / n);
}

struct offset_seen {
    std::int16_t error_code = 0;
    std::int16_t partition_error = 0;
    std::int64_t offset = -2;
    std::int32_t leader_epoch = -2;
    std::optional<std::string> metadata;
    bool found = false;
};

offset_seen offset_fetch(session& s, std::int32_t node, const std::string& group, std::int16_t v,
                         const cluster_info& c) {
    kp::OffsetFetchRequest req;
    if (v >= 8) {
        kp::OffsetFetchRequest::OffsetFetchRequestTopics t;
        if (v >= 10)
            t.topic_id = c.topic_id;
        else
            t.name = conformance_topic;
        t.partition_indexes = {0};
        kp::OffsetFetchRequest::OffsetFetchRequestGroup g;
        g.group_id = group;
        g.topics = std::vector<kp::OffsetFetchRequest::OffsetFetchRequestTopics>{t};
        req.groups = {g};
    } else {
        req.group_id = group;
        req.topics = std::vector<kp::OffsetFetchRequest::OffsetFetchRequestTopic>{{conformance_topic, {0}}};
    }
    auto r = s.call(node, req, v).body;
    offset_seen o;
    if (v >= 8) {
        REQUIRE(r.groups.size() == 1);
        auto& g = r.groups[0];
        CHECK(g.group_id == group);
        o.error_code = g.error_code;
        REQUIRE(g.topics.size() == 1);
        if (v >= 10)
            CHECK(hex(g.topics[0].topic_id) == hex(c.topic_id));
        else
            CHECK(g.topics[0].name == conformance_topic);
        REQUIRE(g.topics[0].partitions.size() == 1);
        auto& p = g.topics[0].partitions[0];
        CHECK(p.partition_index == 0);
        o = {g.error_code, p.error_code, p.committed_offset, p.committed_leader_epoch, p.metadata, true};
    } else {
        REQUIRE(r.topics.size() == 1);
        CHECK(r.topics[0].name == conformance_topic);
        REQUIRE(r.topics[0].partitions.size() == 1);
        auto& p = r.topics[0].partitions[0];
        CHECK(p.partition_index == 0);
        o = {r.error_code, p.error_code, p.committed_offset, p.committed_leader_epoch, p.metadata, true};
    }
    return o;
}

std::int16_t offset_commit(session& s, std::int32_t node, const std::string& group, std::int16_t v,
                           const cluster_info& c, std::int32_t generation, const std::string& member,
                           std::int64_t offset, const std::string& metadata) {
    kp::OffsetCommitRequest req;
    req.group_id = group;
    req.generation_id_or_member_epoch = generation;
    req.member_id = member;
    req.retention_time_ms = -1;
    kp::OffsetCommitRequest::OffsetCommitRequestTopic t;
    if (v >= 10)
        t.topic_id = c.topic_id;
    else
        t.name = conformance_topic;
    kp::OffsetCommitRequest::OffsetCommitRequestPartition p;
    p.partition_index = 0;
    p.committed_offset = offset;
    p.committed_leader_epoch = c.leader_epoch;
    p.commit_timestamp = -1;
    p.committed_metadata = metadata;
    t.partitions = {p};
    req.topics = {t};
    auto r = s.call(node, req, v).body;
    CHECK(r.throttle_time_ms == 0);
    REQUIRE(r.topics.size() == 1);
    if (v >= 10)
        CHECK(hex(r.topics[0].topic_id) == hex(c.topic_id));
    else
        CHECK(r.topics[0].name == conformance_topic);
    REQUIRE(r.topics[0].partitions.size() == 1);
    CHECK(r.topics[0].partitions[0].partition_index == 0);
    return r.topics[0].partitions[0].error_code;
}

std::int16_t heartbeat(session& s, std::int32_t node, const std::string& group, std::int16_t v, std::int32_t generation,
                       const std::string& member) {
    kp::HeartbeatRequest req;
    req.group_id = group;
    req.generation_id = generation;
    req.member_id = member;
    return s.call(node, req, v).body.error_code;
}

kp::DescribeGroupsResponse::DescribedGroup describe_group(session& s, std::int32_t node, const std::string& group,
                                                          std::int16_t v) {
    kp::DescribeGroupsRequest req;
    req.groups = {group};
    auto r = s.call(node, req, v).body;
    REQUIRE(r.groups.size() == 1);
    auto g = r.groups[0];
    CHECK(err(g.error_code) == none);
    CHECK(no_message(g.error_message));
    CHECK(g.group_id == group);
    if (v >= 3) CHECK(g.authorized_operations == std::numeric_limits<std::int32_t>::min());
    return g;
}

}  // namespace

TEST_CASE("conformance: classic group lifecycle at every version of the group APIs", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    // Any group's coordinator is the single broker; its node must be ready to read its ranges.
    auto probe = coordinator(s, unique_name("conformance-probe"));
    auto join_v = s.common_versions<kp::JoinGroupRequest>(probe);
    auto sync_v = s.common_versions<kp::SyncGroupRequest>(probe);
    auto hb_v = s.common_versions<kp::HeartbeatRequest>(probe);
    auto commit_v = s.common_versions<kp::OffsetCommitRequest>(probe);
    auto fetch_v = s.common_versions<kp::OffsetFetchRequest>(probe);
    auto describe_v = s.common_versions<kp::DescribeGroupsRequest>(probe);
    auto leave_v = s.common_versions<kp::LeaveGroupRequest>(probe);
    for (auto* vs : {&join_v, &sync_v, &hb_v, &commit_v, &fetch_v, &describe_v, &leave_v}) REQUIRE(!vs->empty());
    std::size_t n = 0;
    for (auto* vs : {&join_v, &sync_v, &hb_v, &commit_v, &fetch_v, &describe_v, &leave_v}) n = std::max(n, vs->size());
    const auto subscription = consumer_subscription();
    const auto assignment = consumer_assignment();

    for (std::size_t i = 0; i < n; ++i) {
        auto jv = pick(join_v, i, n), sv = pick(sync_v, i, n), hv = pick(hb_v, i, n), cv = pick(commit_v, i, n),
             fv = pick(fetch_v, i, n), dv = pick(describe_v, i, n), lv = pick(leave_v, i, n);
        VERSION_SECTION("lifecycle " << i << ": JoinGroup v" << jv << ", SyncGroup v" << sv << ", Heartbeat v" << hv
                                     << ", OffsetCommit v" << cv << ", OffsetFetch v" << fv << ", DescribeGroups v"
                                     << dv << ", LeaveGroup v" << lv) {
            auto group = unique_name("conformance-group-" + std::to_string(i));
            auto node = coordinator(s, group);

            // Version 0 of OffsetCommit and OffsetFetch keeps offsets in ZooKeeper. A KRaft broker
            // (every broker of this suite) still advertises v0 but answers each partition with
            // UNSUPPORTED_VERSION; the effect of such a lifecycle is read back at the latest version.
            auto read_v = fv == 0 ? fetch_v.back() : fv;
            auto unsupported = err(kafka::errc::unsupported_version);

            // Nothing committed yet.
            auto before = offset_fetch(s, node, group, fv, c);
            CHECK(err(before.error_code) == none);
            CHECK(err(before.partition_error) == (fv == 0 ? unsupported : none));
            CHECK(before.offset == -1);

            // JoinGroup; v4+ first answers MEMBER_ID_REQUIRED with the id to rejoin with.
            kp::JoinGroupRequest join;
            join.group_id = group;
            join.session_timeout_ms = 10000;
            join.rebalance_timeout_ms = 10000;
            join.protocol_type = "consumer";
            join.protocols = {{"range", subscription}};
            join.reason = "conformance test";
            auto j = s.call(node, join, jv).body;
            if (jv >= 4) {
                CHECK(err(j.error_code) == err(kafka::errc::member_id_required));
                REQUIRE(!j.member_id.empty());
                join.member_id = j.member_id;
                j = s.call(node, join, jv).body;
            }
            REQUIRE(err(j.error_code) == none);
            auto member = j.member_id;
            auto generation = j.generation_id;
            REQUIRE(!member.empty());
            if (jv >= 4) CHECK(member == join.member_id);
            CHECK(generation >= 1);
            CHECK(j.leader == member);
            REQUIRE(j.protocol_name);
            CHECK(*j.protocol_name == "range");
            if (jv >= 7) {
                REQUIRE(j.protocol_type);
                CHECK(*j.protocol_type == "consumer");
            }
            CHECK(!j.skip_assignment);
            REQUIRE(j.members.size() == 1);
            CHECK(j.members[0].member_id == member);
            CHECK(!j.members[0].group_instance_id);
            CHECK(j.members[0].metadata == subscription);

            // SyncGroup as the leader: the assignment comes back.
            kp::SyncGroupRequest sync;
            sync.group_id = group;
            sync.generation_id = generation;
            sync.member_id = member;
            sync.protocol_type = "consumer";
            sync.protocol_name = "range";
            sync.assignments = {{member, assignment}};
            auto sg = s.call(node, sync, sv).body;
            REQUIRE(err(sg.error_code) == none);
            CHECK(sg.assignment == assignment);
            if (sv >= 5) {
                CHECK(sg.protocol_type == std::optional<std::string>("consumer"));
                CHECK(sg.protocol_name == std::optional<std::string>("range"));
            }

            // Heartbeat: fine with the current generation, ILLEGAL_GENERATION with another.
            CHECK(err(heartbeat(s, node, group, hv, generation, member)) == none);
            CHECK(err(heartbeat(s, node, group, hv, generation + 1, member)) == err(kafka::errc::illegal_generation));

            // DescribeGroups: Stable, us, our metadata and assignment.
            auto d = describe_group(s, node, group, dv);
            CHECK(d.group_state == "Stable");
            CHECK(d.protocol_type == "consumer");
            CHECK(d.protocol_data == "range");
            REQUIRE(d.members.size() == 1);
            CHECK(d.members[0].member_id == member);
            CHECK(!d.members[0].group_instance_id);
            CHECK(d.members[0].client_id == test_client_id);
            CHECK(!d.members[0].client_host.empty());
            CHECK(d.members[0].member_metadata == subscription);
            CHECK(d.members[0].member_assignment == assignment);

            // OffsetCommit 42, read back with OffsetFetch.
            auto metadata = "lifecycle-" + std::to_string(i);
            auto committed = offset_commit(s, node, group, cv, c, generation, member, 42, metadata);
            auto after = offset_fetch(s, node, group, read_v, c);
            CHECK(err(after.error_code) == none);
            CHECK(err(after.partition_error) == none);
            if (cv == 0) {
                CHECK(err(committed) == unsupported);
                CHECK(after.offset == -1);  // nothing stored
            } else {
                CHECK(err(committed) == none);
                CHECK(after.offset == 42);
                CHECK(after.metadata == std::optional<std::string>(metadata));
                // The leader epoch travels from OffsetCommit v6+ to OffsetFetch v5+.
                if (read_v >= 5) CHECK(after.leader_epoch == (cv >= 6 ? c.leader_epoch : -1));
            }
            if (fv == 0) {
                auto v0 = offset_fetch(s, node, group, fv, c);
                CHECK(err(v0.partition_error) == unsupported);
                CHECK(v0.offset == -1);
            }

            // LeaveGroup; v3+ names the members.
            kp::LeaveGroupRequest leave;
            leave.group_id = group;
            leave.member_id = member;
            leave.members = {{member, std::nullopt, std::optional<std::string>("conformance test done")}};
            auto l = s.call(node, leave, lv).body;
            CHECK(err(l.error_code) == none);
            if (lv >= 3) {
                REQUIRE(l.members.size() == 1);
                CHECK(l.members[0].member_id == member);
                CHECK(!l.members[0].group_instance_id);
                CHECK(err(l.members[0].error_code) == none);
            } else {
                CHECK(l.members.empty());
            }

            auto empty = describe_group(s, node, group, dv);
            CHECK(empty.group_state == "Empty");
            CHECK(empty.members.empty());

            // The member is gone.
            CHECK(err(heartbeat(s, node, group, hv, generation, member)) == err(kafka::errc::unknown_member_id));
        }
    }
}

TEST_CASE("conformance: OffsetForLeaderEpoch at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    REQUIRE(c.leader_epoch >= 0);
    auto end = latest_offset(s, c.leader);
    CHECK(end == conformance_records);
    auto versions = s.common_versions<kp::OffsetForLeaderEpochRequest>(c.leader);
    REQUIRE(!versions.empty());
    for (auto v : versions) {
        VERSION_SECTION("OffsetForLeaderEpoch v" << v) {
            auto ask = [&](std::int32_t current, std::int32_t epoch) {
                kp::OffsetForLeaderEpochRequest req;
                req.replica_id = -1;
                req.topics = {{conformance_topic, {{0, current, epoch}}}};
                auto r = s.call(c.leader, req, v).body;
                if (v >= 2) CHECK(r.throttle_time_ms == 0);
                REQUIRE(r.topics.size() == 1);
                CHECK(r.topics[0].topic == conformance_topic);
                REQUIRE(r.topics[0].partitions.size() == 1);
                CHECK(r.topics[0].partitions[0].partition == 0);
                return r.topics[0].partitions[0];
            };
            // The current epoch ends at the log end offset.
            auto e = ask(c.leader_epoch, c.leader_epoch);
            CHECK(err(e.error_code) == none);
            CHECK(e.end_offset == end);
            CHECK(e.end_offset == conformance_records);
            if (v >= 1)
                CHECK(e.leader_epoch == c.leader_epoch);
            else
                CHECK(e.leader_epoch == -1);
            if (v >= 2) {
                // Fencing: an epoch newer than the leader's is unknown to it.
                auto fenced = ask(c.leader_epoch + 1, c.leader_epoch);
                CHECK(err(fenced.error_code) == err(kafka::errc::unknown_leader_epoch));
            }
        }
    }
}

TEST_CASE("conformance: ConsumerGroupHeartbeat (KIP-848) at every version", "[integration][conformance]") {
    session s(session::bootstrap());
    auto c = discover(s);
    auto probe = coordinator(s, unique_name("conformance-probe"));
    auto versions = s.common_versions<kp::ConsumerGroupHeartbeatRequest>(probe);
    if (versions.empty()) {
        WARN("broker " << kafka::test::broker_env::get().version()
                       << " does not advertise ConsumerGroupHeartbeat: KIP-848 groups not enabled, skipped");
        SUCCEED();
        return;
    }
    if (versions.size() < 2) {
        WARN("broker " << kafka::test::broker_env::get().version() << " serves ConsumerGroupHeartbeat v"
                       << list(versions) << " only: the other versions we describe are not tested");
    }
    INFO("ConsumerGroupHeartbeat versions in common: " << list(versions));
    for (auto v : versions) {
        VERSION_SECTION("ConsumerGroupHeartbeat v" << v) {
            auto group = unique_name("conformance-cgh");
            auto node = coordinator(s, group);
            kp::ConsumerGroupHeartbeatRequest join;
            join.group_id = group;
            // v1+: the member makes up its own id (KIP-1082); v0: the broker assigns it.
            if (v >= 1) join.member_id = unique_name("member");
            join.member_epoch = 0;
            join.rebalance_timeout_ms = 10000;
            join.subscribed_topic_names = std::vector<std::string>{conformance_topic};
            join.topic_partitions = std::vector<kp::ConsumerGroupHeartbeatRequest::TopicPartitions>{};
            auto r = s.call(node, join, v).body;
            if (r.error_code == static_cast<std::int16_t>(kafka::errc::unsupported_version)) {
                WARN("broker " << kafka::test::broker_env::get().version() << " answers ConsumerGroupHeartbeat v" << v
                               << " with UNSUPPORTED_VERSION (" << r.error_message.value_or("") << "): skipped");
                SUCCEED();
                return;
            }
            INFO("error message: " << r.error_message.value_or("<null>"));
            REQUIRE(err(r.error_code) == none);
            REQUIRE(r.member_id);
            CHECK(!r.member_id->empty());
            if (v >= 1) CHECK(*r.member_id == join.member_id);
            auto member = *r.member_id;
            auto epoch = r.member_epoch;
            CHECK(epoch >= 1);
            CHECK(r.heartbeat_interval_ms > 0);

            // Heartbeat (acknowledging what we were given) until the assignment holds the 3 partitions.
            std::vector<kp::ConsumerGroupHeartbeatRequest::TopicPartitions> owned;
            auto holds_all = [&] {
                return owned.size() == 1 && owned[0].topic_id == c.topic_id &&
                       std::set<std::int32_t>(owned[0].partitions.begin(), owned[0].partitions.end()) ==
                           std::set<std::int32_t>{0, 1, 2};
            };
            auto take = [&](const kp::ConsumerGroupHeartbeatResponse& resp) {
                if (!resp.assignment) return;  // unchanged
                owned.clear();
                for (auto& tp : resp.assignment->topic_partitions) owned.push_back({tp.topic_id, tp.partitions});
            };
            take(r);
            auto deadline = std::chrono::steady_clock::now() + request_timeout;
            int beats = 0;
            bool acked = false;
            while (std::chrono::steady_clock::now() < deadline) {
                if (holds_all() && acked) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(std::min(r.heartbeat_interval_ms, 500)));
                kp::ConsumerGroupHeartbeatRequest hb;
                hb.group_id = group;
                hb.member_id = member;
                hb.member_epoch = epoch;
                hb.topic_partitions = owned;
                auto was_complete = holds_all();
                r = s.call(node, hb, v).body;
                ++beats;
                INFO("heartbeat " << beats << " error message: " << r.error_message.value_or("<null>"));
                REQUIRE(err(r.error_code) == none);
                CHECK(r.member_id == std::optional<std::string>(member));
                CHECK(r.member_epoch >= epoch);
                epoch = r.member_epoch;
                take(r);
                acked = was_complete && holds_all();
            }
            INFO("after " << beats << " heartbeats, member epoch " << epoch);
            CHECK(holds_all());

            // Leave.
            kp::ConsumerGroupHeartbeatRequest leave;
            leave.group_id = group;
            leave.member_id = member;
            leave.member_epoch = -1;
            auto l = s.call(node, leave, v).body;
            INFO("leave error message: " << l.error_message.value_or("<null>"));
            CHECK(err(l.error_code) == none);
            CHECK(l.member_epoch == -1);
            CHECK(l.member_id == std::optional<std::string>(member));
        }
    }
}

namespace {

std::optional<kc::broker_address> sasl_bootstrap() {
    auto list = kafka::test::broker_env::get().var("KAFKA_BOOTSTRAP_SASL_PLAINTEXT");
    if (list.empty()) return std::nullopt;
    return kafka::test::broker_env::parse(list).at(0);
}

/// The versions of `Req` in common with the SASL listener. A SASL listener takes one ApiVersions
/// request before the handshake (the connection's own), so the probe is a handshake.
template <class Req>
std::vector<std::int16_t> sasl_versions(const kc::broker_address& addr) {
    session s(addr);
    auto f = s.start(-1, kp::SaslHandshakeRequest{"PLAIN"}, std::nullopt);
    INFO("SaslHandshake on the SASL listener: " << (!f.is_done() ? std::string("no response")
                                                    : f.failed() ? f.error().message()
                                                                 : std::string("ok")));
    REQUIRE(f.succeeded());
    std::vector<std::int16_t> out;
    for (auto v = Req::valid.lo; v <= Req::valid.hi; ++v)
        if (s.client().version_for(-1, Req::api_key, {v, v})) out.push_back(v);
    return out;
}

kafka::byte_buffer plain_token(const std::string& user, const std::string& password) {
    return bytes(std::string("\0", 1) + user + std::string("\0", 1) + password);
}

}  // namespace

TEST_CASE("conformance: SaslHandshake at every version", "[integration][conformance][sasl]") {
    auto addr = sasl_bootstrap();
    if (!addr) {
        WARN("no SASL_PLAINTEXT listener (KAFKA_BOOTSTRAP_SASL_PLAINTEXT): skipped");
        SUCCEED();
        return;
    }
    auto versions = sasl_versions<kp::SaslHandshakeRequest>(*addr);
    REQUIRE(!versions.empty());
    for (auto v : versions) {
        // v0 would continue with raw SASL tokens outside Kafka framing, which the client does
        // not speak: v0 is checked up to the handshake response only.
        VERSION_SECTION("SaslHandshake v" << v) {
            session s(*addr);
            auto r = s.call(-1, kp::SaslHandshakeRequest{"PLAIN"}, v).body;
            CHECK(err(r.error_code) == none);
            std::set<std::string> mechanisms(r.mechanisms.begin(), r.mechanisms.end());
            CHECK(mechanisms.count("PLAIN"));
            CHECK(mechanisms.count("SCRAM-SHA-256"));
            CHECK(mechanisms.count("SCRAM-SHA-512"));

            session other(*addr);
            auto bad = other.call(-1, kp::SaslHandshakeRequest{"NO-SUCH-MECHANISM"}, v).body;
            CHECK(err(bad.error_code) == err(kafka::errc::unsupported_sasl_mechanism));
            CHECK(std::set<std::string>(bad.mechanisms.begin(), bad.mechanisms.end()) == mechanisms);
        }
    }
}

TEST_CASE("conformance: SaslAuthenticate at every version", "[integration][conformance][sasl]") {
    auto addr = sasl_bootstrap();
    if (!addr) {
        WARN("no SASL_PLAINTEXT listener (KAFKA_BOOTSTRAP_SASL_PLAINTEXT): skipped");
        SUCCEED();
        return;
    }
    auto const& env = kafka::test::broker_env::get();
    auto user = env.var("KAFKA_SASL_USER").empty() ? std::string("alice") : env.var("KAFKA_SASL_USER");
    auto password =
        env.var("KAFKA_SASL_PASSWORD").empty() ? std::string("alice-secret") : env.var("KAFKA_SASL_PASSWORD");
    auto versions = sasl_versions<kp::SaslAuthenticateRequest>(*addr);
    REQUIRE(!versions.empty());
    REQUIRE(sasl_versions<kp::SaslHandshakeRequest>(*addr).back() >= 1);
    {
        // Before authenticating, the listener serves nothing but ApiVersions and the handshake:
        // the broker closes the connection.
        session s(*addr);
        auto f = s.start(-1, kp::MetadataRequest{}, std::nullopt);
        INFO("Metadata before authentication: " << (f.failed() ? f.error().message() : std::string("answered")));
        CHECK(f.failed());
    }
    for (auto v : versions) {
        VERSION_SECTION("SaslAuthenticate v" << v << " (after SaslHandshake v1)") {
            {
                session s(*addr);
                auto h = s.call(-1, kp::SaslHandshakeRequest{"PLAIN"}, 1).body;
                REQUIRE(err(h.error_code) == none);
                kp::SaslAuthenticateRequest auth;
                auth.auth_bytes = plain_token(user, password);
                auto resp = s.call(-1, auth, v);
                auto& a = resp.body;
                INFO("error message: " << a.error_message.value_or("<null>"));
                CHECK(err(a.error_code) == none);
                CHECK(no_message(a.error_message));
                if (v == 0) {
                    // Null and empty stay apart: v0 is correlation id, error code, int16 message length.
                    REQUIRE(resp.frame->size() >= 8);
                    auto len = kp::from_big_endian<std::int16_t>(resp.frame->data() + 6);
                    if (len < 0)
                        CHECK(!a.error_message);
                    else
                        CHECK(a.error_message.value_or("<null>").size() == static_cast<std::size_t>(len));
                }
                CHECK(a.auth_bytes.empty());  // PLAIN: no server token
                if (v >= 1) CHECK(a.session_lifetime_ms >= 0);
                // Authenticated: the connection now serves ordinary requests.
                kp::MetadataRequest m;
                m.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>{{{}, conformance_topic}};
                m.allow_auto_topic_creation = false;
                auto md = s.call(-1, m, s.latest<kp::MetadataRequest>(-1)).body;
                REQUIRE(md.topics.size() == 1);
                CHECK(err(md.topics[0].error_code) == none);
                CHECK(md.topics[0].partitions.size() == conformance_partitions);
            }
            {
                session s(*addr);
                auto h = s.call(-1, kp::SaslHandshakeRequest{"PLAIN"}, 1).body;
                REQUIRE(err(h.error_code) == none);
                kp::SaslAuthenticateRequest auth;
                auth.auth_bytes = plain_token(user, password + "-wrong");
                auto a = s.call(-1, auth, v).body;
                CHECK(err(a.error_code) == err(kafka::errc::sasl_authentication_failed));
                CHECK(a.error_message);
                CHECK(a.session_lifetime_ms == 0);
            }
        }
    }
}
