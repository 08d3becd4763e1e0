// KafkaConsumer<K, V, Policies>: the public face, assembled at compile time from the policies
// (transport, assignor, deserializers, offset commit) around the engine: the unsent-queue network
// client, the fetcher and the group membership (detail/consumer_engine.hpp).
//
//   struct my_policies : kafka::default_policies {
//       using assignor      = kafka::assignors::cooperative_sticky;
//       using offset_commit = kafka::commit::manual;
//   };
//   kafka::KafkaConsumer<std::string, std::string, my_policies> consumer(config);
//   consumer.subscribe({"orders"});
//   for (;;)
//       for (auto const& rec : consumer.poll(100ms)) handle(rec.key(), rec.value());
//
// The consumer is not thread-safe, and says so: a call made while another thread is inside one
// throws concurrent_access_error (the seed's acquireAndEnsureOpen). wakeup() is the one call safe
// from any thread: the blocked (or next) call throws kafka::wakeup_error. Group membership is kept
// alive between polls by a heartbeat thread that only sends heartbeats, under the consumer's lock,
// while no call is in progress (as Java's heartbeat thread).
//
// This header declares; impl/consumer.hpp defines. By default this header includes the
// definitions (header-only). With KAFKA_SEPARATE_COMPILATION defined, it does not: one source
// file of the program includes <kafka/impl/src.hpp> (which compiles the default consumer,
// KafkaConsumer<std::string, std::string>) or <kafka/impl/consumer.hpp> followed by
// `template class kafka::KafkaConsumer<K, V, P>;` for each other consumer type, and every other
// file sees only these declarations (no Asio, no engine), which compile in a fraction of the time.
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
#include <type_traits>
#include <vector>

#include <kafka/config.hpp>
#include <kafka/consumer_types.hpp>
#include <kafka/detail/async_completion.hpp>
#include <kafka/detail/policy_checks.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/policy/assignors/cooperative_sticky.hpp>
#include <kafka/policy/assignors/range.hpp>
#include <kafka/rebalance_listener.hpp>
#include <kafka/record.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

namespace transports {
class tcp;  // kafka/client/transport.hpp
}

/// The policies a consumer is assembled from. Derive and override what you need.
struct default_policies {
    using transport = transports::tcp;
    /// Java's default partition.assignment.strategy: range first, cooperative-sticky as upgrade path.
    using assignor = assignors::list<assignors::range, assignors::cooperative_sticky>;
    using offset_commit = commit::auto_commit;
    /// Keep group membership alive from a background thread while the application processes
    /// records between polls (Java's heartbeat thread). Tests on simulated time turn it off.
    static constexpr bool background_heartbeat = true;
    /// Deserializers default to kafka::deserializers::default_for<K> / <V>; set
    /// `using key_deserializer = ...; using value_deserializer = ...;` to choose others.
    /// SASL/OAUTHBEARER tokens come from sasl.jaas.config or a token file by default; set
    /// `using token_provider = T;` (kafka::oauth::token_provider: `kafka::oauth::token token()`,
    /// constructed from the consumer_config when T takes one) to hand them over yourself.
};

namespace detail {
template <class K, class V, class Policies>
class consumer_engine;
/// An executor the consumer runs on (kafka/detail/user_executor.hpp defines it: an asio::any_io_executor).
struct user_executor;
template <class ExecutorOrContext>
user_executor executor_of(ExecutorOrContext& on);
}  // namespace detail

template <class K, class V, class Policies = default_policies>
class KafkaConsumer {
    // Checks the policies: what one lacks is the only error (see detail/policy_checks.hpp; the
    // transport is checked by the engine).
    using checked_policies = detail::checked_policies<K, V, Policies>;

public:
    using transport_type = typename Policies::transport;
    using assignor_type = typename checked_policies::assignor;
    using commit_policy = typename checked_policies::offset_commit;
    using key_deserializer = typename checked_policies::key_deserializer;
    using value_deserializer = typename checked_policies::value_deserializer;
    using records_type = ConsumerRecords<K, V>;
    using commit_callback = kafka::commit_callback;
    using metrics_snapshot = consumer_metrics;

