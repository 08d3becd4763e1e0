// The fetcher (Java's Fetcher with its FetchBuffer/FetchCollector/CompletedFetch).
//
// send_fetches() builds one Fetch request per leader for the partitions that
// are fetchable and have nothing buffered, or exactly one buffered fetch whose
// end is known: those are fetched ahead, from the offset after its last batch,
// so the next data is on its way while the user drains the current one (the
// broker round trip overlaps the user's work; at most two fetches per
// partition are held). One Fetch is in flight per leader. Responses land,
// still undecoded, in a queue of completed fetches (a frame each, shared, so
// record views stay valid). collect() drains that queue: it checks each
// partition is still assigned, unpaused and at the position the fetch was
// sent for (otherwise the data is dropped: no record of a revoked, paused or
// seeked partition reaches the user), decodes batches lazily, filters control
// records and aborted transactions, hands each record to a sink, and advances
// the position. It stops at max.poll.records; what is left stays buffered for
// the next poll.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include <kafka/client/backoff.hpp>
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/fetch_session.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/protocol/messages/list_offsets.hpp>
#include <kafka/protocol/record_batch.hpp>
#include <kafka/record.hpp>

namespace kafka {

namespace engine {

struct fetch_options {
    std::int32_t min_bytes = 1;
    std::int32_t max_bytes = 52428800;
    std::chrono::milliseconds max_wait{500};
    std::int32_t max_partition_bytes = 1048576;
    isolation_level isolation = isolation_level::read_uncommitted;
    bool check_crcs = true;
    std::string client_rack;
    std::chrono::milliseconds reset_by_duration{0};      // auto.offset.reset=by_duration:<d>
    std::chrono::milliseconds retry_backoff{100};        // before retrying a failed ListOffsets or Fetch,
    std::chrono::milliseconds retry_backoff_max{1000};   // doubled per failure in a row up to this
    std::chrono::milliseconds metadata_max_age{300000};  // how long a preferred read replica is followed
};

/// Per-partition fetch statistics, for lag and rate metrics.
struct fetch_stats {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t fetch_requests = 0;
    std::uint64_t fetch_responses = 0;
};

template <transport Transport>
class fetcher {
public:
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<typename Transport::clock_type>;
    using time_point = typename Transport::clock_type::time_point;

    fetcher(client_type& client, metadata_type& metadata, subscription_state& subs, fetch_options opts)
        : client_(client), metadata_(metadata), subs_(subs), opts_(std::move(opts)) {}

    const fetch_options& options() const noexcept { return opts_; }
    const fetch_stats& stats() const noexcept { return stats_; }
    /// Told of offset resets: (true, why) when a fetch position was out of range, (false, what)
    /// when a reset moved a position (the consumer logs them, as Java does).
    void set_reset_observer(std::function<void(bool, const std::string&)> f) { reset_observer_ = std::move(f); }

