// Applying a change of assignment, whatever group protocol decided it: the diff against what
// is owned, the commit the offset-commit policy asks for before partitions go (Java's
// onJoinPrepare / commit-before-revoke), the rebalance listener's calls in Java's order, and
// lost partitions (the membership is gone: nothing is committed for them).
//
// Runs on the user's thread from the membership's poll step; listener calls never come from
// I/O handlers.
#pragma once

#include <functional>
#include <set>
#include <string_view>
#include <vector>

#include <kafka/consumer/subscription_state.hpp>
#include <kafka/rebalance_listener.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::engine {

class assignment_applier {
public:
    using partitions = std::vector<topic_partition>;

    explicit assignment_applier(subscription_state& subs) : subs_(subs) {}

    void set_listener(rebalance_listener l) { listener_ = std::move(l); }
    /// Told of every change after it is applied: ("assigned" | "revoked" | "lost", partitions) (the
    /// consumer logs them).
    void set_observer(std::function<void(std::string_view, const partitions&)> f) { observer_ = std::move(f); }
    /// What the offset-commit policy does before partitions are given up (commit what was processed).
    void set_before_revoke(std::function<void(const partitions&)> f) { before_revoke_ = std::move(f); }

    partitions owned() const { return subs_.assigned_partitions(); }

    /// The commit policy's commit of every owned partition, without giving any up (before a rejoin).
    void commit_owned() {
        auto o = owned();
        if (!o.empty() && before_revoke_) before_revoke_(o);
    }

    /// Gives up `parts` (a subset of what is owned): commit, onPartitionsRevoked. The caller
    /// changes the assignment afterwards.
    void revoke(const partitions& parts, bool commit_first = true) {
        if (parts.empty()) return;
        if (commit_first && before_revoke_) before_revoke_(parts);
        call(listener_.on_partitions_revoked, parts);
        if (observer_) observer_("revoked", parts);
    }

    /// Gives up everything owned (commit, onPartitionsRevoked) and clears the assignment.
    void revoke_all() {
        auto o = owned();
        revoke(o);
        subs_.assign_from_subscribed({});
    }

    /// The membership was lost: onPartitionsLost, nothing committed, the assignment cleared.
    void lose(const partitions& parts) {
        if (!parts.empty()) call(listener_.on_partitions_lost, parts);
        subs_.assign_from_subscribed({});
        if (observer_ && !parts.empty()) observer_("lost", parts);
    }

    struct change {
        partitions revoked, added;
    };
    /// Moves to `target`: revokes what is owned and not in it (onPartitionsRevoked), takes the
    /// target as the assignment, then onPartitionsAssigned with what is new. Before anything is
    /// revoked the commit policy commits every owned partition, kept ones too (Java's commit of all
    /// consumed positions before a revocation): a crash after the rebalance replays only what came
    /// after it, whichever member then owns a partition. When `proceed` says
    /// no after the revocation (the member was fenced while it committed or in the listener), only
    /// the revocation stands: nothing is assigned (Java checks the same between the two steps).
    change apply(const partitions& target, const std::function<bool()>& proceed = {}) {
        auto before_v = owned();
        std::set<topic_partition> now(target.begin(), target.end()), before(before_v.begin(), before_v.end());
        change c;
        for (auto const& tp : before)
            if (!now.count(tp)) c.revoked.push_back(tp);
        for (auto const& tp : now)
            if (!before.count(tp)) c.added.push_back(tp);
        if (!c.revoked.empty()) {
            commit_owned();
            revoke(c.revoked, false);
        }
        if (proceed && !proceed()) {
            partitions kept;
            for (auto const& tp : before)
                if (now.count(tp)) kept.push_back(tp);
            subs_.assign_from_subscribed(kept);
            c.added.clear();
            return c;
        }
        subs_.assign_from_subscribed(target);
        call(listener_.on_partitions_assigned, c.added);
        if (observer_) observer_("assigned", c.added);
        return c;
    }

private:
    static void call(const std::function<void(const partitions&)>& f, const partitions& parts) {
        if (f) f(parts);
    }

    subscription_state& subs_;
    rebalance_listener listener_;
    std::function<void(const partitions&)> before_revoke_;
    std::function<void(std::string_view, const partitions&)> observer_;
};

}  // namespace kafka::engine
