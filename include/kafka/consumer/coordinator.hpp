// The group coordinator client for the classic group protocol (Java's
// ConsumerCoordinator on AbstractCoordinator): find the coordinator, join the
// group, let the leader assign, sync, heartbeat, fetch and commit offsets,
// leave.
//
// Everything here runs on the user's thread, from the consumer's poll and
// commit calls, in small non-blocking steps: each step sends at most one group
// request and returns; its response, handled from the network client's
// pendingCompletion queue, moves the state on. The rebalance listener is called
// from these steps, never from I/O handlers. The only exception is
// heartbeat_tick(), which the consumer's background heartbeat thread may call
// under the consumer's lock while the user processes records between polls.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kafka/exceptions.hpp>
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/protocol/consumer_protocol.hpp>
#include <kafka/consumer/heartbeat.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/policy/assignor.hpp>
#include <kafka/protocol/messages/find_coordinator.hpp>
#include <kafka/protocol/messages/heartbeat.hpp>
#include <kafka/protocol/messages/join_group.hpp>
#include <kafka/protocol/messages/leave_group.hpp>
#include <kafka/protocol/messages/offset_commit.hpp>
#include <kafka/protocol/messages/offset_fetch.hpp>
#include <kafka/protocol/messages/sync_group.hpp>

namespace kafka {

/// Callbacks around a rebalance (Java's ConsumerRebalanceListener). Each runs on the user's
/// thread inside poll() (or close/unsubscribe). Empty functions are skipped.
struct rebalance_listener {
    std::function<void(const std::vector<topic_partition>&)> on_partitions_revoked;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_assigned;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_lost;
};

namespace assignors {
template <class A>
struct as_list_t {
    using type = list<A>;
};
template <class... A>
struct as_list_t<list<A...>> {
    using type = list<A...>;
};
/// A single assignor as a one-element list; a list as itself.
template <class A>
using as_list = typename as_list_t<A>::type;
}  // namespace assignors

namespace engine {

struct group_options {
    std::string group_id;
    std::optional<std::string> group_instance_id;
    std::chrono::milliseconds session_timeout{45000};
    std::chrono::milliseconds heartbeat_interval{3000};
    std::chrono::milliseconds max_poll_interval{300000};
    std::chrono::milliseconds retry_backoff{100};
    std::chrono::milliseconds request_timeout{30000};
    std::optional<std::string> client_rack;
    bool allow_auto_create_topics = true;
};

template <transport Transport, class AssignorPolicy>
class group_coordinator {
public:
    using clock = typename Transport::clock_type;
    using time_point = typename clock::time_point;
    using duration = typename clock::duration;
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<clock>;
    using assignor_list = assignors::as_list<AssignorPolicy>;

    enum class member_state { unjoined, joining, syncing, stable };

    group_coordinator(client_type& client, metadata_type& metadata, subscription_state& subs, group_options opts,
                      assignor_list assignors = {})
        : client_(client), metadata_(metadata), subs_(subs), opts_(std::move(opts)), assignors_(std::move(assignors)),
          heartbeat_(opts_.session_timeout, opts_.heartbeat_interval, opts_.max_poll_interval, opts_.retry_backoff) {}

    const group_options& options() const noexcept { return opts_; }
    member_state state() const noexcept { return state_; }
    bool stable() const noexcept { return state_ == member_state::stable && !rejoin_needed_; }
    std::int32_t generation() const noexcept { return generation_; }
    const std::string& member_id() const noexcept { return member_id_; }
    bool is_leader() const noexcept { return !member_id_.empty() && leader_id_ == member_id_; }
    const std::string& protocol_name() const noexcept { return protocol_name_; }
    std::optional<std::int32_t> coordinator() const noexcept { return coordinator_; }

    void set_listener(rebalance_listener l) { listener_ = std::move(l); }
    /// Called before partitions are revoked, and with every owned partition before each rejoin (the
    /// commit policy commits what was processed).
    void set_before_revoke(std::function<void(const std::vector<topic_partition>&)> f) { before_revoke_ = std::move(f); }

