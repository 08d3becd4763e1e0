// Test helpers driven by a message's one description: fill every field with a
// non-default value, project a message onto what a version can carry, and
// round-trip it through encode/decode at every valid version.
#pragma once

#include <catch2/catch.hpp>

#include <kafka/protocol/frame.hpp>

namespace kafka::test {

using namespace kafka::protocol;

// Stable bytes for record_set fields (the decoded view points into the frame, so compare by content).
inline const byte_buffer& sample_records() {
    static const byte_buffer b = [] {
        byte_buffer v;
        for (int i = 0; i < 37; ++i) v.push_back(static_cast<std::byte>(i * 7));
        return v;
    }();
    return b;
}

template <class T>
void fill(T& v, int& seed);

template <class C>
void fill_struct(C& obj, int& seed) {
    auto one = [&](auto const& f) {
        fill(obj.*(f.member), seed);
        if constexpr (std::is_same_v<std::decay_t<decltype(obj.*(f.member))>, bool>)
            obj.*(f.member) = !(C{}.*(f.member));  // non-default even where the default is true
    };
    std::apply([&](auto const&... f) { (one(f), ...); }, C::fields());
}

/// Gives every field a value different from its default (and from its neighbours').
template <class T>
void fill(T& v, int& seed) {
    ++seed;
    if constexpr (std::is_same_v<T, bool>) v = true;
    else if constexpr (std::is_same_v<T, double>) v = seed + 0.5;
    else if constexpr (std::is_same_v<T, kafka::uuid>) {
        for (std::size_t i = 0; i < 16; ++i) v.bytes[i] = static_cast<std::byte>(seed + static_cast<int>(i));
    } else if constexpr (std::is_integral_v<T>) {
        v = static_cast<T>(seed * 3 + 1);
    } else if constexpr (std::is_same_v<T, std::string>) {
        v = "s" + std::to_string(seed);
    } else if constexpr (std::is_same_v<T, byte_buffer>) {
        v = byte_buffer{std::byte{1}, static_cast<std::byte>(seed), std::byte{3}};
    } else if constexpr (std::is_same_v<T, record_set>) {
        v.bytes = sample_records();
    } else if constexpr (kafka::protocol::detail::is_vector<T>::value) {
        v.resize(2);
        for (auto& e : v) fill(e, seed);
    } else if constexpr (kafka::protocol::detail::is_optional<T>::value) {
        fill(v.emplace(), seed);
    } else {
        fill_struct(v, seed);
    }
}

template <class T>
T filled() {
    T v{};
    int seed = 0;
    fill(v, seed);
    return v;
}

template <class T>
void project(T& v, std::int16_t version);

template <class C>
void project_struct(C& obj, std::int16_t version) {
    auto one = [&](auto const& f) {
        if (!f.present.contains(version)) obj.*(f.member) = C{}.*(f.member);
        else project(obj.*(f.member), version);
    };
    std::apply([&](auto const&... f) { (one(f), ...); }, C::fields());
}

/// Resets every field that `version` cannot carry to its default, recursively.
template <class T>
void project(T& v, std::int16_t version) {
    if constexpr (kafka::protocol::detail::is_vector<T>::value) {
        for (auto& e : v) project(e, version);
    } else if constexpr (kafka::protocol::detail::is_optional<T>::value) {
        if (v) project(*v, version);
    } else if constexpr (described<T>) {
        project_struct(v, version);
    }
}

/// Encodes `msg` at every valid version, checks the size function agrees, decodes it back
/// and compares with what that version can carry. Also checks that every strict prefix
/// of the encoding fails to decode (no silent acceptance of truncated input).
template <api_message M>
void check_round_trip_all_versions(const M& msg) {
    for (auto v = M::valid.lo; v <= M::valid.hi; ++v) {
        INFO("version " << v);
        byte_buffer out;
        writer w(out);
        encode(w, msg, v);
        CHECK(out.size() == encoded_size(msg, v));
        M back{};
        reader r(out);
        decode(r, back, v);
        REQUIRE(r.ok());
        CHECK(r.empty());
        M expected = msg;
        project(expected, v);
        CHECK(back == expected);
        for (std::size_t cut : {out.size() / 2, out.size() > 0 ? out.size() - 1 : 0}) {
            if (cut >= out.size()) continue;
            M partial{};
            reader pr(bytes_view(out).first(cut));
            decode(pr, partial, v);
            CHECK_FALSE(pr.ok());
        }
    }
}

inline byte_buffer hex_bytes(std::string_view hex) {
    byte_buffer out;
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    int hi = -1;
    for (char c : hex) {
        int n = nib(c);
        if (n < 0) continue;
        if (hi < 0) hi = n;
        else {
            out.push_back(static_cast<std::byte>(hi * 16 + n));
            hi = -1;
        }
    }
    return out;
}

}  // namespace kafka::test
