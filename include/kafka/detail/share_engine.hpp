// The engine behind KafkaShareConsumer (share_consumer.hpp): a share group's member (KIP-932) on
// the parts every consumer shares (the transport, the unsent-queue network client, metadata and its
// updater, the connection setup, the deserializer policies, the thread guard, the logger, the
// heartbeat thread), with the share group's own: share_membership (ShareGroupHeartbeat) and
// share_fetcher (ShareFetch/ShareAcknowledge, share sessions).
//
// The delivered records of the last poll are "in flight" until acknowledged: implicitly (every one
// accepted at the next poll or commit) or explicitly (acknowledge(); the next poll refuses to run
// while one is not). Acknowledgements go to the broker with the next ShareFetch, or at once with
// commitSync/commitAsync (ShareAcknowledge); what became of them reaches the acknowledgement
// commit callback on the user's thread (in poll, commitSync, commitAsync and close).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/consumer/share_fetcher.hpp>
#include <kafka/consumer/share_membership.hpp>
#include <kafka/detail/client_setup.hpp>
#include <kafka/detail/heartbeat_thread.hpp>
#include <kafka/detail/log_events.hpp>
#include <kafka/detail/logging.hpp>
#include <kafka/detail/metadata_updater.hpp>
#include <kafka/detail/policy_checks.hpp>
#include <kafka/detail/thread_guard.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/record.hpp>
#include <kafka/share_types.hpp>

namespace kafka {

namespace detail {

/// Settings Java's KafkaShareConsumer refuses, and those this one refuses because a share group has
/// no use for them: set, each is an error with the reason.
inline constexpr std::pair<std::string_view, std::string_view> share_refused_keys[] = {
    {"group.protocol", "a share group has its own protocol (ShareGroupHeartbeat)"},
    {"group.instance.id", "share groups have no static members"},
    {"group.remote.assignor", "the broker's group.share.assignors assigns share groups"},
    {"partition.assignment.strategy", "the broker assigns a share group's partitions"},
    {"session.timeout.ms", "the broker's group.share.session.timeout.ms applies"},
    {"heartbeat.interval.ms", "the broker's group.share.heartbeat.interval.ms applies"},
    {"auto.offset.reset",
     "a share group starts where its group config share.auto.offset.reset says (kafka-configs "
     "--entity-type groups)"},
    {"enable.auto.commit", "a share consumer acknowledges records instead of committing offsets"},
    {"auto.commit.interval.ms", "a share consumer acknowledges records instead of committing offsets"},
    {"isolation.level", "the broker's group config share.isolation.level applies"},
    {"max.partition.fetch.bytes", "ShareFetch has no per-partition limit; fetch.max.bytes bounds a fetch"},
    {"exclude.internal.topics", "a share consumer subscribes by topic names only"},
    {"metrics.sample.window.ms", "the share consumer keeps no metrics yet"},
    {"metrics.num.samples", "the share consumer keeps no metrics yet"},
    {"metrics.recording.level", "the share consumer keeps no metrics yet"},
};

template <class K, class V, class Policies>
class share_engine {
    using checked_transport = detail::checked_transport<typename Policies::transport>;

public:
    using transport_type = typename checked_transport::type;
    using key_deserializer = typename checked_deserializers<K, V, Policies>::key_deserializer;
    using value_deserializer = typename checked_deserializers<K, V, Policies>::value_deserializer;
    using clock = typename transport_type::clock_type;
    using time_point = typename clock::time_point;
    using records_type = ConsumerRecords<K, V>;

