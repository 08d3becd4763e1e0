// Offline decode benchmark (docs: /work/shared/benchmarks.md, "Offline"; results: bench/RESULTS.md).
//
// Builds in memory, with record_batch_builder, FetchResponse frames (newest Fetch version)
// of 6 partitions holding batches of 160 or 1000 records of 100-byte JSON-like values with
// null keys, uncompressed and with every codec; then times what a consumer does with such
// a frame: decode_response, record_set_reader (CRC32C checked) and record_cursor over every
// record into a per-record callback that consumes offset, timestamp, key and value.
//
// Beside each case, measured in the same run over the same (uncompressed) record bytes:
// crc32c and memcpy throughput, the floor of any decoder.
//
//   decode_bench                          the table (markdown), every case
//   decode_bench --batches N              N batches per partition (default 1)
//   decode_bench --min-time S             seconds per timed trial (default 0.3)
//   decode_bench --callgrind CODEC N      decode one frame once (codec none|gzip|snappy|lz4|zstd,
//                                         N records per batch), instrumented for
//                                         valgrind --tool=callgrind --instr-atstart=no
//   decode_bench --instructions           the instructions-per-record table: runs itself under
//                                         callgrind once per case (needs valgrind on PATH)
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>
#include <unistd.h>

#include <kafka/protocol/frame.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/protocol/record_batch.hpp>
#include <kafka/protocol/record_batch_builder.hpp>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

// ---------------------------------------------------------------------------------------
// Allocation counting: every operator new, and (separately) every malloc/calloc/realloc
// that does not come from operator new, i.e. from the C codec libraries.

// Sanitizer runtimes own malloc and operator new: under them nothing is replaced or counted.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define BENCH_COUNT_ALLOCS 0
#endif
#endif
#ifndef BENCH_COUNT_ALLOCS
#define BENCH_COUNT_ALLOCS 1
#endif

namespace counters {
inline std::uint64_t news = 0;
inline std::uint64_t mallocs = 0;
}  // namespace counters

#if BENCH_COUNT_ALLOCS
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) noexcept {
    ++counters::mallocs;
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) noexcept {
    ++counters::mallocs;
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) noexcept {
    ++counters::mallocs;
    return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
}

