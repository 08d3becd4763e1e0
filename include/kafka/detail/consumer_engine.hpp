// The engine behind KafkaConsumer's facade (consumer.hpp): the parts the policies assemble (the
// transport, the unsent-queue network client, metadata, the subscription state, the fetcher, the
// group membership and its shared parts) and the machinery of Java's API over them: the poll
// loop, commits (the policy's own and the user's), offset lookups, the heartbeat thread.
//
// KafkaConsumer<K, V, Policies> owns one consumer_engine<K, V, Policies> and forwards each call
// (impl/consumer.hpp). Every public call takes the thread guard first.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include <asio/error.hpp>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/consumer/classic_membership.hpp>
#include <kafka/consumer/consumer_membership.hpp>
#include <kafka/consumer/fetcher.hpp>
#include <kafka/consumer/group_membership.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/consumer_types.hpp>
#include <kafka/detail/async_completion.hpp>
#include <kafka/detail/client_setup.hpp>
#include <kafka/detail/cluster_info.hpp>
#include <kafka/detail/executor_driver.hpp>
#include <kafka/detail/heartbeat_thread.hpp>
#include <kafka/detail/log_events.hpp>
#include <kafka/detail/logging.hpp>
#include <kafka/detail/metadata_updater.hpp>
#include <kafka/detail/metric_sensors.hpp>
#include <kafka/detail/policy_checks.hpp>
#include <kafka/detail/thread_guard.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/rebalance_listener.hpp>
#include <kafka/record.hpp>

namespace kafka::detail {

template <class K, class V, class Policies>
class consumer_engine {
    using checked_policies = detail::checked_policies<K, V, Policies>;
    using checked_transport = detail::checked_transport<typename Policies::transport>;

public:
    using transport_type = typename checked_transport::type;
    using assignor_type = typename checked_policies::assignor;
    using commit_policy = typename checked_policies::offset_commit;
    using key_deserializer = typename checked_policies::key_deserializer;
    using value_deserializer = typename checked_policies::value_deserializer;
    using clock = typename transport_type::clock_type;
    using records_type = ConsumerRecords<K, V>;
    using commit_callback = kafka::commit_callback;
    using metrics_snapshot = consumer_metrics;

    /// Blocking form (an io_context of its own, run inside the calls), or, given `on`, the
    /// asynchronous form: every handler runs on a strand over that executor (see executor_driver).
    consumer_engine(consumer_config config, key_deserializer kd, value_deserializer vd, transport_type transport,
                    assignor_type assignor, std::optional<asio::any_io_executor> on = std::nullopt)
        : config_(std::move(config)),
          key_deserializer_(std::move(kd)),
          value_deserializer_(std::move(vd)),
          driver_(on ? std::make_unique<executor_driver>(*on) : nullptr),
          transport_(std::move(transport)),
          client_(driver_ ? nullptr : &io_, driver_ ? driver_->executor() : asio::any_io_executor(), transport_,
                  client_options_from<Policies>(config_)),
          metadata_(config_.metadata_max_age(), config_.retry_backoff(), config_.retry_backoff_max()),
          subs_(config_.auto_offset_reset()),
          fetcher_(client_, metadata_, subs_, fetch_options_from(config_)),
          group_(client_, metadata_, subs_, group_options_from(config_)),
          membership_(make_membership(std::move(assignor))),
          log_(config_.client_id(), config_.group_id(), log_window_for<typename clock::duration>(config_)),
          sensors_({config_.metrics_sample_window().count(), config_.metrics_num_samples()}, config_.client_id()),
          exclude_internal_topics_(config_.exclude_internal_topics()),
          metadata_updater_(client_, metadata_, log_, config_) {
        configure_transport(transport_, config_);
        check_assignment_strategy();
        for (auto key : {"share.acknowledgement.mode", "share.acquire.mode"})
            if (config_.is_set(key))
                throw config_error(key, std::string(key) +
                                            " applies to share groups (KafkaShareConsumer); KafkaConsumer refuses it, "
                                            "as Java's does");
        metadata_updater_.on_update([this](const protocol::MetadataResponse& r) { on_metadata(r); });
        std::int32_t id = -1;
        for (auto const& [host, port] : config_.bootstrap_servers()) client_.set_node(id--, host, port);
        client_.on_disconnect([this](auto const& e) {
            if (e.node >= 0 && e.node < client::coordinator_node_base / 2) metadata_.request_update();
            log_disconnect(log_, e, transport_.now());
        });
        client_.on_event([this](const client::client_event& e) {
            sensors_.on_client_event(e, now_ms());
            if (e.what == client::client_event::kind::connection_created)
                if (auto a = client_.node_address(e.node))
                    log_.clear("connect:" + a->host + ":" + std::to_string(a->port));
        });
        group_.applier.set_observer([this](std::string_view what, auto const& parts) {
            if (what == "lost") sensors_.on_rebalance_end(now_ms(), false);
            log_rebalance(log_, what, parts);
        });
        fetcher_.set_reset_observer([this](bool out_of_range, const std::string& what) {
            log_.log(out_of_range ? log_level::warn : log_level::info, what);
        });
        if constexpr (commit_policy::commit_on_revoke)
            group_.applier.set_before_revoke(
                [this](const std::vector<topic_partition>& parts) { commit_before_revoke(parts); });
        next_auto_commit_ = transport_.now() + config_.auto_commit_interval();
        if (driver_) {
            if constexpr (commit_policy::commit_after_poll && !commit::commits_async<commit_policy>)
                throw kafka_error(make_error_code(client_errc::invalid_config),
                                  "the sync_after_poll commit policy waits for its commit inside poll(), which a "
                                  "consumer on an executor cannot do: use async_after_poll, or manual with "
                                  "async_commit");
            if constexpr (std::is_same_v<clock, executor_driver::clock>) {
                driver_->set_step([this] { return async_step(); });
                client_.set_wake_handler([d = driver_.get()] { d->wake(); });
            } else {
                throw kafka_error(
                    make_error_code(client_errc::invalid_config),
                    "a consumer on an executor needs a transport whose clock is std::chrono::steady_clock "
                    "(its timers are Asio steady timers); this transport runs on another clock");
            }
        }
    }

    consumer_engine(const consumer_engine&) = delete;
    consumer_engine& operator=(const consumer_engine&) = delete;

    ~consumer_engine() {
        destroying_ = true;  // close(0) below sends what it can without waiting, on either form
        stop_heartbeat_thread();
        if (driver_) abort_async_operation();
        if (!guard_.closed()) {
            try {
                close(std::chrono::milliseconds(0));
            } catch (...) {
            }
        }
        if (driver_) driver_->shutdown();
    }

    // ---- subscription -------------------------------------------------------------------

    /// Subscribes to `topics` (no I/O: metadata and the group are handled by the next poll).
    void subscribe(const std::vector<std::string>& topics, rebalance_listener listener = {}) {
        auto g = acquire();
        if (topics.empty()) return unsubscribe_locked();
        for (auto const& t : topics)
            if (t.empty())
                throw kafka_error(make_error_code(client_errc::invalid_config), "topic names cannot be empty");
        require_group("subscribe()");
        std::set<std::string> s(topics.begin(), topics.end());
        if (subs_.subscribe(s)) membership_->request_rejoin("subscription changed");
        group_.applier.set_listener(std::move(listener));
        metadata_.set_topics(subs_.metadata_topics());
        metadata_.request_update();
    }

    void subscribe(std::initializer_list<std::string> topics, rebalance_listener listener = {}) {
        subscribe(std::vector<std::string>(topics), std::move(listener));
    }

    /// Subscribes to every topic whose name fully matches `pattern.regex` (ECMAScript syntax).
    void subscribe(const topic_pattern& pattern, rebalance_listener listener = {}) {
        auto g = acquire();
        require_group("subscribe(pattern)");
        subs_.subscribe(pattern.regex);
        group_.applier.set_listener(std::move(listener));
        metadata_.set_topics({}, true);
        metadata_.request_update();
        membership_->request_rejoin("pattern subscription");
    }

    /// Subscribes by a regex the broker evaluates (KIP-848 SubscribedTopicRegex, Java's
    /// subscribe(SubscriptionPattern)): group.protocol=consumer only.
    void subscribe(const subscription_pattern& pattern, rebalance_listener listener = {}) {
        auto g = acquire();
        require_group("subscribe(subscription_pattern)");
        if (config_.group_protocol() != group_protocol::consumer)
            throw kafka_error(make_error_code(client_errc::invalid_config),
                              "subscribe(subscription_pattern) asks the broker to evaluate the regex, which only "
                              "group.protocol=consumer does; with group.protocol=classic use subscribe(topic_pattern)");
        if (pattern.regex.empty())
            throw kafka_error(make_error_code(client_errc::invalid_config),
                              "subscribe(subscription_pattern): the regex is empty");
        subs_.subscribe_server_pattern(pattern.regex);
        group_.applier.set_listener(std::move(listener));
        metadata_.set_topics({}, true);  // the topics are what the broker assigns: their names come by id
        metadata_.request_update();
        membership_->request_rejoin("subscription pattern changed");
    }

