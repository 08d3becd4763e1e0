#include <kafka/protocol/messages/describe_groups.hpp>

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

TEST_CASE("DescribeGroups round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<DescribeGroupsRequest>());
    kafka::test::check_round_trip_all_versions(filled<DescribeGroupsResponse>());
}

TEST_CASE("DescribeGroups request byte layout", "[protocol][messages]") {
    DescribeGroupsRequest req;
    req.groups = {"g1", "g2"};
    req.include_authorized_operations = true;
    CHECK(body_of(req, 0) == hex_bytes("00000002 0002 6731 0002 6732"));
    CHECK(body_of(req, 3) == hex_bytes("00000002 0002 6731 0002 6732 01"));
    // v5 (flexible) and v6 share a layout.
    CHECK(body_of(req, 5) == hex_bytes("03 03 6731 03 6732 01 00"));
    CHECK(body_of(req, 6) == hex_bytes("03 03 6731 03 6732 01 00"));
}

TEST_CASE("DescribeGroups response nulls round-trip", "[protocol][messages]") {
    DescribeGroupsResponse resp;
    DescribeGroupsResponse::DescribedGroup g;
    g.group_id = "g";
    g.group_state = "Empty";
    g.members = {{"m", std::nullopt, "c", "/h", {}, {}}};
    resp.groups = {g};
    for (std::int16_t v = 4; v <= 6; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        DescribeGroupsResponse back;
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        CHECK(back == resp);
    }
    // v6: throttle, [error, null message, group, state, type "", data "",
    //     [member, null instance, client, host, metadata, assignment, tags], ops, tags], tags.
    CHECK(body_of(resp, 6) == hex_bytes("00000000 02  0000 00 02 67 06 456d707479 01 01"
                                        "02 02 6d 00 02 63 03 2f68 01 01 00  80000000 00  00"));
    resp.groups[0].error_message = "gone";
    resp.groups[0].error_code = 69;
    auto bytes = body_of(resp, 6);
    DescribeGroupsResponse back;
    reader r(bytes);
    decode(r, back, 6);
    REQUIRE(r.ok());
    CHECK(back.groups.at(0).error_message == "gone");
}

TEST_CASE("DescribeGroups malformed responses fail cleanly", "[protocol][messages]") {
    DescribeGroupsResponse resp;
    // v0: one group, cut inside the group id.
    CHECK(decode_response(hex_bytes("00000008 00000001 0000 0005 6772"), 0, 8, resp) == client_errc::truncated);
    // v5: a member count larger than the remaining bytes.
    CHECK(decode_response(hex_bytes("00000008 00 00000000 02 0000 02 67 01 01 01 ff01"), 5, 8, resp) ==
          client_errc::malformed_response);
    // v6: the error message is nullable, the group id is not.
    CHECK(decode_response(hex_bytes("00000008 00 00000000 02 0000 00 00 01 01 01 01 80000000 00 00"), 6, 8, resp) ==
          client_errc::negative_length);
}
