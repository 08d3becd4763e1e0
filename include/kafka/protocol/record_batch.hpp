// Record batches (magic 2) and legacy message sets (magic 0 and 1), decoded
// without copying: keys, values and headers are views into the fetched bytes,
// or into the caller's decompression buffer for a compressed batch.
//
//   record_set_reader sets(partition.records);
//   decoded_batch batch;
//   while (sets.next(batch, scratch) == batch_status::ok) {
//       record_cursor cursor(batch);
//       record_view rec;
//       while (cursor.next(rec)) use(rec);
//       if (cursor.error()) ...;
//   }
//   if (sets.error()) ...;    // corruption; a partial batch at the end is not an error
//
// Decoding a batch allocates nothing for an uncompressed batch and only grows
// `scratch` for a compressed one; iterating its records never allocates.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <system_error>

#include <kafka/protocol/compression.hpp>
#include <kafka/protocol/crc.hpp>
#include <kafka/protocol/primitives.hpp>
#include <kafka/protocol/record_view.hpp>

namespace kafka {

namespace protocol {

/// The fields of a batch header (for magic 0/1: those of the wrapper message).
struct batch_header {
    std::int64_t base_offset = 0;
    std::int32_t batch_length = 0;
    std::int32_t partition_leader_epoch = -1;
    std::int8_t magic = 2;
    std::uint32_t crc = 0;
    std::int16_t attributes = 0;
    std::int32_t last_offset_delta = 0;
    std::int64_t base_timestamp = -1;
    std::int64_t max_timestamp = -1;
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
    std::int32_t records_count = 0;

    compression_type compression() const noexcept { return static_cast<compression_type>(attributes & 0x07); }
    kafka::timestamp_type timestamp_type() const noexcept {
        if (magic == 0) return timestamp_type::no_timestamp;
        return (attributes & 0x08) ? timestamp_type::log_append_time : timestamp_type::create_time;
    }
    bool is_transactional() const noexcept { return magic >= 2 && (attributes & 0x10); }
    bool is_control() const noexcept { return magic >= 2 && (attributes & 0x20); }
    // Wrapping arithmetic: the decoder rejects batches whose offsets overflow, and a caller
    // handed a hostile header still gets a value, never undefined behaviour.
    std::int64_t last_offset() const noexcept {
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(base_offset) +
                                         static_cast<std::uint64_t>(last_offset_delta));
    }
    std::int64_t next_offset() const noexcept {
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(last_offset()) + 1u);
    }
};

/// Size of the v2 batch header up to and including the record count.
inline constexpr std::size_t v2_header_size = 61;
/// Offset of the CRC-covered range (attributes onward) in a v2 batch.
inline constexpr std::size_t v2_crc_start = 21;
/// offset (int64) + length (int32): the part of every batch or message before its length counts.
inline constexpr std::size_t log_overhead = 12;

/// A batch ready for record iteration.
struct decoded_batch {
    batch_header header;
    bytes_view records;           // magic 2: the records after the count (decompressed if needed)
                                  // magic 0/1: one message (uncompressed wrapper) or the inner message set
    bool legacy_wrapped = false;  // magic 0/1: `records` is a decompressed inner message set
};

enum class batch_status { ok, end, truncated, error };

/// Where a record set ends: the offset after its last complete batch, read from the batch headers
/// alone (v2: base offset + last offset delta + 1; v0/v1: the message's or wrapper's offset + 1), or
/// nullopt when the set holds no complete batch; and that batch's partition leader epoch (-1 for
/// v0/v1). A header that makes no sense stops the scan: the decoder reports it when it gets there.
/// The fetcher fetches ahead from here, naming the epoch as the last fetched one.
struct record_set_end {
    std::optional<std::int64_t> next_offset;
    std::int32_t last_epoch = -1;
};

