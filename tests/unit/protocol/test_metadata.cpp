#include <kafka/protocol/messages/metadata.hpp>

#include "message_testing.hpp"

using namespace kafka::protocol;
using kafka::byte_buffer;
using kafka::client_errc;
using kafka::test::filled;
using kafka::test::hex_bytes;

namespace {
template <class M>
byte_buffer body_of(const M& m, std::int16_t v) {
    byte_buffer out;
    writer w(out);
    encode(w, m, v);
    return out;
}
kafka::uuid sample_uuid() {
    kafka::uuid u;
    for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::byte>(i + 1);
    return u;
}
}  // namespace

TEST_CASE("Metadata round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<MetadataRequest>());
    kafka::test::check_round_trip_all_versions(filled<MetadataResponse>());
    // filled() sets bools to true, which is AllowAutoTopicCreation's default: also try false.
    auto req = filled<MetadataRequest>();
    req.allow_auto_topic_creation = false;
    kafka::test::check_round_trip_all_versions(req);
    kafka::test::check_round_trip_all_versions(MetadataRequest{});
    kafka::test::check_round_trip_all_versions(MetadataResponse{});
}

TEST_CASE("Metadata request byte layout", "[protocol][messages]") {
    MetadataRequest req;
    req.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{sample_uuid(), "t"}};
    req.include_topic_authorized_operations = true;
    CHECK(body_of(req, 0) == hex_bytes("00000001 0001 74"));
    CHECK(body_of(req, 4) == hex_bytes("00000001 0001 74  01"));
    // v8: + include cluster ops (false), include topic ops (true).
    CHECK(body_of(req, 8) == hex_bytes("00000001 0001 74  01 00 01"));
    // v9 (flexible): compact array, per-topic tags, body tags.
    CHECK(body_of(req, 9) == hex_bytes("02 02 74 00  01 00 01  00"));
    // v10 puts the topic id before the name.
    CHECK(body_of(req, 10) == hex_bytes("02 0102030405060708090a0b0c0d0e0f10 02 74 00  01 00 01  00"));
    // v11 drops IncludeClusterAuthorizedOperations.
    CHECK(body_of(req, 11) == hex_bytes("02 0102030405060708090a0b0c0d0e0f10 02 74 00  01 01  00"));
    // By id only: the name is null (v10+).
    req.topics->at(0).name = std::nullopt;
    CHECK(body_of(req, 13) == hex_bytes("02 0102030405060708090a0b0c0d0e0f10 00 00  01 01  00"));
    // Null topic array asks for every topic (v1+).
    req.topics = std::nullopt;
    CHECK(body_of(req, 1) == hex_bytes("ffffffff"));
    CHECK(body_of(req, 12) == hex_bytes("00  01 01  00"));
    // The default asks for no topic (v1+), and is legal in v0 (where it means all).
    CHECK(body_of(MetadataRequest{}, 0) == hex_bytes("00000000"));
    CHECK(body_of(MetadataRequest{}, 9) == hex_bytes("01 01 00 00 00"));
}

TEST_CASE("Metadata request nulls round-trip", "[protocol][messages]") {
    MetadataRequest req;
    req.topics = std::nullopt;
    for (std::int16_t v = 1; v <= 13; ++v) {
        INFO("version " << v);
        auto bytes = body_of(req, v);
        MetadataRequest back;
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK_FALSE(back.topics.has_value());
    }
    req.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{sample_uuid(), std::nullopt}};
    for (std::int16_t v = 10; v <= 13; ++v) {
        auto bytes = body_of(req, v);
        MetadataRequest back;
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(back == req);
    }
}

TEST_CASE("Metadata response nulls round-trip", "[protocol][messages]") {
    MetadataResponse resp;
    resp.brokers = {{1, "h", 9092, std::nullopt}};
    resp.cluster_id = std::nullopt;
    resp.controller_id = 1;
    MetadataResponse::MetadataResponseTopic t;
    t.error_code = 100;  // UNKNOWN_TOPIC_ID
    t.name = std::nullopt;
    t.topic_id = sample_uuid();
    resp.topics = {t};
    for (std::int16_t v = 12; v <= 13; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        MetadataResponse back;
        back.cluster_id = "x";
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        CHECK(back == resp);
    }
    resp.topics.clear();
    resp.error_code = 7;
    // v13: throttle, brokers [node, host, port, null rack, tags], null cluster id, controller,
    // no topics, (no cluster ops after v10), top-level error code, tags.
    CHECK(body_of(resp, 13) == hex_bytes("00000000  02 00000001 02 68 00002384 00 00  00  00000001  01  0007  00"));
    // v1: rack null as int16 -1, no cluster id yet.
    CHECK(body_of(resp, 1) == hex_bytes("00000001 00000001 0001 68 00002384 ffff  00000001  00000000"));
}

TEST_CASE("Metadata response decodes from hand-built bytes", "[protocol][messages]") {
    MetadataResponse resp;
    // v0: one broker {1, "h", 9092}; one topic "t" with partition 0 led by 1, replicas [1], isr [1].
    REQUIRE_FALSE(decode_response(hex_bytes("00000011"
                                            "00000001 00000001 0001 68 00002384"
                                            "00000001 0000 0001 74"
                                            "00000001 0000 00000000 00000001 00000001 00000001 00000001 00000001"),
                                  0, 0x11, resp));
    REQUIRE(resp.brokers.size() == 1);
    CHECK(resp.brokers[0].port == 9092);
    REQUIRE(resp.topics.size() == 1);
    CHECK(resp.topics[0].name == "t");
    REQUIRE(resp.topics[0].partitions.size() == 1);
    CHECK(resp.topics[0].partitions[0].leader_id == 1);
    CHECK(resp.topics[0].partitions[0].leader_epoch == -1);  // not carried by v0
    CHECK(resp.topics[0].partitions[0].isr_nodes == std::vector<std::int32_t>{1});
    CHECK(resp.controller_id == -1);
}

TEST_CASE("Metadata malformed responses fail cleanly", "[protocol][messages]") {
    MetadataResponse resp;
    // v0: a replica count (16) beyond the bytes left.
    CHECK(decode_response(hex_bytes("00000011 00000000 00000001 0000 0001 74 00000001 0000 00000000 00000001 00000010"
                                    "00000001"),
                          0, 0x11, resp) == client_errc::malformed_response);
    CHECK(decode_response(hex_bytes("00000011 00000000 00000001 0000 0001 74 00000001 0000 00000000 00000001 00000001"
                                    "0000"),
                          0, 0x11, resp) == client_errc::truncated);
    // v11: a null topic name is not allowed before v12.
    CHECK(decode_response(hex_bytes("00000011 00  00000000 01 00 ffffffff 02 0000 00"
                                    "0102030405060708090a0b0c0d0e0f10 00 01 80000000 00 00"),
                          11, 0x11, resp) == client_errc::negative_length);
    // The same bytes are fine at v12.
    CHECK_FALSE(decode_response(hex_bytes("00000011 00  00000000 01 00 ffffffff 02 0000 00"
                                          "0102030405060708090a0b0c0d0e0f10 00 01 80000000 00 00"),
                                12, 0x11, resp));
    CHECK_FALSE(resp.topics.at(0).name.has_value());
    // v9: a broker count as a varint that never ends.
    CHECK(decode_response(hex_bytes("00000011 00 00000000 ffffffffffffff"), 9, 0x11, resp) ==
          client_errc::malformed_varint);
}
