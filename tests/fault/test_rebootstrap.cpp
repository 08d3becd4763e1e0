// Re-bootstrap on a real 3-node Kafka 4.3.1 cluster (fixture flt3, tests/fault/fault-fixture.sh):
// metadata.recovery.strategy (KIP-899, Java 4.x's default `rebootstrap`), the acceptance
// "all brokers restarted on new ports behind the same bootstrap name: consumption resumes".
//
// The whole cluster moves at once (scripts/kafka-broker.sh move: every node's PLAINTEXT listener to
// new ports, the KRaft controllers and the data stay), so no broker a consumer learned from metadata
// is ever reachable again. The consumers' bootstrap.servers name node 1 where it is now and where it
// will be: only a consumer that goes back to bootstrap.servers finds the cluster again. Consumers
// with `rebootstrap` (the default, and set explicitly; assigned ones, one with a short
// metadata.recovery.rebootstrap.trigger.ms, and a group member) must read every record produced after
// the move; one with `none`, which keeps trying the brokers it knew, must not within 20 s (else the
// move would not tell a re-bootstrap from none). Each consumer is polled by a thread of its own. One
// move for all of them, and flt3 goes back to its home ports (59092...) however the test ends: the
// other [cluster] tests use them.
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

/// One consumer of the test, polled by a thread of its own as an application would (start() to
/// stop()): what it returned, what poll() threw, and when it had every record of `target`. The
/// test thread reads only the atomics while it runs, everything after stop().
struct reader {
    std::string label;
    bool should_resume = true;
    bool group = false;
    std::unique_ptr<observed_consumer> oc;
    record_collector c;
    std::unique_ptr<periodic_commits> commits;  // group member only; points at oc and c (declared after them)
    std::vector<std::string> errors;
    std::atomic<std::size_t> count{0};  // c.unique_count() after the last poll
    std::atomic<const topic_contents*> target{nullptr};
    steady::time_point target_since{};       // set before target
    std::atomic<long long> complete_ms{-1};  // ms from target_since until c held all of target
    std::atomic<bool> stopping{false};
    std::thread thread;

    ~reader() { stop(); }
    void start() {
        stopping = false;
        thread = std::thread([this] {
            while (!stopping) {
                try {
                    poll_into(*oc->consumer, c, 200ms);
                    if (commits) (*commits)();
                } catch (const std::exception& e) {
                    if (errors.size() < 20) errors.push_back(e.what());
                }
                count = c.unique_count();
                auto* t = target.load();
                if (t && complete_ms < 0 && c.diff(*t).empty()) complete_ms = ms_since(target_since);
            }
        });
    }
    void stop() {
        stopping = true;
        if (thread.joinable()) thread.join();
    }
    std::string errors_text() const {
        std::string s;
        for (auto const& e : errors) s += e + "\n";
        return s;
    }
};

