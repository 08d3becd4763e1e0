// Reproducers of problems found by fuzzing (tests/fuzz, scripts/fuzz.sh) and by
// reading the code the fuzzers drive.
//
// The cases below describe bugs that are NOT fixed yet. They are hidden ([.]) so
// that the default unit run, and the sanitizer run (where the undefined behaviour
// aborts the whole binary), stay green; run them with
//     unit_tests "[fuzz_regression]"
// When a library fix lands, drop the "[.]" from its case so that it guards the fix.
#include <cstdint>
#include <limits>

#include <kafka/protocol/record_batch.hpp>
#include <kafka/protocol/record_batch_builder.hpp>

#include <catch2/catch.hpp>

using namespace kafka;
using namespace kafka::protocol;

namespace {

constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();

// A magic-2 batch around an arbitrary (possibly compressed) payload, with a correct CRC,
// so that the input gets past the checks a consumer runs with check.crcs on.
byte_buffer v2_batch(std::int16_t attributes, std::int32_t records, bytes_view payload, std::int64_t base_offset = 0) {
    byte_buffer out;
    writer w(out);
    w.int64(base_offset);
    w.int32(0);  // length, patched
    w.int32(0);  // partition leader epoch
    w.int8(2);
    w.uint32(0);  // crc, patched
    w.int16(attributes);
    w.int32(records > 0 ? records - 1 : 0);
    w.int64(0);
    w.int64(0);
    w.int64(-1);
    w.int16(-1);
    w.int32(-1);
    w.int32(records);
    w.raw(payload);
    w.patch_int32(8, static_cast<std::int32_t>(out.size() - log_overhead));
    to_big_endian(crc32c(bytes_view(out).subspan(v2_crc_start)), out.data() + 17);
    return out;
}

// Rewrites a big-endian int64 of a v2 batch header and fixes the CRC (when the field is covered).
void patch_int64(byte_buffer& batch, std::size_t at, std::int64_t v) {
    to_big_endian(v, batch.data() + at);
    to_big_endian(crc32c(bytes_view(batch).subspan(v2_crc_start)), batch.data() + 17);
}

struct walk_result {
    std::vector<std::int64_t> offsets, timestamps;
    std::error_code error;
    std::size_t scratch_capacity = 0;
};

walk_result walk(bytes_view set) {
    walk_result out;
    record_set_reader sets(set);
    decoded_batch batch;
    byte_buffer scratch;
    codec_context codecs;
    while (sets.next(batch, scratch, codecs) == batch_status::ok) {
        record_cursor cursor(batch);
        record_view rec;
        while (cursor.next(rec)) {
            out.offsets.push_back(rec.offset);
            out.timestamps.push_back(rec.timestamp);
        }
        if (cursor.error()) out.error = cursor.error();
    }
    if (sets.error()) out.error = sets.error();
    out.scratch_capacity = scratch.capacity();
    return out;
}

}  // namespace

#ifdef KAFKA_HAVE_SNAPPY
// Found by fuzz_record_set (libFuzzer out-of-memory, 1,879,048,191 bytes from a 2,398-byte
// input): a raw snappy block starts with its uncompressed length as a varint, and
// codec_context::snappy_block (compression.hpp) grows the output buffer to that length
// (checked only against max_size, 2 GiB by default) before snappy_uncompress has looked
// at the data. Five bytes of record data make the consumer allocate and zero-fill up to
// 2 GiB; a snappy block cannot expand more than about 22x, so such a claim is corrupt.
TEST_CASE("fuzz: a snappy block claiming a huge length fails without allocating it",
          "[fuzz_regression][protocol][records]") {
    // Uncompressed length 64 MiB (varint 80 80 80 20), no compressed data at all.
    const byte_buffer block{std::byte{0x80}, std::byte{0x80}, std::byte{0x80}, std::byte{0x20}};

    SECTION("codec level") {
        codec_context codecs;
        byte_buffer out;
        CHECK(codecs.decompress(compression_type::snappy, block, out) == client_errc::decompression_failed);
        CHECK(out.capacity() < (std::size_t{1} << 20));
    }
    SECTION("through a record set with a valid CRC") {
        auto set = v2_batch(static_cast<std::int16_t>(compression_type::snappy), 1, block);
        auto r = walk(set);
        CHECK(r.error == client_errc::decompression_failed);
        CHECK(r.scratch_capacity < (std::size_t{1} << 20));
    }
}
#endif

// record_cursor::next_v2 (record_batch.hpp, `out.offset = h_.base_offset + offset_delta`)
// adds two signed values from the wire: base_offset is not even covered by the CRC.
// A batch at base offset INT64_MAX with a second record overflows (undefined behaviour;
// UBSan: "signed integer overflow: 9223372036854775807 + 1"). Expected: the batch is
// refused as corrupt instead of yielding an offset that wrapped around.
TEST_CASE("fuzz: a record offset beyond INT64_MAX is refused, not wrapped", "[fuzz_regression][protocol][records]") {
    byte_buffer set;
    batch_options o;
    o.base_offset = int64_max;
    REQUIRE_FALSE(build_batch(set, {{std::nullopt, "a", 0, {}}, {std::nullopt, "b", 0, {}}}, o));
    auto r = walk(set);
    CHECK(r.error == client_errc::corrupt_record);
    for (auto off : r.offsets) CHECK(off >= 0);
}

// Same in the timestamp: `h_.base_timestamp + ts_delta` (record_batch.hpp, next_v2).
TEST_CASE("fuzz: a record timestamp beyond INT64_MAX is refused, not wrapped", "[fuzz_regression][protocol][records]") {
    byte_buffer set;
    REQUIRE_FALSE(build_batch(set, {{std::nullopt, "a", 0, {}}, {std::nullopt, "b", 100, {}}}));
    patch_int64(set, 27, int64_max);  // base timestamp; the second record's delta is 100
    auto r = walk(set);
    CHECK(r.error == client_errc::corrupt_record);
}

// Magic 1 wrapper: `h_.base_offset - h_.last_offset_delta + inner_offset` (record_batch.hpp,
// next_legacy) with the wrapper at INT64_MIN and inner offsets 0..2 overflows below INT64_MIN.
TEST_CASE("fuzz: a legacy wrapper offset below INT64_MIN is refused, not wrapped",
          "[fuzz_regression][protocol][records]") {
    byte_buffer inner;
    for (int i = 0; i < 3; ++i) build_legacy_message(inner, 1, i, std::nullopt, "v", 0);
    byte_buffer set;
#ifdef KAFKA_HAVE_GZIP
    REQUIRE_FALSE(build_legacy_wrapper(set, 1, int64_min, compression_type::gzip, inner));
    auto r = walk(set);
    CHECK(r.error == client_errc::corrupt_record);
#else
    SUCCEED("gzip not built");
#endif
}
