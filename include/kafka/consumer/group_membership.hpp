// Group membership behind one interface. The consumer holds its membership as a
// group_membership chosen at run time from group.protocol: classic_membership
// (JoinGroup/SyncGroup/Heartbeat/LeaveGroup, classic_membership.hpp) today; the
// KIP-848 consumer protocol (ConsumerGroupHeartbeat) is to be its sibling. What
// every kind shares lives in group_parts: finding the coordinator, committed
// offsets, and applying an assignment (listener calls, commit before revoke).
//
// A membership is driven from the consumer's thread in non-blocking steps
// (poll, heartbeat_tick); it reports errors the user must see as values
// (take_fatal), which the public face throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/assignment_applier.hpp>
#include <kafka/consumer/commit_manager.hpp>
#include <kafka/consumer/coordinator_locator.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/exceptions.hpp>

namespace kafka::engine {

/// Whether leaving (unsubscribe, close) sends LeaveGroup: by default dynamic members do and static
/// members do not (KIP-345); close(close_options) may say otherwise (KIP-1092).
enum class leave_operation { default_operation, leave_group, remain_in_group };

struct group_options {
    std::string group_id;
    std::optional<std::string> group_instance_id;
    std::chrono::milliseconds session_timeout{45000};
    std::chrono::milliseconds heartbeat_interval{3000};
    std::chrono::milliseconds max_poll_interval{300000};
    std::chrono::milliseconds retry_backoff{100};
    std::chrono::milliseconds retry_backoff_max{1000};  // coordinator lookups and OffsetFetch grow to it
    std::chrono::milliseconds request_timeout{30000};
    std::optional<std::string> client_rack;
    bool allow_auto_create_topics = true;
    leave_operation on_leave = leave_operation::default_operation;
};

/// What every membership kind (and a consumer outside any membership that commits) shares.
template <transport Transport>
struct group_parts {
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<typename Transport::clock_type>;

    group_parts(client_type& c, metadata_type& m, subscription_state& s, group_options o)
        : client(c),
          metadata(m),
          subs(s),
          opts(std::move(o)),
          locator(c, opts.group_id, client::exponential_backoff(opts.retry_backoff, opts.retry_backoff_max)),
          commits(c, m, s, locator, opts.group_id),
          applier(s) {}
    group_parts(const group_parts&) = delete;
    group_parts& operator=(const group_parts&) = delete;

    client_type& client;
    metadata_type& metadata;
    subscription_state& subs;
    group_options opts;
    coordinator_locator<Transport> locator;
    commit_manager<Transport> commits;
    assignment_applier applier;
};

template <transport Transport>
class group_membership {
public:
    using clock = typename Transport::clock_type;
    using time_point = typename clock::time_point;
    using duration = typename clock::duration;

    virtual ~group_membership() = default;

    /// The group.protocol this membership speaks ("classic", "consumer").
    virtual std::string_view protocol() const noexcept = 0;

    /// One non-blocking step of membership upkeep (join, assignment, heartbeat); returns stable().
    virtual bool poll(time_point now) = 0;
    /// Member of the group with an assignment applied, and no rejoin pending.
    virtual bool stable() const noexcept = 0;
    /// Between a rebalance's start and its end (for the rebalance metrics). The classic protocol
    /// rebalances whenever it is not stable; the consumer protocol also while it reconciles.
    virtual bool rebalancing() const noexcept { return !stable(); }
    /// Only the heartbeat part of poll() (the background heartbeat thread; leaves the group when
    /// max.poll.interval.ms passed without a poll).
    virtual void heartbeat_tick(time_point now) = 0;
    /// How long the consumer may wait for I/O before the membership needs a step.
    virtual duration time_to_next_heartbeat(time_point now) const = 0;

    /// The subscription or the topics' partitions changed: rebalance at the next step.
    virtual void request_rejoin(std::string reason) = 0;
    /// Unsubscribe or close: gives up the assignment (commit, onPartitionsRevoked) and leaves.
    virtual void revoke_all_and_leave(const std::string& reason) = 0;
    /// The leave request sent by revoke_all_and_leave (close waits for it), if one was sent.
    virtual std::optional<client::request_future<bool>>& leave_future() = 0;

    /// What this member's commits carry (generation or epoch, member id, instance id).
    virtual member_identity identity() const = 0;
    /// The member id and generation (or epoch) as this member knows them now, whether or not it
    /// is stable (Java's groupMetadata()).
    virtual member_identity group_metadata() const = 0;
    /// An error the user must see (fenced, not authorized, a malformed assignment), once.
    virtual std::optional<error_report> take_fatal() = 0;
};

}  // namespace kafka::engine
