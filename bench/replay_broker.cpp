// replay_broker: a one-broker, in-memory Kafka for benchmarks only (bench/run.sh --client-bound).
//
//   replay_broker --topic d1 -n 10000000 --payload .cache/bench/payload-100.txt
//                 [--port 49192] [--partitions 6] [--batch-bytes 16384] [--empty-wait-ms 10] [--seed 1]
//
// At start-up it builds one topic in memory, shaped like the real-broker data sets of bench/run.sh:
// N records spread evenly over the partitions, null keys, each value a random line (fixed seed) of
// the payload file (JSON-like lines of exactly 100 or 1024 bytes), uncompressed magic-2 batches of
// at most --batch-bytes (Java's batch.size, 16 KiB) with correct CRC32C, built with
// kafka::protocol::build_batch; producer id 1, epoch 0, sequence = base offset (an idempotent
// producer's shape); all records of a batch share one create-time timestamp. Each partition is one
// contiguous buffer plus an index of batch start offsets. It reads every batch back with the
// library's record_set_reader (CRC on) before it prints on stdout
//
//   bootstrap 127.0.0.1:PORT
//   loaded N records, B batches (R records/batch, K bytes/batch on average) in S s
//   ready
//
// and then serves on 127.0.0.1:PORT only, single-threaded (epoll, level-triggered), any number of
// connections, until SIGTERM or SIGINT; at exit it prints one "served ..." line on stdout with the
// CPU it used since "ready" per GB of record bytes served.
//
// Requests are decoded and responses encoded with the library's protocol headers
// (include/kafka/protocol). A Fetch response is sent without copying record bytes in user space:
// the library's encoder writes into a gather sink that keeps the header and fields in a small
// buffer and, for each partition's records, only a pointer into the partition buffer; one sendmsg
// sends the lot (scatter-gather).
//
// APIs and the versions advertised (max versions need no topic ids; clients negotiate down):
//   Produce 3-9 is advertised but not served (a Produce request closes the connection): librdkafka
//     sends no Fetch to a broker that does not list Produce v3+ (its magic-2 feature check)
//   ApiVersions 0-4 (a higher version gets UNSUPPORTED_VERSION in the v0 layout, as Kafka does)
//   Metadata 0-9, ListOffsets 0-7 (earliest, latest, max timestamp, by timestamp),
//   Fetch 4-12 (from the batch holding fetch_offset, whole batches up to partition_max_bytes and
//     max_bytes, at least one batch for the first partition with data; no fetch sessions: every
//     response has session id 0, so clients send full requests), OffsetForLeaderEpoch 0-4 (end
//     offset = log end, epoch 0),
//   FindCoordinator 0-5, JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5,
//     OffsetCommit 0-9, OffsetFetch 1-9: a classic group coordinator reduced to one member per
//     group (whoever joins last is the group, its leader and its only member; no rebalance waits),
//     which is what Java's ConsumerPerformance needs. Committed offsets are kept in memory.
// Anything else closes the connection (as Kafka does for an API it does not serve).
//
// Waiting: data never arrives after start-up, so a Fetch that cannot be satisfied (less than
// min_bytes available, typically every partition at the log end) is answered after
// min(max_wait_ms, --empty-wait-ms) instead of max_wait_ms: a short timer that keeps clients from
// spinning on empty responses without parking them for 500 ms at the tail of the log. Requests on
// one connection are answered in order, so later requests wait behind such a Fetch, as on Kafka.
//
// On stderr, one line per closed connection: requests by API and version, Fetch responses (and how
// many were answered empty), record bytes sent.
#include <kafka/error.hpp>
#include <kafka/protocol/frame.hpp>
#include <kafka/protocol/messages.hpp>
#include <kafka/protocol/record_batch_builder.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace kp = kafka::protocol;
using kafka::byte_buffer;
using kafka::bytes_view;
using steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "replay_broker: %s\n", why.c_str());
    std::exit(1);
}

std::int16_t err(kafka::errc e) { return static_cast<std::int16_t>(e); }
constexpr std::int16_t fetch_session_id_not_found = 70;

// ------------------------------------------------------------------ options

struct options {
    int port = 49192;
    std::string topic;
    int partitions = 6;
    long long n = 0;
    std::string payload;
    int batch_bytes = 16384;
    int empty_wait_ms = 10;
    unsigned long long seed = 1;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "replay_broker: %s\n"
                 "usage: replay_broker --topic T -n N --payload FILE [--port P] [--partitions K] [--batch-bytes B]\n"
                 "                     [--empty-wait-ms MS] [--seed S]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "--port")
            o.port = std::atoi(next().c_str());
        else if (a == "--topic")
            o.topic = next();
        else if (a == "--partitions")
            o.partitions = std::atoi(next().c_str());
        else if (a == "-n")
            o.n = std::atoll(next().c_str());
        else if (a == "--payload")
            o.payload = next();
        else if (a == "--batch-bytes")
            o.batch_bytes = std::atoi(next().c_str());
        else if (a == "--empty-wait-ms")
            o.empty_wait_ms = std::atoi(next().c_str());
        else if (a == "--seed")
            o.seed = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "-h" || a == "--help")
            usage("help");
        else
            usage(("unknown argument " + a).c_str());
    }
    if (o.topic.empty() || o.n <= 0 || o.payload.empty()) usage("--topic, -n and --payload are required");
    if (o.partitions <= 0 || o.port <= 0 || o.port > 65535 || o.batch_bytes < 128 || o.empty_wait_ms < 0)
        usage("bad --partitions, --port, --batch-bytes or --empty-wait-ms");
    return o;
}

