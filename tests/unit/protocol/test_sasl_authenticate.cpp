#include <kafka/protocol/messages/sasl_authenticate.hpp>

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

TEST_CASE("SaslAuthenticate round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<SaslAuthenticateRequest>());
    kafka::test::check_round_trip_all_versions(filled<SaslAuthenticateResponse>());
}

TEST_CASE("SaslAuthenticate request byte layout", "[protocol][messages]") {
    SaslAuthenticateRequest req;
    req.auth_bytes = hex_bytes("00 75736572 00 70617373");  // PLAIN "\0user\0pass"
    // v0/v1: int32-length bytes.
    CHECK(body_of(req, 0) == hex_bytes("0000000a 0075736572 0070617373"));
    CHECK(body_of(req, 1) == hex_bytes("0000000a 0075736572 0070617373"));
    // v2 (flexible): compact bytes (length + 1 = 11), empty tag section.
    CHECK(body_of(req, 2) == hex_bytes("0b 0075736572 0070617373 00"));
}

TEST_CASE("SaslAuthenticate response with a null error message", "[protocol][messages]") {
    SaslAuthenticateResponse resp;
    resp.auth_bytes = hex_bytes("7631");
    resp.session_lifetime_ms = 3600000;
    for (std::int16_t v = 0; v <= 2; ++v) {
        INFO("version " << v);
        auto bytes = body_of(resp, v);
        SaslAuthenticateResponse back;
        back.error_message = "not null";
        reader r(bytes);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK_FALSE(back.error_message.has_value());
        CHECK(back.auth_bytes == resp.auth_bytes);
    }
    // v1: error 0, null message (int16 -1), 2 bytes, session lifetime.
    CHECK(body_of(resp, 1) == hex_bytes("0000 ffff 00000002 7631 000000000036ee80"));
    // v2: compact null is 0.
    CHECK(body_of(resp, 2) == hex_bytes("0000 00 03 7631 000000000036ee80 00"));
}

TEST_CASE("SaslAuthenticate malformed responses fail cleanly", "[protocol][messages]") {
    SaslAuthenticateResponse resp;
    // Error message length beyond the bytes left.
    CHECK(decode_response(hex_bytes("00000003 003a 7fff 41"), 0, 3, resp) == client_errc::truncated);
    // Negative bytes length (bytes are not nullable here).
    CHECK(decode_response(hex_bytes("00000003 0000 ffff ffffffff"), 0, 3, resp) == client_errc::negative_length);
    // v2 compact length as an over-long varint.
    CHECK(decode_response(hex_bytes("00000003 00 0000 ffffffffffff"), 2, 3, resp) == client_errc::malformed_varint);
    // Session lifetime cut short.
    CHECK(decode_response(hex_bytes("00000003 0000 ffff 00000000 0000"), 1, 3, resp) == client_errc::truncated);
}