    /// Checks `config` (throws config_error naming the key) and sets up the engine; no I/O.
    explicit KafkaConsumer(consumer_config config);
    KafkaConsumer(consumer_config config, key_deserializer kd, value_deserializer vd);
    /// With the transport (e.g. kafka::testing's in-memory one) and assignor objects to use.
    KafkaConsumer(consumer_config config, key_deserializer kd, value_deserializer vd, transport_type transport,
                  assignor_type assignor = assignor_type{});
    /// The asynchronous form: every handler of this consumer (its I/O, its timers, its heartbeats)
    /// runs on `on`, an Asio executor or execution context the caller runs (through a strand, so
    /// a multi-threaded io_context is fine); there is no thread of its own. Use async_poll,
    /// async_commit and async_close; blocking calls that would wait for I/O throw. Destroy it
    /// from a handler of that executor, or while the executor is not running.
    template <class ExecutorOrContext>
    requires(!std::is_same_v<std::remove_cvref_t<ExecutorOrContext>, key_deserializer>)
        KafkaConsumer(consumer_config config, ExecutorOrContext&& on)
        : KafkaConsumer(std::move(config), detail::executor_of(on)) {}
    KafkaConsumer(const KafkaConsumer&) = delete;
    KafkaConsumer& operator=(const KafkaConsumer&) = delete;
    /// Closes with no wait (close(0ms)) if close() was not called.
    ~KafkaConsumer();

    // ---- subscription -------------------------------------------------------------------

    /// Subscribes to `topics` (no I/O: metadata and the group are handled by the next poll).
    void subscribe(const std::vector<std::string>& topics, rebalance_listener listener = {});
    void subscribe(std::initializer_list<std::string> topics, rebalance_listener listener = {});
    /// Subscribes to every topic whose name fully matches `pattern.regex` (ECMAScript syntax).
    void subscribe(const topic_pattern& pattern, rebalance_listener listener = {});
    /// Subscribes to every topic matching `pattern.regex` as the broker evaluates it (RE2/J syntax);
    /// needs group.protocol=consumer and Kafka 4.0+ (kafka_error otherwise, with the reason).
    void subscribe(const subscription_pattern& pattern, rebalance_listener listener = {});
    /// Takes exactly these partitions, outside any group rebalance.
    void assign(const std::vector<topic_partition>& partitions);
    /// Leaves the group (revoking through the listener) or drops the manual assignment.
    void unsubscribe();
    std::set<topic_partition> assignment() const;
    std::set<std::string> subscription() const;

    // ---- poll ---------------------------------------------------------------------------

    /// Waits up to `timeout` for records; returns at most max.poll.records of them. Runs the
    /// group (join, heartbeats, rebalance listener), metadata, position lookups and the offset
    /// commit policy as needed.
    records_type poll(std::chrono::milliseconds timeout);

    // ---- asynchronous operations (a consumer constructed on an executor) ---------------
    //
    // Each takes an Asio completion token (a callback, asio::use_awaitable, asio::use_future,
    // asio::experimental::deferred, ...). The handler never runs inside the initiating call; it
    // runs on its associated executor (the consumer's strand if it has none). Misuse throws from
    // the initiating call: a consumer without an executor, a second operation while one is pending
    // (every other call fails meanwhile too, as a second thread would), a closed consumer.
    // Failures later (a broker error, a timeout) complete with that error code and the reason
    // logged. Emitting the handler's cancellation slot completes a pending async_poll or
    // async_commit with asio::error::operation_aborted; nothing is lost (records not yet returned
    // stay buffered for the next poll). Defined in kafka/async.hpp.

    /// Completes with the records of one poll (empty when `timeout` passed without any):
    /// signature void(std::error_code, ConsumerRecords<K, V>).
    template <class CompletionToken>
    auto async_poll(std::chrono::milliseconds timeout, CompletionToken&& token);
    /// commitSync() without blocking, retried as it is: void(std::error_code).
    template <class CompletionToken>
    auto async_commit(CompletionToken&& token);
    template <class CompletionToken>
    auto async_commit(const std::map<topic_partition, offset_and_metadata>& offsets, CompletionToken&& token);
    /// close() without blocking (default timeout 30 s): void(std::error_code).
    template <class CompletionToken>
    auto async_close(CompletionToken&& token);
    template <class CompletionToken>
    auto async_close(std::chrono::milliseconds timeout, CompletionToken&& token);