// ------------------------------------------------------------------ the data

struct partition_log {
    byte_buffer data;                  // the batches, back to back
    std::vector<std::int64_t> base;    // base offset of each batch
    std::vector<std::size_t> pos;      // where each batch starts in `data`; one more entry: data.size()
    std::vector<std::int64_t> max_ts;  // each batch's max timestamp (ListOffsets by time)
    std::int64_t end = 0;              // log end offset (next offset to be written)

    /// Whole batches from the one holding `offset`, at most `limit` bytes, or the first batch
    /// alone when it exceeds `limit` and `min_one` is set.
    bytes_view slice(std::int64_t offset, std::int64_t limit, bool min_one) const {
        auto i = static_cast<std::size_t>(std::upper_bound(base.begin(), base.end(), offset) - base.begin()) - 1;
        auto j = i;
        while (j < base.size() && (static_cast<std::int64_t>(pos[j + 1] - pos[i]) <= limit || (j == i && min_one))) ++j;
        return bytes_view(data).subspan(pos[i], pos[j] - pos[i]);
    }
    bool owns(bytes_view b) const noexcept {
        return !data.empty() && b.data() >= data.data() && b.data() + b.size() <= data.data() + data.size();
    }
};

// Bytes a record of build_batch takes: length varint, attributes, timestamp delta 0, offset
// delta, null key, value, no headers.
std::size_t record_wire_size(std::int32_t offset_delta, std::size_t value_size) {
    auto zz = [](std::int64_t v) { return kp::uvarint_size(kp::zigzag64(v)); };
    std::size_t body =
        1 + 1 + zz(offset_delta) + zz(-1) + zz(static_cast<std::int64_t>(value_size)) + value_size + zz(0);
    return zz(static_cast<std::int64_t>(body)) + body;
}

std::vector<partition_log> build_logs(const options& o, const std::vector<std::string>& lines, std::size_t& batches) {
    std::vector<partition_log> logs(static_cast<std::size_t>(o.partitions));
    auto t0 = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
    std::uint64_t rng = o.seed * 0x9E3779B97F4A7C15ull + 1;
    auto next_line = [&]() -> const std::string& {  // splitmix64
        std::uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return lines[z % lines.size()];
    };
    std::size_t max_line = 0;
    for (auto const& l : lines) max_line = std::max(max_line, l.size());
    std::vector<kp::record_to_build> recs;
    batches = 0;
    for (int p = 0; p < o.partitions; ++p) {
        auto& log = logs[static_cast<std::size_t>(p)];
        long long count = o.n / o.partitions + (p < o.n % o.partitions ? 1 : 0);
        log.data.reserve(static_cast<std::size_t>(count) * (max_line + 16) + 4096);
        long long written = 0;
        while (written < count) {
            recs.clear();
            std::size_t bytes = kp::v2_header_size;
            std::int64_t ts = t0 + static_cast<std::int64_t>(log.base.size());
            while (written + static_cast<long long>(recs.size()) < count) {
                auto const& v = next_line();
                auto sz = record_wire_size(static_cast<std::int32_t>(recs.size()), v.size());
                if (!recs.empty() && bytes + sz > static_cast<std::size_t>(o.batch_bytes)) {
                    rng -= 0x9E3779B97F4A7C15ull;  // this line starts the next batch
                    break;
                }
                bytes += sz;
                recs.push_back({std::nullopt, std::string_view(v), ts, {}});
            }
            kp::batch_options bo;
            bo.base_offset = log.end;
            bo.partition_leader_epoch = 0;
            bo.producer_id = 1;
            bo.producer_epoch = 0;
            bo.base_sequence = static_cast<std::int32_t>(log.end);
            log.base.push_back(log.end);
            log.pos.push_back(log.data.size());
            log.max_ts.push_back(ts);
            if (auto ec = kp::build_batch(log.data, recs, bo)) die("build_batch: " + ec.message());
            log.end += static_cast<std::int64_t>(recs.size());
            written += static_cast<long long>(recs.size());
            ++batches;
        }
        log.pos.push_back(log.data.size());
    }
    return logs;
}

// Reads every batch back with the library's reader, CRC on: offsets contiguous from 0, N records.
void verify_logs(const std::vector<partition_log>& logs, long long n) {
    kp::codec_context codecs;
    byte_buffer scratch;
    long long total = 0;
    for (std::size_t p = 0; p < logs.size(); ++p) {
        kp::record_set_reader rd(logs[p].data, true);
        kp::decoded_batch b;
        std::int64_t next = 0;
        kp::batch_status s;
        while ((s = rd.next(b, scratch, codecs)) == kp::batch_status::ok) {
            kp::record_cursor cur(b, true);
            kafka::record_view r;
            while (cur.next(r)) {
                if (r.offset != next || r.key || !r.value)
                    die("verify: partition " + std::to_string(p) + ": bad record at " + std::to_string(next));
                ++next;
            }
            if (cur.error()) die("verify: partition " + std::to_string(p) + ": " + cur.error().message());
        }
        if (s != kp::batch_status::end) die("verify: partition " + std::to_string(p) + ": " + rd.error().message());
        if (next != logs[p].end) die("verify: partition " + std::to_string(p) + ": end offset mismatch");
        total += next;
    }
    if (total != n) die("verify: " + std::to_string(total) + " records, not " + std::to_string(n));
}

