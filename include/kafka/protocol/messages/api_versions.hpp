// ApiVersions (key 18): which versions of each API the broker serves.
// Layout: apache/kafka common/message/ApiVersions{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct ApiVersionsResponse {
    static constexpr std::int16_t api_key = 18;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(3);

    struct ApiVersion {
        std::int16_t api_key = 0;
        std::int16_t min_version = 0;
        std::int16_t max_version = 0;
        static constexpr auto fields() {
            return field_list{field(&ApiVersion::api_key), field(&ApiVersion::min_version),
                              field(&ApiVersion::max_version)};
        }
        friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
    };
    struct SupportedFeatureKey {
        std::string name;
        std::int16_t min_version = 0;
        std::int16_t max_version = 0;
        static constexpr auto fields() {
            return field_list{field(&SupportedFeatureKey::name), field(&SupportedFeatureKey::min_version),
                              field(&SupportedFeatureKey::max_version)};
        }
        friend bool operator==(const SupportedFeatureKey&, const SupportedFeatureKey&) = default;
    };
    struct FinalizedFeatureKey {
        std::string name;
        std::int16_t max_version_level = 0;
        std::int16_t min_version_level = 0;
        static constexpr auto fields() {
            return field_list{field(&FinalizedFeatureKey::name), field(&FinalizedFeatureKey::max_version_level),
                              field(&FinalizedFeatureKey::min_version_level)};
        }
        friend bool operator==(const FinalizedFeatureKey&, const FinalizedFeatureKey&) = default;
    };

    std::int16_t error_code = 0;
    std::vector<ApiVersion> api_keys;
    std::int32_t throttle_time_ms = 0;
    std::vector<SupportedFeatureKey> supported_features;
    std::int64_t finalized_features_epoch = -1;
    std::vector<FinalizedFeatureKey> finalized_features;
    bool zk_migration_ready = false;

    static constexpr auto fields() {
        using R = ApiVersionsResponse;
        return field_list{field(&R::error_code),
                          field(&R::api_keys),
                          field(&R::throttle_time_ms, since(1)),
                          tagged(&R::supported_features, 0, since(3)),
                          tagged(&R::finalized_features_epoch, 1, since(3)),
                          tagged(&R::finalized_features, 2, since(3)),
                          tagged(&R::zk_migration_ready, 3, since(3))};
    }
    friend bool operator==(const ApiVersionsResponse&, const ApiVersionsResponse&) = default;
};

struct ApiVersionsRequest {
    static constexpr std::int16_t api_key = 18;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(3);
    using response_type = ApiVersionsResponse;

    std::string client_software_name;
    std::string client_software_version;

    static constexpr auto fields() {
        using R = ApiVersionsRequest;
        return field_list{field(&R::client_software_name, since(3)), field(&R::client_software_version, since(3))};
    }
    friend bool operator==(const ApiVersionsRequest&, const ApiVersionsRequest&) = default;
};

}  // namespace kafka::protocol
