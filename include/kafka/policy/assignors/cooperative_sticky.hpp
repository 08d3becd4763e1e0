// The "cooperative-sticky" assignor (Java's CooperativeStickyAssignor, librdkafka's
// "cooperative-sticky"): the sticky assignment of sticky_core.hpp under the cooperative
// rebalance protocol, with eager as the fallback (supported protocols {cooperative, eager}, as
// Java lists them).
//
// Under the cooperative protocol members keep their partitions while they rejoin and report
// them in the subscription (owned_partitions, v1+; generation_id, v2+). A partition the new
// assignment moves must be given up by its owner before anyone else may take it, so this
// assignor leaves it out of the new owner's assignment: the owner sees it missing and revokes
// it, which triggers a follow-up rebalance in which it is assigned. A member is given a partition
// at once only when no other member claims it, or when its own claim is the one with the highest
// generation and nobody else's claim has that generation (Java withholds the same partitions:
// those newly added to one member and revoked from another, and those claimed twice in one
// generation).
//
// User data, as Java's CooperativeStickyAssignor writes it: one int32, the generation of the
// member's current assignment (-1 before the first), no version prefix. The leader reads a
// member's generation from the subscription when it has one (v2+) and from the user data
// otherwise (unreadable: -1). librdkafka's cooperative-sticky sends StickyAssignorUserData v1
// instead, but always with a v2+ subscription, so its user data is never needed.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/policy/assignor.hpp>
#include <kafka/policy/assignors/sticky_core.hpp>
#include <kafka/protocol/primitives.hpp>

namespace kafka::assignors {

struct cooperative_sticky {
    static constexpr std::string_view name = "cooperative-sticky";
    static constexpr std::array supported_protocols{rebalance_protocol::cooperative, rebalance_protocol::eager};

    /// Java's COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0: the generation, as a big-endian int32.
    byte_buffer user_data(const std::vector<topic_partition>& /*current_assignment*/, std::int32_t generation) const {
        byte_buffer out;
        protocol::writer(out).int32(generation);
        return out;
    }

    /// What a member owned: its subscription's owned partitions, in its subscription's generation
    /// when it sent one (v2+), else in the generation its user data names.
    static sticky_core::claim claim_of(const member_subscription& m) {
        if (m.generation_id >= 0) return {m.owned_partitions, m.generation_id};
        protocol::reader r(m.user_data);
        auto generation = r.int32();
        return {m.owned_partitions, r.ok() ? generation : -1};
    }

    group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                            const std::vector<member_subscription>& members) const {
        std::vector<sticky_core::claim> claims;
        claims.reserve(members.size());
        for (auto const& m : members) claims.push_back(claim_of(m));
        auto result = sticky_core::assign(partitions_per_topic, members, claims);
        withhold_owned_by_others(result, members, claims);
        return result;
    }

private:
    // Removes from each member's assignment the partitions another member may still be consuming:
    // a member takes a partition now only if nobody else claims it, or if its own claim is the
    // one with the highest generation, held by no one else.
    static void withhold_owned_by_others(group_assignment& result, const std::vector<member_subscription>& members,
                                         const std::vector<sticky_core::claim>& claims) {
        struct owner {
            const std::string* member = nullptr;
            std::int32_t generation = -1;
            bool contested = false;  // claimed twice in that generation
        };
        std::map<topic_partition, owner> owners;
        for (std::size_t i = 0; i < members.size(); ++i)
            for (auto const& tp : claims[i].partitions) {
                auto& o = owners[tp];
                auto g = claims[i].generation;
                if (!o.member || g > o.generation)
                    o = {&members[i].member_id, g, false};
                else if (g == o.generation && *o.member != members[i].member_id)
                    o.contested = true;
            }
        for (auto& [member, partitions] : result)
            std::erase_if(partitions, [&, &member = member](const topic_partition& tp) {
                auto it = owners.find(tp);
                return it != owners.end() && (it->second.contested || *it->second.member != member);
            });
    }
};

static_assert(check_assignor<cooperative_sticky>());

}  // namespace kafka::assignors
