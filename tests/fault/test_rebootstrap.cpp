// Re-bootstrap on a real 3-node Kafka 4.3.1 cluster (fixture flt3, tests/fault/fault-fixture.sh):
// metadata.recovery.strategy (KIP-899, Java 4.x's default `rebootstrap`), the acceptance
// "all brokers restarted on new ports behind the same bootstrap name: consumption resumes".
//
// The whole cluster moves at once (scripts/kafka-broker.sh move: every node's PLAINTEXT listener to
// new ports, the KRaft controllers and the data stay), so no broker a consumer learned from metadata
// is ever reachable again. The consumers' bootstrap.servers name node 1 where it is now and where it
// will be: only a consumer that goes back to bootstrap.servers finds the cluster again. Consumers
// with `rebootstrap` (the default, and set explicitly; one assigned, one a group member) must read
// every record produced after the move; one with `none`, which keeps trying the brokers it knew, must
// not within 20 s (else the move would not tell a re-bootstrap from none). One move for all of them,
// and flt3 goes back to its home ports (59092...) however the test ends: the other [cluster] tests
// use them.
#include <future>

#include "cluster_support.hpp"

using namespace fault;

namespace {

/// flt3's home PLAINTEXT port base: where fault-fixture.sh starts it.
int home_base() { return std::stoi(env_or("FAULT_CLUSTER_PORT_BASE", "59092")); }

/// Where the cluster goes: the same block of ten ports per node, clear of the controllers (base + 1).
int moved_base() { return home_base() + 5; }

std::string address(int base, int node) { return "127.0.0.1:" + std::to_string(base + 10 * (node - 1)); }

std::string addresses(int base) { return address(base, 1) + "," + address(base, 2) + "," + address(base, 3); }

/// The bootstrap list as the run dir says it now (cluster().bootstrap() was read once, at the start).
std::string current_bootstrap() {
    return read_env_file(env_or("FAULT_CLUSTER_ENV", source_dir() + "/.cache/run/flt3/env"))["KAFKA_BOOTSTRAP"];
}

/// scripts/kafka-broker.sh move: all nodes down, then up with PLAINTEXT on `base` (a no-op when there).
void move_cluster(int base) {
    cluster().broker("move --name " + cluster().name() + " --plaintext-base " + std::to_string(base));
}

/// Moves flt3 back home when the test ends, also on a failed REQUIRE or an exception.
struct move_home_guard {
    move_home_guard() = default;
    move_home_guard(const move_home_guard&) = delete;
    move_home_guard& operator=(const move_home_guard&) = delete;
    ~move_home_guard() {
        try {
            move_cluster(home_base());
        } catch (const std::exception& e) {
            log_line(std::string("rebootstrap: moving flt3 back home failed: ") + e.what());
        }
    }
};

/// One consumer of the test: its settings, what it returned, and what poll() threw.
struct reader {
    std::string label;
    bool should_resume = true;
    bool group = false;
    std::unique_ptr<observed_consumer> oc;
    record_collector c;
    std::unique_ptr<periodic_commits> commits;  // group member only; points at oc and c (declared after them)
    std::vector<std::string> errors;
    std::optional<long long> complete_ms;  // since the records after the move were in the log

