#include <kafka/protocol/messages/offset_for_leader_epoch.hpp>

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

OffsetForLeaderEpochRequest one_partition_request() {
    OffsetForLeaderEpochRequest req;
    req.replica_id = -1;
    OffsetForLeaderEpochRequest::OffsetForLeaderPartition p;
    p.partition = 0;
    p.current_leader_epoch = 5;
    p.leader_epoch = 4;
    req.topics.push_back({"t", {p}});
    return req;
}

}  // namespace

TEST_CASE("OffsetForLeaderEpoch round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<OffsetForLeaderEpochRequest>());
    kafka::test::check_round_trip_all_versions(filled<OffsetForLeaderEpochResponse>());
}

TEST_CASE("OffsetForLeaderEpoch request layouts (non-flexible)", "[protocol][messages]") {
    auto req = one_partition_request();
    // v0: topics[1]: "t", partitions[1]: partition 0, leader_epoch 4.
    CHECK(body_of(req, 0) == hex_bytes("00000001 0001 74 00000001 00000000 00000004"));
    // v2 frame: size 36, key 23, version 2, correlation 8, client "cli";
    // current_leader_epoch 5 sits between partition and leader_epoch.
    CHECK(encode_request(req, 2, 8, "cli") == hex_bytes("00000024 0017 0002 00000008 0003 636c69"
                                                        "00000001 0001 74 00000001 00000000 00000005 00000004"));
    // v3 adds replica_id up front.
    CHECK(body_of(req, 3) == hex_bytes("ffffffff 00000001 0001 74 00000001 00000000 00000005 00000004"));
}

TEST_CASE("OffsetForLeaderEpoch v4 request layout (flexible)", "[protocol][messages]") {
    // size 37; header v2; replica -1; topics compact[1]: compact "t", partitions compact[1]:
    // 0, 5, 4, tags; topic tags; message tags.
    CHECK(encode_request(one_partition_request(), 4, 8, "cli") ==
          hex_bytes("00000025 0017 0004 00000008 0003 636c69 00"
                    "ffffffff 02 0274 02 00000000 00000005 00000004 00 00 00"));
}

TEST_CASE("OffsetForLeaderEpoch default replica id is the debug consumer", "[protocol][messages]") {
    OffsetForLeaderEpochRequest req;
    CHECK(body_of(req, 3) == hex_bytes("fffffffe 00000000"));
}

TEST_CASE("OffsetForLeaderEpoch response layout and malformed input", "[protocol][messages]") {
    // v4 frame body: correlation 8, header tags; throttle 0; topics compact[1]: "t",
    // partitions compact[1]: error 0, partition 1, leader_epoch 3, end_offset 99, tags; tags; tags.
    auto body = hex_bytes("00000008 00 00000000 02 0274 02 0000 00000001 00000003 0000000000000063 00 00 00");
    OffsetForLeaderEpochResponse back;
    REQUIRE_FALSE(decode_response(body, 4, 8, back));
    auto const& p = back.topics.at(0).partitions.at(0);
    CHECK(p.partition == 1);
    CHECK(p.leader_epoch == 3);
    CHECK(p.end_offset == 99);
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
        OffsetForLeaderEpochResponse part;
        CHECK(decode_response(bytes_view(body).first(cut), 4, 8, part));
    }
    // v0: a topic name length (int16) of 0x7fff with 1 byte behind it.
    auto bad = hex_bytes("00000001 7fff 74");
    reader r(bad);
    decode(r, back, 0);
    CHECK_FALSE(r.ok());
    // v4: an unknown tagged field whose size runs past the end.
    auto bad_tag = hex_bytes("00000008 00 00000000 01 01 05 10 00");
    OffsetForLeaderEpochResponse other;
    CHECK(decode_response(bad_tag, 4, 8, other));
}
