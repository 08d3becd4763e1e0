// KIP-932 share groups in the fake cluster (see kafka/testing/fake_cluster.hpp): ShareGroupHeartbeat
// served by the group's coordinator, ShareFetch and ShareAcknowledge by the partition leaders, and
// the refusal of commits to share groups for the shared coordinator (fake/group_coordinator.hpp).
// A sibling of fake/classic_group.hpp and fake/consumer_group.hpp.
//
// A simplified Kafka GroupMetadataManager (share part), SharePartitionManager and SharePartition:
//  * ShareGroupHeartbeat: the member id is the client's own (empty: INVALID_REQUEST); epoch 0 joins
//    (needs SubscribedTopicNames; a member already there rejoins as itself), -1 leaves, any other
//    epoch must be the member's (else FENCED_MEMBER_EPOCH); an unknown member gets
//    UNKNOWN_MEMBER_ID; a group id that another kind of group uses gets GROUP_ID_NOT_FOUND.
//    Assignment (Kafka's SimpleAssignor, simplified): every member gets every partition of the topics
//    it subscribes to. The group epoch is bumped by joins, leaves, subscription changes and partitions
//    appearing; a member takes the group epoch at its next heartbeat (share groups revoke nothing).
//    The assignment goes in the answer on a join and when it changed since the last answer. A member
//    not heard from within the session timeout is removed, and the records it holds are released.
//  * Share sessions, per (group, member, node) as a broker keeps them: epoch 0 opens one (replacing
//    any; acknowledgements in it: INVALID_REQUEST), with the request's partitions; later requests
//    must carry the session's next epoch (else INVALID_SHARE_SESSION_EPOCH) and name a live session
//    (else SHARE_SESSION_NOT_FOUND); Topics add partitions, ForgottenTopicsData removes them; -1
//    applies the acknowledgements and closes the session, releasing the member's records in its
//    partitions. ShareAcknowledge follows the same rules (epoch 0: INVALID_SHARE_SESSION_EPOCH) and
//    advances the epoch too. These errors are top-level; so is an injected one of them, while other
//    injected errors go to every partition of the request.
//  * Share partitions, per (group, partition), whichever node leads: the start offset comes from
//    auto_offset_reset ("earliest": the log start, "latest": the log end when the group first
//    fetches the partition); each offset is available, acquired (member, delivery count, lock
//    deadline), acknowledged or archived. ShareFetch first applies acknowledgements (per partition:
//    all or nothing; an offset not acquired by this member, or whose lock expired, makes
//    INVALID_RECORD_STATE; malformed batches INVALID_REQUEST): ACCEPT (1) acknowledges, RELEASE (2)
//    makes available (delivery count kept), REJECT (3) and GAP (0) archive, RENEW (4, v2+) extends
//    the lock. Then it acquires the available records of the session's partitions this node leads,
//    lowest offsets first, at most MaxRecords in all (exactly: Kafka may exceed it to keep batches
//    whole), each delivery counting one, and answers the whole batches holding them with the
//    AcquiredRecords ranges. With IsRenewAck nothing new is acquired. A lock that expires (simulated
//    time) and a release make the record available again, or archived once it was delivered
//    delivery_count_limit times.
//  * A partition's answer is sent when it has acquired records, an acknowledgement result or an
//    error (UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER with the leader and
//    its endpoint). A ShareFetch with none of these and MaxWaitMs > 0 waits, up to MaxWaitMs of
//    simulated time, for records to become available (produced, released, or their locks expired).
//    MinBytes, MaxBytes, BatchSize and ShareAcquireMode are not looked at; neither is whether the
//    member belongs to the group or was assigned the partition (Kafka's brokers do not check it
//    either).
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
#include <tuple>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/share_acknowledge.hpp>
#include <kafka/protocol/messages/share_fetch.hpp>
#include <kafka/protocol/messages/share_group_heartbeat.hpp>
#include <kafka/testing/fake/group_coordinator.hpp>
#include <kafka/testing/fake/log.hpp>
#include <kafka/testing/fake/wire.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::testing {

