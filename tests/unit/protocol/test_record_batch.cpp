#include <kafka/protocol/record_batch.hpp>
#include <kafka/protocol/record_batch_builder.hpp>

#include <catch2/catch.hpp>

#include <limits>

#include "record_fixtures.hpp"

using namespace kafka;
using namespace kafka::protocol;
using kafka::test::expected_record;

namespace {

std::string render_headers(const headers_view& h) {
    std::string s;
    for (auto const& x : h) {
        if (!s.empty()) s += ",";
        s += std::string(x.key) + "=" + (x.value ? std::string(as_string_view(*x.value)) : "\\N");
    }
    return s;
}

std::optional<std::string> str(const std::optional<bytes_view>& b) {
    if (!b) return std::nullopt;
    return std::string(as_string_view(*b));
}

struct decoded {
    std::vector<expected_record> records;
    std::vector<batch_header> batches;
    batch_status last = batch_status::end;
    std::error_code error;
};

decoded decode_all(bytes_view set, bool check_crc = true) {
    decoded d;
    record_set_reader sets(set, check_crc);
    decoded_batch batch;
    byte_buffer scratch;
    codec_context codecs;
    while ((d.last = sets.next(batch, scratch, codecs)) == batch_status::ok) {
        d.batches.push_back(batch.header);
        record_cursor cursor(batch, check_crc);
        record_view r;
        while (cursor.next(r))
            d.records.push_back({r.offset, r.timestamp, str(r.key), str(r.value), render_headers(r.headers)});
        if (cursor.error()) {
            d.error = cursor.error();
            return d;
        }
    }
    d.error = sets.error();
    return d;
}

}  // namespace

TEST_CASE("record sets written by an independent encoder decode to what was written", "[protocol][records]") {
    auto expected = test::expected_records();
    REQUIRE(expected.size() == 12);
    for (auto const& [name, rows] : expected) {
        INFO(name);
        auto codec_name = name.substr(3);
        bool built = (codec_name == "none") ||
#ifdef KAFKA_HAVE_GZIP
                     codec_name == "gzip" ||
#endif
#ifdef KAFKA_HAVE_SNAPPY
                     codec_name == "snappy" ||
#endif
#ifdef KAFKA_HAVE_LZ4
                     codec_name == "lz4" ||
#endif
#ifdef KAFKA_HAVE_ZSTD
                     codec_name == "zstd" ||
#endif
                     false;
        auto data = test::read_file(test::data_path("records/" + name + ".bin"));
        auto d = decode_all(data);
        if (!built) {
            CHECK(d.error == client_errc::codec_not_built);
            continue;
        }
        REQUIRE_FALSE(d.error);
        CHECK(d.last == batch_status::end);
        REQUIRE(d.records.size() == rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            INFO("record " << i);
            CHECK(d.records[i].offset == rows[i].offset);
            CHECK(d.records[i].timestamp == rows[i].timestamp);
            CHECK(d.records[i].key == rows[i].key);
            CHECK(d.records[i].value == rows[i].value);
            CHECK(d.records[i].headers == rows[i].headers);
        }
    }
}

TEST_CASE("a corrupted byte anywhere in a batch is reported, never decoded silently", "[protocol][records]") {
    for (auto name : {"v2_none", "v2_lz4", "v1_none", "v1_gzip", "v0_snappy"}) {
        INFO(name);
        auto data = test::read_file(test::data_path(std::string("records/") + name + ".bin"));
        auto clean = decode_all(data);
        REQUIRE_FALSE(clean.error);
        // Flip one bit in each byte after the CRC of the first batch/message: the CRC must catch it.
        std::size_t crc_end = name[1] == '2' ? v2_crc_start : log_overhead + 4;
        auto first_len = static_cast<std::size_t>(from_big_endian<std::int32_t>(data.data() + 8)) + log_overhead;
        for (std::size_t i = crc_end; i < first_len; ++i) {
            auto copy = data;
            copy[i] ^= std::byte{0x01};
            auto d = decode_all(copy);
            CHECK(d.error == client_errc::crc_mismatch);
        }
    }
}

TEST_CASE("a partial batch at the end of a record set is truncation, not corruption", "[protocol][records]") {
    auto data = test::read_file(test::data_path("records/v2_none.bin"));
    auto full = decode_all(data);
    REQUIRE(full.batches.size() == 3);
    for (std::size_t cut = 0; cut < data.size(); ++cut) {
        auto d = decode_all(bytes_view(data).first(cut));
        INFO("cut at " << cut);
        REQUIRE_FALSE(d.error);
        // `end` exactly at a batch boundary, `truncated` anywhere else.
        CHECK(d.last != batch_status::error);
        // Only whole batches are returned, and they are a prefix of the full set.
        CHECK(d.records.size() % 20 == 0);
        for (std::size_t i = 0; i < d.records.size(); ++i) CHECK(d.records[i].offset == full.records[i].offset);
    }
}

