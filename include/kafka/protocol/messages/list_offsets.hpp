// ListOffsets (key 2): look up a partition offset by timestamp, or the earliest/latest
// offset through the special timestamps (-2 earliest, -1 latest, -3 max timestamp, ...).
// Layout: apache/kafka common/message/ListOffsets{Request,Response}.json; versions 0-11.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct ListOffsetsResponse {
    static constexpr std::int16_t api_key = 2;
    static constexpr versions valid{0, 11};
    static constexpr versions flexible = since(6);

    struct ListOffsetsPartitionResponse {
        std::int32_t partition_index = 0;
        std::int16_t error_code = 0;
        std::vector<std::int64_t> old_style_offsets;  // v0 only: a list instead of one offset
        std::int64_t timestamp = -1;
        std::int64_t offset = -1;
        std::int32_t leader_epoch = -1;
        static constexpr auto fields() {
            using P = ListOffsetsPartitionResponse;
            return field_list{field(&P::partition_index),
                              field(&P::error_code),
                              field(&P::old_style_offsets, between(0, 0)),
                              field(&P::timestamp, since(1)),
                              field(&P::offset, since(1)),
                              field(&P::leader_epoch, since(4))};
        }
        friend bool operator==(const ListOffsetsPartitionResponse&, const ListOffsetsPartitionResponse&) = default;
    };
    struct ListOffsetsTopicResponse {
        std::string name;
        std::vector<ListOffsetsPartitionResponse> partitions;
        static constexpr auto fields() {
            return field_list{field(&ListOffsetsTopicResponse::name), field(&ListOffsetsTopicResponse::partitions)};
        }
        friend bool operator==(const ListOffsetsTopicResponse&, const ListOffsetsTopicResponse&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<ListOffsetsTopicResponse> topics;

    static constexpr auto fields() {
        using R = ListOffsetsResponse;
        return field_list{field(&R::throttle_time_ms, since(2)), field(&R::topics)};
    }
    friend bool operator==(const ListOffsetsResponse&, const ListOffsetsResponse&) = default;
};

struct ListOffsetsRequest {
    static constexpr std::int16_t api_key = 2;
    static constexpr versions valid{0, 11};
    static constexpr versions flexible = since(6);
    using response_type = ListOffsetsResponse;

    struct ListOffsetsPartition {
        std::int32_t partition_index = 0;
        std::int32_t current_leader_epoch = -1;
        std::int64_t timestamp = 0;        // a time in ms, or one of the negative special values
        std::int32_t max_num_offsets = 1;  // v0 only
        static constexpr auto fields() {
            using P = ListOffsetsPartition;
            return field_list{field(&P::partition_index), field(&P::current_leader_epoch, since(4)),
                              field(&P::timestamp), field(&P::max_num_offsets, between(0, 0))};
        }
        friend bool operator==(const ListOffsetsPartition&, const ListOffsetsPartition&) = default;
    };
    struct ListOffsetsTopic {
        std::string name;
        std::vector<ListOffsetsPartition> partitions;
        static constexpr auto fields() {
            return field_list{field(&ListOffsetsTopic::name), field(&ListOffsetsTopic::partitions)};
        }
        friend bool operator==(const ListOffsetsTopic&, const ListOffsetsTopic&) = default;
    };

    std::int32_t replica_id = 0;      // consumers send -1
    std::int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed (caps "latest" at the LSO)
    std::vector<ListOffsetsTopic> topics;
    std::int32_t timeout_ms = 0;  // for lookups served from tiered storage

    static constexpr auto fields() {
        using R = ListOffsetsRequest;
        return field_list{field(&R::replica_id), field(&R::isolation_level, since(2)), field(&R::topics),
                          field(&R::timeout_ms, since(10))};
    }
    friend bool operator==(const ListOffsetsRequest&, const ListOffsetsRequest&) = default;
};

}  // namespace kafka::protocol