    /// One Fetch per broker (the leader, or the replica the leader prefers: KIP-392) for fetchable
    /// partitions with nothing buffered, or one buffered fetch to fetch ahead of. Each broker's
    /// request goes through its fetch session (KIP-227). Returns the number of requests queued.
    int send_fetches() {
        std::map<std::int32_t, fetch_session::partitions> wanted;
        std::map<std::int32_t, std::vector<sent_partition>> sent;
        auto buffered = buffered_partitions();
        auto now = client_.now();
        for (auto const& tp : subs_.fetchable_partitions()) {
            auto pos = *subs_.position(tp);
            // The epoch of the last record before the fetch offset: the broker compares it with its
            // log and answers with the point where the logs diverge if they do (KIP-320).
            std::int32_t last_epoch = pos.leader_epoch.value_or(-1);
            if (auto b = buffered.find(tp); b != buffered.end()) {
                auto ahead = fetch_ahead_offset(b->second);
                if (!ahead) continue;
                pos.offset = *ahead;
                last_epoch = b->second.front()->end_epoch;
            }
            auto leader = metadata_.leader(tp);
            if (!leader) {
                metadata_.request_update();
                continue;
            }
            auto node = read_replica(tp, *leader, now);
            if (in_flight_.count(node) || backing_off(node, now)) continue;
            fetch_session::partition_data d;
            d.topic_id = metadata_.topic_id(tp.topic);
            d.fetch_offset = pos.offset;
            // Fencing uses the leader epoch metadata knows now (not the epoch of the last record:
            // after a failover that one is older, and the new leader would fence us forever).
            auto meta = metadata_.partition(tp);
            d.current_leader_epoch = meta ? meta->leader_epoch : -1;
            d.last_fetched_epoch = last_epoch;
            d.max_bytes = opts_.max_partition_bytes;
            wanted[node].emplace(tp, d);
            sent[node].push_back({tp, subs_.seek_epoch(tp), pos.offset});
        }
        int n = 0;
        for (auto& [node, parts] : wanted) {
            protocol::FetchRequest req;
            req.replica_id = -1;
            req.max_wait_ms = static_cast<std::int32_t>(opts_.max_wait.count());
            req.min_bytes = opts_.min_bytes;
            req.max_bytes = opts_.max_bytes;
            req.isolation_level = static_cast<std::int8_t>(opts_.isolation);
            req.rack_id = opts_.client_rack;
            // Versions 13+ name topics by id: a topic without a known id cannot use them.
            bool all_ids =
                std::all_of(parts.begin(), parts.end(), [](auto const& p) { return !p.second.topic_id.is_zero(); });
            protocol::versions allowed = protocol::FetchRequest::valid;
            if (!all_ids) allowed.hi = 12;
            auto version = client_.version_for(node, protocol::FetchRequest::api_key, allowed);
            std::optional<std::int16_t> forced;
            if (!all_ids) forced = version ? *version : std::int16_t{12};
            auto& session = sessions_[node];
            session.build(std::move(parts), version, req);
            in_flight_.insert(node);
            ++stats_.fetch_requests;
            auto fut = client_.send(node, std::move(req), forced);
            fut.add_listener([this, node = node, partitions = std::move(sent[node])](auto& f) {
                in_flight_.erase(node);
                auto& s = sessions_[node];
                if (f.failed()) {
                    // Disconnected, timed out, or refused before it was sent (no Fetch version both
                    // sides serve): the leader may have moved, the replica may be gone. The node
                    // waits out a growing backoff, or a failure that needs no network would be
                    // retried at once, again and again.
                    s.on_failure();
                    for (auto const& p : partitions) clear_read_replica(p.tp);
                    metadata_.request_update();
                    back_off(fetch_backoff_[node]);
                    return;
                }
                fetch_backoff_.erase(node);
                ++stats_.fetch_responses;
                if (!s.on_response(f.value().body.error_code, f.value().body.session_id)) {
                    metadata_.request_update();
                    return;
                }
                on_response(f.value(), partitions);
            });
            ++n;
        }
        return n;
    }

    /// The replica partition `tp` is read from when the leader asked for another one (KIP-392),
    /// -1 when read from its leader.
    std::int32_t preferred_read_replica(const topic_partition& tp) const {
        auto it = preferred_.find(tp);
        return it == preferred_.end() || client_.now() >= it->second.expires ? -1 : it->second.node;
    }

    /// The broker's fetch session with a node (tests, metrics).
    const fetch_session* session(std::int32_t node) const {
        auto it = sessions_.find(node);
        return it == sessions_.end() ? nullptr : &it->second;
    }

    bool has_in_flight() const noexcept { return !in_flight_.empty(); }
    bool has_completed_fetches() const noexcept { return !completed_.empty(); }

    /// Until the first node whose last Fetch failed may be fetched from again; nullopt when none waits.
    std::optional<typename client_type::duration> time_to_fetch_retry(time_point now) const {
        std::optional<typename client_type::duration> soonest;
        for (auto const& [node, b] : fetch_backoff_)
            if (b.until > now && (!soonest || b.until - now < *soonest)) soonest = b.until - now;
        return soonest;
    }

