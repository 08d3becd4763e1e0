// CRC32C (Castagnoli; record batches v2) and CRC32 (IEEE; legacy message sets v0/v1).
//
// crc32c() picks at run time between the SSE4.2 crc32 instruction, run as three
// interleaved streams whose results are combined by GF(2) multiplication, and a
// portable slicing-by-8 table. Both give the same value for the same bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <kafka/protocol/primitives.hpp>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KAFKA_CRC32C_X86 1
#include <nmmintrin.h>
#endif

namespace kafka::protocol {

namespace crc_detail {

template <std::uint32_t Poly>
struct tables {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    constexpr tables() {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ Poly : c >> 1;
            t[0][i] = c;
        }
        for (std::size_t s = 1; s < 8; ++s)
            for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
};

inline constexpr std::uint32_t castagnoli = 0x82F63B78u;  // reflected
inline constexpr std::uint32_t ieee = 0xEDB88320u;        // reflected

template <std::uint32_t Poly>
inline constexpr tables<Poly> table{};

inline std::uint64_t load_le64(const unsigned char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

/// Raw register update (no pre/post inversion), slicing-by-8.
template <std::uint32_t Poly>
inline std::uint32_t update_portable(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
    auto const& t = table<Poly>.t;
    while (n >= 8) {
        std::uint64_t v = load_le64(p) ^ crc;
        crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
              t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    return crc;
}

/// a * b modulo the (reflected) polynomial: the GF(2) product used to shift a CRC register.
template <std::uint32_t Poly>
constexpr std::uint32_t multiply(std::uint32_t a, std::uint32_t b) noexcept {
    std::uint32_t product = 0;
    for (std::uint32_t m = 1u << 31; m != 0; m >>= 1) {
        if (a & m) product ^= b;
        b = (b & 1) ? (b >> 1) ^ Poly : b >> 1;
    }
    return product;
}

/// x^(8 * n) modulo the polynomial: multiplying a register by it appends n zero bytes.
template <std::uint32_t Poly>
constexpr std::uint32_t shift_for_bytes(std::size_t n) noexcept {
    std::uint32_t result = 1u << 31;  // x^0
    std::uint32_t power = 1u << 23;   // x^8 (one byte)
    while (n) {
        if (n & 1) result = multiply<Poly>(power, result);
        power = multiply<Poly>(power, power);
        n >>= 1;
    }
    return result;
}

#ifdef KAFKA_CRC32C_X86
__attribute__((target("sse4.2"))) inline std::uint32_t update_sse42_1(std::uint32_t crc, const unsigned char* p,
                                                                      std::size_t n) noexcept {
    std::uint64_t c = crc;
    while (n >= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

// Three independent streams over three equal blocks hide the instruction's
// 3-cycle latency; the block registers are then shifted into place and xored.
template <std::size_t Block>
__attribute__((target("sse4.2"))) inline std::uint32_t update_sse42_3(std::uint32_t crc,
                                                                      const unsigned char* p) noexcept {
    static_assert(Block % 8 == 0);
    std::uint64_t a = crc, b = 0, c = 0;
    for (std::size_t i = 0; i < Block; i += 8) {
        std::uint64_t va, vb, vc;
        std::memcpy(&va, p + i, 8);
        std::memcpy(&vb, p + Block + i, 8);
        std::memcpy(&vc, p + 2 * Block + i, 8);
        a = _mm_crc32_u64(a, va);
        b = _mm_crc32_u64(b, vb);
        c = _mm_crc32_u64(c, vc);
    }
    constexpr std::uint32_t one = shift_for_bytes<castagnoli>(Block);
    constexpr std::uint32_t two = shift_for_bytes<castagnoli>(2 * Block);
    return multiply<castagnoli>(two, static_cast<std::uint32_t>(a)) ^
           multiply<castagnoli>(one, static_cast<std::uint32_t>(b)) ^ static_cast<std::uint32_t>(c);
}

__attribute__((target("sse4.2"))) inline std::uint32_t update_sse42(std::uint32_t crc, const unsigned char* p,
                                                                    std::size_t n) noexcept {
    while (n >= 3 * 4096) {
        crc = update_sse42_3<4096>(crc, p);
        p += 3 * 4096;
        n -= 3 * 4096;
    }
    while (n >= 3 * 512) {
        crc = update_sse42_3<512>(crc, p);
        p += 3 * 512;
        n -= 3 * 512;
    }
    return update_sse42_1(crc, p, n);
}

inline bool have_sse42() noexcept {
    static const bool yes = __builtin_cpu_supports("sse4.2");
    return yes;
}
#endif

}  // namespace crc_detail

/// CRC32C of `data`, continuing from `crc` (0 to start).
inline std::uint32_t crc32c(bytes_view data, std::uint32_t crc = 0) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(data.data());
#ifdef KAFKA_CRC32C_X86
    if (crc_detail::have_sse42()) return ~crc_detail::update_sse42(~crc, p, data.size());
#endif
    return ~crc_detail::update_portable<crc_detail::castagnoli>(~crc, p, data.size());
}

/// CRC32C without the hardware path (to test one against the other).
inline std::uint32_t crc32c_portable(bytes_view data, std::uint32_t crc = 0) noexcept {
    return ~crc_detail::update_portable<crc_detail::castagnoli>(
        ~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

/// CRC32 (IEEE 802.3, as zlib's crc32) of `data`, continuing from `crc`.
inline std::uint32_t crc32(bytes_view data, std::uint32_t crc = 0) noexcept {
    return ~crc_detail::update_portable<crc_detail::ieee>(~crc, reinterpret_cast<const unsigned char*>(data.data()),
                                                          data.size());
}

}  // namespace kafka::protocol