/// Lines of a consumer's log containing `words`.
std::size_t logged(const observed_consumer& oc, const std::string& words) {
    std::lock_guard<std::mutex> g(*oc.lines_mutex);
    return static_cast<std::size_t>(std::count_if(
        oc.lines->begin(), oc.lines->end(), [&](const std::string& l) { return l.find(words) != std::string::npos; }));
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
    topic_contents after;  // the log after the move; outlives the readers, whose threads compare with it

    // Node 1 now and after the move: a bootstrap name that follows the cluster.
    const std::string bootstrap = address(home, 1) + "," + address(moved, 1);
    std::vector<kafka::topic_partition> all;
    for (int p = 0; p < partitions; ++p) all.push_back({topic, p});
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
            // Metadata first: a member that joins before its first metadata answer (the first try
            // may go to node 1's future address, refused) can be assigned nothing, and was seen
            // to stay so for 45 s; that is not what this test is about.
            CHECK((*r->oc)->partitionsFor(topic).size() == static_cast<std::size_t>(partitions));
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
    // KIP-1102's trigger: no metadata for this long (the cluster is down longer during the move).
    add_reader("assigned, metadata.recovery.strategy=rebootstrap, metadata.recovery.rebootstrap.trigger.ms=5000",
               assign_settings({{"metadata.recovery.strategy", "rebootstrap"},
                                {"metadata.recovery.rebootstrap.trigger.ms", "5000"}}),
               false, true);
    add_reader("assigned, metadata.recovery.strategy=none", assign_settings({{"metadata.recovery.strategy", "none"}}),
               false, false);
    REQUIRE(!readers.empty());

    // Everyone has read the records from before the move.
    auto read_before = [&] {
        for (auto& r : readers)
            if (r->count < static_cast<std::size_t>(n)) return false;
        return true;
    };
    for (auto& r : readers) r->start();
    for (auto deadline = steady::now() + 45s; !read_before() && steady::now() < deadline;)
        std::this_thread::sleep_for(100ms);
    for (auto& r : readers) r->stop();
    for (auto& r : readers) {
        INFO(r->label);
        INFO(r->oc->log_tail(20));
        INFO(r->errors_text());
        CHECK(r->c.diff(before).empty());
    }
    REQUIRE(read_before());

    // The move: every node down at once, then up with PLAINTEXT on the new ports.
    // The consumers keep polling through the move, the records produced after it and the wait.
    for (auto& r : readers) r->start();
    auto t_move = steady::now();
    auto moving = std::async(std::launch::async, [&] { move_cluster(moved); });
    if (moving.wait_for(240s) != std::future_status::ready) FAIL("kafka-broker.sh move did not finish in 240 s");
    moving.get();
    REQUIRE(current_bootstrap() == addresses(moved));
    log_line("rebootstrap: flt3 moved to " + addresses(moved) + " in " + std::to_string(ms_since(t_move)) + " ms");

    // Records after the move, produced by kcat bootstrapped at the new ports.
    produce(addresses(moved), topic, numbered("b", n, n));
    after = kcat_read_all(addresses(moved), topic);
    REQUIRE(count_records(after) == static_cast<std::size_t>(2 * n));
    auto t_produced = steady::now();
    for (auto& r : readers) {
        r->target_since = t_produced;
        r->target = &after;
    }

    // The re-bootstrapping readers get everything; the `none` one has 20 s to show it does not.
    const auto none_window = 20s;
    const auto resume_deadline = 60s;
    for (;;) {
        bool waiting = false;
        for (auto& r : readers)
            if (r->should_resume && r->complete_ms < 0) waiting = true;
        auto elapsed = steady::now() - t_produced;
        if ((!waiting && elapsed >= none_window) || elapsed >= resume_deadline) break;
        std::this_thread::sleep_for(100ms);
    }
    for (auto& r : readers) r->stop();
    for (auto& r : readers) {
        auto& oc = *r->oc;
        std::string old_nodes;
        for (int node = 1; node <= 3; ++node)
            old_nodes += (node == 1 ? "" : ", ") + std::to_string(connects_to(oc, address(home, node), t_move));
        log_line("rebootstrap, " + r->label + ": " +
                 (r->complete_ms >= 0 ? "every record within " + std::to_string(r->complete_ms) + " ms"
                                      : std::string("NOT every record")) +
                 " after those of the move were in the log; " + std::to_string(r->c.unique_count()) +
                 " records; since the move, connection attempts to the new ports " +
                 std::to_string(connects_to(oc, addresses(moved), t_move)) + ", to the old ones of nodes 1, 2, 3 " +
                 old_nodes + "; 're-bootstrapping' logged " + std::to_string(logged(oc, "re-bootstrapping")) +
                 " times; poll errors " + std::to_string(r->errors.size()) +
                 (r->c.rewinds.empty() ? "" : "; re-read " + r->c.rewinds.front()));
        INFO(r->label);
        INFO(oc.log_tail(30));
        INFO("poll() threw:\n" << r->errors_text());
        INFO(r->c.diff(after));
        CHECK(r->c.anomalies.empty());
        if (r->should_resume) {
            CHECK(r->complete_ms >= 0);
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
