// Membership of a share group (KIP-932; Java's ShareMembershipManager and
// ShareHeartbeatRequestManager): one repeated request, ShareGroupHeartbeat, joins with a member id
// the client made (epoch 0), heartbeats at the interval the broker returns, and receives the
// assignment the broker computed. In a share group a partition may be assigned to several members
// at once (the broker hands each record to one member at a time), so there is nothing to revoke
// or commit before a change: the assignment is taken as it comes, and the share fetcher fetches
// from what it names. Fenced (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): the assignment is gone
// and the member joins again with epoch 0 and the same member id. Leaving sends epoch -1.
//
// One state with checked transitions:
//
//   unjoined --poll--> joining --answer--> stable
//      ^                  ^                  |
//      |                  +--- fenced <------+  (and stale: no poll() within max.poll.interval.ms,
//      +-- leave                                 the member left; the next poll joins again)
//   any --> fatal (an error the user must see; no way back)
//
// Non-blocking steps from the share consumer's thread; fatal errors are kept as a value.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/consumer_membership.hpp>
#include <kafka/consumer/coordinator_locator.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/share_group_heartbeat.hpp>

namespace kafka::engine {

enum class share_state { unjoined, joining, stable, fenced, stale, fatal };

constexpr std::string_view to_string(share_state s) noexcept {
    constexpr std::array<std::string_view, 6> names{"unjoined", "joining", "stable", "fenced", "stale", "fatal"};
    return names[static_cast<std::size_t>(s)];
}

/// The transitions share_membership may make: any state but fatal may fall back to unjoined
/// (leave) and any may become fatal; fatal is the end.
constexpr bool valid_transition(share_state from, share_state to) noexcept {
    using enum share_state;
    if (from == fatal) return false;
    if (to == fatal || to == unjoined) return true;
    switch (from) {
        case unjoined:
        case fenced:
        case stale:
            return to == joining;
        case joining:
            return to == stable || to == fenced;
        case stable:
            return to == fenced || to == stale;
        case fatal:
            return false;
    }
    return false;
}

struct share_group_options {
    std::string group_id;
    std::optional<std::string> client_rack;
    std::chrono::milliseconds max_poll_interval{300000};
    std::chrono::milliseconds retry_backoff{100};
    std::chrono::milliseconds retry_backoff_max{1000};
    std::chrono::milliseconds heartbeat_interval{5000};  // until the broker says (group.share.heartbeat.interval.ms)
};

template <transport Transport>
class share_membership {
public:
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<typename Transport::clock_type>;
    using clock = typename Transport::clock_type;
    using time_point = typename clock::time_point;
    using duration = typename clock::duration;
    using request = protocol::ShareGroupHeartbeatRequest;
    using by_id = std::map<kafka::uuid, std::set<std::int32_t>>;

    static constexpr std::int32_t leave_epoch = -1;

    share_membership(client_type& client, metadata_type& metadata, share_group_options opts)
        : client_(client),
          metadata_(metadata),
          opts_(std::move(opts)),
          locator_(client, opts_.group_id, client::exponential_backoff(opts_.retry_backoff, opts_.retry_backoff_max)),
          member_id_(random_member_id()) {}
    share_membership(const share_membership&) = delete;
    share_membership& operator=(const share_membership&) = delete;

    share_state state() const noexcept { return state_; }
    const std::string& member_id() const noexcept { return member_id_; }
    std::int32_t member_epoch() const noexcept { return epoch_; }
    bool stable() const noexcept { return state_ == share_state::stable; }

    /// The topics subscribed to; a change is sent with the next heartbeat, at once.
    void subscribe(std::set<std::string> topics) {
        if (topics == topics_) return;
        topics_ = std::move(topics);
        heartbeat_now_ = true;
    }
    const std::set<std::string>& subscription() const noexcept { return topics_; }

    /// The partitions assigned now, by name (ids whose names metadata does not know yet wait).
    const std::set<topic_partition>& assignment() const noexcept { return assigned_; }

    std::optional<error_report> take_fatal() {
        if (auto f = locator_.take_fatal()) return f;
        auto f = std::move(fatal_);
        fatal_.reset();
        return f;
    }

