// Heartbeat (key 12): keeps a classic group member alive between polls and tells it when
// the group is rebalancing.
// Layout: apache/kafka common/message/Heartbeat{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct HeartbeatResponse {
    static constexpr std::int16_t api_key = 12;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(4);

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;

    static constexpr auto fields() {
        using R = HeartbeatResponse;
        return field_list{field(&R::throttle_time_ms, since(1)), field(&R::error_code)};
    }
    friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

struct HeartbeatRequest {
    static constexpr std::int16_t api_key = 12;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(4);
    using response_type = HeartbeatResponse;

    std::string group_id;
    std::int32_t generation_id = 0;
    std::string member_id;
    std::optional<std::string> group_instance_id;

    static constexpr auto fields() {
        using R = HeartbeatRequest;
        return field_list{field(&R::group_id), field(&R::generation_id), field(&R::member_id),
                          field(&R::group_instance_id, since(3), since(3))};
    }
    friend bool operator==(const HeartbeatRequest&, const HeartbeatRequest&) = default;
};

}  // namespace kafka::protocol