    share_engine(consumer_config config, key_deserializer kd, value_deserializer vd, transport_type transport)
        : config_(check(std::move(config))),
          key_deserializer_(std::move(kd)),
          value_deserializer_(std::move(vd)),
          transport_(std::move(transport)),
          client_(&io_, asio::any_io_executor(), transport_, client_options_from<Policies>(config_)),
          metadata_(config_.metadata_max_age(), config_.retry_backoff(), config_.retry_backoff_max()),
          log_(config_.client_id(), config_.group_id(), log_window_for<typename clock::duration>(config_)),
          metadata_updater_(client_, metadata_, log_, config_),
          membership_(client_, metadata_, membership_options_from(config_)),
          fetcher_(client_, metadata_, fetch_options_from(config_), membership_.member_id()),
          mode_(config_.share_acknowledgement_mode()) {
        configure_transport(transport_, config_);
        std::int32_t id = -1;
        for (auto const& [host, port] : config_.bootstrap_servers()) client_.set_node(id--, host, port);
        client_.on_disconnect([this](auto const& e) {
            if (e.node >= 0 && e.node < client::coordinator_node_base / 2) metadata_.request_update();
            log_disconnect(log_, e, transport_.now());
        });
        metadata_updater_.on_update([this](const protocol::MetadataResponse&) {
            for (auto const& t : membership_.subscription()) {
                auto tm = metadata_.topic(t);
                if (tm && tm->error == static_cast<std::int16_t>(errc::topic_authorization_failed))
                    throw kafka_error(make_error_code(errc::topic_authorization_failed),
                                      "not authorized to read topic '" + t + "'");
                log_metadata_problems(log_, t, tm, transport_.now());
            }
        });
    }
    share_engine(const share_engine&) = delete;
    share_engine& operator=(const share_engine&) = delete;

    ~share_engine() {
        heartbeat_thread_.stop();
        if (!guard_.closed()) {
            try {
                close(std::chrono::milliseconds(0));
            } catch (...) {
            }
        }
    }

    // ---- subscription -------------------------------------------------------------------

    void subscribe(const std::vector<std::string>& topics) {
        auto g = acquire();
        if (config_.group_id().value_or("").empty())
            throw kafka_error(make_error_code(errc::invalid_group_id),
                              "subscribe() needs group.id in the configuration: the share group to join");
        std::set<std::string> names;
        for (auto const& t : topics) {
            if (t.empty() || t.find_first_not_of(" \t") == std::string::npos)
                throw std::invalid_argument("subscribe(): a topic name is empty or blank");
            names.insert(t);
        }
        if (names.empty()) return unsubscribe_locked();
        membership_.subscribe(names);
        metadata_.set_topics(names);
        metadata_.request_update();
    }

    void unsubscribe() {
        auto g = acquire();
        unsubscribe_locked();
    }

    std::set<std::string> subscription() const {
        auto g = acquire();
        return membership_.subscription();
    }

    // ---- poll and acknowledgements --------------------------------------------------------

    records_type poll(std::chrono::milliseconds timeout) {
        auto g = acquire();
        throw_if_fatal();
        settle_previous_poll();
        failed_.clear();
        if (auto e = std::exchange(deferred_error_, nullptr)) {
            remember_failed(e);
            std::rethrow_exception(e);
        }
        if (membership_.subscription().empty()) throw illegal_state_error("Consumer is not subscribed to any topics.");
        ensure_heartbeat_thread();
        auto deadline = transport_.now() + timeout;
        if (!renewing_.empty() || !renewed_.empty()) return poll_renewed(deadline);
        std::vector<ConsumerRecord<K, V>> out;
        auto storage = std::make_shared<record_storage>();
        try {
            do {
                step(transport_.now(), true);
                collect(out, *storage);
                if (!out.empty()) break;
                wait_for_io(deadline, [&] { return !fetcher_.has_records(); });
                collect(out, *storage);
            } while (out.empty() && transport_.now() < deadline);
        } catch (const record_deserialization_error&) {
            if (out.empty()) {
                remember_failed(std::current_exception());
                throw;
            }
            deferred_error_ = std::current_exception();  // these records first, the error next poll
        } catch (...) {
            if (out.empty()) throw;
            deferred_error_ = std::current_exception();
        }
        return hand_out(std::move(out), std::move(storage));
    }

