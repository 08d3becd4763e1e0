// The sticky assignment shared by "sticky" and "cooperative-sticky" (Java's AbstractStickyAssignor).
//
// Goals, in order:
//   1. balance: partition counts differ by at most one; when subscriptions differ, no member
//      with two or more partitions fewer than another could take one of that member's
//      partitions (it is not subscribed to any of their topics);
//   2. stickiness: every member keeps as many of the partitions it owned as balance allows.
//
// Input: each member's subscription and its claim: the partitions it says it owned and the
// generation it owned them in. Claims are cleaned first:
//   - claims on topics the member no longer subscribes to, on unknown topics or beyond the
//     partition count are dropped;
//   - a partition claimed by several members goes to the claim with the highest generation;
//     when the highest generation is claimed twice, neither keeps it (Java does the same:
//     such a partition is reassigned as if nobody owned it);
//   - the best lower-generation claimant is remembered as the partition's previous owner and
//     preferred when balancing must move the partition.
//
// Then, as in Java:
//   - all members subscribed to the same topics (the common case): the constrained algorithm.
//     With P partitions and N members, N - P % N members get P / N partitions and P % N get
//     one more. Members keep up to that quota of what they own (the ones already holding more
//     take the larger quotas first, in member order); the rest are dealt round-robin to members
//     below quota. Nothing moves that balance does not require.
//   - otherwise: owned partitions stay; unowned ones go, topics with fewest potential members
//     first, each to the least loaded member subscribed to it; then, while some partition sits
//     with a member holding two or more partitions more than another member subscribed to its
//     topic, it moves (newly placed partitions first, owned ones only if that is not enough).
//     Every move strictly lowers the sum of squared counts, so this ends.
//
// Everything is ordered (members by member id, topics by name, partitions by number), so any
// member computing it from the same input gets the same result. The result is not byte-equal to
// what a Java leader computes (Java iterates hash maps); it satisfies the same guarantees, and
// any member, of any client, can receive it.
//
// Not yet done: Java's rack-aware variant (needs partition replica racks, which this interface
// does not carry).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/policy/assignor.hpp>

namespace kafka::assignors::sticky_core {

/// What one member says it owned, and the generation it owned it in (-1: unknown).
struct claim {
    std::vector<topic_partition> partitions;
    std::int32_t generation = -1;
};

namespace detail {

class builder {
public:
    builder(const std::map<std::string, std::int32_t>& partitions_per_topic,
            const std::vector<member_subscription>& members, const std::vector<claim>& claims) {
        index_members(members);
        index_topics(partitions_per_topic);
        resolve_claims(claims);
    }

    group_assignment build() {
        if (!members_.empty()) {
            if (all_subscriptions_equal())
                constrained();
            else
                general();
        }
        group_assignment out;
        for (auto const* m : members_) out[m->member_id];
        for (int pid = 0; pid < partition_count(); ++pid) {
            auto owner = owner_[ix(pid)];
            if (owner < 0) continue;  // a topic nobody can take (never happens: topics are subscribed ones)
            auto t = topic_of_[ix(pid)];
            out[members_[ix(owner)]->member_id].push_back({topic_names_[ix(t)], pid - base_[ix(t)]});
        }
        return out;
    }

private:
    static std::size_t ix(int i) { return static_cast<std::size_t>(i); }
    int partition_count() const { return static_cast<int>(topic_of_.size()); }
    int member_count() const { return static_cast<int>(members_.size()); }

    void index_members(const std::vector<member_subscription>& members) {
        for (std::size_t i = 0; i < members.size(); ++i) order_.push_back(i);
        std::sort(order_.begin(), order_.end(),
                  [&](std::size_t a, std::size_t b) { return members[a].member_id < members[b].member_id; });
        for (auto i : order_) members_.push_back(&members[i]);
    }

