// OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, used to detect log
// truncation after a leader change (KIP-101/KIP-320).
// Layout: apache/kafka common/message/OffsetForLeaderEpoch{Request,Response}.json; versions 0-4.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct OffsetForLeaderEpochResponse {
    static constexpr std::int16_t api_key = 23;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(4);

    struct EpochEndOffset {
        std::int16_t error_code = 0;
        std::int32_t partition = 0;
        std::int32_t leader_epoch = -1;  // the largest epoch not above the requested one
        std::int64_t end_offset = -1;
        static constexpr auto fields() {
            using P = EpochEndOffset;
            return field_list{field(&P::error_code), field(&P::partition), field(&P::leader_epoch, since(1)),
                              field(&P::end_offset)};
        }
        friend bool operator==(const EpochEndOffset&, const EpochEndOffset&) = default;
    };
    struct OffsetForLeaderTopicResult {
        std::string topic;
        std::vector<EpochEndOffset> partitions;
        static constexpr auto fields() {
            return field_list{field(&OffsetForLeaderTopicResult::topic),
                              field(&OffsetForLeaderTopicResult::partitions)};
        }
        friend bool operator==(const OffsetForLeaderTopicResult&, const OffsetForLeaderTopicResult&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<OffsetForLeaderTopicResult> topics;

    static constexpr auto fields() {
        using R = OffsetForLeaderEpochResponse;
        return field_list{field(&R::throttle_time_ms, since(2)), field(&R::topics)};
    }
    friend bool operator==(const OffsetForLeaderEpochResponse&, const OffsetForLeaderEpochResponse&) = default;
};

struct OffsetForLeaderEpochRequest {
    static constexpr std::int16_t api_key = 23;
    static constexpr versions valid{0, 4};
    static constexpr versions flexible = since(4);
    using response_type = OffsetForLeaderEpochResponse;

    struct OffsetForLeaderPartition {
        std::int32_t partition = 0;
        std::int32_t current_leader_epoch = -1;  // fencing: the leader epoch the client believes current
        std::int32_t leader_epoch = 0;           // the epoch whose end offset is wanted
        static constexpr auto fields() {
            using P = OffsetForLeaderPartition;
            return field_list{field(&P::partition), field(&P::current_leader_epoch, since(2)), field(&P::leader_epoch)};
        }
        friend bool operator==(const OffsetForLeaderPartition&, const OffsetForLeaderPartition&) = default;
    };
    struct OffsetForLeaderTopic {
        std::string topic;
        std::vector<OffsetForLeaderPartition> partitions;
        static constexpr auto fields() {
            return field_list{field(&OffsetForLeaderTopic::topic), field(&OffsetForLeaderTopic::partitions)};
        }
        friend bool operator==(const OffsetForLeaderTopic&, const OffsetForLeaderTopic&) = default;
    };

    // -1 for consumers; the default -2 is a debug consumer allowed past the high watermark.
    std::int32_t replica_id = -2;
    std::vector<OffsetForLeaderTopic> topics;

    static constexpr auto fields() {
        using R = OffsetForLeaderEpochRequest;
        return field_list{field(&R::replica_id, since(3)), field(&R::topics)};
    }
    friend bool operator==(const OffsetForLeaderEpochRequest&, const OffsetForLeaderEpochRequest&) = default;
};

}  // namespace kafka::protocol
