// The small value types of KafkaConsumer's API, apart from the class so that the facade
// (consumer.hpp) and the engine behind it (detail/consumer_engine.hpp) share them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <kafka/metrics.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

/// A regex subscription (to tell it apart from a topic list).
struct topic_pattern {
    explicit topic_pattern(std::string r) : regex(std::move(r)) {}
    std::string regex;
};

/// A regex subscription the broker evaluates (Java's SubscriptionPattern; RE2/J syntax): KIP-848's
/// SubscribedTopicRegex, so group.protocol=consumer and a broker serving ConsumerGroupHeartbeat v1
/// (Kafka 4.0+) only. Topics created later are picked up by the broker.
struct subscription_pattern {
    explicit subscription_pattern(std::string r) : regex(std::move(r)) {}
    std::string regex;
};

/// An offset found by offsetsForTimes.
struct offset_and_timestamp {
    std::int64_t offset = -1;
    std::int64_t timestamp = -1;
    std::optional<std::int32_t> leader_epoch;
    friend bool operator==(const offset_and_timestamp&, const offset_and_timestamp&) = default;
};

enum class log_level { debug, info, warn, error };

/// A broker as metadata describes it (Java's Node). A replica whose broker metadata does not list
/// (it is down) has an empty host and port -1.
struct node_info {
    std::int32_t id = -1;
    std::string host;
    std::int32_t port = -1;
    std::optional<std::string> rack;
    friend bool operator==(const node_info&, const node_info&) = default;
};

/// Where a partition lives (Java's PartitionInfo), as partitionsFor() and listTopics() return it.
struct partition_info {
    std::string topic;
    std::int32_t partition = 0;
    std::optional<node_info> leader;  // none while the partition has no leader
    std::vector<node_info> replicas;
    std::vector<node_info> in_sync_replicas;
    std::vector<node_info> offline_replicas;
    kafka::topic_partition topic_partition() const { return {topic, partition}; }
};

/// The member's view of its group (Java's ConsumerGroupMetadata), e.g. for a transactional
/// producer's sendOffsetsToTransaction. Generation -1 and an empty member id outside a round.
struct consumer_group_metadata {
    std::string group_id;
    std::int32_t generation_id = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    friend bool operator==(const consumer_group_metadata&, const consumer_group_metadata&) = default;
};

/// What close(close_options) does about the group (KIP-1092's GroupMembershipOperation).
enum class group_membership_operation {
    default_operation,  // dynamic members leave the group, static members (group.instance.id) stay
    leave_group,        // leave, static members too: their partitions are reassigned at once
    remain_in_group,    // do not leave: partitions stay with this member until its session times out
};

/// close(close_options) (KIP-1092's CloseOptions): what to do about the group, and a bound on
/// everything close does (the commit and the LeaveGroup included); 30 s when not given, as Java.
struct close_options {
    std::optional<std::chrono::milliseconds> timeout;
    group_membership_operation operation = group_membership_operation::default_operation;
};

/// The outcome of a commit: the offsets, and an empty error_code on success.
using commit_callback = std::function<void(const std::map<topic_partition, offset_and_metadata>&, std::error_code)>;

/// One assigned partition's position and lag.
struct partition_lag {
    std::int64_t position = -1;
    std::int64_t high_watermark = -1;
    std::int64_t lag = -1;  // high watermark (or last stable offset under read_committed) - position
};

/// What KafkaConsumer::metrics() reports.
struct consumer_metrics {
    std::uint64_t records_consumed = 0;
    std::uint64_t bytes_fetched = 0;
    std::uint64_t fetch_requests = 0;
    std::uint64_t fetch_responses = 0;
    std::uint64_t polls = 0;
    double records_per_second = 0;  // since construction
    std::map<topic_partition, partition_lag> lag;
    /// Every metric with Java's name, group, tags and meaning (consumer-fetch-manager-metrics,
    /// consumer-coordinator-metrics, consumer-metrics, consumer-node-metrics); rates and windowed
    /// averages over metrics.num.samples windows of metrics.sample.window.ms. find_metric() looks
    /// one up; to_prometheus() writes them all in Prometheus' text format.
    std::vector<metric> all;
};

}  // namespace kafka