    // Topics that exist, have partitions and at least one subscriber; each member's topics by index.
    void index_topics(const std::map<std::string, std::int32_t>& partitions_per_topic) {
        std::map<std::string_view, int> subscribed;
        for (auto const* m : members_)
            for (auto const& t : m->topics) subscribed.emplace(t, -1);
        for (auto const& [topic, count] : partitions_per_topic) {
            auto it = subscribed.find(topic);
            if (count <= 0 || it == subscribed.end()) continue;
            it->second = static_cast<int>(topic_names_.size());
            topic_names_.push_back(topic);
            base_.push_back(partition_count());
            counts_.push_back(count);
            topic_of_.insert(topic_of_.end(), ix(count), it->second);
        }
        eligible_.resize(topic_names_.size());
        topics_of_.resize(members_.size());
        for (int m = 0; m < member_count(); ++m) {
            auto& mine = topics_of_[ix(m)];
            for (auto const& t : members_[ix(m)]->topics) {
                auto it = subscribed.find(t);
                if (it != subscribed.end() && it->second >= 0) mine.push_back(it->second);
            }
            std::sort(mine.begin(), mine.end());
            mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
            for (auto t : mine) eligible_[ix(t)].push_back(m);
        }
        topic_index_ = std::move(subscribed);
        owner_.assign(topic_of_.size(), -1);
        count_.assign(members_.size(), 0);
    }

    bool subscribes(int m, int t) const {
        auto const& mine = topics_of_[ix(m)];
        return std::binary_search(mine.begin(), mine.end(), t);
    }

    void resolve_claims(const std::vector<claim>& claims) {
        constexpr auto none = std::numeric_limits<std::int64_t>::min();
        std::vector<int> candidate(topic_of_.size(), -1);
        std::vector<std::int64_t> best(topic_of_.size(), none), second(topic_of_.size(), none);
        std::vector<bool> contested(topic_of_.size(), false);
        previous_.assign(topic_of_.size(), -1);
        for (int m = 0; m < member_count(); ++m) {
            if (order_[ix(m)] >= claims.size()) continue;
            auto const& c = claims[order_[ix(m)]];
            std::int64_t g = c.generation;
            for (auto const& tp : c.partitions) {
                auto it = topic_index_.find(tp.topic);
                if (it == topic_index_.end() || it->second < 0) continue;
                int t = it->second;
                if (!subscribes(m, t) || tp.partition < 0 || tp.partition >= counts_[ix(t)]) continue;
                auto p = ix(base_[ix(t)] + tp.partition);
                if (candidate[p] == m) continue;  // listed twice
                if (candidate[p] < 0) {
                    candidate[p] = m;
                    best[p] = g;
                } else if (g > best[p]) {
                    if (best[p] > second[p]) {
                        second[p] = best[p];
                        previous_[p] = candidate[p];
                    }
                    candidate[p] = m;
                    best[p] = g;
                    contested[p] = false;
                } else if (g == best[p]) {
                    contested[p] = true;
                } else if (g > second[p]) {
                    second[p] = g;
                    previous_[p] = m;
                }
            }
        }
        kept_.assign(topic_of_.size(), -1);
        for (std::size_t p = 0; p < kept_.size(); ++p)
            if (!contested[p]) kept_[p] = candidate[p];
    }

    bool all_subscriptions_equal() const {
        return std::all_of(topics_of_.begin(), topics_of_.end(), [&](auto const& t) { return t == topics_of_[0]; });
    }

    void give(int pid, int m) {
        owner_[ix(pid)] = m;
        ++count_[ix(m)];
    }

    // Java's ConstrainedAssignmentBuilder, minus rack awareness.
    void constrained() {
        const int n = member_count(), total = partition_count();
        const int min_quota = total / n, max_quota = min_quota + (total % n ? 1 : 0);
        const int expected_over = total % n;
        int over = 0;

        std::vector<std::vector<int>> owned(members_.size());
        for (int pid = 0; pid < total; ++pid)
            if (kept_[ix(pid)] >= 0) owned[ix(kept_[ix(pid)])].push_back(pid);

        std::list<int> under;   // members below min_quota
        std::deque<int> exact;  // members at min_quota that may still take one more
        for (int m = 0; m < n; ++m) {
            auto& own = owned[ix(m)];
            // Keep the lowest partition numbers first, across topics (Java's order).
            std::sort(own.begin(), own.end(), [&](int a, int b) {
                auto pa = a - base_[ix(topic_of_[ix(a)])], pb = b - base_[ix(topic_of_[ix(b)])];
                return pa != pb ? pa < pb : a < b;
            });
            int size = static_cast<int>(own.size()), keep;
            if (size < min_quota) {
                keep = size;
                under.push_back(m);
            } else if (size >= max_quota && over < expected_over) {
                keep = max_quota;
                if (++over == expected_over) exact.clear();
            } else {
                keep = min_quota;
                if (over < expected_over) exact.push_back(m);
            }
            for (int i = 0; i < keep; ++i) give(own[ix(i)], m);
        }

        auto next = under.begin();
        for (int pid = 0; pid < total; ++pid) {
            if (owner_[ix(pid)] >= 0) continue;
            int m;
            bool from_under = true;
            if (next == under.end() && !under.empty()) next = under.begin();
            if (next != under.end()) {
                m = *next;
            } else if (!exact.empty()) {
                m = exact.front();
                exact.pop_front();
                from_under = false;
            } else {
                throw std::logic_error("kafka sticky assignor: no member below quota for an unassigned partition");
            }
            give(pid, m);
            if (!from_under) {
                if (count_[ix(m)] == max_quota) ++over;
            } else if (count_[ix(m)] == min_quota) {
                next = under.erase(next);
                exact.push_back(m);
            } else {
                ++next;
            }
        }
    }

