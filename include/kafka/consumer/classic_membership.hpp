// Membership of a classic group (group.protocol=classic; Java's ConsumerCoordinator on
// AbstractCoordinator): join the group, let the leader run the assignor, sync, heartbeat, leave.
//
// One state, with checked transitions:
//
//   unjoined --start_join--> joining --JoinGroup ok--> syncing --SyncGroup ok--> stable
//      ^                        |                         |                        |
//      +------ error -----------+-------- error ----------+---- lost, left, rejoin-+
//
// (stable may also go straight to joining when a rebalance is requested.) Beside the state: a
// rejoin request (the subscription or partition counts changed, the broker said rebalance) and
// whether this round's onJoinPrepare (commit, eager revocation) already ran.
//
// Everything runs on the consumer's thread, in small non-blocking steps: each step sends at most
// one group request; its response, handled from the network client's pendingCompletion queue,
// moves the state on. heartbeat_tick() may also run on the background heartbeat thread, under the
// consumer's lock, while the user processes records.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/consumer/group_membership.hpp>
#include <kafka/consumer/heartbeat.hpp>
#include <kafka/policy/assignor.hpp>
#include <kafka/protocol/consumer_protocol.hpp>
#include <kafka/protocol/messages/heartbeat.hpp>
#include <kafka/protocol/messages/join_group.hpp>
#include <kafka/protocol/messages/leave_group.hpp>
#include <kafka/protocol/messages/sync_group.hpp>

namespace kafka::engine {

enum class classic_state { unjoined, joining, syncing, stable };

constexpr std::string_view to_string(classic_state s) noexcept {
    constexpr std::array<std::string_view, 4> names{"unjoined", "joining", "syncing", "stable"};
    return names[static_cast<std::size_t>(s)];
}

/// The transitions classic_membership may make (any state may fall back to unjoined).
constexpr bool valid_transition(classic_state from, classic_state to) noexcept {
    using enum classic_state;
    if (to == unjoined) return true;
    switch (from) {
        case unjoined:
            return to == joining;
        case joining:
            return to == syncing;
        case syncing:
            return to == stable;
        case stable:
            return to == joining;
    }
    return false;
}

template <transport Transport, class AssignorPolicy>
class classic_membership final : public group_membership<Transport> {
public:
    using base = group_membership<Transport>;
    using typename base::duration;
    using typename base::time_point;
    using assignor_list = assignors::as_list<AssignorPolicy>;

    classic_membership(group_parts<Transport>& parts, assignor_list assignors = {})
        : parts_(parts),
          opts_(parts.opts),
          assignors_(std::move(assignors)),
          heartbeat_(opts_.session_timeout, opts_.heartbeat_interval, opts_.max_poll_interval, opts_.retry_backoff) {
        parts_.commits.on_member_error([this](errc e, const std::string& why) {
            if (e == errc::rebalance_in_progress)
                request_rejoin("commit during a rebalance");
            else
                reset_generation(why);
        });
    }
    classic_membership(const classic_membership&) = delete;
    classic_membership& operator=(const classic_membership&) = delete;

    std::string_view protocol() const noexcept override { return "classic"; }
    classic_state state() const noexcept { return state_; }
    bool stable() const noexcept override { return state_ == classic_state::stable && !rejoin_needed_; }
    std::int32_t generation() const noexcept { return generation_; }
    const std::string& member_id() const noexcept { return member_id_; }
    bool is_leader() const noexcept { return !member_id_.empty() && leader_id_ == member_id_; }
    const std::string& protocol_name() const noexcept { return protocol_name_; }

    member_identity identity() const override {
        // A member commits with its generation while stable; otherwise (assign(), or between
        // generations) as a "simple" consumer: generation -1, no member id.
        bool member = parts_.subs.has_auto_assigned_partitions() && state_ == classic_state::stable;
        return {member ? generation_ : -1, member ? member_id_ : std::string(), opts_.group_instance_id};
    }

    member_identity group_metadata() const override { return {generation_, member_id_, opts_.group_instance_id}; }

    std::optional<error_report> take_fatal() override {
        if (auto f = parts_.locator.take_fatal()) return f;
        auto f = std::move(fatal_);
        fatal_.reset();
        return f;
    }

