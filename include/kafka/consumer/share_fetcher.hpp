// The share consumer's fetcher (KIP-932; Java's ShareConsumeRequestManager and
// ShareCompletedFetch): ShareFetch to the leader of each assigned partition, in one share session
// per broker (share_session.hpp), carrying the acknowledgements collected since; ShareAcknowledge
// when acknowledgements must go at once (commitSync/commitAsync, renewals, partitions no longer
// fetched) and, with epoch -1, to close the sessions.
//
// The broker answers with whole record batches and, beside them, the ranges of offsets this member
// acquired (with their delivery counts). collect() hands over only acquired records; an acquired
// offset with no record to deliver (a control record, a compacted-away offset) is acknowledged as
// a GAP; records of the batches that other members hold are skipped. A record the sink refuses (a
// deserializer throws) is released, so the broker delivers it again (Java does the same), and the
// error is thrown. Data that cannot be parsed releases every acquired offset of that answer still
// undelivered and throws (Java rejects a corrupt batch; releasing keeps the records, and the
// broker's delivery limit still archives a record that keeps failing).
//
// One request at a time per broker: the session's epoch orders them. A broker's next ShareFetch
// waits until what it sent last was delivered, and the engine sends one only from poll() (no fetch
// ahead), so the acquisition locks run while the user works on records, not while they sit in a
// buffer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kafka/client/backoff.hpp>
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/share_session.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/share_acknowledge.hpp>
#include <kafka/protocol/messages/share_fetch.hpp>
#include <kafka/protocol/record_batch.hpp>
#include <kafka/record.hpp>
#include <kafka/share_types.hpp>

namespace kafka::engine {

struct share_fetch_options {
    std::string group_id;
    std::int32_t min_bytes = 1;
    std::int32_t max_bytes = 52428800;
    std::chrono::milliseconds max_wait{500};
    std::int32_t max_records = 500;  // max.poll.records: ShareFetch's MaxRecords and BatchSize
    share_acquire_mode acquire_mode = share_acquire_mode::batch_optimized;
    bool check_crcs = true;
    std::chrono::milliseconds retry_backoff{100};
    std::chrono::milliseconds retry_backoff_max{1000};
};

/// What became of the acknowledgements of one partition that one request carried.
struct share_ack_result {
    topic_partition tp;
    std::set<std::int64_t> offsets;
    std::error_code error;  // none: the broker applied them
    std::string message;    // the broker's words, when it gave any
};

template <transport Transport>
class share_fetcher {
public:
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<typename Transport::clock_type>;
    using time_point = typename client_type::time_point;
    using duration = typename client_type::duration;

    share_fetcher(client_type& client, metadata_type& metadata, share_fetch_options opts, std::string member_id)
        : client_(client), metadata_(metadata), opts_(std::move(opts)), member_id_(std::move(member_id)) {}
    share_fetcher(const share_fetcher&) = delete;
    share_fetcher& operator=(const share_fetcher&) = delete;

    // ---- acknowledgements ---------------------------------------------------------------------

    /// Queues an acknowledgement of a delivered record (sent with the broker's next request).
    void acknowledge(const topic_partition& tp, std::int64_t offset, std::int8_t type) {
        auto node = acquired_from(tp);
        if (!node) return;  // never delivered: the engine refuses such calls before they come here
        pending_[*node][tp].add(offset, type);
    }
    /// Whether the broker `tp`'s records came from serves renewals (ShareAcknowledge v2).
    bool renew_supported(const topic_partition& tp) const {
        auto node = acquired_from(tp);
        if (!node) return false;
        auto v = client_.version_for(*node, protocol::ShareAcknowledgeRequest::api_key,
                                     protocol::ShareAcknowledgeRequest::valid);
        return v && *v >= 2;
    }
    /// Send every queued acknowledgement at once (ShareAcknowledge), not with the next fetch.
    void flush() { flush_ = true; }
    /// Acknowledgements queued or on their way (commitSync waits for none).
    bool acknowledgements_outstanding() const {
        for (auto const& [node, acks] : pending_)
            if (!acks.empty()) return true;
        for (auto const& [node, n] : nodes_)
            if (n.acks_in_flight) return true;
        return false;
    }
    /// What became of acknowledgements since the last call.
    std::vector<share_ack_result> take_ack_results() { return std::exchange(results_, {}); }
    /// An error the user must see (not authorized, a protocol the broker refuses), once.
    std::optional<error_report> take_fatal() { return std::exchange(fatal_, std::nullopt); }
    /// The broker's acquisition lock duration (AcquisitionLockTimeoutMs), once it said.
    std::optional<std::chrono::milliseconds> acquisition_lock_timeout() const noexcept { return lock_timeout_; }

