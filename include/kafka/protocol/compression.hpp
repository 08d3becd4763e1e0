// Record compression codecs: gzip, snappy (Kafka's xerial framing and raw), lz4 (frame format), zstd.
//
// Each codec is compiled in when the build found its library (KAFKA_HAVE_GZIP,
// KAFKA_HAVE_SNAPPY, KAFKA_HAVE_LZ4, KAFKA_HAVE_ZSTD, set by the CMake target).
// A codec left out gives client_errc::codec_not_built at run time, never a
// compile error. A `codec_context` keeps the codecs' state between batches so
// that decompressing a batch allocates nothing once its output buffer is warm.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>

#include <kafka/protocol/primitives.hpp>

#ifdef KAFKA_HAVE_GZIP
#include <zlib.h>
#endif
#ifdef KAFKA_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#ifdef KAFKA_HAVE_LZ4
#include <lz4frame.h>
#endif
#ifdef KAFKA_HAVE_ZSTD
#include <zstd.h>
#endif

namespace kafka {

/// The codec ids of the record-batch attributes (bits 0-2).
enum class compression_type : std::int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

constexpr std::string_view to_string(compression_type c) noexcept {
    switch (c) {
        case compression_type::none:
            return "none";
        case compression_type::gzip:
            return "gzip";
        case compression_type::snappy:
            return "snappy";
        case compression_type::lz4:
            return "lz4";
        case compression_type::zstd:
            return "zstd";
    }
    return "unknown";
}

/// Whether this build can decompress `c`.
constexpr bool codec_built(compression_type c) noexcept {
    switch (c) {
        case compression_type::none:
            return true;
#ifdef KAFKA_HAVE_GZIP
        case compression_type::gzip:
            return true;
#endif
#ifdef KAFKA_HAVE_SNAPPY
        case compression_type::snappy:
            return true;
#endif
#ifdef KAFKA_HAVE_LZ4
        case compression_type::lz4:
            return true;
#endif
#ifdef KAFKA_HAVE_ZSTD
        case compression_type::zstd:
            return true;
#endif
        default:
            return false;
    }
}

namespace protocol {

// Kafka's Java client writes snappy in xerial's block framing: this header, then
// [int32 big-endian compressed length][raw snappy block] repeated.
inline constexpr unsigned char xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

class codec_context {
public:
    codec_context() = default;
    codec_context(const codec_context&) = delete;
    codec_context& operator=(const codec_context&) = delete;
    codec_context(codec_context&&) noexcept = default;
    codec_context& operator=(codec_context&&) noexcept = default;

    /// Replaces `out` with the decompression of `in`. Output above `max_size` bytes fails
    /// (a decompression bomb is corrupt data, not a reason to exhaust memory).
    std::error_code decompress(compression_type type, bytes_view in, byte_buffer& out,
                               std::size_t max_size = std::size_t{1} << 31) {
        // `out` keeps its old size while the codec writes from offset 0 (a reused buffer is not
        // zero-filled again), and is cut to the decompressed size at the end.
        switch (type) {
            case compression_type::none:
                out.assign(in.begin(), in.end());
                return {};
            case compression_type::gzip:
                return gunzip(in, out, max_size);
            case compression_type::snappy:
                return unsnappy(in, out, max_size);
            case compression_type::lz4:
                return unlz4(in, out, max_size);
            case compression_type::zstd:
                return unzstd(in, out, max_size);
        }
        return client_errc::unsupported_compression;
    }

    /// Appends the compression of `in` to `out` (tests, fake brokers, benchmarks).
    std::error_code compress(compression_type type, bytes_view in, byte_buffer& out) {
        switch (type) {
            case compression_type::none:
                out.insert(out.end(), in.begin(), in.end());
                return {};
            case compression_type::gzip:
                return gzip(in, out);
            case compression_type::snappy:
                return snappy(in, out);
            case compression_type::lz4:
                return lz4(in, out);
            case compression_type::zstd:
                return zstd(in, out);
        }
        return client_errc::unsupported_compression;
    }

private:
    static constexpr std::size_t chunk = 64 * 1024;

