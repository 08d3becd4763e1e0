#include <kafka/protocol/crc.hpp>

#include <catch2/catch.hpp>

using namespace kafka;
using namespace kafka::protocol;

TEST_CASE("CRC32C and CRC32 check values", "[protocol][crc]") {
    CHECK(crc32c(as_bytes_view("123456789")) == 0xE3069283u);
    CHECK(crc32c_portable(as_bytes_view("123456789")) == 0xE3069283u);
    CHECK(crc32(as_bytes_view("123456789")) == 0xCBF43926u);
    CHECK(crc32c(bytes_view{}) == 0u);
}

TEST_CASE("the hardware CRC32C equals the portable one at every length and alignment", "[protocol][crc]") {
    byte_buffer data(40000);
    std::uint32_t x = 12345;
    for (auto& b : data) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::byte>(x >> 16);
    }
    for (std::size_t len : {0, 1, 7, 8, 9, 63, 1535, 1536, 1537, 4095, 12287, 12288, 12289, 13825, 39000}) {
        for (std::size_t align = 0; align < 3; ++align) {
            auto v = bytes_view(data).subspan(align, len);
            INFO("len " << len << " align " << align);
            CHECK(crc32c(v) == crc32c_portable(v));
        }
    }
    // Continuing a CRC over a split gives the CRC of the whole.
    auto whole = crc32c(data);
    CHECK(crc32c(bytes_view(data).subspan(777), crc32c(bytes_view(data).first(777))) == whole);
}
