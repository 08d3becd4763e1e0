// Builds record batches (magic 2) and legacy messages (magic 0/1): for the
// in-memory transport, test brokers, fuzz seeds and benchmarks. The consumer
// itself never encodes records.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <kafka/protocol/compression.hpp>
#include <kafka/protocol/crc.hpp>
#include <kafka/protocol/record_batch.hpp>

namespace kafka::protocol {

struct record_to_build {
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    std::int64_t timestamp = 0;
    std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
};

struct batch_options {
    std::int64_t base_offset = 0;
    std::int32_t partition_leader_epoch = 0;
    compression_type compression = compression_type::none;
    kafka::timestamp_type timestamp_type = kafka::timestamp_type::create_time;
    bool transactional = false;
    bool control = false;
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
};

/// Appends one magic-2 batch holding `records` (offsets base_offset, base_offset+1, ...).
inline std::error_code build_batch(byte_buffer& out, const std::vector<record_to_build>& records,
                                   const batch_options& o = {}) {
    std::int64_t base_ts = records.empty() ? 0 : records.front().timestamp;
    std::int64_t max_ts = base_ts;
    byte_buffer body;
    writer b(body);
    byte_buffer rec;
    for (std::size_t i = 0; i < records.size(); ++i) {
        auto const& r = records[i];
        max_ts = std::max(max_ts, r.timestamp);
        rec.clear();
        writer w(rec);
        w.int8(0);
        w.varlong(r.timestamp - base_ts);
        w.varint(static_cast<std::int32_t>(i));
        auto put = [&](const std::optional<std::string_view>& s) {
            if (!s) {
                w.varint(-1);
                return;
            }
            w.varint(static_cast<std::int32_t>(s->size()));
            w.raw(as_bytes_view(*s));
        };
        put(r.key);
        put(r.value);
        w.varint(static_cast<std::int32_t>(r.headers.size()));
        for (auto const& [k, v] : r.headers) {
            put(k);
            put(v);
        }
        b.varint(static_cast<std::int32_t>(rec.size()));
        b.raw(rec);
    }
    byte_buffer compressed;
    bytes_view payload = body;
    if (o.compression != compression_type::none) {
        codec_context codecs;
        if (auto ec = codecs.compress(o.compression, body, compressed)) return ec;
        payload = compressed;
    }
    std::int16_t attributes = static_cast<std::int16_t>(o.compression);
    if (o.timestamp_type == kafka::timestamp_type::log_append_time) attributes |= 0x08;
    if (o.transactional) attributes |= 0x10;
    if (o.control) attributes |= 0x20;

    writer w(out);
    auto start = out.size();
    w.int64(o.base_offset);
    w.int32(0);  // length, patched
    w.int32(o.partition_leader_epoch);
    w.int8(2);
    w.uint32(0);  // crc, patched
    w.int16(attributes);
    w.int32(records.empty() ? 0 : static_cast<std::int32_t>(records.size() - 1));
    w.int64(base_ts);
    w.int64(max_ts);
    w.int64(o.producer_id);
    w.int16(o.producer_epoch);
    w.int32(o.base_sequence);
    w.int32(static_cast<std::int32_t>(records.size()));
    w.raw(payload);
    w.patch_int32(start + 8, static_cast<std::int32_t>(out.size() - start - log_overhead));
    auto crc = crc32c(bytes_view(out).subspan(start + v2_crc_start));
    to_big_endian(crc, out.data() + start + 17);
    return {};
}

/// Appends one control batch (transaction marker) at `offset`.
inline std::error_code build_control_batch(byte_buffer& out, std::int64_t offset, std::int64_t producer_id,
                                           std::int16_t producer_epoch, control_record::kind kind,
                                           std::int64_t timestamp = 0) {
    byte_buffer key, value;
    writer k(key);
    k.int16(0);
    k.int16(static_cast<std::int16_t>(kind));
    writer v(value);
    v.int16(0);
    v.int32(0);  // coordinator epoch
    batch_options o;
    o.base_offset = offset;
    o.transactional = true;
    o.control = true;
    o.producer_id = producer_id;
    o.producer_epoch = producer_epoch;
    return build_batch(out, {{as_string_view(key), as_string_view(value), timestamp, {}}}, o);
}

/// Appends one legacy message (magic 0 or 1) at `offset`.
inline void build_legacy_message(byte_buffer& out, std::int8_t magic, std::int64_t offset,
                                 std::optional<std::string_view> key, std::optional<std::string_view> value,
                                 std::int64_t timestamp = 0, std::int8_t attributes = 0) {
    writer w(out);
    auto start = out.size();
    w.int64(offset);
    w.int32(0);
    w.uint32(0);
    w.int8(magic);
    w.int8(attributes);
    if (magic == 1) w.int64(timestamp);
    for (auto const& s : {key, value}) {
        if (!s) {
            w.int32(-1);
            continue;
        }
        w.int32(static_cast<std::int32_t>(s->size()));
        w.raw(as_bytes_view(*s));
    }
    w.patch_int32(start + 8, static_cast<std::int32_t>(out.size() - start - log_overhead));
    auto crc = crc32(bytes_view(out).subspan(start + log_overhead + 4));
    to_big_endian(crc, out.data() + start + log_overhead);
}

/// Appends a compressed legacy wrapper message holding `inner` (a message set built with
/// build_legacy_message; for magic 1 with inner offsets 0..n-1), at absolute `last_offset`.
inline std::error_code build_legacy_wrapper(byte_buffer& out, std::int8_t magic, std::int64_t last_offset,
                                            compression_type codec, bytes_view inner, std::int64_t timestamp = 0) {
    byte_buffer compressed;
    codec_context codecs;
    if (auto ec = codecs.compress(codec, inner, compressed)) return ec;
    build_legacy_message(out, magic, last_offset, std::nullopt, as_string_view(compressed), timestamp,
                         static_cast<std::int8_t>(codec));
    return {};
}

}  // namespace kafka::protocol