inline record_set_end find_record_set_end(bytes_view set) noexcept {
    record_set_end end;
    while (set.size() >= log_overhead + 5) {
        reader r(set);
        auto base_offset = r.int64();
        auto length = r.int32();
        auto epoch = r.int32();
        if (length < 0 || set.size() - log_overhead < static_cast<std::size_t>(length)) break;
        auto size = log_overhead + static_cast<std::size_t>(length);
        auto magic = static_cast<std::int8_t>(set[16]);
        std::int64_t last = base_offset;
        if (magic == 2) {
            if (size < v2_header_size) break;
            auto delta = from_big_endian<std::int32_t>(set.data() + 23);
            if (delta < 0 || base_offset > INT64_MAX - 1 - delta) break;
            last = base_offset + delta;
        } else if (magic != 0 && magic != 1) {
            break;
        }
        if (base_offset < 0 || last == INT64_MAX) break;
        end.next_offset = last + 1;
        end.last_epoch = magic == 2 ? epoch : -1;
        set = set.subspan(size);
    }
    return end;
}

/// The offset after the last complete batch of a record set (find_record_set_end).
inline std::optional<std::int64_t> record_set_next_offset(bytes_view set) noexcept {
    return find_record_set_end(set).next_offset;
}

/// Walks the batches of a Fetch partition's record set.
class record_set_reader {
public:
    explicit record_set_reader(bytes_view set, bool check_crc = true) noexcept : rest_(set), check_crc_(check_crc) {}

    /// The next batch. A compressed batch is decompressed into `scratch` (replacing its
    /// contents), which must outlive the record views taken from it. `truncated` means a
    /// partial batch ends the set (normal: the broker cuts at the size limit).
    batch_status next(decoded_batch& out, byte_buffer& scratch, codec_context& codecs) {
        if (err_) return batch_status::error;
        if (rest_.empty()) return batch_status::end;
        if (rest_.size() < log_overhead + 5) return batch_status::truncated;
        reader r(rest_);
        auto base_offset = r.int64();
        auto length = r.int32();
        if (length < 0) return fail(client_errc::corrupt_record);
        if (rest_.size() - log_overhead < static_cast<std::size_t>(length)) return batch_status::truncated;
        auto whole = rest_.first(log_overhead + static_cast<std::size_t>(length));
        rest_ = rest_.subspan(whole.size());
        auto magic = static_cast<std::int8_t>(whole[16]);
        out = decoded_batch{};
        out.header.base_offset = base_offset;
        out.header.batch_length = length;
        out.header.magic = magic;
        switch (magic) {
            case 2:
                return decode_v2(whole, out, scratch, codecs);
            case 0:
            case 1:
                return decode_legacy(whole, out, scratch, codecs);
            default:
                return fail(client_errc::unsupported_magic);
        }
    }

    std::error_code error() const noexcept { return err_; }
    /// Bytes not yet consumed (after `truncated`, the partial batch).
    bytes_view remaining() const noexcept { return rest_; }

private:
    batch_status fail(client_errc e) {
        err_ = make_error_code(e);
        return batch_status::error;
    }
    batch_status fail(std::error_code ec) {
        err_ = ec;
        return batch_status::error;
    }

