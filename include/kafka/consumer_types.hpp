// The small value types of KafkaConsumer's API, apart from the class so that the facade
// (consumer.hpp) and the engine behind it (detail/consumer_engine.hpp) share them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>

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
};

}  // namespace kafka
