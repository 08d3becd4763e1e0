// The "consumer" embedded protocol: what a classic-group member puts in JoinGroup's protocol
// metadata (its subscription) and what the leader hands each member in SyncGroup (its assignment).
//
// The broker treats both as opaque bytes; consumers of every client (Java, librdkafka, franz-go,
// this one) must agree on them to share a group. Both are non-flexible structs behind an int16
// version prefix:
//
//   Subscription  (apache/kafka common/message/ConsumerProtocolSubscription.json, versions 0-3)
//     v0  topics [string], user_data nullable bytes
//     v1  + owned_partitions [topic string, partitions [int32]]
//     v2  + generation_id int32 (default -1)
//     v3  + rack_id nullable string
//   Assignment    (apache/kafka common/message/ConsumerProtocolAssignment.json, versions 0-3)
//     v0+ assigned_partitions [topic string, partitions [int32]], user_data nullable bytes
//     (v1-v3 exist only to keep the two version numbers in step; the layout is v0's)
//
// A member may write a version newer than ours. As Java's ConsumerProtocol does, we then read
// the fields we know, at our highest version, and ignore the rest: new versions may only append.
// Bytes that do not parse (truncated, negative lengths or version) give an error value.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <kafka/exceptions.hpp>
#include <kafka/protocol/describe.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::consumer_protocol {

using protocol::versions;

/// JoinGroup's protocol_type for consumer groups.
inline constexpr std::string_view protocol_type = "consumer";
/// The newest Subscription/Assignment version this library writes and fully reads.
inline constexpr std::int16_t highest_version = 3;

/// One topic and some of its partitions: the grouped form both structs use on the wire.
struct topic_partitions {
    std::string topic;
    std::vector<std::int32_t> partitions;
    static constexpr auto fields() {
        using protocol::field;
        return protocol::field_list{field(&topic_partitions::topic), field(&topic_partitions::partitions)};
    }
    friend bool operator==(const topic_partitions&, const topic_partitions&) = default;
};

struct subscription {
    static constexpr versions valid{0, highest_version};

    std::vector<std::string> topics;
    std::optional<byte_buffer> user_data;            // assignor-specific; null by default
    std::vector<topic_partitions> owned_partitions;  // v1+: what the member holds now
    std::int32_t generation_id = -1;                 // v2+: the generation those were assigned in
    std::optional<std::string> rack_id;              // v3+: the member's client.rack

    static constexpr auto fields() {
        using protocol::all_versions;
        using protocol::field;
        using protocol::since;
        using S = subscription;
        return protocol::field_list{field(&S::topics), field(&S::user_data, all_versions, all_versions),
                                    field(&S::owned_partitions, since(1)), field(&S::generation_id, since(2)),
                                    field(&S::rack_id, since(3), since(3))};
    }
    friend bool operator==(const subscription&, const subscription&) = default;
};

struct assignment {
    static constexpr versions valid{0, highest_version};

    std::vector<topic_partitions> assigned_partitions;
    std::optional<byte_buffer> user_data;  // assignor-specific; null by default

    static constexpr auto fields() {
        using protocol::all_versions;
        using protocol::field;
        using A = assignment;
        return protocol::field_list{field(&A::assigned_partitions), field(&A::user_data, all_versions, all_versions)};
    }
    friend bool operator==(const assignment&, const assignment&) = default;
};

/// Groups partitions by topic, topics and partitions in ascending order, duplicates dropped
/// (Java's serializer sorts owned partitions the same way).
inline std::vector<topic_partitions> group_by_topic(std::vector<topic_partition> partitions) {
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
    std::vector<topic_partitions> out;
    for (auto& tp : partitions) {
        if (out.empty() || out.back().topic != tp.topic) out.push_back({std::move(tp.topic), {}});
        out.back().partitions.push_back(tp.partition);
    }
    return out;
}

/// The flat list of what `grouped` holds, in its order.
inline std::vector<topic_partition> flatten(const std::vector<topic_partitions>& grouped) {
    std::vector<topic_partition> out;
    for (auto const& t : grouped)
        for (auto p : t.partitions) out.push_back({t.topic, p});
    return out;
}

namespace detail {

template <class T>
byte_buffer encode_prefixed(const T& value, std::int16_t version) {
    version = std::clamp(version, T::valid.lo, T::valid.hi);  // Java writes its highest for newer
    byte_buffer out;
    protocol::writer w(out);
    w.int16(version);
    protocol::encode(w, value, version, false);
    return out;
}

template <class T>
std::optional<T> decode_prefixed(bytes_view bytes, std::error_code& ec) {
    protocol::reader r(bytes);
    auto version = r.int16();
    if (r.ok() && version < T::valid.lo) r.fail(client_errc::malformed_response);
    T value{};
    if (r.ok()) protocol::decode(r, value, std::min(version, T::valid.hi), false);
    // Trailing bytes are the fields of a newer version (or padding): ignored, as Java does.
    ec = r.error();
    if (ec) return std::nullopt;
    return value;
}

template <class T>
T value_or_throw(std::optional<T> v, const std::error_code& ec, const char* what) {
    if (!v) throw kafka_error(ec, what);
    return std::move(*v);
}

}  // namespace detail

/// The version-prefixed bytes of `sub` at `version` (above 3: written as 3).
inline byte_buffer encode_subscription(const subscription& sub, std::int16_t version = highest_version) {
    return detail::encode_prefixed(sub, version);
}
/// Reads version-prefixed subscription bytes; on malformed bytes returns nullopt and sets `ec`.
inline std::optional<subscription> decode_subscription(bytes_view bytes, std::error_code& ec) {
    return detail::decode_prefixed<subscription>(bytes, ec);
}
/// Throwing form: kafka_error carrying the decode error.
inline subscription decode_subscription(bytes_view bytes) {
    std::error_code ec;
    auto v = decode_subscription(bytes, ec);
    return detail::value_or_throw(std::move(v), ec, "consumer protocol subscription");
}

/// The version-prefixed bytes of `asg` at `version` (above 3: written as 3).
inline byte_buffer encode_assignment(const assignment& asg, std::int16_t version = highest_version) {
    return detail::encode_prefixed(asg, version);
}
/// Reads version-prefixed assignment bytes; on malformed bytes returns nullopt and sets `ec`.
inline std::optional<assignment> decode_assignment(bytes_view bytes, std::error_code& ec) {
    return detail::decode_prefixed<assignment>(bytes, ec);
}
/// Throwing form: kafka_error carrying the decode error.
inline assignment decode_assignment(bytes_view bytes) {
    std::error_code ec;
    auto v = decode_assignment(bytes, ec);
    return detail::value_or_throw(std::move(v), ec, "consumer protocol assignment");
}

}  // namespace kafka::consumer_protocol
