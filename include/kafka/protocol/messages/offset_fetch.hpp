// OffsetFetch (key 9): read a consumer group's committed offsets from its coordinator
// (one group up to v7, several groups from v8).
// Layout: apache/kafka common/message/OffsetFetch{Request,Response}.json; versions 0-10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct OffsetFetchResponse {
    static constexpr std::int16_t api_key = 9;
    static constexpr versions valid{0, 10};
    static constexpr versions flexible = since(6);

    // v0-7 (single group) layout.
    struct OffsetFetchResponsePartition {
        std::int32_t partition_index = 0;
        std::int64_t committed_offset = 0;  // -1: nothing committed
        std::int32_t committed_leader_epoch = -1;
        std::optional<std::string> metadata = std::string{};
        std::int16_t error_code = 0;
        static constexpr auto fields() {
            using P = OffsetFetchResponsePartition;
            return field_list{field(&P::partition_index, between(0, 7)), field(&P::committed_offset, between(0, 7)),
                              field(&P::committed_leader_epoch, between(5, 7)),
                              field(&P::metadata, between(0, 7), between(0, 7)), field(&P::error_code, between(0, 7))};
        }
        friend bool operator==(const OffsetFetchResponsePartition&, const OffsetFetchResponsePartition&) = default;
    };
    struct OffsetFetchResponseTopic {
        std::string name;
        std::vector<OffsetFetchResponsePartition> partitions;
        static constexpr auto fields() {
            using T = OffsetFetchResponseTopic;
            return field_list{field(&T::name, between(0, 7)), field(&T::partitions, between(0, 7))};
        }
        friend bool operator==(const OffsetFetchResponseTopic&, const OffsetFetchResponseTopic&) = default;
    };
    // v8+ (per group) layout.
    struct OffsetFetchResponsePartitions {
        std::int32_t partition_index = 0;
        std::int64_t committed_offset = 0;
        std::int32_t committed_leader_epoch = -1;
        std::optional<std::string> metadata = std::string{};
        std::int16_t error_code = 0;
        static constexpr auto fields() {
            using P = OffsetFetchResponsePartitions;
            return field_list{field(&P::partition_index, since(8)), field(&P::committed_offset, since(8)),
                              field(&P::committed_leader_epoch, since(8)), field(&P::metadata, since(8), since(8)),
                              field(&P::error_code, since(8))};
        }
        friend bool operator==(const OffsetFetchResponsePartitions&, const OffsetFetchResponsePartitions&) = default;
    };
    struct OffsetFetchResponseTopics {
        std::string name;  // names in v8-9, ids from v10
        kafka::uuid topic_id;
        std::vector<OffsetFetchResponsePartitions> partitions;
        static constexpr auto fields() {
            using T = OffsetFetchResponseTopics;
            return field_list{field(&T::name, between(8, 9)), field(&T::topic_id, since(10)),
                              field(&T::partitions, since(8))};
        }
        friend bool operator==(const OffsetFetchResponseTopics&, const OffsetFetchResponseTopics&) = default;
    };
    struct OffsetFetchResponseGroup {
        std::string group_id;
        std::vector<OffsetFetchResponseTopics> topics;
        std::int16_t error_code = 0;
        static constexpr auto fields() {
            using G = OffsetFetchResponseGroup;
            return field_list{field(&G::group_id, since(8)), field(&G::topics, since(8)),
                              field(&G::error_code, since(8))};
        }
        friend bool operator==(const OffsetFetchResponseGroup&, const OffsetFetchResponseGroup&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<OffsetFetchResponseTopic> topics;
    std::int16_t error_code = 0;  // v2-7 group-level error; v8+ carries it per group
    std::vector<OffsetFetchResponseGroup> groups;

    static constexpr auto fields() {
        using R = OffsetFetchResponse;
        return field_list{field(&R::throttle_time_ms, since(3)), field(&R::topics, between(0, 7)),
                          field(&R::error_code, between(2, 7)), field(&R::groups, since(8))};
    }
    friend bool operator==(const OffsetFetchResponse&, const OffsetFetchResponse&) = default;
};

struct OffsetFetchRequest {
    static constexpr std::int16_t api_key = 9;
    static constexpr versions valid{0, 10};
    static constexpr versions flexible = since(6);
    using response_type = OffsetFetchResponse;

    // v0-7 (single group) layout.
    struct OffsetFetchRequestTopic {
        std::string name;
        std::vector<std::int32_t> partition_indexes;
        static constexpr auto fields() {
            using T = OffsetFetchRequestTopic;
            return field_list{field(&T::name, between(0, 7)), field(&T::partition_indexes, between(0, 7))};
        }
        friend bool operator==(const OffsetFetchRequestTopic&, const OffsetFetchRequestTopic&) = default;
    };
    // v8+ (per group) layout.
    struct OffsetFetchRequestTopics {
        std::string name;  // names in v8-9, ids from v10
        kafka::uuid topic_id;
        std::vector<std::int32_t> partition_indexes;
        static constexpr auto fields() {
            using T = OffsetFetchRequestTopics;
            return field_list{field(&T::name, between(8, 9)), field(&T::topic_id, since(10)),
                              field(&T::partition_indexes, since(8))};
        }
        friend bool operator==(const OffsetFetchRequestTopics&, const OffsetFetchRequestTopics&) = default;
    };
    struct OffsetFetchRequestGroup {
        std::string group_id;
        std::optional<std::string> member_id;  // KIP-848 consumer protocol only
        std::int32_t member_epoch = -1;
        // Null: every partition the group has committed.
        std::optional<std::vector<OffsetFetchRequestTopics>> topics = std::vector<OffsetFetchRequestTopics>{};
        static constexpr auto fields() {
            using G = OffsetFetchRequestGroup;
            return field_list{field(&G::group_id, since(8)), field(&G::member_id, since(9), since(9)),
                              field(&G::member_epoch, since(9)), field(&G::topics, since(8), since(8))};
        }
        friend bool operator==(const OffsetFetchRequestGroup&, const OffsetFetchRequestGroup&) = default;
    };

    std::string group_id;
    // Null (v2-7): every partition the group has committed.
    std::optional<std::vector<OffsetFetchRequestTopic>> topics = std::vector<OffsetFetchRequestTopic>{};
    std::vector<OffsetFetchRequestGroup> groups;
    bool require_stable = false;  // wait out pending transactional commits (error instead of a stale offset)

    static constexpr auto fields() {
        using R = OffsetFetchRequest;
        return field_list{field(&R::group_id, between(0, 7)), field(&R::topics, between(0, 7), between(2, 7)),
                          field(&R::groups, since(8)), field(&R::require_stable, since(7))};
    }
    friend bool operator==(const OffsetFetchRequest&, const OffsetFetchRequest&) = default;
};

}  // namespace kafka::protocol
