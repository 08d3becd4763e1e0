// Request and response framing: the 4-byte size prefix, request header v1/v2,
// response header v0/v1, correlation ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

inline constexpr std::int16_t api_versions_key = 18;

/// Request header v2 for flexible request versions, v1 otherwise. The client id
/// is a classic nullable string in both; v2 adds an (empty) tagged-field section.
template <api_message Req>
constexpr bool uses_flexible_request_header(std::int16_t version) noexcept {
    return Req::flexible.contains(version);
}

/// Response header v1 (with tagged fields) for flexible versions, v0 otherwise.
/// ApiVersions responses always use v0, so that a client that does not yet know
/// the broker's versions can read the error of a version it asked too high.
template <api_message Resp>
constexpr bool uses_flexible_response_header(std::int16_t version) noexcept {
    return Resp::api_key != api_versions_key && Resp::flexible.contains(version);
}

/// Appends one size-prefixed request frame to `out`.
template <api_message Req>
void encode_request(byte_buffer& out, const Req& req, std::int16_t version, std::int32_t correlation_id,
                    std::optional<std::string_view> client_id) {
    writer w(out);
    auto start = w.size();
    w.int32(0);  // size, patched below
    w.int16(Req::api_key);
    w.int16(version);
    w.int32(correlation_id);
    if (client_id) {
        w.int16(static_cast<std::int16_t>(client_id->size()));
        w.raw(as_bytes_view(*client_id));
    } else {
        w.int16(-1);
    }
    if (uses_flexible_request_header<Req>(version)) w.uvarint(0);
    encode(w, req, version);
    w.patch_int32(start, static_cast<std::int32_t>(w.size() - start - 4));
}

template <api_message Req>
byte_buffer encode_request(const Req& req, std::int16_t version, std::int32_t correlation_id,
                           std::optional<std::string_view> client_id) {
    byte_buffer out;
    encode_request(out, req, version, correlation_id, client_id);
    return out;
}

/// The correlation id at the start of a response body (the bytes after the size prefix).
inline std::optional<std::int32_t> peek_correlation_id(bytes_view body) noexcept {
    if (body.size() < 4) return std::nullopt;
    return from_big_endian<std::int32_t>(body.data());
}

/// Decodes a response body (after the size prefix) at `version`. Fails on a
/// correlation id other than `expected_correlation`, on malformed bytes and on
/// bytes left over after the message.
template <api_message Resp>
std::error_code decode_response(bytes_view body, std::int16_t version, std::int32_t expected_correlation, Resp& out) {
    reader r(body);
    auto correlation = r.int32();
    if (r.ok() && correlation != expected_correlation) return client_errc::correlation_mismatch;
    if (uses_flexible_response_header<Resp>(version)) {
        // Header tagged fields: none are defined for clients; skip them safely.
        auto n = r.uvarint32();
        for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
            r.uvarint32();
            r.skip(r.uvarint32());
        }
    }
    decode(r, out, version);
    if (!r.ok()) return r.error();
    if (!r.empty()) return client_errc::malformed_response;
    return {};
}

/// Decodes a request frame body (after the size prefix): for test brokers and fuzzing.
template <api_message Req>
std::error_code decode_request(bytes_view body, Req& out, std::int16_t& version, std::int32_t& correlation_id) {
    reader r(body);
    auto key = r.int16();
    version = r.int16();
    correlation_id = r.int32();
    auto n = r.length(false, false, true);
    if (n > 0) r.skip(static_cast<std::size_t>(n));
    if (!r.ok()) return r.error();
    if (key != Req::api_key || !Req::valid.contains(version)) return client_errc::malformed_response;
    if (uses_flexible_request_header<Req>(version)) {
        auto tags = r.uvarint32();
        for (std::uint32_t i = 0; i < tags && r.ok(); ++i) {
            r.uvarint32();
            r.skip(r.uvarint32());
        }
    }
    decode(r, out, version);
    if (!r.ok()) return r.error();
    if (!r.empty()) return client_errc::malformed_response;
    return {};
}

/// Appends one size-prefixed response frame (for test brokers).
template <api_message Resp>
void encode_response(byte_buffer& out, const Resp& resp, std::int16_t version, std::int32_t correlation_id) {
    writer w(out);
    auto start = w.size();
    w.int32(0);
    w.int32(correlation_id);
    if (uses_flexible_response_header<Resp>(version)) w.uvarint(0);
    encode(w, resp, version);
    w.patch_int32(start, static_cast<std::int32_t>(w.size() - start - 4));
}

}  // namespace kafka::protocol