    void request_rejoin(std::string reason) override {
        rejoin_needed_ = true;
        rejoin_reason_ = std::move(reason);
    }

    bool poll(time_point now) override {
        if (fatal_ || !parts_.subs.has_auto_assigned_partitions()) return !fatal_;
        if (!parts_.locator.ensure(now)) return false;
        heartbeat_.polled(now);
        check_assignment_metadata();
        if (state_ == classic_state::unjoined || (rejoin_needed_ && state_ == classic_state::stable)) start_join(now);
        if (state_ == classic_state::stable) maybe_heartbeat(now);
        return stable();
    }

    void heartbeat_tick(time_point now) override {
        if (state_ != classic_state::stable || !parts_.locator.coordinator()) return;
        if (heartbeat_.poll_interval_expired(now)) {
            // The user has not called poll() within max.poll.interval.ms: leave, as Java does, so
            // the group can hand our partitions to a live member. At the next poll they are
            // reported lost (Java's onPartitionsLost), not revoked, and nothing is committed.
            lost_pending_ = parts_.subs.assigned_partitions();
            leave_group("consumer poll timeout has expired");
            return;
        }
        maybe_heartbeat(now);
    }

    duration time_to_next_heartbeat(time_point now) const override {
        if (state_ != classic_state::stable) return std::chrono::duration_cast<duration>(opts_.retry_backoff);
        return heartbeat_.time_to_next(now);
    }

    void revoke_all_and_leave(const std::string& reason) override {
        if (parts_.subs.has_auto_assigned_partitions()) {
            auto owned = parts_.applier.owned();
            parts_.applier.revoke(owned);
        }
        if (state_ != classic_state::unjoined || !member_id_.empty()) leave_group(reason);
    }

    std::optional<client::request_future<bool>>& leave_future() override { return leave_future_; }

private:
    void transition(classic_state to) {
        // A new round starts with each join and ends with each fall back to unjoined: answers to
        // the requests of an older round are ignored.
        if (to == classic_state::joining || to == classic_state::unjoined) ++round_;
        if (!valid_transition(state_, to)) {
            fatal_ = error_report{make_error_code(client_errc::illegal_state),
                                  "classic group membership: invalid transition from " +
                                      std::string(to_string(state_)) + " to " + std::string(to_string(to))};
            to = classic_state::unjoined;
        }
        state_ = to;
    }

    /// Out of the group's current round: join again at the next step.
    void back_to_unjoined() {
        transition(classic_state::unjoined);
        rejoin_needed_ = true;
    }

    /// Sends LeaveGroup (by default dynamic members; static members stay, as Java's close does).
    void leave_group(const std::string& reason) {
        bool send = opts_.on_leave == leave_operation::default_operation
                        ? !opts_.group_instance_id
                        : opts_.on_leave == leave_operation::leave_group;
        if (auto node = parts_.locator.node(); node && !member_id_.empty() && send) {
            protocol::LeaveGroupRequest req;
            req.group_id = opts_.group_id;
            req.member_id = member_id_;
            protocol::LeaveGroupRequest::MemberIdentity m;
            m.member_id = member_id_;
            m.group_instance_id = opts_.group_instance_id;
            m.reason = reason;
            req.members.push_back(std::move(m));
            leave_future_ = parts_.client.send(*node, std::move(req)).template then<bool>([](auto&) { return true; });
        }
        member_id_.clear();
        generation_ = -1;
        back_to_unjoined();
    }

    /// Lost the membership (session expired, fenced): partitions are lost, not revoked.
    void reset_generation(const std::string& why) {
        auto owned = parts_.subs.assigned_partitions();
        generation_ = -1;
        member_id_.clear();
        back_to_unjoined();
        rejoin_reason_ = why;
        if (!owned.empty() && parts_.subs.has_auto_assigned_partitions()) lost_pending_ = owned;
    }

    void fail(errc e, std::string what) { fatal_ = error_report{make_error_code(e), std::move(what)}; }

    std::vector<std::string> subscribed_topics() const {
        auto const& s = parts_.subs.subscription();
        return {s.begin(), s.end()};
    }