    /// `record`: the record itself, which a RENEW needs (the next poll returns it again).
    void acknowledge(const std::string& topic, std::int32_t partition, std::int64_t offset, acknowledge_type type,
                     const ConsumerRecord<K, V>* record = nullptr) {
        auto g = acquire();
        if (mode_ == share_acknowledgement_mode::implicit)
            throw illegal_state_error(
                "acknowledge(): implicit acknowledgement of delivery is being used (share.acknowledgement.mode="
                "implicit accepts every record at the next poll or commit); set share.acknowledgement.mode=explicit");
        topic_partition tp{topic, partition};
        if (failed_.count({tp, offset}) && type != acknowledge_type::renew) {
            fetcher_.acknowledge(tp, offset, static_cast<std::int8_t>(type));  // replaces its RELEASE
            failed_.erase({tp, offset});
            return;
        }
        auto p = delivered_.find(tp);
        if (p == delivered_.end() || !p->second.count(offset))
            throw illegal_state_error("acknowledge(): the record " + tp.to_string() + "@" + std::to_string(offset) +
                                      " cannot be acknowledged: the last poll() did not deliver it, or it was "
                                      "acknowledged and committed already");
        if (type == acknowledge_type::renew) {
            if (!fetcher_.renew_supported(tp))
                throw kafka_error(make_error_code(errc::unsupported_version),
                                  "acknowledge(RENEW) needs ShareAcknowledge v2 (Kafka 4.2 or newer); the broker "
                                  "that delivered " +
                                      tp.to_string() + " serves an older version");
            if (!record)
                throw illegal_state_error(
                    "acknowledge(topic, partition, offset, RENEW): a renewed record comes back from the next poll(), "
                    "which needs the record itself: use acknowledge(record, RENEW)");
            if constexpr (std::is_copy_constructible_v<ConsumerRecord<K, V>>) {
                p->second[offset] = true;
                if (auto a = acknowledged_.find(tp); a != acknowledged_.end()) a->second.erase(offset);
                renewing_[tp].insert_or_assign(offset, renewing_record{*record, last_storage_});
                return;
            } else {
                throw illegal_state_error(
                    "acknowledge(RENEW): the next poll returns a renewed record again, a copy of it, and this "
                    "consumer's key or value type cannot be copied");
            }
        }
        p->second[offset] = true;
        if (auto r = renewing_.find(tp); r != renewing_.end()) r->second.erase(offset);
        acknowledged_[tp].add(offset, static_cast<std::int8_t>(type));
    }

    std::map<topic_partition, std::error_code> commit_sync(std::chrono::milliseconds timeout) {
        auto g = acquire();
        settle_previous_poll(true);
        fetcher_.flush();
        auto deadline = transport_.now() + timeout;
        std::map<topic_partition, std::error_code> result;
        auto take = [&] {
            for (auto const& r : take_ack_results()) result[r.tp] = r.error;
        };
        do {  // at least once: commitSync(0) sends them
            step(transport_.now());
            client_.poll(clock::duration::zero());
            take();
            if (!fetcher_.acknowledgements_outstanding()) break;
            wait_for_io(deadline, [&] { return fetcher_.acknowledgements_outstanding(); });
        } while (fetcher_.acknowledgements_outstanding() && transport_.now() < deadline);
        take();
        run_ack_callbacks();
        if (fetcher_.acknowledgements_outstanding())
            throw timeout_error("commitSync(): the acknowledgements were not answered within " +
                                std::to_string(timeout.count()) + " ms");
        return result;
    }

    void commit_async() {
        auto g = acquire();
        settle_previous_poll(true);
        fetcher_.flush();
        step(transport_.now());
        client_.poll(clock::duration::zero());
        run_ack_callbacks();
    }

    void set_acknowledgement_commit_callback(acknowledgement_commit_callback cb) {
        auto g = acquire();
        ack_callback_ = std::move(cb);
    }

    // ---- the rest of Java's API -----------------------------------------------------------

    void wakeup() { client_.wakeup(); }

