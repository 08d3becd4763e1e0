// The assignor policy: how the group leader divides partitions among the members.
//
// In a classic consumer group every member advertises, in JoinGroup, the assignors it can run
// (by protocol name, in preference order) with its subscription encoded for each. The
// coordinator picks one name all members share; the member it elects leader decodes everyone's
// subscription, runs that assignor, and returns each member's share in SyncGroup. Members of
// other clients (Java, librdkafka) may be in the same group, so the names and the encoding of
// user data must match theirs.
//
// ## The `kafka::assignor` concept
//
// An assignor is a plain type (no base class, no virtual functions) `A` with:
//
//   static constexpr std::string_view name;      // the protocol name, e.g. "range"
//   static constexpr std::array supported_protocols{kafka::rebalance_protocol::eager, ...};
//       // or `static constexpr auto supported_protocols()` returning such a range;
//       // like Java's supportedProtocols(), listed in the assignor's order of preference
//   group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
//                           const std::vector<member_subscription>& members);
//       // leader side. partitions_per_topic: partition count of each subscribed topic known to
//       // metadata (topics missing from it are skipped). Must return an entry for every member,
//       // give each partition to at most one member, and only to members subscribed to its topic.
//
// and, optionally (detected with `if constexpr (requires ...)`, no cost when absent):
//
//   byte_buffer user_data(const std::vector<topic_partition>& current_assignment,
//                         std::int32_t generation) const;
//       // the user data of this member's subscription. current_assignment is the member's latest
//       // assignment from the leader (under the eager protocol: the one it gave up before
//       // rejoining) and generation the generation it was received in (-1: none yet).
//   void on_assignment(const std::vector<topic_partition>& assignment, std::int32_t generation);
//       // called on every member when SyncGroup hands it its assignment.
//
// `static_assert(kafka::check_assignor<A>())` states each missing piece in words; entry points
// that take an assignor (such as `kafka::assignors::list`) do it for you.
//
// ## Several assignors: `kafka::assignors::list<A, B, ...>`
//
// Advertises several assignors in preference order. `list::protocol` is the rebalance protocol
// they all support (cooperative when every one of them does, as Java chooses), and `assign`,
// `user_data` and `on_assignment` take the protocol name the group chose and dispatch to the
// matching type with a fold over the types: no virtual call, no type erasure.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <kafka/protocol/primitives.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

/// How partitions change hands in a rebalance (Java's ConsumerPartitionAssignor.RebalanceProtocol).
/// eager: every member gives up all its partitions before rejoining.
/// cooperative: members keep their partitions across the rebalance and give up only those the
/// new assignment moves; a moved partition reaches its new owner in a follow-up rebalance.
enum class rebalance_protocol : std::int8_t { eager = 0, cooperative = 1 };

/// One member's subscription as the leader sees it: decoded from its JoinGroup metadata.
struct member_subscription {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // static membership (KIP-345)
    std::vector<std::string> topics;
    byte_buffer user_data;                          // assignor-specific (empty when null)
    std::vector<topic_partition> owned_partitions;  // subscription v1+
    std::int32_t generation_id = -1;                // subscription v2+; -1: unknown
    std::optional<std::string> rack_id;             // subscription v3+
    friend bool operator==(const member_subscription&, const member_subscription&) = default;
};

/// Member id -> the partitions assigned to it.
using group_assignment = std::map<std::string /*member id*/, std::vector<topic_partition>>;

namespace detail {

template <class A>
concept has_protocols_function = requires {
    A::supported_protocols();
};

template <class A>
requires has_protocols_function<A> || requires { A::supported_protocols; }
constexpr auto protocols_of() {
    if constexpr (has_protocols_function<A>)
        return A::supported_protocols();
    else
        return A::supported_protocols;
}

template <class A>
concept has_supported_protocols = requires {
    protocols_of<A>();
}
&&requires {
    requires std::ranges::input_range<decltype(protocols_of<A>())>;
    requires std::convertible_to<std::ranges::range_value_t<decltype(protocols_of<A>())>, rebalance_protocol>;
};

template <class A>
concept has_name = requires {
    { A::name } -> std::convertible_to<std::string_view>;
};

template <class A>
concept has_assign = requires(A& a, const std::map<std::string, std::int32_t>& partitions_per_topic,
                              const std::vector<member_subscription>& members) {
    { a.assign(partitions_per_topic, members) } -> std::same_as<group_assignment>;
};

}  // namespace detail