    batch_status decode_v2(bytes_view whole, decoded_batch& out, byte_buffer& scratch, codec_context& codecs) {
        if (whole.size() < v2_header_size) return fail(client_errc::corrupt_record);
        reader r(whole.subspan(log_overhead));
        auto& h = out.header;
        h.partition_leader_epoch = r.int32();
        r.int8();  // magic, already read
        h.crc = r.uint32();
        h.attributes = r.int16();
        h.last_offset_delta = r.int32();
        h.base_timestamp = r.int64();
        h.max_timestamp = r.int64();
        h.producer_id = r.int64();
        h.producer_epoch = r.int16();
        h.base_sequence = r.int32();
        h.records_count = r.int32();
        if (check_crc_ && crc32c(whole.subspan(v2_crc_start)) != h.crc) return fail(client_errc::crc_mismatch);
        std::int64_t last;
        if (h.records_count < 0 || h.last_offset_delta < 0 || h.base_offset < 0 ||
            __builtin_add_overflow(h.base_offset, static_cast<std::int64_t>(h.last_offset_delta), &last))
            return fail(client_errc::corrupt_record);
        auto body = r.rest();
        auto codec = h.compression();
        if (codec == compression_type::none) {
            // Each record takes at least 7 bytes: a count beyond that is corrupt.
            if (static_cast<std::uint64_t>(h.records_count) > body.size()) return fail(client_errc::corrupt_record);
            out.records = body;
            return batch_status::ok;
        }
        if (static_cast<std::int8_t>(codec) > 4) return fail(client_errc::unsupported_compression);
        if (auto ec = codecs.decompress(codec, body, scratch)) return fail(ec);
        if (static_cast<std::uint64_t>(h.records_count) > scratch.size()) return fail(client_errc::corrupt_record);
        out.records = scratch;
        return batch_status::ok;
    }

    batch_status decode_legacy(bytes_view whole, decoded_batch& out, byte_buffer& scratch, codec_context& codecs) {
        auto& h = out.header;
        auto magic = h.magic;
        // offset, size, crc, magic, attributes, [timestamp], key, value
        std::size_t min = log_overhead + 4 + 1 + 1 + (magic == 1 ? 8 : 0) + 4 + 4;
        if (whole.size() < min) return fail(client_errc::corrupt_record);
        reader r(whole.subspan(log_overhead));
        h.crc = r.uint32();
        if (check_crc_ && crc32(whole.subspan(log_overhead + 4)) != h.crc) return fail(client_errc::crc_mismatch);
        r.int8();
        h.attributes = r.int8();
        if (magic == 1) h.base_timestamp = h.max_timestamp = r.int64();
        auto codec = h.compression();
        if (codec == compression_type::none) {
            h.records_count = 1;
            out.records = whole;
            return batch_status::ok;
        }
        if (static_cast<std::int8_t>(codec) > 4) return fail(client_errc::unsupported_compression);
        auto key_len = r.int32();
        if (key_len > 0) r.skip(static_cast<std::size_t>(key_len));
        auto value_len = r.int32();
        if (!r.ok() || value_len < 0) return fail(client_errc::corrupt_record);
        auto value = r.take(static_cast<std::size_t>(value_len));
        if (!r.ok()) return fail(client_errc::corrupt_record);
        if (codec == compression_type::lz4 && magic == 0)
            return fail(client_errc::unsupported_compression);  // pre-0.10 lz4 framing had a broken header checksum
        if (auto ec = codecs.decompress(codec, value, scratch)) return fail(ec);
        out.records = scratch;
        out.legacy_wrapped = true;
        // Count the inner messages and find the last inner offset (magic 1 inner offsets are relative).
        reader inner(out.records);
        std::int64_t last_inner = -1;
        std::int32_t n = 0;
        while (inner.ok() && !inner.empty()) {
            last_inner = inner.int64();
            auto size = inner.int32();
            if (size < 0) return fail(client_errc::corrupt_record);
            inner.skip(static_cast<std::size_t>(size));
            ++n;
        }
        if (!inner.ok() || last_inner < 0 || last_inner > INT32_MAX) return fail(client_errc::corrupt_record);
        h.records_count = n;
        h.last_offset_delta = static_cast<std::int32_t>(magic == 1 ? last_inner : 0);
        return batch_status::ok;
    }

    bytes_view rest_;
    bool check_crc_;
    std::error_code err_{};
};

/// Iterates the records of one decoded batch. Records below `min_offset` (the
/// fetch position inside a batch that began earlier) are skipped by the caller.
class record_cursor {
public:
    explicit record_cursor(const decoded_batch& b, bool check_crc = true) noexcept
        : h_(b.header),
          r_(b.records),
          left_(b.header.records_count),
          legacy_wrapped_(b.legacy_wrapped),
          check_crc_(check_crc) {}