    /// The subscription changed (or metadata shows new partitions): rejoin at the next poll.
    void request_rejoin(std::string reason) {
        rejoin_needed_ = true;
        rejoin_reason_ = std::move(reason);
    }
    bool rejoin_needed() const noexcept { return rejoin_needed_ || state_ == member_state::unjoined; }

    /// One non-blocking step of group maintenance. Returns true when the member is stable with an assignment.
    bool poll(time_point now) {
        if (fatal_) {
            auto ec = fatal_;
            auto what = fatal_what_;
            fatal_ = {};
            throw kafka_error(ec, what);
        }
        if (!subs_.has_auto_assigned_partitions()) return true;
        if (!ensure_coordinator(now)) return false;
        heartbeat_.polled(now);
        check_assignment_metadata();
        if (rejoin_needed_ && (state_ == member_state::stable || state_ == member_state::unjoined)) start_join(now);
        else if (state_ == member_state::unjoined) start_join(now);
        if (state_ == member_state::stable) maybe_heartbeat(now);
        return stable();
    }

    /// The heartbeat part alone, for the background heartbeat thread.
    void heartbeat_tick(time_point now) {
        if (state_ != member_state::stable || !coordinator_) return;
        if (heartbeat_.poll_interval_expired(now) && !left_for_poll_timeout_) {
            // The user has not called poll() within max.poll.interval.ms: leave, as Java does,
            // so the group can hand our partitions to a live member.
            left_for_poll_timeout_ = true;
            // The member is gone: at the next poll its partitions are reported lost (Java's
            // onPartitionsLost), not revoked, and nothing is committed for them.
            lost_pending_ = subs_.assigned_partitions();
            leave_group("consumer poll timeout has expired");
            return;
        }
        maybe_heartbeat(now);
    }

    /// When the next heartbeat is due (to bound how long poll may block).
    duration time_to_next_heartbeat(time_point now) const {
        if (state_ != member_state::stable) return std::chrono::duration_cast<duration>(opts_.retry_backoff);
        return heartbeat_.time_to_next(now);
    }

    /// Committed offsets of partitions without a position: sends OffsetFetch once; on answer,
    /// seeks to the committed offset or requests the reset policy. Returns true when none are missing.
    bool refresh_committed_offsets(time_point now) {
        auto missing = subs_.partitions_needing_position();
        if (missing.empty()) return true;
        if (opts_.group_id.empty()) {
            for (auto const& tp : missing) subs_.request_reset(tp, subs_.default_reset());
            return true;
        }
        if (offset_fetch_in_flight_ || !ensure_coordinator(now)) return false;
        std::map<topic_partition, std::uint64_t> epochs;
        for (auto const& tp : missing) epochs[tp] = subs_.seek_epoch(tp);
        offset_fetch_in_flight_ = true;
        fetch_committed(missing).add_listener([this, epochs](auto& f) {
            offset_fetch_in_flight_ = false;
            if (f.failed()) return;  // retried at the next poll
            for (auto const& [tp, o] : f.value()) {
                auto it = epochs.find(tp);
                if (it == epochs.end() || !subs_.is_assigned(tp) || subs_.seek_epoch(tp) != it->second ||
                    subs_.position(tp))
                    continue;
                if (o && o->offset >= 0) subs_.seek(tp, {o->offset, o->leader_epoch});
                else subs_.request_reset(tp, subs_.default_reset());
            }
        });
        return false;
    }

