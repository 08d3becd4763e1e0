// Test helpers driven by a message's one description: fill every field with a
// non-default value, project a message onto what a version can carry, and
// round-trip it through encode/decode at every valid version.
#pragma once

#include <catch2/catch.hpp>

#include <kafka/protocol/frame.hpp>

#include "../../fuzz/fill.hpp"

namespace kafka::test {

using namespace kafka::protocol;

// The fill logic (every field non-default) lives Catch-free in tests/fuzz/fill.hpp, shared
// with the fuzz seed generator.
using kafka::fuzz::fill;
using kafka::fuzz::filled;
using kafka::fuzz::sample_records;

template <class T>
void project(T& v, std::int16_t version);

template <class C>
void project_struct(C& obj, std::int16_t version) {
    auto one = [&](auto const& f) {
        if (!f.present.contains(version))
            obj.*(f.member) = C{}.*(f.member);
        else
            project(obj.*(f.member), version);
    };
    kafka::protocol::fields_of<C>.apply([&](auto const&... f) { (one(f), ...); });
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
        if (hi < 0)
            hi = n;
        else {
            out.push_back(static_cast<std::byte>(hi * 16 + n));
            hi = -1;
        }
    }
    return out;
}

}  // namespace kafka::test