    /// Drops buffered data of partitions no longer assigned (after a rebalance).
    void drop_unassigned() {
        std::erase_if(completed_, [&](auto const& c) { return !subs_.is_assigned(c->tp); });
        std::erase_if(preferred_, [&](auto const& e) { return !subs_.is_assigned(e.first); });
    }

    /// Drains up to `max_records` records into `sink(const std::string* topic, partition, record_view, storage)`.
    /// Errors, as Java's FetchCollector has them: one met after records were handed to the sink
    /// in this call (a fetch error without a reset policy, corrupt data, the sink refusing a record
    /// on a deserialization failure) is held back: collect returns, and the next call meets it
    /// again and throws it. So no record is consumed and then lost with the exception. The position
    /// covers what was returned and stays on a record that failed. An errored fetch without
    /// records is dropped as its error is thrown, so that the partition is fetched again instead
    /// of the same error coming back forever.
    template <class Sink>
    std::size_t collect(std::size_t max_records, record_storage& storage, Sink&& sink) {
        std::size_t n = 0;
        std::vector<std::pair<const std::string*, std::int32_t>> runs;  // the partitions handed over, in order
        while (n < max_records && !completed_.empty()) {
            auto& cf = *completed_.front();
            if (!cf.initialized) {
                bool usable = false;
                try {
                    usable = initialize(cf);
                } catch (...) {
                    if (n > 0) return n;
                    if (cf.records.empty()) completed_.pop_front();
                    throw;
                }
                if (!usable) {
                    completed_.pop_front();
                    continue;
                }
            }
            if (!still_valid(cf)) {
                completed_.pop_front();
                continue;
            }
            if (cf.storage_id != storage.id) {
                // Records returned from this fetch by this poll point into its frame and into the
                // batch being decoded: this poll's records must keep both alive.
                storage.buffers.push_back(cf.frame);
                if (cf.current_scratch) storage.buffers.push_back(cf.current_scratch);
                cf.topic_name = storage.intern(cf.tp.topic);
                cf.storage_id = storage.id;
            }
            // One run per partition in what one collect hands over (ConsumerRecords::records(tp)
            // is a subrange): a partition's fetched-ahead data queued behind another partition's
            // fetch waits for the next collect instead of starting a second run.
            std::pair run{cf.topic_name, cf.tp.partition};
            if (runs.empty() || runs.back() != run) {
                if (std::find(runs.begin(), runs.end(), run) != runs.end()) return n;
                runs.push_back(run);
            }
            try {
                drain(cf, max_records, n, storage, sink);
            } catch (...) {
                // The position covers what was returned before the failure and stays on it: the
                // next collect meets the same failure (a refused record is offered again).
                subs_.advance(cf.tp, {cf.next_offset, cf.last_epoch});
                if (n > 0) return n;
                throw;
            }
            if (cf.exhausted) {
                subs_.advance(cf.tp, {cf.next_offset, cf.last_epoch});
                completed_.pop_front();
            } else {
                subs_.advance(cf.tp, {cf.next_offset, cf.last_epoch});
            }
        }
        return n;
    }

