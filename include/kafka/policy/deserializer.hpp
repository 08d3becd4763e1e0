// The deserializer policy: turns a record's key or value bytes into a C++ value.
//
// A deserializer for T is a type D with
//     T deserialize(std::string_view topic, const kafka::headers_view& headers,
//                   std::optional<kafka::bytes_view> data) const;
// where `data` is nullopt for a null key/value. It runs once per record on the
// consumer's thread, with no virtual call. A deserializer that throws makes
// poll() throw kafka::record_deserialization_error naming the topic, partition
// and offset; the consumer's position stays on that record, so the user can
// seek() past it (as Java's RecordDeserializationException).
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <kafka/exceptions.hpp>
#include <kafka/protocol/record_view.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

template <class D, class T>
concept deserializer_for = requires(const D& d, std::string_view topic, const headers_view& headers,
                                    std::optional<bytes_view> data) {
    { d.deserialize(topic, headers, data) } -> std::convertible_to<T>;
};

/// Runs `d` on the key (`is_key`) or the value of record `r` of `topic`/`partition`; what it throws
/// becomes record_deserialization_error naming the record (every consumer type's deserialization).
template <class D>
auto deserialize_part(const D& d, const std::string& topic, std::int32_t partition, const record_view& r, bool is_key,
                      const char* what_next = "seek past it to continue") {
    try {
        return d.deserialize(topic, r.headers, is_key ? r.key : r.value);
    } catch (const std::exception& e) {
        throw record_deserialization_error({topic, partition}, r.offset, is_key, e.what(), what_next);
    }
}

namespace deserializers {

/// Owning string; a null key/value becomes "".
struct string {
    std::string deserialize(std::string_view, const headers_view&, std::optional<bytes_view> d) const {
        return d ? std::string(as_string_view(*d)) : std::string();
    }
};

/// Zero-copy view, valid while the ConsumerRecords it came from lives.
struct string_view {
    std::string_view deserialize(std::string_view, const headers_view&, std::optional<bytes_view> d) const {
        return d ? as_string_view(*d) : std::string_view();
    }
};

/// Zero-copy bytes; nullopt for null.
struct bytes {
    std::optional<bytes_view> deserialize(std::string_view, const headers_view&, std::optional<bytes_view> d) const {
        return d;
    }
};

/// Owning bytes; empty for null.
struct byte_buffer {
    kafka::byte_buffer deserialize(std::string_view, const headers_view&, std::optional<bytes_view> d) const {
        return d ? kafka::byte_buffer(d->begin(), d->end()) : kafka::byte_buffer();
    }
};

/// Big-endian integers and IEEE floats with the Java serializers' layout
/// (IntegerSerializer, LongSerializer, ShortSerializer, FloatSerializer, DoubleSerializer).
template <class T>
struct number {
    static_assert(std::is_arithmetic_v<T>, "deserializers::number<T> needs an integer or floating-point T");
    T deserialize(std::string_view, const headers_view&, std::optional<bytes_view> d) const {
        if (!d) return T{};
        if (d->size() != sizeof(T))
            throw std::invalid_argument("expected " + std::to_string(sizeof(T)) + " bytes, got " +
                                        std::to_string(d->size()));
        if constexpr (std::is_floating_point_v<T>) {
            using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
            return std::bit_cast<T>(protocol::from_big_endian<U>(d->data()));
        } else {
            return protocol::from_big_endian<T>(d->data());
        }
    }
};

/// Ignores the bytes (for a key the application does not use).
struct ignore {
    std::monostate deserialize(std::string_view, const headers_view&, std::optional<bytes_view>) const { return {}; }
};

/// Null-aware wrapper: nullopt for a null key/value, else D's result.
template <class D>
struct optional {
    template <class R = decltype(std::declval<const D&>().deserialize(std::string_view{}, headers_view{},
                                                                      std::optional<bytes_view>{}))>
    std::optional<R> deserialize(std::string_view topic, const headers_view& h, std::optional<bytes_view> d) const {
        if (!d) return std::nullopt;
        return inner.deserialize(topic, h, d);
    }
    D inner{};
};

/// The deserializer used for a key or value type unless the policies name another: `type`, for
/// std::string, std::string_view, kafka::byte_buffer, std::optional<kafka::bytes_view>, std::monostate,
/// arithmetic types and std::optional of any of these. Other types have no `type` (test with
/// has_default<T>): KafkaConsumer then says, for its key or its value, that a deserializer must be named.
template <class T>
struct default_for {};
template <class T>
concept has_default = requires {
    typename default_for<T>::type;
};
template <>
struct default_for<std::string> {
    using type = string;
};
template <>
struct default_for<std::string_view> {
    using type = string_view;
};
template <>
struct default_for<kafka::byte_buffer> {
    using type = byte_buffer;
};
template <>
struct default_for<std::optional<bytes_view>> {
    using type = bytes;
};
template <>
struct default_for<std::monostate> {
    using type = ignore;
};
template <class T>
requires std::is_arithmetic_v<T>
struct default_for<T> {
    using type = number<T>;
};
template <class T>
requires has_default<T>
struct default_for<std::optional<T>> {
    using type = optional<typename default_for<T>::type>;
};

}  // namespace deserializers
}  // namespace kafka
