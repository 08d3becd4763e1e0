// libFuzzer target: decodes response (and request) bodies of every message type
// of include/kafka/protocol/messages, and checks that what decodes re-encodes to
// something that decodes to the same message, and that decoding into a reused
// (filled) object gives the same message as decoding into a fresh one.
// Input layout: fuzz_common.hpp.
#include <cstddef>
#include <cstdint>

#include "fill.hpp"
#include "fuzz_common.hpp"

using namespace kafka;
using namespace kafka::fuzz;

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

template <class Resp>
void response(std::int16_t version, bytes_view rest) {
    // An exact-size copy, so that ASan sees any read past the end of the body.
    byte_buffer body(4 + rest.size());
    to_big_endian(correlation_id, body.data());
    if (!rest.empty()) std::memcpy(body.data() + 4, rest.data(), rest.size());

    Resp first{};
    auto ec = decode_response(bytes_view(body), version, correlation_id, first);

    // Decoding into a reused object (every field set) must give the same result: fields
    // the version lacks and tagged fields that do not appear go back to their defaults.
    Resp reused = filled<Resp>();
    auto ec_reused = decode_response(bytes_view(body), version, correlation_id, reused);
    if (ec != ec_reused || (!ec && !(reused == first))) fail();
    if (ec) return;

    // Re-encode; the frame's size prefix and encoded_size() must agree with what was written.
    byte_buffer frame;
    encode_response(frame, first, version, correlation_id);
    if (frame.size() < 8 || from_big_endian<std::int32_t>(frame.data()) != static_cast<std::int32_t>(frame.size() - 4))
        fail();
    std::size_t header = 8 + (uses_flexible_response_header<Resp>(version) ? 1 : 0);
    if (encoded_size(first, version) != frame.size() - header) fail();

    // Compare decoded structs, not bytes: tagged fields equal to their default are
    // dropped on encode, unknown tags are skipped, varints may be over-long.
    Resp second{};
    if (decode_response(bytes_view(frame).subspan(4), version, correlation_id, second)) fail();
    if (!(first == second)) fail();
}

template <class Req>
void request_round_trip(const Req& first, std::int16_t version) {
    byte_buffer frame;
    encode_request(frame, first, version, correlation_id, client_id);
    if (frame.size() < 4 || from_big_endian<std::int32_t>(frame.data()) != static_cast<std::int32_t>(frame.size() - 4))
        fail();
    Req second{};
    std::int16_t v2 = -1;
    std::int32_t c2 = 0;
    if (decode_request(bytes_view(frame).subspan(4), second, v2, c2)) fail();
    if (v2 != version || c2 != correlation_id || !(first == second)) fail();
}

template <class Req>
void request(std::int16_t version, bytes_view rest) {
    byte_buffer body;
    writer w(body);
    w.int16(Req::api_key);
    w.int16(version);
    w.int32(correlation_id);
    w.int16(static_cast<std::int16_t>(client_id.size()));
    w.raw(as_bytes_view(client_id));
    w.raw(rest);
    body.shrink_to_fit();

    Req first{};
    std::int16_t v = -1;
    std::int32_t c = 0;
    auto ec = decode_request(bytes_view(body), first, v, c);
    Req reused = filled<Req>();
    std::int16_t rv = -1;
    std::int32_t rc = 0;
    auto ec_reused = decode_request(bytes_view(body), reused, rv, rc);
    if (ec != ec_reused || (!ec && !(reused == first))) fail();
    if (ec) return;
    if (v != version || c != correlation_id) fail();
    request_round_trip(first, version);
}

template <class Req>
void raw_request(bytes_view frame_body) {
    byte_buffer body(frame_body.begin(), frame_body.end());
    Req first{};
    std::int16_t v = -1;
    std::int32_t c = 0;
    if (decode_request(bytes_view(body), first, v, c)) return;
    if (!Req::valid.contains(v)) fail();  // decode_request must refuse versions it does not know
    request_round_trip(first, v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    auto in = bytes_view(reinterpret_cast<const std::byte*>(data), size);
    std::uint8_t selector = data[0];
    if (selector & raw_request_bit) {
        with_type(requests{}, (selector & 0x7f) % requests::size,
                  [&]<class Req>(std::type_identity<Req>) { raw_request<Req>(in.subspan(1)); });
        return 0;
    }
    auto rest = in.subspan(2);
    with_type(responses{}, selector % responses::size,
              [&]<class Resp>(std::type_identity<Resp>) { response<Resp>(pick_version<Resp>(data[1]), rest); });
    with_type(requests{}, selector % requests::size,
              [&]<class Req>(std::type_identity<Req>) { request<Req>(pick_version<Req>(data[1]), rest); });
    return 0;
}