// ------------------------------------------------------------------ responses and the gather sink

// A piece of a response: bytes of its small buffer (ext == nullptr) or a slice of a partition buffer.
struct segment {
    const std::byte* ext = nullptr;
    std::size_t off = 0;
    std::size_t len = 0;
};

struct out_msg {
    byte_buffer small;  // size prefix, header, every field but the records
    std::vector<segment> segs;
    std::size_t seg = 0, seg_done = 0;  // send progress
    steady::time_point ready_at{};      // a delayed Fetch is not sent before this
};

/// A sink for the library's encoder (the interface of protocol::writer): everything goes into the
/// message's small buffer, except raw bytes that lie in a partition buffer, which become segments
/// pointing there.
class gather_sink {
public:
    gather_sink(out_msg& m, const std::vector<partition_log>& logs) : m_(m), w_(m.small), logs_(logs) {}

    std::size_t size() const noexcept { return w_.size(); }
    template <class T>
    void fixed(T v) {
        w_.fixed(v);
    }
    void int8(std::int8_t v) { w_.int8(v); }
    void int16(std::int16_t v) { w_.int16(v); }
    void int32(std::int32_t v) { w_.int32(v); }
    void int64(std::int64_t v) { w_.int64(v); }
    void uint16(std::uint16_t v) { w_.uint16(v); }
    void uint32(std::uint32_t v) { w_.uint32(v); }
    void boolean(bool v) { w_.boolean(v); }
    void float64(double v) { w_.float64(v); }
    void uvarint(std::uint64_t v) { w_.uvarint(v); }
    void varint(std::int32_t v) { w_.varint(v); }
    void varlong(std::int64_t v) { w_.varlong(v); }
    void uuid(const kafka::uuid& u) { w_.uuid(u); }
    void raw(bytes_view b) {
        if (b.size() >= 64)
            for (auto const& l : logs_)
                if (l.owns(b)) {
                    cut();
                    m_.segs.push_back({b.data(), 0, b.size()});
                    external_ += b.size();
                    return;
                }
        w_.raw(b);
    }
    /// Ends the message; returns the bytes it holds after the 4-byte size prefix.
    std::size_t finish() {
        cut();
        return m_.small.size() + external_ - 4;
    }

private:
    void cut() {
        if (m_.small.size() > mark_) m_.segs.push_back({nullptr, mark_, m_.small.size() - mark_});
        mark_ = m_.small.size();
    }
    out_msg& m_;
    kp::writer w_;
    const std::vector<partition_log>& logs_;
    std::size_t mark_ = 0;
    std::size_t external_ = 0;
};

// ------------------------------------------------------------------ connections and groups

struct connection {
    int fd = -1;
    std::string peer;
    byte_buffer in;
    std::size_t in_begin = 0, in_end = 0;
    std::deque<out_msg> out;
    bool epollout = false;
    bool closed = false;
    steady::time_point opened = steady::now();
    std::map<std::pair<std::int16_t, std::int16_t>, long long> requests;  // (api, version) -> count
    long long fetches = 0, fetches_unsatisfied = 0, fetch_partitions = 0;
    long long record_bytes = 0, bytes_sent = 0;
};

struct group_state {
    std::int32_t generation = 0;
    std::string member;  // the one member; empty when none
    std::string protocol_type, protocol;
    byte_buffer assignment;  // the member's, from its SyncGroup
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed;
};

