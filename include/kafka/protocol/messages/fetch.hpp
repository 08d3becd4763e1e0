// Fetch (key 1): read record batches from partition leaders (or followers), optionally
// inside an incremental fetch session.
// Layout: apache/kafka common/message/Fetch{Request,Response}.json; versions 0-18.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct FetchResponse {
    static constexpr std::int16_t api_key = 1;
    static constexpr versions valid{0, 18};
    static constexpr versions flexible = since(12);

    // Where a follower's log diverges from the leader's (sent instead of data).
    struct EpochEndOffset {
        std::int32_t epoch = -1;
        std::int64_t end_offset = -1;
        static constexpr auto fields() {
            return field_list{field(&EpochEndOffset::epoch), field(&EpochEndOffset::end_offset)};
        }
        friend bool operator==(const EpochEndOffset&, const EpochEndOffset&) = default;
    };
    struct LeaderIdAndEpoch {
        std::int32_t leader_id = -1;
        std::int32_t leader_epoch = -1;
        static constexpr auto fields() {
            return field_list{field(&LeaderIdAndEpoch::leader_id), field(&LeaderIdAndEpoch::leader_epoch)};
        }
        friend bool operator==(const LeaderIdAndEpoch&, const LeaderIdAndEpoch&) = default;
    };
    // The snapshot to fetch (FetchSnapshot) when the requested offset precedes the log start.
    struct SnapshotId {
        std::int64_t end_offset = -1;
        std::int32_t epoch = -1;
        static constexpr auto fields() { return field_list{field(&SnapshotId::end_offset), field(&SnapshotId::epoch)}; }
        friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
    };
    struct AbortedTransaction {
        std::int64_t producer_id = 0;
        std::int64_t first_offset = 0;
        static constexpr auto fields() {
            return field_list{field(&AbortedTransaction::producer_id), field(&AbortedTransaction::first_offset)};
        }
        friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
    };
    struct PartitionData {
        std::int32_t partition_index = 0;
        std::int16_t error_code = 0;
        std::int64_t high_watermark = 0;
        std::int64_t last_stable_offset = -1;
        std::int64_t log_start_offset = -1;
        EpochEndOffset diverging_epoch;
        LeaderIdAndEpoch current_leader;  // the new leader, when this broker no longer leads
        SnapshotId snapshot_id;
        // Transactions aborted within the returned data (read_committed consumers skip them).
        std::optional<std::vector<AbortedTransaction>> aborted_transactions = std::vector<AbortedTransaction>{};
        std::int32_t preferred_read_replica = -1;  // KIP-392: fetch from this replica next time
        record_set records;                        // view into the response buffer; null reads as empty
        static constexpr auto fields() {
            using P = PartitionData;
            return field_list{field(&P::partition_index),
                              field(&P::error_code),
                              field(&P::high_watermark),
                              field(&P::last_stable_offset, since(4)),
                              field(&P::log_start_offset, since(5)),
                              tagged(&P::diverging_epoch, 0, since(12)),
                              tagged(&P::current_leader, 1, since(12)),
                              tagged(&P::snapshot_id, 2, since(12)),
                              field(&P::aborted_transactions, since(4), since(4)),
                              field(&P::preferred_read_replica, since(11)),
                              field(&P::records, all_versions, all_versions)};
        }
        friend bool operator==(const PartitionData&, const PartitionData&) = default;
    };
    struct FetchableTopicResponse {
        std::string topic;  // names up to v12, ids from v13
        kafka::uuid topic_id;
        std::vector<PartitionData> partitions;
        static constexpr auto fields() {
            using T = FetchableTopicResponse;
            return field_list{field(&T::topic, between(0, 12)), field(&T::topic_id, since(13)), field(&T::partitions)};
        }
        friend bool operator==(const FetchableTopicResponse&, const FetchableTopicResponse&) = default;
    };
    // Address of a leader named in current_leader, so the client need not refresh metadata (KIP-951).
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
    std::int32_t session_id = 0;  // 0: not part of a fetch session
    std::vector<FetchableTopicResponse> responses;
    std::vector<NodeEndpoint> node_endpoints;

    static constexpr auto fields() {
        using R = FetchResponse;
        return field_list{field(&R::throttle_time_ms, since(1)), field(&R::error_code, since(7)),
                          field(&R::session_id, since(7)), field(&R::responses),
                          tagged(&R::node_endpoints, 0, since(16))};
    }
    friend bool operator==(const FetchResponse&, const FetchResponse&) = default;
};