    /// The next record, or false at the end of the batch or on corruption (see error()).
    bool next(record_view& out) {
        if (left_ <= 0 || err_) return false;
        --left_;
        bool ok = h_.magic == 2 ? next_v2(out) : next_legacy(out);
        if (!ok && !err_) err_ = make_error_code(client_errc::corrupt_record);
        return ok;
    }
    std::error_code error() const noexcept { return err_; }

private:
    // The hot path: one record of a v2 batch, parsed over raw pointers with every length and
    // varint checked against the end of the record. Offsets and timestamps that would overflow
    // are corruption (they come from bytes the CRC may not cover), never undefined behaviour.
    bool next_v2(record_view& out) {
        if (!v2_started_) {
            auto rest = r_.rest();
            p_ = reinterpret_cast<const unsigned char*>(rest.data());
            end_ = p_ + rest.size();
            v2_started_ = true;
        }
        std::int64_t length;
        if (!read_varint(p_, end_, length) || length < 0 || length > end_ - p_) return false;
        const unsigned char* p = p_;
        const unsigned char* end = p_ + length;
        p_ = end;
        std::int64_t ts_delta, offset_delta, key_len, value_len, header_count;
        if (p == end) return false;
        ++p;  // record attributes: unused
        if (!read_varint(p, end, ts_delta) || !read_varint(p, end, offset_delta) || !read_varint(p, end, key_len))
            return false;
        if (!take(p, end, key_len, out.key) || !read_varint(p, end, value_len) || !take(p, end, value_len, out.value) ||
            !read_varint(p, end, header_count) || header_count < 0 || header_count > end - p)
            return false;
        auto headers_start = p;
        for (std::int64_t i = 0; i < header_count; ++i) {
            std::int64_t kn, vn;
            if (!read_varint(p, end, kn) || kn < 0 || kn > end - p) return false;
            p += kn;
            if (!read_varint(p, end, vn) || vn < -1 || vn > end - p) return false;
            if (vn > 0) p += vn;
        }
        if (p != end) return false;
        out.headers = headers_view(bytes_view(reinterpret_cast<const std::byte*>(headers_start),
                                              static_cast<std::size_t>(end - headers_start)),
                                   static_cast<std::int32_t>(header_count));
        if (offset_delta < 0 || offset_delta > INT32_MAX ||
            __builtin_add_overflow(h_.base_offset, offset_delta, &out.offset))
            return false;
        out.timestamp_type = h_.timestamp_type();
        if (out.timestamp_type == timestamp_type::log_append_time)
            out.timestamp = h_.max_timestamp;
        else if (__builtin_add_overflow(h_.base_timestamp, ts_delta, &out.timestamp))
            return false;
        out.leader_epoch = h_.partition_leader_epoch;
        return true;
    }

