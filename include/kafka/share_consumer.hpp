// KafkaShareConsumer<K, V, Policies>: a member of a share group (KIP-932, "queues for Kafka"),
// Java's KafkaShareConsumer. Several members read the same partitions; the broker hands each record
// to one member at a time, under an acquisition lock, and the member acknowledges it: ACCEPT
// (done), RELEASE (deliver again, to anyone), REJECT (never again), RENEW (more time). A record
// not acknowledged before its lock expires is delivered again; after the broker's delivery limit
// it is archived.
//
//   kafka::KafkaShareConsumer<std::string, std::string> consumer(config);  // group.id = the share group
//   consumer.subscribe({"jobs"});
//   for (;;)
//       for (auto const& rec : consumer.poll(100ms)) handle(rec);  // accepted at the next poll
//
// With share.acknowledgement.mode=explicit, acknowledge each record (acknowledge(rec) accepts)
// before the next poll(); commitSync()/commitAsync() send the acknowledgements at once instead
// of with the next fetch. Not thread-safe, and says so (concurrent_access_error); wakeup() may be
// called from any thread. The share group lives on the same engine parts as KafkaConsumer (see
// detail/share_engine.hpp); its policies are the transport and the deserializers only: the broker
// assigns partitions, and acknowledgements take the place of offset commits.
//
// This header declares; impl/share_consumer.hpp defines (included here unless
// KAFKA_SEPARATE_COMPILATION, as for KafkaConsumer).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <kafka/config.hpp>
#include <kafka/consumer_types.hpp>
#include <kafka/detail/policy_checks.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/record.hpp>
#include <kafka/share_types.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

namespace transports {
class tcp;  // kafka/client/transport.hpp
}

/// The policies a share consumer is assembled from: derive and override what you need.
struct default_share_policies {
    using transport = transports::tcp;
    /// Keep the membership alive from a background thread between polls (as Java's). Tests on
    /// simulated time turn it off.
    static constexpr bool background_heartbeat = true;
    /// Deserializers default to kafka::deserializers::default_for<K> / <V>; set
    /// `using key_deserializer = ...; using value_deserializer = ...;` to choose others.
};

namespace detail {
template <class K, class V, class Policies>
class share_engine;
}  // namespace detail

template <class K, class V, class Policies = default_share_policies>
class KafkaShareConsumer {
    static_assert(
        !requires { typename Policies::assignor; },
        "KafkaShareConsumer takes no assignor policy: the broker assigns a share group's partitions "
        "(derive the policies from kafka::default_share_policies)");
    static_assert(
        !requires { typename Policies::offset_commit; },
        "KafkaShareConsumer takes no offset_commit policy: a share group's records are acknowledged, "
        "not committed (share.acknowledgement.mode; derive from kafka::default_share_policies)");
    using checked_deserializers = detail::checked_deserializers<K, V, Policies>;

public:
    using transport_type = typename Policies::transport;
    using key_deserializer = typename checked_deserializers::key_deserializer;
    using value_deserializer = typename checked_deserializers::value_deserializer;
    using records_type = ConsumerRecords<K, V>;

    /// Checks `config` (throws config_error naming the key; the keys a share consumer refuses are
    /// in detail/share_engine.hpp) and sets up the engine; no I/O.
    explicit KafkaShareConsumer(consumer_config config);
    KafkaShareConsumer(consumer_config config, key_deserializer kd, value_deserializer vd);
    /// With the transport object to use (e.g. kafka::testing's in-memory one).
    KafkaShareConsumer(consumer_config config, key_deserializer kd, value_deserializer vd, transport_type transport);
    KafkaShareConsumer(const KafkaShareConsumer&) = delete;
    KafkaShareConsumer& operator=(const KafkaShareConsumer&) = delete;
    /// Closes with no wait (close(0ms)) if close() was not called.
    ~KafkaShareConsumer();

    /// Joins the share group group.id with these topics (an empty list unsubscribes).
    void subscribe(const std::vector<std::string>& topics);
    void subscribe(std::initializer_list<std::string> topics);
    /// Leaves the share group; records delivered and not acknowledged go back to the broker.
    void unsubscribe();
    std::set<std::string> subscription() const;

    /// Records acquired for this member, up to max.poll.records. First settles the last poll's:
    /// implicit mode accepts them all; explicit mode throws illegal_state_error while one is not
    /// acknowledged (a RENEWed record excepted). Each record says its delivery_count().
    records_type poll(std::chrono::milliseconds timeout);

    /// Explicit mode only (implicit mode throws illegal_state_error): acknowledges a record the
    /// last poll delivered. The acknowledgement goes with the next poll's fetch or commit; until
    /// then a later call for the same record replaces it. RENEW (Kafka 4.2+, the group config
    /// share.renew.acknowledge.enable=true) asks the broker to extend the record's lock: the next
    /// poll returns the renewed records again (and nothing new), to be acknowledged once more; a
    /// renewal the broker refuses is logged and reported to the acknowledgement commit callback.
    /// The topic/partition/offset form cannot RENEW (the next poll must return the record itself).
    void acknowledge(const ConsumerRecord<K, V>& record, acknowledge_type type = acknowledge_type::accept);
    void acknowledge(const std::string& topic, std::int32_t partition, std::int64_t offset, acknowledge_type type);

    /// Sends the acknowledgements now (implicit mode: the last poll's records, accepted) and waits
    /// for the broker's answers: the error of each partition's acknowledgements (none = applied).
    /// Empty when there was nothing to send. Throws timeout_error when the answers take longer.
    std::map<topic_partition, std::error_code> commitSync();
    std::map<topic_partition, std::error_code> commitSync(std::chrono::milliseconds timeout);
    /// Sends them without waiting; the acknowledgement commit callback hears the outcome.
    void commitAsync();
    /// Called on the caller's thread (inside poll, commitSync, commitAsync, close) with what became
    /// of each partition's acknowledgements.
    void setAcknowledgementCommitCallback(acknowledgement_commit_callback callback);

    /// How long the broker locks acquired records (its group.share.record.lock.duration.ms), once
    /// a fetch said.
    std::optional<std::chrono::milliseconds> acquisitionLockTimeoutMs() const;

    /// The one call safe from another thread: the blocked (or next) call throws wakeup_error.
    void wakeup();
    /// Sends the acknowledgements made (implicit mode: not the last poll's records, which the
    /// broker releases, as Java), closes the share sessions and leaves the group.
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    void set_log_handler(std::function<void(log_level, const std::string&)> handler);
    /// The member id this consumer made for itself (the broker knows the member by it).
    std::string member_id() const;

    /// The engine (tests).
    detail::share_engine<K, V, Policies>& engine() noexcept { return *engine_; }

private:
    std::unique_ptr<detail::share_engine<K, V, Policies>> engine_;
};

}  // namespace kafka

#ifndef KAFKA_SEPARATE_COMPILATION
#include <kafka/impl/share_consumer.hpp>
#endif
