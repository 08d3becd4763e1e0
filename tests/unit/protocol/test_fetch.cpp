#include <kafka/protocol/messages/fetch.hpp>

#include <algorithm>
#include <limits>

#include "message_testing.hpp"

using namespace kafka::protocol;
using kafka::byte_buffer;
using kafka::bytes_view;
using kafka::test::filled;
using kafka::test::hex_bytes;

namespace {

template <class M>
byte_buffer body_of(const M& msg, std::int16_t version) {
    byte_buffer out;
    writer w(out);
    encode(w, msg, version);
    return out;
}

kafka::uuid sequential_uuid() {
    kafka::uuid u;
    for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::byte>(i);
    return u;
}

FetchResponse one_partition_response() {
    FetchResponse resp;
    resp.session_id = 9;
    FetchResponse::FetchableTopicResponse topic;
    topic.topic = "t";
    topic.topic_id = sequential_uuid();
    FetchResponse::PartitionData p;
    p.partition_index = 2;
    p.high_watermark = 50;
    p.records.bytes = kafka::test::sample_records();
    topic.partitions.push_back(p);
    resp.responses.push_back(topic);
    return resp;
}

}  // namespace

TEST_CASE("Fetch round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<FetchRequest>());
    kafka::test::check_round_trip_all_versions(filled<FetchResponse>());
}

TEST_CASE("Fetch v4 request layout (non-flexible, topic names)", "[protocol][messages]") {
    FetchRequest req;
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.isolation_level = 1;
    FetchRequest::FetchTopic t;
    t.topic = "t";
    FetchRequest::FetchPartition p;
    p.partition = 0;
    p.fetch_offset = 42;
    p.partition_max_bytes = 1048576;
    t.partitions.push_back(p);
    req.topics.push_back(t);
    auto frame = encode_request(req, 4, 5, "cli");
    // size 57; key 1, version 4, correlation 5, client id "cli" (header v1: no tag byte);
    // replica_id -1, max_wait 500, min_bytes 1, max_bytes 0x7fffffff, isolation 1;
    // topics[1]: "t", partitions[1]: partition 0, fetch_offset 42, partition_max_bytes 1 MiB.
    // No session fields (v7+), no forgotten topics (v7+), no rack (v11+).
    auto expected = hex_bytes(
        "00000039 0001 0004 00000005 0003 636c69"
        "ffffffff 000001f4 00000001 7fffffff 01"
        "00000001 0001 74 00000001 00000000 000000000000002a 00100000");
    CHECK(frame == expected);
}

TEST_CASE("Fetch v15 request layout (flexible, topic ids, tagged cluster id)", "[protocol][messages]") {
    FetchRequest req;
    req.cluster_id = "c";
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.max_bytes = 52428800;
    req.session_id = 0;
    req.session_epoch = -1;
    req.rack_id = "r1";
    FetchRequest::FetchTopic t;
    t.topic = "ignored at v15";
    t.topic_id = sequential_uuid();
    FetchRequest::FetchPartition p;
    p.partition = 3;
    p.current_leader_epoch = 7;
    p.fetch_offset = 100;
    p.partition_max_bytes = 1048576;
    t.partitions.push_back(p);
    req.topics.push_back(t);
    auto frame = encode_request(req, 15, 5, "cli");
    // size 96; header v2 (client id then an empty tag section);
    // no replica_id (v0-14 only) and replica_state at its default (tag 1 not written);
    // max_wait 500, min_bytes 1, max_bytes 50 MiB, isolation 0, session 0, epoch -1;
    // topics compact[1]: topic id, partitions compact[1]: partition 3, current_leader_epoch 7,
    //   fetch_offset 100, last_fetched_epoch -1, log_start_offset -1, max bytes 1 MiB, tags 0; topic tags 0;
    // forgotten compact[0]; rack compact "r1";
    // tags: 1 field, tag 0, size 2, compact string "c".
    auto expected = hex_bytes(
        "00000060 0001 000f 00000005 0003 636c69 00"
        "000001f4 00000001 03200000 00 00000000 ffffffff"
        "02 000102030405060708090a0b0c0d0e0f"
        "02 00000003 00000007 0000000000000064 ffffffff ffffffffffffffff 00100000 00"
        "00"
        "01"
        "03 7231"
        "01 00 02 0263");
    CHECK(frame == expected);

    FetchRequest back;
    std::int16_t version = 0;
    std::int32_t correlation = 0;
    REQUIRE_FALSE(decode_request(bytes_view(frame).subspan(4), back, version, correlation));
    CHECK(version == 15);
    CHECK(back.cluster_id == std::optional<std::string>("c"));
    CHECK(back.topics.at(0).topic_id == sequential_uuid());
    CHECK(back.topics.at(0).topic.empty());
}

TEST_CASE("Fetch v15 request carries replica_state as tag 1", "[protocol][messages]") {
    FetchRequest req;
    req.replica_state = {1, 2};
    auto body = body_of(req, 15);
    // max_wait 0, min_bytes 0, max_bytes, isolation, session, epoch, topics[0], forgotten[0], rack "",
    // tags: 1 field, tag 1, size 13 (int32 + int64 + the struct's own empty tag section).
    auto expected = hex_bytes(
        "00000000 00000000 7fffffff 00 00000000 ffffffff 01 01 01"
        "01 01 0d 00000001 0000000000000002 00");
    CHECK(body == expected);
}