    /// ListOffsets for partitions awaiting a reset (earliest/latest); none -> throws offset_out_of_range_error.
    void reset_offsets_if_needed() {
        if (client_.now() < resets_backoff_.until) return;
        auto parts = subs_.partitions_needing_reset();
        std::map<topic_partition, std::int64_t> no_policy;
        std::map<std::int32_t, std::vector<topic_partition>> by_leader;
        for (auto const& tp : parts) {
            auto s = subs_.pending_reset(tp);
            if (!s) continue;
            if (*s == offset_reset_strategy::none) {
                no_policy[tp] = -1;
                continue;
            }
            if (resets_in_flight_.count(tp)) continue;
            auto leader = metadata_.leader(tp);
            if (!leader) {
                metadata_.request_update();
                continue;
            }
            by_leader[*leader].push_back(tp);
        }
        if (!no_policy.empty())
            throw offset_out_of_range_error(no_policy, "no committed offset and auto.offset.reset=none for partitions");
        for (auto& [node, tps] : by_leader) {
            std::map<topic_partition, std::int64_t> query;
            for (auto const& tp : tps) {
                query[tp] = reset_timestamp(*subs_.pending_reset(tp));
                resets_in_flight_.insert(tp);
            }
            auto epochs = std::map<topic_partition, std::uint64_t>{};
            for (auto const& tp : tps) epochs[tp] = subs_.seek_epoch(tp);
            list_offsets(node, query).add_listener([this, tps = tps, epochs](auto& f) {
                for (auto const& tp : tps) resets_in_flight_.erase(tp);
                if (f.failed()) {
                    metadata_.request_update();
                    back_off(resets_backoff_);  // as Java, not at once
                    return;
                }
                bool failed = false;
                for (auto const& [tp, r] : f.value()) {
                    // A partition the request did not ask for (a confused broker) is not believed.
                    auto asked = epochs.find(tp);
                    if (asked == epochs.end() || !subs_.is_assigned(tp) || subs_.seek_epoch(tp) != asked->second ||
                        !subs_.pending_reset(tp))
                        continue;
                    if (r.error) {
                        metadata_.request_update();
                        failed = true;
                        continue;
                    }
                    // by_duration: no record that recent means the end of the log, as Java resets.
                    if (r.offset < 0) {
                        subs_.request_reset(tp, offset_reset_strategy::latest);
                        continue;
                    }
                    subs_.seek(tp, {r.offset, r.leader_epoch});
                    if (reset_observer_)
                        reset_observer_(false, "reset the offset of partition " + tp.to_string() + " to " +
                                                   std::to_string(r.offset));
                }
                if (failed)
                    back_off(resets_backoff_);
                else
                    resets_backoff_.failures = 0;
            });
        }
    }

    static constexpr std::int64_t latest_timestamp = -1;
    static constexpr std::int64_t earliest_timestamp = -2;

    struct offset_result {
        std::int64_t offset = -1;
        std::int64_t timestamp = -1;
        std::optional<std::int32_t> leader_epoch;
        std::error_code error;
    };

    /// ListOffsets to one broker; the future maps each partition to its offset (or error).
    client::request_future<std::map<topic_partition, offset_result>> list_offsets(
        std::int32_t node, const std::map<topic_partition, std::int64_t>& timestamps) {
        protocol::ListOffsetsRequest req;
        req.replica_id = -1;
        req.isolation_level = static_cast<std::int8_t>(opts_.isolation);
        for (auto const& [tp, ts] : timestamps) {
            auto it = std::find_if(req.topics.begin(), req.topics.end(),
                                   [&topic = tp.topic](auto const& t) { return t.name == topic; });
            if (it == req.topics.end()) {
                req.topics.push_back({});
                it = std::prev(req.topics.end());
                it->name = tp.topic;
            }
            protocol::ListOffsetsRequest::ListOffsetsPartition p;
            p.partition_index = tp.partition;
            p.timestamp = ts;
            if (auto meta = metadata_.partition(tp)) p.current_leader_epoch = meta->leader_epoch;
            it->partitions.push_back(p);
        }
        return client_.send(node, std::move(req)).template then<std::map<topic_partition, offset_result>>([](auto& r) {
            std::map<topic_partition, offset_result> out;
            for (auto const& t : r.body.topics)
                for (auto const& p : t.partitions) {
                    offset_result o;
                    if (p.error_code) o.error = make_error_code(static_cast<errc>(p.error_code));
                    o.offset =
                        r.version == 0 ? (p.old_style_offsets.empty() ? -1 : p.old_style_offsets.front()) : p.offset;
                    o.timestamp = p.timestamp;
                    if (p.leader_epoch >= 0) o.leader_epoch = p.leader_epoch;
                    out[{t.name, p.partition_index}] = o;
                }
            return out;
        });
    }

private:
    // Failed attempts in a row (ListOffsets resets; a node's Fetches) and when the next may go:
    // retry.backoff.ms doubled per failure up to retry.backoff.max.ms.
    struct retry_state {
        time_point until{};
        int failures = 0;
    };
    void back_off(retry_state& r) { r.until = client_.now() + retry_backoff_.after(r.failures++); }
    bool backing_off(std::int32_t node, time_point now) const {
        auto it = fetch_backoff_.find(node);
        return it != fetch_backoff_.end() && now < it->second.until;
    }

