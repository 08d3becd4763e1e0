/* rdkafka_bench: librdkafka's C API as a peer of consume_bench, and the latency producer.
 *
 *   rdkafka_bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N [--drive poll|queue] [-X key=value]...  throughput
 *   rdkafka_bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N --latency W [-X key=value]... latency
 *   rdkafka_bench --version                   the version of the librdkafka this process loaded
 *   rdkafka_bench --produce -b HOST:PORT -t TOPIC --rate R --seconds S [--size BYTES] [--partition P]
 *                                                                                       latency producer
 *
 * Consumer, two ways of driving it (--drive, default poll):
 *   poll   the high-level consumer handle with rd_kafka_assign() of partitions 0..P-1 at
 *          RD_KAFKA_OFFSET_BEGINNING (a group.id is set because rd_kafka_assign needs one, but there is no
 *          subscribe, no rebalance and no commit), then one message per rd_kafka_consumer_poll() until N
 *          records. How most applications are written; with the default queue thresholds it leaves
 *          librdkafka idle much of the time on a bulk read.
 *   queue  as librdkafka's own rdkafka_performance drives a consumer (its -C mode): the partitions started
 *          at RD_KAFKA_OFFSET_BEGINNING on one shared queue (rd_kafka_consume_start_queue), the queue drained
 *          by rd_kafka_consume_callback_queue(); no group, no commits. Its thresholds come from -X, as
 *          rdkafka_performance sets them: -X queued.min.messages=1000000 -X queued.max.messages.kbytes=1048576
 *          (bench/run.sh passes them for the expert runs and leaves them out for the defaults runs).
 * Both: check.crcs=true, everything else at librdkafka's defaults unless given with -X. The first line
 * printed names the librdkafka that was loaded (LD_LIBRARY_PATH may put a newer one behind this program).
 * Latency mode: values start with their produce time (19
 * decimal digits, ns since the epoch, CLOCK_REALTIME); prints p50/p99/p99.9 of receive minus produce,
 * skipping the first W records.
 * Producer: R records/s for S seconds, paced against an absolute schedule, linger.ms=0, acks=1; each
 * value is the send time followed by padding to BYTES (default 100).
 */
#define _GNU_SOURCE
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char* what, const char* detail) {
    fprintf(stderr, "rdkafka_bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void set(rd_kafka_conf_t* conf, const char* k, const char* v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die(k, err);
}

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void* a, const void* b) {
    int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
    return x < y ? -1 : x > y;
}

/* Sorts the samples (ns) and prints "LABEL samples=N p50=.. p99=.. p99.9=.. max=.." in ms. */
static void print_quantiles(const char* label, int64_t* ns, long long count) {
    qsort(ns, (size_t)count, sizeof *ns, cmp_i64);
#define Q(f) (count ? (double)ns[(long long)((f) * (double)(count - 1))] / 1e6 : -1.0)
    printf("%s samples=%lld p50=%.3f p99=%.3f p99.9=%.3f max=%.3f\n", label, count, Q(0.5), Q(0.99), Q(0.999), Q(1.0));
#undef Q
}

static int parse_ts(const rd_kafka_message_t* m, int64_t* out) {
    const unsigned char* p = m->payload;
    int64_t x = 0;
    if (!p || m->len < 19) return 0;
    for (int i = 0; i < 19; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        x = x * 10 + (p[i] - '0');
    }
    *out = x;
    return 1;
}

/* -X key=value settings, applied after the program's own so that they win. */
static void apply_extra(rd_kafka_conf_t* conf, char** extra, int nextra) {
    for (int i = 0; i < nextra; i++) {
        char* eq = strchr(extra[i], '=');
        *eq = 0;
        set(conf, extra[i], eq + 1);
        *eq = '=';
    }
}

/* What a consumer has read so far: records, value bytes, and (latency mode) receive-minus-produce samples. */
struct tally {
    long long count, bytes, n, skip, nlat;
    int64_t* lat;
};

static void count_message(const rd_kafka_message_t* m, struct tally* t) {
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) die("consume", rd_kafka_message_errstr(m));
        return;
    }
    t->count++;
    t->bytes += (long long)m->len;
    int64_t ts;
    if (t->lat && t->count > t->skip && parse_ts(m, &ts)) t->lat[t->nlat++] = now_ns(CLOCK_REALTIME) - ts;
}

static void on_queued_message(rd_kafka_message_t* m, void* opaque) { count_message(m, opaque); }

/* rdkafka_performance's way: legacy per-partition starts on one queue, drained by callback. */
static void consume_queue(rd_kafka_conf_t* conf, const char* topic, int parts, struct tally* t, int64_t give_up) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) die("rd_kafka_new", err);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    for (int p = 0; p < parts; p++)
        if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1)
            die("rd_kafka_consume_start_queue", rd_kafka_err2str(rd_kafka_last_error()));
    while (t->count < t->n && now_ns(CLOCK_MONOTONIC) < give_up) {
        if (rd_kafka_consume_callback_queue(q, 1000, on_queued_message, t) == -1)
            die("rd_kafka_consume_callback_queue", rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(rk, 0); /* errors and statistics, as rdkafka_performance does */
    }
    for (int p = 0; p < parts; p++) rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

/* The high-level consumer, one message per rd_kafka_consumer_poll(). */
static void consume_poll(rd_kafka_conf_t* conf, const char* topic, int parts, struct tally* t, int64_t give_up) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) die("rd_kafka_new", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, list);
    if (e) die("rd_kafka_assign", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(list);
    while (t->count < t->n && now_ns(CLOCK_MONOTONIC) < give_up) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) continue;
        count_message(m, t);
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Delivery reports of the latency producer: ack time minus send time (the payload's timestamp). */
static int64_t* acks;
static long nacks, failed;
static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
    int64_t ts;
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
    else if (parse_ts(m, &ts))
        acks[nacks++] = now_ns(CLOCK_REALTIME) - ts;
}

