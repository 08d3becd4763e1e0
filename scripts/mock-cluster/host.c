/*
 * Standalone host for librdkafka's mock Kafka cluster (rdkafka_mock.h, librdkafka >= 2.0).
 *
 *   mock-cluster-host [BROKERS]        (default 3 brokers, ids 1..BROKERS, random 127.0.0.1 ports)
 *
 * The first stdout line is the bootstrap string. Then one command per stdin line; every command
 * answers exactly one stdout line, "ok" or "error: <reason>":
 *
 *   topic NAME PARTITIONS RF            create a topic
 *   down ID | up ID                     take a broker down (connections refused/closed) or up; ID -1 = all
 *   rtt ID MS                           add MS milliseconds of round-trip time to a broker
 *   rack ID RACK                        set a broker's rack
 *   leader TOPIC PARTITION ID           move a partition leader (ID -1: no leader)
 *   follower TOPIC PARTITION ID         preferred replica to fetch from
 *   wmarks TOPIC PARTITION LO HI        the follower's low/high watermarks (-1 = leader's)
 *   coordinator group|transaction KEY ID   pin a coordinator
 *   error APIKEY COUNT ERR...           push COUNT errors for the next requests of APIKEY (cluster-wide);
 *                                       one ERR with COUNT > 1 repeats it; ERR is a number or a name
 *                                       (NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, ...)
 *   broker-error ID APIKEY ERR RTT [ERR RTT]...   errors with delays (ms) on one broker
 *   clear APIKEY                        drop pending pushed errors for APIKEY
 *   topic-error TOPIC ERR               topic error in Metadata responses (ERR 0 clears)
 *   apiversion APIKEY MIN MAX           the versions advertised for APIKEY (-1 -1: not supported)
 *   bootstrap                           "ok <bootstrap string>"
 *   ping                                "ok"
 *   quit                                "ok", then exit
 *
 * Blank lines and lines starting with '#' are ignored (no answer). Exits 0 on quit, stdin EOF,
 * SIGTERM, SIGINT or SIGHUP. librdkafka's own log lines go to stderr.
 *
 * Build: cc -O1 host.c $(pkg-config --cflags --libs rdkafka)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_ARGS 66

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static void reply(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static int parse_long(const char* s, long min, long max, long* out) {
    char* end;
    long v;
    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || end == s || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static const struct {
    const char* name;
    rd_kafka_resp_err_t code;
} aliases[] = {
    {"NOT_LEADER_OR_FOLLOWER", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
    {"UNKNOWN_TOPIC_OR_PARTITION", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
    {"UNKNOWN_SERVER_ERROR", RD_KAFKA_RESP_ERR_UNKNOWN},
    {"CORRUPT_MESSAGE", RD_KAFKA_RESP_ERR_INVALID_MSG},
    {"COORDINATOR_LOAD_IN_PROGRESS", RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS},
    {"COORDINATOR_NOT_AVAILABLE", RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE},
    {"NOT_COORDINATOR", RD_KAFKA_RESP_ERR_NOT_COORDINATOR},
};

/* A Kafka error code as a number, or by name with or without the RD_KAFKA_RESP_ERR_ prefix. */
static int parse_err(const char* s, rd_kafka_resp_err_t* out) {
    long v;
    const struct rd_kafka_err_desc* descs;
    size_t n, i;
    if (parse_long(s, -1000, 1000, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0) s += 18;
    /* Kafka protocol spellings that librdkafka 2.0 names differently */
    for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcasecmp(aliases[i].name, s) == 0) {
            *out = aliases[i].code;
            return 0;
        }
    }
    rd_kafka_get_err_descs(&descs, &n);
    for (i = 0; i < n; i++) {
        if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
            *out = descs[i].code;
            return 0;
        }
    }
    return -1;
}

#define NEED(cond, usage)                     \
    do {                                      \
        if (!(cond)) {                        \
            reply("error: usage: %s", usage); \
            return 0;                         \
        }                                     \
    } while (0)
#define NUM(i, min, max, var, what)                     \
    do {                                                \
        if (parse_long(argv[i], min, max, &var)) {      \
            reply("error: bad %s '%s'", what, argv[i]); \
            return 0;                                   \
        }                                               \
    } while (0)
#define ERRCODE(i, var)                                       \
    do {                                                      \
        if (parse_err(argv[i], &var)) {                       \
            reply("error: unknown error code '%s'", argv[i]); \
            return 0;                                         \
        }                                                     \
    } while (0)