/// The state of one offset of a share partition.
enum class share_record_state { available, acquired, acknowledged, archived };

struct share_record_info {
    std::int64_t offset = 0;
    share_record_state state = share_record_state::available;
    std::int16_t delivery_count = 0;
    std::string member_id;                               // the holder, while acquired
    std::optional<sim_clock::time_point> lock_deadline;  // while acquired
};
/// A share partition as its group sees it: the offsets delivered at least once (ascending); an
/// offset at or past start_offset that is not listed was never delivered (available).
struct share_partition_info {
    std::int64_t start_offset = 0;  // below it, every record is acknowledged or archived
    std::vector<share_record_info> records;
    const share_record_info* at(std::int64_t offset) const {
        for (auto const& r : records)
            if (r.offset == offset) return &r;
        return nullptr;
    }
};
/// A member of a share group as the fake coordinator sees it.
struct share_member_info {
    std::string member_id;
    std::int32_t member_epoch = 0;
    std::set<std::string> subscribed_topics;
    std::set<topic_partition> assigned;
};
struct share_group_info {
    std::int32_t group_epoch = 0;
    std::vector<share_member_info> members;
};

namespace fake {

struct share_group_options {
    std::chrono::milliseconds session_timeout{45000};       // group.share.session.timeout.ms
    std::chrono::milliseconds heartbeat_interval{5000};     // group.share.heartbeat.interval.ms
    std::chrono::milliseconds record_lock_duration{30000};  // group.share.record.lock.duration.ms
    std::int16_t delivery_count_limit = 5;                  // group.share.delivery.count.limit
    std::string auto_offset_reset = "earliest";             // share.auto.offset.reset ("latest" in Kafka)
};

class share_groups : public group_kind {
public:
    /// `others`: the other kinds of group, whose group ids a share group may not take.
    share_groups(wire& w, logs& l, group_coordinator& coordinator, share_group_options o,
                 std::vector<const group_kind*> others = {})
        : wire_(w), logs_(l), coordinator_(coordinator), opts_(std::move(o)), others_(std::move(others)) {
        w.serve(this, &share_groups::on_heartbeat);
        w.serve(this, &share_groups::on_share_fetch);
        w.serve(this, &share_groups::on_share_acknowledge);
        coordinator.add_kind(*this);
    }
    share_groups(const share_groups&) = delete;
    share_groups& operator=(const share_groups&) = delete;

    const share_group_options& options() const noexcept { return opts_; }

    std::optional<share_group_info> describe(const std::string& id) const {
        auto it = groups_.find(id);
        if (it == groups_.end()) return std::nullopt;
        share_group_info out{it->second.epoch, {}};
        for (auto const& [mid, m] : it->second.members) out.members.push_back({m.id, m.epoch, m.topics, m.assigned});
        return out;
    }
    /// The share partition of `tp` in `group` (nullopt until the group fetched or acknowledged it).
    /// Locks that expired by now are released first, as any request would.
    std::optional<share_partition_info> describe_partition(const std::string& group, const topic_partition& tp) {
        expire(group);
        auto g = states_.find(group);
        if (g == states_.end()) return std::nullopt;
        auto it = g->second.find(tp);
        if (it == g->second.end()) return std::nullopt;
        share_partition_info out;
        out.start_offset = it->second.start;
        for (auto const& [off, r] : it->second.recs) {
            share_record_info i{off, r.state, r.delivery_count, r.member, std::nullopt};
            if (r.state == share_record_state::acquired) i.lock_deadline = r.deadline;
            out.records.push_back(std::move(i));
        }
        return out;
    }
    /// Removes a member as if its session had expired (its records are released; it is fenced next).
    void remove_member(const std::string& group_id, const std::string& member_id) {
        if (auto it = groups_.find(group_id); it != groups_.end()) remove(it->second, member_id);
    }
    /// The share sessions `node` holds.
    std::size_t session_count(std::int32_t node) const {
        std::size_t n = 0;
        for (auto const& [key, s] : sessions_) n += std::get<2>(key) == node ? 1 : 0;
        return n;
    }
    /// Forgets every share session, as a broker evicting them (records stay acquired until their locks expire).
    void evict_sessions() { sessions_.clear(); }

