#include <kafka/protocol/messages/join_group.hpp>

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

TEST_CASE("JoinGroup round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<JoinGroupRequest>());
    kafka::test::check_round_trip_all_versions(filled<JoinGroupResponse>());
    kafka::test::check_round_trip_all_versions(JoinGroupRequest{});
    kafka::test::check_round_trip_all_versions(JoinGroupResponse{});
}

TEST_CASE("JoinGroup request byte layout", "[protocol][messages]") {
    JoinGroupRequest req;
    req.group_id = "g";
    req.session_timeout_ms = 30000;
    req.rebalance_timeout_ms = 60000;
    req.protocol_type = "consumer";
    req.protocols = {{"range", hex_bytes("010203")}};
    // v0: group, session timeout, member id "", protocol type, [name, int32-length metadata].
    CHECK(body_of(req, 0) == hex_bytes("0001 67  00007530  0000  0008 636f6e73756d6572"
                                       "00000001 0005 72616e6765 00000003 010203"));
    // v1 adds the rebalance timeout after the session timeout.
    CHECK(body_of(req, 1) == hex_bytes("0001 67  00007530 0000ea60  0000  0008 636f6e73756d6572"
                                       "00000001 0005 72616e6765 00000003 010203"));
    // v5 adds the nullable group instance id after the member id (null: int16 -1).
    CHECK(body_of(req, 5) == hex_bytes("0001 67  00007530 0000ea60  0000 ffff  0008 636f6e73756d6572"
                                       "00000001 0005 72616e6765 00000003 010203"));
    // v6 (flexible): compact strings/arrays/bytes, null instance id is 0, tags per struct.
    CHECK(body_of(req, 6) == hex_bytes("02 67  00007530 0000ea60  01 00  09 636f6e73756d6572"
                                       "02 06 72616e6765 04 010203 00  00"));
    // v8 adds the nullable reason after the protocols.
    req.reason = "r";
    CHECK(body_of(req, 8) == hex_bytes("02 67  00007530 0000ea60  01 00  09 636f6e73756d6572"
                                       "02 06 72616e6765 04 010203 00  02 72  00"));
}

TEST_CASE("JoinGroup response nulls round-trip where allowed", "[protocol][messages]") {
    JoinGroupResponse resp;
    resp.generation_id = 4;
    resp.protocol_type = std::nullopt;
    resp.protocol_name = std::nullopt;
    resp.leader = "m";
    resp.member_id = "m";
    resp.members = {{"m", std::nullopt, hex_bytes("01")}};
    for (std::int16_t v = 7; v <= 9; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        JoinGroupResponse back;
        back.protocol_type = "x";
        back.members = {{"y", "z", {}}};
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(back == resp);
    }
    // v7: throttle, error, generation, null type, null name, leader, member, members with null instance id.
    CHECK(body_of(resp, 7) == hex_bytes("00000000 0000 00000004 00 00 02 6d 02 6d  02 02 6d 00 02 01 00  00"));
}

TEST_CASE("JoinGroup response decodes from hand-built bytes", "[protocol][messages]") {
    JoinGroupResponse resp;
    // v0: error 0, generation 1, protocol "range", leader "a", member "a", one member "a" with metadata 0x09.
    REQUIRE_FALSE(decode_response(hex_bytes("00000005 0000 00000001 0005 72616e6765 0001 61 0001 61"
                                            "00000001 0001 61 00000001 09"),
                                  0, 5, resp));
    CHECK(resp.protocol_name == "range");
    CHECK(resp.leader == "a");
    REQUIRE(resp.members.size() == 1);
    CHECK(resp.members[0].metadata == hex_bytes("09"));
}

TEST_CASE("JoinGroup malformed responses fail cleanly", "[protocol][messages]") {
    JoinGroupResponse resp;
    // v6: the protocol name is not nullable before v7; compact null (0) is an error.
    CHECK(decode_response(hex_bytes("00000005 00 00000000 0000 00000001 00 02 61 02 61 01 00"), 6, 5, resp) ==
          client_errc::negative_length);
    // v0 cut inside the members array.
    CHECK(decode_response(hex_bytes("00000005 0000 00000001 0005 72616e6765 0001 61 0001 61 00000001 0001"), 0, 5,
                          resp) == client_errc::truncated);
    // v9 skip_assignment present but body tag section missing.
    CHECK(decode_response(hex_bytes("00000005 00 00000000 0000 00000001 00 06 72616e6765 02 61 01 02 61 01"), 9, 5,
                          resp) == client_errc::truncated);
}
