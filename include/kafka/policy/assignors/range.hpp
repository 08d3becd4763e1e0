// The "range" assignor (Java's RangeAssignor, librdkafka's range assignor).
//
// Topic by topic: the topic's partitions in numeric order are cut into as many contiguous
// ranges as there are members subscribed to it, in member order; when the division is not
// exact the first `partitions % members` members get one partition more. Member order is
// Java's: static members (group.instance.id) first, by instance id, then the rest by member id.
//
// Two members C0, C1 subscribed to t0 and t1, three partitions each:
//   C0: t0-0 t0-1 t1-0 t1-1        C1: t0-2 t1-2
//
// Not yet done: Java's rack-aware variant (used when members send a rack and partition replicas
// sit on different racks) needs replica racks, which this interface does not carry; the result
// here is Java's non-rack-aware one, a valid assignment for any member to receive.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/policy/assignor.hpp>

namespace kafka::assignors {

struct range {
    static constexpr std::string_view name = "range";
    static constexpr std::array supported_protocols{rebalance_protocol::eager};

    group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                            const std::vector<member_subscription>& members) const {
        group_assignment out;
        for (auto const& m : members) out[m.member_id];
        std::vector<const member_subscription*> subscribers;
        for (auto const& [topic, count] : partitions_per_topic) {
            if (count <= 0) continue;
            subscribers.clear();
            for (auto const& m : members)
                if (std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end()) subscribers.push_back(&m);
            if (subscribers.empty()) continue;
            std::sort(subscribers.begin(), subscribers.end(),
                      [](auto const* a, auto const* b) { return java_member_order(*a, *b); });
            auto n = static_cast<std::int32_t>(subscribers.size());
            std::int32_t next = 0;
            for (std::int32_t i = 0; i < n; ++i) {
                auto take = count / n + (i < count % n ? 1 : 0);
                auto& mine = out[subscribers[static_cast<std::size_t>(i)]->member_id];
                for (std::int32_t k = 0; k < take; ++k) mine.push_back({topic, next++});
            }
        }
        return out;
    }
};

static_assert(check_assignor<range>());

}  // namespace kafka::assignors