    /// Records may have become available (a produce): waiting ShareFetches try again.
    void wake() {
        auto pending = waiters_;
        for (auto const& w : pending) finish_wait(*w, false);
        std::erase_if(waiters_, [](auto const& w) { return w->done; });
    }

    // ---- group_kind -----------------------------------------------------------------------

    bool knows(const std::string& group_id) const override { return groups_.count(group_id) != 0; }

    // Kafka's ShareGroup.validateOffsetCommit: share groups have no committed offsets.
    std::int16_t validate_commit(const std::string&, const std::string&, std::int32_t,
                                 const std::optional<std::string>&) override {
        return static_cast<std::int16_t>(errc::group_id_not_found);
    }

private:
    using heartbeat_request = protocol::ShareGroupHeartbeatRequest;
    using heartbeat_response = protocol::ShareGroupHeartbeatResponse;
    using fetch_request = protocol::ShareFetchRequest;
    using fetch_response = protocol::ShareFetchResponse;
    using ack_request = protocol::ShareAcknowledgeRequest;
    using ack_response = protocol::ShareAcknowledgeResponse;

    struct member_t {
        std::string id;
        std::int32_t epoch = 0;
        std::set<std::string> topics;
        std::set<topic_partition> assigned;
        std::optional<std::set<topic_partition>> last_sent;
        time_point deadline{};
    };
    struct group_t {
        std::string id;
        std::int32_t epoch = 0;
        std::map<std::string, member_t> members;
        std::set<topic_partition> partitions;  // of every subscribed topic, at the last epoch
    };
    struct record_t {
        share_record_state state = share_record_state::available;
        std::int16_t delivery_count = 0;
        std::string member;
        time_point deadline{};
    };
    struct share_partition_t {
        std::int64_t start = 0;
        std::map<std::int64_t, record_t> recs;  // offsets delivered at least once
    };
    using session_key = std::tuple<std::string, std::string, std::int32_t>;  // group, member, node
    struct session_t {
        std::int32_t next_epoch = 1;
        std::set<topic_partition> parts;
    };
    struct waiter_t {
        reply_t reply;
        session_key key;
        std::int32_t max_records = 0;
        bool done = false;
    };

    static std::int16_t code(errc e) { return static_cast<std::int16_t>(e); }
    static bool is_session_error(std::int16_t e) {
        return e == code(errc::share_session_not_found) || e == code(errc::invalid_share_session_epoch) ||
               e == code(errc::share_session_limit_reached);
    }
    static std::int32_t next_epoch(std::int32_t e) { return e == INT32_MAX ? 1 : e + 1; }
    std::int32_t lock_ms() const { return static_cast<std::int32_t>(opts_.record_lock_duration.count()); }

    // ---- ShareGroupHeartbeat --------------------------------------------------------------

