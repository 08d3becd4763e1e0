// ShareAcknowledge (key 79): KIP-932 share groups' acknowledgement of delivered records
// (accept, release, reject, renew) inside a share session, without fetching more.
// Layout: apache/kafka common/message/ShareAcknowledge{Request,Response}.json (4.3.1)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct ShareAcknowledgeResponse {
    static constexpr std::int16_t api_key = 79;
    static constexpr versions valid{1, 2};
    static constexpr versions flexible = since(0);

    struct LeaderIdAndEpoch {
        std::int32_t leader_id = -1;
        std::int32_t leader_epoch = -1;
        static constexpr auto fields() {
            return field_list{field(&LeaderIdAndEpoch::leader_id), field(&LeaderIdAndEpoch::leader_epoch)};
        }
        friend bool operator==(const LeaderIdAndEpoch&, const LeaderIdAndEpoch&) = default;
    };
    struct PartitionData {
        std::int32_t partition_index = 0;
        std::int16_t error_code = 0;
        std::optional<std::string> error_message;
        LeaderIdAndEpoch current_leader;
        static constexpr auto fields() {
            using P = PartitionData;
            return field_list{field(&P::partition_index), field(&P::error_code),
                              field(&P::error_message, all_versions, all_versions), field(&P::current_leader)};
        }
        friend bool operator==(const PartitionData&, const PartitionData&) = default;
    };
    struct ShareAcknowledgeTopicResponse {
        kafka::uuid topic_id;
        std::vector<PartitionData> partitions;
        static constexpr auto fields() {
            using T = ShareAcknowledgeTopicResponse;
            return field_list{field(&T::topic_id), field(&T::partitions)};
        }
        friend bool operator==(const ShareAcknowledgeTopicResponse&, const ShareAcknowledgeTopicResponse&) = default;
    };
    // Address of a leader named in current_leader (partitions answered NOT_LEADER_OR_FOLLOWER).
    struct NodeEndpoint {
        std::int32_t node_id = 0;
        std::string host;
        std::int32_t port = 0;
        std::optional<std::string> rack;
        static constexpr auto fields() {
            using N = NodeEndpoint;
            return field_list{field(&N::node_id), field(&N::host), field(&N::port),
                              field(&N::rack, all_versions, all_versions)};
        }
        friend bool operator==(const NodeEndpoint&, const NodeEndpoint&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::int32_t acquisition_lock_timeout_ms = 0;  // v2+
    std::vector<ShareAcknowledgeTopicResponse> responses;
    std::vector<NodeEndpoint> node_endpoints;

    static constexpr auto fields() {
        using R = ShareAcknowledgeResponse;
        return field_list{field(&R::throttle_time_ms),
                          field(&R::error_code),
                          field(&R::error_message, all_versions, all_versions),
                          field(&R::acquisition_lock_timeout_ms, since(2)),
                          field(&R::responses),
                          field(&R::node_endpoints)};
    }
    friend bool operator==(const ShareAcknowledgeResponse&, const ShareAcknowledgeResponse&) = default;
};

struct ShareAcknowledgeRequest {
    static constexpr std::int16_t api_key = 79;
    static constexpr versions valid{1, 2};
    static constexpr versions flexible = since(0);
    using response_type = ShareAcknowledgeResponse;

    // Offsets [first_offset, last_offset] and their acknowledge types: one for the whole range or
    // one per offset; 0 gap, 1 accept, 2 release, 3 reject, 4 renew (v2+).
    struct AcknowledgementBatch {
        std::int64_t first_offset = 0;
        std::int64_t last_offset = 0;
        std::vector<std::int8_t> acknowledge_types;
        static constexpr auto fields() {
            using A = AcknowledgementBatch;
            return field_list{field(&A::first_offset), field(&A::last_offset), field(&A::acknowledge_types)};
        }
        friend bool operator==(const AcknowledgementBatch&, const AcknowledgementBatch&) = default;
    };
    struct AcknowledgePartition {
        std::int32_t partition_index = 0;
        std::vector<AcknowledgementBatch> acknowledgement_batches;
        static constexpr auto fields() {
            using P = AcknowledgePartition;
            return field_list{field(&P::partition_index), field(&P::acknowledgement_batches)};
        }
        friend bool operator==(const AcknowledgePartition&, const AcknowledgePartition&) = default;
    };
    struct AcknowledgeTopic {
        kafka::uuid topic_id;
        std::vector<AcknowledgePartition> partitions;
        static constexpr auto fields() {
            return field_list{field(&AcknowledgeTopic::topic_id), field(&AcknowledgeTopic::partitions)};
        }
        friend bool operator==(const AcknowledgeTopic&, const AcknowledgeTopic&) = default;
    };

    std::optional<std::string> group_id;
    std::optional<std::string> member_id;
    // 0 opens a share session, -1 closes it, otherwise the session's next epoch.
    std::int32_t share_session_epoch = 0;
    bool is_renew_ack = false;  // v2+: acknowledgement_batches hold renew (4) types
    std::vector<AcknowledgeTopic> topics;

    static constexpr auto fields() {
        using R = ShareAcknowledgeRequest;
        return field_list{field(&R::group_id, all_versions, all_versions),
                          field(&R::member_id, all_versions, all_versions), field(&R::share_session_epoch),
                          field(&R::is_renew_ack, since(2)), field(&R::topics)};
    }
    friend bool operator==(const ShareAcknowledgeRequest&, const ShareAcknowledgeRequest&) = default;
};

}  // namespace kafka::protocol
