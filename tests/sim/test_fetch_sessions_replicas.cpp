// Simulated end to end: incremental fetch sessions (KIP-227), log truncation detection (KIP-320)
// and fetching from a preferred read replica (KIP-392), against the fake cluster's brokers.
#include "sim_support.hpp"

#include <kafka/metrics.hpp>

#include <map>
#include <string>
#include <vector>

using namespace sim_support;

namespace {

/// The Fetch requests the brokers saw, decoded, with the node and the frame's size.
struct fetch_log {
    struct entry {
        std::int32_t node;
        std::int16_t version;
        std::size_t bytes;
        proto::FetchRequest req;
        std::size_t partitions() const {
            std::size_t n = 0;
            for (auto const& t : req.topics) n += t.partitions.size();
            return n;
        }
        std::size_t forgotten() const {
            std::size_t n = 0;
            for (auto const& t : req.forgotten_topics_data) n += t.partitions.size();
            return n;
        }
    };
    std::vector<entry> all;

    void watch(kt::fake_cluster& cluster) {
        cluster.on_request([this](const kt::request_info& info) {
            if (info.api_key != fetch_key) return;
            entry e{info.node, 0, info.frame.size(), {}};
            std::int32_t corr = 0;
            REQUIRE_FALSE(proto::decode_request(info.frame, e.req, e.version, corr));
            all.push_back(std::move(e));
        });
    }
    /// Partitions named (sent or forgotten) in requests from index `from` on.
    std::set<std::int32_t> named(std::size_t from, bool forgotten = false) const {
        std::set<std::int32_t> out;
        for (auto i = from; i < all.size(); ++i) {
            if (forgotten) {
                for (auto const& t : all[i].req.forgotten_topics_data)
                    out.insert(t.partitions.begin(), t.partitions.end());
            } else {
                for (auto const& t : all[i].req.topics)
                    for (auto const& p : t.partitions) out.insert(p.partition);
            }
        }
        return out;
    }
};

std::vector<topic_partition> list_of(const std::string& topic, int n) {
    auto s = partitions_of(topic, n);
    return {s.begin(), s.end()};
}

double metric_value(const sim_consumer& c, const std::string& name, const std::map<std::string, std::string>& tags) {
    auto all = c.metrics().all;
    auto m = kafka::find_metric(all, name, tags);
    if (!m) FAIL("no metric " << name);
    return m->value;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Fetch sessions.

TEST_CASE("fetch sessions sim: with 300 idle partitions, the steady-state Fetch names none of them",
          "[sim][engine][fetch][sessions]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 300);
    for (int p = 0; p < 300; ++p) cluster.produce("t", p, "v" + std::to_string(p));
    fetch_log log;
    log.watch(cluster);
    auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}});
    c->assign(list_of("t", 300));
    c->seekToBeginning(list_of("t", 300));
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 300; }));
    // Idle: every partition at the log end, nothing new.
    auto idle_from = log.all.size();
    for (int i = 0; i < 30; ++i) seen.add(c->poll(100ms));
    REQUIRE(log.all.size() > idle_from + 5);
    auto const& first = log.all.front();
    CHECK(first.partitions() == 300);  // the first request is full
    std::size_t full_bytes = 0;
    for (auto const& e : log.all) full_bytes = std::max(full_bytes, e.bytes);
    CHECK(full_bytes > 300 * 20);
    // The idle requests (after the one that told the broker the last new offsets) name nothing.
    for (auto i = idle_from + 2; i < log.all.size(); ++i) {
        auto const& e = log.all[i];
        INFO("request " << i << " of " << e.bytes << " bytes, epoch " << e.req.session_epoch);
        CHECK(e.req.session_id != 0);
        CHECK(e.req.session_epoch > 0);
        CHECK(e.partitions() == 0);
        CHECK(e.forgotten() == 0);
        CHECK(e.bytes < 100);
    }
    // New records in one partition: they arrive, and that partition alone is named again.
    auto before = log.all.size();
    cluster.produce("t", 123, "late");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 301; }));
    for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
    CHECK(log.named(before) == std::set<std::int32_t>{123});
    for (int p = 0; p < 300; ++p) CHECK(seen.contiguous({"t", p}, 0, p == 123 ? 2 : 1));
    CHECK(cluster.fetch_sessions().count(0) == 1);
}

