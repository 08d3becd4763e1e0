#include <kafka/protocol/messages/heartbeat.hpp>

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
}  // namespace

TEST_CASE("Heartbeat round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<HeartbeatRequest>());
    kafka::test::check_round_trip_all_versions(filled<HeartbeatResponse>());
}

TEST_CASE("Heartbeat request byte layout", "[protocol][messages]") {
    HeartbeatRequest req;
    req.group_id = "grp";
    req.generation_id = 5;
    req.member_id = "m1";
    // v0: int16-length strings, int32 generation.
    CHECK(body_of(req, 0) == hex_bytes("0003 677270  00000005  0002 6d31"));
    // v3 adds the nullable group instance id: null is int16 -1.
    CHECK(body_of(req, 3) == hex_bytes("0003 677270  00000005  0002 6d31  ffff"));
    req.group_instance_id = "i";
    CHECK(body_of(req, 3) == hex_bytes("0003 677270  00000005  0002 6d31  0001 69"));
    // v4 (flexible): compact strings (length + 1), then an empty tagged-field section.
    CHECK(body_of(req, 4) == hex_bytes("04 677270  00000005  03 6d31  02 69  00"));
    // Whole v4 frame: size, key 12, version 4, correlation 7, client id "c", header tags, body.
    CHECK(encode_request(req, 4, 7, "c") ==
          hex_bytes("0000001a 000c 0004 00000007 0001 63 00  04 677270 00000005 03 6d31 02 69 00"));
}

TEST_CASE("Heartbeat response decodes from hand-built bytes", "[protocol][messages]") {
    HeartbeatResponse resp;
    // v0: correlation id, error code 27 (REBALANCE_IN_PROGRESS).
    REQUIRE_FALSE(decode_response(hex_bytes("00000007 001b"), 0, 7, resp));
    CHECK(resp.error_code == 27);
    // v4: flexible response header (tag section), throttle, error, body tags.
    REQUIRE_FALSE(decode_response(hex_bytes("00000007 00  00000064 0000 00"), 4, 7, resp));
    CHECK(resp.throttle_time_ms == 100);
    CHECK(resp.error_code == 0);
}

TEST_CASE("Heartbeat malformed responses fail cleanly", "[protocol][messages]") {
    HeartbeatResponse resp;
    CHECK(decode_response(hex_bytes("00000007 00"), 0, 7, resp) == client_errc::truncated);
    CHECK(decode_response(hex_bytes("00000007 00000000"), 1, 7, resp) == client_errc::truncated);
    CHECK(decode_response(hex_bytes("00000007 0000 ff"), 0, 7, resp) == client_errc::malformed_response);
    // v4 body tag section announcing a tag longer than what is left.
    CHECK(decode_response(hex_bytes("00000007 00 00000000 0000 01 05 7f 00"), 4, 7, resp) == client_errc::truncated);
    CHECK(decode_response(kafka::bytes_view{}, 4, 7, resp));
}