struct api_range {
    std::int16_t key, lo, hi;
};
// Produce is listed but not served: librdkafka enables magic-2 record batches (its MsgVer2 feature,
// without which it sends no Fetch at all) only for a broker listing Produce v3 and Fetch v4.
constexpr std::int16_t produce_key = 0;
constexpr api_range served_apis[] = {
    {produce_key, 3, 9},
    {kp::FetchRequest::api_key, 4, 12},
    {kp::ListOffsetsRequest::api_key, 0, 7},
    {kp::MetadataRequest::api_key, 0, 9},
    {kp::OffsetCommitRequest::api_key, 0, 9},
    {kp::OffsetFetchRequest::api_key, 1, 9},
    {kp::FindCoordinatorRequest::api_key, 0, 5},
    {kp::JoinGroupRequest::api_key, 0, 9},
    {kp::HeartbeatRequest::api_key, 0, 4},
    {kp::LeaveGroupRequest::api_key, 0, 5},
    {kp::SyncGroupRequest::api_key, 0, 5},
    {kp::ApiVersionsRequest::api_key, 0, 4},
    {kp::OffsetForLeaderEpochRequest::api_key, 0, 4},
};
const api_range* served(std::int16_t key) {
    for (auto const& a : served_apis)
        if (a.key == key) return &a;
    return nullptr;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// ------------------------------------------------------------------ the broker

class broker {
public:
    broker(options o, std::vector<partition_log> logs) : o_(std::move(o)), logs_(std::move(logs)) {}

    void listen_on_loopback() {
        lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (lfd_ < 0) die(std::string("socket: ") + std::strerror(errno));
        int one = 1;
        ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(o_.port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
            die("bind 127.0.0.1:" + std::to_string(o_.port) + ": " + std::strerror(errno));
        if (::listen(lfd_, 128) < 0) die(std::string("listen: ") + std::strerror(errno));

        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) die(std::string("epoll_create1: ") + std::strerror(errno));
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, nullptr);
        sfd_ = ::signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd_ < 0) die(std::string("signalfd: ") + std::strerror(errno));
        ::signal(SIGPIPE, SIG_IGN);
        add(lfd_, EPOLLIN);
        add(sfd_, EPOLLIN);
    }

    void run() {
        cpu_at_ready_ = cpu_seconds();
        ready_at_ = steady::now();
        epoll_event evs[64];
        while (!stop_) {
            int n = ::epoll_wait(ep_, evs, 64, timeout_ms());
            if (n < 0) {
                if (errno == EINTR) continue;
                die(std::string("epoll_wait: ") + std::strerror(errno));
            }
            for (int i = 0; i < n; ++i) {
                int fd = evs[i].data.fd;
                if (fd == lfd_)
                    accept_all();
                else if (fd == sfd_)
                    stop_ = true;
                else if (auto it = conns_.find(fd); it != conns_.end()) {
                    auto& c = *it->second;
                    if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
                    if (!c.closed) flush(c);
                }
            }
            // Delayed Fetch responses whose time has come (a connection waiting for EPOLLOUT is left alone).
            for (auto& [fd, c] : conns_)
                if (!c->closed && !c->out.empty() && !c->epollout) flush(*c);
            reap();
        }
        for (auto& [fd, c] : conns_) close_conn(*c);
        reap();
        double cpu = cpu_seconds() - cpu_at_ready_;
        double secs = std::chrono::duration<double>(steady::now() - ready_at_).count();
        std::printf(
            "served %lld connections, %lld Fetch responses (%lld answered below min_bytes after the wait), "
            "%.3f GB of records (%.3f GB sent in all) in %.1f s; CPU since ready %.2f s (%.3f CPU-s per GB of "
            "records)\n",
            total_conns_, total_fetches_, total_unsatisfied_, static_cast<double>(total_record_bytes_) / 1e9,
            static_cast<double>(total_bytes_sent_) / 1e9, secs, cpu,
            total_record_bytes_ ? cpu / (static_cast<double>(total_record_bytes_) / 1e9) : 0.0);
        std::fflush(stdout);
    }