/// See the header comment for what each requirement means.
template <class A>
concept assignor = detail::has_name<A> && detail::has_supported_protocols<A> && detail::has_assign<A>;

/// True when A provides the optional subscription user data hook.
template <class A>
concept assignor_with_user_data = requires(const A& a, const std::vector<topic_partition>& current,
                                           std::int32_t generation) {
    { a.user_data(current, generation) } -> std::convertible_to<byte_buffer>;
};

/// True when A provides the optional on_assignment hook.
template <class A>
concept assignor_with_on_assignment = requires(A& a, const std::vector<topic_partition>& assignment,
                                               std::int32_t generation) {
    a.on_assignment(assignment, generation);
};

/// The rebalance protocols A supports, in its order of preference.
template <assignor A>
constexpr auto supported_protocols() {
    return detail::protocols_of<A>();
}

/// True when A lists `p` among its supported protocols.
template <assignor A>
constexpr bool supports(rebalance_protocol p) {
    for (auto q : supported_protocols<A>())
        if (static_cast<rebalance_protocol>(q) == p) return true;
    return false;
}

/// `static_assert(kafka::check_assignor<A>());` reports, one sentence each, what A lacks.
template <class A>
constexpr bool check_assignor() {
    static_assert(detail::has_name<A>,
                  "assignor type needs `static constexpr std::string_view name` "
                  "(the protocol name other members know it by, e.g. \"range\")");
    static_assert(detail::has_supported_protocols<A>,
                  "assignor type needs `static constexpr std::array supported_protocols` of "
                  "kafka::rebalance_protocol (or a static function returning one), e.g. "
                  "{kafka::rebalance_protocol::eager}");
    static_assert(detail::has_assign<A>,
                  "assignor type needs `kafka::group_assignment assign(const std::map<std::string, std::int32_t>& "
                  "partitions_per_topic, const std::vector<kafka::member_subscription>& members)`");
    if constexpr (requires { &A::user_data; })
        static_assert(assignor_with_user_data<A>,
                      "assignor's `user_data` must be callable as `kafka::byte_buffer user_data(const "
                      "std::vector<kafka::topic_partition>& current_assignment, std::int32_t generation) const`");
    if constexpr (requires { &A::on_assignment; })
        static_assert(assignor_with_on_assignment<A>,
                      "assignor's `on_assignment` must be callable as `void on_assignment(const "
                      "std::vector<kafka::topic_partition>& assignment, std::int32_t generation)`");
    if constexpr (detail::has_supported_protocols<A>)
        static_assert(!std::ranges::empty(detail::protocols_of<A>()),
                      "assignor's `supported_protocols` must list at least one kafka::rebalance_protocol");
    return assignor<A>;
}

/// The order Java's AbstractPartitionAssignor.MemberInfo sorts members in (range, roundrobin):
/// static members (with a group.instance.id) first, by instance id; then the others by member id.
/// Ids compare bytewise (UTF-8), Java compares UTF-16 units: the orders agree unless ids mix
/// characters above U+FFFF with characters from U+E000 to U+FFFF. (librdkafka differs from Java
/// when static and dynamic members are mixed: it then compares member ids.)
inline bool java_member_order(const member_subscription& a, const member_subscription& b) {
    if (a.group_instance_id && b.group_instance_id) {
        if (*a.group_instance_id != *b.group_instance_id) return *a.group_instance_id < *b.group_instance_id;
        return a.member_id < b.member_id;  // equal instance ids cannot happen in a group; stay deterministic
    }
    if (a.group_instance_id || b.group_instance_id) return a.group_instance_id.has_value();
    return a.member_id < b.member_id;
}