    struct read_replica_lease {
        std::int32_t node = -1;
        typename Transport::clock_type::time_point expires{};
    };

    // Java's selectReadReplica: the preferred replica while its lease lasts and metadata knows the
    // node, else the leader.
    std::int32_t read_replica(const topic_partition& tp, std::int32_t leader,
                              typename Transport::clock_type::time_point now) {
        auto it = preferred_.find(tp);
        if (it == preferred_.end()) return leader;
        if (now >= it->second.expires || !metadata_.brokers().count(it->second.node)) {
            preferred_.erase(it);
            metadata_.request_update();
            return leader;
        }
        return it->second.node;
    }

    /// Forgets the replica `tp` was read from; true if there was one.
    bool clear_read_replica(const topic_partition& tp) { return preferred_.erase(tp) > 0; }

    // KIP-320: the broker's log does not hold what this consumer read before its position (an
    // unclean leader election or a seek with a stale epoch). As Java's maybeCompleteValidation.
    void on_diverging(const topic_partition& tp, const protocol::FetchResponse::EpochEndOffset& d) {
        auto pos = *subs_.position(tp);
        bool known = d.epoch >= 0 && d.end_offset >= 0;
        if (known && d.end_offset >= pos.offset) {
            // The broker's log holds the position under an older epoch: nothing was lost; fetch on
            // with the epoch the broker knows.
            subs_.seek(tp, {pos.offset, d.epoch});
            return;
        }
        if (subs_.default_reset() == offset_reset_strategy::none) {
            std::map<topic_partition, offset_and_metadata> divergent;
            if (known) divergent[tp] = offset_and_metadata{d.end_offset, "", d.epoch};
            throw log_truncation_error({{tp, pos.offset}}, std::move(divergent));
        }
        if (known) {
            subs_.seek(tp, {d.end_offset, d.epoch});
            if (reset_observer_)
                reset_observer_(true,
                                "truncation detected for partition " + tp.to_string() + " at offset " +
                                    std::to_string(pos.offset) + "; resetting to the first offset known to diverge, " +
                                    std::to_string(d.end_offset) + " (leader epoch " + std::to_string(d.epoch) + ")");
        } else {
            subs_.request_reset(tp, subs_.default_reset());
            if (reset_observer_)
                reset_observer_(true, "truncation detected for partition " + tp.to_string() + " at offset " +
                                          std::to_string(pos.offset) +
                                          " with no common point; resetting it (auto.offset.reset)");
        }
    }

    std::int64_t reset_timestamp(offset_reset_strategy s) const {
        switch (s) {
            case offset_reset_strategy::earliest:
                return earliest_timestamp;
            case offset_reset_strategy::by_duration: {
                auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch());
                return (now - opts_.reset_by_duration).count();
            }
            default:
                return latest_timestamp;
        }
    }

    struct aborted_txn {
        std::int64_t producer_id;
        std::int64_t first_offset;
        bool operator>(const aborted_txn& o) const noexcept { return first_offset > o.first_offset; }
    };