    // ---- requests -----------------------------------------------------------------------------

    /// Sends what is due to each broker with nothing in flight: a ShareFetch for the assigned
    /// partitions it leads (when `fetch` and nothing it sent before is still buffered), carrying
    /// their acknowledgements; a ShareAcknowledge for acknowledgements that cannot or must not wait
    /// (flush(), renewals, partitions not fetched from it, or no fetch wanted). Returns the
    /// requests sent.
    int send(const std::set<topic_partition>& assigned, bool fetch = true) {
        auto now = client_.now();
        std::map<std::int32_t, std::set<topic_partition>> wanted;
        for (auto const& tp : assigned) {
            auto leader = metadata_.leader(tp);
            if (!leader || metadata_.topic_id(tp.topic).is_zero()) {
                metadata_.request_update();
                continue;
            }
            wanted[*leader].insert(tp);
        }
        std::set<std::int32_t> nodes;
        for (auto const& [n, w] : wanted) nodes.insert(n);
        for (auto const& [n, acks] : pending_)
            if (!acks.empty()) nodes.insert(n);
        // record_limit (share.acquire.mode): one ShareFetch at a time, to one broker after another,
        // and only when nothing is buffered, so at most max.poll.records are held (as Java's).
        bool one_fetch = opts_.acquire_mode == share_acquire_mode::record_limit;
        bool may_fetch = fetch && !(one_fetch && (!completed_.empty() || fetching()));
        std::vector<std::int32_t> order(nodes.begin(), nodes.end());
        if (one_fetch)
            std::rotate(order.begin(), std::upper_bound(order.begin(), order.end(), last_fetch_node_), order.end());
        int sent = 0;
        for (auto node : order) {
            auto& st = nodes_[node];
            if (st.in_flight || now < st.retry_at) continue;
            auto& acks = pending_[node];
            if (!acks.empty() && !st.session.is_open()) {
                // The session they belong to is gone (lost connection, evicted, a wrong epoch): the
                // broker released those records with it, and a new session may not carry them.
                report(std::exchange(acks, {}), make_error_code(errc::share_session_not_found),
                       "the share session with broker " + std::to_string(node) +
                           " was lost; the records are delivered again");
            }
            auto const& want = wanted[node];
            bool renew = false, elsewhere = false;
            for (auto const& [tp, a] : acks) {
                renew = renew || a.has_renew();
                elsewhere = elsewhere || !want.count(tp);
            }
            bool fetching_here = may_fetch && !want.empty() && !buffered(node);
            if (!acks.empty() && (flush_ || renew || elsewhere || !fetching_here)) {
                send_acknowledge(node, st, std::exchange(acks, {}), renew);
                ++sent;
            } else if (fetching_here) {
                send_fetch(node, st, want, std::exchange(acks, {}));
                ++sent;
                if (one_fetch) {
                    last_fetch_node_ = node;
                    may_fetch = false;
                }
            }
        }
        flush_ = flush_ && acknowledgements_outstanding();
        return sent;
    }

