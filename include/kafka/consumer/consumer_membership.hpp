// Membership of a consumer group under the KIP-848 protocol (group.protocol=consumer; Java's
// ConsumerMembershipManager and ConsumerHeartbeatRequestManager): one repeated request,
// ConsumerGroupHeartbeat, joins (member epoch 0), heartbeats at the interval the broker returns,
// reports the partitions this member owns and receives the target assignment the broker computed
// (group.remote.assignor selects the broker's assignor). The member reconciles towards the target:
// it gives up what is no longer its own first (commit per the policy, onPartitionsRevoked), then
// takes what is new (onPartitionsAssigned), and acknowledges what it owns in the next heartbeat.
// The broker hands a partition to its new owner only after the previous owner acknowledged giving
// it up, so no partition is owned twice.
//
// One state, with checked transitions (Java's MemberState, without PREPARE_LEAVING/LEAVING: a
// leave is one heartbeat sent at once):
//
//   unjoined --poll--> joining --answer--> reconciling --applied--> acknowledging --sent--> stable
//      ^                  |                    ^  |                                          |
//      |                  |                    +--+------------- a new target ---------------+
//      +-- left/unsubscribed, or: fenced (lost, rejoin with epoch 0), stale (poll timeout: left,
//          lost at the next poll, rejoin), fatal (an error the user must see; no way back)
//
// Only fields that changed since the last heartbeat the broker answered are sent, as Java does;
// every field again after a failure and when joining. Answers of an older round (before a fence,
// a leave, a rejoin) are ignored. Reconciliation and listener calls run only from poll() on the
// user's thread; heartbeat_tick() (the background heartbeat thread) never runs user code.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/consumer/group_membership.hpp>
#include <kafka/protocol/messages/consumer_group_heartbeat.hpp>

namespace kafka::engine {

enum class consumer_state { unjoined, joining, reconciling, acknowledging, stable, fenced, stale, fatal };

constexpr std::string_view to_string(consumer_state s) noexcept {
    constexpr std::array<std::string_view, 8> names{"unjoined", "joining", "reconciling", "acknowledging",
                                                    "stable",   "fenced",  "stale",       "fatal"};
    return names[static_cast<std::size_t>(s)];
}

/// The transitions consumer_membership may make. Any state but fatal may fall back to unjoined
/// (leave, unsubscribe) and any may become fatal; fatal is the end.
constexpr bool valid_transition(consumer_state from, consumer_state to) noexcept {
    using enum consumer_state;
    if (from == fatal) return false;
    if (to == fatal || to == unjoined) return true;
    switch (from) {
        case unjoined:
            return to == joining;
        case joining:
            return to == reconciling || to == stable || to == fenced;
        case reconciling:
            return to == reconciling || to == acknowledging || to == fenced || to == stale;
        case acknowledging:
            return to == stable || to == reconciling || to == fenced || to == stale;
        case stable:
            return to == reconciling || to == fenced || to == stale;
        case fenced:
        case stale:
            return to == joining;
        case fatal:
            return false;
    }
    return false;
}

/// A member id as Java's Uuid.randomUuid().toString() makes one: 16 random bytes, base64url, no padding.
inline std::string random_member_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device rd;
    std::array<unsigned char, 18> b{};  // 16 random bytes, two zero bytes to make whole 3-byte groups
    for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(rd() & 0xff);
    std::string out;
    for (std::size_t i = 0; i < b.size(); i += 3) {
        unsigned v = (unsigned(b[i]) << 16) | (unsigned(b[i + 1]) << 8) | unsigned(b[i + 2]);
        for (int k = 3; k >= 0; --k) out += alphabet[(v >> (6 * k)) & 63];
    }
    out.resize(22);  // 128 bits in base64 without padding
    return out;
}

template <transport Transport>
class consumer_membership final : public group_membership<Transport> {
public:
    using base = group_membership<Transport>;
    using typename base::duration;
    using typename base::time_point;
    using request = protocol::ConsumerGroupHeartbeatRequest;
    using by_id = std::map<kafka::uuid, std::set<std::int32_t>>;

    static constexpr std::int32_t leave_epoch = -1;         // a dynamic member leaves
    static constexpr std::int32_t static_leave_epoch = -2;  // a static member leaves for now, keeping its assignment

