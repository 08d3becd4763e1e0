// The one description of a protocol message, and the codec derived from it.
//
// A message (or a nested struct of one) lists its fields once, in wire order,
// in a static `fields()` function:
//
//   struct HeartbeatRequest {
//       static constexpr std::int16_t api_key = 12;
//       static constexpr versions valid{0, 4};
//       static constexpr versions flexible = since(4);
//       std::string group_id;
//       std::int32_t generation_id = 0;
//       std::string member_id;
//       std::optional<std::string> group_instance_id;
//       static constexpr auto fields() {
//           return field_list{field(&HeartbeatRequest::group_id),
//                             field(&HeartbeatRequest::generation_id),
//                             field(&HeartbeatRequest::member_id),
//                             field(&HeartbeatRequest::group_instance_id, since(3), since(3))};
//       }
//   };
//
// The wire type follows from the member's C++ type:
//   int8/16/32/64_t, uint16/32_t, bool, double, kafka::uuid  fixed width
//   std::string                   string (compact in flexible versions)
//   byte_buffer                   bytes, copied out of the response
//   record_set                    nullable bytes, a view into the response buffer (Fetch records)
//   std::vector<T>                array of T
//   std::optional<X>              nullable X (string, bytes, array, struct); null is legal only in
//                                 the field's nullable versions
//   a struct with fields()        nested struct (with its own tagged-field section when flexible)
//
// encode(), decode() and encoded_size() below walk that description; there is
// no other per-message code. A field outside its versions keeps its default on
// decode and is not written on encode. Tagged fields (flexible versions only)
// are written when they differ from the default, and unknown tags are skipped.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <kafka/protocol/primitives.hpp>

