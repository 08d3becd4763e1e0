#include <kafka/protocol/messages/api_versions.hpp>

#include "message_testing.hpp"

using namespace kafka::protocol;
using kafka::byte_buffer;
using kafka::test::filled;

TEST_CASE("ApiVersions round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<ApiVersionsRequest>());
    kafka::test::check_round_trip_all_versions(filled<ApiVersionsResponse>());
}

TEST_CASE("ApiVersions v3 request matches the bytes a Java client sends", "[protocol][messages]") {
    ApiVersionsRequest req;
    req.client_software_name = "apache-kafka-java";
    req.client_software_version = "3.9.0";
    auto frame = encode_request(req, 3, 1, "cli");
    // size, key 18, version 3, correlation 1, client id "cli" (int16 length), header tags,
    // compact name (len+1 = 18), compact version (len+1 = 6), body tags.
    auto expected = kafka::test::hex_bytes(
        "00000027 0012 0003 00000001 0003 636c69 00"
        "12 6170616368652d6b61666b612d6a617661 06 332e392e30 00");
    CHECK(frame == expected);
}

TEST_CASE("ApiVersions response always uses response header v0", "[protocol][messages]") {
    ApiVersionsResponse resp;
    resp.api_keys = {{1, 4, 17}};
    byte_buffer frame;
    encode_response(frame, resp, 3, 7);
    // correlation id, then straight to error_code: no header tagged-field byte.
    auto body = kafka::bytes_view(frame).subspan(4);
    CHECK(body[4] == std::byte{0});
    CHECK(body[5] == std::byte{0});
    ApiVersionsResponse back;
    REQUIRE_FALSE(decode_response(body, 3, 7, back));
    CHECK(back.api_keys == resp.api_keys);
    CHECK(decode_response(body, 3, 8, back) == kafka::client_errc::correlation_mismatch);
}