    /// OffsetFetch for `partitions`; nullopt per partition when nothing is committed.
    client::request_future<std::map<topic_partition, std::optional<offset_and_metadata>>> fetch_committed(
        const std::vector<topic_partition>& partitions) {
        using result = std::map<topic_partition, std::optional<offset_and_metadata>>;
        protocol::OffsetFetchRequest req;
        req.group_id = opts_.group_id;
        req.require_stable = true;
        std::map<std::string, std::vector<std::int32_t>> by_topic;
        for (auto const& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
        req.topics.emplace();
        protocol::OffsetFetchRequest::OffsetFetchRequestGroup g;
        g.group_id = opts_.group_id;
        g.topics.emplace();
        for (auto const& [t, ps] : by_topic) {
            req.topics->push_back({t, ps});
            protocol::OffsetFetchRequest::OffsetFetchRequestTopics gt;
            gt.name = t;
            gt.topic_id = metadata_.topic_id(t);
            gt.partition_indexes = ps;
            g.topics->push_back(std::move(gt));
        }
        req.groups.push_back(std::move(g));
        result_future<result> out;
        if (!coordinator_) {
            out.raise(make_error_code(errc::coordinator_not_available));
            return out;
        }
        // v10 names topics by id: without every id known, stay at v9 or below.
        std::optional<std::int16_t> forced;
        for (auto const& [t, ps] : by_topic)
            if (metadata_.topic_id(t).is_zero()) forced = max_version_below(protocol::OffsetFetchRequest::api_key, 9);
        auto node = client::coordinator_node_id(*coordinator_);
        client_.send(node, std::move(req), forced).add_listener([this, out](auto& f) mutable {
            if (f.failed()) return fail_coordinator_request(out, f.error());
            auto& r = f.value();
            result res;
            std::int16_t group_error = 0;
            auto take = [&](const std::string& topic, std::int32_t partition, std::int64_t offset, std::int32_t epoch,
                            const std::optional<std::string>& meta, std::int16_t err) {
                if (err != 0 && group_error == 0) group_error = err;
                if (offset < 0) res[{topic, partition}] = std::nullopt;
                else res[{topic, partition}] = offset_and_metadata{offset, meta.value_or(""),
                                                                   epoch >= 0 ? std::optional<std::int32_t>(epoch) : std::nullopt};
            };
            if (r.version >= 8) {
                for (auto const& grp : r.body.groups) {
                    if (grp.error_code) group_error = grp.error_code;
                    for (auto const& t : grp.topics) {
                        auto name = r.version >= 10 ? metadata_.topic_name(t.topic_id).value_or(t.name) : t.name;
                        for (auto const& p : t.partitions)
                            take(name, p.partition_index, p.committed_offset, p.committed_leader_epoch, p.metadata, p.error_code);
                    }
                }
            } else {
                group_error = r.body.error_code;
                for (auto const& t : r.body.topics)
                    for (auto const& p : t.partitions)
                        take(t.name, p.partition_index, p.committed_offset, p.committed_leader_epoch, p.metadata, p.error_code);
            }
            if (group_error) return fail_coordinator_request(out, make_error_code(static_cast<errc>(group_error)));
            out.complete(std::move(res));
        });
        return out;
    }

    /// OffsetCommit of `offsets`. Generation and member id are sent when the member is stable
    /// (a manually assigned consumer commits as a "simple" member: generation -1).
    client::request_future<std::map<topic_partition, std::error_code>> commit(
        const std::map<topic_partition, offset_and_metadata>& offsets, time_point now) {
        using result = std::map<topic_partition, std::error_code>;
        result_future<result> out;
        if (opts_.group_id.empty()) {
            out.raise(make_error_code(errc::invalid_group_id));
            return out;
        }
        if (offsets.empty()) {
            out.complete({});
            return out;
        }
        if (!ensure_coordinator(now)) {
            out.raise(make_error_code(errc::coordinator_not_available));
            return out;
        }
        protocol::OffsetCommitRequest req;
        req.group_id = opts_.group_id;
        bool member = subs_.has_auto_assigned_partitions() && state_ == member_state::stable;
        req.generation_id_or_member_epoch = member ? generation_ : -1;
        req.member_id = member ? member_id_ : std::string();
        req.group_instance_id = opts_.group_instance_id;
        std::optional<std::int16_t> forced;
        for (auto const& [tp, om] : offsets) {
            auto it = std::find_if(req.topics.begin(), req.topics.end(), [&](auto const& t) { return t.name == tp.topic; });
            if (it == req.topics.end()) {
                req.topics.push_back({});
                it = std::prev(req.topics.end());
                it->name = tp.topic;
                it->topic_id = metadata_.topic_id(tp.topic);
                if (it->topic_id.is_zero()) forced = max_version_below(protocol::OffsetCommitRequest::api_key, 9);
            }
            protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
            p.partition_index = tp.partition;
            p.committed_offset = om.offset;
            p.committed_leader_epoch = om.leader_epoch.value_or(-1);
            p.committed_metadata = om.metadata;
            it->partitions.push_back(std::move(p));
        }
        auto node = client::coordinator_node_id(*coordinator_);
        client_.send(node, std::move(req), forced).add_listener([this, out](auto& f) mutable {
            if (f.failed()) return fail_coordinator_request(out, f.error());
            auto& r = f.value();
            result res;
            std::error_code first;
            for (auto const& t : r.body.topics) {
                auto name = r.version >= 10 ? metadata_.topic_name(t.topic_id).value_or(t.name) : t.name;
                for (auto const& p : t.partitions) {
                    std::error_code ec;
                    if (p.error_code) ec = make_error_code(static_cast<errc>(p.error_code));
                    res[{name, p.partition_index}] = ec;
                    if (ec && !first) first = ec;
                }
            }
            if (first) {
                auto e = static_cast<errc>(first.value());
                if (e == errc::not_coordinator || e == errc::coordinator_not_available) mark_coordinator_unknown();
                if (e == errc::unknown_member_id || e == errc::illegal_generation || e == errc::fenced_instance_id)
                    reset_generation("commit failed: " + first.message());
                if (e == errc::rebalance_in_progress) request_rejoin("commit during a rebalance");
                return out.raise(first);
            }
            out.complete(std::move(res));
        });
        return out;
    }

    /// Sends LeaveGroup (dynamic members; static members stay, as Java's close does).
    void leave_group(const std::string& reason) {
        if (coordinator_ && !member_id_.empty() && !opts_.group_instance_id) {
            protocol::LeaveGroupRequest req;
            req.group_id = opts_.group_id;
            req.member_id = member_id_;
            protocol::LeaveGroupRequest::MemberIdentity m;
            m.member_id = member_id_;
            m.group_instance_id = opts_.group_instance_id;
            m.reason = reason;
            req.members.push_back(std::move(m));
            leave_future_ = client_.send(client::coordinator_node_id(*coordinator_), std::move(req))
                                .template then<bool>([](auto&) { return true; });
        }
        member_id_.clear();
        generation_ = -1;
        state_ = member_state::unjoined;
        rejoin_needed_ = true;
    }
    /// The LeaveGroup sent by leave_group(), to wait for on close.
    std::optional<client::request_future<bool>>& leave_future() noexcept { return leave_future_; }

    /// On unsubscribe/close: give up the assignment through the listener, then leave.
    void revoke_all_and_leave(const std::string& reason) {
        auto owned = subs_.assigned_partitions();
        if (!owned.empty() && subs_.has_auto_assigned_partitions()) {
            if (before_revoke_) before_revoke_(owned);
            call(listener_.on_partitions_revoked, owned);
        }
        if (state_ != member_state::unjoined || !member_id_.empty()) leave_group(reason);
    }

    /// Lost the membership (session expired, fenced): partitions are lost, not revoked.
    void reset_generation(const std::string& why) {
        auto owned = subs_.assigned_partitions();
        generation_ = -1;
        member_id_.clear();
        state_ = member_state::unjoined;
        rejoin_needed_ = true;
        rejoin_reason_ = why;
        if (!owned.empty() && subs_.has_auto_assigned_partitions()) {
            lost_pending_ = owned;
        }
    }

    void mark_coordinator_unknown() {
        if (coordinator_) client_.disconnect(client::coordinator_node_id(*coordinator_), make_error_code(errc::not_coordinator));
        coordinator_.reset();
    }

private:
    template <class T>
    using result_future = client::request_future<T>;

    static void call(const std::function<void(const std::vector<topic_partition>&)>& f,
                     const std::vector<topic_partition>& parts) {
        if (f) f(parts);
    }

    // A cap on the version (the network client picks the highest at or below it once connected).
    static std::optional<std::int16_t> max_version_below(std::int16_t, std::int16_t max) { return max; }

    template <class Fut>
    void fail_coordinator_request(Fut& out, std::error_code ec) {
        if (ec == client_errc::disconnected || ec == client_errc::request_timed_out || ec == errc::not_coordinator ||
            ec == errc::coordinator_not_available)
            mark_coordinator_unknown();
        out.raise(ec);
    }

public:
    /// Java's ensureCoordinatorReady, one step: FindCoordinator to the least loaded broker.
    /// Also used without a subscription (assign() with group.id commits to the group).
    bool ensure_coordinator(time_point now) {
        if (coordinator_) return true;
        if (find_in_flight_ || now < find_retry_at_) return false;
        auto node = client_.least_loaded_node();
        if (!node) return false;
        protocol::FindCoordinatorRequest req;
        req.key = opts_.group_id;
        req.key_type = 0;
        req.coordinator_keys = {opts_.group_id};
        find_in_flight_ = true;
        client_.send(*node, std::move(req)).add_listener([this](auto& f) {
            find_in_flight_ = false;
            auto retry = [this] { find_retry_at_ = client_.now() + opts_.retry_backoff; };
            if (f.failed()) return retry();
            auto& r = f.value();
            std::int16_t err;
            std::int32_t id;
            std::string host;
            std::int32_t port;
            if (r.version >= 4) {
                if (r.body.coordinators.empty()) return retry();
                auto const& c = r.body.coordinators.front();
                err = c.error_code, id = c.node_id, host = c.host, port = c.port;
            } else {
                err = r.body.error_code, id = r.body.node_id, host = r.body.host, port = r.body.port;
            }
            if (err != 0) {
                auto e = static_cast<errc>(err);
                if (e == errc::group_authorization_failed) {
                    fatal_ = make_error_code(e);
                    fatal_what_ = "not authorized to use group '" + opts_.group_id + "'";
                }
                return retry();
            }
            // A connection of its own for group traffic, apart from the broker's Fetch connection.
            client_.set_node(client::coordinator_node_id(id), host, static_cast<std::uint16_t>(port));
            coordinator_ = id;
        });
        return false;
    }

private:
    std::vector<std::string> subscribed_topics() const {
        auto const& s = subs_.subscription();
        return {s.begin(), s.end()};
    }

    void start_join(time_point now) {
        if (join_in_flight_ || sync_in_flight_ || now < join_retry_at_) return;
        // Lost partitions first (membership was reset), then eager revocation (Java's onJoinPrepare).
        if (!lost_pending_.empty()) {
            auto lost = std::move(lost_pending_);
            lost_pending_.clear();
            call(listener_.on_partitions_lost, lost);
            subs_.assign_from_subscribed({});
        }
        if (!join_prepared_) {
            auto owned = subs_.assigned_partitions();
            if (!owned.empty()) {
                // Java's onJoinPrepare: the commit policy commits what was processed before every
                // rejoin. Eager: everything is revoked next. Cooperative: the partitions this member
                // keeps are committed too, so a crash after the rebalance replays only what came
                // after it (those that move are committed again right before they are revoked).
                if (before_revoke_) before_revoke_(owned);
                if (assignor_list::protocol == rebalance_protocol::eager) {
                    call(listener_.on_partitions_revoked, owned);
                    subs_.assign_from_subscribed({});
                }
            }
        }
        join_prepared_ = true;
        state_ = member_state::joining;
        rejoin_needed_ = false;

        protocol::JoinGroupRequest req;
        req.group_id = opts_.group_id;
        req.session_timeout_ms = static_cast<std::int32_t>(opts_.session_timeout.count());
        req.rebalance_timeout_ms = static_cast<std::int32_t>(opts_.max_poll_interval.count());
        req.member_id = member_id_;
        req.group_instance_id = opts_.group_instance_id;
        req.protocol_type = std::string(consumer_protocol::protocol_type);
        req.reason = rejoin_reason_.empty() ? std::nullopt : std::optional<std::string>(rejoin_reason_);
        auto owned = subs_.assigned_partitions();
        for (auto name : assignor_list::names) {
            consumer_protocol::subscription sub;
            sub.topics = subscribed_topics();
            auto ud = assignors_.user_data(name, last_assignment_, last_generation_);
            if (!ud.empty()) sub.user_data = std::move(ud);
            sub.owned_partitions = consumer_protocol::group_by_topic(owned);
            sub.generation_id = last_generation_;
            sub.rack_id = opts_.client_rack;
            protocol::JoinGroupRequest::JoinGroupRequestProtocol p;
            p.name = std::string(name);
            p.metadata = consumer_protocol::encode_subscription(sub);
            req.protocols.push_back(std::move(p));
        }
        join_in_flight_ = true;
        // The broker holds JoinGroup until every member joined: up to the rebalance timeout.
        auto timeout = std::max(opts_.request_timeout, opts_.max_poll_interval + std::chrono::milliseconds(5000));
        client_.send(client::coordinator_node_id(*coordinator_), std::move(req), std::nullopt, timeout)
            .add_listener([this](auto& f) { on_join(f); });
    }

    template <class F>
    void on_join(F& f) {
        join_in_flight_ = false;
        if (f.failed()) {
            state_ = member_state::unjoined;
            rejoin_needed_ = true;
            fail_and_retry(f.error());
            return;
        }
        auto& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) {
            state_ = member_state::unjoined;
            rejoin_needed_ = true;
            switch (e) {
            case errc::member_id_required:
                member_id_ = r.member_id;  // rejoin at once with the id the broker gave us
                return;
            case errc::unknown_member_id:
                member_id_.clear();
                return;
            case errc::not_coordinator:
            case errc::coordinator_not_available:
                mark_coordinator_unknown();
                return;
            case errc::coordinator_load_in_progress:
            case errc::rebalance_in_progress:
                join_retry_at_ = client_.now() + opts_.retry_backoff;
                return;
            case errc::fenced_instance_id:
                fatal_ = make_error_code(e);
                fatal_what_ = "another consumer with group.instance.id '" + opts_.group_instance_id.value_or("") +
                              "' joined group '" + opts_.group_id + "': this one is fenced";
                return;
            default:
                fatal_ = make_error_code(e);
                fatal_what_ = "JoinGroup to group '" + opts_.group_id + "' failed";
                return;
            }
        }
        member_id_ = r.member_id;
        generation_ = r.generation_id;
        leader_id_ = r.leader;
        protocol_name_ = r.protocol_name.value_or("");
        if (!protocol_name_.empty() && !assignor_list::contains(protocol_name_)) {
            fatal_ = make_error_code(errc::inconsistent_group_protocol);
            fatal_what_ = "the group chose assignor '" + protocol_name_ + "', which this consumer does not have";
            return;
        }
        protocol::SyncGroupRequest sync;
        sync.group_id = opts_.group_id;
        sync.generation_id = generation_;
        sync.member_id = member_id_;
        sync.group_instance_id = opts_.group_instance_id;
        sync.protocol_type = std::string(consumer_protocol::protocol_type);
        sync.protocol_name = protocol_name_;
        if (is_leader() && !r.skip_assignment) {
            auto assignment = run_assignor(r.members);
            if (!assignment) return;  // waiting for metadata: rejoin requested
            for (auto const& [member, parts] : *assignment) {
                consumer_protocol::assignment a;
                a.assigned_partitions = consumer_protocol::group_by_topic(parts);
                protocol::SyncGroupRequest::SyncGroupRequestAssignment sa;
                sa.member_id = member;
                sa.assignment = consumer_protocol::encode_assignment(a);
                sync.assignments.push_back(std::move(sa));
            }
        }
        state_ = member_state::syncing;
        sync_in_flight_ = true;
        client_.send(client::coordinator_node_id(*coordinator_), std::move(sync))
            .add_listener([this](auto& sf) { on_sync(sf); });
    }

