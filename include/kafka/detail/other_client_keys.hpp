// Keys of Kafka's other clients' configurations: the producer (ProducerConfig), the admin client
// (AdminClientConfig) and Kafka Streams (StreamsConfig), Kafka 3.9 and 4.x, less the keys they
// share with the consumer (those are in config.hpp's table). A properties file shared between a
// producer and a consumer is common; Java's consumer accepts such keys and logs that they were
// supplied but not used, and so does consumer_config (into warnings(), which the consumer logs).
// A key in neither list is a typo and is refused, with a did-you-mean.
#pragma once

#include <string_view>

namespace kafka::detail::cfg {

struct other_client_key {
    std::string_view name;
    std::string_view client;  // "producer", "admin client", "Kafka Streams"
    bool prefix = false;      // the row covers every key starting with `name`
};

// clang-format off
inline constexpr other_client_key other_client_keys[] = {
    // ProducerConfig
    {"acks", "producer"},
    {"batch.size", "producer"},
    {"buffer.memory", "producer"},
    {"compression.type", "producer"},
    {"compression.gzip.level", "producer"},
    {"compression.lz4.level", "producer"},
    {"compression.zstd.level", "producer"},
    {"delivery.timeout.ms", "producer"},
    {"enable.idempotence", "producer"},
    {"key.serializer", "producer"},
    {"linger.ms", "producer"},
    {"max.block.ms", "producer"},
    {"max.in.flight.requests.per.connection", "producer"},
    {"max.request.size", "producer"},
    {"metadata.max.idle.ms", "producer"},
    {"partitioner.adaptive.partitioning.enable", "producer"},
    {"partitioner.availability.timeout.ms", "producer"},
    {"partitioner.class", "producer"},
    {"partitioner.ignore.keys", "producer"},
    {"retries", "producer"},
    {"transaction.timeout.ms", "producer"},
    {"transactional.id", "producer"},
    {"value.serializer", "producer"},
    // AdminClientConfig
    {"bootstrap.controllers", "admin client"},
    // StreamsConfig
    {"acceptable.recovery.lag", "Kafka Streams"},
    {"application.id", "Kafka Streams"},
    {"application.server", "Kafka Streams"},
    {"buffered.records.per.partition", "Kafka Streams"},
    {"built.in.metrics.version", "Kafka Streams"},
    {"cache.max.bytes.buffering", "Kafka Streams"},
    {"commit.interval.ms", "Kafka Streams"},
    {"default.client.supplier", "Kafka Streams"},
    {"default.deserialization.exception.handler", "Kafka Streams"},
    {"default.dsl.store", "Kafka Streams"},
    {"default.key.serde", "Kafka Streams"},
    {"default.list.key.serde.inner", "Kafka Streams"},
    {"default.list.key.serde.type", "Kafka Streams"},
    {"default.list.value.serde.inner", "Kafka Streams"},
    {"default.list.value.serde.type", "Kafka Streams"},
    {"default.production.exception.handler", "Kafka Streams"},
    {"default.timestamp.extractor", "Kafka Streams"},
    {"default.value.serde", "Kafka Streams"},
    {"deserialization.exception.handler", "Kafka Streams"},
    {"dsl.store.suppliers.class", "Kafka Streams"},
    {"ensure.explicit.internal.resource.naming", "Kafka Streams"},
    {"log.summary.interval.ms", "Kafka Streams"},
    {"max.task.idle.ms", "Kafka Streams"},
    {"max.warmup.replicas", "Kafka Streams"},
    {"num.standby.replicas", "Kafka Streams"},
    {"num.stream.threads", "Kafka Streams"},
    {"poll.ms", "Kafka Streams"},
    {"probing.rebalance.interval.ms", "Kafka Streams"},
    {"processing.exception.handler", "Kafka Streams"},
    {"processing.guarantee", "Kafka Streams"},
    {"processor.wrapper.class", "Kafka Streams"},
    {"production.exception.handler", "Kafka Streams"},
    {"rack.aware.assignment.non_overlap_cost", "Kafka Streams"},
    {"rack.aware.assignment.strategy", "Kafka Streams"},
    {"rack.aware.assignment.tags", "Kafka Streams"},
    {"rack.aware.assignment.traffic_cost", "Kafka Streams"},
    {"repartition.purge.interval.ms", "Kafka Streams"},
    {"replication.factor", "Kafka Streams"},
    {"rocksdb.config.setter", "Kafka Streams"},
    {"state.cleanup.delay.ms", "Kafka Streams"},
    {"state.dir", "Kafka Streams"},
    {"statestore.cache.max.bytes", "Kafka Streams"},
    {"task.assignor.class", "Kafka Streams"},
    {"task.timeout.ms", "Kafka Streams"},
    {"topology.optimization", "Kafka Streams"},
    {"upgrade.from", "Kafka Streams"},
    {"window.size.ms", "Kafka Streams"},
    {"windowed.inner.class.serde", "Kafka Streams"},
    // StreamsConfig's prefixes for the configs of its clients and topics
    {"admin.", "Kafka Streams", true},
    {"client.tag.", "Kafka Streams", true},
    {"consumer.", "Kafka Streams", true},
    {"global.consumer.", "Kafka Streams", true},
    {"main.consumer.", "Kafka Streams", true},
    {"producer.", "Kafka Streams", true},
    {"restore.consumer.", "Kafka Streams", true},
    {"topic.", "Kafka Streams", true},
};
// clang-format on

/// The row of another client's configuration that `name` is, or nullptr.
constexpr const other_client_key* find_other_client_key(std::string_view name) noexcept {
    for (auto const& k : other_client_keys)
        if (k.prefix ? (name.size() > k.name.size() && name.substr(0, k.name.size()) == k.name) : name == k.name)
            return &k;
    return nullptr;
}

}  // namespace kafka::detail::cfg