struct FetchRequest {
    static constexpr std::int16_t api_key = 1;
    static constexpr versions valid{0, 18};
    static constexpr versions flexible = since(12);
    using response_type = FetchResponse;

    // Follower identity from v15 on (replaces the top-level replica_id).
    struct ReplicaState {
        std::int32_t replica_id = -1;
        std::int64_t replica_epoch = -1;
        static constexpr auto fields() {
            return field_list{field(&ReplicaState::replica_id), field(&ReplicaState::replica_epoch)};
        }
        friend bool operator==(const ReplicaState&, const ReplicaState&) = default;
    };
    struct FetchPartition {
        std::int32_t partition = 0;
        std::int32_t current_leader_epoch = -1;  // fencing: the leader epoch the client believes current
        std::int64_t fetch_offset = 0;
        std::int32_t last_fetched_epoch = -1;  // lets the leader detect divergence (diverging_epoch)
        std::int64_t log_start_offset = -1;    // followers only
        std::int32_t partition_max_bytes = 0;
        kafka::uuid replica_directory_id;  // followers only
        // Followers only (KIP-1166); max int64 means "not supported", -1 "unknown".
        std::int64_t high_watermark = std::numeric_limits<std::int64_t>::max();
        static constexpr auto fields() {
            using P = FetchPartition;
            return field_list{field(&P::partition),
                              field(&P::current_leader_epoch, since(9)),
                              field(&P::fetch_offset),
                              field(&P::last_fetched_epoch, since(12)),
                              field(&P::log_start_offset, since(5)),
                              field(&P::partition_max_bytes),
                              tagged(&P::replica_directory_id, 0, since(17)),
                              tagged(&P::high_watermark, 1, since(18))};
        }
        friend bool operator==(const FetchPartition&, const FetchPartition&) = default;
    };
    struct FetchTopic {
        std::string topic;  // names up to v12, ids from v13
        kafka::uuid topic_id;
        std::vector<FetchPartition> partitions;
        static constexpr auto fields() {
            using T = FetchTopic;
            return field_list{field(&T::topic, between(0, 12)), field(&T::topic_id, since(13)), field(&T::partitions)};
        }
        friend bool operator==(const FetchTopic&, const FetchTopic&) = default;
    };
    // Partitions to drop from an incremental fetch session.
    struct ForgottenTopic {
        std::string topic;
        kafka::uuid topic_id;
        std::vector<std::int32_t> partitions;
        static constexpr auto fields() {
            using T = ForgottenTopic;
            return field_list{field(&T::topic, between(7, 12)), field(&T::topic_id, since(13)),
                              field(&T::partitions, since(7))};
        }
        friend bool operator==(const ForgottenTopic&, const ForgottenTopic&) = default;
    };

    std::optional<std::string> cluster_id;
    std::int32_t replica_id = -1;  // -1 for consumers
    ReplicaState replica_state;
    std::int32_t max_wait_ms = 0;
    std::int32_t min_bytes = 0;
    std::int32_t max_bytes = 0x7fffffff;
    std::int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed
    std::int32_t session_id = 0;
    std::int32_t session_epoch = -1;  // -1 with session_id 0: no session; 0 creates one
    std::vector<FetchTopic> topics;
    std::vector<ForgottenTopic> forgotten_topics_data;
    std::string rack_id;  // KIP-392: lets the broker pick a nearby replica

    static constexpr auto fields() {
        using R = FetchRequest;
        return field_list{tagged(&R::cluster_id, 0, since(12), since(12)),
                          field(&R::replica_id, between(0, 14)),
                          tagged(&R::replica_state, 1, since(15)),
                          field(&R::max_wait_ms),
                          field(&R::min_bytes),
                          field(&R::max_bytes, since(3)),
                          field(&R::isolation_level, since(4)),
                          field(&R::session_id, since(7)),
                          field(&R::session_epoch, since(7)),
                          field(&R::topics),
                          field(&R::forgotten_topics_data, since(7)),
                          field(&R::rack_id, since(11))};
    }
    friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};

}  // namespace kafka::protocol
