#include <kafka/protocol/messages/share_group_heartbeat.hpp>

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
    for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::byte>(0xa0 + i);
    return u;
}
}  // namespace

TEST_CASE("ShareGroupHeartbeat round-trips at every version", "[protocol][messages][share]") {
    kafka::test::check_round_trip_all_versions(filled<ShareGroupHeartbeatRequest>());
    kafka::test::check_round_trip_all_versions(filled<ShareGroupHeartbeatResponse>());
    kafka::test::check_round_trip_all_versions(ShareGroupHeartbeatRequest{});
    kafka::test::check_round_trip_all_versions(ShareGroupHeartbeatResponse{});
}

TEST_CASE("ShareGroupHeartbeat request byte layout", "[protocol][messages][share]") {
    // Joining: group "g", member "m" (made by the client), epoch 0, null rack, topics ["t"], tags.
    ShareGroupHeartbeatRequest req;
    req.group_id = "g";
    req.member_id = "m";
    req.subscribed_topic_names = std::vector<std::string>{"t"};
    CHECK(body_of(req, 1) == hex_bytes("02 67  02 6d  00000000  00  02 02 74  00"));
    // Whole frame: size 25, key 76 (0x4c), version 1, correlation 1, flexible header v2
    // (client id stays an int16 string, then the header's tag byte).
    CHECK(encode_request(req, 1, 1, "c") ==
          hex_bytes("00000019 004c 0001 00000001 0001 63 00  02 67 02 6d 00000000 00 02 02 74 00"));
    // Leaving: epoch -1, rack and topics null.
    req.member_epoch = -1;
    req.rack_id = "r1";
    req.subscribed_topic_names = std::nullopt;
    CHECK(body_of(req, 1) == hex_bytes("02 67  02 6d  ffffffff  03 7231  00  00"));
}

TEST_CASE("ShareGroupHeartbeat response decodes from hand-built bytes", "[protocol][messages][share]") {
    ShareGroupHeartbeatResponse resp;
    // Header tags; throttle 0, error 0, null message, member "m", epoch 1, interval 5000,
    // assignment present (int8 1) with one topic holding partitions 0 and 1.
    REQUIRE_FALSE(decode_response(hex_bytes("0000002a 00  00000000 0000 00 02 6d 00000001 00001388"
                                            "01 02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 03 00000000 00000001 00 00  00"),
                                  1, 42, resp));
    CHECK(resp.member_id == "m");
    CHECK(resp.member_epoch == 1);
    CHECK(resp.heartbeat_interval_ms == 5000);
    REQUIRE(resp.assignment.has_value());
    REQUIRE(resp.assignment->topic_partitions.size() == 1);
    CHECK(resp.assignment->topic_partitions[0].topic_id == sample_uuid());
    CHECK(resp.assignment->topic_partitions[0].partitions == std::vector<std::int32_t>{0, 1});

    // The unchanged-assignment answer: null assignment (int8 -1).
    ShareGroupHeartbeatResponse same;
    same.member_epoch = 1;
    same.heartbeat_interval_ms = 5000;
    CHECK(body_of(same, 1) == hex_bytes("00000000 0000 00 00 00000001 00001388 ff 00"));
    // Cut inside the topic id.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 02 6d 00000001 00001388 01 02 a0a1a2a3"), 1, 42,
                          resp) == client_errc::truncated);
}