    void close(std::chrono::milliseconds timeout) {
        auto g = acquire(true);
        if (guard_.closed()) return;
        heartbeat_thread_.stop();
        auto deadline = transport_.now() + timeout;
        std::exception_ptr first;
        try {
            (void)client_.take_wakeup();
            // Explicit acknowledgements are sent; records delivered but not acknowledged are
            // released by the broker as the sessions close (an implicit consumer's last poll too).
            // Waits here ignore wakeup(), as Java's close does: the sessions close and the group is left.
            auto wait = [&](auto&& busy) {
                do client_.poll(std::max(clock::duration::zero(), deadline - transport_.now()), busy);
                while (busy() && transport_.now() < deadline);
                (void)client_.take_wakeup();
            };
            hand_over(false);
            fetcher_.close();
            while (!fetcher_.closed() && transport_.now() < deadline) {
                wait([&] { return fetcher_.has_in_flight(); });
                fetcher_.close();
            }
            auto leave = membership_.leave();
            client_.poll(clock::duration::zero());  // close(0) too writes what it can
            if (leave) wait([&] { return !leave->is_done(); });
            fetcher_.abandon();
            take_ack_results();
            run_ack_callbacks();
        } catch (...) {
            first = std::current_exception();
        }
        guard_.mark_closed();
        if (first) std::rethrow_exception(first);
    }

    std::string member_id() const {
        auto g = acquire(true);
        return membership_.member_id();
    }

    std::optional<std::chrono::milliseconds> acquisition_lock_timeout() const {
        auto g = acquire(true);
        return fetcher_.acquisition_lock_timeout();
    }

    std::chrono::milliseconds default_api_timeout() const { return config_.default_api_timeout(); }

    void set_log_handler(std::function<void(log_level, const std::string&)> handler) {
        auto g = acquire(true);
        bool first = !log_.enabled();
        log_.set_sink(std::move(handler));
        if (first)
            for (auto const& w : config_.warnings()) log_.log(log_level::warn, w);
    }

    /// The parts, for tests.
    const engine::share_membership<transport_type>& membership() const noexcept { return membership_; }
    const engine::share_fetcher<transport_type>& fetcher() const noexcept { return fetcher_; }
    transport_type& transport() noexcept { return transport_; }

private:
    detail::thread_guard::scope acquire(bool allow_closed = false) const {
        if (in_callback_.load(std::memory_order_relaxed))
            throw illegal_state_error(
                "KafkaShareConsumer methods are not accessible from the acknowledgement commit callback");
        return guard_.acquire(allow_closed);
    }

    static consumer_config check(consumer_config c) {
        for (auto const& [key, why] : share_refused_keys)
            if (c.is_set(key))
                throw config_error(
                    std::string(key),
                    std::string(key) + " does not apply to a share consumer (KafkaShareConsumer): " + std::string(why));
        return c;
    }

    static engine::share_group_options membership_options_from(const consumer_config& c) {
        engine::share_group_options o;
        o.group_id = c.group_id().value_or("");
        if (!c.client_rack().empty()) o.client_rack = c.client_rack();
        o.max_poll_interval = c.max_poll_interval();
        o.retry_backoff = c.retry_backoff();
        o.retry_backoff_max = c.retry_backoff_max();
        return o;
    }

    static engine::share_fetch_options fetch_options_from(const consumer_config& c) {
        engine::share_fetch_options o;
        o.group_id = c.group_id().value_or("");
        o.min_bytes = c.fetch_min_bytes();
        o.max_bytes = c.fetch_max_bytes();
        o.max_wait = c.fetch_max_wait();
        o.max_records = c.max_poll_records();
        o.acquire_mode = c.share_acquire_mode();
        o.check_crcs = c.check_crcs();
        o.retry_backoff = c.retry_backoff();
        o.retry_backoff_max = c.retry_backoff_max();
        return o;
    }

    void unsubscribe_locked() {
        settle_previous_poll(true);
        hand_over(false);
        if (auto f = membership_.leave()) (void)f;
        metadata_.set_topics({});
        fetcher_.drop_unassigned({});
    }