    void start_join(time_point now) {
        if (now < join_retry_at_) return;
        // Lost partitions first (membership was reset), then Java's onJoinPrepare.
        if (!lost_pending_.empty()) {
            auto lost = std::move(lost_pending_);
            lost_pending_.clear();
            parts_.applier.lose(lost);
        }
        if (!join_prepared_) {
            // The commit policy commits what was processed before every rejoin. Eager: everything
            // is revoked next. Cooperative: the partitions this member keeps are committed too, so
            // a crash after the rebalance replays only what came after it (those that move are
            // committed again right before they are revoked).
            auto owned = parts_.applier.owned();
            parts_.applier.commit_owned();
            if (assignor_list::protocol == rebalance_protocol::eager && !owned.empty()) {
                parts_.applier.revoke(owned, false);
                parts_.subs.assign_from_subscribed({});
            }
        }
        join_prepared_ = true;
        transition(classic_state::joining);
        rejoin_needed_ = false;

        protocol::JoinGroupRequest req;
        req.group_id = opts_.group_id;
        req.session_timeout_ms = static_cast<std::int32_t>(opts_.session_timeout.count());
        req.rebalance_timeout_ms = static_cast<std::int32_t>(opts_.max_poll_interval.count());
        req.member_id = member_id_;
        req.group_instance_id = opts_.group_instance_id;
        req.protocol_type = std::string(consumer_protocol::protocol_type);
        req.reason = rejoin_reason_.empty() ? std::nullopt : std::optional<std::string>(rejoin_reason_);
        auto owned = parts_.subs.assigned_partitions();
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
        // The broker holds JoinGroup until every member joined: up to the rebalance timeout.
        auto timeout = std::max(opts_.request_timeout, opts_.max_poll_interval + std::chrono::milliseconds(5000));
        parts_.client.send(*parts_.locator.node(), std::move(req), std::nullopt, timeout)
            .add_listener([this, round = round_](auto& f) {
                if (round == round_) on_join(f);
            });
    }

    /// A JoinGroup or SyncGroup that failed to arrive: back to unjoined, retry after the backoff.
    void retry_join_after(std::error_code ec) {
        back_to_unjoined();
        if (ec == client_errc::disconnected || ec == client_errc::request_timed_out) parts_.locator.mark_unknown();
        join_retry_at_ = parts_.client.now() + opts_.retry_backoff;
    }

    template <class F>
    void on_join(F& f) {
        if (f.failed()) return retry_join_after(f.error());
        auto& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) {
            back_to_unjoined();
            switch (e) {
                case errc::member_id_required:
                    member_id_ = r.member_id;
                    return;  // rejoin at once with the id given
                case errc::unknown_member_id:
                    member_id_.clear();
                    return;
                case errc::not_coordinator:
                case errc::coordinator_not_available:
                    parts_.locator.mark_unknown();
                    return;
                case errc::coordinator_load_in_progress:
                case errc::rebalance_in_progress:
                    join_retry_at_ = parts_.client.now() + opts_.retry_backoff;
                    return;
                case errc::fenced_instance_id:
                    return fail(e, "another consumer with group.instance.id '" + opts_.group_instance_id.value_or("") +
                                       "' joined group '" + opts_.group_id + "': this one is fenced");
                default:
                    return fail(e, "JoinGroup to group '" + opts_.group_id + "' failed");
            }
        }
        member_id_ = r.member_id;
        generation_ = r.generation_id;
        leader_id_ = r.leader;
        protocol_name_ = r.protocol_name.value_or("");
        if (!protocol_name_.empty() && !assignor_list::contains(protocol_name_)) {
            transition(classic_state::unjoined);
            return fail(errc::inconsistent_group_protocol,
                        "the group chose assignor '" + protocol_name_ + "', which this consumer does not have");
        }
        protocol::SyncGroupRequest sync;
        sync.group_id = opts_.group_id;
        sync.generation_id = generation_;
        sync.member_id = member_id_;
        sync.group_instance_id = opts_.group_instance_id;
        sync.protocol_type = std::string(consumer_protocol::protocol_type);
        sync.protocol_name = protocol_name_;
        leader_snapshot_.reset();
        if (is_leader() && !r.skip_assignment) {
            auto assignment = run_assignor(r.members);
            if (!assignment) {
                transition(classic_state::unjoined);
                return;
            }
            for (auto const& [member, parts] : *assignment) {
                consumer_protocol::assignment a;
                a.assigned_partitions = consumer_protocol::group_by_topic(parts);
                protocol::SyncGroupRequest::SyncGroupRequestAssignment sa;
                sa.member_id = member;
                sa.assignment = consumer_protocol::encode_assignment(a);
                sync.assignments.push_back(std::move(sa));
            }
        }
        transition(classic_state::syncing);
        parts_.client.send(*parts_.locator.node(), std::move(sync)).add_listener([this, round = round_](auto& sf) {
            if (round == round_) on_sync(sf);
        });
    }

