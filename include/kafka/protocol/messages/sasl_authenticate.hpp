// SaslAuthenticate (key 36): carries one SASL token each way, after a v1 SaslHandshake.
// Layout: apache/kafka common/message/SaslAuthenticate{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct SaslAuthenticateResponse {
    static constexpr std::int16_t api_key = 36;
    static constexpr versions valid{0, 2};
    static constexpr versions flexible = since(2);

    std::int16_t error_code = 0;
    std::optional<std::string> error_message;
    byte_buffer auth_bytes;
    // v1+: the session must re-authenticate within this many ms (0: no limit).
    std::int64_t session_lifetime_ms = 0;

    static constexpr auto fields() {
        using R = SaslAuthenticateResponse;
        return field_list{field(&R::error_code), field(&R::error_message, all_versions, all_versions),
                          field(&R::auth_bytes), field(&R::session_lifetime_ms, since(1))};
    }
    friend bool operator==(const SaslAuthenticateResponse&, const SaslAuthenticateResponse&) = default;
};

struct SaslAuthenticateRequest {
    static constexpr std::int16_t api_key = 36;
    static constexpr versions valid{0, 2};
    static constexpr versions flexible = since(2);
    using response_type = SaslAuthenticateResponse;

    byte_buffer auth_bytes;

    static constexpr auto fields() { return field_list{field(&SaslAuthenticateRequest::auth_bytes)}; }
    friend bool operator==(const SaslAuthenticateRequest&, const SaslAuthenticateRequest&) = default;
};

}  // namespace kafka::protocol