TEST_CASE(
    "fetch sessions sim: a session the broker lost or refused: the next request is full, nothing lost "
    "or repeated",
    "[sim][engine][fetch][sessions]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 4);
    fetch_log log;
    log.watch(cluster);
    auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}});
    c->assign(list_of("t", 4));
    c->seekToBeginning(list_of("t", 4));
    seen_records seen;
    int produced = 0;
    auto produce_round = [&] {
        for (int p = 0; p < 4; ++p) cluster.produce("t", p, "r" + std::to_string(produced++));
    };
    produce_round();
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 4; }));

    REQUIRE(cluster.fetch_sessions().count(0) == 1);
    SECTION("evicted (FETCH_SESSION_ID_NOT_FOUND)") {
        cluster.fetch_sessions().evict();
        CHECK(cluster.fetch_sessions().count(0) == 0);
    }
    SECTION("a fetch that failed (connection cut while the broker waits for data)") {
        for (int i = 0; i < 3; ++i) seen.add(c->poll(100ms));
        CHECK(seen.count() == 4);
        cluster.disconnect_all(0);
    }
    SECTION("the broker opens no more sessions") {
        cluster.fetch_sessions().evict();
        cluster.fetch_sessions().enabled = false;
        CHECK(cluster.fetch_sessions().count(0) == 0);
    }
    auto from = log.all.size();
    for (int round = 0; round < 3; ++round) {
        produce_round();
        auto want = static_cast<std::size_t>(produced);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == want; }));
    }
    for (int p = 0; p < 4; ++p) CHECK(seen.contiguous({"t", p}, 0, 4));
    // A full request (epoch 0, or without a session) followed the failure, naming all four partitions.
    bool full_again = false;
    for (auto i = from; i < log.all.size(); ++i)
        if (log.all[i].req.session_epoch <= 0 && log.all[i].partitions() == 4) full_again = true;
    CHECK(full_again);
}

TEST_CASE(
    "fetch sessions sim: pause, seek, leader moves and re-assignment change the session; nothing lost or "
    "repeated",
    "[sim][engine][fetch][sessions]") {
    kt::fake_cluster cluster;  // 3 brokers, partition p led by node p % 3
    cluster.create_topic("t", 6);
    fetch_log log;
    log.watch(cluster);
    auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}});
    auto all = list_of("t", 6);
    c->assign(all);
    c->seekToBeginning(all);
    seen_records seen;
    auto produce_each = [&](const std::string& tag) {
        for (int p = 0; p < 6; ++p) cluster.produce("t", p, tag + std::to_string(p));
    };
    produce_each("a");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 6; }));

    // Paused: forgotten by its broker's session, nothing of it returned; resumed: named again.
    topic_partition t1{"t", 1};
    c->pause({t1});
    auto from = log.all.size();
    produce_each("b");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 11; }));
    for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
    CHECK(seen.count() == 11);
    CHECK(log.named(from, /*forgotten=*/true).count(1));
    c->resume({t1});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 12; }));

    // A seek back: the partition is named with the new offset and read again from there.
    topic_partition t2{"t", 2};
    c->seek(t2, 0);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.offsets[t2].size() == 4; }));
    CHECK(seen.offsets[t2] == std::vector<std::int64_t>{0, 1, 0, 1});

    // The leader of t-0 moves from node 0 to node 1: forgotten there, added here.
    cluster.move_leader("t", 0, 1);
    produce_each("c");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 20; }));

    // Re-assigned without t-5: forgotten; with it again: consumed from where it was.
    std::vector<topic_partition> five(all.begin(), std::prev(all.end()));
    c->assign(five);
    produce_each("d");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 25; }));
    c->assign(all);
    c->seek(topic_partition{"t", 5}, 3);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 26; }));
    for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
    CHECK(seen.count() == 26);
    for (int p : {0, 1, 3, 4}) CHECK(seen.contiguous({"t", p}, 0, 4));
    CHECK(seen.offsets[{"t", 5}] == std::vector<std::int64_t>{0, 1, 2, 3});
    // Every node's session lived on (no request failed).
    for (auto const& e : log.all)
        if (e.req.session_epoch == 0) CHECK(e.req.session_id == 0);
}

