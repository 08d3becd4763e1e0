// partitionsFor() and listTopics() answers (Java's PartitionInfo and Node) read from a Metadata
// response, and which of its errors end the lookup, as Java's TopicMetadataFetcher decides: an
// unknown topic is an empty answer, a retriable error (LEADER_NOT_AVAILABLE while a topic is being
// created, say) asks again, anything else (not authorized, an invalid name) is thrown.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <kafka/consumer_types.hpp>
#include <kafka/error.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/metadata.hpp>

namespace kafka::detail {

class cluster_info {
public:
    explicit cluster_info(const protocol::MetadataResponse& resp) : resp_(resp) {
        for (auto const& b : resp.brokers) brokers_[b.node_id] = node_info{b.node_id, b.host, b.port, b.rack};
    }

    /// The broker `id` as metadata lists it; one it does not list (down, or not a broker any more)
    /// has an empty host and port -1, as Java's Node for an unknown replica.
    node_info node(std::int32_t id) const {
        if (auto it = brokers_.find(id); it != brokers_.end()) return it->second;
        return node_info{id, "", -1, std::nullopt};
    }

    /// The partitions of `topic`: empty when it does not exist; nullopt when the answer is worth
    /// asking for again (a retriable error of the topic or of a partition's leader). Throws the
    /// topic's other errors.
    std::optional<std::vector<partition_info>> partitions(const std::string& topic) const {
        for (auto const& t : resp_.topics) {
            if (!t.name || *t.name != topic) continue;
            auto e = static_cast<errc>(t.error_code);
            if (e == errc::unknown_topic_or_partition) return std::vector<partition_info>{};
            if (e != errc::none) {
                if (is_retriable(e)) return std::nullopt;
                throw kafka_error(make_error_code(e), "metadata of topic '" + topic + "'");
            }
            return partitions_of(t);
        }
        return std::vector<partition_info>{};
    }

    /// Every topic in the answer with its partitions (topics with an error are left out, as
    /// Java's listTopics does).
    std::map<std::string, std::vector<partition_info>> topics() const {
        std::map<std::string, std::vector<partition_info>> out;
        for (auto const& t : resp_.topics)
            if (t.name && t.error_code == 0) out[*t.name] = partitions_of(t);
        return out;
    }

private:
    std::vector<partition_info> partitions_of(const protocol::MetadataResponse::MetadataResponseTopic& t) const {
        std::vector<partition_info> out;
        for (auto const& p : t.partitions) {
            partition_info pi;
            pi.topic = *t.name;
            pi.partition = p.partition_index;
            if (p.leader_id >= 0) pi.leader = node(p.leader_id);
            for (auto id : p.replica_nodes) pi.replicas.push_back(node(id));
            for (auto id : p.isr_nodes) pi.in_sync_replicas.push_back(node(id));
            for (auto id : p.offline_replicas) pi.offline_replicas.push_back(node(id));
            out.push_back(std::move(pi));
        }
        std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.partition < b.partition; });
        return out;
    }

    const protocol::MetadataResponse& resp_;
    std::map<std::int32_t, node_info> brokers_;
};

}  // namespace kafka::detail