    static std::byte* grow(byte_buffer& out, std::size_t& used, std::size_t want) {
        if (out.size() < used + want) out.resize(used + want);
        return out.data() + used;
    }

#ifdef KAFKA_HAVE_GZIP
    std::error_code gunzip(bytes_view in, byte_buffer& out, std::size_t max_size) {
        if (!zs_) {
            auto zs = std::make_unique<z_stream>();
            std::memset(zs.get(), 0, sizeof(z_stream));
            if (inflateInit2(zs.get(), 15 + 32) != Z_OK)  // 32: accept gzip or zlib headers
                return client_errc::decompression_failed;
            zs_.reset(zs.release());
        } else if (inflateReset(zs_.get()) != Z_OK) {
            return client_errc::decompression_failed;
        }
        auto* zs = zs_.get();
        zs->next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
        zs->avail_in = static_cast<uInt>(in.size());
        std::size_t used = 0;
        for (;;) {
            if (used >= max_size) return client_errc::decompression_failed;
            auto want = std::max(chunk, in.size() * 2);
            zs->next_out = reinterpret_cast<Bytef*>(grow(out, used, want));
            zs->avail_out = static_cast<uInt>(want);
            int rc = inflate(zs, Z_NO_FLUSH);
            used += want - zs->avail_out;
            if (rc == Z_STREAM_END) {
                // Concatenated gzip members decode as one stream, as Java's GZIPInputStream does.
                if (zs->avail_in == 0) break;
                if (inflateReset(zs) != Z_OK) return client_errc::decompression_failed;
                continue;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) return client_errc::decompression_failed;
            if (rc == Z_BUF_ERROR && zs->avail_in == 0) return client_errc::decompression_failed;  // truncated
        }
        out.resize(used);
        return {};
    }
    std::error_code gzip(bytes_view in, byte_buffer& out) {
        z_stream zs{};
        if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return client_errc::decompression_failed;
        auto at = out.size();
        auto bound = deflateBound(&zs, static_cast<uLong>(in.size()));
        out.resize(at + bound);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
        zs.avail_in = static_cast<uInt>(in.size());
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + at);
        zs.avail_out = static_cast<uInt>(bound);
        int rc = deflate(&zs, Z_FINISH);
        out.resize(at + bound - zs.avail_out);
        deflateEnd(&zs);
        return rc == Z_STREAM_END ? std::error_code{} : make_error_code(client_errc::decompression_failed);
    }
#else
    std::error_code gunzip(bytes_view, byte_buffer&, std::size_t) { return client_errc::codec_not_built; }
    std::error_code gzip(bytes_view, byte_buffer&) { return client_errc::codec_not_built; }
#endif

#ifdef KAFKA_HAVE_SNAPPY
    static std::error_code snappy_block(const std::byte* p, std::size_t n, byte_buffer& out, std::size_t& used,
                                        std::size_t max_size) {
        auto src = reinterpret_cast<const char*>(p);
        size_t len = 0;
        // A snappy block expands at most ~22x (a 3-byte copy of 64 bytes): a larger claimed
        // length is corrupt, and is refused before anything is allocated for it.
        if (snappy_uncompressed_length(src, n, &len) != SNAPPY_OK || len > n * 32 + 64 || used + len > max_size)
            return client_errc::decompression_failed;
        auto dst = reinterpret_cast<char*>(grow(out, used, len));
        size_t got = len;
        if (snappy_uncompress(src, n, dst, &got) != SNAPPY_OK || got != len) return client_errc::decompression_failed;
        used += len;
        return {};
    }
    std::error_code unsnappy(bytes_view in, byte_buffer& out, std::size_t max_size) {
        std::size_t used = 0;
        if (in.size() >= 16 && std::memcmp(in.data(), xerial_magic, 8) == 0) {
            reader r(in.subspan(16));  // magic, int32 version, int32 compatible version
            while (r.ok() && !r.empty()) {
                auto n = r.int32();
                if (n < 0) return client_errc::decompression_failed;
                auto block = r.take(static_cast<std::size_t>(n));
                if (!r.ok()) return client_errc::decompression_failed;
                if (auto ec = snappy_block(block.data(), block.size(), out, used, max_size)) return ec;
            }
            if (!r.ok()) return client_errc::decompression_failed;
        } else if (auto ec = snappy_block(in.data(), in.size(), out, used, max_size)) {
            return ec;
        }
        out.resize(used);
        return {};
    }
    std::error_code snappy(bytes_view in, byte_buffer& out) {
        // xerial framing with one block per 32 KiB, as the Java producer writes.
        writer w(out);
        w.raw(bytes_view(reinterpret_cast<const std::byte*>(xerial_magic), 8));
        w.int32(1);
        w.int32(1);
        for (std::size_t off = 0; off < in.size(); off += 32 * 1024) {
            auto n = std::min<std::size_t>(32 * 1024, in.size() - off);
            size_t cap = snappy_max_compressed_length(n);
            auto at = out.size();
            out.resize(at + 4 + cap);
            if (snappy_compress(reinterpret_cast<const char*>(in.data() + off), n,
                                reinterpret_cast<char*>(out.data() + at + 4), &cap) != SNAPPY_OK)
                return client_errc::decompression_failed;
            to_big_endian(static_cast<std::int32_t>(cap), out.data() + at);
            out.resize(at + 4 + cap);
        }
        return {};
    }
#else
    std::error_code unsnappy(bytes_view, byte_buffer&, std::size_t) { return client_errc::codec_not_built; }
    std::error_code snappy(bytes_view, byte_buffer&) { return client_errc::codec_not_built; }
#endif

#ifdef KAFKA_HAVE_LZ4
    std::error_code unlz4(bytes_view in, byte_buffer& out, std::size_t max_size) {
        if (!lz4_) {
            LZ4F_dctx* ctx = nullptr;
            if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
                return client_errc::decompression_failed;
            lz4_.reset(ctx);
        } else {
            LZ4F_resetDecompressionContext(lz4_.get());
        }
        std::size_t used = 0, consumed = 0;
        for (;;) {
            if (used >= max_size) return client_errc::decompression_failed;
            auto want = std::max(chunk, in.size() * 2);
            auto dst = grow(out, used, want);
            size_t dst_n = want, src_n = in.size() - consumed;
            auto hint = LZ4F_decompress(lz4_.get(), dst, &dst_n, in.data() + consumed, &src_n, nullptr);
            if (LZ4F_isError(hint)) return client_errc::decompression_failed;
            used += dst_n;
            consumed += src_n;
            if (hint == 0) {
                // End of a frame; Kafka writes one, but accept several back to back.
                if (consumed == in.size()) break;
                continue;
            }
            if (consumed == in.size() && dst_n == 0) return client_errc::decompression_failed;  // truncated frame
        }
        out.resize(used);
        return {};
    }
    std::error_code lz4(bytes_view in, byte_buffer& out) {
        LZ4F_preferences_t prefs{};
        prefs.frameInfo.blockSizeID = LZ4F_max64KB;  // Kafka's default block size
        auto cap = LZ4F_compressFrameBound(in.size(), &prefs);
        auto at = out.size();
        out.resize(at + cap);
        auto n = LZ4F_compressFrame(out.data() + at, cap, in.data(), in.size(), &prefs);
        if (LZ4F_isError(n)) return client_errc::decompression_failed;
        out.resize(at + n);
        return {};
    }
#else
    std::error_code unlz4(bytes_view, byte_buffer&, std::size_t) { return client_errc::codec_not_built; }
    std::error_code lz4(bytes_view, byte_buffer&) { return client_errc::codec_not_built; }
#endif

#ifdef KAFKA_HAVE_ZSTD
    std::error_code unzstd(bytes_view in, byte_buffer& out, std::size_t max_size) {
        if (!zstd_) zstd_.reset(ZSTD_createDStream());
        if (!zstd_) return client_errc::decompression_failed;
        ZSTD_DCtx_reset(zstd_.get(), ZSTD_reset_session_only);
        ZSTD_inBuffer src{in.data(), in.size(), 0};
        std::size_t used = 0;
        for (;;) {
            if (used >= max_size) return client_errc::decompression_failed;
            auto want = std::max(chunk, in.size() * 3);
            ZSTD_outBuffer dst{grow(out, used, want), want, 0};
            auto rc = ZSTD_decompressStream(zstd_.get(), &dst, &src);
            if (ZSTD_isError(rc)) return client_errc::decompression_failed;
            used += dst.pos;
            if (rc == 0 && src.pos == src.size) break;      // frame(s) complete
            if (src.pos == src.size && dst.pos < dst.size)  // input ended mid-frame
                return client_errc::decompression_failed;
        }
        out.resize(used);
        return {};
    }
    std::error_code zstd(bytes_view in, byte_buffer& out) {
        auto cap = ZSTD_compressBound(in.size());
        auto at = out.size();
        out.resize(at + cap);
        auto n = ZSTD_compress(out.data() + at, cap, in.data(), in.size(), 3);
        if (ZSTD_isError(n)) return client_errc::decompression_failed;
        out.resize(at + n);
        return {};
    }
#else
    std::error_code unzstd(bytes_view, byte_buffer&, std::size_t) { return client_errc::codec_not_built; }
    std::error_code zstd(bytes_view, byte_buffer&) { return client_errc::codec_not_built; }
#endif

#ifdef KAFKA_HAVE_GZIP
    struct zs_free {
        void operator()(z_stream* p) const noexcept {
            inflateEnd(p);
            delete p;
        }
    };
    std::unique_ptr<z_stream, zs_free> zs_;
#endif
#ifdef KAFKA_HAVE_LZ4
    struct lz4_free {
        void operator()(LZ4F_dctx* p) const noexcept { LZ4F_freeDecompressionContext(p); }
    };
    std::unique_ptr<LZ4F_dctx, lz4_free> lz4_;
#endif
#ifdef KAFKA_HAVE_ZSTD
    struct zstd_free {
        void operator()(ZSTD_DStream* p) const noexcept { ZSTD_freeDStream(p); }
    };
    std::unique_ptr<ZSTD_DStream, zstd_free> zstd_;
#endif
};

}  // namespace protocol
}  // namespace kafka
