// Metadata (key 3): the live brokers, the controller and, per topic, the partition
// leaders and replica sets a client routes its requests by.
// Layout: apache/kafka common/message/Metadata{Request,Response}.json.
#pragma once

#include <limits>

#include <kafka/protocol/describe.hpp>

namespace kafka::protocol {

struct MetadataResponse {
    static constexpr std::int16_t api_key = 3;
    static constexpr versions valid{0, 13};
    static constexpr versions flexible = since(9);

    struct MetadataResponseBroker {
        std::int32_t node_id = 0;
        std::string host;
        std::int32_t port = 0;
        std::optional<std::string> rack;  // null: the broker has no rack assigned
        static constexpr auto fields() {
            using S = MetadataResponseBroker;
            return field_list{field(&S::node_id), field(&S::host), field(&S::port),
                              field(&S::rack, since(1), since(1))};
        }
        friend bool operator==(const MetadataResponseBroker&, const MetadataResponseBroker&) = default;
    };
    struct MetadataResponsePartition {
        std::int16_t error_code = 0;
        std::int32_t partition_index = 0;
        std::int32_t leader_id = 0;
        std::int32_t leader_epoch = -1;
        std::vector<std::int32_t> replica_nodes;
        std::vector<std::int32_t> isr_nodes;
        std::vector<std::int32_t> offline_replicas;
        static constexpr auto fields() {
            using S = MetadataResponsePartition;
            return field_list{field(&S::error_code),
                              field(&S::partition_index),
                              field(&S::leader_id),
                              field(&S::leader_epoch, since(7)),
                              field(&S::replica_nodes),
                              field(&S::isr_nodes),
                              field(&S::offline_replicas, since(5))};
        }
        friend bool operator==(const MetadataResponsePartition&, const MetadataResponsePartition&) = default;
    };
    struct MetadataResponseTopic {
        std::int16_t error_code = 0;
        // Null (v12+) only for a topic asked for by an id the broker does not know.
        // Defaults to "" (not null): null cannot be written before v12.
        std::optional<std::string> name = std::string{};
        kafka::uuid topic_id;  // zero for a topic asked for by an unknown name
        bool is_internal = false;
        std::vector<MetadataResponsePartition> partitions;
        // Bitfield of the ACL operations the caller may perform, when it was asked for.
        std::int32_t topic_authorized_operations = std::numeric_limits<std::int32_t>::min();
        static constexpr auto fields() {
            using S = MetadataResponseTopic;
            return field_list{field(&S::error_code),          field(&S::name, all_versions, since(12)),
                              field(&S::topic_id, since(10)), field(&S::is_internal, since(1)),
                              field(&S::partitions),          field(&S::topic_authorized_operations, since(8))};
        }
        friend bool operator==(const MetadataResponseTopic&, const MetadataResponseTopic&) = default;
    };

    std::int32_t throttle_time_ms = 0;
    std::vector<MetadataResponseBroker> brokers;
    std::optional<std::string> cluster_id;
    std::int32_t controller_id = -1;
    std::vector<MetadataResponseTopic> topics;
    // Only up to v10; later the DescribeCluster API reports it.
    std::int32_t cluster_authorized_operations = std::numeric_limits<std::int32_t>::min();
    // Top-level error (v13+), e.g. REBOOTSTRAP_REQUIRED.
    std::int16_t error_code = 0;

    static constexpr auto fields() {
        using R = MetadataResponse;
        return field_list{field(&R::throttle_time_ms, since(3)),
                          field(&R::brokers),
                          field(&R::cluster_id, since(2), since(2)),
                          field(&R::controller_id, since(1)),
                          field(&R::topics),
                          field(&R::cluster_authorized_operations, between(8, 10)),
                          field(&R::error_code, since(13))};
    }
    friend bool operator==(const MetadataResponse&, const MetadataResponse&) = default;
};

struct MetadataRequest {
    static constexpr std::int16_t api_key = 3;
    static constexpr versions valid{0, 13};
    static constexpr versions flexible = since(9);
    using response_type = MetadataResponse;

    struct MetadataRequestTopic {
        kafka::uuid topic_id;  // v10+: ask by id (then the name is null)
        // Defaults to "" (not null): null cannot be written before v10.
        std::optional<std::string> name = std::string{};
        static constexpr auto fields() {
            using S = MetadataRequestTopic;
            return field_list{field(&S::topic_id, since(10)), field(&S::name, all_versions, since(10))};
        }
        friend bool operator==(const MetadataRequestTopic&, const MetadataRequestTopic&) = default;
    };

    // v0: empty means every topic. v1+: null means every topic, empty means none.
    // Defaults to empty (not null): null cannot be written in v0.
    std::optional<std::vector<MetadataRequestTopic>> topics = std::vector<MetadataRequestTopic>{};
    bool allow_auto_topic_creation = true;
    bool include_cluster_authorized_operations = false;
    bool include_topic_authorized_operations = false;

    static constexpr auto fields() {
        using R = MetadataRequest;
        return field_list{field(&R::topics, all_versions, since(1)), field(&R::allow_auto_topic_creation, since(4)),
                          field(&R::include_cluster_authorized_operations, between(8, 10)),
                          field(&R::include_topic_authorized_operations, since(8))};
    }
    friend bool operator==(const MetadataRequest&, const MetadataRequest&) = default;
};

}  // namespace kafka::protocol