private:
    void add(int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) die(std::string("epoll_ctl: ") + std::strerror(errno));
    }

    int timeout_ms() const {
        auto now = steady::now();
        std::int64_t best = -1;
        for (auto const& [fd, c] : conns_) {
            if (c->out.empty()) continue;
            auto t = c->out.front().ready_at;
            if (t <= now) continue;
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count() + 1;
            if (best < 0 || ms < best) best = ms;
        }
        return static_cast<int>(best);
    }

    void accept_all() {
        for (;;) {
            sockaddr_in a{};
            socklen_t len = sizeof a;
            int fd = ::accept4(lfd_, reinterpret_cast<sockaddr*>(&a), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
                std::fprintf(stderr, "replay_broker: accept: %s\n", std::strerror(errno));
                return;
            }
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto c = std::make_unique<connection>();
            c->fd = fd;
            char host[INET_ADDRSTRLEN] = "?";
            ::inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
            c->peer = std::string(host) + ":" + std::to_string(ntohs(a.sin_port));
            c->in.resize(64 * 1024);
            add(fd, EPOLLIN);
            conns_.emplace(fd, std::move(c));
            ++total_conns_;
        }
    }

    void close_conn(connection& c) {
        if (c.closed) return;
        c.closed = true;
        ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        std::string apis;
        for (auto const& [k, n] : c.requests)
            apis += " " + std::to_string(k.first) + "v" + std::to_string(k.second) + "x" + std::to_string(n);
        std::fprintf(
            stderr,
            "replay_broker: %s closed after %.2f s: requests (api v version x count):%s; %lld Fetch "
            "responses (%lld partitions, %lld below min_bytes after the wait), %.1f MB of records, %.1f MB sent\n",
            c.peer.c_str(), std::chrono::duration<double>(steady::now() - c.opened).count(), apis.c_str(), c.fetches,
            c.fetch_partitions, c.fetches_unsatisfied, static_cast<double>(c.record_bytes) / 1e6,
            static_cast<double>(c.bytes_sent) / 1e6);
    }

    void reap() {
        for (auto it = conns_.begin(); it != conns_.end();) it = it->second->closed ? conns_.erase(it) : std::next(it);
    }

    void on_readable(connection& c) {
        if (c.in.size() - c.in_end < 16 * 1024) {
            if (c.in_begin > 0) {
                std::memmove(c.in.data(), c.in.data() + c.in_begin, c.in_end - c.in_begin);
                c.in_end -= c.in_begin;
                c.in_begin = 0;
            }
            if (c.in.size() - c.in_end < 16 * 1024) c.in.resize(c.in.size() * 2);
        }
        auto n = ::recv(c.fd, c.in.data() + c.in_end, c.in.size() - c.in_end, 0);
        if (n == 0) return close_conn(c);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            return close_conn(c);
        }
        c.in_end += static_cast<std::size_t>(n);
        while (!c.closed && c.in_end - c.in_begin >= 4) {
            auto size = kp::from_big_endian<std::int32_t>(c.in.data() + c.in_begin);
            if (size < 8 || size > 64 * 1024 * 1024) {
                std::fprintf(stderr, "replay_broker: %s: bad frame size %d\n", c.peer.c_str(), size);
                return close_conn(c);
            }
            auto need = 4 + static_cast<std::size_t>(size);
            if (c.in_end - c.in_begin < need) {
                if (c.in.size() - c.in_begin < need) c.in.resize(c.in_begin + need);
                break;
            }
            handle(c, bytes_view(c.in).subspan(c.in_begin + 4, static_cast<std::size_t>(size)));
            c.in_begin += need;
        }
        if (c.in_begin == c.in_end) c.in_begin = c.in_end = 0;
    }

    void flush(connection& c) {
        auto now = steady::now();
        while (!c.out.empty()) {
            iovec iov[IOV_MAX];
            int n = 0;
            for (auto const& m : c.out) {
                if (m.ready_at > now || n == IOV_MAX) break;
                for (auto s = m.seg; s < m.segs.size() && n < IOV_MAX; ++s) {
                    auto const& g = m.segs[s];
                    auto skip = s == m.seg ? m.seg_done : 0;
                    auto const* base = g.ext ? g.ext : m.small.data() + g.off;
                    iov[n].iov_base = const_cast<std::byte*>(base + skip);
                    iov[n].iov_len = g.len - skip;
                    ++n;
                }
            }
            if (n == 0) break;
            msghdr mh{};
            mh.msg_iov = iov;
            mh.msg_iovlen = static_cast<std::size_t>(n);
            auto w = ::sendmsg(c.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    want_write(c, true);
                    return;
                }
                return close_conn(c);
            }
            c.bytes_sent += w;
            total_bytes_sent_ += w;
            advance(c, static_cast<std::size_t>(w));
        }
        want_write(c, false);
    }

    static void advance(connection& c, std::size_t n) {
        while (n > 0 && !c.out.empty()) {
            auto& m = c.out.front();
            auto left = m.segs[m.seg].len - m.seg_done;
            if (n < left) {
                m.seg_done += n;
                return;
            }
            n -= left;
            ++m.seg;
            m.seg_done = 0;
            if (m.seg == m.segs.size()) c.out.pop_front();
        }
    }

    void want_write(connection& c, bool on) {
        if (c.epollout == on) return;
        c.epollout = on;
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.fd = c.fd;
        ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    }

    // ---- requests

    void handle(connection& c, bytes_view frame) {
        auto api = kp::from_big_endian<std::int16_t>(frame.data());
        auto version = kp::from_big_endian<std::int16_t>(frame.data() + 2);
        auto corr = kp::from_big_endian<std::int32_t>(frame.data() + 4);
        ++c.requests[{api, version}];
        if (api == kp::ApiVersionsRequest::api_key) return on_api_versions(c, frame, version, corr);
        auto range = served(api);
        if (!range || version < range->lo || version > range->hi) {
            std::fprintf(stderr, "replay_broker: %s: API %d v%d not served; closing\n", c.peer.c_str(), api, version);
            return close_conn(c);
        }
        switch (api) {
            case produce_key:
                std::fprintf(stderr, "replay_broker: %s: Produce is advertised but not served; closing\n",
                             c.peer.c_str());
                return close_conn(c);
            case kp::MetadataRequest::api_key:
                return serve<kp::MetadataRequest>(c, frame, &broker::on_metadata);
            case kp::ListOffsetsRequest::api_key:
                return serve<kp::ListOffsetsRequest>(c, frame, &broker::on_list_offsets);
            case kp::FetchRequest::api_key:
                return serve_fetch(c, frame);
            case kp::OffsetForLeaderEpochRequest::api_key:
                return serve<kp::OffsetForLeaderEpochRequest>(c, frame, &broker::on_offset_for_leader_epoch);
            case kp::FindCoordinatorRequest::api_key:
                return serve<kp::FindCoordinatorRequest>(c, frame, &broker::on_find_coordinator);
            case kp::JoinGroupRequest::api_key:
                return serve<kp::JoinGroupRequest>(c, frame, &broker::on_join);
            case kp::SyncGroupRequest::api_key:
                return serve<kp::SyncGroupRequest>(c, frame, &broker::on_sync);
            case kp::HeartbeatRequest::api_key:
                return serve<kp::HeartbeatRequest>(c, frame, &broker::on_heartbeat);
            case kp::LeaveGroupRequest::api_key:
                return serve<kp::LeaveGroupRequest>(c, frame, &broker::on_leave);
            case kp::OffsetCommitRequest::api_key:
                return serve<kp::OffsetCommitRequest>(c, frame, &broker::on_offset_commit);
            case kp::OffsetFetchRequest::api_key:
                return serve<kp::OffsetFetchRequest>(c, frame, &broker::on_offset_fetch);
            default:
                return close_conn(c);
        }
    }

    template <class Req>
    bool decode(connection& c, bytes_view frame, Req& req, std::int16_t& version, std::int32_t& corr) {
        if (auto ec = kp::decode_request(frame, req, version, corr)) {
            std::fprintf(stderr, "replay_broker: %s: malformed request (API %d v%d): %s; closing\n", c.peer.c_str(),
                         Req::api_key, version, ec.message().c_str());
            close_conn(c);
            return false;
        }
        return true;
    }

    template <class Req>
    void serve(connection& c, bytes_view frame, typename Req::response_type (broker::*fn)(const Req&, std::int16_t)) {
        Req req;
        std::int16_t version = 0;
        std::int32_t corr = 0;
        if (!decode(c, frame, req, version, corr)) return;
        reply(c, (this->*fn)(req, version), version, corr);
    }

    template <class Resp>
    void reply(connection& c, const Resp& resp, std::int16_t version, std::int32_t corr) {
        auto& m = c.out.emplace_back();
        kp::encode_response(m.small, resp, version, corr);
        m.segs.push_back({nullptr, 0, m.small.size()});
    }

    void on_api_versions(connection& c, bytes_view frame, std::int16_t version, std::int32_t corr) {
        kp::ApiVersionsResponse resp;
        auto range = served(kp::ApiVersionsRequest::api_key);
        if (version < range->lo || version > range->hi) {
            // As Kafka: UNSUPPORTED_VERSION in the v0 layout, naming the ApiVersions versions served.
            resp.error_code = err(kafka::errc::unsupported_version);
            resp.api_keys.push_back({range->key, range->lo, range->hi});
            return reply(c, resp, 0, corr);
        }
        kp::ApiVersionsRequest req;
        std::int16_t v = 0;
        if (!decode(c, frame, req, v, corr)) return;
        for (auto const& a : served_apis) resp.api_keys.push_back({a.key, a.lo, a.hi});
        reply(c, resp, v, corr);
    }

    const partition_log* find(const std::string& topic, std::int32_t partition) const {
        if (topic != o_.topic || partition < 0 || partition >= o_.partitions) return nullptr;
        return &logs_[static_cast<std::size_t>(partition)];
    }

    kp::MetadataResponse on_metadata(const kp::MetadataRequest& req, std::int16_t version) {
        kp::MetadataResponse resp;
        resp.brokers.push_back({0, "127.0.0.1", o_.port, std::nullopt});
        resp.cluster_id = "replay-broker";
        resp.controller_id = 0;
        auto describe = [&](const std::string& name) {
            auto& t = resp.topics.emplace_back();
            t.name = name;
            if (name != o_.topic) {
                t.error_code = err(kafka::errc::unknown_topic_or_partition);
                return;
            }
            for (std::int32_t p = 0; p < o_.partitions; ++p) t.partitions.push_back({0, p, 0, 0, {0}, {0}, {}});
        };
        bool all = !req.topics || (version == 0 && req.topics->empty());
        if (all)
            describe(o_.topic);
        else
            for (auto const& t : *req.topics) describe(t.name.value_or(std::string{}));
        return resp;
    }

    kp::ListOffsetsResponse on_list_offsets(const kp::ListOffsetsRequest& req, std::int16_t version) {
        kp::ListOffsetsResponse resp;
        for (auto const& t : req.topics) {
            auto& rt = resp.topics.emplace_back();
            rt.name = t.name;
            for (auto const& p : t.partitions) {
                auto& rp = rt.partitions.emplace_back();
                rp.partition_index = p.partition_index;
                auto* log = find(t.name, p.partition_index);
                if (!log) {
                    rp.error_code = err(kafka::errc::unknown_topic_or_partition);
                    continue;
                }
                if (p.current_leader_epoch > 0) {
                    rp.error_code = err(kafka::errc::unknown_leader_epoch);
                    continue;
                }
                rp.leader_epoch = 0;
                switch (p.timestamp) {
                    case -2:  // earliest
                    case -4:  // earliest local (tiered storage)
                        rp.offset = 0;
                        break;
                    case -1:  // latest
                    case -5:  // latest tiered
                        rp.offset = log->end;
                        break;
                    case -3:  // max timestamp: the last batch's first record carries it (one timestamp per batch)
                        if (log->base.empty())
                            rp.offset = -1;
                        else {
                            rp.offset = log->base.back();
                            rp.timestamp = log->max_ts.back();
                        }
                        break;
                    default: {
                        if (p.timestamp < 0) {
                            rp.error_code = err(kafka::errc::invalid_request);
                            break;
                        }
                        auto it = std::lower_bound(log->max_ts.begin(), log->max_ts.end(), p.timestamp);
                        if (it != log->max_ts.end()) {
                            auto i = static_cast<std::size_t>(it - log->max_ts.begin());
                            rp.offset = log->base[i];
                            rp.timestamp = *it;
                        }
                    }
                }
                if (version == 0 && rp.error_code == 0) rp.old_style_offsets = {rp.offset};
            }
        }
        return resp;
    }

    kp::OffsetForLeaderEpochResponse on_offset_for_leader_epoch(const kp::OffsetForLeaderEpochRequest& req,
                                                                std::int16_t) {
        kp::OffsetForLeaderEpochResponse resp;
        for (auto const& t : req.topics) {
            auto& rt = resp.topics.emplace_back();
            rt.topic = t.topic;
            for (auto const& p : t.partitions) {
                auto& rp = rt.partitions.emplace_back();
                rp.partition = p.partition;
                auto* log = find(t.topic, p.partition);
                if (!log)
                    rp.error_code = err(kafka::errc::unknown_topic_or_partition);
                else if (p.current_leader_epoch > 0)
                    rp.error_code = err(kafka::errc::unknown_leader_epoch);
                else if (p.leader_epoch < 0) {
                    rp.leader_epoch = -1;
                    rp.end_offset = -1;
                } else {
                    rp.leader_epoch = 0;
                    rp.end_offset = log->end;
                }
            }
        }
        return resp;
    }

    // ---- Fetch: records go out as slices of the partition buffers

    void serve_fetch(connection& c, bytes_view frame) {
        kp::FetchRequest req;
        std::int16_t version = 0;
        std::int32_t corr = 0;
        if (!decode(c, frame, req, version, corr)) return;
        kp::FetchResponse resp;
        std::int64_t budget = version >= 3 ? std::max<std::int32_t>(req.max_bytes, 0) : INT64_MAX;
        std::int64_t total = 0;
        bool errors = false;
        if (req.session_id != 0) {
            resp.error_code = fetch_session_id_not_found;  // this broker never hands out a session
            errors = true;
        } else {
            for (auto const& t : req.topics) {
                auto& rt = resp.responses.emplace_back();
                rt.topic = t.topic;
                for (auto const& p : t.partitions) {
                    auto& rp = rt.partitions.emplace_back();
                    rp.partition_index = p.partition;
                    ++c.fetch_partitions;
                    auto* log = find(t.topic, p.partition);
                    if (!log) {
                        rp.error_code = err(kafka::errc::unknown_topic_or_partition);
                        rp.high_watermark = -1;
                        errors = true;
                        continue;
                    }
                    rp.high_watermark = log->end;
                    rp.last_stable_offset = log->end;
                    rp.log_start_offset = 0;
                    if (p.current_leader_epoch > 0) {
                        rp.error_code = err(kafka::errc::unknown_leader_epoch);
                        errors = true;
                        continue;
                    }
                    if (p.fetch_offset < 0 || p.fetch_offset > log->end) {
                        rp.error_code = err(kafka::errc::offset_out_of_range);
                        errors = true;
                        continue;
                    }
                    if (p.fetch_offset == log->end) continue;
                    auto limit =
                        std::min<std::int64_t>(std::max<std::int32_t>(p.partition_max_bytes, 0), budget - total);
                    rp.records.bytes = log->slice(p.fetch_offset, limit, total == 0);
                    total += static_cast<std::int64_t>(rp.records.bytes.size());
                }
            }
        }
        auto& m = c.out.emplace_back();
        bool satisfied = req.max_wait_ms <= 0 || req.min_bytes <= 0 || total >= req.min_bytes || errors;
        if (!satisfied) {
            auto wait = std::min(req.max_wait_ms, o_.empty_wait_ms);
            m.ready_at = steady::now() + std::chrono::milliseconds(wait);
            ++c.fetches_unsatisfied;
            ++total_unsatisfied_;
        }
        gather_sink w(m, logs_);
        w.int32(0);  // size, patched below
        w.int32(corr);
        if (kp::uses_flexible_response_header<kp::FetchResponse>(version)) w.uvarint(0);
        kp::encode(w, resp, version);
        auto size = w.finish();
        kp::to_big_endian(static_cast<std::int32_t>(size), m.small.data());
        ++c.fetches;
        ++total_fetches_;
        c.record_bytes += total;
        total_record_bytes_ += total;
    }

    // ---- groups: one member per group

    kp::FindCoordinatorResponse on_find_coordinator(const kp::FindCoordinatorRequest& req, std::int16_t version) {
        kp::FindCoordinatorResponse resp;
        if (version < 4) {
            resp.node_id = 0;
            resp.host = "127.0.0.1";
            resp.port = o_.port;
        } else {
            for (auto const& k : req.coordinator_keys)
                resp.coordinators.push_back({k, 0, "127.0.0.1", o_.port, 0, std::nullopt});
        }
        return resp;
    }

    kp::JoinGroupResponse on_join(const kp::JoinGroupRequest& req, std::int16_t) {
        kp::JoinGroupResponse resp;
        if (req.protocols.empty()) {
            resp.error_code = err(kafka::errc::inconsistent_group_protocol);
            return resp;
        }
        auto& g = groups_[req.group_id];
        g.member = req.member_id.empty() ? "replay-member-" + std::to_string(++member_seq_) : req.member_id;
        ++g.generation;
        g.protocol_type = req.protocol_type;
        g.protocol = req.protocols.front().name;
        g.assignment.clear();
        resp.generation_id = g.generation;
        resp.protocol_type = g.protocol_type;
        resp.protocol_name = g.protocol;
        resp.leader = g.member;
        resp.member_id = g.member;
        resp.members.push_back({g.member, req.group_instance_id, req.protocols.front().metadata});
        return resp;
    }

    std::int16_t check_member(const std::string& group, std::int32_t generation, const std::string& member) {
        auto it = groups_.find(group);
        if (it == groups_.end() || it->second.member.empty() || it->second.member != member)
            return err(kafka::errc::unknown_member_id);
        if (it->second.generation != generation) return err(kafka::errc::illegal_generation);
        return 0;
    }

    kp::SyncGroupResponse on_sync(const kp::SyncGroupRequest& req, std::int16_t) {
        kp::SyncGroupResponse resp;
        resp.error_code = check_member(req.group_id, req.generation_id, req.member_id);
        if (resp.error_code) return resp;
        auto& g = groups_[req.group_id];
        for (auto const& a : req.assignments)
            if (a.member_id == g.member) g.assignment = a.assignment;
        resp.protocol_type = g.protocol_type;
        resp.protocol_name = g.protocol;
        resp.assignment = g.assignment;
        return resp;
    }

    kp::HeartbeatResponse on_heartbeat(const kp::HeartbeatRequest& req, std::int16_t) {
        kp::HeartbeatResponse resp;
        resp.error_code = check_member(req.group_id, req.generation_id, req.member_id);
        return resp;
    }

    kp::LeaveGroupResponse on_leave(const kp::LeaveGroupRequest& req, std::int16_t version) {
        kp::LeaveGroupResponse resp;
        auto& g = groups_[req.group_id];
        auto leave = [&](const std::string& member) -> std::int16_t {
            if (member.empty() || member != g.member) return err(kafka::errc::unknown_member_id);
            g.member.clear();
            ++g.generation;
            return 0;
        };
        if (version < 3)
            resp.error_code = leave(req.member_id);
        else
            for (auto const& m : req.members)
                resp.members.push_back({m.member_id, m.group_instance_id, leave(m.member_id)});
        return resp;
    }

    kp::OffsetCommitResponse on_offset_commit(const kp::OffsetCommitRequest& req, std::int16_t version) {
        kp::OffsetCommitResponse resp;
        auto& g = groups_[req.group_id];
        // A commit outside a generation (generation -1, assign()ed consumers) is accepted as Kafka does.
        std::int16_t e = 0;
        if (version >= 1 && req.generation_id_or_member_epoch >= 0)
            e = check_member(req.group_id, req.generation_id_or_member_epoch, req.member_id);
        for (auto const& t : req.topics) {
            auto& rt = resp.topics.emplace_back();
            rt.name = t.name;
            for (auto const& p : t.partitions) {
                std::int16_t pe = e;
                if (!pe && !find(t.name, p.partition_index)) pe = err(kafka::errc::unknown_topic_or_partition);
                if (!pe) g.committed[{t.name, p.partition_index}] = p.committed_offset;
                rt.partitions.push_back({p.partition_index, pe});
            }
        }
        return resp;
    }

    std::int64_t committed(const std::string& group, const std::string& topic, std::int32_t p) const {
        auto g = groups_.find(group);
        if (g == groups_.end()) return -1;
        auto it = g->second.committed.find({topic, p});
        return it == g->second.committed.end() ? -1 : it->second;
    }

    kp::OffsetFetchResponse on_offset_fetch(const kp::OffsetFetchRequest& req, std::int16_t version) {
        kp::OffsetFetchResponse resp;
        // (topic, partitions) asked for, or every committed partition of the group when null.
        auto wanted = [&](const std::string& group, auto const& topics) {
            std::map<std::string, std::vector<std::int32_t>> out;
            if (topics) {
                for (auto const& t : *topics) out[t.name] = t.partition_indexes;
            } else if (auto g = groups_.find(group); g != groups_.end()) {
                for (auto const& [k, off] : g->second.committed) out[k.first].push_back(k.second);
            }
            return out;
        };
        if (version < 8) {
            for (auto const& [name, parts] : wanted(req.group_id, req.topics)) {
                auto& rt = resp.topics.emplace_back();
                rt.name = name;
                for (auto p : parts)
                    rt.partitions.push_back({p, committed(req.group_id, name, p), -1, std::string{}, 0});
            }
            return resp;
        }
        for (auto const& g : req.groups) {
            auto& rg = resp.groups.emplace_back();
            rg.group_id = g.group_id;
            for (auto const& [name, parts] : wanted(g.group_id, g.topics)) {
                auto& rt = rg.topics.emplace_back();
                rt.name = name;
                for (auto p : parts) rt.partitions.push_back({p, committed(g.group_id, name, p), -1, std::string{}, 0});
            }
        }
        return resp;
    }

    options o_;
    std::vector<partition_log> logs_;
    int lfd_ = -1, ep_ = -1, sfd_ = -1;
    bool stop_ = false;
    std::map<int, std::unique_ptr<connection>> conns_;
    std::map<std::string, group_state> groups_;
    long long member_seq_ = 0;
    long long total_conns_ = 0, total_fetches_ = 0, total_unsatisfied_ = 0, total_record_bytes_ = 0,
              total_bytes_sent_ = 0;
    double cpu_at_ready_ = 0;
    steady::time_point ready_at_{};
};

}  // namespace

int main(int argc, char** argv) {
    auto o = parse(argc, argv);
    std::vector<std::string> lines;
    {
        std::ifstream in(o.payload);
        if (!in) die("cannot open " + o.payload);
        for (std::string l; std::getline(in, l);)
            if (!l.empty()) lines.push_back(l);
    }
    if (lines.empty()) die(o.payload + " holds no lines");

    auto t0 = steady::now();
    std::size_t batches = 0;
    auto logs = build_logs(o, lines, batches);
    verify_logs(logs, o.n);
    double secs = std::chrono::duration<double>(steady::now() - t0).count();
    std::size_t bytes = 0;
    for (auto const& l : logs) bytes += l.data.size();

    broker b(o, std::move(logs));
    b.listen_on_loopback();
    std::printf("bootstrap 127.0.0.1:%d\n", o.port);
    std::printf("loaded %lld records, %zu batches (%.1f records/batch, %.0f bytes/batch on average) in %.1f s\n", o.n,
                batches, static_cast<double>(o.n) / static_cast<double>(batches),
                static_cast<double>(bytes) / static_cast<double>(batches), secs);
    std::printf("ready\n");
    std::fflush(stdout);
    b.run();
    return 0;
}