    /// Closes every open share session (ShareAcknowledge with epoch -1, carrying what is queued):
    /// the broker releases the records this member still holds. Acknowledgements for a broker
    /// without a session cannot be sent any more and are reported failed. Call until closed().
    void close() {
        closing_ = true;
        for (auto& [node, st] : nodes_) {
            if (st.in_flight || !st.session.is_open()) continue;
            auto acks = std::exchange(pending_[node], {});
            for (auto& [tp, a] : acks) a.erase_renewals();  // closing releases the records anyway
            std::erase_if(acks, [](auto const& e) { return e.second.empty(); });
            send_acknowledge(node, st, std::move(acks), false, share_session::close_epoch);
        }
        for (auto& [node, acks] : pending_) {
            if (acks.empty() || (nodes_.count(node) && nodes_[node].in_flight)) continue;
            report(std::exchange(acks, {}), make_error_code(client_errc::closed),
                   "the consumer closed before the acknowledgements could be sent");
        }
    }
    /// Gives up on requests still unanswered (the consumer is closing and its time is up): their
    /// acknowledgements are reported as timed out.
    void abandon() {
        for (auto& [node, st] : nodes_)
            if (st.in_flight && !st.acks.empty())
                report(std::exchange(st.acks, {}), make_error_code(client_errc::request_timed_out),
                       "no answer before the consumer closed");
    }
    bool closed() const {
        if (!closing_) return false;
        for (auto const& [node, st] : nodes_)
            if (st.in_flight || st.session.is_open()) return false;
        return true;
    }

    bool has_in_flight() const {
        for (auto const& [node, st] : nodes_)
            if (st.in_flight) return true;
        return false;
    }
    /// Until the first broker whose last request failed may be asked again; nullopt when none waits.
    std::optional<duration> time_to_retry(time_point now) const {
        std::optional<duration> soonest;
        for (auto const& [node, st] : nodes_)
            if (st.retry_at > now && (!soonest || st.retry_at - now < *soonest)) soonest = st.retry_at - now;
        return soonest;
    }
    /// The share session with a broker (tests).
    const share_session* session(std::int32_t node) const {
        auto it = nodes_.find(node);
        return it == nodes_.end() ? nullptr : &it->second.session;
    }

    // ---- delivery -----------------------------------------------------------------------------

    bool has_records() const noexcept { return !completed_.empty(); }

    /// Hands up to `max` acquired records to `sink(const std::string* topic, partition,
    /// const record_view&, delivery_count)`, in order, and queues GAP acknowledgements for acquired
    /// offsets without a record. Errors as the file comment says: thrown once, after the records
    /// handed over before it (the caller returns those first).
    template <class Sink>
    std::size_t collect(std::size_t max, record_storage& storage, Sink&& sink) {
        std::size_t n = 0;
        while (n < max && !completed_.empty()) {
            auto& cf = *completed_.front();
            if (cf.storage_id != storage.id) {
                storage.buffers.push_back(cf.frame);
                if (cf.scratch) storage.buffers.push_back(cf.scratch);
                cf.topic_name = storage.intern(cf.tp.topic);
                cf.storage_id = storage.id;
            }
            try {
                drain(cf, max, n, storage, sink);
            } catch (...) {
                // The records handed over before it stay handed over; the caller returns them
                // first and reports this next (the refused record was released).
                if (cf.done) completed_.pop_front();
                throw;
            }
            if (cf.done) completed_.pop_front();
        }
        return n;
    }

    /// Drops what is buffered for partitions no longer assigned, releasing their acquired records.
    void drop_unassigned(const std::set<topic_partition>& assigned) {
        std::erase_if(completed_, [&](auto const& c) {
            if (assigned.count(c->tp)) return false;
            release_rest(*c);
            return true;
        });
    }

private:
    struct node_state {
        share_session session;
        bool in_flight = false;
        bool fetching = false;               // the request in flight is a ShareFetch
        acknowledgements_by_partition acks;  // what the request in flight carries
        bool acks_in_flight = false;
        int failures = 0;
        time_point retry_at{};
    };