static int produce(const char* brokers, const char* topic, int32_t partition, int rate, double seconds, int size,
                   char** extra, int nextra) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    set(conf, "bootstrap.servers", brokers);
    set(conf, "linger.ms", "0");
    set(conf, "acks", "1");
    apply_extra(conf, extra, nextra);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    acks = malloc(sizeof(int64_t) * (size_t)(rate * seconds + 1));
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) die("rd_kafka_new", err);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic, NULL);
    long total = (long)(rate * seconds);
    char* buf = malloc((size_t)size + 32);
    int64_t t0 = now_ns(CLOCK_MONOTONIC) + 200000000; /* start 200 ms from now */
    for (long i = 0; i < total; i++) {
        int64_t due = t0 + (int64_t)((double)i * 1e9 / rate);
        struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        int len = snprintf(buf, (size_t)size + 32, "%019" PRId64 " ", now_ns(CLOCK_REALTIME));
        while (len < size) buf[len++] = 'x';
        while (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, buf, (size_t)len, NULL, 0, NULL) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                die("produce", rd_kafka_err2str(rd_kafka_last_error()));
            rd_kafka_poll(rk, 1);
        }
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("flush", "timed out");
    printf("rdkafka_bench: produced %ld records at %d/s, %ld failed\n", total, rate, failed);
    print_quantiles("ack_latency_ms", acks, nacks);
    free(acks);
    free(buf);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char** argv) {
    const char *brokers = NULL, *topic = NULL;
    long long n = 0, skip = -1;
    int parts = 6, producing = 0, queue_drive = 0, rate = 1000, size = 100, partition = RD_KAFKA_PARTITION_UA;
    double seconds = 10, timeout_s = 120;
    char* extra[64];
    int nextra = 0;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (die("missing value after", a), (char*)NULL))
        if (!strcmp(a, "-b"))
            brokers = NEXT();
        else if (!strcmp(a, "-t"))
            topic = NEXT();
        else if (!strcmp(a, "-p"))
            parts = atoi(NEXT());
        else if (!strcmp(a, "-n"))
            n = atoll(NEXT());
        else if (!strcmp(a, "--latency"))
            skip = atoll(NEXT());
        else if (!strcmp(a, "--timeout"))
            timeout_s = atof(NEXT());
        else if (!strcmp(a, "--drive")) {
            const char* d = NEXT();
            if (strcmp(d, "poll") && strcmp(d, "queue")) die("--drive takes poll or queue, not", d);
            queue_drive = !strcmp(d, "queue");
        } else if (!strcmp(a, "--version")) {
            printf("%s\n", rd_kafka_version_str()); /* of the librdkafka loaded, not of the headers */
            return 0;
        } else if (!strcmp(a, "--produce"))
            producing = 1;
        else if (!strcmp(a, "--rate"))
            rate = atoi(NEXT());
        else if (!strcmp(a, "--seconds"))
            seconds = atof(NEXT());
        else if (!strcmp(a, "--size"))
            size = atoi(NEXT());
        else if (!strcmp(a, "--partition"))
            partition = atoi(NEXT());
        else if (!strcmp(a, "-X")) {
            char* kv = NEXT();
            if (!strchr(kv, '=') || nextra == 64) die("-X needs key=value", kv);
            extra[nextra++] = kv;
        } else
            die("unknown argument", a);
#undef NEXT
    }
    if (!brokers || !topic) die("-b and -t are required", NULL);
    if (producing) return produce(brokers, topic, partition, rate, seconds, size < 20 ? 20 : size, extra, nextra);
    if (n <= 0 || parts <= 0) die("-n and -p must be positive", NULL);
    printf("rdkafka_bench: librdkafka %s, drive %s\n", rd_kafka_version_str(), queue_drive ? "queue" : "poll");

    struct tally t = {0, 0, n, skip, 0, skip >= 0 ? malloc(sizeof(int64_t) * (size_t)(n > skip ? n - skip : 1)) : NULL};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "check.crcs", "true");
    if (!queue_drive) {
        set(conf, "group.id", "rdkafka-bench");
        set(conf, "enable.auto.commit", "false");
        set(conf, "enable.auto.offset.store", "false");
    }
    apply_extra(conf, extra, nextra);
    int64_t t0 = now_ns(CLOCK_MONOTONIC), give_up = t0 + (int64_t)(timeout_s * 1e9);
    if (queue_drive)
        consume_queue(conf, topic, parts, &t, give_up);
    else
        consume_poll(conf, topic, parts, &t, give_up);
    double secs = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
    printf("rdkafka_bench: %lld records, %lld value bytes, %.3f s, %.0f records/s\n", t.count, t.bytes, secs,
           secs > 0 ? (double)t.count / secs : 0.0);
    if (t.lat) {
        print_quantiles("latency_ms", t.lat, t.nlat);
        free(t.lat);
    }
    return t.count < n ? 3 : 0;
}