    void on_heartbeat(const reply_t& r, heartbeat_request& req, injected_error injected) {
        heartbeat_response resp;
        auto answer = [&](errc e, std::string message = {}) {
            resp.error_code = code(e);
            if (!message.empty()) resp.error_message = std::move(message);
            wire_.send(r, resp);
        };
        if (injected) return answer(static_cast<errc>(*injected));
        if (req.group_id.empty()) return answer(errc::invalid_request, "GroupId can't be empty.");
        if (!coordinator_.is_coordinator(r.conn->node, req.group_id)) return answer(errc::not_coordinator);
        if (req.member_id.empty()) return answer(errc::invalid_request, "MemberId can't be empty.");
        if (req.member_epoch < -1) return answer(errc::invalid_request, "MemberEpoch is invalid.");
        for (auto const* k : others_)
            if (k->knows(req.group_id))
                return answer(errc::group_id_not_found, "Group " + req.group_id + " is not a share group.");

        if (req.member_epoch == -1) {
            auto gi = groups_.find(req.group_id);
            if (gi == groups_.end() || !gi->second.members.count(req.member_id)) return answer(errc::unknown_member_id);
            remove(gi->second, req.member_id);
            resp.member_id = req.member_id;
            resp.member_epoch = -1;
            return answer(errc::none);
        }
        if (req.member_epoch == 0 && (!req.subscribed_topic_names || req.subscribed_topic_names->empty()))
            return answer(errc::invalid_request, "SubscribedTopicNames must be set in first request.");
        if (req.member_epoch != 0) {
            auto gi = groups_.find(req.group_id);
            if (gi == groups_.end() || !gi->second.members.count(req.member_id)) return answer(errc::unknown_member_id);
            if (gi->second.members.at(req.member_id).epoch != req.member_epoch)
                return answer(errc::fenced_member_epoch,
                              "The share group member has a smaller or larger member epoch than expected.");
        }
        auto& g = groups_[req.group_id];
        g.id = req.group_id;
        bool changed = false;
        auto [it, joined] = g.members.try_emplace(req.member_id);
        auto& m = it->second;
        m.id = req.member_id;
        if (joined) changed = true;
        if (req.subscribed_topic_names) {
            std::set<std::string> t(req.subscribed_topic_names->begin(), req.subscribed_topic_names->end());
            if (t != m.topics) changed = true;
            m.topics = std::move(t);
        }
        // Partitions appearing (topics created, or subscribed to) change the group's assignment too.
        if (auto now_parts = partitions_of(g); now_parts != g.partitions) {
            g.partitions = std::move(now_parts);
            changed = true;
        }
        if (changed) ++g.epoch;
        m.epoch = g.epoch;
        m.assigned = partitions_of(m.topics);
        touch(g, m);

        resp.member_id = m.id;
        resp.member_epoch = m.epoch;
        resp.heartbeat_interval_ms = static_cast<std::int32_t>(opts_.heartbeat_interval.count());
        if (req.member_epoch == 0 || m.last_sent != m.assigned) {
            heartbeat_response::Assignment a;
            std::map<std::string, std::vector<std::int32_t>> by_topic;
            for (auto const& tp : m.assigned) by_topic[tp.topic].push_back(tp.partition);
            for (auto const& [t, ps] : by_topic)
                if (auto* topic = logs_.find_topic(t)) a.topic_partitions.push_back({topic->id, ps});
            resp.assignment = std::move(a);
            m.last_sent = m.assigned;
        }
        answer(errc::none);
    }

    std::set<topic_partition> partitions_of(const std::set<std::string>& topics) const {
        std::set<topic_partition> out;
        for (auto const& t : topics)
            if (auto* topic = logs_.find_topic(t))
                for (std::int32_t p = 0; p < static_cast<std::int32_t>(topic->partitions.size()); ++p)
                    out.insert({t, p});
        return out;
    }
    std::set<topic_partition> partitions_of(const group_t& g) const {
        std::set<std::string> all;
        for (auto const& [id, m] : g.members) all.insert(m.topics.begin(), m.topics.end());
        return partitions_of(all);
    }

    void touch(group_t& g, member_t& m) {
        m.deadline = wire_.now() + opts_.session_timeout;
        wire_.at(m.deadline, [this, gid = g.id, id = m.id] {
            auto gi = groups_.find(gid);
            if (gi == groups_.end()) return;
            auto mi = gi->second.members.find(id);
            if (mi != gi->second.members.end() && mi->second.deadline <= wire_.now()) remove(gi->second, id);
        });
    }

    // A member leaves (or is removed): the records it holds are released, the group epoch bumped.
    void remove(group_t& g, const std::string& id) {
        if (!g.members.erase(id)) return;
        g.partitions = partitions_of(g);
        ++g.epoch;
        if (release_member(g.id, id, std::nullopt)) wake();
    }