    struct completed_share_fetch {
        std::int32_t node = -1;
        topic_partition tp;
        client::frame_ptr frame;
        bytes_view records;
        std::vector<protocol::ShareFetchResponse::AcquiredRecords> acquired;  // sorted by offset
        std::size_t range = 0;                                                // the range being walked
        std::int64_t next_acquired = 0;  // the next acquired offset not yet delivered or acknowledged
        std::optional<protocol::record_set_reader> reader;
        protocol::decoded_batch batch;
        std::optional<protocol::record_cursor> cursor;
        std::shared_ptr<const byte_buffer> scratch;
        std::uint64_t storage_id = 0;
        const std::string* topic_name = nullptr;
        bool done = false;

        bool has_next() const noexcept { return range < acquired.size(); }
        std::int16_t delivery_count() const noexcept { return acquired[range].delivery_count; }
        void advance() noexcept {
            if (next_acquired < acquired[range].last_offset) {
                ++next_acquired;
            } else if (++range < acquired.size()) {
                next_acquired = acquired[range].first_offset;
            }
        }
    };

    std::optional<std::int32_t> acquired_from(const topic_partition& tp) const {
        auto it = acquired_from_.find(tp);
        if (it == acquired_from_.end()) return std::nullopt;
        return it->second;
    }

    bool fetching() const {
        for (auto const& [node, st] : nodes_)
            if (st.in_flight && st.fetching) return true;
        return false;
    }
    bool buffered(std::int32_t node) const {
        for (auto const& c : completed_)
            if (c->node == node) return true;
        return false;
    }

    template <class Batch, class Partition, class Topic>
    void add_acks(std::vector<Topic>& topics, const topic_partition& tp, const share_acknowledgements& acks) {
        Topic* t = nullptr;
        auto id = metadata_.topic_id(tp.topic);
        for (auto& x : topics)
            if (x.topic_id == id) t = &x;
        if (!t) {
            topics.push_back(Topic{});
            topics.back().topic_id = id;
            t = &topics.back();
        }
        Partition* p = nullptr;
        for (auto& x : t->partitions)
            if (x.partition_index == tp.partition) p = &x;
        if (!p) {
            t->partitions.push_back(Partition{});
            t->partitions.back().partition_index = tp.partition;
            p = &t->partitions.back();
        }
        p->acknowledgement_batches = acks.template batches<Batch>();
    }

    void send_fetch(std::int32_t node, node_state& st, const std::set<topic_partition>& want,
                    acknowledgements_by_partition acks) {
        using R = protocol::ShareFetchRequest;
        R req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.share_session_epoch = st.session.epoch();
        req.max_wait_ms = static_cast<std::int32_t>(opts_.max_wait.count());
        req.min_bytes = opts_.min_bytes;
        req.max_bytes = opts_.max_bytes;
        req.max_records = opts_.max_records;
        req.batch_size = opts_.max_records;
        req.share_acquire_mode = static_cast<std::int8_t>(opts_.acquire_mode);
        auto delta = st.session.changes(want);
        for (auto const& tp : delta.added) add_acks<R::AcknowledgementBatch, R::FetchPartition>(req.topics, tp, {});
        for (auto const& [tp, a] : acks) add_acks<R::AcknowledgementBatch, R::FetchPartition>(req.topics, tp, a);
        for (auto const& tp : delta.forgotten) {
            auto id = metadata_.topic_id(tp.topic);
            auto it = std::find_if(req.forgotten_topics_data.begin(), req.forgotten_topics_data.end(),
                                   [&](auto const& f) { return f.topic_id == id; });
            if (it == req.forgotten_topics_data.end()) {
                req.forgotten_topics_data.push_back({id, {}});
                it = std::prev(req.forgotten_topics_data.end());
            }
            it->partitions.push_back(tp.partition);
        }
        if (opts_.acquire_mode == share_acquire_mode::record_limit) {
            auto v = client_.version_for(node, R::api_key, R::valid);
            if (v && *v < 2) {
                fatal_ = error_report{make_error_code(errc::unsupported_version),
                                      "share.acquire.mode=record_limit needs ShareFetch v2 (Kafka 4.2 or newer); "
                                      "this broker serves v" +
                                          std::to_string(*v)};
                return;
            }
        }
        st.in_flight = true;
        st.fetching = true;
        st.acks = acks;
        st.acks_in_flight = !acks.empty();
        client_.send(node, std::move(req)).add_listener([this, node, want, acks = std::move(acks)](auto& f) {
            auto& s = nodes_[node];
            s.in_flight = false;
            s.fetching = false;
            s.acks.clear();
            s.acks_in_flight = false;
            if (f.failed()) return on_failure(s, acks, f.error());
            auto& r = f.value();
            if (!s.session.on_response(r.body.error_code, &want))
                return on_top_level_error(s, acks, r.body.error_code, r.body.error_message);
            s.failures = 0;
            if (r.body.acquisition_lock_timeout_ms > 0)
                lock_timeout_ = std::chrono::milliseconds(r.body.acquisition_lock_timeout_ms);
            on_fetch_response(node, r, acks);
        });
    }