namespace {
void* counted_new(std::size_t n) {
    ++counters::news;
    if (void* p = __libc_malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* counted_new_aligned(std::size_t n, std::align_val_t a) {
    ++counters::news;
    auto al = std::max<std::size_t>(static_cast<std::size_t>(a), sizeof(void*));
    void* p = nullptr;
    if (posix_memalign(&p, al, n ? n : 1) != 0) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    ++counters::news;
    return __libc_malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    ++counters::news;
    return __libc_malloc(n ? n : 1);
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { __libc_free(p); }
#endif  // BENCH_COUNT_ALLOCS

// ---------------------------------------------------------------------------------------

using namespace kafka;
using namespace kafka::protocol;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::int16_t fetch_version = FetchResponse::valid.hi;
constexpr std::int32_t correlation = 7;
constexpr int partitions = 6;
constexpr std::size_t value_size = 100;

[[noreturn]] void die(const char* what, std::error_code ec = {}) {
    std::fprintf(stderr, "decode_bench: %s%s%s\n", what, ec ? ": " : "", ec ? ec.message().c_str() : "");
    std::exit(1);
}

// A 100-byte JSON-like value (what compresses like real event payloads, unlike random bytes).
std::string json_value(std::int64_t i) {
    static const char* events[] = {"page_view", "click", "add_to_cart", "search", "checkout"};
    char buf[256];
    int n = std::snprintf(
        buf, sizeof buf,
        "{\"id\":%" PRId64 ",\"user\":\"u%05d\",\"event\":\"%s\",\"ts\":%" PRId64 ",\"path\":\"/p/%04d\",\"v\":\"", i,
        static_cast<int>((i * 7919) % 100000), events[i % 5], 1700000000000 + i, static_cast<int>((i * 31) % 10000));
    std::string s(buf, static_cast<std::size_t>(n));
    while (s.size() < value_size - 2)
        s.push_back(static_cast<char>('a' + (i + static_cast<std::int64_t>(s.size())) % 26));
    s.resize(value_size - 2);
    s += "\"}";
    return s;
}

struct bench_case {
    int batch_records = 0;
    compression_type codec = compression_type::none;
    std::vector<byte_buffer> sets;        // per partition: the record set in the frame
    std::vector<byte_buffer> plain_sets;  // per partition: the same records uncompressed (floors)
    byte_buffer frame;                    // size-prefixed FetchResponse frame
    std::uint64_t records = 0;            // per frame
    std::uint64_t plain_bytes = 0;        // uncompressed record-set bytes per frame
};

bench_case make_case(int batch_records, compression_type codec, int batches) {
    bench_case c;
    c.batch_records = batch_records;
    c.codec = codec;
    std::vector<std::string> values;
    std::int64_t next_id = 0;
    for (int p = 0; p < partitions; ++p) {
        byte_buffer set, plain;
        std::int64_t offset = 1000000 * (p + 1);
        for (int b = 0; b < batches; ++b) {
            values.clear();
            std::vector<record_to_build> recs;
            for (int i = 0; i < batch_records; ++i) values.push_back(json_value(next_id++));
            for (int i = 0; i < batch_records; ++i)
                recs.push_back({std::nullopt, values[static_cast<std::size_t>(i)], 1700000000000 + offset + i, {}});
            batch_options o;
            o.base_offset = offset;
            o.partition_leader_epoch = 3;
            o.compression = codec;
            if (auto ec = build_batch(set, recs, o)) die("build_batch", ec);
            o.compression = compression_type::none;
            if (auto ec = build_batch(plain, recs, o)) die("build_batch", ec);
            offset += batch_records;
            c.records += static_cast<std::uint64_t>(batch_records);
        }
        c.plain_bytes += plain.size();
        c.sets.push_back(std::move(set));
        c.plain_sets.push_back(std::move(plain));
    }
    FetchResponse resp;
    resp.responses.resize(1);
    auto& topic = resp.responses[0];
    topic.topic = "bench";
    for (std::size_t i = 0; i < 16; ++i) topic.topic_id.bytes[i] = static_cast<std::byte>(i + 1);
    for (int p = 0; p < partitions; ++p) {
        FetchResponse::PartitionData pd;
        pd.partition_index = p;
        pd.high_watermark = 1000000 * (p + 1) + batches * batch_records;
        pd.last_stable_offset = pd.high_watermark;
        pd.log_start_offset = 0;
        pd.records.bytes = c.sets[static_cast<std::size_t>(p)];
        topic.partitions.push_back(pd);
    }
    encode_response(c.frame, resp, fetch_version, correlation);
    return c;
}

// What the application sees per record: it consumes offset, timestamp, key and value.
struct consumer {
    std::uint64_t records = 0;
    std::uint64_t sum = 0;
    void operator()(const record_view& r) noexcept {
        ++records;
        sum += static_cast<std::uint64_t>(r.offset) + static_cast<std::uint64_t>(r.timestamp) +
               (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    }
};

// The state a consumer keeps between fetches: the response object, the decompression
// scratch buffer and the codec contexts are reused.
struct decoder_state {
    FetchResponse resp;
    byte_buffer scratch;
    codec_context codecs;
};

template <class Callback>
void decode_frame(const byte_buffer& frame, decoder_state& st, Callback& cb) {
    auto body = bytes_view(frame).subspan(4);
    if (auto ec = decode_response(body, fetch_version, correlation, st.resp)) die("decode_response", ec);
    for (auto const& topic : st.resp.responses) {
        for (auto const& part : topic.partitions) {
            record_set_reader sets(part.records.bytes);
            decoded_batch batch;
            batch_status s;
            while ((s = sets.next(batch, st.scratch, st.codecs)) == batch_status::ok) {
                record_cursor cursor(batch);
                record_view rec;
                while (cursor.next(rec)) cb(rec);
                if (cursor.error()) die("record_cursor", cursor.error());
            }
            if (s != batch_status::end) die("record_set_reader", sets.error());
        }
    }
}

// This machine is shared: time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which
// leaves out the time other processes hold the core; wall time is kept to report contention.
double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double wall_now() { return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count(); }

struct timing {
    double seconds = 0;  // thread CPU time
    double wall = 0;
    std::uint64_t reps = 0;
};
double total_cpu = 0, total_wall = 0;

// Runs `body` in a loop of `reps`; reps is grown until one trial takes at least min_time.
template <class Body>
std::uint64_t calibrate(Body&& body, double min_time) {
    std::uint64_t reps = 1;
    for (;;) {
        auto t0 = cpu_now();
        for (std::uint64_t i = 0; i < reps; ++i) body();
        double s = cpu_now() - t0;
        if (s >= min_time) return reps;
        double grow = s > 0 ? min_time * 1.15 / s : 10.0;
        reps = std::max<std::uint64_t>(reps + 1,
                                       static_cast<std::uint64_t>(static_cast<double>(reps) * std::min(grow, 10.0)));
    }
}

template <class Body>
timing timed(Body&& body, std::uint64_t reps) {
    auto w0 = wall_now();
    auto t0 = cpu_now();
    for (std::uint64_t i = 0; i < reps; ++i) body();
    timing t{cpu_now() - t0, wall_now() - w0, reps};
    total_cpu += t.seconds;
    total_wall += t.wall;
    return t;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct result {
    double ns_per_record = 0;
    double ns_min = 0, ns_max = 0;
    double records_per_s = 0;
    double gb_per_s = 0;
    double news_per_record = 0;
    double mallocs_per_record = 0;
    double news_per_frame_response = 0;  // operator new calls of decode_response alone, per frame
    double crc_gb_per_s = 0;
    double memcpy_gb_per_s = 0;
    double total_seconds = 0;
};

volatile std::uint64_t sink;

result run_case(const bench_case& c, double min_time, int trials) {
    result r;
    decoder_state st;
    consumer cb;
    auto one = [&] { decode_frame(c.frame, st, cb); };

    // Warm-up (grows the scratch buffer, creates the codec contexts), then calibration.
    one();
    if (cb.records != c.records) die("record count mismatch");
    auto reps = calibrate(one, min_time);

    std::vector<double> ns;
    std::uint64_t news0 = counters::news, mallocs0 = counters::mallocs, recs = 0;
    for (int t = 0; t < trials; ++t) {
        auto tm = timed(one, reps);
        ns.push_back(tm.seconds * 1e9 / static_cast<double>(reps * c.records));
        r.total_seconds += tm.seconds;
        recs += reps * c.records;
    }
    r.news_per_record = static_cast<double>(counters::news - news0) / static_cast<double>(recs);
    r.mallocs_per_record = static_cast<double>(counters::mallocs - mallocs0) / static_cast<double>(recs);
    r.ns_per_record = median(ns);
    r.ns_min = *std::min_element(ns.begin(), ns.end());
    r.ns_max = *std::max_element(ns.begin(), ns.end());
    r.records_per_s = 1e9 / r.ns_per_record;
    r.gb_per_s = static_cast<double>(c.plain_bytes) / static_cast<double>(c.records) / r.ns_per_record;

    // Where the per-frame allocations come from: decode_response alone, 100 frames.
    {
        std::uint64_t n0 = counters::news;
        for (int i = 0; i < 100; ++i)
            if (auto ec = decode_response(bytes_view(c.frame).subspan(4), fetch_version, correlation, st.resp))
                die("decode_response", ec);
        r.news_per_frame_response = static_cast<double>(counters::news - n0) / 100.0;
    }

    // The floor over the same (uncompressed) record bytes, same run.
    std::uint32_t crc = 0;
    auto crc_all = [&] {
        for (auto const& s : c.plain_sets) crc ^= crc32c(s);
    };
    byte_buffer dst(c.plain_bytes);
    auto copy_all = [&] {
        std::size_t at = 0;
        for (auto const& s : c.plain_sets) {
            std::memcpy(dst.data() + at, s.data(), s.size());
            at += s.size();
        }
        sink = sink + static_cast<std::uint64_t>(dst[at / 2]);
    };
    crc_all();
    copy_all();
    std::vector<double> crc_gbs, copy_gbs;
    auto crc_reps = calibrate(crc_all, min_time / 2);
    auto copy_reps = calibrate(copy_all, min_time / 2);
    for (int t = 0; t < trials; ++t) {
        auto tc = timed(crc_all, crc_reps);
        crc_gbs.push_back(static_cast<double>(c.plain_bytes * crc_reps) / tc.seconds / 1e9);
        auto tm = timed(copy_all, copy_reps);
        copy_gbs.push_back(static_cast<double>(c.plain_bytes * copy_reps) / tm.seconds / 1e9);
    }
    r.crc_gb_per_s = median(crc_gbs);
    r.memcpy_gb_per_s = median(copy_gbs);
    sink = sink + cb.sum + crc;
    return r;
}

const compression_type all_codecs[] = {compression_type::none, compression_type::gzip, compression_type::snappy,
                                       compression_type::lz4, compression_type::zstd};
const int batch_sizes[] = {160, 1000};

bool parse_codec(std::string_view s, compression_type& out) {
    for (auto c : all_codecs)
        if (to_string(c) == s) {
            out = c;
            return true;
        }
    return false;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

int run_table(int batches, double min_time) {
    const int trials = 5;
    std::printf("decode_bench: Fetch v%d frames, %d partitions x %d batch(es), %zu-byte JSON-like values, null keys\n",
                fetch_version, partitions, batches, value_size);
    std::printf("cpu: %s; compiler: %s; crc32c: %s\n\n", cpu_model().c_str(), __VERSION__,
#ifdef KAFKA_CRC32C_X86
                crc_detail::have_sse42() ? "SSE4.2 (runtime dispatch)" : "portable"
#else
                "portable"
#endif
    );
    std::printf(
        "| records/batch | codec | frame KiB | ns/record (min-max) | records/s | GB/s | new/record | "
        "new/frame in decode_response | malloc/record | floor: crc32c GB/s | floor: memcpy GB/s |\n");
    std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int n : batch_sizes) {
        for (auto codec : all_codecs) {
            if (!codec_built(codec)) {
                std::printf("| %d | %s | codec not built | | | | | | | | |\n", n,
                            std::string(to_string(codec)).c_str());
                continue;
            }
            auto c = make_case(n, codec, batches);
            auto r = run_case(c, min_time, trials);
            char allocs[96] = "n/a (sanitizer build) | n/a | n/a";
            if (BENCH_COUNT_ALLOCS)
                std::snprintf(allocs, sizeof allocs, "%.4f | %.1f | %.4f", r.news_per_record, r.news_per_frame_response,
                              r.mallocs_per_record);
            std::printf("| %d | %s | %.1f | %.2f (%.2f-%.2f) | %.1f M | %.2f | %s | %.1f | %.1f |\n", n,
                        std::string(to_string(codec)).c_str(), static_cast<double>(c.frame.size()) / 1024.0,
                        r.ns_per_record, r.ns_min, r.ns_max, r.records_per_s / 1e6, r.gb_per_s, allocs, r.crc_gb_per_s,
                        r.memcpy_gb_per_s);
            std::fflush(stdout);
        }
    }
    std::printf(
        "\nTimes are thread CPU time, median of %d trials of >= %.2f s each (min-max in brackets); "
        "wall/CPU time over all timed loops: %.2f (1.00 = the core was ours).\n",
        trials, min_time, total_wall / total_cpu);
    std::printf(
        "GB/s counts uncompressed record-set bytes (the batches as if uncompressed); the floors run over "
        "those same bytes. new/record: operator new calls per record in the timed loops, after a warm-up "
        "frame, with the response object, scratch buffer and codec contexts reused; malloc/record: C "
        "allocations outside operator new (codec libraries).\n");
    return 0;
}

// One frame, decoded once between CALLGRIND_START/STOP (after a warm-up frame).
int run_callgrind(compression_type codec, int n, int batches) {
    auto c = make_case(n, codec, batches);
    decoder_state st;
    consumer cb;
    decode_frame(c.frame, st, cb);
    consumer measured;
    CALLGRIND_START_INSTRUMENTATION;
    decode_frame(c.frame, st, measured);
    CALLGRIND_STOP_INSTRUMENTATION;
    sink = sink + measured.sum;
    std::printf("records %" PRIu64 "\n", measured.records);
    return 0;
}

// Runs this program under callgrind once per case and prints instructions per record.
int run_instructions(const char* self, int batches) {
    if (std::system("valgrind --version > /dev/null 2>&1") != 0) {
        std::fprintf(stderr, "decode_bench: valgrind not found; the instructions table needs it\n");
        return 1;
    }
    auto dir = std::filesystem::temp_directory_path() / ("decode_bench_callgrind_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::printf(
        "| records/batch | codec | instructions/record | in the codec library | in libc memset/memcpy | "
        "the rest (our decode + callback) |\n");
    std::printf("|---:|---|---:|---:|---:|---:|\n");
    for (int n : batch_sizes) {
        for (auto codec : all_codecs) {
            if (!codec_built(codec)) continue;
            auto name = std::string(to_string(codec));
            auto out = dir / (name + "_" + std::to_string(n) + ".out");
            std::ostringstream cmd;
            cmd << "valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=" << out.string() << " " << self
                << " --callgrind " << name << " " << n << " --batches " << batches << " > " << out.string()
                << ".stdout 2> " << out.string() << ".stderr";
            if (std::system(cmd.str().c_str()) != 0) {
                std::fprintf(stderr, "decode_bench: callgrind run failed, see %s.stderr\n", out.string().c_str());
                return 1;
            }
            std::uint64_t records = 0, total = 0, codec_ir = 0, libc_ir = 0;
            {
                std::ifstream so(out.string() + ".stdout");
                std::string word;
                so >> word >> records;
            }
            std::ifstream prof(out);
            std::string line;
            while (std::getline(prof, line))
                if (line.rfind("summary:", 0) == 0 || line.rfind("totals:", 0) == 0)
                    total = std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
            // Per-object costs from callgrind_annotate's function list:
            //   "  1,234 (12.3%)  file:function [/usr/lib/x86_64-linux-gnu/libz.so.1.2.13]"
            auto ann = out.string() + ".annotate";
            std::string acmd =
                "callgrind_annotate --inclusive=no --threshold=100 " + out.string() + " > " + ann + " 2>/dev/null";
            if (std::system(acmd.c_str()) == 0) {
                std::ifstream a(ann);
                while (std::getline(a, line)) {
                    auto has = [&](const char* s) { return line.find(s) != std::string::npos; };
                    bool codec_lib = has("libz.so") || has("libsnappy") || has("liblz4") || has("libzstd");
                    bool libc_mem = has("libc.so") && (has("memset") || has("memmove") || has("memcpy"));
                    if (!codec_lib && !libc_mem) continue;
                    std::string digits;
                    for (char ch : line) {
                        if (ch >= '0' && ch <= '9')
                            digits.push_back(ch);
                        else if (ch == ',')
                            continue;
                        else if (!digits.empty())
                            break;
                    }
                    if (digits.empty()) continue;
                    (codec_lib ? codec_ir : libc_ir) += std::strtoull(digits.c_str(), nullptr, 10);
                }
            }
            if (records == 0 || total == 0) return 1;
            auto per = [&](std::uint64_t v) { return static_cast<double>(v) / static_cast<double>(records); };
            std::printf("| %d | %s | %.0f | %.0f | %.0f | %.0f |\n", n, name.c_str(), per(total), per(codec_ir),
                        per(libc_ir), per(total - codec_ir - libc_ir));
            std::fflush(stdout);
        }
    }
    std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    int batches = 1;
    double min_time = 0.3;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--batches" && i + 1 < args.size())
            batches = std::atoi(std::string(args[++i]).c_str());
        else if (args[i] == "--min-time" && i + 1 < args.size())
            min_time = std::atof(std::string(args[++i]).c_str());
    }
    if (batches < 1 || min_time <= 0) die("bad --batches or --min-time");
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--callgrind") {
            compression_type codec;
            if (i + 2 >= args.size() || !parse_codec(args[i + 1], codec))
                die("usage: --callgrind CODEC RECORDS_PER_BATCH");
            if (!codec_built(codec)) die("codec not built");
            return run_callgrind(codec, std::atoi(std::string(args[i + 2]).c_str()), batches);
        }
        if (args[i] == "--instructions") return run_instructions(argv[0], batches);
    }
    return run_table(batches, min_time);
}