    int least_loaded(int t) const {
        int best = -1;
        for (int m : eligible_[ix(t)])
            if (best < 0 || count_[ix(m)] < count_[ix(best)]) best = m;
        return best;
    }

    void general() {
        for (int pid = 0; pid < partition_count(); ++pid)
            if (kept_[ix(pid)] >= 0) give(pid, kept_[ix(pid)]);

        // Topics with the fewest potential members first (they have the least choice), then by name.
        std::vector<int> topics(topic_names_.size());
        for (std::size_t t = 0; t < topics.size(); ++t) topics[t] = static_cast<int>(t);
        std::stable_sort(topics.begin(), topics.end(),
                         [&](int a, int b) { return eligible_[ix(a)].size() < eligible_[ix(b)].size(); });

        std::vector<bool> placed(topic_of_.size(), false);
        std::vector<int> movable;  // partitions of topics with two or more potential members
        for (int t : topics) {
            for (int pid = base_[ix(t)]; pid < base_[ix(t)] + counts_[ix(t)]; ++pid) {
                if (owner_[ix(pid)] < 0) {
                    give(pid, least_loaded(t));
                    placed[ix(pid)] = true;
                }
                if (eligible_[ix(t)].size() >= 2) movable.push_back(pid);
            }
        }
        balance(movable, &placed);
        balance(movable, nullptr);
    }

    // Moves partitions (only those in `only`, when given) until none sits with a member holding
    // two or more partitions more than another member subscribed to its topic.
    void balance(const std::vector<int>& movable, const std::vector<bool>* only) {
        bool moved;
        do {
            moved = false;
            for (int pid : movable) {
                if (only && !(*only)[ix(pid)]) continue;
                int from = owner_[ix(pid)], to = -1;
                int prev = previous_[ix(pid)];
                if (prev >= 0 && prev != from && count_[ix(from)] > count_[ix(prev)] + 1) {
                    to = prev;
                } else {
                    int least = least_loaded(topic_of_[ix(pid)]);
                    if (count_[ix(from)] > count_[ix(least)] + 1) to = least;
                }
                if (to < 0) continue;
                --count_[ix(from)];
                give(pid, to);
                moved = true;
            }
        } while (moved);
    }

    std::vector<std::size_t> order_;                   // sorted position -> index in the input
    std::vector<const member_subscription*> members_;  // by member id
    std::vector<std::vector<int>> topics_of_;          // member -> topic indices it subscribes to
    std::map<std::string_view, int> topic_index_;      // topic name -> index (-1: no partitions)
    std::vector<std::string> topic_names_;
    std::vector<int> base_;                   // topic -> id of its partition 0
    std::vector<std::int32_t> counts_;        // topic -> partition count
    std::vector<int> topic_of_;               // partition id -> topic
    std::vector<std::vector<int>> eligible_;  // topic -> members subscribed, by member id
    std::vector<int> kept_;                   // partition -> member whose claim stands, or -1
    std::vector<int> previous_;               // partition -> lower-generation claimant, or -1
    std::vector<int> owner_;                  // partition -> member in the result
    std::vector<int> count_;                  // member -> partitions in the result
};

}  // namespace detail

/// The sticky assignment of the subscribed topics' partitions. `claims[i]` is what `members[i]` owned.
inline group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                               const std::vector<member_subscription>& members, const std::vector<claim>& claims) {
    return detail::builder(partitions_per_topic, members, claims).build();
}

}  // namespace kafka::assignors::sticky_core
