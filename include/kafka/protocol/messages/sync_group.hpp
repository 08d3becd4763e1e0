// SyncGroup (key 14): the classic group leader hands in the assignment it computed, and
// every member gets its own share back.
// Layout: apache/kafka common/message/SyncGroup{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct SyncGroupResponse {
    static constexpr std::int16_t api_key = 14;
    static constexpr versions valid{0, 5};
    static constexpr versions flexible = since(4);

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    byte_buffer assignment;  // this member's assignment, opaque to the protocol

    static constexpr auto fields() {
        using R = SyncGroupResponse;
        return field_list{field(&R::throttle_time_ms, since(1)), field(&R::error_code),
                          field(&R::protocol_type, since(5), since(5)), field(&R::protocol_name, since(5), since(5)),
                          field(&R::assignment)};
    }
    friend bool operator==(const SyncGroupResponse&, const SyncGroupResponse&) = default;
};

struct SyncGroupRequest {
    static constexpr std::int16_t api_key = 14;
    static constexpr versions valid{0, 5};
    static constexpr versions flexible = since(4);
    using response_type = SyncGroupResponse;

    struct SyncGroupRequestAssignment {
        std::string member_id;
        byte_buffer assignment;
        static constexpr auto fields() {
            using S = SyncGroupRequestAssignment;
            return field_list{field(&S::member_id), field(&S::assignment)};
        }
        friend bool operator==(const SyncGroupRequestAssignment&, const SyncGroupRequestAssignment&) = default;
    };

    std::string group_id;
    std::int32_t generation_id = 0;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    std::vector<SyncGroupRequestAssignment> assignments;  // sent by the leader only

    static constexpr auto fields() {
        using R = SyncGroupRequest;
        return field_list{field(&R::group_id),
                          field(&R::generation_id),
                          field(&R::member_id),
                          field(&R::group_instance_id, since(3), since(3)),
                          field(&R::protocol_type, since(5), since(5)),
                          field(&R::protocol_name, since(5), since(5)),
                          field(&R::assignments)};
    }
    friend bool operator==(const SyncGroupRequest&, const SyncGroupRequest&) = default;
};

}  // namespace kafka::protocol
