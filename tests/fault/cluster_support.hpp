// Helpers of the fault suite's real-cluster tests (test_cluster_*.cpp): the cluster `flt3`, a group
// member's settings, polling with a deadline, the producer's sequence numbers, and the final
// comparison of what a consumer returned with the log as kcat reads it (Catch2 checks).
#pragma once

#include <catch2/catch.hpp>

#include "fault_support.hpp"

namespace fault {

inline const kafka_cluster& cluster() {
    static const kafka_cluster c;
    return c;
}

/// A group member that notices a lost coordinator or broker within seconds.
inline std::map<std::string, std::string> member_settings() {
    return {{"group.id", unique_name("gk")},   {"auto.offset.reset", "earliest"}, {"session.timeout.ms", "10000"},
            {"heartbeat.interval.ms", "1000"}, {"request.timeout.ms", "5000"},    {"default.api.timeout.ms", "15000"},
            {"fetch.max.wait.ms", "200"}};
}

/// A consumer outside any group: assign() and positions in memory only.
inline std::map<std::string, std::string> assign_settings(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> s{{"auto.offset.reset", "earliest"},
                                         {"fetch.max.wait.ms", "200"},
                                         {"request.timeout.ms", "5000"},
                                         {"default.api.timeout.ms", "15000"}};
    for (auto const& [k, v] : extra) s[k] = v;
    return s;
}

/// The producer's sequence number in a value "<prefix>-<i>" (-1 for other values).
inline long long sequence_of(const std::string& value, const std::string& prefix) {
    if (value.rfind(prefix + "-", 0) != 0) return -1;
    return std::stoll(value.substr(prefix.size() + 1));
}

/// Highest producer sequence number of `prefix` the consumer has seen, per partition.
inline std::map<int, long long> max_sequence(const record_collector& c, const std::string& prefix) {
    std::map<int, long long> out;
    for (auto const& [p, list] : c.by_partition)
        for (auto it = list.rbegin(); it != list.rend(); ++it)
            if (auto s = sequence_of(it->second, prefix); s >= 0) {
                out[p] = s;
                break;
            }
    return out;
}

/// Partitions in [0, partitions) from which no record of `prefix` with a sequence number above
/// `sent` has arrived yet (empty: every partition delivered records produced after that point).
inline std::vector<int> behind(const record_collector& c, const std::string& prefix, long long sent, int partitions) {
    auto seen = max_sequence(c, prefix);
    std::vector<int> out;
    for (int p = 0; p < partitions; ++p)
        if (!seen.count(p) || seen[p] <= sent) out.push_back(p);
    return out;
}

/// A group member's commitSync, at most once a second, run between polls. After a rebalance the
/// member may read again from its last successful commit: `c` allows exactly that rewind.
class periodic_commits {
public:
    periodic_commits(observed_consumer& oc, record_collector& c) : oc_(oc), c_(c) {
        c.allow_rewind = [this](int p, std::int64_t to, std::int64_t) {
            return (oc_.revoked > 0 || oc_.lost > 0) && committed.count(p) && committed[p] == to;
        };
    }
    periodic_commits(const periodic_commits&) = delete;  // the rewind rule points at this object
    periodic_commits& operator=(const periodic_commits&) = delete;
    ~periodic_commits() { c_.allow_rewind = nullptr; }

    void operator()() {
        if (ms_since(last_) < 1000) return;
        last_ = steady::now();
        try {
            oc_->commitSync(std::chrono::milliseconds(2000));
            ++ok;
            last_ok = steady::now();
            for (auto const& tp : oc_.assigned) committed[tp.partition] = c_.next_offset(tp.partition);
        } catch (const kafka::kafka_error&) {
            ++failed;
        }
    }

    std::map<int, std::int64_t> committed;  // partition -> offset of the last successful commit
    int ok = 0, failed = 0;
    steady::time_point last_ok{};

private:
    observed_consumer& oc_;
    record_collector& c_;
    steady::time_point last_ = steady::now();
};

/// A member of a new group reading `topic` (member_settings()): its consumer, what it returned, and
/// its commits once a second.
struct committing_member {
    explicit committing_member(const std::string& topic)
        : oc(make_config(cluster().bootstrap(), member_settings())), commits(oc, c) {
        oc->subscribe({topic}, oc.listener());
    }
    observed_consumer oc;
    record_collector c;
    periodic_commits commits;
};

/// The broker id listening on `peer` (host:port), -1 if none.
inline int node_of(const kcat_metadata& md, const std::string& peer) {
    for (auto const& [id, addr] : md.brokers)
        if (addr == peer) return id;
    return -1;
}

inline std::string join_ids(const std::vector<int>& v) {
    std::string s;
    for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

/// Polls until `done()` or the deadline; `each` runs after every poll.
template <class Done, class Each>
bool poll_until(observed_consumer& oc, record_collector& c, std::chrono::milliseconds timeout, Done done, Each&& each) {
    auto deadline = steady::now() + timeout;
    while (!done()) {
        if (steady::now() >= deadline) return false;
        poll_into(*oc.consumer, c, 200ms);
        each();
    }
    return true;
}
template <class Done>
bool poll_until(observed_consumer& oc, record_collector& c, std::chrono::milliseconds timeout, Done done) {
    return poll_until(oc, c, timeout, done, [] {});
}

/// Stops the producer, reads the whole topic with kcat, lets the consumer catch up and compares.
inline void finish_and_compare(observed_consumer& oc, record_collector& c, background_producer& producer,
                               const std::string& prefix, const std::string& bootstrap, const std::string& topic) {
    int status = producer.stop();
    INFO("kcat: " << producer.output());
    CHECK(status == 0);
    CHECK(producer.output().find("Delivery failed") == std::string::npos);
    auto truth = kcat_read_all(bootstrap, topic);
    // Every record the producer was given is in the log, once (idempotent producer).
    std::set<long long> seqs;
    std::size_t mine = 0;
    for (auto const& [p, list] : truth)
        for (auto const& [o, v] : list)
            if (auto s = sequence_of(v, prefix); s >= 0) {
                ++mine;
                seqs.insert(s);
            }
    CHECK(mine == static_cast<std::size_t>(producer.sent()));
    CHECK(seqs.size() == static_cast<std::size_t>(producer.sent()));
    auto want = count_records(truth);
    auto t0 = steady::now();
    bool caught_up = poll_until(oc, c, 30s, [&] { return c.unique_count() >= want; });
    log_line("caught up with the log (" + std::to_string(want) + " records) " + std::to_string(ms_since(t0)) +
             " ms after the producer stopped: " + (caught_up ? "yes" : "NO"));
    INFO(oc.log_tail(40));
    CHECK(caught_up);
    INFO("anomalies: " << c.anomalies.size() << (c.anomalies.empty() ? "" : ", first: " + c.anomalies.front()));
    CHECK(c.anomalies.empty());
    auto diff = c.diff(truth);
    INFO(diff);
    CHECK(diff.empty());
}

}  // namespace fault
