// The consumer's metrics with Java's names, groups, tags and meanings:
//   consumer-fetch-manager-metrics  records/bytes consumed (client and per topic), fetch rate,
//                                   latency and size, records-lag/-lead (client and per partition)
//   consumer-coordinator-metrics    commit rate and latency, rebalances, assigned-partitions
//   consumer-metrics                polls (last-poll-seconds-ago, time-between-poll, poll-idle-ratio),
//                                   connections, requests, responses and bytes over all brokers
//   consumer-node-metrics           requests, responses, bytes and request latency per broker
// The engine tells consumer_sensors what happened (the network client's events, each poll, the
// records it returns, commits, rebalances); snapshot() reads every metric at one instant.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kafka/client/network_client.hpp>
#include <kafka/metrics.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::detail {

class consumer_sensors {
public:
    consumer_sensors(metric_config cfg, std::string client_id) : cfg_(cfg), client_id_(std::move(client_id)) {}

    // ---- what happened ------------------------------------------------------------------

    void on_client_event(const client::client_event& e, std::int64_t now) {
        using k = client::client_event::kind;
        switch (e.what) {
            case k::connection_created:
                connections_.insert(e.node);
                connection_creation_.record(1, now);
                break;
            case k::connection_closed:
                connections_.erase(e.node);
                connection_close_.record(1, now);
                break;
            case k::reauthenticated:
                reauthentication_.record(1, now);
                break;
            case k::request_sent: {
                auto b = static_cast<double>(e.bytes);
                requests_.record(b, now);
                node(e.node).requests.record(b, now);
                break;
            }
            case k::response_received: {
                auto b = static_cast<double>(e.bytes);
                auto ms = std::chrono::duration<double, std::milli>(e.latency).count();
                responses_.record(b, now);
                auto& n = node(e.node);
                n.responses.record(b, now);
                n.latency.record(ms, now);
                if (e.api_key == fetch_api_key) {
                    fetch_latency_.record(ms, now);
                    fetch_size_.record(b, now);
                }
                break;
            }
        }
    }

    // As Java's KafkaConsumerMetrics: time-between-poll is start to start (0 for the first poll),
    // poll-idle-ratio is the time inside poll() over itself plus that time.
    void on_poll_start(std::int64_t now) {
        time_since_last_poll_ = last_poll_start_ >= 0 ? now - last_poll_start_ : 0;
        time_between_poll_.record(static_cast<double>(time_since_last_poll_), now);
        last_poll_start_ = now;
    }
    void on_poll_end(std::int64_t now) {
        auto in_poll = now - last_poll_start_;
        if (in_poll + time_since_last_poll_ <= 0) return;
        poll_idle_ratio_.record(static_cast<double>(in_poll) / static_cast<double>(in_poll + time_since_last_poll_),
                                now);
    }

    /// `records` of `topic` returned to the user, `bytes` their keys and values.
    void on_records(const std::string& topic, std::size_t records, std::size_t bytes, std::int64_t now) {
        auto r = static_cast<double>(records), b = static_cast<double>(bytes);
        records_consumed_.record(r, now);
        bytes_consumed_.record(b, now);
        auto& t = topics_.try_emplace(topic, cfg_).first->second;
        t.records.record(r, now);
        t.bytes.record(b, now);
    }
    /// After records of `tp` were returned: lag (end offset - position) and lead (position - log start).
    void on_partition_position(const topic_partition& tp, std::optional<std::int64_t> lag,
                               std::optional<std::int64_t> lead, std::int64_t now) {
        auto& p = partitions_.try_emplace(tp, cfg_).first->second;
        if (lag) {
            p.lag.record(static_cast<double>(*lag), now);
            records_lag_.record(static_cast<double>(*lag), now);
            p.last_lag = *lag;
        }
        if (lead) {
            p.lead.record(static_cast<double>(*lead), now);
            records_lead_.record(static_cast<double>(*lead), now);
            p.last_lead = *lead;
        }
    }
    /// A partition no longer assigned: its metrics go, as Java removes them.
    void forget_partitions(const std::set<topic_partition>& assigned) {
        std::erase_if(partitions_, [&](auto const& e) { return !assigned.count(e.first); });
    }

    /// A commit the broker accepted, `latency_ms` after it was sent.
    void on_commit(double latency_ms, std::int64_t now) { commit_.record(latency_ms, now); }

    void on_rebalance_start(std::int64_t now) {
        if (rebalance_started_ < 0) rebalance_started_ = now;
    }
    void on_rebalance_end(std::int64_t now, bool ok) {
        if (rebalance_started_ < 0) return;
        if (ok) {
            rebalance_.record(static_cast<double>(now - rebalance_started_), now);
            last_rebalance_end_ = now;
        } else {
            failed_rebalance_.record(1, now);
        }
        rebalance_started_ = -1;
    }
    bool rebalancing() const noexcept { return rebalance_started_ >= 0; }

    // ---- reading ------------------------------------------------------------------------

