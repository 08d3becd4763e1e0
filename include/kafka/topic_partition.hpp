// topic_partition and topic_partition_offset: the keys of almost everything the consumer tracks.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace kafka {

struct topic_partition {
    std::string topic;
    std::int32_t partition = 0;

    friend bool operator==(const topic_partition&, const topic_partition&) = default;
    friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
    std::string to_string() const { return topic + "-" + std::to_string(partition); }
    friend std::ostream& operator<<(std::ostream& os, const topic_partition& tp) { return os << tp.to_string(); }
};

/// An offset to commit or that was committed, with its metadata string and leader epoch.
struct offset_and_metadata {
    std::int64_t offset = -1;
    std::string metadata;
    std::optional<std::int32_t> leader_epoch;
    friend bool operator==(const offset_and_metadata&, const offset_and_metadata&) = default;
};

}  // namespace kafka

template <>
struct std::hash<kafka::topic_partition> {
    std::size_t operator()(const kafka::topic_partition& tp) const noexcept {
        return std::hash<std::string>{}(tp.topic) * 31 + static_cast<std::size_t>(tp.partition);
    }
};