    void send_acknowledge(std::int32_t node, node_state& st, acknowledgements_by_partition acks, bool renew,
                          std::optional<std::int32_t> epoch = std::nullopt) {
        using R = protocol::ShareAcknowledgeRequest;
        R req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.share_session_epoch = epoch.value_or(st.session.epoch());
        req.is_renew_ack = renew;
        for (auto const& [tp, a] : acks) add_acks<R::AcknowledgementBatch, R::AcknowledgePartition>(req.topics, tp, a);
        bool closing = req.share_session_epoch == share_session::close_epoch;
        st.in_flight = true;
        st.acks = acks;
        st.acks_in_flight = !acks.empty();
        client_.send(node, std::move(req)).add_listener([this, node, closing, acks = std::move(acks)](auto& f) {
            auto& s = nodes_[node];
            s.in_flight = false;
            s.acks.clear();
            s.acks_in_flight = false;
            if (closing) s.session.reset();  // whatever the answer: the session is over
            if (f.failed()) return on_failure(s, acks, f.error());
            auto& r = f.value();
            if (!closing && !s.session.on_response(r.body.error_code, nullptr))
                return on_top_level_error(s, acks, r.body.error_code, r.body.error_message);
            if (r.body.error_code != 0)
                return report(acks, make_error_code(static_cast<errc>(r.body.error_code)),
                              r.body.error_message.value_or(""));
            s.failures = 0;
            std::map<topic_partition, std::pair<std::int16_t, std::string>> errors;
            for (auto const& t : r.body.responses) {
                auto name = metadata_.topic_name(t.topic_id);
                if (!name) continue;
                for (auto const& p : t.partitions)
                    errors[{*name, p.partition_index}] = {p.error_code, p.error_message.value_or("")};
            }
            report_each(acks, errors);
        });
    }

    // Disconnected, timed out, or refused before it was sent: whether the broker saw the request
    // is unknown, so the session starts again and the acknowledgements are reported failed (the
    // records come back after their acquisition lock expires).
    void on_failure(node_state& s, const acknowledgements_by_partition& acks, std::error_code ec) {
        s.session.reset();
        if (ec == client_errc::unsupported_version && !fatal_)
            fatal_ = error_report{ec,
                                  "the broker does not serve share groups' ShareFetch/ShareAcknowledge v1+ (KIP-932, "
                                  "Kafka 4.1 or newer)"};
        report(acks, ec, "the request carrying them failed");
        metadata_.request_update();
        back_off(s);
    }