    /// Takes exactly these partitions, outside any group rebalance.
    void assign(const std::vector<topic_partition>& partitions) {
        auto g = acquire();
        if (partitions.empty()) return unsubscribe_locked();
        for (auto const& tp : partitions)
            if (tp.topic.empty())
                throw kafka_error(make_error_code(client_errc::invalid_config), "topic names cannot be empty");
        subs_.assign_from_user({partitions.begin(), partitions.end()});
        fetcher_.drop_unassigned();
        metadata_.set_topics(subs_.metadata_topics());
    }

    void unsubscribe() {
        auto g = acquire();
        unsubscribe_locked();
    }

    std::set<topic_partition> assignment() const {
        auto g = acquire();
        auto v = subs_.assigned_partitions();
        return {v.begin(), v.end()};
    }
    std::set<std::string> subscription() const {
        auto g = acquire();
        if (!subs_.has_auto_assigned_partitions()) return {};
        return subs_.subscription();
    }

    // ---- poll ---------------------------------------------------------------------------

    /// Waits up to `timeout` for records; returns at most max.poll.records of them.
    records_type poll(std::chrono::milliseconds timeout) {
        auto g = acquire();
        if (driver_)
            throw illegal_state_error(
                "poll(): this consumer runs on the executor it was constructed with, where it cannot block; use "
                "async_poll()");
        require_subscription();
        begin_poll();
        auto deadline = transport_.now() + timeout;
        std::vector<ConsumerRecord<K, V>> out;
        auto storage = std::make_shared<record_storage>();
        do {
            update_assignment_metadata(transport_.now());
            if (!coordinator_ready()) {
                // Still joining: keep driving the group until it is stable or time runs out.
                wait_for_io(deadline, [&] { return !coordinator_ready(); });
                continue;
            }
            collect(out, *storage);
            if (out.empty()) {
                fetcher_.send_fetches();
                wait_for_io(deadline, [&] { return !fetcher_.has_completed_fetches(); });
                collect(out, *storage);
            }
            if (!out.empty()) {
                // Pipelining: the next fetch is on its way while the user handles these records.
                fetcher_.send_fetches();
                client_.poll(clock::duration::zero());
                break;
            }
        } while (transport_.now() < deadline);
        return finish_poll(std::move(out), std::move(storage));
    }

    // ---- asynchronous operations (a consumer constructed on an executor) ---------------
    //
    // Misuse is thrown by the initiating call (no executor, another operation pending, not
    // subscribed, closed); what happens later (broker errors, timeouts, cancellation) reaches the
    // completion as an error code. One operation at a time.

    using poll_completion = async_completion_ptr<std::error_code, records_type>;
    using done_completion = async_completion_ptr<std::error_code>;

    /// The executor completion handlers run on when theirs has none: the consumer's strand.
    asio::any_io_executor handler_executor() const {
        if (!driver_)
            throw illegal_state_error(
                "this consumer was constructed without an executor: construct it as KafkaConsumer(config, executor) "
                "to use async_poll, async_commit and async_close");
        return driver_->executor();
    }

    void async_poll(std::chrono::milliseconds timeout, poll_completion done) {
        start_async("async_poll()", [&] {
            require_subscription();
            poll_op op;
            op.deadline = transport_.now() + timeout;
            op.storage = std::make_shared<record_storage>();
            op.done = std::move(done);
            return op;
        });
    }

    /// The positions of all assigned partitions (nullopt), or `offsets`; retried as commitSync.
    void async_commit(std::optional<std::map<topic_partition, offset_and_metadata>> offsets, done_completion done) {
        start_async("async_commit()", [&] {
            require_group("async_commit()");
            commit_op op;
            op.offsets = offsets ? std::move(*offsets) : subs_.all_consumed();
            op.deadline = transport_.now() + config_.default_api_timeout();
            op.done = std::move(done);
            return op;
        });
    }

    /// close(timeout) without blocking: revoke (committing as the policy says), leave, then complete.
    void async_close(std::chrono::milliseconds timeout, done_completion done) {
        start_async("async_close()", [&] {
            close_op op;
            op.deadline = transport_.now() + timeout;
            op.done = std::move(done);
            return op;
        });
    }

    // ---- commits ------------------------------------------------------------------------

    /// Commits the positions of all assigned partitions, retrying until default.api.timeout.ms.
    void commitSync() { commitSync(config_.default_api_timeout()); }
    void commitSync(std::chrono::milliseconds timeout) {
        auto g = acquire();
        commit_sync_locked(subs_.all_consumed(), timeout);
    }
    void commitSync(const std::map<topic_partition, offset_and_metadata>& offsets) {
        commitSync(offsets, config_.default_api_timeout());
    }
    void commitSync(const std::map<topic_partition, offset_and_metadata>& offsets, std::chrono::milliseconds timeout) {
        auto g = acquire();
        commit_sync_locked(offsets, timeout);
    }

    /// Commits without waiting; `callback` runs on this thread in a later poll/commit/close.
    void commitAsync(commit_callback callback = {}) {
        auto g = acquire();
        commit_async_locked(subs_.all_consumed(), std::move(callback));
    }
    void commitAsync(const std::map<topic_partition, offset_and_metadata>& offsets, commit_callback callback = {}) {
        auto g = acquire();
        commit_async_locked(offsets, std::move(callback));
    }

    /// The committed offsets of `partitions` (nullopt where nothing is committed).
    std::map<topic_partition, std::optional<offset_and_metadata>> committed(
        const std::set<topic_partition>& partitions) {
        return committed(partitions, config_.default_api_timeout());
    }
    std::map<topic_partition, std::optional<offset_and_metadata>> committed(const std::set<topic_partition>& partitions,
                                                                            std::chrono::milliseconds timeout) {
        auto g = acquire();
        require_group("committed()");
        auto deadline = transport_.now() + timeout;
        for (;;) {
            if (!ensure_coordinator(deadline))
                throw timeout_error("committed(): no group coordinator within the timeout" + cause());
            auto f = group_.commits.fetch_committed({partitions.begin(), partitions.end()});
            wait_future(f, deadline);
            if (f.succeeded()) return f.value();
            if (!f.is_done()) throw timeout_error("committed(): no answer within the timeout" + cause());
            if (!retriable(f.error())) throw kafka_error(f.error(), "committed() failed");
            if (transport_.now() >= deadline) throw timeout_error("committed(): " + f.error().message());
            backoff(deadline);
        }
    }

    // ---- positions ----------------------------------------------------------------------

    void seek(const topic_partition& tp, std::int64_t offset) {
        auto g = acquire();
        if (offset < 0)
            throw kafka_error(make_error_code(client_errc::invalid_config), "seek offset must not be negative");
        subs_.seek(tp, {offset, std::nullopt});
    }
    void seek(const topic_partition& tp, const offset_and_metadata& om) {
        auto g = acquire();
        if (om.offset < 0)
            throw kafka_error(make_error_code(client_errc::invalid_config), "seek offset must not be negative");
        subs_.seek(tp, {om.offset, om.leader_epoch});
    }
    void seekToBeginning(const std::vector<topic_partition>& partitions) {
        reset_to(partitions, offset_reset_strategy::earliest);
    }
    void seekToEnd(const std::vector<topic_partition>& partitions) {
        reset_to(partitions, offset_reset_strategy::latest);
    }

    /// The offset of the next record this consumer will return for `tp` (looked up if unknown).
    std::int64_t position(const topic_partition& tp) { return position(tp, config_.default_api_timeout()); }
    std::int64_t position(const topic_partition& tp, std::chrono::milliseconds timeout) {
        auto g = acquire();
        if (!subs_.is_assigned(tp))
            throw illegal_state_error("position() of " + tp.to_string() +
                                      ": the partition is not assigned to this consumer");
        auto deadline = transport_.now() + timeout;
        while (!subs_.position(tp)) {
            update_positions(transport_.now());
            if (subs_.position(tp)) break;
            if (transport_.now() >= deadline)
                throw timeout_error("position() of " + tp.to_string() + ": no offset within the timeout" + cause());
            wait_for_io(deadline, [&] { return !subs_.position(tp); });
        }
        return subs_.position(tp)->offset;
    }