    /// One non-blocking step: join when out of the group, heartbeat when due, resolve the
    /// assignment's topic ids. Returns stable().
    bool poll(time_point now) {
        using enum share_state;
        if (state_ == fatal || topics_.empty()) return false;
        last_poll_ = now;
        if (state_ == unjoined || state_ == fenced || state_ == stale) start_joining();
        resolve_assignment();
        if (locator_.ensure(now)) maybe_heartbeat(now);
        return state_ == stable;
    }

    /// Only the heartbeat (between polls): leaves when max.poll.interval.ms passed without a poll.
    void heartbeat_tick(time_point now) {
        if (!stable() || topics_.empty()) return;
        if (now - last_poll_ > opts_.max_poll_interval) {
            send_leave();
            assigned_.clear();
            target_.reset();
            transition(share_state::stale);
            return;
        }
        if (locator_.coordinator()) maybe_heartbeat(now);
    }

    duration time_to_next_heartbeat(time_point now) const {
        using enum share_state;
        if (topics_.empty() || state_ == fatal) return std::chrono::duration_cast<duration>(std::chrono::hours(1));
        auto backoff = std::chrono::duration_cast<duration>(opts_.retry_backoff);
        if (in_flight_) return std::chrono::duration_cast<duration>(interval_);  // the answer wakes the client
        if (state_ != stable || heartbeat_now_ || !locator_.coordinator()) return backoff;
        auto next = std::max(next_heartbeat_, retry_at_);
        return next <= now ? duration::zero() : next - now;
    }

    /// Leaves the group (epoch -1; close, unsubscribe). The returned future completes when the
    /// broker answered (or the request failed); nullopt when there was nothing to leave.
    std::optional<client::request_future<bool>> leave() {
        auto f = send_leave();
        topics_.clear();
        assigned_.clear();
        target_.reset();
        if (state_ != share_state::fatal) transition(share_state::unjoined);
        return f;
    }

private:
    void transition(share_state to) {
        using enum share_state;
        if (to == joining || to == unjoined || to == fenced || to == stale) ++round_;
        if (!valid_transition(state_, to)) {
            fatal_ = error_report{make_error_code(client_errc::illegal_state),
                                  "share group membership: invalid transition from " + std::string(to_string(state_)) +
                                      " to " + std::string(to_string(to))};
            to = fatal;
        }
        state_ = to;
    }

    void fail(errc e, std::string what) {
        fatal_ = error_report{make_error_code(e), std::move(what)};
        transition(share_state::fatal);
    }

    void start_joining() {
        epoch_ = 0;
        target_.reset();
        assigned_.clear();
        sent_topics_.reset();
        in_flight_ = false;
        heartbeat_now_ = true;
        transition(share_state::joining);
    }

    void maybe_heartbeat(time_point now) {
        auto node = locator_.node();
        if (!node || in_flight_) return;
        if (!heartbeat_now_ && state_ == share_state::stable && now < next_heartbeat_) return;
        if (now < retry_at_) return;
        request req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.member_epoch = epoch_;
        bool all = state_ == share_state::joining || !sent_topics_;
        if (all) req.rack_id = opts_.client_rack;
        if (all || *sent_topics_ != topics_) {
            req.subscribed_topic_names = std::vector<std::string>(topics_.begin(), topics_.end());
            sent_topics_ = topics_;
        }
        in_flight_ = true;
        heartbeat_now_ = false;
        next_heartbeat_ = now + interval_;
        client_.send(*node, std::move(req)).add_listener([this, round = round_](auto& f) {
            if (round != round_) return;
            in_flight_ = false;
            on_heartbeat(f);
        });
    }

    template <class F>
    void on_heartbeat(F& f) {
        auto now = client_.now();
        if (f.failed()) {
            sent_topics_.reset();  // everything again next time
            auto ec = f.error();
            if (ec == client_errc::unsupported_version) return fail(errc::unsupported_version, unsupported_text());
            locator_.forget_if_moved(ec);
            retry_at_ = now + opts_.retry_backoff;
            return;
        }
        auto const& r = f.value().body;
        auto e = static_cast<errc>(r.error_code);
        if (e != errc::none) return on_error(e, r.error_message.value_or(""));
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
            resolve_assignment();
        }
        if (state_ == share_state::joining) transition(share_state::stable);
    }

