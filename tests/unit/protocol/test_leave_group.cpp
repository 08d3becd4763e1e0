#include <kafka/protocol/messages/leave_group.hpp>

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

TEST_CASE("LeaveGroup round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<LeaveGroupRequest>());
    kafka::test::check_round_trip_all_versions(filled<LeaveGroupResponse>());
}

TEST_CASE("LeaveGroup request byte layout", "[protocol][messages]") {
    LeaveGroupRequest req;
    req.group_id = "g";
    req.member_id = "m1";
    req.members = {{"m1", std::nullopt, std::nullopt}};
    // v0-2: group and the single member id.
    CHECK(body_of(req, 0) == hex_bytes("0001 67 0002 6d31"));
    CHECK(body_of(req, 2) == hex_bytes("0001 67 0002 6d31"));
    // v3: group, then an array of {member id, nullable instance id}.
    CHECK(body_of(req, 3) == hex_bytes("0001 67 00000001 0002 6d31 ffff"));
    // v4 (flexible): compact forms, a tag section per member and at the end.
    CHECK(body_of(req, 4) == hex_bytes("02 67 02 03 6d31 00 00 00"));
    // v5 adds the nullable reason per member.
    req.members[0].group_instance_id = "i";
    req.members[0].reason = "bye";
    CHECK(body_of(req, 5) == hex_bytes("02 67 02 03 6d31 02 69 04 627965 00 00"));
}

TEST_CASE("LeaveGroup response null instance ids round-trip", "[protocol][messages]") {
    LeaveGroupResponse resp;
    resp.members = {{"m1", std::nullopt, 25}, {"m2", "i2", 0}};
    for (std::int16_t v = 3; v <= 5; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        LeaveGroupResponse back;
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        CHECK(back == resp);
    }
    CHECK(body_of(resp, 3) == hex_bytes("00000000 0000 00000002 0002 6d31 ffff 0019 0002 6d32 0002 6932 0000"));
}

TEST_CASE("LeaveGroup malformed responses fail cleanly", "[protocol][messages]") {
    LeaveGroupResponse resp;
    REQUIRE_FALSE(decode_response(hex_bytes("00000004 0000"), 0, 4, resp));
    CHECK(decode_response(hex_bytes("00000004 00000000 0000 00000001 0002 6d31"), 3, 4, resp) ==
          client_errc::truncated);
    // Null member id (not nullable).
    CHECK(decode_response(hex_bytes("00000004 00000000 0000 00000001 ffff ffff 0000"), 3, 4, resp) ==
          client_errc::negative_length);
    CHECK(decode_response(hex_bytes("00000004 00 00000000 0000 7f"), 4, 4, resp) == client_errc::malformed_response);
}