    // What the previous poll delivered: implicit mode accepts it all; explicit mode needs every
    // record acknowledged first (`committing`: commitSync/commitAsync take what was acknowledged
    // and leave the rest in flight, as Java's).
    void settle_previous_poll(bool committing = false) {
        if (mode_ == share_acknowledgement_mode::implicit) {
            for (auto& [tp, offsets] : delivered_)
                for (auto& [offset, acked] : offsets)
                    if (!acked) acknowledged_[tp].add(offset, static_cast<std::int8_t>(acknowledge_type::accept));
            delivered_.clear();
        } else if (!committing) {
            for (auto const& [tp, offsets] : delivered_)
                for (auto const& [offset, acked] : offsets)
                    if (!acked)
                        throw illegal_state_error(
                            "All records must be acknowledged in explicit acknowledgement mode (" + tp.to_string() +
                            "@" + std::to_string(offset) + " was not).");
            delivered_.clear();
        } else {
            for (auto& [tp, offsets] : delivered_) std::erase_if(offsets, [](auto const& e) { return e.second; });
            std::erase_if(delivered_, [](auto const& e) { return e.second.empty(); });
        }
        hand_over(true);
    }

    // Hands the acknowledgements (and renewals, unless `with_renewals` is false: closing) to the fetcher.
    void hand_over(bool with_renewals) {
        for (auto const& [tp, acks] : acknowledged_)
            for (auto const& [offset, type] : acks.entries()) fetcher_.acknowledge(tp, offset, type);
        acknowledged_.clear();
        for (auto& [tp, records] : renewing_)
            for (auto& [offset, r] : records)
                if (with_renewals && !r.sent) {
                    fetcher_.acknowledge(tp, offset, static_cast<std::int8_t>(acknowledge_type::renew));
                    r.sent = true;
                }
        if (!with_renewals) {
            renewing_.clear();
            renewed_.clear();
        }
    }

    // What became of acknowledgements since the last call: renewals settled, kept for the
    // callback; returns them.
    std::vector<engine::share_ack_result> take_ack_results() {
        auto results = fetcher_.take_ack_results();
        for (auto const& r : results) {
            on_renewals(r);
            ack_results_.push_back(r);
        }
        return results;
    }

    // Renewals the broker answered: granted ones come back from the next poll (Java's renewed
    // records); a refused one is gone from this member (its lock may have expired), and says so.
    void on_renewals(const engine::share_ack_result& r) {
        auto it = renewing_.find(r.tp);
        if (it == renewing_.end()) return;
        for (auto offset : r.offsets) {
            auto rec = it->second.find(offset);
            if (rec == it->second.end() || !rec->second.sent) continue;
            if (r.error)
                log_.log(log_level::warn, "the renewal of " + r.tp.to_string() + "@" + std::to_string(offset) +
                                              " failed (" + r.error.message() +
                                              "): the record is no longer this member's to acknowledge");
            else
                renewed_.push_back(std::move(rec->second));
            it->second.erase(rec);
        }
        if (it->second.empty()) renewing_.erase(it);
    }

    // The records of a poll become the user's: in flight until acknowledged. From here nothing may
    // throw before they are returned (an error is kept for the next call).
    records_type hand_out(std::vector<ConsumerRecord<K, V>> out, std::shared_ptr<record_storage> storage) {
        mark_in_flight(out);
        if (!out.empty()) last_storage_ = storage;
        try {
            // No fetch ahead (as Java's share consumer): records acquired now would sit under their
            // locks while the user works on these. What is queued (a GAP, say) goes with the next.
            client_.poll(clock::duration::zero());
            run_ack_callbacks();
        } catch (...) {
            if (out.empty()) throw;
            if (!deferred_error_) deferred_error_ = std::current_exception();
        }
        return records_type(std::move(out), std::move(storage));
    }

