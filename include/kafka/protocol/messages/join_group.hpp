// JoinGroup (key 11): joins (or rejoins) a classic consumer group; the coordinator picks a
// protocol and a leader, and sends the leader every member's metadata to assign from.
// Layout: apache/kafka common/message/JoinGroup{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct JoinGroupResponse {
    static constexpr std::int16_t api_key = 11;
    static constexpr versions valid{0, 9};
    static constexpr versions flexible = since(6);

    struct JoinGroupResponseMember {
        std::string member_id;
        std::optional<std::string> group_instance_id;
        byte_buffer metadata;
        static constexpr auto fields() {
            using S = JoinGroupResponseMember;
            return field_list{field(&S::member_id), field(&S::group_instance_id, since(5), since(5)),
                              field(&S::metadata)};
        }
        friend bool operator==(const JoinGroupResponseMember&, const JoinGroupResponseMember&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;
    std::int32_t generation_id = -1;
    std::optional<std::string> protocol_type;
    // The chosen protocol. Defaults to "" (not null): null cannot be written before v7.
    std::optional<std::string> protocol_name = std::string{};
    std::string leader;            // member id of the group leader
    bool skip_assignment = false;  // v9+: the leader must not run the assignment (already done)
    std::string member_id;
    std::vector<JoinGroupResponseMember> members;  // non-empty for the leader only

    static constexpr auto fields() {
        using R = JoinGroupResponse;
        return field_list{field(&R::throttle_time_ms, since(2)),
                          field(&R::error_code),
                          field(&R::generation_id),
                          field(&R::protocol_type, since(7), since(7)),
                          field(&R::protocol_name, all_versions, since(7)),
                          field(&R::leader),
                          field(&R::skip_assignment, since(9)),
                          field(&R::member_id),
                          field(&R::members)};
    }
    friend bool operator==(const JoinGroupResponse&, const JoinGroupResponse&) = default;
};

struct JoinGroupRequest {
    static constexpr std::int16_t api_key = 11;
    static constexpr versions valid{0, 9};
    static constexpr versions flexible = since(6);
    using response_type = JoinGroupResponse;

    struct JoinGroupRequestProtocol {
        std::string name;
        byte_buffer metadata;
        static constexpr auto fields() {
            using S = JoinGroupRequestProtocol;
            return field_list{field(&S::name), field(&S::metadata)};
        }
        friend bool operator==(const JoinGroupRequestProtocol&, const JoinGroupRequestProtocol&) = default;
    };

    std::string group_id;
    std::int32_t session_timeout_ms = 0;
    std::int32_t rebalance_timeout_ms = -1;        // before v1 the session timeout serves as both
    std::string member_id;                         // empty on the first join
    std::optional<std::string> group_instance_id;  // static membership id
    std::string protocol_type;
    std::vector<JoinGroupRequestProtocol> protocols;
    std::optional<std::string> reason;

    static constexpr auto fields() {
        using R = JoinGroupRequest;
        return field_list{field(&R::group_id),
                          field(&R::session_timeout_ms),
                          field(&R::rebalance_timeout_ms, since(1)),
                          field(&R::member_id),
                          field(&R::group_instance_id, since(5), since(5)),
                          field(&R::protocol_type),
                          field(&R::protocols),
                          field(&R::reason, since(8), since(8))};
    }
    friend bool operator==(const JoinGroupRequest&, const JoinGroupRequest&) = default;
};

}  // namespace kafka::protocol