    std::map<topic_partition, std::int64_t> beginningOffsets(const std::vector<topic_partition>& partitions) {
        return beginningOffsets(partitions, config_.default_api_timeout());
    }
    std::map<topic_partition, std::int64_t> beginningOffsets(const std::vector<topic_partition>& partitions,
                                                             std::chrono::milliseconds timeout) {
        return plain_offsets(partitions, fetcher_type::earliest_timestamp, timeout, "beginningOffsets()");
    }
    std::map<topic_partition, std::int64_t> endOffsets(const std::vector<topic_partition>& partitions) {
        return endOffsets(partitions, config_.default_api_timeout());
    }
    std::map<topic_partition, std::int64_t> endOffsets(const std::vector<topic_partition>& partitions,
                                                       std::chrono::milliseconds timeout) {
        return plain_offsets(partitions, fetcher_type::latest_timestamp, timeout, "endOffsets()");
    }
    /// The earliest offset whose timestamp is at least the given one, per partition (nullopt: none).
    std::map<topic_partition, std::optional<offset_and_timestamp>> offsetsForTimes(
        const std::map<topic_partition, std::int64_t>& timestamps) {
        return offsetsForTimes(timestamps, config_.default_api_timeout());
    }
    std::map<topic_partition, std::optional<offset_and_timestamp>> offsetsForTimes(
        const std::map<topic_partition, std::int64_t>& timestamps, std::chrono::milliseconds timeout) {
        for (auto const& [tp, ts] : timestamps)
            if (ts < 0)
                throw kafka_error(make_error_code(client_errc::invalid_config),
                                  "offsetsForTimes(): the timestamp of " + tp.to_string() + " is negative");
        auto g = acquire();
        auto raw = list_offsets_locked(timestamps, timeout, "offsetsForTimes()");
        std::map<topic_partition, std::optional<offset_and_timestamp>> out;
        for (auto const& [tp, r] : raw) {
            if (r.offset < 0)
                out[tp] = std::nullopt;
            else
                out[tp] = offset_and_timestamp{r.offset, r.timestamp, r.leader_epoch};
        }
        return out;
    }

    /// The partitions of `topic` with their leader, replicas, in-sync and offline replicas, asked of
    /// the cluster (one Metadata request, retried until `timeout`); empty if the topic does not exist.
    std::vector<partition_info> partitionsFor(const std::string& topic) {
        return partitionsFor(topic, config_.default_api_timeout());
    }
    std::vector<partition_info> partitionsFor(const std::string& topic, std::chrono::milliseconds timeout) {
        auto g = acquire();
        std::vector<partition_info> out;
        lookup_metadata(std::vector<std::string>{topic}, timeout, "partitionsFor(" + topic + ")",
                        [&](const cluster_info& c) {
                            auto p = c.partitions(topic);
                            if (p) out = std::move(*p);
                            return p.has_value();
                        });
        return out;
    }
    /// Every topic the cluster lets this consumer see, with its partitions (Java's listTopics()).
    std::map<std::string, std::vector<partition_info>> listTopics() {
        return listTopics(config_.default_api_timeout());
    }
    std::map<std::string, std::vector<partition_info>> listTopics(std::chrono::milliseconds timeout) {
        auto g = acquire();
        std::map<std::string, std::vector<partition_info>> out;
        lookup_metadata(std::nullopt, timeout, "listTopics()", [&](const cluster_info& c) {
            out = c.topics();
            return true;
        });
        return out;
    }

    /// High watermark (last stable offset under read_committed) minus position, once a fetch has
    /// told the high watermark and the partition has a position; nullopt before.
    std::optional<std::int64_t> currentLag(const topic_partition& tp) const {
        auto g = acquire();
        if (!subs_.is_assigned(tp))
            throw illegal_state_error("currentLag() of " + tp.to_string() +
                                      ": the partition is not assigned to this consumer");
        auto st = subs_.state(tp);
        auto end = end_offset(*st);
        if (!st->position || !end) return std::nullopt;
        return *end - st->position->offset;
    }

    /// The group, generation, member id and group instance id as this member knows them now.
    consumer_group_metadata groupMetadata() const {
        auto g = acquire();
        require_group("groupMetadata()");
        auto m = membership_->group_metadata();
        return {*config_.group_id(), m.generation_or_epoch, m.member_id, m.group_instance_id};
    }

    /// Asks for a rebalance at the next poll (Java's enforceRebalance), with `reason` in JoinGroup.
    void enforceRebalance(const std::string& reason = {}) {
        auto g = acquire();
        if (!subs_.has_auto_assigned_partitions())
            throw illegal_state_error(
                "enforceRebalance(): the consumer takes no part in a group rebalance (it is not subscribed)");
        if (config_.group_protocol() == group_protocol::consumer) {
            // As Java's consumer under this protocol: the broker decides when to rebalance.
            log_.log(log_level::warn,
                     "enforceRebalance() is not supported with group.protocol=consumer (the broker "
                     "computes assignments); nothing was done");
            return;
        }
        membership_->request_rejoin(reason.empty() ? "rebalance enforced by the user"
                                                   : "rebalance enforced by the user: " + reason);
    }

    // ---- flow control -------------------------------------------------------------------

    void pause(const std::vector<topic_partition>& partitions) {
        auto g = acquire();
        for (auto const& tp : partitions) subs_.pause(tp);
    }
    void resume(const std::vector<topic_partition>& partitions) {
        auto g = acquire();
        for (auto const& tp : partitions) subs_.resume(tp);
    }
    std::set<topic_partition> paused() const {
        auto g = acquire();
        return subs_.paused_partitions();
    }

    /// Interrupts a blocking call from any thread: it (or the next one) throws kafka::wakeup_error.
    /// On the asynchronous form it completes the pending operation with client_errc::wakeup
    /// (nothing if none is pending).
    void wakeup() {
        if (driver_) {
            cancel_->fetch_or(wakeup_bit, std::memory_order_acq_rel);
            driver_->wake();
            return;
        }
        client_.wakeup();
    }

    /// close(timeout) with what to do about the group (KIP-1092).
    void close(const close_options& o) {
        {
            auto g = acquire(true);
            using op = group_membership_operation;
            group_.opts.on_leave = o.operation == op::leave_group       ? engine::leave_operation::leave_group
                                   : o.operation == op::remain_in_group ? engine::leave_operation::remain_in_group
                                                                        : engine::leave_operation::default_operation;
        }
        close(o.timeout.value_or(std::chrono::seconds(30)));
    }

    /// Commits (if the policy says so), leaves the group and closes connections, within `timeout`.
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        auto g = acquire(true);
        if (guard_.closed()) return;
        if (driver_ && !destroying_)
            throw illegal_state_error(
                "close(): this consumer runs on the executor it was constructed with, where it cannot wait for "
                "the leave and the commits; use async_close()");
        stop_heartbeat_thread();
        auto deadline = transport_.now() + timeout;
        close_deadline_ = deadline;  // bounds the commit the policy makes on revocation, too
        std::exception_ptr first;
        try {
            (void)client_.take_wakeup();
            if (subs_.has_auto_assigned_partitions()) {
                membership_->revoke_all_and_leave("the consumer is being closed");
            } else if constexpr (commit_policy::commit_on_revoke) {
                if (!config_.group_id().value_or("").empty())
                    commit_before_revoke(subs_.assigned_partitions(), deadline);
            }
            if (auto& lf = membership_->leave_future()) wait_future(*lf, deadline);
            run_user_callbacks();
        } catch (...) {
            first = std::current_exception();
        }
        guard_.mark_closed();
        if (first) std::rethrow_exception(first);
    }

    // ---- metrics and logging ------------------------------------------------------------

    /// Lag per assigned partition, fetch counters, and every metric with Java's names (`all`).
    metrics_snapshot metrics() const {
        auto g = acquire();
        metrics_snapshot m;
        auto const& s = fetcher_.stats();
        m.records_consumed = s.records;
        m.bytes_fetched = s.bytes;
        m.fetch_requests = s.fetch_requests;
        m.fetch_responses = s.fetch_responses;
        m.polls = polls_;
        auto secs = std::chrono::duration<double>(transport_.now() - created_).count();
        m.records_per_second = secs > 0 ? static_cast<double>(s.records) / secs : 0;
        auto assigned = subs_.assigned_partitions();
        for (auto const& tp : assigned) {
            auto st = subs_.state(tp);
            partition_lag l;
            if (st->position) l.position = st->position->offset;
            auto end = end_offset(*st);
            if (end) l.high_watermark = *end;
            if (st->position && end) l.lag = std::max<std::int64_t>(0, *end - st->position->offset);
            m.lag[tp] = l;
        }
        sensors_.forget_partitions({assigned.begin(), assigned.end()});
        m.all = sensors_.snapshot(now_ms(), assigned.size());
        for (auto const& tp : assigned)
            m.all.push_back(sensors_.preferred_read_replica(tp, fetcher_.preferred_read_replica(tp)));
        return m;
    }