TEST_CASE("Fetch response null fields round-trip", "[protocol][messages]") {
    auto resp = filled<FetchResponse>();
    for (auto& t : resp.responses)
        for (auto& p : t.partitions) p.aborted_transactions.reset();
    for (auto& n : resp.node_endpoints) n.rack.reset();
    for (std::int16_t v : std::initializer_list<std::int16_t>{4, 11, 12, 16, 18}) {
        INFO("version " << v);
        auto body = body_of(resp, v);
        FetchResponse back;
        reader r(body);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        auto expected = resp;
        kafka::test::project(expected, v);
        CHECK(back == expected);
        CHECK_FALSE(back.responses.at(0).partitions.at(0).aborted_transactions.has_value());
    }
}

TEST_CASE("Fetch response null records decode as an empty record set", "[protocol][messages]") {
    // v4: throttle 0; responses[1]: "t", partitions[1]: index 0, error 0, hw 0, lso -1, aborted null,
    // records null (int32 -1).
    auto body = hex_bytes(
        "00000000 00000001 0001 74 00000001 00000000 0000 0000000000000000 ffffffffffffffff"
        "ffffffff ffffffff");
    FetchResponse back;
    reader r(body);
    decode(r, back, 4);
    REQUIRE(r.ok());
    CHECK(r.empty());
    auto const& p = back.responses.at(0).partitions.at(0);
    CHECK(p.records.bytes.empty());
    CHECK_FALSE(p.aborted_transactions.has_value());
}

TEST_CASE("Fetch response records stay a view into the frame", "[protocol][messages]") {
    for (std::int16_t v : std::initializer_list<std::int16_t>{4, 12, 13, 18}) {
        INFO("version " << v);
        byte_buffer frame;
        encode_response(frame, one_partition_response(), v, 77);
        auto body = bytes_view(frame).subspan(4);
        FetchResponse back;
        REQUIRE_FALSE(decode_response(body, v, 77, back));
        auto const& rec = back.responses.at(0).partitions.at(0).records.bytes;
        REQUIRE(rec.size() == kafka::test::sample_records().size());
        // Zero-copy: the view lies inside the frame buffer, and its bytes are the records.
        CHECK(rec.data() >= frame.data());
        CHECK(rec.data() + rec.size() <= frame.data() + frame.size());
        auto offset = static_cast<std::size_t>(rec.data() - frame.data());
        CHECK(std::equal(rec.begin(), rec.end(), frame.begin() + static_cast<std::ptrdiff_t>(offset)));
        CHECK(std::equal(rec.begin(), rec.end(), kafka::test::sample_records().begin()));
        // The records are the last field of the message (then only the tag sections).
        CHECK(frame.size() - (offset + rec.size()) == (v >= 12 ? 3u : 0u));
    }
}

TEST_CASE("Fetch response decode rejects malformed input", "[protocol][messages]") {
    byte_buffer frame;
    encode_response(frame, one_partition_response(), 12, 1);
    auto body = bytes_view(frame).subspan(4);
    FetchResponse back;
    SECTION("truncated at every length") {
        for (std::size_t cut = 0; cut < body.size(); ++cut) {
            INFO("cut " << cut);
            FetchResponse part;
            CHECK(decode_response(body.first(cut), 12, 1, part));
        }
    }
    SECTION("records length beyond the frame") {
        // v4: ... partition with records length 0x7fffffff but only 2 bytes present.
        auto bad = hex_bytes(
            "00000000 00000001 0001 74 00000001 00000000 0000 0000000000000000 ffffffffffffffff"
            "ffffffff 7fffffff abcd");
        reader r(bad);
        decode(r, back, 4);
        CHECK_FALSE(r.ok());
    }
    SECTION("huge array count") {
        // v12: throttle, error, session, responses compact count 0x0fffffff.
        auto bad = hex_bytes("00000000 0000 00000000 ffffff7f 00");
        reader r(bad);
        decode(r, back, 12);
        CHECK_FALSE(r.ok());
    }
    SECTION("a null topic name") {
        // v4: responses[1] with a null (int16 -1) topic name.
        auto bad = hex_bytes("00000000 00000001 ffff 00000000");
        reader r(bad);
        decode(r, back, 4);
        CHECK_FALSE(r.ok());
    }
    SECTION("a tagged field whose body does not match its size") {
        // v16: no topics; tags: 1 field, tag 0 (node endpoints), size 1, body 0x02 (compact count 1
        // with no element bytes).
        auto bad = hex_bytes("00000000 0000 00000000 01 01 00 01 02");
        reader r(bad);
        decode(r, back, 16);
        CHECK_FALSE(r.ok());
    }
}

TEST_CASE("Fetch v18 high_watermark tag follows its JSON default", "[protocol][messages]") {
    // A tagged field is written only when it differs from its declared default (max int64
    // here, not zero): the default writes no tag, and 0 is written and decodes back as 0.
    FetchRequest req;
    req.topics.resize(1);
    req.topics[0].partitions.resize(1);
    auto& p = req.topics[0].partitions[0];
    auto body = body_of(req, 18);
    auto no_tags = body_of(req, 17);
    CHECK(body == no_tags);
    p.high_watermark = 0;
    auto zero = body_of(req, 18);
    FetchRequest back;
    reader r(zero);
    decode(r, back, 18);
    REQUIRE(r.ok());
    CHECK(back.topics.at(0).partitions.at(0).high_watermark == 0);
}