    // ---- share partitions -----------------------------------------------------------------

    share_partition_t& share_partition(const std::string& gid, const topic_partition& tp, const partition_t& p) {
        auto& parts = states_[gid];
        auto it = parts.find(tp);
        if (it == parts.end()) {
            share_partition_t s;
            s.start = opts_.auto_offset_reset == "latest" ? p.end : p.log_start;
            it = parts.emplace(tp, std::move(s)).first;
        }
        return it->second;
    }

    // A delivery ends without acknowledgement: available again, or archived at the delivery limit.
    void release(record_t& r) const {
        r.state = r.delivery_count >= opts_.delivery_count_limit ? share_record_state::archived
                                                                 : share_record_state::available;
        r.member.clear();
    }

    // The start offset moves past what is acknowledged or archived.
    static void advance_start(share_partition_t& s) {
        for (auto it = s.recs.find(s.start); it != s.recs.end() && it->first == s.start; ++it) {
            if (it->second.state != share_record_state::acknowledged &&
                it->second.state != share_record_state::archived)
                break;
            ++s.start;
        }
    }

    // Releases the records whose locks expired; true if any.
    bool expire(const std::string& gid) {
        auto g = states_.find(gid);
        if (g == states_.end()) return false;
        bool any = false;
        auto now = wire_.now();
        for (auto& [tp, s] : g->second) {
            for (auto& [off, r] : s.recs)
                if (r.state == share_record_state::acquired && r.deadline <= now) {
                    release(r);
                    any = true;
                }
            advance_start(s);
        }
        return any;
    }

    void schedule_expiry(const std::string& gid, time_point deadline) {
        wire_.at(deadline, [this, gid] {
            if (expire(gid)) wake();
        });
    }

    // Releases what `member` holds (in `only`'s partitions when given); true if any.
    bool release_member(const std::string& gid, const std::string& member,
                        const std::optional<std::set<topic_partition>>& only) {
        auto g = states_.find(gid);
        if (g == states_.end()) return false;
        bool any = false;
        for (auto& [tp, s] : g->second) {
            if (only && !only->count(tp)) continue;
            for (auto& [off, r] : s.recs)
                if (r.state == share_record_state::acquired && r.member == member) {
                    release(r);
                    any = true;
                }
            advance_start(s);
        }
        return any;
    }

    // Where a partition cannot be served by `node`: its error (0: it can).
    std::int16_t check_partition(const topic_t* topic, std::int32_t partition, std::int32_t node) const {
        if (!topic) return code(errc::unknown_topic_id);
        auto* p = logs::find_partition(const_cast<topic_t*>(topic), partition);
        if (!p) return code(errc::unknown_topic_or_partition);
        if (p->leader != node) return code(errc::not_leader_or_follower);
        return 0;
    }

    // Applies one partition's acknowledgements, all or nothing; returns the acknowledge error code.
    template <class Batch>
    std::int16_t acknowledge(const std::string& gid, const topic_partition& tp, const partition_t& p,
                             const std::string& member, const std::vector<Batch>& batches, std::int16_t version,
                             bool& released) {
        expire(gid);
        auto& s = share_partition(gid, tp, p);
        for (auto const& b : batches) {
            auto n = b.last_offset - b.first_offset + 1;
            if (n <= 0 || b.acknowledge_types.empty() ||
                (b.acknowledge_types.size() != 1 && static_cast<std::int64_t>(b.acknowledge_types.size()) != n))
                return code(errc::invalid_request);
            for (auto t : b.acknowledge_types)
                if (t < 0 || t > 4 || (t == 4 && version < 2)) return code(errc::invalid_request);
            for (auto o = b.first_offset; o <= b.last_offset; ++o) {
                auto it = s.recs.find(o);
                if (it == s.recs.end() || it->second.state != share_record_state::acquired ||
                    it->second.member != member)
                    return code(errc::invalid_record_state);
            }
        }
        for (auto const& b : batches)
            for (auto o = b.first_offset; o <= b.last_offset; ++o) {
                auto& r = s.recs.at(o);
                auto type = b.acknowledge_types.size() == 1
                                ? b.acknowledge_types.front()
                                : b.acknowledge_types[static_cast<std::size_t>(o - b.first_offset)];
                switch (type) {
                    case 1:  // accept
                        r.state = share_record_state::acknowledged;
                        r.member.clear();
                        break;
                    case 2:  // release
                        release(r);
                        released = true;
                        break;
                    case 4:  // renew
                        r.deadline = wire_.now() + opts_.record_lock_duration;
                        schedule_expiry(gid, r.deadline);
                        break;
                    default:  // 0 gap, 3 reject
                        r.state = share_record_state::archived;
                        r.member.clear();
                        break;
                }
            }
        advance_start(s);
        return 0;
    }