    /// Receives the outcome of each commit the offset-commit policy sends by itself without waiting
    /// (auto_commit's interval commits, async_after_poll's commits). It runs on the consumer's thread,
    /// from a later consumer call, as commitAsync callbacks do. Without one, failures are logged.
    void set_commit_callback(commit_callback callback) {
        auto g = acquire();
        commit_callback_ = std::move(callback);
    }

    /// Receives the consumer's log lines (none by default), each prefixed with its client.id and
    /// group.id; the configuration's warnings come first.
    void set_log_handler(std::function<void(log_level, const std::string&)> handler) {
        auto g = acquire();
        bool first = !log_.enabled();
        log_.set_sink(std::move(handler));
        if (first)
            for (auto const& w : config_.warnings()) log_.log(log_level::warn, w);
    }

    void set_statistics_callback(std::chrono::milliseconds interval,
                                 std::function<void(const metrics_snapshot&)> callback) {
        auto g = acquire();
        if (interval < std::chrono::milliseconds::zero())
            throw kafka_error(make_error_code(client_errc::invalid_config),
                              "set_statistics_callback(): the interval is negative");
        stats_interval_ = interval;
        stats_callback_ = interval > std::chrono::milliseconds::zero() ? std::move(callback) : nullptr;
        next_stats_ = transport_.now() + interval;
    }

    const consumer_config& config() const noexcept { return config_; }
    /// The group member id (empty outside a group), generation, and whether this member leads.
    std::string member_id() const {
        auto g = acquire();
        return membership_->group_metadata().member_id;
    }
    std::int32_t generation() const {
        auto g = acquire();
        return membership_->group_metadata().generation_or_epoch;
    }

private:
    using fetcher_type = engine::fetcher<transport_type>;
    using assignor_list = assignors::as_list<assignor_type>;
    using membership_type = engine::group_membership<transport_type>;
    using time_point = typename clock::time_point;

    detail::thread_guard::scope acquire(bool allow_closed = false) const { return guard_.acquire(allow_closed); }

    static engine::fetch_options fetch_options_from(const consumer_config& c) {
        engine::fetch_options o;
        o.min_bytes = c.fetch_min_bytes();
        o.max_bytes = c.fetch_max_bytes();
        o.max_wait = c.fetch_max_wait();
        o.max_partition_bytes = c.max_partition_fetch_bytes();
        o.isolation = c.isolation_level();
        o.check_crcs = c.check_crcs();
        o.client_rack = c.client_rack();
        o.retry_backoff = c.retry_backoff();
        o.retry_backoff_max = c.retry_backoff_max();
        o.metadata_max_age = c.metadata_max_age();
        if (auto d = c.auto_offset_reset_duration())
            o.reset_by_duration = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
        return o;
    }
    static engine::group_options group_options_from(const consumer_config& c) {
        engine::group_options o;
        o.group_id = c.group_id().value_or("");
        o.group_instance_id = c.group_instance_id();
        o.session_timeout = c.session_timeout();
        o.heartbeat_interval = c.heartbeat_interval();
        o.max_poll_interval = c.max_poll_interval();
        o.retry_backoff = c.retry_backoff();
        o.retry_backoff_max = c.retry_backoff_max();
        o.request_timeout = c.request_timeout();
        if (!c.client_rack().empty()) o.client_rack = c.client_rack();
        o.allow_auto_create_topics = c.allow_auto_create_topics();
        return o;
    }
    // The membership group.protocol names, chosen at run time; each kind is a sibling behind
    // engine::group_membership.
    std::unique_ptr<membership_type> make_membership(assignor_type a) {
        switch (config_.group_protocol()) {
            case group_protocol::classic: {
                assignor_list list = [&] {
                    if constexpr (std::is_same_v<assignor_type, assignor_list>)
                        return std::move(a);
                    else
                        return assignor_list(std::move(a));
                }();
                return std::make_unique<engine::classic_membership<transport_type, assignor_list>>(group_,
                                                                                                   std::move(list));
            }
            case group_protocol::consumer:
                break;
        }
        // Under the consumer protocol the broker assigns: a client-side assignor other than the
        // ones Kafka ships (which the broker's own assignors replace) would silently not apply.
        for (auto name : assignor_list::names)
            if (name != "range" && name != "roundrobin" && name != "sticky" && name != "cooperative-sticky")
                throw config_error(
                    "group.protocol",
                    "group.protocol=consumer assigns partitions on the broker, so this consumer's custom "
                    "assignor '" +
                        std::string(name) +
                        "' would not be used; use group.protocol=classic, or "
                        "choose a broker assignor with group.remote.assignor");
        (void)a;
        return std::make_unique<engine::consumer_membership<transport_type>>(group_, config_.group_remote_assignor());
    }

    // partition.assignment.strategy names assignors; here they are chosen at compile time, so the
    // configuration may only name assignors the policy provides (Java would fail to load others too).
    void check_assignment_strategy() const {
        if (!config_.is_set("partition.assignment.strategy")) return;
        for (auto const& name : config_.partition_assignment_strategy()) {
            if (assignor_list::contains(name)) continue;
            std::string have;
            for (auto n : assignor_list::names) have += (have.empty() ? "" : ", ") + std::string(n);
            throw config_error("partition.assignment.strategy",
                               "assignor '" + name + "' is not among this consumer's assignor policy (" + have +
                                   "); assignors are chosen with Policies::assignor");
        }
    }

    void log(log_level level, const std::string& msg) const { log_.log(level, msg); }

    void require_group(const char* what) const {
        if (config_.group_id().value_or("").empty())
            throw kafka_error(make_error_code(errc::invalid_group_id),
                              std::string(what) + " needs group.id in the configuration (or use assign())");
    }

    void unsubscribe_locked() {
        if (subs_.has_auto_assigned_partitions()) membership_->revoke_all_and_leave("the consumer unsubscribed");
        subs_.unsubscribe();
        fetcher_.drop_unassigned();
        metadata_.set_topics({});
    }

    void require_subscription() const {
        if (subs_.subscription_kind() == engine::subscription_state::kind::none)
            throw illegal_state_error("Consumer is not subscribed to any topics or assigned any partitions");
    }

    // The start and the end of every poll, blocking or asynchronous.
    void begin_poll() {
        sensors_.on_poll_start(now_ms());
        run_user_callbacks();
        maybe_commit_after_poll();
    }
    records_type finish_poll(std::vector<ConsumerRecord<K, V>> out, std::shared_ptr<record_storage> storage) {
        run_user_callbacks();
        after_poll(out);
        polls_++;
        sensors_.on_poll_end(now_ms());
        if (stats_callback_ && transport_.now() >= next_stats_) {
            next_stats_ = transport_.now() + stats_interval_;
            try {
                stats_callback_(metrics());
            } catch (const std::exception& e) {
                // The positions already moved past these records: they must reach the caller.
                log_.log(log_level::error, std::string("the statistics callback threw: ") + e.what());
            }
        }
        return records_type(std::move(out), std::move(storage));
    }

    bool coordinator_ready() const { return !subs_.has_auto_assigned_partitions() || membership_->stable(); }

    // Java's updateAssignmentMetadataIfNeeded: the group step, fresh metadata, positions.
    void update_assignment_metadata(time_point now) {
        maybe_update_metadata(now);
        if (subs_.has_auto_assigned_partitions()) {
            ensure_heartbeat_thread();
            maybe_auto_commit(now);
            membership_->poll(now);
            throw_if_fatal();
            if (membership_->rebalancing())
                sensors_.on_rebalance_start(now_ms());
            else
                sensors_.on_rebalance_end(now_ms(), true);
            retry_async_commits(now);
            if (!membership_->stable()) return;
        } else {
            maybe_auto_commit(now);
            retry_async_commits(now);
            throw_if_fatal();
        }
        update_positions(now);
    }

    // An error the membership (or the coordinator lookup) reported, thrown on the user's thread.
    void throw_if_fatal() {
        if (auto f = membership_->take_fatal()) {
            sensors_.on_rebalance_end(now_ms(), false);
            log_.log(log_level::error, f->what + ": " + f->code.message());
            throw_error(*f);
        }
    }

    void update_positions(time_point now) {
        if (subs_.has_all_positions()) return;
        group_.commits.refresh_committed_offsets(now);
        fetcher_.reset_offsets_if_needed();
    }

    void maybe_update_metadata(time_point now) { metadata_updater_.maybe_update(now); }

