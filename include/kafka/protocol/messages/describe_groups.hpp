// DescribeGroups (key 15): state, protocol and members of classic groups.
// Layout: apache/kafka common/message/DescribeGroups{Request,Response}.json.
#pragma once

#include <limits>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct DescribeGroupsResponse {
    static constexpr std::int16_t api_key = 15;
    static constexpr versions valid{0, 6};
    static constexpr versions flexible = since(5);

    struct DescribedGroupMember {
        std::string member_id;
        std::optional<std::string> group_instance_id;
        std::string client_id;
        std::string client_host;
        byte_buffer member_metadata;    // filled only while the group is Stable
        byte_buffer member_assignment;  // likewise
        static constexpr auto fields() {
            using S = DescribedGroupMember;
            return field_list{field(&S::member_id),       field(&S::group_instance_id, since(4), since(4)),
                              field(&S::client_id),       field(&S::client_host),
                              field(&S::member_metadata), field(&S::member_assignment)};
        }
        friend bool operator==(const DescribedGroupMember&, const DescribedGroupMember&) = default;
    };
    struct DescribedGroup {
        std::int16_t error_code = 0;
        std::optional<std::string> error_message;
        std::string group_id;
        std::string group_state;
        std::string protocol_type;
        std::string protocol_data;  // the chosen protocol name (only while Stable)
        std::vector<DescribedGroupMember> members;
        // Bitfield of the ACL operations the caller may perform, when it was asked for.
        std::int32_t authorized_operations = std::numeric_limits<std::int32_t>::min();
        static constexpr auto fields() {
            using S = DescribedGroup;
            return field_list{field(&S::error_code),    field(&S::error_message, since(6), since(6)),
                              field(&S::group_id),      field(&S::group_state),
                              field(&S::protocol_type), field(&S::protocol_data),
                              field(&S::members),       field(&S::authorized_operations, since(3))};
        }
        friend bool operator==(const DescribedGroup&, const DescribedGroup&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<DescribedGroup> groups;

    static constexpr auto fields() {
        using R = DescribeGroupsResponse;
        return field_list{field(&R::throttle_time_ms, since(1)), field(&R::groups)};
    }
    friend bool operator==(const DescribeGroupsResponse&, const DescribeGroupsResponse&) = default;
};

struct DescribeGroupsRequest {
    static constexpr std::int16_t api_key = 15;
    static constexpr versions valid{0, 6};
    static constexpr versions flexible = since(5);
    using response_type = DescribeGroupsResponse;

    std::vector<std::string> groups;
    bool include_authorized_operations = false;

    static constexpr auto fields() {
        using R = DescribeGroupsRequest;
        return field_list{field(&R::groups), field(&R::include_authorized_operations, since(3))};
    }
    friend bool operator==(const DescribeGroupsRequest&, const DescribeGroupsRequest&) = default;
};

}  // namespace kafka::protocol
