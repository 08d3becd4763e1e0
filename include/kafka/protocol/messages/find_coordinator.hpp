// FindCoordinator (key 10): which broker coordinates a group, a transactional id or a
// share group (v6). v4+ looks up several keys at once.
// Layout: apache/kafka common/message/FindCoordinator{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct FindCoordinatorResponse {
    static constexpr std::int16_t api_key = 10;
    static constexpr versions valid{0, 6};
    static constexpr versions flexible = since(3);

    struct Coordinator {
        std::string key;
        std::int32_t node_id = 0;
        std::string host;
        std::int32_t port = 0;
        std::int16_t error_code = 0;
        std::optional<std::string> error_message;
        static constexpr auto fields() {
            using S = Coordinator;
            return field_list{field(&S::key, since(4)),        field(&S::node_id, since(4)),
                              field(&S::host, since(4)),       field(&S::port, since(4)),
                              field(&S::error_code, since(4)), field(&S::error_message, since(4), since(4))};
        }
        friend bool operator==(const Coordinator&, const Coordinator&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    // v0-3 answer for a single key with the fields below; v4+ fill `coordinators` instead.
    std::int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
    std::vector<Coordinator> coordinators;

    static constexpr auto fields() {
        using R = FindCoordinatorResponse;
        return field_list{field(&R::throttle_time_ms, since(1)),
                          field(&R::error_code, between(0, 3)),
                          field(&R::error_message, between(1, 3), between(1, 3)),
                          field(&R::node_id, between(0, 3)),
                          field(&R::host, between(0, 3)),
                          field(&R::port, between(0, 3)),
                          field(&R::coordinators, since(4))};
    }
    friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

struct FindCoordinatorRequest {
    static constexpr std::int16_t api_key = 10;
    static constexpr versions valid{0, 6};
    static constexpr versions flexible = since(3);
    using response_type = FindCoordinatorResponse;

    std::string key;                            // v0-3: the one key to look up
    std::int8_t key_type = 0;                   // 0 group, 1 transaction, 2 share group (v6)
    std::vector<std::string> coordinator_keys;  // v4+: the keys to look up

    static constexpr auto fields() {
        using R = FindCoordinatorRequest;
        return field_list{field(&R::key, between(0, 3)), field(&R::key_type, since(1)),
                          field(&R::coordinator_keys, since(4))};
    }
    friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

}  // namespace kafka::protocol