    // A poll's records are in flight until acknowledged. One partition's records are consecutive, so
    // the partition's entry is looked up once per run, not once per record.
    void mark_in_flight(const std::vector<ConsumerRecord<K, V>>& out) {
        std::map<std::int64_t, bool>* offsets = nullptr;
        const std::string* topic = nullptr;
        std::int32_t partition = -1;
        for (auto const& r : out) {
            if (&r.topic() != topic || r.partition() != partition) {
                topic = &r.topic();
                partition = r.partition();
                offsets = &delivered_[{*topic, partition}];
            }
            (*offsets)[r.offset()] = false;
        }
    }

    // A record the deserializer refused was released; in explicit mode it may still be
    // acknowledged (REJECT, say) by topic, partition and offset until the next poll, as Java's.
    void remember_failed(std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const record_deserialization_error& d) {
            failed_.insert({d.partition(), d.offset()});
        } catch (...) {
        }
    }

    // A poll while records are being renewed returns them once the broker granted the renewals
    // (nothing new is fetched meanwhile, as Java's), or nothing when `deadline` comes first.
    records_type poll_renewed(time_point deadline) {
        while (!renewing_.empty() && transport_.now() < deadline) {
            step(transport_.now());
            if (renewing_.empty()) break;
            wait_for_io(deadline, [&] { return !renewing_.empty(); });
        }
        run_ack_callbacks();
        std::vector<ConsumerRecord<K, V>> out;
        auto storage = std::make_shared<record_storage>();
        for (auto& r : renewed_) {
            if (r.storage) storage->buffers.push_back(r.storage);  // the records' bytes and topic names
            out.push_back(std::move(r.record));
        }
        renewed_.clear();
        mark_in_flight(out);
        if (!out.empty()) last_storage_ = storage;
        return records_type(std::move(out), std::move(storage));
    }

    // One round of upkeep: metadata, the membership, the fetcher's requests. Only poll() fetches
    // (`fetch`): records acquired from a commit would sit locked until the next poll.
    void step(time_point now, bool fetch = false) {
        metadata_updater_.maybe_update(now);
        membership_.poll(now);
        throw_if_fatal();
        fetcher_.drop_unassigned(membership_.assignment());
        fetcher_.send(membership_.assignment(), fetch);
        take_ack_results();
    }

    void throw_if_fatal() {
        auto f = membership_.take_fatal();
        if (!f) f = fetcher_.take_fatal();
        if (f) {
            log_.log(log_level::error, f->what + ": " + f->code.message());
            throw_error(*f);
        }
        if (auto a = client_.take_authentication_failure()) throw_error(*a);
    }

    void collect(std::vector<ConsumerRecord<K, V>>& out, record_storage& storage) {
        auto max = static_cast<std::size_t>(config_.max_poll_records());
        if (out.size() >= max) return;
        if (out.capacity() == 0) out.reserve(std::min<std::size_t>(max, 65536));  // one allocation per poll
        // A record the deserializer refuses is released by the fetcher (the broker delivers it
        // again) and the error goes to poll(), which returns what came before it first.
        fetcher_.collect(
            max - out.size(), storage,
            [&](const std::string* topic, std::int32_t partition, const record_view& r, std::int16_t delivery_count) {
                out.emplace_back(topic, partition, r, deserialize_key(*topic, partition, r),
                                 deserialize_value(*topic, partition, r), delivery_count);
            });
    }

    static constexpr const char* released =
        "it was released: the broker delivers it again until the group's delivery limit archives it; in explicit "
        "mode acknowledge(topic, partition, offset, REJECT) drops it now";
    K deserialize_key(const std::string& topic, std::int32_t partition, const record_view& r) {
        return deserialize_part(key_deserializer_, topic, partition, r, true, released);
    }
    V deserialize_value(const std::string& topic, std::int32_t partition, const record_view& r) {
        return deserialize_part(value_deserializer_, topic, partition, r, false, released);
    }