    struct completed_fetch {
        topic_partition tp;
        std::int64_t fetch_offset = 0;
        std::uint64_t seek_epoch = 0;
        client::frame_ptr frame;
        std::int16_t error = 0;
        std::int64_t high_watermark = -1;
        std::int64_t last_stable_offset = -1;
        std::int64_t log_start_offset = -1;
        bytes_view records;
        std::optional<std::int64_t> end_offset;  // after the last complete batch (fetch-ahead point)
        std::int32_t end_epoch = -1;             // that batch's leader epoch (the ahead fetch's last epoch)
        std::optional<protocol::FetchResponse::EpochEndOffset> diverging;  // KIP-320: where the logs part
        std::priority_queue<aborted_txn, std::vector<aborted_txn>, std::greater<>> aborted;
        std::set<std::int64_t> aborted_producers;

        bool initialized = false;
        std::uint64_t storage_id = 0;
        std::shared_ptr<const byte_buffer> current_scratch;  // decompressed bytes of the current batch
        bool exhausted = false;
        const std::string* topic_name = nullptr;
        std::optional<protocol::record_set_reader> reader;
        protocol::decoded_batch batch;
        std::optional<protocol::record_cursor> cursor;
        std::optional<record_view> retry;  // a record the sink threw on, to offer again
        bool skip_batch = false;
        std::int64_t next_offset = 0;
        std::optional<std::int32_t> last_epoch;
    };

    struct sent_partition {
        topic_partition tp;
        std::uint64_t seek_epoch;
        std::int64_t fetch_offset;
    };

    /// The buffered fetches of each partition that has any.
    std::map<topic_partition, std::vector<const completed_fetch*>> buffered_partitions() const {
        std::map<topic_partition, std::vector<const completed_fetch*>> out;
        for (auto const& c : completed_) out[c->tp].push_back(c.get());
        return out;
    }

    /// Where to fetch ahead of a partition's buffered data: after its last complete batch, when
    /// exactly one fetch is buffered, it holds records and no error, and at least half of its bytes
    /// have been decoded (so the next data arrives as this runs out, and a partition holds at most
    /// about one and a half fetches' worth). A seek meanwhile changes the seek epoch and the ahead
    /// data is dropped on arrival; a position that ends up elsewhere makes initialize() drop it.
    static std::optional<std::int64_t> fetch_ahead_offset(const std::vector<const completed_fetch*>& held) {
        if (held.size() != 1) return std::nullopt;
        auto const& cf = *held.front();
        if (cf.error != 0 || !cf.end_offset || *cf.end_offset <= cf.fetch_offset) return std::nullopt;
        if (!cf.reader || cf.reader->remaining().size() * 2 > cf.records.size()) return std::nullopt;
        return cf.end_offset;
    }

    void on_response(client::response<protocol::FetchResponse>& r, const std::vector<sent_partition>& sent) {
        auto sent_as = [&](const topic_partition& tp) -> const sent_partition* {
            for (auto const& s : sent)
                if (s.tp == tp) return &s;
            return nullptr;
        };
        if (r.body.error_code != 0) {
            metadata_.request_update();
            return;
        }
        for (auto& t : r.body.responses) {
            std::string name = t.topic;
            if (r.version >= 13) {
                auto n = metadata_.topic_name(t.topic_id);
                if (!n) {
                    metadata_.request_update();
                    continue;
                }
                name = *n;
            }
            for (auto& p : t.partitions) {
                topic_partition tp{name, p.partition_index};
                auto how = sent_as(tp);
                if (!how || !subs_.is_assigned(tp) || subs_.seek_epoch(tp) != how->seek_epoch) continue;
                auto cf = std::make_unique<completed_fetch>();
                cf->tp = tp;
                cf->fetch_offset = how->fetch_offset;
                cf->seek_epoch = how->seek_epoch;
                cf->frame = r.frame;
                cf->error = p.error_code;
                cf->high_watermark = p.high_watermark;
                cf->last_stable_offset = p.last_stable_offset;
                cf->log_start_offset = p.log_start_offset;
                cf->records = p.records.bytes;
                if (p.error_code == 0) {
                    auto end = protocol::find_record_set_end(cf->records);
                    cf->end_offset = end.next_offset;
                    cf->end_epoch = end.last_epoch;
                }
                if (p.diverging_epoch.epoch >= 0 || p.diverging_epoch.end_offset >= 0)
                    cf->diverging = p.diverging_epoch;
                if (p.preferred_read_replica >= 0) {
                    // The leader points elsewhere (and sent no records): read from that replica
                    // until metadata would be refreshed anyway, or it fails (Java's lease).
                    preferred_[tp] = {p.preferred_read_replica, client_.now() + opts_.metadata_max_age};
                }
                if (opts_.isolation == isolation_level::read_committed && p.aborted_transactions)
                    for (auto const& a : *p.aborted_transactions) cf->aborted.push({a.producer_id, a.first_offset});
                stats_.bytes += p.records.bytes.size();
                completed_.push_back(std::move(cf));
            }
        }
    }

