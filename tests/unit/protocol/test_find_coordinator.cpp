#include <kafka/protocol/messages/find_coordinator.hpp>

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

TEST_CASE("FindCoordinator round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<FindCoordinatorRequest>());
    kafka::test::check_round_trip_all_versions(filled<FindCoordinatorResponse>());
}

TEST_CASE("FindCoordinator request byte layout", "[protocol][messages]") {
    FindCoordinatorRequest req;
    req.key = "grp";
    req.key_type = 1;
    req.coordinator_keys = {"a", "b"};
    CHECK(body_of(req, 0) == hex_bytes("0003 677270"));     // key only
    CHECK(body_of(req, 2) == hex_bytes("0003 677270 01"));  // + int8 key type
    // v3 (flexible): compact key, key type, tags.
    CHECK(body_of(req, 3) == hex_bytes("04 677270 01 00"));
    // v4+: no single key; key type, then a compact array of keys (count + 1 = 3).
    CHECK(body_of(req, 4) == hex_bytes("01 03 0261 0262 00"));
    CHECK(body_of(req, 6) == hex_bytes("01 03 0261 0262 00"));
}

TEST_CASE("FindCoordinator response decodes from hand-built bytes", "[protocol][messages]") {
    FindCoordinatorResponse resp;
    // v0: error, node 1, host "host", port 9092.
    REQUIRE_FALSE(decode_response(hex_bytes("00000009 0000 00000001 0004 686f7374 00002384"), 0, 9, resp));
    CHECK(resp.node_id == 1);
    CHECK(resp.host == "host");
    CHECK(resp.port == 9092);
    // v4: header tags, throttle, one coordinator for key "g" with a null error message.
    REQUIRE_FALSE(decode_response(hex_bytes("00000009 00  00000000  02  02 67 00000002 02 68 00002384 0000 00 00  00"),
                                  4, 9, resp));
    REQUIRE(resp.coordinators.size() == 1);
    CHECK(resp.coordinators[0].key == "g");
    CHECK(resp.coordinators[0].node_id == 2);
    CHECK(resp.coordinators[0].host == "h");
    CHECK_FALSE(resp.coordinators[0].error_message.has_value());
}

TEST_CASE("FindCoordinator response null error messages round-trip", "[protocol][messages]") {
    FindCoordinatorResponse resp;
    resp.error_code = 15;
    resp.host = "h";
    resp.coordinators = {{"g", 3, "h", 9092, 15, std::nullopt}};
    for (std::int16_t v = 1; v <= 6; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        FindCoordinatorResponse back;
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        if (v <= 3)
            CHECK_FALSE(back.error_message.has_value());
        else
            CHECK_FALSE(back.coordinators.at(0).error_message.has_value());
        auto expected = resp;
        kafka::test::project(expected, v);
        CHECK(back == expected);
    }
    CHECK(body_of(resp, 1) == hex_bytes("00000000 000f ffff 00000000 0001 68 00000000"));
}

TEST_CASE("FindCoordinator malformed responses fail cleanly", "[protocol][messages]") {
    FindCoordinatorResponse resp;
    CHECK(decode_response(hex_bytes("00000009 0000 00000001 0004 6868"), 0, 9, resp) == client_errc::truncated);
    // v4 coordinator count of 100 with a handful of bytes left.
    CHECK(decode_response(hex_bytes("00000009 00 00000000 65 02 67"), 4, 9, resp) == client_errc::malformed_response);
    // v4 coordinator host as compact null: not allowed.
    CHECK(decode_response(hex_bytes("00000009 00 00000000 02 02 67 00000002 00 00002384 0000 00 00 00"), 4, 9, resp) ==
          client_errc::negative_length);
}