    /// Java's per-partition `preferred-read-replica`: the node a partition is read from when its
    /// leader pointed to another replica (KIP-392), -1 when read from the leader.
    metric preferred_read_replica(const topic_partition& tp, std::int32_t node) const {
        std::map<std::string, std::string> tags{
            {"client-id", client_id_}, {"topic", tp.topic}, {"partition", std::to_string(tp.partition)}};
        return {{"preferred-read-replica", "consumer-fetch-manager-metrics", std::move(tags),
                 "The current read replica for the partition, or -1 if reading from leader"},
                static_cast<double>(node)};
    }

    std::vector<metric> snapshot(std::int64_t now, std::size_t assigned_partitions) {
        std::vector<metric> out;
        std::map<std::string, std::string> client{{"client-id", client_id_}};
        auto add = [&](const char* group, const char* name, const std::map<std::string, std::string>& tags, double v,
                       const char* what) {
            out.push_back({{name, group, tags, what}, v});
        };

        const char* fm = "consumer-fetch-manager-metrics";
        add(fm, "records-consumed-rate", client, records_consumed_.rate(now),
            "The average number of records consumed per second");
        add(fm, "records-consumed-total", client, records_consumed_.total(), "The total number of records consumed");
        add(fm, "bytes-consumed-rate", client, bytes_consumed_.rate(now),
            "The average number of bytes consumed per second");
        add(fm, "bytes-consumed-total", client, bytes_consumed_.total(), "The total number of bytes consumed");
        add(fm, "fetch-rate", client, fetch_latency_.count_rate(now), "The number of fetch requests per second");
        add(fm, "fetch-total", client, fetch_latency_.total_count(), "The total number of fetch requests");
        add(fm, "fetch-latency-avg", client, fetch_latency_.avg(now),
            "The average time taken for a fetch request (ms)");
        add(fm, "fetch-latency-max", client, fetch_latency_.max(now), "The max time taken for any fetch request (ms)");
        add(fm, "fetch-size-avg", client, fetch_size_.avg(now), "The average number of bytes fetched per request");
        add(fm, "fetch-size-max", client, fetch_size_.max(now), "The maximum number of bytes fetched per request");
        add(fm, "records-lag-max", client, records_lag_.max(now),
            "The maximum lag in terms of number of records for any partition in this window");
        add(fm, "records-lead-min", client, records_lead_.min(now),
            "The minimum lead in terms of number of records for any partition in this window");
        for (auto& [topic, t] : topics_) {
            auto tags = client;
            tags["topic"] = topic;
            add(fm, "records-consumed-rate", tags, t.records.rate(now),
                "The average number of records consumed per second for a topic");
            add(fm, "records-consumed-total", tags, t.records.total(),
                "The total number of records consumed for a topic");
            add(fm, "bytes-consumed-rate", tags, t.bytes.rate(now),
                "The average number of bytes consumed per second for a topic");
            add(fm, "bytes-consumed-total", tags, t.bytes.total(), "The total number of bytes consumed for a topic");
        }
        for (auto& [tp, p] : partitions_) {
            auto tags = client;
            tags["topic"] = tp.topic;
            tags["partition"] = std::to_string(tp.partition);
            if (p.last_lag) {
                add(fm, "records-lag", tags, static_cast<double>(*p.last_lag), "The latest lag of the partition");
                add(fm, "records-lag-avg", tags, p.lag.avg(now), "The average lag of the partition");
                add(fm, "records-lag-max", tags, p.lag.max(now), "The max lag of the partition");
            }
            if (p.last_lead) {
                add(fm, "records-lead", tags, static_cast<double>(*p.last_lead), "The latest lead of the partition");
                add(fm, "records-lead-avg", tags, p.lead.avg(now), "The average lead of the partition");
                add(fm, "records-lead-min", tags, p.lead.min(now), "The min lead of the partition");
            }
        }

        const char* cm = "consumer-coordinator-metrics";
        add(cm, "commit-latency-avg", client, commit_.avg(now), "The average time taken for a commit request (ms)");
        add(cm, "commit-latency-max", client, commit_.max(now), "The max time taken for a commit request (ms)");
        add(cm, "commit-rate", client, commit_.count_rate(now), "The number of commit calls per second");
        add(cm, "commit-total", client, commit_.total_count(), "The total number of commit calls");
        add(cm, "rebalance-latency-avg", client, rebalance_.avg(now),
            "The average time taken for a group to complete a rebalance (ms)");
        add(cm, "rebalance-latency-max", client, rebalance_.max(now),
            "The max time taken for a group to complete a rebalance (ms)");
        add(cm, "rebalance-latency-total", client, rebalance_.total(),
            "The total number of milliseconds spent in rebalances");
        add(cm, "rebalance-total", client, rebalance_.total_count(), "The total number of successful rebalance events");
        add(cm, "rebalance-rate-per-hour", client, rebalance_.count_rate(now, 3600),
            "The number of successful rebalance events per hour");
        add(cm, "failed-rebalance-total", client, failed_rebalance_.total_count(),
            "The total number of failed rebalance events");
        add(cm, "failed-rebalance-rate-per-hour", client, failed_rebalance_.count_rate(now, 3600),
            "The number of failed rebalance events per hour");
        add(cm, "last-rebalance-seconds-ago", client,
            last_rebalance_end_ < 0 ? -1.0 : static_cast<double>(now - last_rebalance_end_) / 1000.0,
            "The number of seconds since the last successful rebalance event (-1: none yet)");
        add(cm, "assigned-partitions", client, static_cast<double>(assigned_partitions),
            "The number of partitions currently assigned to this consumer");

        const char* c = "consumer-metrics";
        add(c, "last-poll-seconds-ago", client,
            last_poll_start_ < 0 ? -1.0 : static_cast<double>(now - last_poll_start_) / 1000.0,
            "The number of seconds since the last poll() invocation (-1: none yet)");
        add(c, "time-between-poll-avg", client, time_between_poll_.avg(now),
            "The average delay between invocations of poll() (ms)");
        add(c, "time-between-poll-max", client, time_between_poll_.max(now),
            "The max delay between invocations of poll() (ms)");
        add(c, "poll-idle-ratio-avg", client, poll_idle_ratio_.avg(now),
            "The average fraction of time the consumer's poll() is idle as opposed to waiting for the user code to "
            "process records");
        add(c, "connection-count", client, static_cast<double>(connections_.size()),
            "The current number of active connections");
        add(c, "connection-creation-rate", client, connection_creation_.count_rate(now),
            "New connections established per second");
        add(c, "connection-creation-total", client, connection_creation_.total_count(),
            "Total new connections established");
        add(c, "connection-close-rate", client, connection_close_.count_rate(now), "Connections closed per second");
        add(c, "connection-close-total", client, connection_close_.total_count(), "Total connections closed");
        add(c, "successful-reauthentication-rate", client, reauthentication_.count_rate(now),
            "Connections re-authenticated per second (KIP-368)");
        add(c, "successful-reauthentication-total", client, reauthentication_.total_count(),
            "Total connections re-authenticated (KIP-368)");
        meters(out, c, client, requests_, responses_, now);

        for (auto& [id, n] : nodes_) {
            auto tags = client;
            tags["node-id"] = "node-" + std::to_string(id);
            meters(out, "consumer-node-metrics", tags, n.requests, n.responses, now);
            add("consumer-node-metrics", "request-latency-avg", tags, n.latency.avg(now),
                "The average request latency in ms");
            add("consumer-node-metrics", "request-latency-max", tags, n.latency.max(now),
                "The maximum request latency in ms");
        }
        return out;
    }

private:
    static constexpr std::int16_t fetch_api_key = 1;