    /// `remote_assignor`: group.remote.assignor (nullopt lets the broker choose).
    consumer_membership(group_parts<Transport>& parts, std::optional<std::string> remote_assignor = std::nullopt)
        : parts_(parts),
          opts_(parts.opts),
          remote_assignor_(std::move(remote_assignor)),
          member_id_(random_member_id()) {
        parts_.commits.on_member_error([this](errc e, const std::string& why) {
            // STALE_MEMBER_EPOCH: the commit is retried with the epoch of the next heartbeat.
            if (e == errc::unknown_member_id || e == errc::fenced_member_epoch) fence(why);
        });
    }
    consumer_membership(const consumer_membership&) = delete;
    consumer_membership& operator=(const consumer_membership&) = delete;

    std::string_view protocol() const noexcept override { return "consumer"; }
    consumer_state state() const noexcept { return state_; }
    std::int32_t member_epoch() const noexcept { return epoch_; }
    const std::string& member_id() const noexcept { return member_id_; }
    duration heartbeat_interval() const noexcept { return std::chrono::duration_cast<duration>(interval_); }

    /// The regex the broker evaluates (subscribe(subscription_pattern)), if that is the subscription.
    std::optional<std::string> server_regex() const {
        if (parts_.subs.subscription_kind() != subscription_state::kind::server_pattern) return std::nullopt;
        return parts_.subs.pattern();
    }

    /// In the group and past the first answer: owned partitions may be fetched (the assignment
    /// changes partition by partition, with no stop-the-world pause).
    bool stable() const noexcept override {
        using enum consumer_state;
        return state_ == stable || state_ == reconciling || state_ == acknowledging;
    }
    bool rebalancing() const noexcept override {
        using enum consumer_state;
        return state_ != stable && state_ != fatal;
    }

    member_identity identity() const override {
        bool member = parts_.subs.has_auto_assigned_partitions() && epoch_ > 0 && stable();
        return {member ? epoch_ : -1, member ? member_id_ : std::string(), opts_.group_instance_id};
    }
    member_identity group_metadata() const override { return {epoch_, member_id_, opts_.group_instance_id}; }

    std::optional<error_report> take_fatal() override {
        if (auto f = parts_.locator.take_fatal()) return f;
        auto f = std::move(fatal_);
        fatal_.reset();
        return f;
    }

    // A changed subscription is sent with the next heartbeat, at once.
    void request_rejoin(std::string) override { heartbeat_now_ = true; }

    bool poll(time_point now) override {
        if (state_ == consumer_state::fatal) return false;
        if (!parts_.subs.has_auto_assigned_partitions()) return false;
        last_poll_ = now;
        if (!lost_pending_.empty()) {
            // What is owned now: a reconciliation cut short by the fencing may have revoked some.
            lost_pending_.clear();
            parts_.applier.lose(parts_.applier.owned());
        }
        if (state_ == consumer_state::fenced || state_ == consumer_state::stale || state_ == consumer_state::unjoined)
            start_joining();
        if (state_ == consumer_state::reconciling) reconcile();
        if (!parts_.locator.ensure(now)) return false;
        maybe_heartbeat(now);
        return stable();
    }

    void heartbeat_tick(time_point now) override {
        if (state_ == consumer_state::fatal || !parts_.subs.has_auto_assigned_partitions()) return;
        if (stable() && now - last_poll_ > opts_.max_poll_interval) {
            // No poll() within max.poll.interval.ms: leave so the group can move our partitions
            // on (Java's leaveGroupEpoch: -2 for a static member); they are reported lost at the
            // next poll, which rejoins.
            send_leave("consumer poll timeout has expired");
            lost_pending_ = parts_.subs.assigned_partitions();
            transition(consumer_state::stale);
            return;
        }
        if (parts_.locator.coordinator()) maybe_heartbeat(now);
    }

    duration time_to_next_heartbeat(time_point now) const override {
        using enum consumer_state;
        auto backoff = std::chrono::duration_cast<duration>(opts_.retry_backoff);
        if (in_flight_) return std::chrono::duration_cast<duration>(interval_);  // the answer wakes the client
        if (!(state_ == joining || this->stable()) || heartbeat_now_ || state_ == joining || state_ == acknowledging)
            return backoff;
        auto next = std::max(next_heartbeat_, retry_at_);
        return next <= now ? duration::zero() : next - now;
    }

