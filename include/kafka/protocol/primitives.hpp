// Kafka wire primitives: big-endian integers, varints, strings, bytes, UUIDs.
//
// `reader` walks a byte span with a sticky error: the first failure (running
// past the end, a negative length that is not allowed, an over-long varint)
// is remembered, every later read returns a zero value, and the caller checks
// `ok()` once at the end. Nothing ever reads out of bounds.
//
// `writer` appends to a growable buffer; `size_counter` has the same interface
// but only counts. Encoders are written once against the "sink" interface and
// the encoded size is that same code run over a size_counter.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <kafka/error.hpp>

namespace kafka {

using bytes_view = std::span<const std::byte>;
using byte_buffer = std::vector<std::byte>;

inline std::string_view as_string_view(bytes_view b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline bytes_view as_bytes_view(std::string_view s) noexcept {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// A 128-bit Kafka UUID (topic ids, member ids of KIP-848), stored big-endian.
struct uuid {
    std::array<std::byte, 16> bytes{};
    bool is_zero() const noexcept {
        for (auto b : bytes)
            if (b != std::byte{0}) return false;
        return true;
    }
    friend bool operator==(const uuid&, const uuid&) = default;
    friend auto operator<=>(const uuid&, const uuid&) = default;
};

namespace protocol {

template <class T>
constexpr T from_big_endian(const std::byte* p) noexcept {
    using U = std::make_unsigned_t<T>;
    U v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<U>((v << 8) | static_cast<U>(p[i]));
    return static_cast<T>(v);
}

template <class T>
constexpr void to_big_endian(T value, std::byte* p) noexcept {
    using U = std::make_unsigned_t<T>;
    auto v = static_cast<U>(value);
    for (std::size_t i = sizeof(T); i-- > 0;) {
        p[i] = static_cast<std::byte>(v & 0xff);
        v = static_cast<U>(v >> 8);
    }
}

constexpr std::uint32_t zigzag32(std::int32_t v) noexcept {
    return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}
constexpr std::uint64_t zigzag64(std::int64_t v) noexcept {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::int32_t unzigzag32(std::uint32_t v) noexcept {
    return static_cast<std::int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr std::int64_t unzigzag64(std::uint64_t v) noexcept {
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr std::size_t uvarint_size(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

/// Bounds-checked reader with a sticky error.
class reader {
public:
    reader() = default;
    explicit reader(bytes_view data) noexcept : data_(data) {}

    bool ok() const noexcept { return !err_; }
    std::error_code error() const noexcept { return err_; }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    std::size_t position() const noexcept { return pos_; }
    bool empty() const noexcept { return remaining() == 0; }
    bytes_view rest() const noexcept { return data_.subspan(pos_); }

    /// Records the first error only; later reads return zero values.
    void fail(std::error_code ec) noexcept {
        if (!err_) err_ = ec;
        pos_ = data_.size();
    }
    void fail(client_errc e) noexcept { fail(make_error_code(e)); }

    template <class T>
    T fixed() noexcept {
        if (!need(sizeof(T))) return T{};
        T v = from_big_endian<T>(data_.data() + pos_);
        pos_ += sizeof(T);
        return v;
    }
    std::int8_t int8() noexcept { return fixed<std::int8_t>(); }
    std::int16_t int16() noexcept { return fixed<std::int16_t>(); }
    std::int32_t int32() noexcept { return fixed<std::int32_t>(); }
    std::int64_t int64() noexcept { return fixed<std::int64_t>(); }
    std::uint16_t uint16() noexcept { return fixed<std::uint16_t>(); }
    std::uint32_t uint32() noexcept { return fixed<std::uint32_t>(); }
    bool boolean() noexcept { return int8() != 0; }
    double float64() noexcept { return std::bit_cast<double>(fixed<std::uint64_t>()); }

    /// Unsigned LEB128 varint of at most `max_bytes` bytes (5 for 32-bit, 10 for 64-bit).
    std::uint64_t uvarint(unsigned max_bytes = 10) noexcept {
        std::uint64_t v = 0;
        for (unsigned i = 0, shift = 0; i < max_bytes; ++i, shift += 7) {
            if (!need(1)) return 0;
            auto b = static_cast<std::uint8_t>(data_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail(client_errc::malformed_varint);
        return 0;
    }
    std::uint32_t uvarint32() noexcept {
        auto v = uvarint(5);
        if (v > 0xffffffffu) {
            fail(client_errc::malformed_varint);
            return 0;
        }
        return static_cast<std::uint32_t>(v);
    }
    std::int32_t varint() noexcept { return unzigzag32(uvarint32()); }
    std::int64_t varlong() noexcept { return unzigzag64(uvarint(10)); }

    kafka::uuid uuid() noexcept {
        kafka::uuid u;
        if (!need(16)) return u;
        std::memcpy(u.bytes.data(), data_.data() + pos_, 16);
        pos_ += 16;
        return u;
    }

    /// The next n bytes as a view into the input.
    bytes_view take(std::size_t n) noexcept {
        if (!need(n)) return {};
        auto v = data_.subspan(pos_, n);
        pos_ += n;
        return v;
    }
    void skip(std::size_t n) noexcept { take(n); }

    /// Length prefix of a string/bytes/array: classic int16/int32 or compact uvarint (N+1).
    /// Returns -1 for null; a null where none is allowed, or a length over what is left, fails.
    std::int64_t length(bool compact, bool wide, bool nullable) noexcept {
        std::int64_t n;
        if (compact)
            n = static_cast<std::int64_t>(uvarint32()) - 1;
        else
            n = wide ? int32() : int16();
        if (!ok()) return -1;
        if (n < -1 || (n == -1 && !nullable)) {
            fail(client_errc::negative_length);
            return -1;
        }
        return n;
    }

private:
    bool need(std::size_t n) noexcept {
        if (err_) return false;
        if (data_.size() - pos_ < n) {
            fail(client_errc::truncated);
            return false;
        }
        return true;
    }

    bytes_view data_{};
    std::size_t pos_ = 0;
    std::error_code err_{};
};

/// Appends big-endian encodings to a byte buffer.
class writer {
public:
    writer() = default;
    explicit writer(byte_buffer& out) noexcept : out_(&out) {}

    byte_buffer& buffer() noexcept { return *out_; }
    std::size_t size() const noexcept { return out_->size(); }

    template <class T>
    void fixed(T v) {
        auto at = out_->size();
        out_->resize(at + sizeof(T));
        to_big_endian(v, out_->data() + at);
    }
    void int8(std::int8_t v) { fixed(v); }
    void int16(std::int16_t v) { fixed(v); }
    void int32(std::int32_t v) { fixed(v); }
    void int64(std::int64_t v) { fixed(v); }
    void uint16(std::uint16_t v) { fixed(v); }
    void uint32(std::uint32_t v) { fixed(v); }
    void boolean(bool v) { int8(v ? 1 : 0); }
    void float64(double v) { fixed(std::bit_cast<std::uint64_t>(v)); }
    void uvarint(std::uint64_t v) {
        while (v >= 0x80) {
            out_->push_back(static_cast<std::byte>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_->push_back(static_cast<std::byte>(v));
    }
    void varint(std::int32_t v) { uvarint(zigzag32(v)); }
    void varlong(std::int64_t v) { uvarint(zigzag64(v)); }
    void uuid(const kafka::uuid& u) { raw(bytes_view(u.bytes)); }
    void raw(bytes_view b) { out_->insert(out_->end(), b.begin(), b.end()); }

    /// Overwrites a previously written big-endian int32 (used for size prefixes).
    void patch_int32(std::size_t at, std::int32_t v) noexcept { to_big_endian(v, out_->data() + at); }

private:
    byte_buffer* out_ = nullptr;
};

/// Same interface as writer; only counts the bytes that would be written.
class size_counter {
public:
    std::size_t size() const noexcept { return n_; }
    template <class T>
    void fixed(T) noexcept {
        n_ += sizeof(T);
    }
    void int8(std::int8_t) noexcept { n_ += 1; }
    void int16(std::int16_t) noexcept { n_ += 2; }
    void int32(std::int32_t) noexcept { n_ += 4; }
    void int64(std::int64_t) noexcept { n_ += 8; }
    void uint16(std::uint16_t) noexcept { n_ += 2; }
    void uint32(std::uint32_t) noexcept { n_ += 4; }
    void boolean(bool) noexcept { n_ += 1; }
    void float64(double) noexcept { n_ += 8; }
    void uvarint(std::uint64_t v) noexcept { n_ += uvarint_size(v); }
    void varint(std::int32_t v) noexcept { n_ += uvarint_size(zigzag32(v)); }
    void varlong(std::int64_t v) noexcept { n_ += uvarint_size(zigzag64(v)); }
    void uuid(const kafka::uuid&) noexcept { n_ += 16; }
    void raw(bytes_view b) noexcept { n_ += b.size(); }

private:
    std::size_t n_ = 0;
};

}  // namespace protocol
}  // namespace kafka