    void on_top_level_error(node_state& s, const acknowledgements_by_partition& acks, std::int16_t code,
                            const std::optional<std::string>& message) {
        auto e = static_cast<errc>(code);
        report(acks, make_error_code(e), message.value_or(""));
        switch (e) {
            case errc::share_session_not_found:
            case errc::invalid_share_session_epoch:
                return;  // the session was reset; the next request opens a new one
            case errc::share_session_limit_reached:
                back_off(s);  // the broker holds as many sessions as it may: not again at once
                return;
            case errc::group_authorization_failed:
            case errc::topic_authorization_failed:
            case errc::invalid_request:
            case errc::unsupported_version:
                if (!fatal_)
                    fatal_ = error_report{make_error_code(e),
                                          "ShareFetch failed" + (message ? " (broker: " + *message + ")" : "")};
                return;
            default:
                metadata_.request_update();
                back_off(s);
        }
    }

    void back_off(node_state& s) {
        client::exponential_backoff b(opts_.retry_backoff, opts_.retry_backoff_max);
        s.retry_at = client_.now() + b.after(s.failures++);
    }

    void on_fetch_response(std::int32_t node, client::response<protocol::ShareFetchResponse>& r,
                           const acknowledgements_by_partition& acks) {
        std::map<topic_partition, std::pair<std::int16_t, std::string>> ack_errors;
        bool partition_error = false;
        for (auto& t : r.body.responses) {
            auto name = metadata_.topic_name(t.topic_id);
            if (!name) {
                metadata_.request_update();
                continue;
            }
            for (auto& p : t.partitions) {
                topic_partition tp{*name, p.partition_index};
                ack_errors[tp] = {p.acknowledge_error_code, p.acknowledge_error_message.value_or("")};
                if (p.error_code != 0) {
                    auto e = static_cast<errc>(p.error_code);
                    if (e == errc::topic_authorization_failed && !fatal_)
                        fatal_ = error_report{make_error_code(e), "not authorized to read topic '" + *name + "'"};
                    else if (!is_retriable(e) && e != errc::unknown_topic_id && e != errc::fenced_leader_epoch &&
                             !fatal_)
                        fatal_ = error_report{make_error_code(e),
                                              "ShareFetch of " + tp.to_string() + " failed" +
                                                  (p.error_message ? " (broker: " + *p.error_message + ")" : "")};
                    // NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH...:
                    // the partition moved or metadata is behind; fetched again after an update,
                    // after the backoff (the broker answers such a fetch at once).
                    metadata_.request_update();
                    partition_error = true;
                    continue;
                }
                if (p.acquired_records.empty()) continue;
                auto cf = std::make_unique<completed_share_fetch>();
                cf->node = node;
                cf->tp = tp;
                cf->frame = r.frame;
                cf->records = p.records.bytes;
                cf->acquired = std::move(p.acquired_records);
                std::sort(cf->acquired.begin(), cf->acquired.end(),
                          [](auto const& a, auto const& b) { return a.first_offset < b.first_offset; });
                std::erase_if(cf->acquired, [](auto const& a) { return a.last_offset < a.first_offset; });
                if (cf->acquired.empty()) continue;
                cf->next_acquired = cf->acquired.front().first_offset;
                cf->reader.emplace(cf->records, opts_.check_crcs);
                acquired_from_[tp] = node;
                completed_.push_back(std::move(cf));
            }
        }
        report_each(acks, ack_errors);
        if (partition_error) back_off(nodes_[node]);
    }

    void report(const acknowledgements_by_partition& acks, std::error_code ec, const std::string& message) {
        for (auto const& [tp, a] : acks) results_.push_back({tp, a.offsets(), ec, message});
    }
    void report_each(const acknowledgements_by_partition& acks,
                     const std::map<topic_partition, std::pair<std::int16_t, std::string>>& errors) {
        for (auto const& [tp, a] : acks) {
            auto it = errors.find(tp);
            if (it == errors.end()) {
                results_.push_back({tp, a.offsets(), make_error_code(client_errc::malformed_response),
                                    "the broker's answer did not mention the partition"});
                continue;
            }
            auto code = it->second.first;
            results_.push_back({tp, a.offsets(), code ? make_error_code(static_cast<errc>(code)) : std::error_code{},
                                it->second.second});
        }
    }