    void revoke_all_and_leave(const std::string& reason) override {
        using enum consumer_state;
        if (state_ == fatal) return;
        if (state_ == fenced || state_ == stale) {
            // Not a member any more: nothing to revoke or commit, only lost.
            auto owned = parts_.applier.owned();
            if (parts_.subs.has_auto_assigned_partitions()) parts_.applier.lose(owned);
            lost_pending_.clear();
            transition(unjoined);
            return;
        }
        if (parts_.subs.has_auto_assigned_partitions()) parts_.applier.revoke_all();
        if (state_ != unjoined) send_leave(reason);
        transition(unjoined);
    }

    std::optional<client::request_future<bool>>& leave_future() override { return leave_future_; }

private:
    void transition(consumer_state to) {
        using enum consumer_state;
        // A new round with each join and each way out of the group: older answers are ignored.
        if (to == joining || to == unjoined || to == fenced || to == stale) ++round_;
        if (!valid_transition(state_, to)) {
            fatal_ = error_report{make_error_code(client_errc::illegal_state),
                                  "consumer group membership: invalid transition from " +
                                      std::string(to_string(state_)) + " to " + std::string(to_string(to))};
            to = fatal;
        }
        state_ = to;
    }

    void fail(errc e, std::string what) {
        fatal_ = error_report{make_error_code(e), std::move(what)};
        transition(consumer_state::fatal);
    }

    // Out of the group without leaving (fenced, unknown member): the partitions are lost, reported
    // at the next poll, which joins again with epoch 0 and the same member id.
    void fence(const std::string&) {
        using enum consumer_state;
        if (state_ == fatal || state_ == unjoined || state_ == fenced || state_ == stale) return;
        lost_pending_ = parts_.subs.assigned_partitions();
        transition(fenced);
    }

    void start_joining() {
        epoch_ = 0;
        target_.reset();
        applied_.reset();
        sent_ = {};
        in_flight_ = false;
        heartbeat_now_ = true;
        transition(consumer_state::joining);
    }

    // ---- heartbeats ---------------------------------------------------------------------------

    void maybe_heartbeat(time_point now) {
        using enum consumer_state;
        auto node = parts_.locator.node();
        if (!node || in_flight_) return;
        bool now_needed = heartbeat_now_ || state_ == joining || state_ == acknowledging;
        if (!(state_ == joining || this->stable())) return;
        if (!now_needed && now < next_heartbeat_) return;
        if (now < retry_at_) return;
        if (server_regex()) {
            if (auto v = parts_.client.version_for(*node, request::api_key, request::valid); v && *v < 1)
                return fail(errc::unsupported_version, regex_needs_v1());
        }
        auto req = build_request();
        in_flight_ = true;
        heartbeat_now_ = false;
        next_heartbeat_ = now + interval_;
        if (state_ == acknowledging) transition(target_reconciled() ? stable : reconciling);
        parts_.client.send(*node, std::move(req)).add_listener([this, round = round_](auto& f) {
            if (round != round_) return;
            in_flight_ = false;
            on_heartbeat(f);
        });
    }

    request build_request() {
        request req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.member_epoch = epoch_;
        req.instance_id = opts_.group_instance_id;
        bool all = state_ == consumer_state::joining || !sent_.valid;
        auto timeout = static_cast<std::int32_t>(opts_.max_poll_interval.count());
        if (all || sent_.rebalance_timeout != timeout) req.rebalance_timeout_ms = sent_.rebalance_timeout = timeout;
        if (all) req.rack_id = opts_.client_rack;
        if (auto regex = server_regex()) {
            if (all || sent_.regex != regex) req.subscribed_topic_regex = sent_.regex = regex;
        } else {
            auto const& names = parts_.subs.subscription();
            if (all || sent_.topics != names) {
                req.subscribed_topic_names = std::vector<std::string>(names.begin(), names.end());
                sent_.topics = names;
            }
        }
        if (remote_assignor_ && (all || sent_.assignor != remote_assignor_))
            req.server_assignor = sent_.assignor = remote_assignor_;
        auto owned = owned_by_id();
        if (all || sent_.owned != owned) {
            req.topic_partitions.emplace();
            for (auto const& [id, ps] : owned) req.topic_partitions->push_back({id, {ps.begin(), ps.end()}});
            sent_.owned = owned;
        }
        sent_.valid = true;
        return req;
    }