    // ---- commits ------------------------------------------------------------------------

    /// Commits the positions of all assigned partitions, retrying until default.api.timeout.ms.
    void commitSync();
    void commitSync(std::chrono::milliseconds timeout);
    void commitSync(const std::map<topic_partition, offset_and_metadata>& offsets);
    void commitSync(const std::map<topic_partition, offset_and_metadata>& offsets, std::chrono::milliseconds timeout);
    /// Commits without waiting; `callback` runs on this thread in a later poll/commit/close, with
    /// success or the error. The coordinator is looked up (again) as needed.
    void commitAsync(commit_callback callback = {});
    void commitAsync(const std::map<topic_partition, offset_and_metadata>& offsets, commit_callback callback = {});
    /// The committed offsets of `partitions` (nullopt where nothing is committed).
    std::map<topic_partition, std::optional<offset_and_metadata>> committed(
        const std::set<topic_partition>& partitions);
    std::map<topic_partition, std::optional<offset_and_metadata>> committed(const std::set<topic_partition>& partitions,
                                                                            std::chrono::milliseconds timeout);

    // ---- positions ----------------------------------------------------------------------

    void seek(const topic_partition& tp, std::int64_t offset);
    void seek(const topic_partition& tp, const offset_and_metadata& om);
    void seekToBeginning(const std::vector<topic_partition>& partitions);
    void seekToEnd(const std::vector<topic_partition>& partitions);
    /// The offset of the next record this consumer will return for `tp` (looked up if unknown).
    std::int64_t position(const topic_partition& tp);
    std::int64_t position(const topic_partition& tp, std::chrono::milliseconds timeout);
    std::map<topic_partition, std::int64_t> beginningOffsets(const std::vector<topic_partition>& partitions);
    std::map<topic_partition, std::int64_t> beginningOffsets(const std::vector<topic_partition>& partitions,
                                                             std::chrono::milliseconds timeout);
    std::map<topic_partition, std::int64_t> endOffsets(const std::vector<topic_partition>& partitions);
    std::map<topic_partition, std::int64_t> endOffsets(const std::vector<topic_partition>& partitions,
                                                       std::chrono::milliseconds timeout);
    /// The earliest offset whose timestamp is at least the given one, per partition (nullopt: none).
    std::map<topic_partition, std::optional<offset_and_timestamp>> offsetsForTimes(
        const std::map<topic_partition, std::int64_t>& timestamps);
    std::map<topic_partition, std::optional<offset_and_timestamp>> offsetsForTimes(
        const std::map<topic_partition, std::int64_t>& timestamps, std::chrono::milliseconds timeout);
    /// The partitions of `topic` with their leader, replicas, in-sync and offline replicas (Java's
    /// PartitionInfo), asked of the cluster; empty if the topic does not exist. Throws
    /// timeout_error when no broker answers within `timeout` (default.api.timeout.ms).
    std::vector<partition_info> partitionsFor(const std::string& topic);
    std::vector<partition_info> partitionsFor(const std::string& topic, std::chrono::milliseconds timeout);
    /// Every topic this consumer may see (internal ones included), with its partitions.
    std::map<std::string, std::vector<partition_info>> listTopics();
    std::map<std::string, std::vector<partition_info>> listTopics(std::chrono::milliseconds timeout);
    /// The lag of an assigned partition: its high watermark (last stable offset under
    /// read_committed) minus the position; nullopt until a fetch has told the high watermark.
    /// Throws illegal_state_error for a partition not assigned. No I/O.
    std::optional<std::int64_t> currentLag(const topic_partition& tp) const;

    // ---- flow control -------------------------------------------------------------------