namespace assignors {

/// Several assignors, advertised in preference order; the group picks one by name.
template <class... A>
class list {
    static_assert(sizeof...(A) > 0, "kafka::assignors::list needs at least one assignor type");
    static_assert((check_assignor<A>() && ...), "kafka::assignors::list: every type must model kafka::assignor");
    // The checks below assume valid types; skipping them otherwise keeps the diagnostics to the point.
    static constexpr bool valid = (assignor<A> && ...);

    static constexpr bool all_support(rebalance_protocol p) {
        if constexpr (valid)
            return (supports<A>(p) && ...);
        else
            return true;
    }
    static constexpr bool names_unique() {
        if constexpr (valid) {
            std::array<std::string_view, sizeof...(A)> n{A::name...};
            for (std::size_t i = 0; i < n.size(); ++i)
                for (std::size_t j = i + 1; j < n.size(); ++j)
                    if (n[i] == n[j]) return false;
        }
        return true;
    }
    static_assert(names_unique(), "kafka::assignors::list: two assignors have the same name");
    static_assert(all_support(rebalance_protocol::eager) || all_support(rebalance_protocol::cooperative),
                  "kafka::assignors::list: the assignors share no rebalance protocol; list only "
                  "cooperative-capable assignors, or add eager support to them");

public:
    /// The protocol names to advertise in JoinGroup, in preference order.
    static constexpr std::array<std::string_view, sizeof...(A)> names{A::name...};
    /// The highest rebalance protocol every listed assignor supports (Java's choice).
    static constexpr rebalance_protocol protocol =
        all_support(rebalance_protocol::cooperative) ? rebalance_protocol::cooperative : rebalance_protocol::eager;

    list() = default;
    explicit list(A... assignors) : assignors_(std::move(assignors)...) {}

    static constexpr bool contains(std::string_view name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    }

    /// Runs the assignor called `name`; nullopt when no listed assignor has that name.
    std::optional<group_assignment> assign(std::string_view name,
                                           const std::map<std::string, std::int32_t>& partitions_per_topic,
                                           const std::vector<member_subscription>& members) {
        std::optional<group_assignment> out;
        visit(name, [&](auto& a) { out = a.assign(partitions_per_topic, members); });
        return out;
    }

    /// The subscription user data the assignor called `name` sends (empty when it has none).
    byte_buffer user_data(std::string_view name, const std::vector<topic_partition>& current_assignment,
                          std::int32_t generation) const {
        byte_buffer out;
        visit(name, [&](auto const& a) {
            if constexpr (assignor_with_user_data<std::remove_cvref_t<decltype(a)>>)
                out = a.user_data(current_assignment, generation);
        });
        return out;
    }

    /// Tells the assignor the group used (`name`) what this member was given.
    void on_assignment(std::string_view name, const std::vector<topic_partition>& assignment, std::int32_t generation) {
        visit(name, [&](auto& a) {
            if constexpr (assignor_with_on_assignment<std::remove_cvref_t<decltype(a)>>)
                a.on_assignment(assignment, generation);
        });
    }

    /// Calls f with the assignor called `name`; false when there is none.
    template <class F>
    bool visit(std::string_view name, F&& f) {
        return std::apply([&](auto&... a) { return ((a.name == name ? (f(a), true) : false) || ...); }, assignors_);
    }
    template <class F>
    bool visit(std::string_view name, F&& f) const {
        return std::apply([&](auto const&... a) { return ((a.name == name ? (f(a), true) : false) || ...); },
                          assignors_);
    }

    /// The assignor instance of type B.
    template <class B>
    B& get() noexcept {
        return std::get<B>(assignors_);
    }
    template <class B>
    const B& get() const noexcept {
        return std::get<B>(assignors_);
    }

private:
    std::tuple<A...> assignors_;
};

template <class A>
struct as_list_t {
    using type = list<A>;
};
template <class... A>
struct as_list_t<list<A...>> {
    using type = list<A...>;
};
/// A single assignor as a one-element list; a list as itself.
template <class A>
using as_list = typename as_list_t<A>::type;

}  // namespace assignors
}  // namespace kafka