    // After each metadata update: the topics a pattern subscription matches, and the problems of
    // the topics subscribed to (logged; not authorized is thrown).
    void on_metadata(const protocol::MetadataResponse&) {
        if (subs_.subscription_kind() == engine::subscription_state::kind::pattern) {
            std::set<std::string> matched;
            for (auto const& [name, t] : metadata_.all_topics())
                if ((!t.internal || !exclude_internal_topics_) && subs_.matches_pattern(name)) matched.insert(name);
            if (subs_.set_pattern_topics(matched)) membership_->request_rejoin("topics matching the pattern changed");
        }
        for (auto const& t : subs_.metadata_topics()) {
            auto tm = metadata_.topic(t);
            if (tm && tm->error == static_cast<std::int16_t>(errc::topic_authorization_failed))
                throw kafka_error(make_error_code(errc::topic_authorization_failed),
                                  "not authorized to read topic '" + t + "'");
            log_metadata_problems(log_, t, tm, transport_.now());
        }
    }

    // Waits for I/O until `deadline`, `keep_waiting()` turns false, or something needs attention
    // (a heartbeat, a metadata refresh). The wait never outlasts the deadline.
    template <class Cond>
    void wait_for_io(time_point deadline, Cond&& keep_waiting) {
        auto now = transport_.now();
        auto left = deadline - now;
        if (left < clock::duration::zero()) left = clock::duration::zero();
        if (subs_.has_auto_assigned_partitions()) left = std::min(left, membership_->time_to_next_heartbeat(now));
        if (metadata_.has_topics_to_fetch()) left = std::min(left, time_to_metadata(now));
        if (!subs_.has_all_positions())
            if (auto retry = group_.commits.time_to_offset_fetch_retry(now)) left = std::min(left, *retry);
        if (auto retry = fetcher_.time_to_fetch_retry(now)) left = std::min(left, *retry);
        poll_io(left, [&] { return keep_waiting(); });
        if (auto f = client_.take_authentication_failure()) throw_error(*f);  // logged as the connection closed
    }

    // Until the next metadata refresh is due, at least a millisecond (a refresh in flight says zero).
    typename clock::duration time_to_metadata(time_point now) const {
        return std::max(metadata_.time_to_next_update(now),
                        std::chrono::duration_cast<typename clock::duration>(std::chrono::milliseconds(1)));
    }

    // One network-client poll; a wakeup() from another thread becomes wakeup_error here (the
    // heartbeat thread polls the client directly, so it never takes the user's wakeup).
    void poll_io(typename clock::duration d, const std::function<bool()>& keep_waiting = {}) {
        if (driver_) {
            // On the user's executor nothing may wait: only a step that does what it can now.
            if (d > clock::duration::zero())
                throw illegal_state_error(
                    "a blocking call on a consumer that runs on the executor it was constructed with: it would have "
                    "to wait for I/O there; use async_poll, async_commit, async_close (and commitAsync in rebalance "
                    "listeners)");
            client_.poll_step();
        } else {
            client_.poll(d, keep_waiting);
        }
        if (client_.take_wakeup()) throw wakeup_error();
    }

    template <class T>
    void wait_future(client::request_future<T>& f, time_point deadline) {
        while (!f.is_done()) {
            if (transport_.now() >= deadline) {
                poll_io(clock::duration::zero());
                return;
            }
            if (subs_.has_auto_assigned_partitions()) membership_->heartbeat_tick(transport_.now());
            wait_for_io(deadline, [&] { return !f.is_done(); });
        }
    }

    void backoff(time_point deadline) {
        auto until = std::min(deadline, transport_.now() + config_.retry_backoff());
        while (transport_.now() < until) poll_io(until - transport_.now());
    }

    static bool retriable(std::error_code ec) {
        if (ec.category() == client_category())
            return ec == client_errc::disconnected || ec == client_errc::request_timed_out;
        if (ec.category() == broker_category())
            return is_retriable(static_cast<errc>(ec.value())) || ec == errc::coordinator_load_in_progress;
        return ec.category() == asio::error::get_system_category() || ec.category() == std::system_category();
    }

    // A commit the group will never take from this member as it is: the group moved on or fenced it.
    static bool commit_fenced(std::error_code ec) {
        return ec == errc::unknown_member_id || ec == errc::illegal_generation || ec == errc::rebalance_in_progress ||
               ec == errc::fenced_instance_id || ec == errc::fenced_member_epoch;
    }
    // A commit worth sending again (after commit_fenced said no): STALE_MEMBER_EPOCH goes again with
    // the next heartbeat's epoch, as Java; a moved coordinator is looked up again.
    static bool commit_retriable(std::error_code ec) {
        return retriable(ec) || ec == errc::stale_member_epoch || ec == errc::not_coordinator ||
               ec == errc::coordinator_not_available;
    }

    std::string cause() const {
        for (std::int32_t id = -1; id >= -16; --id) {
            auto ec = client_.connection_error(id);
            if (ec) return " (bootstrap connection: " + ec.message() + ")";
        }
        return "";
    }

    // A Metadata request of its own (not the consumer's metadata), for `topics` (nullopt: all),
    // until `done(answer)` says it is complete or the timeout passes (Java's TopicMetadataFetcher).
    template <class Done>
    void lookup_metadata(std::optional<std::vector<std::string>> topics, std::chrono::milliseconds timeout,
                         const std::string& what, Done&& done) {
        auto deadline = transport_.now() + timeout;
        for (;;) {
            if (auto node = client_.least_loaded_node()) {
                protocol::MetadataRequest req;
                req.allow_auto_topic_creation = topics && config_.allow_auto_create_topics();
                if (topics) {
                    req.topics.emplace();
                    for (auto const& t : *topics) req.topics->push_back({{}, t});
                } else {
                    req.topics.reset();
                }
                auto f = client_.send(*node, std::move(req));
                wait_future(f, deadline);
                if (f.succeeded() && done(cluster_info(f.value().body))) return;
            }
            if (transport_.now() >= deadline) throw timeout_error(what + ": no metadata within the timeout" + cause());
            backoff(deadline);
        }
    }

    bool ensure_coordinator(time_point deadline) {
        while (!group_.locator.coordinator()) {
            if (transport_.now() >= deadline) return false;
            maybe_update_metadata(transport_.now());
            if (group_.locator.ensure(transport_.now())) break;
            throw_if_fatal();
            if (!group_.locator.coordinator()) wait_for_io(deadline, [&] { return !group_.locator.coordinator(); });
        }
        return true;
    }

    void collect(std::vector<ConsumerRecord<K, V>>& out, record_storage& storage) {
        auto max = static_cast<std::size_t>(config_.max_poll_records());
        if (out.size() >= max) return;
        if (out.capacity() == 0) out.reserve(std::min<std::size_t>(max, 65536));  // one allocation per poll
        try {
            fetcher_.collect(max - out.size(), storage,
                             [&](const std::string* topic, std::int32_t partition, const record_view& r) {
                                 out.emplace_back(topic, partition, r, deserialize_key(*topic, partition, r),
                                                  deserialize_value(*topic, partition, r));
                             });
        } catch (const record_deserialization_error&) {
            if (out.empty()) throw;  // nothing to return first: report it now
            // Return what came before it; the next poll reports the bad record.
        }
    }

    K deserialize_key(const std::string& topic, std::int32_t partition, const record_view& r) {
        return deserialize_part(key_deserializer_, topic, partition, r, true);
    }
    V deserialize_value(const std::string& topic, std::int32_t partition, const record_view& r) {
        return deserialize_part(value_deserializer_, topic, partition, r, false);
    }