    // The leader's assignment. nullopt when metadata lacks a subscribed topic (rejoin after refresh).
    std::optional<group_assignment> run_assignor(const std::vector<protocol::JoinGroupResponse::JoinGroupResponseMember>& members) {
        std::vector<member_subscription> subs;
        std::set<std::string> all_topics;
        for (auto const& m : members) {
            std::error_code ec;
            auto s = consumer_protocol::decode_subscription(m.metadata, ec);
            if (!s) {
                fatal_ = ec ? ec : make_error_code(client_errc::malformed_response);
                fatal_what_ = "member " + m.member_id + " sent a subscription this leader cannot decode";
                return std::nullopt;
            }
            member_subscription ms;
            ms.member_id = m.member_id;
            ms.group_instance_id = m.group_instance_id;
            ms.topics = s->topics;
            if (s->user_data) ms.user_data = *s->user_data;
            ms.owned_partitions = consumer_protocol::flatten(s->owned_partitions);
            ms.generation_id = s->generation_id;
            ms.rack_id = s->rack_id;
            all_topics.insert(s->topics.begin(), s->topics.end());
            subs.push_back(std::move(ms));
        }
        // The leader needs metadata for every topic any member subscribes to.
        std::map<std::string, std::int32_t> counts;
        bool missing = false;
        for (auto const& t : all_topics) {
            if (auto n = metadata_.partition_count(t)) counts[t] = *n;
            else if (!metadata_.topic(t)) missing = true;
        }
        if (missing && !group_topics_requested_) {
            auto wanted = metadata_.topics();
            wanted.insert(all_topics.begin(), all_topics.end());
            metadata_.set_topics(wanted, metadata_.wants_all_topics());
            group_topics_requested_ = true;
        }
        auto result = assignors_.assign(protocol_name_.empty() ? assignor_list::names[0] : protocol_name_, counts, subs);
        if (!result) return std::nullopt;
        assigned_counts_ = counts;
        for (auto const& ms : subs) (*result)[ms.member_id];  // every member gets an entry, maybe empty
        return result;
    }

