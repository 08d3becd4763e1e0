// ShareFetch (key 78): KIP-932 share groups' fetch, sent to partition leaders inside a share
// session; it acknowledges records delivered earlier and acquires (locks) new ones for the member.
// Layout: apache/kafka common/message/ShareFetch{Request,Response}.json (4.3.1)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct ShareFetchResponse {
    static constexpr std::int16_t api_key = 78;
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
    // Offsets [first_offset, last_offset] now locked for this member, delivered delivery_count times.
    struct AcquiredRecords {
        std::int64_t first_offset = 0;
        std::int64_t last_offset = 0;
        std::int16_t delivery_count = 0;
        static constexpr auto fields() {
            using A = AcquiredRecords;
            return field_list{field(&A::first_offset), field(&A::last_offset), field(&A::delivery_count)};
        }
        friend bool operator==(const AcquiredRecords&, const AcquiredRecords&) = default;
    };
    struct PartitionData {
        std::int32_t partition_index = 0;
        std::int16_t error_code = 0;  // the fetch's
        std::optional<std::string> error_message;
        std::int16_t acknowledge_error_code = 0;  // the acknowledgements'
        std::optional<std::string> acknowledge_error_message;
        LeaderIdAndEpoch current_leader;
        record_set records;  // view into the response buffer; nullable only at v0
        std::vector<AcquiredRecords> acquired_records;
        static constexpr auto fields() {
            using P = PartitionData;
            return field_list{field(&P::partition_index),
                              field(&P::error_code),
                              field(&P::error_message, all_versions, all_versions),
                              field(&P::acknowledge_error_code),
                              field(&P::acknowledge_error_message, all_versions, all_versions),
                              field(&P::current_leader),
                              field(&P::records, all_versions, between(0, 0)),
                              field(&P::acquired_records)};
        }
        friend bool operator==(const PartitionData&, const PartitionData&) = default;
    };
    struct ShareFetchableTopicResponse {
        kafka::uuid topic_id;
        std::vector<PartitionData> partitions;
        static constexpr auto fields() {
            using T = ShareFetchableTopicResponse;
            return field_list{field(&T::topic_id), field(&T::partitions)};
        }
        friend bool operator==(const ShareFetchableTopicResponse&, const ShareFetchableTopicResponse&) = default;
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
    std::int32_t acquisition_lock_timeout_ms = 0;  // how long acquired records stay locked
    std::vector<ShareFetchableTopicResponse> responses;
    std::vector<NodeEndpoint> node_endpoints;

    static constexpr auto fields() {
        using R = ShareFetchResponse;
        return field_list{field(&R::throttle_time_ms),
                          field(&R::error_code),
                          field(&R::error_message, all_versions, all_versions),
                          field(&R::acquisition_lock_timeout_ms, since(1)),
                          field(&R::responses),
                          field(&R::node_endpoints)};
    }
    friend bool operator==(const ShareFetchResponse&, const ShareFetchResponse&) = default;
};

struct ShareFetchRequest {
    static constexpr std::int16_t api_key = 78;
    static constexpr versions valid{1, 2};
    static constexpr versions flexible = since(0);
    using response_type = ShareFetchResponse;

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
    struct FetchPartition {
        std::int32_t partition_index = 0;
        std::int32_t partition_max_bytes = 0;  // v0 only: never sent at the valid versions
        std::vector<AcknowledgementBatch> acknowledgement_batches;
        static constexpr auto fields() {
            using P = FetchPartition;
            return field_list{field(&P::partition_index), field(&P::partition_max_bytes, between(0, 0)),
                              field(&P::acknowledgement_batches)};
        }
        friend bool operator==(const FetchPartition&, const FetchPartition&) = default;
    };
    struct FetchTopic {
        kafka::uuid topic_id;
        std::vector<FetchPartition> partitions;
        static constexpr auto fields() {
            return field_list{field(&FetchTopic::topic_id), field(&FetchTopic::partitions)};
        }
        friend bool operator==(const FetchTopic&, const FetchTopic&) = default;
    };
    // Partitions to drop from the share session.
    struct ForgottenTopic {
        kafka::uuid topic_id;
        std::vector<std::int32_t> partitions;
        static constexpr auto fields() {
            return field_list{field(&ForgottenTopic::topic_id), field(&ForgottenTopic::partitions)};
        }
        friend bool operator==(const ForgottenTopic&, const ForgottenTopic&) = default;
    };

    std::optional<std::string> group_id;
    std::optional<std::string> member_id;
    // 0 opens a share session, -1 closes it, otherwise the session's next epoch.
    std::int32_t share_session_epoch = 0;
    std::int32_t max_wait_ms = 0;
    std::int32_t min_bytes = 0;
    std::int32_t max_bytes = 0x7fffffff;
    std::int32_t max_records = 0;        // v1+; may be exceeded to keep batches whole
    std::int32_t batch_size = 0;         // v1+
    std::int8_t share_acquire_mode = 0;  // v2+: 0 batch-optimized, 1 record-limit
    bool is_renew_ack = false;           // v2+: acknowledgement_batches hold renew (4) types
    std::vector<FetchTopic> topics;
    std::vector<ForgottenTopic> forgotten_topics_data;

    static constexpr auto fields() {
        using R = ShareFetchRequest;
        return field_list{field(&R::group_id, all_versions, all_versions),
                          field(&R::member_id, all_versions, all_versions),
                          field(&R::share_session_epoch),
                          field(&R::max_wait_ms),
                          field(&R::min_bytes),
                          field(&R::max_bytes),
                          field(&R::max_records, since(1)),
                          field(&R::batch_size, since(1)),
                          field(&R::share_acquire_mode, since(2)),
                          field(&R::is_renew_ack, since(2)),
                          field(&R::topics),
                          field(&R::forgotten_topics_data)};
    }
    friend bool operator==(const ShareFetchRequest&, const ShareFetchRequest&) = default;
};

}  // namespace kafka::protocol