TEST_CASE("fetch sessions sim: a broker serving Fetch below v7 gets full requests without a session",
          "[sim][engine][fetch][sessions]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.limit_version(fetch_key, 6);
    cluster.create_topic("t", 3);
    fetch_log log;
    log.watch(cluster);
    auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}});
    c->assign(list_of("t", 3));
    c->seekToBeginning(list_of("t", 3));
    for (int p = 0; p < 3; ++p) cluster.produce("t", p, "x");
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    for (int i = 0; i < 5; ++i) seen.add(c->poll(100ms));
    REQUIRE(!log.all.empty());
    for (auto const& e : log.all) {
        CHECK(e.version <= 6);
        CHECK(e.partitions() == 3);
    }
}

// ---------------------------------------------------------------------------------------------
// Log truncation (KIP-320).

TEST_CASE("truncation sim: an unclean leader election cut the log the consumer read", "[sim][engine][truncation]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    topic_partition tp{"t", 0};
    produce_batches(cluster, "t", 0, 5, 2);  // offsets 0..9 under leader epoch 0
    std::string reset = GENERATE("earliest", "latest", "none");
    auto c = make_consumer(cluster, {{"auto.offset.reset", reset}, {"fetch.max.wait.ms", "100"}});
    c->assign({tp});
    c->seek(tp, 0);
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 10; }));
    // The new leader had only offsets 0..5; it writes three records of its own from offset 6.
    cluster.truncate("t", 0, 6);
    cluster.produce_values("t", 0, {"n6", "n7", "n8"});
    if (reset == "none") {
        std::optional<kafka::log_truncation_error> caught;
        for (int i = 0; i < 50 && !caught; ++i) {
            try {
                seen.add(c->poll(100ms));
            } catch (const kafka::log_truncation_error& e) {
                caught = e;
            }
        }
        REQUIRE(caught);
        CHECK(caught->partitions() == std::map<topic_partition, std::int64_t>{{tp, 10}});
        REQUIRE(caught->divergent_offsets().count(tp));
        CHECK(caught->divergent_offsets().at(tp).offset == 6);
        CHECK(caught->divergent_offsets().at(tp).leader_epoch == 0);
        CHECK(std::string(caught->what()).find("t-0") != std::string::npos);
        CHECK(seen.count() == 10);
        // The user decides: seek to the divergence point and read the new leader's records.
        c->seek(tp, caught->divergent_offsets().at(tp));
    }
    // Under earliest/latest the consumer resets to the divergence point by itself.
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 13; }));
    CHECK(std::vector<std::string>(seen.values.begin() + 10, seen.values.end()) ==
          std::vector<std::string>{"n6", "n7", "n8"});
    CHECK(c->position(tp) == 9);
}

TEST_CASE("truncation sim: a seek carrying a leader epoch the log no longer has is detected",
          "[sim][engine][truncation]") {
    kt::fake_cluster cluster({.brokers = 1});
    cluster.create_topic("t", 1);
    topic_partition tp{"t", 0};
    produce_batches(cluster, "t", 0, 4, 2);  // 0..7, epoch 0
    cluster.truncate("t", 0, 4);             // epoch 1 from offset 4
    cluster.produce_values("t", 0, {"n4", "n5", "n6", "n7", "n8"});
    auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}, {"fetch.max.wait.ms", "100"}});
    c->assign({tp});
    // A committed position from before the election: offset 7 read under epoch 0.
    c->seek(tp, kafka::offset_and_metadata{7, "", 0});
    bool caught = false;
    for (int i = 0; i < 50 && !caught; ++i) {
        try {
            c->poll(100ms);
        } catch (const kafka::log_truncation_error& e) {
            caught = true;
            CHECK(e.divergent_offsets().at(tp).offset == 4);
        }
    }
    CHECK(caught);
    // A position the log still has under that epoch is fine.
    c->seek(tp, kafka::offset_and_metadata{3, "", 0});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 6; }));
    CHECK(seen.contiguous(tp, 3, 9));
}