    struct node_sensors {
        explicit node_sensors(metric_config c) : requests(c), responses(c), latency(c) {}
        sensor requests, responses, latency;
    };
    struct topic_sensors {
        explicit topic_sensors(metric_config c) : records(c), bytes(c) {}
        sensor records, bytes;
    };
    struct partition_sensors {
        explicit partition_sensors(metric_config c) : lag(c), lead(c) {}
        sensor lag, lead;
        std::optional<std::int64_t> last_lag, last_lead;
    };

    node_sensors& node(std::int32_t id) { return nodes_.try_emplace(id, cfg_).first->second; }

    void meters(std::vector<metric>& out, const char* group, const std::map<std::string, std::string>& tags,
                sensor& req, sensor& resp, std::int64_t now) {
        auto add = [&](const char* name, double v, const char* what) { out.push_back({{name, group, tags, what}, v}); };
        add("request-rate", req.count_rate(now), "The number of requests sent per second");
        add("request-total", req.total_count(), "The total number of requests sent");
        add("request-size-avg", req.avg(now), "The average size of requests sent");
        add("request-size-max", req.max(now), "The maximum size of any request sent");
        add("outgoing-byte-rate", req.rate(now), "The number of outgoing bytes sent per second");
        add("outgoing-byte-total", req.total(), "The total number of outgoing bytes sent");
        add("response-rate", resp.count_rate(now), "The number of responses received per second");
        add("response-total", resp.total_count(), "The total number of responses received");
        add("incoming-byte-rate", resp.rate(now), "The number of bytes read per second");
        add("incoming-byte-total", resp.total(), "The total number of bytes read");
    }

    metric_config cfg_;
    std::string client_id_;
    sensor records_consumed_{cfg_}, bytes_consumed_{cfg_}, fetch_latency_{cfg_}, fetch_size_{cfg_};
    sensor records_lag_{cfg_}, records_lead_{cfg_};
    sensor commit_{cfg_}, rebalance_{cfg_}, failed_rebalance_{cfg_};
    sensor time_between_poll_{cfg_}, poll_idle_ratio_{cfg_};
    sensor connection_creation_{cfg_}, connection_close_{cfg_}, reauthentication_{cfg_}, requests_{cfg_},
        responses_{cfg_};
    std::map<std::string, topic_sensors> topics_;
    std::map<topic_partition, partition_sensors> partitions_;
    std::map<std::int32_t, node_sensors> nodes_;
    std::set<std::int32_t> connections_;
    std::int64_t last_poll_start_ = -1;
    std::int64_t time_since_last_poll_ = 0;
    std::int64_t rebalance_started_ = -1;
    std::int64_t last_rebalance_end_ = -1;
};

}  // namespace kafka::detail
