#include <kafka/protocol/messages/consumer_group_heartbeat.hpp>

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

TEST_CASE("ConsumerGroupHeartbeat round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<ConsumerGroupHeartbeatRequest>());
    kafka::test::check_round_trip_all_versions(filled<ConsumerGroupHeartbeatResponse>());
    kafka::test::check_round_trip_all_versions(ConsumerGroupHeartbeatRequest{});
    kafka::test::check_round_trip_all_versions(ConsumerGroupHeartbeatResponse{});
}

TEST_CASE("ConsumerGroupHeartbeat request byte layout", "[protocol][messages]") {
    // Every version is flexible; v0 and v1 differ by the regex subscription.
    ConsumerGroupHeartbeatRequest req;
    req.group_id = "g";
    req.rebalance_timeout_ms = 45000;
    req.subscribed_topic_names = std::vector<std::string>{"t"};
    req.topic_partitions = std::vector<ConsumerGroupHeartbeatRequest::TopicPartitions>{};
    // group, member "", epoch 0, null instance, null rack, rebalance timeout, ["t"],
    // null assignor, [] owned partitions, tags.
    CHECK(body_of(req, 0) == hex_bytes("02 67  01  00000000  00 00  0000afc8  02 02 74  00  01  00"));
    req.subscribed_topic_regex = "^t.*";
    CHECK(body_of(req, 1) == hex_bytes("02 67  01  00000000  00 00  0000afc8  02 02 74  05 5e742e2a  00  01  00"));
    // Leaving: epoch -1, owned partitions reported.
    req.member_epoch = -1;
    req.member_id = "m";
    req.subscribed_topic_names = std::nullopt;
    req.subscribed_topic_regex = std::nullopt;
    req.rebalance_timeout_ms = -1;
    req.topic_partitions = std::vector<ConsumerGroupHeartbeatRequest::TopicPartitions>{{sample_uuid(), {0, 2}}};
    CHECK(body_of(req, 1) == hex_bytes("02 67  02 6d  ffffffff  00 00  ffffffff  00  00  00"
                                       "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 03 00000000 00000002 00  00"));
    // Whole frame: flexible request header v2 (client id stays an int16 string).
    auto frame = encode_request(ConsumerGroupHeartbeatRequest{}, 0, 1, "c");
    CHECK(frame == hex_bytes("0000001c 0044 0000 00000001 0001 63 00  01 01 00000000 00 00 ffffffff 00 00 00 00"));
}

TEST_CASE("ConsumerGroupHeartbeat response nulls round-trip", "[protocol][messages]") {
    ConsumerGroupHeartbeatResponse resp;
    resp.member_epoch = 3;
    resp.heartbeat_interval_ms = 5000;
    for (std::int16_t v = 0; v <= 1; ++v) {
        auto bytes = body_of(resp, v);
        CHECK(bytes == hex_bytes("00000000 0000 00 00 00000003 00001388 ff 00"));
        ConsumerGroupHeartbeatResponse back;
        back.error_message = "x";
        back.member_id = "y";
        back.assignment.emplace();
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(back == resp);
    }
}

TEST_CASE("ConsumerGroupHeartbeat response decodes from hand-built bytes", "[protocol][messages]") {
    ConsumerGroupHeartbeatResponse resp;
    // Header tags; throttle 0, error 0, null message, member "m", epoch 1, interval 3000,
    // assignment present (int8 1) with one topic holding partition 0.
    REQUIRE_FALSE(decode_response(hex_bytes("0000002a 00  00000000 0000 00 02 6d 00000001 00000bb8"
                                            "01 02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 02 00000000 00 00  00"),
                                  0, 42, resp));
    CHECK(resp.member_id == "m");
    CHECK(resp.heartbeat_interval_ms == 3000);
    REQUIRE(resp.assignment.has_value());
    REQUIRE(resp.assignment->topic_partitions.size() == 1);
    CHECK(resp.assignment->topic_partitions[0].topic_id == sample_uuid());
    CHECK(resp.assignment->topic_partitions[0].partitions == std::vector<std::int32_t>{0});
}

TEST_CASE("ConsumerGroupHeartbeat malformed responses fail cleanly", "[protocol][messages]") {
    ConsumerGroupHeartbeatResponse resp;
    // Cut inside the topic id.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 02 6d 00000001 00000bb8 01 02 a0a1a2a3"), 0, 42,
                          resp) == client_errc::truncated);
    // Partition count larger than the remaining bytes.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 02 6d 00000001 00000bb8 01 02"
                                    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 7f 00000000"),
                          0, 42, resp) == client_errc::malformed_response);
    // Trailing garbage after the message.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 00 00000001 00000bb8 ff 00 99"), 0, 42, resp) ==
          client_errc::malformed_response);
    // A known tagged-field section that lies about its size.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 00 00000001 00000bb8 ff 01 00 10 00"), 0, 42, resp) ==
          client_errc::truncated);
}