    /// Zig-zag varint (up to 64 bits) with a one-byte fast path.
    [[gnu::always_inline]] static inline bool read_varint(const unsigned char*& p, const unsigned char* end,
                                                          std::int64_t& out) noexcept {
        if (end - p >= 2) {
            // Most record varints (lengths of ~100-byte values, offset deltas) take 1 or 2 bytes.
            if (p[0] < 0x80) {
                auto v = static_cast<std::uint64_t>(*p++);
                out = static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
                return true;
            }
            if (p[1] < 0x80) {
                auto v = static_cast<std::uint64_t>(p[0] & 0x7f) | (static_cast<std::uint64_t>(p[1]) << 7);
                p += 2;
                out = static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
                return true;
            }
        }
        std::uint64_t v = 0;
        for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
            auto b = *p++;
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) {
                out = static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
                return true;
            }
        }
        return false;
    }
    /// A nullable key/value of `len` bytes (-1: null).
    [[gnu::always_inline]] static inline bool take(const unsigned char*& p, const unsigned char* end, std::int64_t len,
                                                   std::optional<bytes_view>& out) noexcept {
        if (len < -1 || len > end - p) return false;
        if (len < 0) {
            out.reset();
            return true;
        }
        out.emplace(reinterpret_cast<const std::byte*>(p), static_cast<std::size_t>(len));
        p += len;
        return true;
    }

    bool next_legacy(record_view& out) {
        bytes_view message;
        std::int64_t offset = h_.base_offset;
        if (legacy_wrapped_) {
            auto inner_offset = r_.int64();
            auto size = r_.int32();
            if (!r_.ok() || size < 0) return false;
            auto body = r_.take(static_cast<std::size_t>(size));
            if (!r_.ok()) return false;
            message = body;
            // Magic 1 inner offsets count from 0 and the wrapper carries the last one's absolute offset.
            if (h_.magic == 1) {
                if (__builtin_sub_overflow(h_.base_offset, static_cast<std::int64_t>(h_.last_offset_delta), &offset) ||
                    __builtin_add_overflow(offset, inner_offset, &offset))
                    return false;
            } else {
                offset = inner_offset;
            }
        } else {
            message = r_.rest().subspan(log_overhead);
            r_.skip(r_.remaining());
        }
        reader m(message);
        auto crc = m.uint32();
        if (check_crc_ && legacy_wrapped_ && crc32(message.subspan(4)) != crc) {
            err_ = make_error_code(client_errc::crc_mismatch);
            return false;
        }
        auto magic = m.int8();
        auto attributes = m.int8();
        if (magic < 0 || magic > 1 || (legacy_wrapped_ && (attributes & 0x07) != 0)) return false;
        std::int64_t ts = -1;
        if (magic == 1) ts = m.int64();
        auto key_len = m.int32();
        if (key_len < -1) return false;
        if (key_len >= 0)
            out.key = m.take(static_cast<std::size_t>(key_len));
        else
            out.key.reset();
        auto value_len = m.int32();
        if (value_len < -1) return false;
        if (value_len >= 0)
            out.value = m.take(static_cast<std::size_t>(value_len));
        else
            out.value.reset();
        if (!m.ok() || !m.empty()) return false;
        out.offset = offset;
        out.headers = {};
        out.leader_epoch = -1;
        if (magic == 0) {
            out.timestamp_type = timestamp_type::no_timestamp;
            out.timestamp = -1;
        } else if (h_.timestamp_type() == timestamp_type::log_append_time) {
            out.timestamp_type = timestamp_type::log_append_time;
            out.timestamp = h_.max_timestamp;  // the wrapper's timestamp applies to every inner message
        } else {
            out.timestamp_type = timestamp_type::create_time;
            out.timestamp = ts;
        }
        return true;
    }

    batch_header h_;
    reader r_;
    const unsigned char* p_ = nullptr;    // v2: next record
    const unsigned char* end_ = nullptr;  // v2: end of the batch's records
    bool v2_started_ = false;
    std::int32_t left_;
    bool legacy_wrapped_;
    bool check_crc_;
    std::error_code err_{};
};

/// A control record's key (commit or abort marker of a transaction).
struct control_record {
    enum class kind : std::int16_t { abort = 0, commit = 1 };
    std::int16_t version = 0;
    kind type = kind::abort;
};

/// Parses a control batch's record key; nullopt when it is not a valid control key.
inline std::optional<control_record> parse_control_key(std::optional<bytes_view> key) {
    if (!key || key->size() < 4) return std::nullopt;
    reader r(*key);
    control_record c;
    c.version = r.int16();
    auto t = r.int16();
    if (t != 0 && t != 1) return std::nullopt;
    c.type = static_cast<control_record::kind>(t);
    return c;
}

}  // namespace protocol
}  // namespace kafka