// ---------------------------------------------------------------------------------------------
// Preferred read replica (KIP-392).

TEST_CASE(
    "read replica sim: with client.rack the consumer reads from the replica the leader names, and goes "
    "back to the leader when it fails",
    "[sim][engine][fetch][replica]") {
    kt::fake_cluster cluster;  // 3 brokers
    cluster.create_topic("t", 1, {0});
    cluster.set_read_replica("t", 0, 2);
    topic_partition tp{"t", 0};
    produce_batches(cluster, "t", 0, 5, 4);
    fetch_log log;
    log.watch(cluster);

    SECTION("without client.rack: the leader only") {
        auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}});
        c->assign({tp});
        c->seek(tp, 0);
        seen_records seen;
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 20; }));
        CHECK(cluster.request_count(fetch_key, 2) == 0);
        CHECK(metric_value(*c, "preferred-read-replica", {{"topic", "t"}, {"partition", "0"}}) == -1);
    }
    SECTION("with client.rack") {
        auto c = make_consumer(cluster, {{"fetch.max.wait.ms", "100"}, {"client.rack", "r3"}});
        c->assign({tp});
        c->seek(tp, 0);
        seen_records seen;
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 20; }));
        CHECK(metric_value(*c, "preferred-read-replica", {{"topic", "t"}, {"partition", "0"}}) == 2);
        auto leader_fetches = cluster.request_count(fetch_key, 0);
        produce_batches(cluster, "t", 0, 5, 4);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 40; }));
        CHECK(cluster.request_count(fetch_key, 0) == leader_fetches);  // all from the replica
        CHECK(cluster.request_count(fetch_key, 2) >= 2);
        // The replica's node fails: back to the leader, nothing lost or repeated.
        cluster.set_down(2, true, /*fail_over=*/false);
        cluster.set_read_replica("t", 0, -1);
        produce_batches(cluster, "t", 0, 5, 4);
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 60; }));
        CHECK(seen.contiguous(tp, 0, 60));
        CHECK(cluster.request_count(fetch_key, 0) > leader_fetches);
        CHECK(metric_value(*c, "preferred-read-replica", {{"topic", "t"}, {"partition", "0"}}) == -1);
    }
}

TEST_CASE(
    "read replica sim: the preferred replica is followed for metadata.max.age.ms, then the leader is asked "
    "again",
    "[sim][engine][fetch][replica]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1, {0});
    cluster.set_read_replica("t", 0, 1);
    topic_partition tp{"t", 0};
    auto c =
        make_consumer(cluster, {{"fetch.max.wait.ms", "100"}, {"client.rack", "r2"}, {"metadata.max.age.ms", "5000"}});
    c->assign({tp});
    c->seek(tp, 0);
    cluster.produce("t", 0, "x");
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    auto leader_fetches = cluster.request_count(fetch_key, 0);
    for (int i = 0; i < 30; ++i) seen.add(c->poll(100ms));  // 3 s: within the lease
    CHECK(cluster.request_count(fetch_key, 0) == leader_fetches);
    for (int i = 0; i < 40; ++i) seen.add(c->poll(100ms));  // past it: the leader is asked, and points again
    CHECK(cluster.request_count(fetch_key, 0) > leader_fetches);
    CHECK(metric_value(*c, "preferred-read-replica", {{"topic", "t"}, {"partition", "0"}}) == 1);
    CHECK(seen.count() == 1);
}
