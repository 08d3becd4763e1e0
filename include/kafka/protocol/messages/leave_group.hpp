// LeaveGroup (key 13): removes members from a classic group so it rebalances at once
// instead of after their session timeout. v3+ removes a batch of members.
// Layout: apache/kafka common/message/LeaveGroup{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct LeaveGroupResponse {
    static constexpr std::int16_t api_key = 13;
    static constexpr versions valid{0, 5};
    static constexpr versions flexible = since(4);

    struct MemberResponse {
        std::string member_id;
        std::optional<std::string> group_instance_id;
        std::int16_t error_code = 0;
        static constexpr auto fields() {
            using S = MemberResponse;
            return field_list{field(&S::member_id, since(3)), field(&S::group_instance_id, since(3), since(3)),
                              field(&S::error_code, since(3))};
        }
        friend bool operator==(const MemberResponse&, const MemberResponse&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;
    std::vector<MemberResponse> members;

    static constexpr auto fields() {
        using R = LeaveGroupResponse;
        return field_list{field(&R::throttle_time_ms, since(1)), field(&R::error_code), field(&R::members, since(3))};
    }
    friend bool operator==(const LeaveGroupResponse&, const LeaveGroupResponse&) = default;
};

struct LeaveGroupRequest {
    static constexpr std::int16_t api_key = 13;
    static constexpr versions valid{0, 5};
    static constexpr versions flexible = since(4);
    using response_type = LeaveGroupResponse;

    struct MemberIdentity {
        std::string member_id;
        std::optional<std::string> group_instance_id;
        std::optional<std::string> reason;
        static constexpr auto fields() {
            using S = MemberIdentity;
            return field_list{field(&S::member_id, since(3)), field(&S::group_instance_id, since(3), since(3)),
                              field(&S::reason, since(5), since(5))};
        }
        friend bool operator==(const MemberIdentity&, const MemberIdentity&) = default;
    };

    std::string group_id;
    std::string member_id;                // v0-2: the one member leaving
    std::vector<MemberIdentity> members;  // v3+: the members leaving

    static constexpr auto fields() {
        using R = LeaveGroupRequest;
        return field_list{field(&R::group_id), field(&R::member_id, between(0, 2)), field(&R::members, since(3))};
    }
    friend bool operator==(const LeaveGroupRequest&, const LeaveGroupRequest&) = default;
};

}  // namespace kafka::protocol