    template <class F>
    void on_sync(F& f) {
        sync_in_flight_ = false;
        if (f.failed()) {
            state_ = member_state::unjoined;
            rejoin_needed_ = true;
            fail_and_retry(f.error());
            return;
        }
        auto& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) {
            state_ = member_state::unjoined;
            rejoin_needed_ = true;
            switch (e) {
            case errc::rebalance_in_progress: return;
            case errc::unknown_member_id:
            case errc::illegal_generation: reset_generation("SyncGroup: " + make_error_code(e).message()); return;
            case errc::not_coordinator:
            case errc::coordinator_not_available: mark_coordinator_unknown(); return;
            case errc::fenced_instance_id:
                fatal_ = make_error_code(e);
                fatal_what_ = "this static member was fenced by another with the same group.instance.id";
                return;
            default:
                fatal_ = make_error_code(e);
                fatal_what_ = "SyncGroup to group '" + opts_.group_id + "' failed";
                return;
            }
        }
        std::vector<topic_partition> assigned;
        if (!r.assignment.empty()) {
            std::error_code ec;
            auto a = consumer_protocol::decode_assignment(r.assignment, ec);
            if (!a) {
                fatal_ = ec ? ec : make_error_code(client_errc::malformed_response);
                fatal_what_ = "the group leader sent an assignment this consumer cannot decode";
                return;
            }
            assigned = consumer_protocol::flatten(a->assigned_partitions);
        }
        // Keep only topics we subscribe to (a leader with an older view may send others).
        std::erase_if(assigned, [&](auto const& tp) { return !subs_.subscription().count(tp.topic); });
        apply_assignment(assigned);
    }

