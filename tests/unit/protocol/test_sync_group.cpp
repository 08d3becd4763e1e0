#include <kafka/protocol/messages/sync_group.hpp>

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

TEST_CASE("SyncGroup round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<SyncGroupRequest>());
    kafka::test::check_round_trip_all_versions(filled<SyncGroupResponse>());
}

TEST_CASE("SyncGroup request byte layout", "[protocol][messages]") {
    SyncGroupRequest req;
    req.group_id = "g";
    req.generation_id = 1;
    req.member_id = "m";
    req.assignments = {{"m", hex_bytes("0102")}};
    // v0: group, generation, member, [member, int32-length assignment].
    CHECK(body_of(req, 0) == hex_bytes("0001 67 00000001 0001 6d  00000001 0001 6d 00000002 0102"));
    // v3 adds the nullable instance id after the member id.
    CHECK(body_of(req, 3) == hex_bytes("0001 67 00000001 0001 6d ffff  00000001 0001 6d 00000002 0102"));
    // v4 (flexible).
    CHECK(body_of(req, 4) == hex_bytes("02 67 00000001 02 6d 00  02 02 6d 03 0102 00  00"));
    // v5 adds protocol type and name before the assignments.
    req.protocol_type = "consumer";
    req.protocol_name = "range";
    CHECK(body_of(req, 5) ==
          hex_bytes("02 67 00000001 02 6d 00 09 636f6e73756d6572 06 72616e6765  02 02 6d 03 0102 00  00"));
}

TEST_CASE("SyncGroup response nulls round-trip", "[protocol][messages]") {
    SyncGroupResponse resp;
    resp.assignment = hex_bytes("00010000");
    auto bytes = body_of(resp, 5);
    CHECK(bytes == hex_bytes("00000000 0000 00 00 05 00010000 00"));
    SyncGroupResponse back;
    back.protocol_type = "x";
    back.protocol_name = "y";
    reader r(bytes);
    decode(r, back, 5);
    REQUIRE(r.ok());
    CHECK(back == resp);
}

TEST_CASE("SyncGroup response decodes from hand-built bytes", "[protocol][messages]") {
    SyncGroupResponse resp;
    REQUIRE_FALSE(decode_response(hex_bytes("00000006 0000 00000002 0102"), 0, 6, resp));
    CHECK(resp.assignment == hex_bytes("0102"));
}

TEST_CASE("SyncGroup malformed responses fail cleanly", "[protocol][messages]") {
    SyncGroupResponse resp;
    CHECK(decode_response(hex_bytes("00000006 0000 00000003 0102"), 0, 6, resp) == client_errc::truncated);
    CHECK(decode_response(hex_bytes("00000006 0000 80000000"), 0, 6, resp) == client_errc::negative_length);
    CHECK(decode_response(hex_bytes("00000006 00 00000000 0000 00 00 01"), 5, 6, resp) == client_errc::truncated);
}
