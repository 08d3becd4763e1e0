// The "sticky" assignor (Java's StickyAssignor, librdkafka's "sticky"): balanced and sticky
// assignment (see sticky_core.hpp) under the eager rebalance protocol.
//
// Under the eager protocol a member gives up all its partitions before it rejoins, so its
// subscription cannot say what it owns; the sticky assignor carries that in its user data,
// StickyAssignorUserData, laid out as Java's StickyAssignor writes it (old-style Struct schema,
// no version prefix):
//
//   v0  previous_assignment [topic string, partitions [int32]]
//   v1  previous_assignment [topic string, partitions [int32]], generation int32
//
// We write v1. Readers try v1 and fall back to v0; bytes neither reads mean "owned nothing"
// (Java: generation -1, no partitions). A member that never had an assignment sends no user data.
// librdkafka's sticky assignor writes the same v1 bytes and also fills the subscription's
// owned_partitions/generation_id (v1+/v2+); when the user data is empty we read those instead.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/policy/assignor.hpp>
#include <kafka/policy/assignors/sticky_core.hpp>
#include <kafka/protocol/consumer_protocol.hpp>

namespace kafka::assignors {

/// StickyAssignorUserData v0/v1 (Java StickyAssignor's TOPIC_ASSIGNMENT / STICKY_ASSIGNOR_USER_DATA_V0/V1).
struct sticky_user_data {
    std::vector<consumer_protocol::topic_partitions> previous_assignment;
    std::int32_t generation = -1;  // v1+
    static constexpr auto fields() {
        using protocol::field;
        using protocol::since;
        return protocol::field_list{field(&sticky_user_data::previous_assignment),
                                    field(&sticky_user_data::generation, since(1))};
    }
    friend bool operator==(const sticky_user_data&, const sticky_user_data&) = default;

    /// The v1 bytes of `partitions` owned in `generation`.
    static byte_buffer encode(const std::vector<topic_partition>& partitions, std::int32_t generation) {
        sticky_user_data d{consumer_protocol::group_by_topic(partitions), generation};
        byte_buffer out;
        protocol::writer w(out);
        protocol::encode(w, d, 1, false);
        return out;
    }

    /// What a member's user data says it owned: v1, else v0, else nothing (never an error, as Java).
    static sticky_core::claim decode(bytes_view bytes) {
        for (std::int16_t version : {std::int16_t{1}, std::int16_t{0}}) {
            sticky_user_data d;
            protocol::reader r(bytes);
            protocol::decode(r, d, version, false);
            if (r.ok()) return {consumer_protocol::flatten(d.previous_assignment), d.generation};
        }
        return {};
    }
};

struct sticky {
    static constexpr std::string_view name = "sticky";
    static constexpr std::array supported_protocols{rebalance_protocol::eager};

    /// StickyAssignorUserData v1 of the last assignment; empty before the first one.
    byte_buffer user_data(const std::vector<topic_partition>& current_assignment, std::int32_t generation) const {
        if (current_assignment.empty() && generation < 0) return {};
        return sticky_user_data::encode(current_assignment, generation);
    }

    group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                            const std::vector<member_subscription>& members) const {
        std::vector<sticky_core::claim> claims;
        claims.reserve(members.size());
        for (auto const& m : members) {
            if (!m.user_data.empty())
                claims.push_back(sticky_user_data::decode(m.user_data));
            else
                claims.push_back({m.owned_partitions, m.generation_id});
        }
        return sticky_core::assign(partitions_per_topic, members, claims);
    }
};

static_assert(check_assignor<sticky>());

}  // namespace kafka::assignors