namespace kafka::protocol {

inline constexpr std::int16_t max_version = 0x7fff;

/// An inclusive range of API versions.
struct versions {
    std::int16_t lo = 0;
    std::int16_t hi = max_version;
    constexpr bool contains(std::int16_t v) const noexcept { return v >= lo && v <= hi; }
    constexpr bool empty() const noexcept { return lo > hi; }
};
inline constexpr versions all_versions{0, max_version};
inline constexpr versions no_versions{1, 0};
constexpr versions since(std::int16_t v) noexcept { return {v, max_version}; }
constexpr versions between(std::int16_t lo, std::int16_t hi) noexcept { return {lo, hi}; }

/// Fetch/Produce record data: nullable bytes kept as a view into the buffer it was decoded from.
struct record_set {
    bytes_view bytes{};
    friend bool operator==(const record_set& a, const record_set& b) noexcept {
        return a.bytes.size() == b.bytes.size() &&
               (a.bytes.empty() || std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0);
    }
};

template <class C, class M>
struct field_desc {
    using class_type = C;
    using member_type = M;
    M C::*member;
    versions present;
    versions nullable;
    std::int32_t tag;  // -1: a regular field; >= 0: a tagged field
};

/// A regular field, present in `present` versions, null allowed in `nullable` versions.
template <class C, class M>
constexpr field_desc<C, M> field(M C::*m, versions present = all_versions, versions nullable = no_versions) {
    return {m, present, nullable, -1};
}
/// A tagged field (flexible versions only) with its tag number.
template <class C, class M>
constexpr field_desc<C, M> tagged(M C::*m, std::int32_t tag, versions present, versions nullable = no_versions) {
    return {m, present, nullable, tag};
}

/// The list fields() returns: one field_desc per field, in wire order. A plain aggregate (no
/// std::tuple) so that the 84 descriptions parse cheaply and walking one is a single fold.
template <std::size_t I, class F>
struct field_slot {
    F desc;
};
template <class Index, class... F>
struct field_list_base;
template <std::size_t... I, class... F>
struct field_list_base<std::index_sequence<I...>, F...> : field_slot<I, F>... {
    static constexpr std::size_t size = sizeof...(F);
    /// Calls `fn(f0, f1, ...)` with every field's description (std::apply for field lists).
    template <class Fn>
    constexpr decltype(auto) apply(Fn&& fn) const {
        return static_cast<Fn&&>(fn)(static_cast<const field_slot<I, F>&>(*this).desc...);
    }
};
template <class... F>
struct field_list : field_list_base<std::index_sequence_for<F...>, F...> {};
template <class... F>
field_list(F...) -> field_list<F...>;

template <class T>
concept described = requires {
    T::fields();
};

namespace detail {
template <class... F>
constexpr field_list<F...> as_field_list(const field_list<F...>& l) {
    return l;
}
// A description that returns a std::tuple of fields (the earlier form) works too.
template <class... F>
constexpr field_list<F...> as_field_list(const std::tuple<F...>& t) {
    return std::apply([](auto const&... f) { return field_list<F...>{f...}; }, t);
}
}  // namespace detail

/// A described class's field list, as a constant (never built at run time).
template <described C>
inline constexpr auto fields_of = detail::as_field_list(C::fields());

template <class T>
concept api_message = described<T> && requires {
    { T::api_key } -> std::convertible_to<std::int16_t>;
    { T::valid } -> std::convertible_to<versions>;
    { T::flexible } -> std::convertible_to<versions>;
};

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

struct ctx {
    std::int16_t version;
    bool flexible;
};

// Length prefix of strings (int16), bytes and arrays (int32), or compact uvarint N+1; -1 is null.
template <class Sink>
void put_length(Sink& w, ctx c, std::int64_t n, bool wide) {
    if (c.flexible)
        w.uvarint(static_cast<std::uint64_t>(n + 1));
    else if (wide)
        w.int32(static_cast<std::int32_t>(n));
    else
        w.int16(static_cast<std::int16_t>(n));
}

template <class T>
constexpr bool is_wide_v = !std::is_same_v<T, std::string>;  // only strings have int16 lengths

template <class Sink, class T>
void put(Sink& w, const T& v, ctx c, bool nullable = false);

template <class Sink, class T>
void put_null(Sink& w, ctx c) {
    if constexpr (described<T>)
        w.int8(-1);  // nullable struct: int8 presence marker
    else
        put_length(w, c, -1, is_wide_v<T>);
}

template <class Sink, class C>
void put_struct(Sink& w, const C& obj, ctx c);

template <class Sink, class T>
void put(Sink& w, const T& v, ctx c, bool nullable) {
    if constexpr (std::is_same_v<T, bool>)
        w.boolean(v);
    else if constexpr (std::is_same_v<T, double>)
        w.float64(v);
    else if constexpr (std::is_same_v<T, kafka::uuid>)
        w.uuid(v);
    else if constexpr (std::is_integral_v<T>)
        w.fixed(v);
    else if constexpr (std::is_same_v<T, std::string>) {
        put_length(w, c, static_cast<std::int64_t>(v.size()), false);
        w.raw(as_bytes_view(v));
    } else if constexpr (std::is_same_v<T, byte_buffer>) {
        put_length(w, c, static_cast<std::int64_t>(v.size()), true);
        w.raw(v);
    } else if constexpr (std::is_same_v<T, record_set>) {
        put_length(w, c, static_cast<std::int64_t>(v.bytes.size()), true);
        w.raw(v.bytes);
    } else if constexpr (is_vector<T>::value) {
        put_length(w, c, static_cast<std::int64_t>(v.size()), true);
        for (auto const& e : v) put(w, e, c);
    } else if constexpr (is_optional<T>::value) {
        using X = typename T::value_type;
        if (!v && nullable) {
            put_null<Sink, X>(w, c);
            return;
        }
        if (!v) {
            // Null where this version cannot carry it: write the empty value, as Kafka's
            // default for such a field is (never a null that the peer would reject).
            if constexpr (described<X>) w.int8(1);
            put(w, X{}, c);
            return;
        }
        if constexpr (described<X>) w.int8(1);
        put(w, *v, c);
    } else if constexpr (described<T>) {
        put_struct(w, v, c);
    } else {
        static_assert(sizeof(T) == 0, "kafka::protocol: this member type has no wire encoding");
    }
}

template <class C>
const C& defaults_of() {
    static const C defaults{};
    return defaults;
}

// A tagged field is written only when it differs from the value its class gives it.
template <class C, class F>
bool is_default(const C& obj, const F& f) {
    if constexpr (requires { obj.*(f.member) == obj.*(f.member); })
        return obj.*(f.member) == defaults_of<C>().*(f.member);
    else
        return false;
}

// Kafka requires tagged fields in ascending tag order; the description must list them so.
template <class C>
consteval bool tags_ascending() {
    std::int32_t last = -1;
    bool ok = true;
    fields_of<C>.apply([&](auto const&... f) { ((f.tag >= 0 ? (ok = ok && f.tag > last, last = f.tag) : 0), ...); });
    return ok;
}

template <class Sink, class C>
void put_struct(Sink& w, const C& obj, ctx c) {
    static_assert(tags_ascending<C>(), "kafka::protocol: list tagged fields in ascending tag order in fields()");
    fields_of<C>.apply([&](auto const&... f) {
        ((f.tag < 0 && f.present.contains(c.version) ? put(w, obj.*(f.member), c, f.nullable.contains(c.version))
                                                     : void()),
         ...);
    });
    if (!c.flexible) return;
    // Tagged fields, in ascending tag order, only those that differ from their default.
    std::uint64_t count = 0;
    fields_of<C>.apply([&](auto const&... f) {
        ((count += (f.tag >= 0 && f.present.contains(c.version) && !is_default(obj, f)) ? 1 : 0), ...);
    });
    w.uvarint(count);
    if (count == 0) return;
    auto put_tagged = [&](auto const& f) {
        if (f.tag < 0 || !f.present.contains(c.version) || is_default(obj, f)) return;
        bool nullable = f.nullable.contains(c.version);
        size_counter n;
        put(n, obj.*(f.member), c, nullable);
        w.uvarint(static_cast<std::uint64_t>(f.tag));
        w.uvarint(n.size());
        put(w, obj.*(f.member), c, nullable);
    };
    fields_of<C>.apply([&](auto const&... f) { (put_tagged(f), ...); });
}

template <class T>
void get(reader& r, T& v, ctx c, bool nullable);

template <class C>
void get_struct(reader& r, C& obj, ctx c);

template <class T>
void get(reader& r, T& v, ctx c, bool nullable) {
    if constexpr (std::is_same_v<T, bool>)
        v = r.boolean();
    else if constexpr (std::is_same_v<T, double>)
        v = r.float64();
    else if constexpr (std::is_same_v<T, kafka::uuid>)
        v = r.uuid();
    else if constexpr (std::is_integral_v<T>)
        v = r.template fixed<T>();
    else if constexpr (std::is_same_v<T, std::string>) {
        auto n = r.length(c.flexible, false, false);
        auto b = r.take(n < 0 ? 0 : static_cast<std::size_t>(n));
        v.assign(as_string_view(b));
    } else if constexpr (std::is_same_v<T, byte_buffer>) {
        auto n = r.length(c.flexible, true, false);
        auto b = r.take(n < 0 ? 0 : static_cast<std::size_t>(n));
        v.assign(b.begin(), b.end());
    } else if constexpr (std::is_same_v<T, record_set>) {
        auto n = r.length(c.flexible, true, true);  // records are always nullable
        v.bytes = n < 0 ? bytes_view{} : r.take(static_cast<std::size_t>(n));
    } else if constexpr (is_vector<T>::value) {
        auto n = r.length(c.flexible, true, false);
        if (n <= 0) {
            v.clear();
            return;
        }
        // Every element takes at least one byte: a count above what is left is corrupt,
        // and refusing it here keeps a hostile count from allocating gigabytes.
        if (static_cast<std::uint64_t>(n) > r.remaining()) {
            r.fail(client_errc::malformed_response);
            return;
        }
        // Elements already there are decoded over (every field is rewritten), so decoding into
        // a reused message does not reallocate its nested vectors.
        v.resize(static_cast<std::size_t>(n));
        for (auto& e : v) {
            get(r, e, c, false);
            if (!r.ok()) return;
        }
    } else if constexpr (is_optional<T>::value) {
        using X = typename T::value_type;
        if constexpr (described<X>) {
            auto marker = r.int8();
            if (marker < 0 && nullable) {
                v.reset();
                return;
            }
            if (marker < 0) {
                r.fail(client_errc::negative_length);
                return;
            }
            get(r, v.emplace(), c, false);
        } else {
            // Peek the length to tell null from a value, then decode the value itself.
            reader probe = r;
            auto n = probe.length(c.flexible, is_wide_v<X>, nullable);
            if (!probe.ok()) {
                r = probe;
                return;
            }
            if (n < 0) {
                r = probe;
                v.reset();
                return;
            }
            get(r, v.emplace(), c, false);
        }
    } else if constexpr (described<T>) {
        get_struct(r, v, c);
    } else {
        static_assert(sizeof(T) == 0, "kafka::protocol: this member type has no wire decoding");
    }
}

template <class C>
void get_struct(reader& r, C& obj, ctx c) {
    // Fields this version does not carry (and tagged fields, until their tag appears) take
    // their defaults, so that decoding into a reused object leaves nothing stale behind.
    auto const& defaults = defaults_of<C>();
    auto one = [&](auto const& f) {
        if (f.tag < 0 && f.present.contains(c.version)) {
            if (r.ok()) get(r, obj.*(f.member), c, f.nullable.contains(c.version));
        } else {
            obj.*(f.member) = defaults.*(f.member);
        }
    };
    fields_of<C>.apply([&](auto const&... f) { (one(f), ...); });
    if (!c.flexible || !r.ok()) return;
    auto count = r.uvarint32();
    for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
        auto tag = r.uvarint32();
        auto size = r.uvarint32();
        auto body = r.take(size);
        if (!r.ok()) return;
        bool known = false;
        auto try_field = [&](auto const& f) {
            if (known || f.tag < 0 || static_cast<std::uint32_t>(f.tag) != tag || !f.present.contains(c.version))
                return;
            known = true;
            reader sub(body);
            get(sub, obj.*(f.member), c, f.nullable.contains(c.version));
            if (!sub.ok())
                r.fail(sub.error());
            else if (!sub.empty())
                r.fail(client_errc::malformed_response);
        };
        fields_of<C>.apply([&](auto const&... f) { (try_field(f), ...); });
        // Unknown tags were skipped by take(): a newer peer may add fields we do not know.
    }
}

}  // namespace detail

/// Appends the encoding of `msg` at `version` (flexible or not, per C::flexible for top-level messages).
template <class Sink, described C>
void encode(Sink& w, const C& msg, std::int16_t version, bool flexible) {
    detail::put_struct(w, msg, detail::ctx{version, flexible});
}
template <class Sink, api_message C>
void encode(Sink& w, const C& msg, std::int16_t version) {
    encode(w, msg, version, C::flexible.contains(version));
}

/// The number of bytes encode() writes.
template <api_message C>
std::size_t encoded_size(const C& msg, std::int16_t version) {
    size_counter n;
    encode(n, msg, version);
    return n.size();
}

/// Decodes `msg` at `version`; errors are left in the reader (sticky).
template <described C>
void decode(reader& r, C& msg, std::int16_t version, bool flexible) {
    detail::get_struct(r, msg, detail::ctx{version, flexible});
}
template <api_message C>
void decode(reader& r, C& msg, std::int16_t version) {
    decode(r, msg, version, C::flexible.contains(version));
}

}  // namespace kafka::protocol
