/* A librdkafka consumer-group member for test_mixed_group.cpp: joins GROUP subscribed to TOPIC
 * with the given partition.assignment.strategy and reports, line by line on stdout:
 *
 *   event: assign|revoke|error PROTOCOL TOPIC-P ...   each rebalance callback (the partitions it carries)
 *   assignment: TOPIC-P ...                           the member's whole assignment after it
 *   record: TOPIC-P@OFFSET                            each record consumed
 *   closed                                            after rd_kafka_consumer_close (LeaveGroup sent)
 *
 * SIGTERM or SIGINT: close the consumer (revoking its partitions and leaving the group), exit 0.
 *
 *   rdkafka_member BOOTSTRAP GROUP TOPIC STRATEGY [key=value]...
 */
#include <librdkafka/rdkafka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int compare_parts(const void* a, const void* b) {
    const rd_kafka_topic_partition_t* x = a;
    const rd_kafka_topic_partition_t* y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void print_parts(const char* prefix, const rd_kafka_topic_partition_list_t* parts) {
    printf("%s", prefix);
    if (parts) {
        rd_kafka_topic_partition_t* v = malloc(sizeof(*v) * (size_t)(parts->cnt ? parts->cnt : 1));
        memcpy(v, parts->elems, sizeof(*v) * (size_t)parts->cnt);
        qsort(v, (size_t)parts->cnt, sizeof(*v), compare_parts);
        for (int i = 0; i < parts->cnt; i++) printf(" %s-%d", v[i].topic, (int)v[i].partition);
        free(v);
    }
    printf("\n");
}

static void print_assignment(rd_kafka_t* rk) {
    rd_kafka_topic_partition_list_t* now = NULL;
    rd_kafka_resp_err_t err = rd_kafka_assignment(rk, &now);
    if (err) {
        printf("assignment-error: %s\n", rd_kafka_err2str(err));
        return;
    }
    print_parts("assignment:", now);
    rd_kafka_topic_partition_list_destroy(now);
}

static void check(rd_kafka_error_t* error, const char* what) {
    if (!error) return;
    printf("event: error %s: %s\n", what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
}

static void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
    (void)opaque;
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    int cooperative = protocol && strcmp(protocol, "COOPERATIVE") == 0;
    char prefix[64];
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        snprintf(prefix, sizeof prefix, "event: assign %s", protocol ? protocol : "NONE");
        print_parts(prefix, parts);
        if (cooperative)
            check(rd_kafka_incremental_assign(rk, parts), "incremental_assign");
        else
            rd_kafka_assign(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        snprintf(prefix, sizeof prefix, "event: revoke %s", protocol ? protocol : "NONE");
        print_parts(prefix, parts);
        if (cooperative)
            check(rd_kafka_incremental_unassign(rk, parts), "incremental_unassign");
        else
            rd_kafka_assign(rk, NULL);
    } else {
        printf("event: error %s\n", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
    print_assignment(rk);
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 5) {
        fprintf(stderr, "usage: rdkafka_member BOOTSTRAP GROUP TOPIC STRATEGY [key=value]...\n");
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const char* settings[][2] = {{"bootstrap.servers", argv[1]},
                                 {"group.id", argv[2]},
                                 {"partition.assignment.strategy", argv[4]},
                                 {"client.id", "rdkafka-member"},
                                 {"auto.offset.reset", "earliest"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "rdkafka_member: %s\n", errstr);
            return 2;
        }
    for (int i = 5; i < argc; i++) {
        char* eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "rdkafka_member: expected key=value, got '%s'\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "rdkafka_member: %s\n", errstr);
            return 2;
        }
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "rdkafka_member: %s\n", errstr);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "rdkafka_member: subscribe: %s\n", rd_kafka_err2str(err));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    while (!stop) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "rdkafka_member: %s\n", rd_kafka_message_errstr(m));
        } else {
            printf("record: %s-%d@%lld\n", rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset);
        }
        rd_kafka_message_destroy(m);
    }
    err = rd_kafka_consumer_close(rk);
    if (err) fprintf(stderr, "rdkafka_member: close: %s\n", rd_kafka_err2str(err));
    printf("closed\n");
    rd_kafka_destroy(rk);
    return 0;
}