    void queue_ack(const completed_share_fetch& cf, std::int64_t offset, std::int8_t type) {
        pending_[cf.node][cf.tp].add(offset, type);
    }
    // What is still acquired and undelivered goes back to the broker.
    void release_rest(completed_share_fetch& cf) {
        while (cf.has_next()) {
            queue_ack(cf, cf.next_acquired, static_cast<std::int8_t>(acknowledge_type::release));
            cf.advance();
        }
        cf.done = true;
    }

    template <class Sink>
    void drain(completed_share_fetch& cf, std::size_t max, std::size_t& n, record_storage& storage, Sink& sink) {
        record_view rec;
        while (n < max && cf.has_next()) {
            if (!cf.cursor) {
                if (!spare_) spare_ = std::make_shared<byte_buffer>();
                auto st = cf.reader->next(cf.batch, *spare_, codecs_);
                if (st == protocol::batch_status::error) {
                    auto at = cf.next_acquired;
                    release_rest(cf);
                    throw kafka_error(cf.reader->error(), "corrupt record data in " + cf.tp.to_string() +
                                                              " at offset " + std::to_string(at) +
                                                              "; its acquired records were released");
                }
                if (st != protocol::batch_status::ok) break;  // the end: what is left is a gap
                if (!spare_->empty()) {
                    cf.scratch = std::move(spare_);
                    storage.buffers.push_back(cf.scratch);
                }
                if (cf.batch.header.is_control()) continue;  // its offsets become gaps below
                cf.cursor.emplace(cf.batch, opts_.check_crcs);
            }
            if (!cf.cursor->next(rec)) {
                if (cf.cursor->error()) {
                    auto at = cf.next_acquired;
                    release_rest(cf);
                    throw kafka_error(cf.cursor->error(), "corrupt record in " + cf.tp.to_string() + " near offset " +
                                                              std::to_string(at) +
                                                              "; its acquired records were released");
                }
                cf.cursor.reset();
                continue;
            }
            while (cf.has_next() && cf.next_acquired < rec.offset) {
                queue_ack(cf, cf.next_acquired, acknowledge_gap);
                cf.advance();
            }
            if (!cf.has_next() || cf.next_acquired != rec.offset) continue;  // another member's record
            try {
                sink(cf.topic_name, cf.tp.partition, rec, cf.delivery_count());
            } catch (...) {
                queue_ack(cf, rec.offset, static_cast<std::int8_t>(acknowledge_type::release));
                cf.advance();
                if (!cf.has_next()) cf.done = true;
                throw;
            }
            cf.advance();
            ++n;
        }
        if (n < max || !cf.has_next()) {
            // The records ran out before the acquired ranges did: the rest are gaps.
            while (cf.has_next()) {
                queue_ack(cf, cf.next_acquired, acknowledge_gap);
                cf.advance();
            }
            cf.done = true;
        }
    }

    client_type& client_;
    metadata_type& metadata_;
    share_fetch_options opts_;
    std::string member_id_;
    std::map<std::int32_t, node_state> nodes_;
    std::map<std::int32_t, acknowledgements_by_partition> pending_;  // by the broker they go to
    std::map<topic_partition, std::int32_t> acquired_from_;          // where each partition's records came from
    std::deque<std::unique_ptr<completed_share_fetch>> completed_;
    std::vector<share_ack_result> results_;
    std::optional<error_report> fatal_;
    std::optional<std::chrono::milliseconds> lock_timeout_;
    protocol::codec_context codecs_;
    std::shared_ptr<byte_buffer> spare_;
    bool flush_ = false;
    bool closing_ = false;
    std::int32_t last_fetch_node_ = -1;  // record_limit: the broker fetched from last
};

}  // namespace kafka::engine