    void apply_assignment(const std::vector<topic_partition>& assigned) {
        auto owned = subs_.assigned_partitions();
        std::set<topic_partition> now(assigned.begin(), assigned.end()), before(owned.begin(), owned.end());
        std::vector<topic_partition> revoked, added;
        for (auto const& tp : before)
            if (!now.count(tp)) revoked.push_back(tp);
        for (auto const& tp : now)
            if (!before.count(tp)) added.push_back(tp);
        state_ = member_state::stable;
        join_prepared_ = false;
        group_topics_requested_ = false;
        left_for_poll_timeout_ = false;
        heartbeat_.reset(client_.now());
        last_assignment_ = assigned;
        last_generation_ = generation_;
        assignors_.on_assignment(protocol_name_.empty() ? assignor_list::names[0] : protocol_name_, assigned, generation_);
        if (!revoked.empty()) {
            // Cooperative: give up what moved; the new owner gets it in a follow-up rebalance.
            if (before_revoke_) before_revoke_(revoked);
            call(listener_.on_partitions_revoked, revoked);
            request_rejoin("partitions revoked in a cooperative rebalance");
        }
        subs_.assign_from_subscribed(assigned);
        call(listener_.on_partitions_assigned, added);
        assignment_snapshot_.clear();
        for (auto const& t : subs_.subscription()) assignment_snapshot_[t] = metadata_.partition_count(t).value_or(-1);
    }