    bool still_valid(const completed_fetch& cf) const {
        return subs_.is_assigned(cf.tp) && subs_.seek_epoch(cf.tp) == cf.seek_epoch && !subs_.is_paused(cf.tp) &&
               subs_.position(cf.tp).has_value();
    }

    // Java's initializeCompletedFetch: errors are handled here, on the user's thread.
    bool initialize(completed_fetch& cf) {
        if (!still_valid(cf)) return false;
        auto pos = subs_.position(cf.tp)->offset;
        if (pos != cf.fetch_offset) return false;
        auto err = static_cast<errc>(cf.error);
        if (err == errc::none && cf.diverging) {
            on_diverging(cf.tp, *cf.diverging);
            return false;
        }
        switch (err) {
            case errc::none:
                break;
            case errc::offset_out_of_range:
                if (clear_read_replica(cf.tp)) return false;  // a follower behind: back to the leader
                if (subs_.default_reset() == offset_reset_strategy::none)
                    throw offset_out_of_range_error(
                        {{cf.tp, cf.fetch_offset}},
                        "fetch offset out of range and auto.offset.reset=none for partition");
                subs_.request_reset(cf.tp, subs_.default_reset());
                if (reset_observer_)
                    reset_observer_(true, "fetch offset " + std::to_string(cf.fetch_offset) +
                                              " is out of range for partition " + cf.tp.to_string() +
                                              "; resetting it (auto.offset.reset)");
                return false;
            case errc::not_leader_or_follower:
            case errc::replica_not_available:
            case errc::kafka_storage_error:
            case errc::fenced_leader_epoch:
            case errc::offset_not_available:
            case errc::unknown_topic_or_partition:
            case errc::unknown_topic_id:
            case errc::inconsistent_topic_id:
            case errc::leader_not_available:
                clear_read_replica(cf.tp);
                metadata_.request_update();
                return false;
            case errc::unknown_leader_epoch:
                return false;  // our metadata is ahead of the broker's: retry
            default:
                throw kafka_error(make_error_code(err), "fetch of " + cf.tp.to_string() + " failed");
        }
        subs_.update_watermarks(
            cf.tp, cf.high_watermark, cf.last_stable_offset,
            cf.log_start_offset >= 0 ? std::optional<std::int64_t>(cf.log_start_offset) : std::nullopt);
        cf.reader.emplace(cf.records, opts_.check_crcs);
        cf.next_offset = pos;
        cf.last_epoch = subs_.position(cf.tp)->leader_epoch;
        cf.initialized = true;
        return true;
    }