TEST_CASE("impossible lengths and counts are corruption errors", "[protocol][records]") {
    byte_buffer set;
    REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}, {std::nullopt, std::nullopt, 6, {}}}));
    SECTION("negative batch length") {
        to_big_endian(std::int32_t{-5}, set.data() + 8);
        CHECK(decode_all(set).error == client_errc::corrupt_record);
    }
    SECTION("record count larger than the batch (CRC not checked)") {
        to_big_endian(std::int32_t{1000000}, set.data() + 57);
        CHECK(decode_all(set, false).error == client_errc::corrupt_record);
    }
    SECTION("record count smaller than the records present is fine; larger fails in the cursor") {
        to_big_endian(std::int32_t{3}, set.data() + 57);
        CHECK(decode_all(set, false).error == client_errc::corrupt_record);
    }
    SECTION("unknown magic") {
        set[16] = std::byte{7};
        CHECK(decode_all(set).error == client_errc::unsupported_magic);
    }
    SECTION("unknown codec id") {
        set[22] = std::byte{6};
        CHECK(decode_all(set, false).error == client_errc::unsupported_compression);
    }
}

TEST_CASE("batches built here decode with every codec, headers and null fields", "[protocol][records]") {
    for (auto codec : {compression_type::none, compression_type::gzip, compression_type::snappy, compression_type::lz4,
                       compression_type::zstd}) {
        if (!codec_built(codec)) continue;
        INFO(to_string(codec));
        byte_buffer set;
        batch_options o;
        o.base_offset = 1000;
        o.compression = codec;
        o.partition_leader_epoch = 9;
        std::vector<record_to_build> recs;
        std::string big(100000, 'x');
        recs.push_back({"k0", "v0", 50, {{"a", "1"}, {"b", std::nullopt}}});
        recs.push_back({std::nullopt, std::nullopt, 40, {}});
        recs.push_back({"", big, 60, {}});
        REQUIRE_FALSE(build_batch(set, recs, o));
        auto d = decode_all(set);
        REQUIRE_FALSE(d.error);
        REQUIRE(d.records.size() == 3);
        CHECK(d.batches[0].partition_leader_epoch == 9);
        CHECK(d.batches[0].compression() == codec);
        CHECK(d.batches[0].max_timestamp == 60);
        CHECK(d.records[0].headers == "a=1,b=\\N");
        CHECK(d.records[1].key == std::nullopt);
        CHECK(d.records[1].value == std::nullopt);
        CHECK(d.records[1].timestamp == 40);
        CHECK(d.records[2].offset == 1002);
        CHECK(d.records[2].key == std::string());
        CHECK(d.records[2].value == big);
    }
}

TEST_CASE("control batches carry a commit or abort marker", "[protocol][records]") {
    byte_buffer set;
    REQUIRE_FALSE(build_control_batch(set, 77, 4000, 3, control_record::kind::commit));
    record_set_reader sets(set);
    decoded_batch b;
    byte_buffer scratch;
    codec_context codecs;
    REQUIRE(sets.next(b, scratch, codecs) == batch_status::ok);
    CHECK(b.header.is_control());
    CHECK(b.header.is_transactional());
    CHECK(b.header.producer_id == 4000);
    record_cursor c(b);
    record_view r;
    REQUIRE(c.next(r));
    auto marker = parse_control_key(r.key);
    REQUIRE(marker);
    CHECK(marker->type == control_record::kind::commit);
    CHECK(r.offset == 77);
}

TEST_CASE("log-append-time batches give every record the batch's max timestamp", "[protocol][records]") {
    byte_buffer set;
    batch_options o;
    o.timestamp_type = timestamp_type::log_append_time;
    REQUIRE_FALSE(build_batch(set, {{"a", "1", 10, {}}, {"b", "2", 30, {}}}, o));
    auto d = decode_all(set);
    REQUIRE(d.records.size() == 2);
    CHECK(d.records[0].timestamp == 30);
    CHECK(d.records[1].timestamp == 30);
}

TEST_CASE("decompression rejects garbage with an error", "[protocol][records]") {
    codec_context codecs;
    byte_buffer out;
    byte_buffer junk(300);
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::byte>(i * 37 + 11);
    for (auto codec :
         {compression_type::gzip, compression_type::snappy, compression_type::lz4, compression_type::zstd}) {
        INFO(to_string(codec));
        auto ec = codecs.decompress(codec, junk, out);
        CHECK(ec);
        if (!codec_built(codec)) CHECK(ec == client_errc::codec_not_built);
    }
}

