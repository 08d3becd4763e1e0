// Fill logic shared by the unit tests (tests/unit/protocol/message_testing.hpp) and the
// fuzz seed generator: gives every field of a described message a non-default value, so that the
// encoding of filled<T>() at a version exercises every field that version has.
// (message_testing.hpp includes Catch, which a libFuzzer binary must not link.)
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>

#include <kafka/protocol/describe.hpp>

namespace kafka::fuzz {

using namespace kafka::protocol;

// Stable bytes for record_set fields (a view: the storage must outlive the message).
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
    kafka::protocol::fields_of<C>.apply([&](auto const&... f) { (one(f), ...); });
}

template <class T>
void fill(T& v, int& seed) {
    ++seed;
    if constexpr (std::is_same_v<T, bool>)
        v = true;
    else if constexpr (std::is_same_v<T, double>)
        v = seed + 0.5;
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

}  // namespace kafka::fuzz