    // Response assembly: the entry of a partition, made on first use.
    template <class Resp>
    static auto& entry(Resp& resp, const kafka::uuid& topic_id, std::int32_t partition) {
        auto t = std::find_if(resp.responses.begin(), resp.responses.end(),
                              [&](auto const& x) { return x.topic_id == topic_id; });
        if (t == resp.responses.end()) {
            resp.responses.emplace_back();
            resp.responses.back().topic_id = topic_id;
            t = std::prev(resp.responses.end());
        }
        auto p = std::find_if(t->partitions.begin(), t->partitions.end(),
                              [&](auto const& x) { return x.partition_index == partition; });
        if (p != t->partitions.end()) return *p;
        t->partitions.emplace_back();
        t->partitions.back().partition_index = partition;
        return t->partitions.back();
    }
    template <class Resp, class Part>
    void not_leader(Resp& resp, Part& pd, const topic_t* topic, std::int32_t partition) {
        auto* p = topic ? logs::find_partition(const_cast<topic_t*>(topic), partition) : nullptr;
        if (!p || pd.error_code != code(errc::not_leader_or_follower)) return;
        pd.current_leader = {p->leader, p->epoch};
        if (p->leader < 0 || !wire_.is_up(p->leader)) return;
        for (auto const& e : resp.node_endpoints)
            if (e.node_id == p->leader) return;
        auto const& n = wire_.node(p->leader);
        resp.node_endpoints.push_back({n.id, n.host, n.port, std::nullopt});
    }

    // Acquires available records of the session's partitions that `node` leads, up to max_records
    // (<= 0: no limit), into `resp`; true if any.
    bool acquire(const session_key& key, const session_t& s, std::int32_t max_records, fetch_response& resp,
                 std::deque<byte_buffer>& storage) {
        auto const& [gid, member, node] = key;
        expire(gid);
        std::int64_t budget = max_records > 0 ? max_records : INT64_MAX;
        bool any = false;
        auto now = wire_.now();
        auto deadline = now + opts_.record_lock_duration;
        for (auto const& tp : s.parts) {
            if (budget <= 0) break;
            auto* topic = logs_.find_topic(tp.topic);
            if (check_partition(topic, tp.partition, node) != 0) continue;
            auto const& p = *logs::find_partition(topic, tp.partition);
            auto& sp = share_partition(gid, tp, p);
            std::vector<std::pair<std::int64_t, std::int16_t>> got;  // offset, delivery count
            for (auto o = std::max(sp.start, p.log_start); o < p.end && budget > 0; ++o) {
                auto [it, fresh] = sp.recs.try_emplace(o);
                auto& r = it->second;
                if (!fresh && r.state != share_record_state::available) continue;
                r.state = share_record_state::acquired;
                r.member = member;
                r.deadline = deadline;
                ++r.delivery_count;
                got.emplace_back(o, r.delivery_count);
                --budget;
            }
            if (got.empty()) continue;
            any = true;
            auto& pd = entry(resp, topic->id, tp.partition);
            for (auto const& [o, dc] : got) {
                auto& ranges = pd.acquired_records;
                if (!ranges.empty() && ranges.back().last_offset + 1 == o && ranges.back().delivery_count == dc)
                    ranges.back().last_offset = o;
                else
                    ranges.push_back({o, o, dc});
            }
            byte_buffer data;
            for (auto const& b : p.batches) {
                auto at = std::lower_bound(got.begin(), got.end(), std::make_pair(b.base, std::int16_t{0}),
                                           [](auto const& x, auto const& y) { return x.first < y.first; });
                if (at != got.end() && at->first < b.next) data.insert(data.end(), b.bytes.begin(), b.bytes.end());
            }
            storage.push_back(std::move(data));
            pd.records.bytes = storage.back();
        }
        if (any) schedule_expiry(gid, deadline);
        return any;
    }