TEST_CASE("a truncated compressed payload is an error", "[protocol][records]") {
    codec_context codecs;
    std::string text(5000, 'q');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + (i * 7) % 26);
    for (auto codec :
         {compression_type::gzip, compression_type::snappy, compression_type::lz4, compression_type::zstd}) {
        if (!codec_built(codec)) continue;
        INFO(to_string(codec));
        byte_buffer packed, out;
        REQUIRE_FALSE(codecs.compress(codec, as_bytes_view(text), packed));
        REQUIRE_FALSE(codecs.decompress(codec, packed, out));
        CHECK(as_string_view(out) == text);
        CHECK(codecs.decompress(codec, bytes_view(packed).first(packed.size() / 2), out));
    }
}

TEST_CASE("record_set_next_offset: the offset after the last complete batch, from the headers alone",
          "[protocol][records]") {
    CHECK_FALSE(record_set_next_offset({}));
    SECTION("magic 2: base offset + last offset delta + 1, a partial batch at the end ignored") {
        auto data = test::read_file(test::data_path("records/v2_none.bin"));
        auto full = decode_all(data);
        REQUIRE(full.batches.size() == 3);
        CHECK(record_set_next_offset(data) == full.batches.back().next_offset());
        for (std::size_t cut = 0; cut < data.size(); ++cut) {
            auto d = decode_all(bytes_view(data).first(cut));
            INFO("cut at " << cut);
            if (d.batches.empty())
                CHECK_FALSE(record_set_next_offset(bytes_view(data).first(cut)));
            else
                CHECK(record_set_next_offset(bytes_view(data).first(cut)) == d.batches.back().next_offset());
        }
    }
    SECTION("data batches and a control batch (transaction marker) after them") {
        byte_buffer set;
        batch_options o;
        o.base_offset = 100;
        REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}, {"k", "w", 6, {}}}, o));
        CHECK(record_set_next_offset(set) == 102);
        REQUIRE_FALSE(build_control_batch(set, 102, 7, 0, control_record::kind::commit, 8));
        CHECK(record_set_next_offset(set) == 103);
    }
    SECTION("the last complete batch's partition leader epoch comes with it (the ahead fetch's last epoch)") {
        byte_buffer set;
        batch_options o;
        o.base_offset = 10;
        o.partition_leader_epoch = 3;
        REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}}, o));
        o.base_offset = 11;
        o.partition_leader_epoch = 4;
        REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}}, o));
        auto end = find_record_set_end(set);
        CHECK(end.next_offset == 12);
        CHECK(end.last_epoch == 4);
        CHECK(find_record_set_end(bytes_view(set).first(set.size() - 1)).last_epoch == 3);
        CHECK(find_record_set_end({}).last_epoch == -1);
    }
    SECTION("magic 0 and 1: the message's (or compressed wrapper's) offset + 1") {
        byte_buffer set;
        build_legacy_message(set, 0, 40, std::nullopt, "a");
        build_legacy_message(set, 1, 41, "k", "b", 1000);
        CHECK(record_set_next_offset(set) == 42);
        byte_buffer inner;
        build_legacy_message(inner, 1, 0, std::nullopt, "c", 1000);
        build_legacy_message(inner, 1, 1, std::nullopt, "d", 1000);
        REQUIRE_FALSE(build_legacy_wrapper(set, 1, 43, compression_type::gzip, inner, 1000));
        CHECK(record_set_next_offset(set) == 44);
    }
    SECTION("a header that makes no sense stops the scan at the batches before it") {
        byte_buffer set;
        REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}}));
        auto good = set.size();
        batch_options o;
        o.base_offset = 1;
        REQUIRE_FALSE(build_batch(set, {{"k", "v", 5, {}}}, o));
        auto bad_magic = set;
        bad_magic[good + 16] = std::byte{7};
        CHECK(record_set_next_offset(bad_magic) == 1);
        auto negative_delta = set;
        to_big_endian(std::int32_t{-5}, negative_delta.data() + good + 23);
        CHECK(record_set_next_offset(negative_delta) == 1);
        auto negative_length = set;
        to_big_endian(std::int32_t{-1}, negative_length.data() + good + 8);
        CHECK(record_set_next_offset(negative_length) == 1);
        auto huge_offset = set;
        to_big_endian(std::numeric_limits<std::int64_t>::max(), huge_offset.data() + good);
        CHECK(record_set_next_offset(huge_offset) == 1);
    }
}
