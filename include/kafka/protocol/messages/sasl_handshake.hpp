// SaslHandshake (key 17): picks the SASL mechanism; the broker lists the ones it enables.
// v0 is followed by raw SASL tokens, v1 by SaslAuthenticate requests.
// Layout: apache/kafka common/message/SaslHandshake{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct SaslHandshakeResponse {
    static constexpr std::int16_t api_key = 17;
    static constexpr versions valid{0, 1};
    static constexpr versions flexible = no_versions;

    std::int16_t error_code = 0;
    std::vector<std::string> mechanisms;

    static constexpr auto fields() {
        using R = SaslHandshakeResponse;
        return field_list{field(&R::error_code), field(&R::mechanisms)};
    }
    friend bool operator==(const SaslHandshakeResponse&, const SaslHandshakeResponse&) = default;
};

struct SaslHandshakeRequest {
    static constexpr std::int16_t api_key = 17;
    static constexpr versions valid{0, 1};
    static constexpr versions flexible = no_versions;
    using response_type = SaslHandshakeResponse;

    std::string mechanism;  // e.g. "PLAIN", "SCRAM-SHA-512", "OAUTHBEARER"

    static constexpr auto fields() { return field_list{field(&SaslHandshakeRequest::mechanism)}; }
    friend bool operator==(const SaslHandshakeRequest&, const SaslHandshakeRequest&) = default;
};

}  // namespace kafka::protocol