    // ---- ShareFetch -----------------------------------------------------------------------

    void on_share_fetch(const reply_t& r, fetch_request& req, injected_error injected) {
        fetch_response resp;
        resp.acquisition_lock_timeout_ms = lock_ms();
        auto top = [&](errc e, std::string message = {}) {
            resp.error_code = code(e);
            if (!message.empty()) resp.error_message = std::move(message);
            wire_.send(r, resp);
        };
        if (injected && is_session_error(*injected)) return top(static_cast<errc>(*injected));
        if (!req.group_id || req.group_id->empty()) return top(errc::invalid_request, "GroupId can't be empty.");
        if (!req.member_id || req.member_id->empty()) return top(errc::invalid_request, "MemberId can't be empty.");
        auto const node = r.conn->node;
        session_key key{*req.group_id, *req.member_id, node};
        auto const& gid = *req.group_id;
        bool acks = false;
        for (auto const& t : req.topics)
            for (auto const& q : t.partitions) acks = acks || !q.acknowledgement_batches.empty();

        auto epoch = req.share_session_epoch;
        session_t* s = nullptr;
        if (epoch == 0) {
            if (acks) return top(errc::invalid_request, "Acknowledge data present in initial fetch request.");
            s = &(sessions_[key] = session_t{});
        } else {
            auto it = sessions_.find(key);
            if (it == sessions_.end()) return top(errc::share_session_not_found);
            s = &it->second;
            if (epoch != -1) {
                if (epoch != s->next_epoch) return top(errc::invalid_share_session_epoch);
                s->next_epoch = next_epoch(s->next_epoch);
            }
        }
        if (epoch != -1) {
            for (auto const& f : req.forgotten_topics_data)
                if (auto* topic = logs_.find_topic(f.topic_id))
                    for (auto p : f.partitions) s->parts.erase({topic->name, p});
            for (auto const& t : req.topics)
                if (auto* topic = logs_.find_topic(t.topic_id))
                    for (auto const& q : t.partitions)
                        if (logs::find_partition(topic, q.partition_index))
                            s->parts.insert({topic->name, q.partition_index});
        }

        bool errors = false, released = false;
        for (auto const& t : req.topics) {
            auto* topic = logs_.find_topic(t.topic_id);
            for (auto const& q : t.partitions) {
                std::int16_t err = injected ? *injected : check_partition(topic, q.partition_index, node);
                bool has_acks = !q.acknowledgement_batches.empty();
                if (err == 0 && !has_acks) continue;
                auto& pd = entry(resp, t.topic_id, q.partition_index);
                if (err != 0) {
                    errors = true;
                    pd.error_code = err;
                    if (has_acks) pd.acknowledge_error_code = err;
                    not_leader(resp, pd, topic, q.partition_index);
                    continue;
                }
                auto const& p = *logs::find_partition(topic, q.partition_index);
                pd.acknowledge_error_code = acknowledge(gid, {topic->name, q.partition_index}, p, *req.member_id,
                                                        q.acknowledgement_batches, r.version, released);
            }
        }
        if (released) wake();
        if (epoch == -1) {
            if (release_member(gid, *req.member_id, s->parts)) wake();
            sessions_.erase(key);
            return wire_.send(r, resp);
        }
        if (injected || req.is_renew_ack) return wire_.send(r, resp);
        std::deque<byte_buffer> storage;
        bool got = acquire(key, *s, req.max_records, resp, storage);
        if (got || acks || errors || req.max_wait_ms <= 0) return wire_.send(r, resp);
        auto w = std::make_shared<waiter_t>();
        w->reply = r;
        w->key = key;
        w->max_records = req.max_records;
        waiters_.push_back(w);
        wire_.at(wire_.now() + std::chrono::milliseconds(req.max_wait_ms), [this, w] {
            finish_wait(*w, true);
            std::erase_if(waiters_, [](auto const& x) { return x->done; });
        });
    }

