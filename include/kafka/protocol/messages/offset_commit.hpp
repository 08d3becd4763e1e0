// OffsetCommit (key 8): store a consumer group's committed offsets at its coordinator.
// Layout: apache/kafka common/message/OffsetCommit{Request,Response}.json; versions 0-10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct OffsetCommitResponse {
    static constexpr std::int16_t api_key = 8;
    static constexpr versions valid{0, 10};
    static constexpr versions flexible = since(8);

    struct OffsetCommitResponsePartition {
        std::int32_t partition_index = 0;
        std::int16_t error_code = 0;
        static constexpr auto fields() {
            return field_list{field(&OffsetCommitResponsePartition::partition_index),
                              field(&OffsetCommitResponsePartition::error_code)};
        }
        friend bool operator==(const OffsetCommitResponsePartition&, const OffsetCommitResponsePartition&) = default;
    };
    struct OffsetCommitResponseTopic {
        std::string name;  // names up to v9, ids from v10
        kafka::uuid topic_id;
        std::vector<OffsetCommitResponsePartition> partitions;
        static constexpr auto fields() {
            using T = OffsetCommitResponseTopic;
            return field_list{field(&T::name, between(0, 9)), field(&T::topic_id, since(10)), field(&T::partitions)};
        }
        friend bool operator==(const OffsetCommitResponseTopic&, const OffsetCommitResponseTopic&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<OffsetCommitResponseTopic> topics;

    static constexpr auto fields() {
        using R = OffsetCommitResponse;
        return field_list{field(&R::throttle_time_ms, since(3)), field(&R::topics)};
    }
    friend bool operator==(const OffsetCommitResponse&, const OffsetCommitResponse&) = default;
};

struct OffsetCommitRequest {
    static constexpr std::int16_t api_key = 8;
    static constexpr versions valid{0, 10};
    static constexpr versions flexible = since(8);
    using response_type = OffsetCommitResponse;

    struct OffsetCommitRequestPartition {
        std::int32_t partition_index = 0;
        std::int64_t committed_offset = 0;
        std::int32_t committed_leader_epoch = -1;  // epoch of the last consumed record
        std::int64_t commit_timestamp = -1;        // v1 only
        std::optional<std::string> committed_metadata = std::string{};
        static constexpr auto fields() {
            using P = OffsetCommitRequestPartition;
            return field_list{field(&P::partition_index), field(&P::committed_offset),
                              field(&P::committed_leader_epoch, since(6)), field(&P::commit_timestamp, between(1, 1)),
                              field(&P::committed_metadata, all_versions, all_versions)};
        }
        friend bool operator==(const OffsetCommitRequestPartition&, const OffsetCommitRequestPartition&) = default;
    };
    struct OffsetCommitRequestTopic {
        std::string name;  // names up to v9, ids from v10
        kafka::uuid topic_id;
        std::vector<OffsetCommitRequestPartition> partitions;
        static constexpr auto fields() {
            using T = OffsetCommitRequestTopic;
            return field_list{field(&T::name, between(0, 9)), field(&T::topic_id, since(10)), field(&T::partitions)};
        }
        friend bool operator==(const OffsetCommitRequestTopic&, const OffsetCommitRequestTopic&) = default;
    };

    std::string group_id;
    // Classic protocol: the group generation; consumer protocol (KIP-848): the member epoch.
    std::int32_t generation_id_or_member_epoch = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::int64_t retention_time_ms = -1;  // v2-4; -1 lets the broker decide
    std::vector<OffsetCommitRequestTopic> topics;

    static constexpr auto fields() {
        using R = OffsetCommitRequest;
        return field_list{field(&R::group_id),
                          field(&R::generation_id_or_member_epoch, since(1)),
                          field(&R::member_id, since(1)),
                          field(&R::group_instance_id, since(7), since(7)),
                          field(&R::retention_time_ms, between(2, 4)),
                          field(&R::topics)};
    }
    friend bool operator==(const OffsetCommitRequest&, const OffsetCommitRequest&) = default;
};

}  // namespace kafka::protocol