    void pause(const std::vector<topic_partition>& partitions);
    void resume(const std::vector<topic_partition>& partitions);
    std::set<topic_partition> paused() const;
    /// Interrupts a blocking call from any thread: it (or the next one) throws kafka::wakeup_error.
    /// On a consumer constructed on an executor, it completes the pending asynchronous operation
    /// with kafka::client_errc::wakeup instead (nothing if none is pending).
    void wakeup();
    /// Commits (if the policy says so), leaves the group and closes connections, within `timeout`.
    /// (On a consumer constructed on an executor it throws illegal_state_error: use async_close.)
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// close() choosing what happens to the group membership (KIP-1092): by default dynamic
    /// members leave and static members stay; leave_group makes a static member leave too (its
    /// partitions move at once); remain_in_group sends no LeaveGroup (the partitions stay with
    /// this member until its session times out, e.g. for a quick restart). The timeout bounds
    /// everything, the commit on revocation included.
    void close(const close_options& options);
    /// Asks the group for a rebalance at the next poll (Java's enforceRebalance); `reason` goes to
    /// the coordinator with the JoinGroup. Throws illegal_state_error when not subscribed. Under
    /// group.protocol=consumer the broker decides: as Java, it only logs a warning.
    void enforceRebalance(const std::string& reason = {});

    // ---- metrics, logging, identity -----------------------------------------------------

    /// Consumer lag per assigned partition and fetch counters (Java's records-lag, fetch rates).
    metrics_snapshot metrics() const;
    /// Receives the outcome of each commit the offset-commit policy sends by itself without waiting
    /// (auto_commit's interval commits, async_after_poll's commits). It runs on the consumer's thread,
    /// from a later consumer call, as commitAsync callbacks do. Without one, failures are logged.
    void set_commit_callback(commit_callback callback);
    /// Receives the consumer's log lines (none by default), each starting with the consumer's
    /// identity as Java's do ("[Consumer clientId=c-1, groupId=orders] "): the configuration's
    /// warnings (at once), connection failures with the broker's address and the reason,
    /// authentication failures, missing topics and partitions without a leader, rebalances
    /// (assigned, revoked, lost), fencing, failed commits and offset resets. A condition that
    /// lasts (a broker down, a topic missing) is logged once per max(10 s, reconnect.backoff.max.ms)
    /// with the count of lines left out. Lines about connections may come from the background
    /// heartbeat thread, between the user's calls (never at the same time as another line).
    void set_log_handler(std::function<void(log_level, const std::string&)> handler);
    /// Calls `callback` with metrics() at most once per `interval`, from poll() on the consumer's
    /// thread (the counterpart of librdkafka's statistics.interval.ms and stats_cb); an interval of
    /// zero or an empty callback turns it off. to_prometheus(m.all) renders what it receives.
    void set_statistics_callback(std::chrono::milliseconds interval,
                                 std::function<void(const metrics_snapshot&)> callback);
    const consumer_config& config() const noexcept;
    /// The group id, generation, member id and group instance id as this member knows them now
    /// (Java's ConsumerGroupMetadata, for a transactional producer). Throws without group.id.
    consumer_group_metadata groupMetadata() const;
    /// The group member id (empty outside a group) and generation, as this member knows them now.
    std::string member_id() const;
    std::int32_t generation() const;

private:
    using poll_completion = detail::async_completion_ptr<std::error_code, records_type>;
    using done_completion = detail::async_completion_ptr<std::error_code>;
    KafkaConsumer(consumer_config config, detail::user_executor on);
    // The non-template halves of the asynchronous operations (impl/consumer.hpp).
    detail::user_executor handler_executor() const;
    void start_async_poll(std::chrono::milliseconds timeout, poll_completion done);
    void start_async_commit(std::optional<std::map<topic_partition, offset_and_metadata>> offsets,
                            done_completion done);
    void start_async_close(std::chrono::milliseconds timeout, done_completion done);

    std::unique_ptr<detail::consumer_engine<K, V, Policies>> engine_;
};

#ifdef KAFKA_SEPARATE_COMPILATION
// Compiled once, in the file that includes <kafka/impl/src.hpp>.
extern template class KafkaConsumer<std::string, std::string, default_policies>;
#endif

}  // namespace kafka

#ifndef KAFKA_SEPARATE_COMPILATION
#include <kafka/async.hpp>
#include <kafka/impl/consumer.hpp>
#endif
// (With KAFKA_SEPARATE_COMPILATION, a file that uses the asynchronous operations or the executor
// constructor includes <kafka/async.hpp>.)
