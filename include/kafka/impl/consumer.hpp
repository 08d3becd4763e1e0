// The definitions of KafkaConsumer's members (declared in kafka/consumer.hpp): each forwards to
// the engine (detail/consumer_engine.hpp), which takes the thread guard and does the work.
//
// Included by kafka/consumer.hpp unless KAFKA_SEPARATE_COMPILATION is defined; then include it in
// the one source file that instantiates the consumer types the program uses (see impl/src.hpp).
#pragma once

#include <memory>
#include <utility>

#include <kafka/consumer.hpp>
#include <kafka/detail/consumer_engine.hpp>
#include <kafka/detail/user_executor.hpp>

namespace kafka {

template <class K, class V, class P>
KafkaConsumer<K, V, P>::KafkaConsumer(consumer_config config)
    : KafkaConsumer(std::move(config), key_deserializer{}, value_deserializer{}) {}

template <class K, class V, class P>
KafkaConsumer<K, V, P>::KafkaConsumer(consumer_config config, key_deserializer kd, value_deserializer vd)
    : engine_(std::make_unique<detail::consumer_engine<K, V, P>>(
          std::move(config), std::move(kd), std::move(vd), typename detail::consumer_engine<K, V, P>::transport_type{},
          assignor_type{})) {}

template <class K, class V, class P>
KafkaConsumer<K, V, P>::KafkaConsumer(consumer_config config, key_deserializer kd, value_deserializer vd,
                                      transport_type transport, assignor_type assignor)
    : engine_(std::make_unique<detail::consumer_engine<K, V, P>>(std::move(config), std::move(kd), std::move(vd),
                                                                 std::move(transport), std::move(assignor))) {}

template <class K, class V, class P>
KafkaConsumer<K, V, P>::KafkaConsumer(consumer_config config, detail::user_executor on)
    : engine_(std::make_unique<detail::consumer_engine<K, V, P>>(
          std::move(config), key_deserializer{}, value_deserializer{},
          typename detail::consumer_engine<K, V, P>::transport_type{}, assignor_type{}, std::move(on.executor))) {}

template <class K, class V, class P>
KafkaConsumer<K, V, P>::~KafkaConsumer() = default;

template <class K, class V, class P>
detail::user_executor KafkaConsumer<K, V, P>::handler_executor() const {
    return {engine_->handler_executor()};
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::start_async_poll(std::chrono::milliseconds timeout, poll_completion done) {
    engine_->async_poll(timeout, std::move(done));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::start_async_commit(std::optional<std::map<topic_partition, offset_and_metadata>> offsets,
                                                done_completion done) {
    engine_->async_commit(std::move(offsets), std::move(done));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::start_async_close(std::chrono::milliseconds timeout, done_completion done) {
    engine_->async_close(timeout, std::move(done));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::subscribe(const std::vector<std::string>& topics, rebalance_listener listener) {
    engine_->subscribe(topics, std::move(listener));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::subscribe(std::initializer_list<std::string> topics, rebalance_listener listener) {
    engine_->subscribe(std::move(topics), std::move(listener));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::subscribe(const topic_pattern& pattern, rebalance_listener listener) {
    engine_->subscribe(pattern, std::move(listener));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::subscribe(const subscription_pattern& pattern, rebalance_listener listener) {
    engine_->subscribe(pattern, std::move(listener));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::assign(const std::vector<topic_partition>& partitions) {
    engine_->assign(partitions);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::unsubscribe() {
    engine_->unsubscribe();
}

template <class K, class V, class P>
std::set<topic_partition> KafkaConsumer<K, V, P>::assignment() const {
    return engine_->assignment();
}

template <class K, class V, class P>
std::set<std::string> KafkaConsumer<K, V, P>::subscription() const {
    return engine_->subscription();
}

template <class K, class V, class P>
typename KafkaConsumer<K, V, P>::records_type KafkaConsumer<K, V, P>::poll(std::chrono::milliseconds timeout) {
    return engine_->poll(timeout);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitSync() {
    engine_->commitSync();
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitSync(std::chrono::milliseconds timeout) {
    engine_->commitSync(timeout);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitSync(const std::map<topic_partition, offset_and_metadata>& offsets) {
    engine_->commitSync(offsets);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitSync(const std::map<topic_partition, offset_and_metadata>& offsets,
                                        std::chrono::milliseconds timeout) {
    engine_->commitSync(offsets, timeout);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitAsync(commit_callback callback) {
    engine_->commitAsync(std::move(callback));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::commitAsync(const std::map<topic_partition, offset_and_metadata>& offsets,
                                         commit_callback callback) {
    engine_->commitAsync(offsets, std::move(callback));
}

template <class K, class V, class P>
std::map<topic_partition, std::optional<offset_and_metadata>> KafkaConsumer<K, V, P>::committed(
    const std::set<topic_partition>& partitions) {
    return engine_->committed(partitions);
}

template <class K, class V, class P>
std::map<topic_partition, std::optional<offset_and_metadata>> KafkaConsumer<K, V, P>::committed(
    const std::set<topic_partition>& partitions, std::chrono::milliseconds timeout) {
    return engine_->committed(partitions, timeout);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::seek(const topic_partition& tp, std::int64_t offset) {
    engine_->seek(tp, offset);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::seek(const topic_partition& tp, const offset_and_metadata& om) {
    engine_->seek(tp, om);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::seekToBeginning(const std::vector<topic_partition>& partitions) {
    engine_->seekToBeginning(partitions);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::seekToEnd(const std::vector<topic_partition>& partitions) {
    engine_->seekToEnd(partitions);
}

template <class K, class V, class P>
std::int64_t KafkaConsumer<K, V, P>::position(const topic_partition& tp) {
    return engine_->position(tp);
}

template <class K, class V, class P>
std::int64_t KafkaConsumer<K, V, P>::position(const topic_partition& tp, std::chrono::milliseconds timeout) {
    return engine_->position(tp, timeout);
}

template <class K, class V, class P>
std::map<topic_partition, std::int64_t> KafkaConsumer<K, V, P>::beginningOffsets(
    const std::vector<topic_partition>& partitions) {
    return engine_->beginningOffsets(partitions);
}

template <class K, class V, class P>
std::map<topic_partition, std::int64_t> KafkaConsumer<K, V, P>::beginningOffsets(
    const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout) {
    return engine_->beginningOffsets(partitions, timeout);
}

template <class K, class V, class P>
std::map<topic_partition, std::int64_t> KafkaConsumer<K, V, P>::endOffsets(
    const std::vector<topic_partition>& partitions) {
    return engine_->endOffsets(partitions);
}

template <class K, class V, class P>
std::map<topic_partition, std::int64_t> KafkaConsumer<K, V, P>::endOffsets(
    const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout) {
    return engine_->endOffsets(partitions, timeout);
}

template <class K, class V, class P>
std::map<topic_partition, std::optional<offset_and_timestamp>> KafkaConsumer<K, V, P>::offsetsForTimes(
    const std::map<topic_partition, std::int64_t>& timestamps) {
    return engine_->offsetsForTimes(timestamps);
}

template <class K, class V, class P>
std::map<topic_partition, std::optional<offset_and_timestamp>> KafkaConsumer<K, V, P>::offsetsForTimes(
    const std::map<topic_partition, std::int64_t>& timestamps, std::chrono::milliseconds timeout) {
    return engine_->offsetsForTimes(timestamps, timeout);
}

template <class K, class V, class P>
std::vector<partition_info> KafkaConsumer<K, V, P>::partitionsFor(const std::string& topic) {
    return engine_->partitionsFor(topic);
}

template <class K, class V, class P>
std::map<std::string, std::vector<partition_info>> KafkaConsumer<K, V, P>::listTopics() {
    return engine_->listTopics();
}

template <class K, class V, class P>
std::map<std::string, std::vector<partition_info>> KafkaConsumer<K, V, P>::listTopics(
    std::chrono::milliseconds timeout) {
    return engine_->listTopics(timeout);
}

template <class K, class V, class P>
std::optional<std::int64_t> KafkaConsumer<K, V, P>::currentLag(const topic_partition& tp) const {
    return engine_->currentLag(tp);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::close(const close_options& options) {
    engine_->close(options);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::enforceRebalance(const std::string& reason) {
    engine_->enforceRebalance(reason);
}

template <class K, class V, class P>
consumer_group_metadata KafkaConsumer<K, V, P>::groupMetadata() const {
    return engine_->groupMetadata();
}

template <class K, class V, class P>
std::vector<partition_info> KafkaConsumer<K, V, P>::partitionsFor(const std::string& topic,
                                                                  std::chrono::milliseconds timeout) {
    return engine_->partitionsFor(topic, timeout);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::pause(const std::vector<topic_partition>& partitions) {
    engine_->pause(partitions);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::resume(const std::vector<topic_partition>& partitions) {
    engine_->resume(partitions);
}

template <class K, class V, class P>
std::set<topic_partition> KafkaConsumer<K, V, P>::paused() const {
    return engine_->paused();
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::wakeup() {
    engine_->wakeup();
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::close(std::chrono::milliseconds timeout) {
    engine_->close(timeout);
}

template <class K, class V, class P>
typename KafkaConsumer<K, V, P>::metrics_snapshot KafkaConsumer<K, V, P>::metrics() const {
    return engine_->metrics();
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::set_commit_callback(commit_callback callback) {
    engine_->set_commit_callback(std::move(callback));
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::set_log_handler(std::function<void(log_level, const std::string&)> handler) {
    engine_->set_log_handler(handler);
}

template <class K, class V, class P>
void KafkaConsumer<K, V, P>::set_statistics_callback(std::chrono::milliseconds interval,
                                                     std::function<void(const metrics_snapshot&)> callback) {
    engine_->set_statistics_callback(interval, std::move(callback));
}

template <class K, class V, class P>
std::string KafkaConsumer<K, V, P>::member_id() const {
    return engine_->member_id();
}

template <class K, class V, class P>
std::int32_t KafkaConsumer<K, V, P>::generation() const {
    return engine_->generation();
}

template <class K, class V, class P>
const consumer_config& KafkaConsumer<K, V, P>::config() const noexcept {
    return engine_->config();
}

}  // namespace kafka