static void done(rd_kafka_resp_err_t err) {
    if (err)
        reply("error: %s (%s)", rd_kafka_err2name(err), rd_kafka_err2str(err));
    else
        reply("ok");
}

/* Returns 1 when the host should exit. */
static int run_command(rd_kafka_mock_cluster_t* mc, int argc, char** argv) {
    const char* c = argv[0];
    long a, b, d, e;
    rd_kafka_resp_err_t err;

    if (!strcmp(c, "quit") || !strcmp(c, "exit")) {
        reply("ok");
        return 1;
    } else if (!strcmp(c, "ping")) {
        reply("ok");
    } else if (!strcmp(c, "bootstrap")) {
        reply("ok %s", rd_kafka_mock_cluster_bootstraps(mc));
    } else if (!strcmp(c, "topic")) {
        NEED(argc == 4, "topic NAME PARTITIONS RF");
        NUM(2, 1, 100000, a, "partition count");
        NUM(3, 1, 1000, b, "replication factor");
        done(rd_kafka_mock_topic_create(mc, argv[1], (int)a, (int)b));
    } else if (!strcmp(c, "down") || !strcmp(c, "up")) {
        NEED(argc == 2, "down|up BROKER_ID");
        NUM(1, -1, INT32_MAX, a, "broker id");
        done(c[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)a) : rd_kafka_mock_broker_set_up(mc, (int32_t)a));
    } else if (!strcmp(c, "rtt")) {
        NEED(argc == 3, "rtt BROKER_ID MS");
        NUM(1, -1, INT32_MAX, a, "broker id");
        NUM(2, 0, 3600000, b, "rtt");
        done(rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b));
    } else if (!strcmp(c, "rack")) {
        NEED(argc == 3, "rack BROKER_ID RACK");
        NUM(1, -1, INT32_MAX, a, "broker id");
        done(rd_kafka_mock_broker_set_rack(mc, (int32_t)a, argv[2]));
    } else if (!strcmp(c, "leader") || !strcmp(c, "follower")) {
        NEED(argc == 4, "leader|follower TOPIC PARTITION BROKER_ID");
        NUM(2, 0, INT32_MAX, a, "partition");
        NUM(3, -1, INT32_MAX, b, "broker id");
        done(c[0] == 'l' ? rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a, (int32_t)b)
                         : rd_kafka_mock_partition_set_follower(mc, argv[1], (int32_t)a, (int32_t)b));
    } else if (!strcmp(c, "wmarks")) {
        NEED(argc == 5, "wmarks TOPIC PARTITION LO HI");
        NUM(2, 0, INT32_MAX, a, "partition");
        NUM(3, -1, LONG_MAX, d, "low watermark");
        NUM(4, -1, LONG_MAX, e, "high watermark");
        done(rd_kafka_mock_partition_set_follower_wmarks(mc, argv[1], (int32_t)a, d, e));
    } else if (!strcmp(c, "coordinator")) {
        NEED(argc == 4, "coordinator group|transaction KEY BROKER_ID");
        NEED(!strcmp(argv[1], "group") || !strcmp(argv[1], "transaction"),
             "coordinator group|transaction KEY BROKER_ID");
        NUM(3, -1, INT32_MAX, a, "broker id");
        done(rd_kafka_mock_coordinator_set(mc, argv[1], argv[2], (int32_t)a));
    } else if (!strcmp(c, "error")) {
        rd_kafka_resp_err_t errs[MAX_ARGS];
        long i, codes = argc - 3;
        NEED(argc >= 4, "error APIKEY COUNT ERR...");
        NUM(1, 0, INT16_MAX, a, "api key");
        NUM(2, 1, 1000000, b, "count");
        if (codes != 1 && codes != b) {
            reply("error: COUNT is %ld but %ld error codes were given (give 1 or COUNT)", b, codes);
            return 0;
        }
        for (i = 0; i < codes; i++) ERRCODE(3 + i, errs[i]);
        if (codes == 1 && b > 1) {
            rd_kafka_resp_err_t* many = malloc(sizeof(*many) * (size_t)b);
            if (!many) {
                reply("error: out of memory");
                return 0;
            }
            for (i = 0; i < b; i++) many[i] = errs[0];
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, many);
            free(many);
        } else {
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errs);
        }
        reply("ok");
    } else if (!strcmp(c, "broker-error")) {
        /* the variadic API takes (err, rtt) pairs; support up to 4 pairs */
        rd_kafka_resp_err_t ev[4] = {0};
        long rv[4] = {0};
        int pairs = (argc - 3) / 2, i;
        NEED(argc >= 5 && (argc - 3) % 2 == 0 && pairs <= 4,
             "broker-error BROKER_ID APIKEY ERR RTT [ERR RTT]... (max 4 pairs)");
        NUM(1, 0, INT32_MAX, a, "broker id");
        NUM(2, 0, INT16_MAX, b, "api key");
        for (i = 0; i < pairs; i++) {
            ERRCODE(3 + 2 * i, ev[i]);
            NUM(4 + 2 * i, 0, 3600000, rv[i], "rtt");
        }
        err = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t)a, (int16_t)b, (size_t)pairs, ev[0], (int)rv[0],
                                                           ev[1], (int)rv[1], ev[2], (int)rv[2], ev[3], (int)rv[3]);
        done(err);
    } else if (!strcmp(c, "clear")) {
        NEED(argc == 2, "clear APIKEY");
        NUM(1, 0, INT16_MAX, a, "api key");
        rd_kafka_mock_clear_request_errors(mc, (int16_t)a);
        reply("ok");
    } else if (!strcmp(c, "topic-error")) {
        NEED(argc == 3, "topic-error TOPIC ERR");
        ERRCODE(2, err);
        rd_kafka_mock_topic_set_error(mc, argv[1], err);
        reply("ok");
    } else if (!strcmp(c, "apiversion")) {
        NEED(argc == 4, "apiversion APIKEY MIN MAX");
        NUM(1, 0, INT16_MAX, a, "api key");
        NUM(2, -1, INT16_MAX, b, "min version");
        NUM(3, -1, INT16_MAX, d, "max version");
        done(rd_kafka_mock_set_apiversion(mc, (int16_t)a, (int16_t)b, (int16_t)d));
    } else {
        reply(
            "error: unknown command '%s' (topic down up rtt rack leader follower wmarks coordinator "
            "error broker-error clear topic-error apiversion bootstrap ping quit)",
            c);
    }
    return 0;
}