    // The leader's assignment; nullopt when it cannot be made (the reason is in fatal_).
    std::optional<group_assignment> run_assignor(
        const std::vector<protocol::JoinGroupResponse::JoinGroupResponseMember>& members) {
        std::vector<member_subscription> subs;
        std::set<std::string> all_topics;
        for (auto const& m : members) {
            std::error_code ec;
            auto s = consumer_protocol::decode_subscription(m.metadata, ec);
            if (!s) {
                fatal_ = error_report{ec ? ec : make_error_code(client_errc::malformed_response),
                                      "member " + m.member_id + " sent a subscription this leader cannot decode"};
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
        // The leader needs metadata for every topic any member subscribes to: ask for the
        // missing ones (the partition-count check rejoins once they arrive).
        std::map<std::string, std::int32_t> counts;
        bool missing = false;
        for (auto const& t : all_topics) {
            if (auto n = parts_.metadata.partition_count(t))
                counts[t] = *n;
            else if (!parts_.metadata.topic(t))
                missing = true;
        }
        // What the assignment is made from: the leader rejoins once any of it changes, even if
        // metadata moves on before the SyncGroup answer (as Java's assignmentSnapshot).
        leader_snapshot_.emplace();
        for (auto const& t : all_topics) {
            auto c = counts.find(t);
            (*leader_snapshot_)[t] = c == counts.end() ? -1 : c->second;
        }
        if (missing) {
            auto wanted = parts_.metadata.topics();
            auto before = wanted.size();
            wanted.insert(all_topics.begin(), all_topics.end());
            if (wanted.size() != before) parts_.metadata.set_topics(wanted, parts_.metadata.wants_all_topics());
        }
        auto result =
            assignors_.assign(protocol_name_.empty() ? assignor_list::names[0] : protocol_name_, counts, subs);
        if (!result) {
            fatal_ = error_report{make_error_code(errc::inconsistent_group_protocol),
                                  "no assignor called '" + protocol_name_ + "' in this consumer"};
            return std::nullopt;
        }
        for (auto const& ms : subs) (*result)[ms.member_id];  // every member gets an entry, maybe empty
        return result;
    }

    template <class F>
    void on_sync(F& f) {
        if (f.failed()) return retry_join_after(f.error());
        auto& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) {
            back_to_unjoined();
            switch (e) {
                case errc::rebalance_in_progress:
                    return;
                case errc::unknown_member_id:
                case errc::illegal_generation:
                    return reset_generation("SyncGroup: " + make_error_code(e).message());
                case errc::not_coordinator:
                case errc::coordinator_not_available:
                    return parts_.locator.mark_unknown();
                case errc::fenced_instance_id:
                    return fail(e, "this static member was fenced by another with the same group.instance.id");
                default:
                    return fail(e, "SyncGroup to group '" + opts_.group_id + "' failed");
            }
        }
        std::vector<topic_partition> assigned;
        if (!r.assignment.empty()) {
            std::error_code ec;
            auto a = consumer_protocol::decode_assignment(r.assignment, ec);
            if (!a) {
                transition(classic_state::unjoined);
                fatal_ = error_report{ec ? ec : make_error_code(client_errc::malformed_response),
                                      "the group leader sent an assignment this consumer cannot decode"};
                return;
            }
            assigned = consumer_protocol::flatten(a->assigned_partitions);
        }
        // Keep only topics we subscribe to (a leader with an older view may send others).
        std::erase_if(assigned, [&](auto const& tp) { return !parts_.subs.subscription().count(tp.topic); });
        apply_assignment(assigned);
    }

    void apply_assignment(const std::vector<topic_partition>& assigned) {
        transition(classic_state::stable);
        join_prepared_ = false;
        heartbeat_.reset(parts_.client.now());
        last_assignment_ = assigned;
        last_generation_ = generation_;
        assignors_.on_assignment(protocol_name_.empty() ? assignor_list::names[0] : protocol_name_, assigned,
                                 generation_);
        auto change = parts_.applier.apply(assigned);
        // Cooperative: what moved was given up; its new owner gets it in a follow-up rebalance.
        if (!change.revoked.empty()) request_rejoin("partitions revoked in a cooperative rebalance");
        assignment_snapshot_.clear();
        if (leader_snapshot_) assignment_snapshot_ = std::move(*leader_snapshot_);
        leader_snapshot_.reset();
        for (auto const& t : parts_.subs.subscription())
            assignment_snapshot_.try_emplace(t, parts_.metadata.partition_count(t).value_or(-1));
    }

    // Java's rejoinNeededOrPending: partition counts changed since the assignment (for the leader,
    // since it computed the assignment, over every member's topics). A topic unknown then (-1) that
    // now exists counts as a change too.
    void check_assignment_metadata() {
        if (state_ != classic_state::stable) return;
        auto changed = [&](const std::string& t) {
            auto n = parts_.metadata.partition_count(t);
            auto it = assignment_snapshot_.find(t);
            return n && (it == assignment_snapshot_.end() || it->second != *n);
        };
        for (auto const& [t, count] : assignment_snapshot_)
            if (changed(t)) return request_rejoin("partition count of " + t + " changed");
        for (auto const& t : parts_.subs.subscription())
            if (changed(t)) return request_rejoin("partition count of " + t + " changed");
    }

    void maybe_heartbeat(time_point now) {
        auto node = parts_.locator.node();
        if (!node || !heartbeat_.due(now)) return;
        protocol::HeartbeatRequest req;
        req.group_id = opts_.group_id;
        req.generation_id = generation_;
        req.member_id = member_id_;
        req.group_instance_id = opts_.group_instance_id;
        heartbeat_.sent(now);
        auto gen = generation_;
        parts_.client.send(*node, std::move(req)).add_listener([this, gen](auto& f) {
            auto at = parts_.client.now();
            if (f.failed()) {
                heartbeat_.failed(at);
                parts_.locator.mark_unknown();
                return;
            }
            if (gen != generation_) return;  // an answer about a generation we already left
            auto e = static_cast<errc>(f.value().body.error_code);
            switch (e) {
                case errc::none:
                    heartbeat_.received(at);
                    return;
                case errc::rebalance_in_progress:
                    heartbeat_.received(at);
                    request_rejoin("the group is rebalancing");
                    return;
                case errc::illegal_generation:
                case errc::unknown_member_id:
                    reset_generation("heartbeat: " + make_error_code(e).message());
                    return;
                case errc::fenced_instance_id:
                    fail(e, "this static member was fenced by another with the same group.instance.id");
                    return;
                case errc::not_coordinator:
                case errc::coordinator_not_available:
                    heartbeat_.failed(at);
                    parts_.locator.mark_unknown();
                    return;
                default:
                    heartbeat_.failed(at);
                    return;
            }
        });
    }

    group_parts<Transport>& parts_;
    const group_options& opts_;
    assignor_list assignors_;
    heartbeat_timer<typename Transport::clock_type> heartbeat_;

    classic_state state_ = classic_state::unjoined;
    std::uint64_t round_ = 0;     // bumped by transition(): see there
    bool rejoin_needed_ = true;   // a rebalance was asked for (subscription, partition counts, broker)
    std::string rejoin_reason_;   // sent in JoinGroup (v5+)
    bool join_prepared_ = false;  // this round's onJoinPrepare (commit, eager revocation) ran
    time_point join_retry_at_{};
    std::string member_id_;
    std::int32_t generation_ = -1;
    std::string leader_id_;
    std::string protocol_name_;
    std::vector<topic_partition> last_assignment_;  // for the assignor's user data (sticky)
    std::int32_t last_generation_ = -1;
    std::vector<topic_partition> lost_pending_;                           // reported lost at the next join
    std::map<std::string, std::int32_t> assignment_snapshot_;             // partition counts at assignment time
    std::optional<std::map<std::string, std::int32_t>> leader_snapshot_;  // as this leader assigned
    std::optional<client::request_future<bool>> leave_future_;
    std::optional<error_report> fatal_;
};

}  // namespace kafka::engine
