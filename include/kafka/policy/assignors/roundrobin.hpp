// The "roundrobin" assignor (Java's RoundRobinAssignor, librdkafka's roundrobin assignor).
//
// All partitions of all subscribed topics, topics by name and partitions in numeric order, are
// dealt to the members in turn, in Java's member order (static members by group.instance.id
// first, then the rest by member id). A member not subscribed to a partition's topic is skipped
// for that partition, and the turn continues from where it stopped.
//
// Two members C0, C1 subscribed to t0 and t1, three partitions each:
//   C0: t0-0 t0-2 t1-1        C1: t0-1 t1-0 t1-2
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/policy/assignor.hpp>

namespace kafka::assignors {

struct roundrobin {
    static constexpr std::string_view name = "roundrobin";
    static constexpr std::array supported_protocols{rebalance_protocol::eager};

    group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                            const std::vector<member_subscription>& members) const {
        group_assignment out;
        for (auto const& m : members) out[m.member_id];
        if (members.empty()) return out;

        std::vector<const member_subscription*> order;
        std::vector<std::set<std::string_view>> subscribed;
        for (auto const& m : members) order.push_back(&m);
        std::sort(order.begin(), order.end(), [](auto const* a, auto const* b) { return java_member_order(*a, *b); });
        std::set<std::string_view> all_topics;
        for (auto const* m : order) {
            subscribed.emplace_back(m->topics.begin(), m->topics.end());
            all_topics.insert(m->topics.begin(), m->topics.end());
        }

        std::size_t turn = 0;
        for (auto topic : all_topics) {
            auto it = partitions_per_topic.find(std::string(topic));
            if (it == partitions_per_topic.end()) continue;
            for (std::int32_t p = 0; p < it->second; ++p) {
                // Someone subscribes to every topic in all_topics, so this stops within one lap.
                while (!subscribed[turn].contains(topic)) turn = (turn + 1) % order.size();
                out[order[turn]->member_id].push_back({it->first, p});
                turn = (turn + 1) % order.size();
            }
        }
        return out;
    }
};

static_assert(check_assignor<roundrobin>());

}  // namespace kafka::assignors