    std::int64_t now_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(transport_.now().time_since_epoch()).count();
    }
    // Every OffsetCommit this consumer sends, with the member's identity; commit-latency and
    // commit-rate count every answer the broker gave (as Java), not timeouts or lost connections.
    auto send_commit(const std::map<topic_partition, offset_and_metadata>& offsets) {
        auto sent = transport_.now();
        auto f = group_.commits.commit(offsets, membership_->identity(), sent);
        f.add_listener([this, sent](auto& done) {
            if (done.succeeded() || done.error().category() == broker_category())
                sensors_.on_commit(std::chrono::duration<double, std::milli>(transport_.now() - sent).count(),
                                   now_ms());
        });
        return f;
    }

    // The end of a partition's log as this consumer may read it: the last stable offset under
    // read_committed, the high watermark otherwise (lag is measured to it).
    std::optional<std::int64_t> end_offset(const engine::partition_state& st) const {
        return fetcher_.options().isolation == isolation_level::read_committed ? st.last_stable_offset
                                                                               : st.high_watermark;
    }

    // The records poll() returns come in runs per partition: one pass over them, one step per run,
    // for the positions the after-poll commit policies commit and for the metrics (records and
    // bytes per topic, each partition's lag and lead after them, recorded as Java's fetch
    // collector does when it hands records out).
    void after_poll(const std::vector<ConsumerRecord<K, V>>& out) {
        auto now = now_ms();
        std::size_t i = 0;
        while (i < out.size()) {
            auto const& topic = out[i].topic();
            auto partition = out[i].partition();
            std::size_t first = i, bytes = 0;
            for (; i < out.size() && &out[i].topic() == &topic && out[i].partition() == partition; ++i)
                bytes += static_cast<std::size_t>(std::max(0, out[i].serialized_key_size()) +
                                                  std::max(0, out[i].serialized_value_size()));
            topic_partition tp{topic, partition};
            if constexpr (commit_policy::commit_after_poll) {
                auto& next = pending_after_poll_[tp];
                next.offset = out[i - 1].offset() + 1;
                next.leader_epoch = out[i - 1].leader_epoch();
            }
            sensors_.on_records(topic, i - first, bytes, now);
            auto st = subs_.state(tp);
            if (!st || !st->position) continue;
            std::optional<std::int64_t> lag, lead;
            if (auto end = end_offset(*st)) lag = std::max<std::int64_t>(0, *end - st->position->offset);
            if (st->log_start_offset) lead = st->position->offset - *st->log_start_offset;
            sensors_.on_partition_position(tp, lag, lead, now);
        }
    }

    void maybe_commit_after_poll() {
        if constexpr (commit_policy::commit_after_poll) {
            if (pending_after_poll_.empty()) return;
            auto offsets = std::move(pending_after_poll_);
            pending_after_poll_.clear();
            std::erase_if(offsets, [&](auto const& e) { return !subs_.is_assigned(e.first); });
            if constexpr (commit::commits_async<commit_policy>) {
                if (!offsets.empty())
                    commit_async_locked(std::move(offsets), policy_commit_callback("commit after poll"));
            } else {
                commit_sync_locked(offsets, config_.default_api_timeout());
            }
        }
    }

    void maybe_auto_commit(time_point now) {
        if constexpr (commit_policy::commit_on_interval) {
            if (!config_.enable_auto_commit() || config_.group_id().value_or("").empty()) return;
            if (now < next_auto_commit_) return;
            next_auto_commit_ = now + config_.auto_commit_interval();
            if (auto_commit_in_flight_) return;
            if (subs_.has_auto_assigned_partitions() && !membership_->stable()) return;
            auto offsets = subs_.all_consumed();
            if (offsets.empty()) return;
            auto_commit_in_flight_ = true;
            send_commit(offsets).add_listener([this, offsets, cb = policy_commit_callback("auto-commit")](auto& f) {
                auto_commit_in_flight_ = false;
                auto ec = f.failed() ? f.error() : std::error_code{};
                user_callbacks_.push_back([cb, offsets, ec] { cb(offsets, ec); });
            });
        } else {
            (void)now;
        }
    }

    void commit_before_revoke(const std::vector<topic_partition>& parts) {
        auto deadline = transport_.now() + config_.default_api_timeout();
        if (close_deadline_) deadline = std::min(deadline, *close_deadline_);
        commit_before_revoke(parts, deadline);
    }
    void commit_before_revoke(const std::vector<topic_partition>& parts, time_point deadline) {
        if constexpr (commit_policy::commit_on_interval) {
            if (!config_.enable_auto_commit()) return;
        }
        auto all = subs_.all_consumed();
        std::map<topic_partition, offset_and_metadata> offsets;
        for (auto const& tp : parts)
            if (auto it = all.find(tp); it != all.end()) offsets.insert(*it);
        if (offsets.empty()) return;
        if (driver_) {
            // Nothing may wait here. The commit goes out now on the coordinator's connection,
            // ahead of the leave or the acknowledging heartbeat the revocation leads to, so the
            // broker applies it first; async_close waits for its answer. A failure is logged (the
            // records since the last commit are then consumed again by the next owner).
            std::erase_if(revoke_commits_, [](auto& f) { return f.is_done(); });
            auto f = send_commit(offsets);
            f.add_listener([this, offsets](auto& done) {
                if (done.failed()) log_commit_failure(log_, offsets, done.error(), "commit before revocation");
            });
            revoke_commits_.push_back(std::move(f));
            return;
        }
        try {
            auto now = transport_.now();
            commit_sync_locked(offsets, deadline > now
                                            ? std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
                                            : std::chrono::milliseconds(0));
        } catch (const wakeup_error&) {
            throw;
        } catch (const std::exception& e) {
            log(log_level::warn, std::string("commit before revocation failed: ") + e.what());
        }
    }

    void commit_sync_locked(const std::map<topic_partition, offset_and_metadata>& offsets,
                            std::chrono::milliseconds timeout) {
        run_user_callbacks();
        if (offsets.empty()) return;
        require_group("commitSync()");
        auto deadline = transport_.now() + timeout;
        for (;;) {
            if (!ensure_coordinator(deadline))
                throw timeout_error("commitSync(): no group coordinator within the timeout" + cause());
            auto f = send_commit(offsets);
            wait_future(f, deadline);
            if (f.succeeded()) return;
            if (!f.is_done()) throw timeout_error("commitSync(): no answer within the timeout");
            auto ec = f.error();
            if (commit_fenced(ec)) {
                log_commit_failure(log_, offsets, ec, "the group rebalanced or this member was fenced; not retried");
                throw commit_failed_error(ec);
            }
            // STALE_MEMBER_EPOCH (consumer protocol): retried with the epoch of the next heartbeat, as Java.
            if (ec == errc::stale_member_epoch && transport_.now() < deadline) {
                backoff(deadline);
                continue;
            }
            if (ec == errc::stale_member_epoch || !commit_retriable(ec)) {  // (stale: only past the deadline)
                log_commit_failure(log_, offsets, ec, "not retried");
                throw kafka_error(ec, "commitSync() failed");
            }
            if (transport_.now() >= deadline) {
                log_commit_failure(log_, offsets, ec, "retried until the timeout");
                throw timeout_error("commitSync(): " + ec.message());
            }
            backoff(deadline);
        }
    }

    void commit_async_locked(std::map<topic_partition, offset_and_metadata> offsets, commit_callback cb) {
        require_group("commitAsync()");
        if (offsets.empty()) {
            if (cb) user_callbacks_.push_back([cb, offsets] { cb(offsets, {}); });
            return;
        }
        if (!group_.locator.ensure(transport_.now())) {
            // Sent once the coordinator is known (retry_async_commits, from every poll).
            pending_async_.push_back({std::move(offsets), std::move(cb)});
            if (driver_) driver_->wake();  // between operations the driver's step looks it up
            return;
        }
        send_async(std::move(offsets), std::move(cb));
        if (driver_) driver_->wake();  // written by the next step, even with no operation pending
    }

    /// The callback for a commit the policy sends by itself: the user's, or a logger of failures.
    commit_callback policy_commit_callback(const char* what) {
        if (commit_callback_) return commit_callback_;
        return [this, what](const std::map<topic_partition, offset_and_metadata>& offsets, std::error_code ec) {
            if (ec) log_commit_failure(log_, offsets, ec, what);
        };
    }

    void send_async(std::map<topic_partition, offset_and_metadata> offsets, commit_callback cb) {
        send_commit(offsets).add_listener([this, offsets, cb](auto& f) {
            auto ec = f.failed() ? f.error() : std::error_code{};
            if (!cb) {
                // Nobody else hears of it (Java's default commit callback logs it too).
                if (ec) log_commit_failure(log_, offsets, ec, "commitAsync");
                return;
            }
            user_callbacks_.push_back([cb, offsets, ec] { cb(offsets, ec); });
        });
    }

    void retry_async_commits(time_point) {
        if (pending_async_.empty() || !group_.locator.ensure(transport_.now())) return;
        auto pending = std::move(pending_async_);
        pending_async_.clear();
        for (auto& p : pending) send_async(std::move(p.offsets), std::move(p.cb));
    }

    void run_user_callbacks() {
        while (!user_callbacks_.empty()) {
            auto cbs = std::move(user_callbacks_);
            user_callbacks_.clear();
            for (auto& cb : cbs) cb();
        }
    }

    void reset_to(const std::vector<topic_partition>& partitions, offset_reset_strategy s) {
        auto g = acquire();
        auto parts = partitions.empty() ? subs_.assigned_partitions() : partitions;
        for (auto const& tp : parts) subs_.request_reset(tp, s);
    }

    std::map<topic_partition, typename fetcher_type::offset_result> list_offsets_locked(
        const std::map<topic_partition, std::int64_t>& query, std::chrono::milliseconds timeout, const char* what) {
        auto deadline = transport_.now() + timeout;
        std::map<topic_partition, typename fetcher_type::offset_result> done;
        auto wanted = metadata_.topics();
        bool added = false;
        for (auto const& [tp, ts] : query)
            if (!metadata_.wants_all_topics() && wanted.insert(tp.topic).second) added = true;
        if (added) metadata_.set_topics(wanted);
        while (done.size() < query.size()) {
            std::map<std::int32_t, std::map<topic_partition, std::int64_t>> by_leader;
            for (auto const& [tp, ts] : query) {
                if (done.count(tp)) continue;
                if (auto l = metadata_.leader(tp))
                    by_leader[*l][tp] = ts;
                else
                    metadata_.request_update();
            }
            std::vector<client::request_future<std::map<topic_partition, typename fetcher_type::offset_result>>> fs;
            for (auto const& [node, q] : by_leader) fs.push_back(fetcher_.list_offsets(node, q));
            maybe_update_metadata(transport_.now());
            if (fs.empty()) {
                if (transport_.now() >= deadline)
                    throw timeout_error(std::string(what) + ": no leader known within the timeout" + cause());
                wait_for_io(deadline, [&] { return metadata_.update_requested(); });
                continue;
            }
            for (auto& f : fs) {
                wait_future(f, deadline);
                if (!f.succeeded()) continue;
                for (auto const& [tp, r] : f.value()) {
                    if (!query.count(tp)) continue;
                    if (!r.error)
                        done[tp] = r;
                    else if (r.error == errc::unknown_topic_or_partition && metadata_.topic(tp.topic) == nullptr)
                        throw kafka_error(r.error, std::string(what) + ": " + tp.to_string() + " does not exist");
                    else if (!retriable(r.error) && r.error != errc::not_leader_or_follower &&
                             r.error != errc::leader_not_available && r.error != errc::fenced_leader_epoch &&
                             r.error != errc::unknown_leader_epoch)
                        throw kafka_error(r.error, std::string(what) + " failed for " + tp.to_string());
                    else
                        metadata_.request_update();
                }
            }
            if (done.size() < query.size()) {
                if (transport_.now() >= deadline)
                    throw timeout_error(std::string(what) + ": not every partition answered within the timeout" +
                                        cause());
                backoff(deadline);
            }
        }
        return done;
    }

    std::map<topic_partition, std::int64_t> plain_offsets(const std::vector<topic_partition>& partitions,
                                                          std::int64_t ts, std::chrono::milliseconds timeout,
                                                          const char* what) {
        auto g = acquire();
        std::map<topic_partition, std::int64_t> query;
        for (auto const& tp : partitions) query[tp] = ts;
        std::map<topic_partition, std::int64_t> out;
        for (auto const& [tp, r] : list_offsets_locked(query, timeout, what)) out[tp] = r.offset;
        return out;
    }

    // ---- the asynchronous face's steps ---------------------------------------------------
    //
    // The pending operation and what it has done so far. Each step runs on the driver's strand,
    // does what can be done without waiting and returns; the driver runs the next one on I/O,
    // at the time asked for, or on cancellation.

    struct poll_op {
        time_point deadline{};
        bool started = false;
        std::vector<ConsumerRecord<K, V>> out;
        std::shared_ptr<record_storage> storage;
        poll_completion done;
    };
    struct commit_op {
        std::map<topic_partition, offset_and_metadata> offsets;
        time_point deadline{};
        time_point retry_at{};
        std::optional<client::request_future<std::map<topic_partition, std::error_code>>> sent;
        done_completion done;
    };
    struct close_op {
        time_point deadline{};
        bool started = false;
        done_completion done;
    };
    using async_op = std::variant<std::monostate, poll_op, commit_op, close_op>;

    template <class MakeOp>
    void start_async(const char* what, MakeOp&& make_op) {
        {
            auto g = acquire();  // a blocking call on another thread, or a pending operation: refused
            (void)handler_executor();
            auto op = make_op();
            if (!guard_.begin_async())
                throw concurrent_access_error(std::string(what) + ": another asynchronous operation is pending");
            cancel_->store(0, std::memory_order_release);
            op.done->accept();
            op.done->set_cancellation([cancel = cancel_, wake = driver_->waker()](unsigned type) {
                cancel->fetch_or(type, std::memory_order_acq_rel);
                wake();
            });
            op_ = std::move(op);
        }
        driver_->wake();  // the first step runs from the executor, never inside this call
    }

    // Ends the pending operation. Its handler is handed over by async_step once the guard is
    // released (so the handler, on whatever thread, may start the next operation at once), and
    // runs later, on its executor.
    template <class Op, class... Args>
    void complete(Op& op, Args&&... args) {
        auto done = std::shared_ptr<std::remove_reference_t<decltype(*op.done)>>(std::move(op.done));
        auto values = std::make_shared<std::tuple<std::decay_t<Args>...>>(std::forward<Args>(args)...);
        op_ = std::monostate{};
        finished_ = [done, values] { std::apply([&](auto&... a) { done->complete(std::move(a)...); }, *values); };
    }
    void hand_over_completion() {
        if (!finished_) return;
        auto f = std::move(finished_);
        finished_ = nullptr;
        guard_.end_async();
        f();
    }

    // The engine is going away with an operation pending: it completes as cancelled.
    void abort_async_operation() {
        complete_with_error(make_error_code(asio::error::operation_aborted));
        hand_over_completion();
    }

    // Ends whatever operation is pending with `ec` (a poll with no records; a failed close still
    // closes, so that nothing stays pending on the user's executor).
    void complete_with_error(std::error_code ec) {
        if (auto* p = std::get_if<poll_op>(&op_)) complete(*p, ec, records_type{});
        if (auto* c = std::get_if<commit_op>(&op_)) complete(*c, ec);
        if (auto* c = std::get_if<close_op>(&op_)) {
            guard_.mark_closed();
            client_.disconnect_all(make_error_code(client_errc::closed));
            complete(*c, ec);
        }
    }

    // The driver's step: the pending operation's, or between operations only what keeps the
    // group membership and the connections alive (the heartbeat thread's work; no user code).
    // Everything runs under the guard; a user's call on another thread (possible only between
    // operations, or while one is being started) makes the step come back shortly.
    std::optional<time_point> async_step() {
        auto retry = transport_.now() + std::chrono::milliseconds(10);
        std::optional<time_point> wake_at;
        if (guard_.async_pending()) {
            std::optional<thread_guard::scope> g;
            try {
                g.emplace(guard_, true, true);
            } catch (const concurrent_access_error&) {
                return retry;  // the operation is still being started on another thread
            }
            wake_at = step_operation();
            wake_at = next_step(wake_at);
        } else {
            if (!guard_.mutex().try_lock()) return retry;
            std::lock_guard<std::mutex> l(guard_.mutex(), std::adopt_lock);
            if (guard_.closed()) {
                client_.poll_step();  // the failures of what was in flight; nothing is scheduled again
                return std::nullopt;
            }
            try {
                if (subs_.has_auto_assigned_partitions()) {
                    group_.locator.ensure(transport_.now());
                    membership_->heartbeat_tick(transport_.now());
                }
                retry_async_commits(transport_.now());  // commitAsync calls waiting for a coordinator
                wake_at = next_step(client_.poll_step());
            } catch (...) {
                // A completion between operations failed (e.g. a topic not authorized): the next
                // operation reports it, as the blocking form's next call would.
                deferred_error_ = std::current_exception();
                wake_at = transport_.now() + config_.retry_backoff();
            }
        }
        hand_over_completion();
        // A step never asks to run again at once (that would spin): at least a millisecond later.
        auto soonest = transport_.now() + std::chrono::milliseconds(1);
        if (wake_at && *wake_at < soonest) wake_at = soonest;
        return wake_at;
    }

    // When the next step must run without I/O: what the client, the group and the pending
    // operation wait for.
    std::optional<time_point> next_step(std::optional<time_point> wake_at) {
        auto now = transport_.now();
        auto earliest = [&](time_point t) { wake_at = wake_at ? std::min(*wake_at, t) : t; };
        if (!guard_.closed() && subs_.has_auto_assigned_partitions()) {
            // The heartbeat's time counts only with a coordinator; without one, its lookup's backoff.
            if (group_.locator.coordinator())
                earliest(now + membership_->time_to_next_heartbeat(now));
            else
                earliest(now + config_.retry_backoff());
        }
        if (auto* p = std::get_if<poll_op>(&op_)) {
            earliest(p->deadline);
            if (metadata_.has_topics_to_fetch()) earliest(now + time_to_metadata(now));
            if (auto retry = fetcher_.time_to_fetch_retry(now)) earliest(now + *retry);
        }
        if (auto* c = std::get_if<commit_op>(&op_)) {
            earliest(c->deadline);
            // Waiting to send: for the backoff, or for a coordinator (lookups back off too).
            if (!c->sent) earliest(c->retry_at > now ? c->retry_at : now + config_.retry_backoff());
        }
        if (auto* c = std::get_if<close_op>(&op_)) earliest(c->deadline);
        return wake_at;
    }

    // One step of the pending operation; an exception completes it with the exception's code
    // (the message is logged: an error code cannot carry it).
    std::optional<time_point> step_operation() {
        auto fail = [&](std::error_code ec, const std::string& what) {
            log_.log(log_level::error, what);
            complete_with_error(ec);
        };
        try {
            if (auto why = cancellation()) {
                complete_with_error(why);  // never a close (cancellation() says so)
                return client_.poll_step();
            }
            if (deferred_error_) std::rethrow_exception(std::exchange(deferred_error_, nullptr));
            if (auto* p = std::get_if<poll_op>(&op_)) step_poll(*p);
            if (auto* c = std::get_if<commit_op>(&op_)) step_commit(*c);
            if (auto* c = std::get_if<close_op>(&op_)) step_close(*c);
            return client_.poll_step();
        } catch (const kafka_error& e) {
            fail(e.code(), e.what());
        } catch (const std::exception& e) {
            fail(make_error_code(client_errc::illegal_state), e.what());
        }
        return std::nullopt;
    }

    // The error a cancellation completes the pending operation with, if it was cancelled: a poll
    // by any kind; a commit by `total` only while not sent (once sent, its effect cannot be undone);
    // close by none (it bounds itself with its timeout).
    std::error_code cancellation() {
        auto bits = cancel_->load(std::memory_order_acquire);
        if (bits == 0 || std::holds_alternative<close_op>(op_)) return {};
        if (auto* c = std::get_if<commit_op>(&op_); c && c->sent && !(bits & 3u)) return {};
        cancel_->store(0, std::memory_order_release);
        return bits & wakeup_bit ? make_error_code(client_errc::wakeup)
                                 : make_error_code(asio::error::operation_aborted);
    }

    void step_poll(poll_op& op) {
        if (guard_.closed()) throw kafka_error(make_error_code(client_errc::closed), "async_poll(): consumer closed");
        if (!op.started) {
            op.started = true;
            begin_poll();
        }
        client_.poll_step();
        if (auto f = client_.take_authentication_failure()) throw_error(*f);
        update_assignment_metadata(transport_.now());
        if (coordinator_ready()) {
            collect(op.out, *op.storage);
            if (op.out.empty()) {
                fetcher_.send_fetches();
                client_.poll_step();
                collect(op.out, *op.storage);
            }
            if (!op.out.empty()) fetcher_.send_fetches();  // pipelining, as poll()
        }
        if (op.out.empty() && transport_.now() < op.deadline) return;
        auto records = finish_poll(std::move(op.out), std::move(op.storage));
        complete(op, std::error_code{}, std::move(records));
    }

    // commitSync's loop, one step at a time: find the coordinator, send, and on a retriable
    // answer back off and send again, until default.api.timeout.ms.
    void step_commit(commit_op& op) {
        client_.poll_step();  // the answer may be parked: complete its future first
        auto now = transport_.now();
        if (subs_.has_auto_assigned_partitions()) membership_->heartbeat_tick(now);
        run_user_callbacks();
        if (op.offsets.empty()) return complete(op, std::error_code{});
        if (!op.sent) {
            if (now >= op.deadline) return complete(op, make_error_code(client_errc::request_timed_out));
            if (now < op.retry_at) return;
            maybe_update_metadata(now);
            if (!group_.locator.ensure(now)) {
                throw_if_fatal();
                return;
            }
            op.sent = send_commit(op.offsets);
            return;
        }
        if (!op.sent->is_done()) {
            if (now >= op.deadline) complete(op, make_error_code(client_errc::request_timed_out));
            return;
        }
        if (op.sent->succeeded()) return complete(op, std::error_code{});
        auto ec = op.sent->error();
        op.sent.reset();
        bool retry = !commit_fenced(ec) && commit_retriable(ec);
        if (!retry || now >= op.deadline) {
            log_commit_failure(log_, op.offsets, ec, retry ? "retried until the timeout" : "not retried");
            return complete(op, ec);
        }
        op.retry_at = now + config_.retry_backoff();
    }

    void step_close(close_op& op) {
        if (!op.started) {
            op.started = true;
            close_deadline_ = op.deadline;
            (void)client_.take_wakeup();
            if (subs_.has_auto_assigned_partitions()) {
                membership_->revoke_all_and_leave("the consumer is being closed");
            } else if constexpr (commit_policy::commit_on_revoke) {
                if (!config_.group_id().value_or("").empty())
                    commit_before_revoke(subs_.assigned_partitions(), op.deadline);
            }
        }
        client_.poll_step();
        auto& leave = membership_->leave_future();
        bool done = (!leave || leave->is_done()) &&
                    std::all_of(revoke_commits_.begin(), revoke_commits_.end(), [](auto& f) { return f.is_done(); });
        if (!done && transport_.now() < op.deadline) return;
        run_user_callbacks();
        guard_.mark_closed();
        client_.disconnect_all(make_error_code(client_errc::closed));
        complete(op, std::error_code{});
    }

    // ---- the heartbeat thread -----------------------------------------------------------

    static constexpr bool background_heartbeat_enabled() {
        if constexpr (requires { Policies::background_heartbeat; })
            return Policies::background_heartbeat;
        else
            return true;
    }

    void ensure_heartbeat_thread() {
        if (driver_) return;  // the executor driver's steps send the heartbeats
        if constexpr (background_heartbeat_enabled()) {
            auto step = std::max(std::chrono::milliseconds(10), config_.heartbeat_interval() / 4);
            heartbeat_thread_.start(step, guard_.mutex(), [this] {
                membership_->heartbeat_tick(transport_.now());
                client_.poll(clock::duration::zero());
            });
        }
    }
    void stop_heartbeat_thread() { heartbeat_thread_.stop(); }

    struct pending_async_commit {
        std::map<topic_partition, offset_and_metadata> offsets;
        commit_callback cb;
    };

    consumer_config config_;
    key_deserializer key_deserializer_;
    value_deserializer value_deserializer_;
    asio::io_context io_;                      // blocking form: run inside the calls
    std::unique_ptr<executor_driver> driver_;  // asynchronous form: the user's executor
    transport_type transport_;
    client::network_client<transport_type> client_;
    client::basic_metadata<clock> metadata_;
    engine::subscription_state subs_;
    fetcher_type fetcher_;
    engine::group_parts<transport_type> group_;
    std::unique_ptr<membership_type> membership_;

    detail::thread_guard guard_;
    std::optional<time_point> close_deadline_;  // set by close(): nothing close does may outlast it
    bool auto_commit_in_flight_ = false;
    time_point next_auto_commit_{};
    time_point created_ = transport_.now();
    std::uint64_t polls_ = 0;
    std::map<topic_partition, offset_and_metadata> pending_after_poll_;
    commit_callback commit_callback_;  // outcomes of the policy's own asynchronous commits
    std::vector<pending_async_commit> pending_async_;
    std::vector<std::function<void()>> user_callbacks_;
    detail::consumer_logger<clock> log_;
    std::function<void(const metrics_snapshot&)> stats_callback_;
    std::chrono::milliseconds stats_interval_{0};
    time_point next_stats_{};
    mutable detail::consumer_sensors sensors_;  // reading a windowed figure retires expired windows
    bool exclude_internal_topics_;              // exclude.internal.topics, for pattern subscriptions
    detail::metadata_updater<transport_type> metadata_updater_;

    async_op op_;  // the pending asynchronous operation, if any
    // What cancelled the pending operation: Asio's cancellation_type bits, or wakeup_bit (shared
    // with the handler's slot, which may be signalled after this engine is gone).
    std::shared_ptr<std::atomic<unsigned>> cancel_ = std::make_shared<std::atomic<unsigned>>(0);
    static constexpr unsigned wakeup_bit = 1u << 16;
    std::function<void()> finished_;     // the completed operation's handler, handed over after the step
    std::exception_ptr deferred_error_;  // failed between operations; the next operation completes with it
    bool destroying_ = false;
    std::vector<client::request_future<std::map<topic_partition, std::error_code>>>
        revoke_commits_;  // sent, not awaited

    detail::heartbeat_thread heartbeat_thread_;  // last: stopped before the parts it uses go
};

}  // namespace kafka::detail