    void poll(std::chrono::milliseconds timeout) {
        if (!oc) return;
        try {
            poll_into(*oc->consumer, c, timeout);
            if (commits) (*commits)();
        } catch (const std::exception& e) {
            if (errors.size() < 20) errors.push_back(e.what());
        }
    }
    std::string errors_text() const {
        std::string s;
        for (auto const& e : errors) s += e + "\n";
        return s;
    }
};

void poll_all(std::vector<std::unique_ptr<reader>>& rs) {
    for (auto& r : rs) r->poll(100ms);
}

/// Connection attempts of a consumer to `peers` since `t`.
std::size_t connects_to(const observed_consumer& oc, const std::string& peers, steady::time_point t) {
    std::size_t n = 0;
    for (auto const& [at, peer] : oc.wire->connects(t))
        if (("," + peers + ",").find("," + peer + ",") != std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_CASE(
    "cluster: every broker restarted on new ports, bootstrap.servers naming node 1's new address: with "
    "metadata.recovery.strategy=rebootstrap (the default) consumption resumes, every record once; with none "
    "it does not (KIP-899)",
    "[cluster][rebootstrap]") {
    if (!cluster().available()) FAIL(cluster().unavailable_reason());
    const int home = home_base(), moved = moved_base();
    move_home_guard guard;
    if (current_bootstrap() != addresses(home)) {
        log_line("rebootstrap: flt3 is at " + current_bootstrap() + "; moving it home first");
        move_cluster(home);
    }
    REQUIRE(current_bootstrap() == addresses(home));
    REQUIRE(cluster().settle(120s));
    auto t_start = steady::now();
    auto topic = unique_name("rbs");
    const int partitions = 3, n = 300;
    cluster().tool(
        "TopicCommand",
        "--create --topic " + topic + " --partitions " + std::to_string(partitions) + " --replication-factor 3",
        addresses(home));
    produce(addresses(home), topic, numbered("a", 0, n));
    auto before = kcat_read_all(addresses(home), topic);
    REQUIRE(count_records(before) == static_cast<std::size_t>(n));

    // Node 1 now and after the move: a bootstrap name that follows the cluster.
    const std::string bootstrap = address(home, 1) + "," + address(moved, 1);
    std::vector<kafka::topic_partition> all;
    for (int p = 0; p < partitions; ++p) all.push_back({topic, p});
    auto assign_settings = [](std::map<std::string, std::string> extra) {
        std::map<std::string, std::string> s{{"auto.offset.reset", "earliest"},
                                             {"fetch.max.wait.ms", "200"},
                                             {"request.timeout.ms", "5000"},
                                             {"default.api.timeout.ms", "15000"}};
        for (auto const& [k, v] : extra) s[k] = v;
        return s;
    };
    std::vector<std::unique_ptr<reader>> readers;
    auto add_reader = [&](std::string label, std::map<std::string, std::string> settings, bool group,
                          bool should_resume) {
        auto r = std::make_unique<reader>();
        r->label = std::move(label);
        r->group = group;
        r->should_resume = should_resume;
        try {
            r->oc = std::make_unique<observed_consumer>(make_config(bootstrap, settings));
        } catch (const std::exception& e) {
            FAIL_CHECK(r->label << ": the consumer was not constructed: " << e.what());
            return;
        }
        if (group) {
            r->commits = std::make_unique<periodic_commits>(*r->oc, r->c);
            (*r->oc)->subscribe({topic}, r->oc->listener());
        } else {
            (*r->oc)->assign(all);
        }
        readers.push_back(std::move(r));
    };
    add_reader("assigned, rebootstrap by default", assign_settings({}), false, true);
    add_reader("assigned, metadata.recovery.strategy=rebootstrap",
               assign_settings({{"metadata.recovery.strategy", "rebootstrap"}}), false, true);
    auto member = member_settings();
    member["metadata.recovery.strategy"] = "rebootstrap";
    add_reader("group member, metadata.recovery.strategy=rebootstrap", member, true, true);
    add_reader("assigned, metadata.recovery.strategy=none", assign_settings({{"metadata.recovery.strategy", "none"}}),
               false, false);
    REQUIRE(!readers.empty());

    // Everyone has read the records from before the move.
    auto read_before = [&] {
        for (auto& r : readers)
            if (r->c.unique_count() < static_cast<std::size_t>(n)) return false;
        return true;
    };
    for (auto deadline = steady::now() + 45s; !read_before() && steady::now() < deadline;) poll_all(readers);
    for (auto& r : readers) {
        INFO(r->label);
        INFO(r->oc->log_tail(20));
        INFO(r->errors_text());
        CHECK(r->c.diff(before).empty());
    }
    REQUIRE(read_before());

    // The move: every node down at once, then up with PLAINTEXT on the new ports.
    auto t_move = steady::now();
    auto move = std::async(std::launch::async, [&] { move_cluster(moved); });
    while (move.wait_for(0s) != std::future_status::ready && ms_since(t_move) < 240000) poll_all(readers);
    REQUIRE(move.wait_for(0s) == std::future_status::ready);
    move.get();
    REQUIRE(current_bootstrap() == addresses(moved));
    log_line("rebootstrap: flt3 moved to " + addresses(moved) + " in " + std::to_string(ms_since(t_move)) + " ms");

    // Records after the move, produced (by kcat, bootstrapped at the new ports) while the consumers poll.
    auto produced = std::async(std::launch::async, [&] { produce(addresses(moved), topic, numbered("b", n, n)); });
    while (produced.wait_for(0s) != std::future_status::ready) poll_all(readers);
    produced.get();
    auto after = kcat_read_all(addresses(moved), topic);
    REQUIRE(count_records(after) == static_cast<std::size_t>(2 * n));
    auto t_produced = steady::now();

    // The re-bootstrapping readers get everything; the `none` one has 20 s to show it does not.
    const auto none_window = 20s;
    const auto resume_deadline = 60s;
    for (;;) {
        bool waiting = false;
        for (auto& r : readers) {
            if (r->complete_ms) continue;
            if (r->c.diff(after).empty())
                r->complete_ms = ms_since(t_produced);
            else if (r->should_resume)
                waiting = true;
        }
        auto elapsed = steady::now() - t_produced;
        if ((!waiting && elapsed >= none_window) || elapsed >= resume_deadline) break;
        poll_all(readers);
    }
    for (auto& r : readers) {
        auto& oc = *r->oc;
        log_line("rebootstrap, " + r->label + ": " +
                 (r->complete_ms ? "every record within " + std::to_string(*r->complete_ms) + " ms"
                                 : std::string("NOT every record")) +
                 " after those of the move were in the log; " + std::to_string(r->c.unique_count()) +
                 " records; connection attempts to the new ports since the move " +
                 std::to_string(connects_to(oc, addresses(moved), t_move)) + ", to the old " +
                 std::to_string(connects_to(oc, addresses(home), t_move)) + "; poll errors " +
                 std::to_string(r->errors.size()) + (r->c.rewinds.empty() ? "" : "; re-read " + r->c.rewinds.front()));
        INFO(r->label);
        INFO(oc.log_tail(30));
        INFO("poll() threw:\n" << r->errors_text());
        INFO(r->c.diff(after));
        CHECK(r->c.anomalies.empty());
        if (r->should_resume) {
            CHECK(r->complete_ms.has_value());
            CHECK(r->errors.empty());
            if (!r->group) CHECK(r->c.rewinds.empty());  // assigned: every record exactly once
        } else {
            // Not one record produced after the move: the consumer stayed with the brokers it knew.
            CHECK(r->c.unique_count() == static_cast<std::size_t>(n));
            CHECK(ms_since(t_produced) >= std::chrono::milliseconds(none_window).count());
        }
    }
    for (auto& r : readers)
        if (r->group && r->oc) (*r->oc)->close();
    readers.clear();

    move_cluster(home);
    CHECK(current_bootstrap() == addresses(home));
    CHECK(cluster().settle(120s));
    log_line("rebootstrap test: " + std::to_string(ms_since(t_start)) + " ms");
}
