#include <kafka/protocol/messages/offset_commit.hpp>

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

OffsetCommitRequest one_partition_commit() {
    OffsetCommitRequest req;
    req.group_id = "g";
    req.generation_id_or_member_epoch = 3;
    req.member_id = "m";
    OffsetCommitRequest::OffsetCommitRequestTopic t;
    t.name = "t";
    for (std::size_t i = 0; i < 16; ++i) t.topic_id.bytes[i] = static_cast<std::byte>(0xa0 + i);
    OffsetCommitRequest::OffsetCommitRequestPartition p;
    p.partition_index = 0;
    p.committed_offset = 10;
    p.committed_leader_epoch = 4;
    p.commit_timestamp = 1;
    t.partitions.push_back(p);
    req.topics.push_back(t);
    return req;
}

}  // namespace

TEST_CASE("OffsetCommit round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<OffsetCommitRequest>());
    kafka::test::check_round_trip_all_versions(filled<OffsetCommitResponse>());
}

TEST_CASE("OffsetCommit v1 and v2 request layouts (non-flexible)", "[protocol][messages]") {
    auto req = one_partition_commit();
    // v1: group "g", generation 3, member "m"; topics[1]: "t", partitions[1]: index 0, offset 10,
    // commit_timestamp 1 (v1 only), metadata "".
    CHECK(body_of(req, 1) == hex_bytes("0001 67 00000003 0001 6d 00000001 0001 74 00000001"
                                       "00000000 000000000000000a 0000000000000001 0000"));
    // v2 frame: size 56, key 8, version 2, correlation 9, client "cli"; retention -1 replaces
    // the per-partition commit timestamp.
    auto frame = encode_request(req, 2, 9, "cli");
    CHECK(frame == hex_bytes("00000038 0008 0002 00000009 0003 636c69"
                             "0001 67 00000003 0001 6d ffffffffffffffff 00000001 0001 74 00000001"
                             "00000000 000000000000000a 0000"));
}

TEST_CASE("OffsetCommit v8 and v10 request layouts (flexible)", "[protocol][messages]") {
    auto req = one_partition_commit();
    req.topics[0].partitions[0].committed_metadata.reset();
    auto frame = encode_request(req, 8, 9, "cli");
    // size 47; header v2; compact "g", generation 3, compact "m", group_instance_id null;
    // topics compact[1]: compact "t", partitions compact[1]: index 0, offset 10, leader epoch 4,
    // metadata null, tags; topic tags; message tags.
    CHECK(frame == hex_bytes("0000002f 0008 0008 00000009 0003 636c69 00"
                             "0267 00000003 026d 00 02 0274 02 00000000 000000000000000a 00000004 00 00 00 00"));
    // v10: the topic is named by id.
    req.group_instance_id = "i";
    CHECK(body_of(req, 10) == hex_bytes("0267 00000003 026d 0269 02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                                        "02 00000000 000000000000000a 00000004 00 00 00 00"));
}

TEST_CASE("OffsetCommit request null fields round-trip", "[protocol][messages]") {
    auto req = filled<OffsetCommitRequest>();
    req.group_instance_id.reset();
    for (auto& t : req.topics)
        for (auto& p : t.partitions) p.committed_metadata.reset();
    for (std::int16_t v = OffsetCommitRequest::valid.lo; v <= OffsetCommitRequest::valid.hi; ++v) {
        INFO("version " << v);
        auto body = body_of(req, v);
        OffsetCommitRequest back;
        reader r(body);
        decode(r, back, v);
        REQUIRE(r.ok());
        auto expected = req;
        kafka::test::project(expected, v);
        CHECK(back == expected);
        CHECK_FALSE(back.topics.at(0).partitions.at(0).committed_metadata.has_value());
    }
}

TEST_CASE("OffsetCommit response layout and malformed input", "[protocol][messages]") {
    // v3: throttle 0; topics[1]: "t", partitions[1]: index 1, error 27 (rebalance in progress).
    auto body = hex_bytes("00000000 00000001 0001 74 00000001 00000001 001b");
    OffsetCommitResponse back;
    {
        reader r(body);
        decode(r, back, 3);
        REQUIRE(r.ok());
        CHECK(r.empty());
        CHECK(back.topics.at(0).partitions.at(0).error_code == 27);
    }
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
        OffsetCommitResponse part;
        reader r(bytes_view(body).first(cut));
        decode(r, part, 3);
        CHECK_FALSE(r.ok());
    }
    // v8: a compact string length running past the end.
    auto bad = hex_bytes("00000000 02 7f 74 00");
    reader r(bad);
    decode(r, back, 8);
    CHECK_FALSE(r.ok());
    // Through the framing, at a flexible version: every truncation is an error.
    byte_buffer frame;
    encode_response(frame, filled<OffsetCommitResponse>(), 10, 2);
    auto fbody = bytes_view(frame).subspan(4);
    for (std::size_t cut = 0; cut < fbody.size(); ++cut) {
        OffsetCommitResponse part;
        CHECK(decode_response(fbody.first(cut), 10, 2, part));
    }
}