    void on_error(errc e, const std::string& message) {
        sent_topics_.reset();
        auto now = client_.now();
        auto why = [&](std::string s) { return message.empty() ? s : s + " (broker: " + message + ")"; };
        switch (e) {
            case errc::fenced_member_epoch:
            case errc::unknown_member_id:
                // Out of the group: the assignment is gone; the next poll joins again (epoch 0).
                if (state_ == share_state::joining || state_ == share_state::stable) {
                    assigned_.clear();
                    target_.reset();
                    transition(share_state::fenced);
                }
                return;
            case errc::not_coordinator:
            case errc::coordinator_not_available:
                locator_.mark_unknown();
                retry_at_ = now + opts_.retry_backoff;
                return;
            case errc::coordinator_load_in_progress:
                retry_at_ = now + opts_.retry_backoff;
                return;
            case errc::unsupported_version:
                return fail(e, why(unsupported_text()));
            case errc::group_max_size_reached:
                return fail(e, why("share group '" + opts_.group_id + "' is full (the broker's group.share.max.size)"));
            case errc::group_authorization_failed:
                return fail(e, why("not authorized to use group '" + opts_.group_id + "'"));
            case errc::topic_authorization_failed:
                return fail(e, why("not authorized to read a topic subscribed to"));
            case errc::inconsistent_group_protocol:
            case errc::group_id_not_found:
                return fail(e, why("group '" + opts_.group_id +
                                   "' is not a share group (a consumer group of that name exists)"));
            default:
                if (is_retriable(e)) {
                    retry_at_ = now + opts_.retry_backoff;
                    return;
                }
                return fail(e, why("ShareGroupHeartbeat to group '" + opts_.group_id + "' failed"));
        }
    }

    static std::string unsupported_text() {
        return "the broker does not serve share groups (KIP-932, ShareGroupHeartbeat v1): they need Kafka 4.1 or "
               "newer with share groups enabled (share.version=1)";
    }

    // The target's topic ids as names; ids metadata does not know yet ask for every topic.
    void resolve_assignment() {
        if (!target_) return;
        std::set<topic_partition> out;
        bool unresolved = false;
        for (auto const& [id, ps] : *target_) {
            auto name = metadata_.topic_name(id);
            if (!name) {
                unresolved = true;
                continue;
            }
            for (auto p : ps) out.insert({*name, p});
        }
        assigned_ = std::move(out);
        if (unresolved) {
            if (!metadata_.wants_all_topics()) metadata_.set_topics(metadata_.topics(), true);
            metadata_.request_update();
        }
    }

    std::optional<client::request_future<bool>> send_leave() {
        auto node = locator_.node();
        using enum share_state;
        if (!node || !(state_ == joining || state_ == stable) || epoch_ <= 0) return std::nullopt;
        request req;
        req.group_id = opts_.group_id;
        req.member_id = member_id_;
        req.member_epoch = leave_epoch;
        epoch_ = leave_epoch;
        return client_.send(*node, std::move(req)).template then<bool>([](auto&) { return true; });
    }

    client_type& client_;
    metadata_type& metadata_;
    share_group_options opts_;
    coordinator_locator<Transport> locator_;

    share_state state_ = share_state::unjoined;
    std::uint64_t round_ = 0;  // answers of an older round (before a fence, a leave) are ignored
    std::string member_id_;
    std::int32_t epoch_ = 0;
    std::set<std::string> topics_;
    std::optional<std::set<std::string>> sent_topics_;  // what the broker last heard (nullopt: send all)
    std::optional<by_id> target_;
    std::set<topic_partition> assigned_;
    std::chrono::milliseconds interval_{opts_.heartbeat_interval};
    bool in_flight_ = false;
    bool heartbeat_now_ = false;
    time_point next_heartbeat_{};
    time_point retry_at_{};
    time_point last_poll_{};
    std::optional<error_report> fatal_;
};

}  // namespace kafka::engine