    // Hands records to the sink until `n` (counting those of the whole collect) reaches `max`.
    template <class Sink>
    void drain(completed_fetch& cf, std::size_t max, std::size_t& n, record_storage& storage, Sink& sink) {
        record_view rec;
        while (n < max) {
            if (!cf.cursor) {
                // A compressed batch decompresses into `spare_`, which then moves into the
                // records' storage; uncompressed batches leave it empty for the next one.
                if (!spare_) spare_ = std::make_shared<byte_buffer>();
                auto st = cf.reader->next(cf.batch, *spare_, codecs_);
                if (st == protocol::batch_status::error)
                    throw kafka_error(cf.reader->error(), "corrupt record data in " + cf.tp.to_string() +
                                                              " at offset " + std::to_string(cf.next_offset));
                if (st != protocol::batch_status::ok) {
                    cf.exhausted = true;
                    return;
                }
                if (!spare_->empty()) {
                    cf.current_scratch = std::move(spare_);
                    storage.buffers.push_back(cf.current_scratch);
                } else {
                    cf.current_scratch.reset();
                }
                auto const& h = cf.batch.header;
                if (h.next_offset() <= cf.next_offset) continue;  // wholly before the position
                cf.skip_batch = should_skip(cf, h);
                if (cf.skip_batch) {
                    cf.next_offset = std::max(cf.next_offset, h.next_offset());
                    continue;
                }
                cf.cursor.emplace(cf.batch, opts_.check_crcs);
            }
            if (cf.retry) {
                rec = *cf.retry;  // the record the sink refused last time, offered again
                cf.retry.reset();
            } else if (!cf.cursor->next(rec)) {
                if (cf.cursor->error())
                    throw kafka_error(cf.cursor->error(), "corrupt record in " + cf.tp.to_string() + " near offset " +
                                                              std::to_string(cf.next_offset));
                // Batch done: the next position is past the whole batch (compaction may leave gaps).
                if (cf.batch.header.magic >= 2)
                    cf.next_offset = std::max(cf.next_offset, cf.batch.header.next_offset());
                cf.cursor.reset();
                continue;
            }
            if (rec.offset < cf.next_offset) continue;
            try {
                sink(cf.topic_name, cf.tp.partition, rec);
            } catch (...) {
                cf.retry = rec;  // not lost: the position stays on it and the next poll reports it again
                throw;
            }
            cf.next_offset = rec.offset + 1;
            if (rec.leader_epoch >= 0) cf.last_epoch = rec.leader_epoch;
            ++stats_.records;
            ++n;
        }
    }

    // Control batches are never returned; under read_committed, batches of aborted transactions neither.
    bool should_skip(completed_fetch& cf, const protocol::batch_header& h) {
        if (opts_.isolation == isolation_level::read_committed && h.is_transactional()) {
            while (!cf.aborted.empty() && cf.aborted.top().first_offset <= h.last_offset()) {
                cf.aborted_producers.insert(cf.aborted.top().producer_id);
                cf.aborted.pop();
            }
            if (h.is_control()) {
                // An abort marker ends that producer's aborted transaction.
                protocol::record_cursor c(cf.batch, false);
                record_view r;
                if (c.next(r)) {
                    auto marker = protocol::parse_control_key(r.key);
                    if (marker && marker->type == protocol::control_record::kind::abort)
                        cf.aborted_producers.erase(h.producer_id);
                }
                return true;
            }
            if (cf.aborted_producers.count(h.producer_id)) return true;
        }
        return h.is_control();
    }

    client_type& client_;
    metadata_type& metadata_;
    subscription_state& subs_;
    fetch_options opts_;
    std::set<std::int32_t> in_flight_;
    std::map<std::int32_t, fetch_session> sessions_;
    std::map<topic_partition, read_replica_lease> preferred_;
    std::set<topic_partition> resets_in_flight_;
    client::exponential_backoff retry_backoff_{opts_.retry_backoff, opts_.retry_backoff_max};
    retry_state resets_backoff_;                         // ListOffsets for resets, failed in a row
    std::map<std::int32_t, retry_state> fetch_backoff_;  // a node's Fetches, forgotten at its next answer
    std::deque<std::unique_ptr<completed_fetch>> completed_;
    protocol::codec_context codecs_;
    std::shared_ptr<byte_buffer> spare_;
    fetch_stats stats_;
    std::function<void(bool, const std::string&)> reset_observer_;
};

}  // namespace engine
}  // namespace kafka