    // Java's rejoinNeededOrPending: partition counts changed since the assignment.
    // A topic unknown at assignment time (-1) that now exists counts as a change too.
    void check_assignment_metadata() {
        if (state_ != member_state::stable) return;
        for (auto const& t : subs_.subscription()) {
            auto n = metadata_.partition_count(t);
            auto it = assignment_snapshot_.find(t);
            if (n && (it == assignment_snapshot_.end() || it->second != *n)) {
                request_rejoin("partition count of " + t + " changed");
                return;
            }
        }
    }

    void maybe_heartbeat(time_point now) {
        if (!coordinator_ || !heartbeat_.due(now)) return;
        protocol::HeartbeatRequest req;
        req.group_id = opts_.group_id;
        req.generation_id = generation_;
        req.member_id = member_id_;
        req.group_instance_id = opts_.group_instance_id;
        heartbeat_.sent(now);
        auto gen = generation_;
        client_.send(client::coordinator_node_id(*coordinator_), std::move(req)).add_listener([this, gen](auto& f) {
            if (f.failed()) {
                heartbeat_.failed(client_.now());
                mark_coordinator_unknown();
                return;
            }
            if (gen != generation_) return;  // an answer about a generation we already left
            auto e = static_cast<errc>(f.value().body.error_code);
            switch (e) {
            case errc::none: heartbeat_.received(client_.now()); return;
            case errc::rebalance_in_progress:
                heartbeat_.received(client_.now());
                request_rejoin("the group is rebalancing");
                return;
            case errc::illegal_generation:
            case errc::unknown_member_id: reset_generation("heartbeat: " + make_error_code(e).message()); return;
            case errc::fenced_instance_id:
                fatal_ = make_error_code(e);
                fatal_what_ = "this static member was fenced by another with the same group.instance.id";
                return;
            case errc::not_coordinator:
            case errc::coordinator_not_available:
                heartbeat_.failed(client_.now());
                mark_coordinator_unknown();
                return;
            default: heartbeat_.failed(client_.now()); return;
            }
        });
    }