    // Waits for I/O until `deadline`, `keep_waiting()` turns false, or upkeep is due.
    template <class Cond>
    void wait_for_io(time_point deadline, Cond&& keep_waiting) {
        auto now = transport_.now();
        auto left = deadline - now;
        if (left < clock::duration::zero()) left = clock::duration::zero();
        left = std::min(left, membership_.time_to_next_heartbeat(now));
        if (metadata_.has_topics_to_fetch())
            left = std::min(
                left, std::max(metadata_.time_to_next_update(now),
                               std::chrono::duration_cast<typename clock::duration>(std::chrono::milliseconds(1))));
        if (auto retry = fetcher_.time_to_retry(now)) left = std::min(left, *retry);
        poll_io(left, [&] { return keep_waiting(); });
        if (auto f = client_.take_authentication_failure()) throw_error(*f);
    }

    void poll_io(typename clock::duration d, const std::function<bool()>& keep_waiting = {}) {
        client_.poll(d, keep_waiting);
        if (client_.take_wakeup()) throw wakeup_error();
    }

    // The acknowledgement commit callback, on the user's thread; it may not call the consumer
    // (Java's rule: acquire() refuses while it runs).
    void run_ack_callbacks() {
        auto results = std::exchange(ack_results_, {});
        for (auto const& r : results) {
            if (r.error)
                log_.log(log_level::warn, "acknowledgements of " + r.tp.to_string() + " failed: " + r.error.message() +
                                              (r.message.empty() ? "" : " (" + r.message + ")"));
            if (!ack_callback_) continue;
            in_callback_ = true;
            try {
                ack_callback_({{r.tp, r.offsets}}, r.error);
            } catch (...) {
                in_callback_ = false;
                throw;
            }
            in_callback_ = false;
        }
    }

    static constexpr bool background_heartbeat_enabled() {
        if constexpr (requires { Policies::background_heartbeat; })
            return Policies::background_heartbeat;
        else
            return true;
    }
    void ensure_heartbeat_thread() {
        if constexpr (background_heartbeat_enabled())
            heartbeat_thread_.start(std::chrono::milliseconds(100), guard_.mutex(), [this] {
                membership_.heartbeat_tick(transport_.now());
                client_.poll(clock::duration::zero());
            });
    }

    consumer_config config_;
    key_deserializer key_deserializer_;
    value_deserializer value_deserializer_;
    asio::io_context io_;
    transport_type transport_;
    client::network_client<transport_type> client_;
    client::basic_metadata<clock> metadata_;
    detail::consumer_logger<clock> log_;
    detail::metadata_updater<transport_type> metadata_updater_;
    engine::share_membership<transport_type> membership_;
    engine::share_fetcher<transport_type> fetcher_;
    share_acknowledgement_mode mode_;
    detail::thread_guard guard_;

    // The last poll's records: offset -> acknowledged (explicit mode) by partition.
    std::map<topic_partition, std::map<std::int64_t, bool>> delivered_;
    std::map<topic_partition, engine::share_acknowledgements> acknowledged_;  // not handed over yet
    struct renewing_record {
        ConsumerRecord<K, V> record;
        std::shared_ptr<record_storage> storage;  // what its views point into
        bool sent = false;                        // the RENEW handed to the fetcher
    };
    std::map<topic_partition, std::map<std::int64_t, renewing_record>> renewing_;  // asked for, not yet answered
    std::vector<renewing_record> renewed_;          // granted: the next poll returns them
    std::shared_ptr<record_storage> last_storage_;  // of the last poll that returned records
    std::exception_ptr deferred_error_;             // met after records were collected: the next poll throws it
    std::set<std::pair<topic_partition, std::int64_t>> failed_;  // refused by the deserializer in the last poll
    std::atomic<bool> in_callback_{false};                       // read before the guard is taken
    std::vector<engine::share_ack_result> ack_results_;          // for the callback
    acknowledgement_commit_callback ack_callback_;

    detail::heartbeat_thread heartbeat_thread_;  // last: stopped before the parts it uses go
};

}  // namespace detail
}  // namespace kafka