    void finish_wait(waiter_t& w, bool timed_out) {
        if (w.done) return;
        if (w.reply.conn->dead) {
            w.done = true;
            return;
        }
        fetch_response resp;
        resp.acquisition_lock_timeout_ms = lock_ms();
        std::deque<byte_buffer> storage;
        auto it = sessions_.find(w.key);
        bool got = it != sessions_.end() && acquire(w.key, it->second, w.max_records, resp, storage);
        if (!got && !timed_out && it != sessions_.end()) return;
        w.done = true;
        wire_.send(w.reply, resp);
    }

    // ---- ShareAcknowledge -----------------------------------------------------------------

    void on_share_acknowledge(const reply_t& r, ack_request& req, injected_error injected) {
        ack_response resp;
        resp.acquisition_lock_timeout_ms = lock_ms();
        auto top = [&](errc e, std::string message = {}) {
            resp.error_code = code(e);
            if (!message.empty()) resp.error_message = std::move(message);
            wire_.send(r, resp);
        };
        if (injected && is_session_error(*injected)) return top(static_cast<errc>(*injected));
        if (!req.group_id || req.group_id->empty()) return top(errc::invalid_request, "GroupId can't be empty.");
        if (!req.member_id || req.member_id->empty()) return top(errc::invalid_request, "MemberId can't be empty.");
        auto const node = r.conn->node;
        session_key key{*req.group_id, *req.member_id, node};
        auto const& gid = *req.group_id;
        auto epoch = req.share_session_epoch;
        if (epoch == 0) return top(errc::invalid_share_session_epoch);
        auto it = sessions_.find(key);
        if (it == sessions_.end()) return top(errc::share_session_not_found);
        if (epoch != -1) {
            if (epoch != it->second.next_epoch) return top(errc::invalid_share_session_epoch);
            it->second.next_epoch = next_epoch(it->second.next_epoch);
        }
        bool released = false;
        for (auto const& t : req.topics) {
            auto* topic = logs_.find_topic(t.topic_id);
            for (auto const& q : t.partitions) {
                auto& pd = entry(resp, t.topic_id, q.partition_index);
                pd.error_code = injected ? *injected : check_partition(topic, q.partition_index, node);
                if (pd.error_code != 0) {
                    not_leader(resp, pd, topic, q.partition_index);
                    continue;
                }
                auto const& p = *logs::find_partition(topic, q.partition_index);
                pd.error_code = acknowledge(gid, {topic->name, q.partition_index}, p, *req.member_id,
                                            q.acknowledgement_batches, r.version, released);
            }
        }
        if (epoch == -1) {
            released = release_member(gid, *req.member_id, it->second.parts) || released;
            sessions_.erase(it);
        }
        if (released) wake();
        wire_.send(r, resp);
    }

    wire& wire_;
    logs& logs_;
    group_coordinator& coordinator_;
    share_group_options opts_;
    std::vector<const group_kind*> others_;
    std::map<std::string, group_t> groups_;
    std::map<std::string, std::map<topic_partition, share_partition_t>> states_;  // group -> share partitions
    std::map<session_key, session_t> sessions_;
    std::vector<std::shared_ptr<waiter_t>> waiters_;
};

}  // namespace fake
}  // namespace kafka::testing
