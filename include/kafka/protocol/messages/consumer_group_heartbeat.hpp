// ConsumerGroupHeartbeat (key 68): the KIP-848 consumer group protocol, where one repeated
// request joins, heartbeats, reports owned partitions and receives the assignment computed
// by the broker. Most request fields are null when unchanged since the previous heartbeat.
// Layout: apache/kafka common/message/ConsumerGroupHeartbeat{Request,Response}.json.
#pragma once

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct ConsumerGroupHeartbeatResponse {
    static constexpr std::int16_t api_key = 68;
    static constexpr versions valid{0, 1};
    static constexpr versions flexible = since(0);

    struct TopicPartitions {
        kafka::uuid topic_id;
        std::vector<std::int32_t> partitions;
        static constexpr auto fields() {
            return field_list{field(&TopicPartitions::topic_id), field(&TopicPartitions::partitions)};
        }
        friend bool operator==(const TopicPartitions&, const TopicPartitions&) = default;
    };
    struct Assignment {
        std::vector<TopicPartitions> topic_partitions;
        static constexpr auto fields() { return field_list{field(&Assignment::topic_partitions)}; }
        friend bool operator==(const Assignment&, const Assignment&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::optional<std::string> member_id;  // the member id to keep using
    std::int32_t member_epoch = 0;
    std::int32_t heartbeat_interval_ms = 0;
    std::optional<Assignment> assignment;  // null: the assignment did not change

    static constexpr auto fields() {
        using R = ConsumerGroupHeartbeatResponse;
        return field_list{field(&R::throttle_time_ms),
                          field(&R::error_code),
                          field(&R::error_message, all_versions, all_versions),
                          field(&R::member_id, all_versions, all_versions),
                          field(&R::member_epoch),
                          field(&R::heartbeat_interval_ms),
                          field(&R::assignment, all_versions, all_versions)};
    }
    friend bool operator==(const ConsumerGroupHeartbeatResponse&, const ConsumerGroupHeartbeatResponse&) = default;
};

struct ConsumerGroupHeartbeatRequest {
    static constexpr std::int16_t api_key = 68;
    static constexpr versions valid{0, 1};
    static constexpr versions flexible = since(0);
    using response_type = ConsumerGroupHeartbeatResponse;

    struct TopicPartitions {
        kafka::uuid topic_id;
        std::vector<std::int32_t> partitions;
        static constexpr auto fields() {
            return field_list{field(&TopicPartitions::topic_id), field(&TopicPartitions::partitions)};
        }
        friend bool operator==(const TopicPartitions&, const TopicPartitions&) = default;
    };

    std::string group_id;
    std::string member_id;
    // 0 joins, -1 leaves, -2 leaves for now as a static member that will come back.
    std::int32_t member_epoch = 0;
    std::optional<std::string> instance_id;
    std::optional<std::string> rack_id;
    std::int32_t rebalance_timeout_ms = -1;  // -1: unchanged
    std::optional<std::vector<std::string>> subscribed_topic_names;
    std::optional<std::string> subscribed_topic_regex;  // v1+
    std::optional<std::string> server_assignor;
    std::optional<std::vector<TopicPartitions>> topic_partitions;  // the partitions this member owns

    static constexpr auto fields() {
        using R = ConsumerGroupHeartbeatRequest;
        return field_list{field(&R::group_id),
                          field(&R::member_id),
                          field(&R::member_epoch),
                          field(&R::instance_id, all_versions, all_versions),
                          field(&R::rack_id, all_versions, all_versions),
                          field(&R::rebalance_timeout_ms),
                          field(&R::subscribed_topic_names, all_versions, all_versions),
                          field(&R::subscribed_topic_regex, since(1), since(1)),
                          field(&R::server_assignor, all_versions, all_versions),
                          field(&R::topic_partitions, all_versions, all_versions)};
    }
    friend bool operator==(const ConsumerGroupHeartbeatRequest&, const ConsumerGroupHeartbeatRequest&) = default;
};

}  // namespace kafka::protocol