/* Splits a line in place on blanks; returns 1 when the host should exit. */
static int handle_line(rd_kafka_mock_cluster_t* mc, char* line) {
    char *argv[MAX_ARGS + 1], *save = NULL, *tok;
    int argc = 0;
    for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (argc == MAX_ARGS) {
            reply("error: too many arguments (max %d)", MAX_ARGS - 1);
            return 0;
        }
        argv[argc++] = tok;
    }
    if (argc == 0 || argv[0][0] == '#') return 0;
    argv[argc] = NULL;
    return run_command(mc, argc, argv);
}

int main(int argc, char** argv) {
    long brokers = 3;
    char errstr[512];
    rd_kafka_conf_t* conf;
    rd_kafka_t* rk;
    rd_kafka_mock_cluster_t* mc;
    struct sigaction sa;
    char buf[8192];
    size_t len = 0;
    int quit = 0;

    if (argc > 2 || (argc == 2 && (parse_long(argv[1], 1, 100, &brokers) != 0))) {
        fprintf(stderr, "usage: %s [BROKERS 1..100]\n", argv[0]);
        return 2;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        fprintf(stderr, "mock-cluster-host: %s\n", errstr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock-cluster-host: rd_kafka_new failed: %s\n", errstr);
        return 1;
    }
    mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (!mc) {
        fprintf(stderr, "mock-cluster-host: rd_kafka_mock_cluster_new failed\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    reply("%s", rd_kafka_mock_cluster_bootstraps(mc));

    while (!quit && !stop_signal) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        ssize_t n;
        char* nl;
        int r = poll(&pfd, 1, 500);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("mock-cluster-host: poll");
            break;
        }
        if (r == 0) continue;
        n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            perror("mock-cluster-host: read");
            break;
        }
        if (n == 0) { /* EOF: run a last unterminated line, then leave */
            if (len) {
                buf[len] = '\0';
                handle_line(mc, buf);
            }
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        while (!quit && (nl = memchr(buf, '\n', len))) {
            size_t used = (size_t)(nl - buf) + 1;
            *nl = '\0';
            quit = handle_line(mc, buf);
            memmove(buf, buf + used, len - used);
            len -= used;
            buf[len] = '\0';
        }
        if (len == sizeof(buf) - 1) {
            reply("error: line too long");
            len = 0;
        }
    }

    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
