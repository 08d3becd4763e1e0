// The policy checks of KafkaConsumer<K, V, Policies> that the facade needs (assignor, offset
// commit, deserializers; the transport is checked by the engine). Each policy is checked by a
// function that states, in static_asserts of its own, one sentence per thing the policy's type
// lacks, and returns whether the type is usable. An unusable policy is then replaced by a
// stand-in, so that those sentences are the only errors: the consumer's members compile against
// the stand-in instead of each adding errors of their own. A program that gets a stand-in does
// not compile, so a stand-in never runs.
#pragma once

#include <concepts>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include <kafka/policy/assignor.hpp>
#include <kafka/policy/assignors/range.hpp>
#include <kafka/policy/deserializer.hpp>
#include <kafka/policy/offset_commit.hpp>

namespace kafka::detail {

/// The assignor policy: one assignor, or a kafka::assignors::list of them (each checked here, so the
/// list is not instantiated with a type that is not an assignor).
template <class A>
struct assignor_policy_check {
    static constexpr bool check() { return check_assignor<A>(); }
};
template <class... A>
struct assignor_policy_check<assignors::list<A...>> {
    static constexpr bool check() { return (check_assignor<A>() && ...); }
};

template <class C>
concept has_commit_on_interval = requires {
    { C::commit_on_interval } -> std::convertible_to<bool>;
};
template <class C>
concept has_commit_after_poll = requires {
    { C::commit_after_poll } -> std::convertible_to<bool>;
};
template <class C>
concept has_commit_on_revoke = requires {
    { C::commit_on_revoke } -> std::convertible_to<bool>;
};

/// The three switches of kafka::offset_commit_policy, each named when missing.
template <class C>
constexpr bool check_offset_commit() {
    static_assert(has_commit_on_interval<C>,
                  "Policies::offset_commit must define static constexpr bool commit_on_interval, commit_after_poll "
                  "and commit_on_revoke (see kafka/policy/offset_commit.hpp): commit_on_interval is missing");
    static_assert(has_commit_after_poll<C>,
                  "Policies::offset_commit must define static constexpr bool commit_on_interval, commit_after_poll "
                  "and commit_on_revoke (see kafka/policy/offset_commit.hpp): commit_after_poll is missing");
    static_assert(has_commit_on_revoke<C>,
                  "Policies::offset_commit must define static constexpr bool commit_on_interval, commit_after_poll "
                  "and commit_on_revoke (see kafka/policy/offset_commit.hpp): commit_on_revoke is missing");
    return has_commit_on_interval<C> && has_commit_after_poll<C> && has_commit_on_revoke<C>;
}

/// Policies::key_deserializer when named, else the default for T (no `type` when T has none).
template <class P, class T>
struct key_deserializer_of : deserializers::default_for<T> {};
template <class P, class T>
requires requires { typename P::key_deserializer; }
struct key_deserializer_of<P, T> {
    using type = typename P::key_deserializer;
};
template <class P, class T>
struct value_deserializer_of : deserializers::default_for<T> {};
template <class P, class T>
requires requires { typename P::value_deserializer; }
struct value_deserializer_of<P, T> {
    using type = typename P::value_deserializer;
};

template <class P, class K>
constexpr bool check_key_deserializer() {
    if constexpr (requires { typename P::key_deserializer; }) {
        static_assert(deserializer_for<typename P::key_deserializer, K>,
                      "the key deserializer must have `K deserialize(std::string_view topic, "
                      "const kafka::headers_view&, std::optional<kafka::bytes_view>) const` returning the consumer's "
                      "key type");
        return deserializer_for<typename P::key_deserializer, K>;
    } else {
        static_assert(deserializers::has_default<K>,
                      "no default deserializer for the key type K: name one in Policies::key_deserializer (a type with "
                      "deserialize(topic, headers, optional<bytes_view>) returning K); defaults exist for std::string, "
                      "std::string_view, kafka::byte_buffer, std::optional<kafka::bytes_view>, std::monostate, "
                      "arithmetic types and std::optional of these");
        return deserializers::has_default<K>;
    }
}

template <class P, class V>
constexpr bool check_value_deserializer() {
    if constexpr (requires { typename P::value_deserializer; }) {
        static_assert(deserializer_for<typename P::value_deserializer, V>,
                      "the value deserializer must have `V deserialize(std::string_view topic, "
                      "const kafka::headers_view&, std::optional<kafka::bytes_view>) const` returning the consumer's "
                      "value type");
        return deserializer_for<typename P::value_deserializer, V>;
    } else {
        static_assert(deserializers::has_default<V>,
                      "no default deserializer for the value type V: name one in Policies::value_deserializer (a type "
                      "with deserialize(topic, headers, optional<bytes_view>) returning V); defaults exist for "
                      "std::string, std::string_view, kafka::byte_buffer, std::optional<kafka::bytes_view>, "
                      "std::monostate, arithmetic types and std::optional of these");
        return deserializers::has_default<V>;
    }
}

/// Takes the place of an unusable policy; built from (and ignoring) whatever was passed for it.
template <class Base>
struct stand_in : Base {
    stand_in() = default;
    template <class U>
    stand_in(U&&) {}
};

template <class T>
struct deserializer_returning {
    T deserialize(std::string_view, const headers_view&, std::optional<bytes_view>) const {
        throw std::logic_error("kafka: a policy stand-in never runs");
    }
};

/// The policies of KafkaConsumer<K, V, P>: P's choices where they are usable, stand-ins where not.
/// The deserializer policies alone (every consumer type has them).
template <class K, class V, class P>
struct checked_deserializers {
    static constexpr bool key_deserializer_ok = check_key_deserializer<P, K>();
    static constexpr bool value_deserializer_ok = check_value_deserializer<P, V>();
    // key_deserializer_of<P, K>::type may not exist: named only when chosen.
    using key_deserializer = typename std::conditional_t<key_deserializer_ok, key_deserializer_of<P, K>,
                                                         std::type_identity<stand_in<deserializer_returning<K>>>>::type;
    using value_deserializer =
        typename std::conditional_t<value_deserializer_ok, value_deserializer_of<P, V>,
                                    std::type_identity<stand_in<deserializer_returning<V>>>>::type;
};

template <class K, class V, class P>
struct checked_policies : checked_deserializers<K, V, P> {
    static constexpr bool assignor_ok = assignor_policy_check<typename P::assignor>::check();
    static constexpr bool offset_commit_ok = check_offset_commit<typename P::offset_commit>();

    // The transport is checked where the engine is instantiated (detail/consumer_engine.hpp), so
    // that this header, which the facade includes, needs no Asio.
    using assignor = std::conditional_t<assignor_ok, typename P::assignor, stand_in<assignors::range>>;
    using offset_commit = std::conditional_t<offset_commit_ok, typename P::offset_commit, commit::manual>;
};

}  // namespace kafka::detail