    by_id owned_by_id() const {
        by_id out;
        for (auto const& tp : parts_.subs.assigned_partitions()) {
            auto id = parts_.metadata.topic_id(tp.topic);
            if (auto it = ids_.find(tp.topic); it != ids_.end()) id = it->second;
            if (!id.is_zero()) out[id].insert(tp.partition);
        }
        return out;
    }

    template <class F>
    void on_heartbeat(F& f) {
        auto now = parts_.client.now();
        if (f.failed()) {
            sent_.valid = false;  // everything again next time
            auto ec = f.error();
            if (ec == client_errc::unsupported_version) return fail(errc::unsupported_version, unsupported_text());
            parts_.locator.forget_if_moved(ec);
            retry_at_ = now + opts_.retry_backoff;
            return;
        }
        if (server_regex() && f.value().version < 1) return fail(errc::unsupported_version, regex_needs_v1());
        auto const& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) return on_error(e, r.error_message.value_or(""), f.value().version);
        if (r.member_id && !r.member_id->empty()) member_id_ = *r.member_id;
        epoch_ = r.member_epoch;
        if (r.heartbeat_interval_ms > 0) {
            interval_ = std::chrono::milliseconds(r.heartbeat_interval_ms);
            next_heartbeat_ = now + interval_;
        }
        if (r.assignment) {
            by_id t;
            for (auto const& tp : r.assignment->topic_partitions)
                t[tp.topic_id].insert(tp.partitions.begin(), tp.partitions.end());
            target_ = std::move(t);
        }
        using enum consumer_state;
        if (state_ == joining)
            transition(target_reconciled() ? stable : reconciling);
        else if (state_ == stable && !target_reconciled())
            transition(reconciling);
    }

    void on_error(errc e, const std::string& message, std::int16_t version) {
        sent_.valid = false;
        auto now = parts_.client.now();
        auto why = [&](std::string s) { return message.empty() ? s : s + " (broker: " + message + ")"; };
        switch (e) {
            case errc::fenced_member_epoch:
            case errc::unknown_member_id:
                return fence("heartbeat: " + make_error_code(e).message());
            case errc::not_coordinator:
            case errc::coordinator_not_available:
                parts_.locator.mark_unknown();
                retry_at_ = now + opts_.retry_backoff;
                return;
            case errc::coordinator_load_in_progress:
                retry_at_ = now + opts_.retry_backoff;
                return;
            case errc::unsupported_version:
                return fail(e, why(unsupported_text()));
            case errc::unreleased_instance_id:
                return fail(e, why("group.instance.id '" + opts_.group_instance_id.value_or("") +
                                   "' is still held by another member "
                                   "of group '" +
                                   opts_.group_id + "' that has not left"));
            case errc::group_max_size_reached:
                return fail(e, why("group '" + opts_.group_id + "' is full (the broker's group.consumer.max.size)"));
            case errc::unsupported_assignor:
                return fail(e, why("the broker has no assignor named '" + remote_assignor_.value_or("") +
                                   "' (group.remote.assignor; Kafka ships uniform and range)"));
            case errc::invalid_regular_expression:
                return fail(e, why("the broker refused the subscription regex '" + server_regex().value_or("") +
                                   "' (RE2/J syntax)"));
            case errc::group_authorization_failed:
                return fail(e, why("not authorized to use group '" + opts_.group_id + "'"));
            default:
                if (is_retriable(e)) {
                    retry_at_ = now + opts_.retry_backoff;
                    return;
                }
                return fail(e, why("ConsumerGroupHeartbeat v" + std::to_string(version) + " to group '" +
                                   opts_.group_id + "' failed"));
        }
    }

    std::string unsupported_text() const {
        return "the broker does not serve the consumer group protocol (group.protocol=consumer, KIP-848 "
               "ConsumerGroupHeartbeat): it needs Kafka 4.0 or newer, or Kafka 3.9 with "
               "group.coordinator.rebalance.protocols=classic,consumer; use group.protocol=classic with this broker";
    }

    static std::string regex_needs_v1() {
        return "subscribe(subscription_pattern) needs ConsumerGroupHeartbeat v1 (SubscribedTopicRegex, Kafka 4.0 or "
               "newer); this broker serves only v0: subscribe by names or with topic_pattern (evaluated by the client)";
    }

    // ---- leaving ------------------------------------------------------------------------------

    // close(close_options) (KIP-1092) decides how: leave_group leaves for good (-1, static members
    // too), remain_in_group keeps the assignment for the session timeout (-2 for a static member;
    // a dynamic member sends nothing and is expired by the broker), the default is -2 for a static
    // member and -1 otherwise.
    void send_leave(const std::string&) {
        auto node = parts_.locator.node();
        if (!node || state_ == consumer_state::unjoined) return;
        bool is_static = opts_.group_instance_id.has_value();
        if (opts_.on_leave == leave_operation::remain_in_group && !is_static) return;
        request req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.member_epoch = opts_.on_leave == leave_operation::leave_group ? leave_epoch
                           : is_static                                    ? static_leave_epoch
                                                                          : leave_epoch;
        req.instance_id = opts_.group_instance_id;
        epoch_ = req.member_epoch;
        leave_future_ = parts_.client.send(*node, std::move(req)).template then<bool>([](auto&) { return true; });
    }

    // ---- reconciliation -----------------------------------------------------------------------

    bool target_reconciled() const { return !target_ || *target_ == owned_by_id() || applied_ == target_; }

    // Java's maybeReconcile: the target's topic ids become names through metadata (unknown ids wait
    // for a metadata update, the rest is reconciled now); partitions that go are revoked first (the
    // commit policy's commit, onPartitionsRevoked), then the new ones assigned (onPartitionsAssigned;
    // their committed offsets are fetched by the consumer's usual path). Acknowledged next.
    void reconcile() {
        if (!target_) return transition(consumer_state::acknowledging);
        // The target being reconciled: a heartbeat answered while the listeners or the commit
        // before revocation run may bring a newer one, reconciled next.
        auto goal = target_;
        std::vector<topic_partition> wanted;
        bool unresolved = false;
        for (auto const& [id, ps] : *goal) {
            auto name = parts_.metadata.topic_name(id);
            if (!name) {
                unresolved = true;
                continue;
            }
            ids_[*name] = id;
            // A target from before the broker saw a subscription change may name a topic this
            // member no longer subscribes to: it is not taken (the next target drops it).
            if (!server_regex() && !parts_.subs.subscription().count(*name)) continue;
            for (auto p : ps) wanted.push_back({*name, p});
        }
        if (unresolved) request_metadata_for_unknown_ids();
        auto round = round_;
        auto current = parts_.applier.owned();
        std::set<topic_partition> want(wanted.begin(), wanted.end());
        bool change = want != std::set<topic_partition>(current.begin(), current.end());
        auto still_reconciling = [&] { return round == round_ && state_ == consumer_state::reconciling; };
        if (change) parts_.applier.apply(wanted, still_reconciling);
        if (!still_reconciling()) return;  // fenced or left meanwhile
        if (!unresolved) applied_ = goal;
        if (change || !unresolved) transition(consumer_state::acknowledging);
        if (change) heartbeat_now_ = true;
    }

    void request_metadata_for_unknown_ids() {
        // Names are unknown, so ask for every topic (Java asks by id) until the ids resolve.
        if (!parts_.metadata.wants_all_topics()) parts_.metadata.set_topics(parts_.metadata.topics(), true);
        parts_.metadata.request_update();
    }

    struct sent_fields {
        bool valid = false;
        std::int32_t rebalance_timeout = -1;
        std::set<std::string> topics;
        std::optional<std::string> regex;
        std::optional<std::string> assignor;
        by_id owned;
    };

    group_parts<Transport>& parts_;
    const group_options& opts_;
    std::optional<std::string> remote_assignor_;

    consumer_state state_ = consumer_state::unjoined;
    std::uint64_t round_ = 0;
    std::string member_id_;
    std::int32_t epoch_ = 0;
    std::chrono::milliseconds interval_{opts_.heartbeat_interval};
    std::optional<by_id> target_;             // the broker's last assignment (by topic id)
    std::optional<by_id> applied_;            // the last target reconciled in full
    std::map<std::string, kafka::uuid> ids_;  // topic names resolved from the target's ids
    sent_fields sent_;
    bool in_flight_ = false;
    bool heartbeat_now_ = false;
    time_point next_heartbeat_{};
    time_point retry_at_{};
    time_point last_poll_{};
    std::vector<topic_partition> lost_pending_;  // reported lost at the next poll
    std::optional<client::request_future<bool>> leave_future_;
    std::optional<error_report> fatal_;
};

}  // namespace kafka::engine
