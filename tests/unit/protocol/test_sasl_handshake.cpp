#include <kafka/protocol/messages/sasl_handshake.hpp>

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

TEST_CASE("SaslHandshake round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<SaslHandshakeRequest>());
    kafka::test::check_round_trip_all_versions(filled<SaslHandshakeResponse>());
}

TEST_CASE("SaslHandshake request byte layout", "[protocol][messages]") {
    // SaslHandshake has no flexible version: v0 and v1 share one layout, and the
    // request header stays v1 (no tag section) in both.
    SaslHandshakeRequest req;
    req.mechanism = "PLAIN";
    CHECK(body_of(req, 0) == hex_bytes("0005 504c41494e"));
    CHECK(body_of(req, 1) == hex_bytes("0005 504c41494e"));
    CHECK(encode_request(req, 1, 2, "c") == hex_bytes("00000012 0011 0001 00000002 0001 63  0005 504c41494e"));
}

TEST_CASE("SaslHandshake response decodes from hand-built bytes", "[protocol][messages]") {
    SaslHandshakeResponse resp;
    // error 33 (UNSUPPORTED_SASL_MECHANISM), mechanisms ["PLAIN", "SCRAM-SHA-256"].
    REQUIRE_FALSE(decode_response(hex_bytes("00000002 0021 00000002 0005 504c41494e 000d 5343 52414d2d5348412d323536"),
                                  1, 2, resp));
    CHECK(resp.error_code == 33);
    CHECK(resp.mechanisms == std::vector<std::string>{"PLAIN", "SCRAM-SHA-256"});
}

TEST_CASE("SaslHandshake malformed responses fail cleanly", "[protocol][messages]") {
    SaslHandshakeResponse resp;
    // Array count far beyond the bytes left.
    CHECK(decode_response(hex_bytes("00000002 0000 7fffffff 0001 41"), 1, 2, resp) == client_errc::malformed_response);
    // A null array where none is allowed.
    CHECK(decode_response(hex_bytes("00000002 0000 ffffffff"), 1, 2, resp) == client_errc::negative_length);
    // String cut short.
    CHECK(decode_response(hex_bytes("00000002 0000 00000001 0005 504c"), 1, 2, resp) == client_errc::truncated);
}