    void fail_and_retry(std::error_code ec) {
        if (ec == client_errc::disconnected || ec == client_errc::request_timed_out) mark_coordinator_unknown();
        join_retry_at_ = client_.now() + opts_.retry_backoff;
    }

    client_type& client_;
    metadata_type& metadata_;
    subscription_state& subs_;
    group_options opts_;
    assignor_list assignors_;
    heartbeat_timer<clock> heartbeat_;
    rebalance_listener listener_;
    std::function<void(const std::vector<topic_partition>&)> before_revoke_;

    std::optional<std::int32_t> coordinator_;
    bool find_in_flight_ = false;
    time_point find_retry_at_{};
    member_state state_ = member_state::unjoined;
    bool rejoin_needed_ = true;
    std::string rejoin_reason_;
    bool join_in_flight_ = false;
    bool sync_in_flight_ = false;
    bool join_prepared_ = false;
    bool group_topics_requested_ = false;
    bool left_for_poll_timeout_ = false;
    bool offset_fetch_in_flight_ = false;
    time_point join_retry_at_{};
    std::string member_id_;
    std::int32_t generation_ = -1;
    std::string leader_id_;
    std::string protocol_name_;
    std::vector<topic_partition> last_assignment_;
    std::int32_t last_generation_ = -1;
    std::vector<topic_partition> lost_pending_;
    std::map<std::string, std::int32_t> assignment_snapshot_;
    std::map<std::string, std::int32_t> assigned_counts_;
    std::optional<client::request_future<bool>> leave_future_;
    std::error_code fatal_;
    std::string fatal_what_;
};

}  // namespace engine
}  // namespace kafka
