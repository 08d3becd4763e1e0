// The definitions of KafkaShareConsumer's members (declared in kafka/share_consumer.hpp): each
// forwards to the engine (detail/share_engine.hpp), which takes the thread guard and does the work.
//
// Included by kafka/share_consumer.hpp unless KAFKA_SEPARATE_COMPILATION is defined; then include
// it in the one source file that instantiates the share consumer types the program uses.
#pragma once

#include <memory>
#include <utility>

#include <kafka/detail/share_engine.hpp>
#include <kafka/share_consumer.hpp>

namespace kafka {

template <class K, class V, class P>
KafkaShareConsumer<K, V, P>::KafkaShareConsumer(consumer_config config)
    : KafkaShareConsumer(std::move(config), key_deserializer{}, value_deserializer{}) {}

template <class K, class V, class P>
KafkaShareConsumer<K, V, P>::KafkaShareConsumer(consumer_config config, key_deserializer kd, value_deserializer vd)
    : engine_(std::make_unique<detail::share_engine<K, V, P>>(
          std::move(config), std::move(kd), std::move(vd), typename detail::share_engine<K, V, P>::transport_type{})) {}

template <class K, class V, class P>
KafkaShareConsumer<K, V, P>::KafkaShareConsumer(consumer_config config, key_deserializer kd, value_deserializer vd,
                                                transport_type transport)
    : engine_(std::make_unique<detail::share_engine<K, V, P>>(std::move(config), std::move(kd), std::move(vd),
                                                              std::move(transport))) {}

template <class K, class V, class P>
KafkaShareConsumer<K, V, P>::~KafkaShareConsumer() = default;

template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::subscribe(const std::vector<std::string>& topics) {
    engine_->subscribe(topics);
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::subscribe(std::initializer_list<std::string> topics) {
    engine_->subscribe(std::vector<std::string>(topics));
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::unsubscribe() {
    engine_->unsubscribe();
}
template <class K, class V, class P>
std::set<std::string> KafkaShareConsumer<K, V, P>::subscription() const {
    return engine_->subscription();
}

template <class K, class V, class P>
typename KafkaShareConsumer<K, V, P>::records_type KafkaShareConsumer<K, V, P>::poll(
    std::chrono::milliseconds timeout) {
    return engine_->poll(timeout);
}

template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::acknowledge(const ConsumerRecord<K, V>& record, acknowledge_type type) {
    engine_->acknowledge(record.topic(), record.partition(), record.offset(), type, &record);
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::acknowledge(const std::string& topic, std::int32_t partition, std::int64_t offset,
                                              acknowledge_type type) {
    engine_->acknowledge(topic, partition, offset, type);
}

template <class K, class V, class P>
std::map<topic_partition, std::error_code> KafkaShareConsumer<K, V, P>::commitSync() {
    return engine_->commit_sync(std::chrono::milliseconds(engine_->default_api_timeout()));
}
template <class K, class V, class P>
std::map<topic_partition, std::error_code> KafkaShareConsumer<K, V, P>::commitSync(std::chrono::milliseconds timeout) {
    return engine_->commit_sync(timeout);
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::commitAsync() {
    engine_->commit_async();
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::setAcknowledgementCommitCallback(acknowledgement_commit_callback callback) {
    engine_->set_acknowledgement_commit_callback(std::move(callback));
}

template <class K, class V, class P>
std::optional<std::chrono::milliseconds> KafkaShareConsumer<K, V, P>::acquisitionLockTimeoutMs() const {
    return engine_->acquisition_lock_timeout();
}

template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::wakeup() {
    engine_->wakeup();
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::close(std::chrono::milliseconds timeout) {
    engine_->close(timeout);
}
template <class K, class V, class P>
void KafkaShareConsumer<K, V, P>::set_log_handler(std::function<void(log_level, const std::string&)> handler) {
    engine_->set_log_handler(std::move(handler));
}
template <class K, class V, class P>
std::string KafkaShareConsumer<K, V, P>::member_id() const {
    return engine_->member_id();
}

}  // namespace kafka
