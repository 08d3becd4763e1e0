// Simulated end to end: fetching and positions: resets, pause, seek, fetch-ahead, partitions
// without a leader.
#include "sim_support.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using namespace sim_support;

// ---------------------------------------------------------------------------------------------
// Leaders.

TEST_CASE("engine sim: a partition without a leader is consumed again once its leader is back",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);  // partition p led by node p
    seen_records seen;
    listener_log log;
    auto c = make_consumer(cluster, {{"group.id", "solo"}});
    join(cluster, *c, seen, log, "t", 2);
    cluster.produce("t", 0, "a");
    cluster.produce("t", 1, "b");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
    cluster.set_down(1, true, /*fail_over=*/false);  // t-1 has no leader now
    cluster.produce("t", 0, "c");
    cluster.produce("t", 1, "d");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    for (int i = 0; i < 20; ++i) seen.add(c->poll(100ms));
    CHECK(seen.count() == 3);
    cluster.set_down(1, false);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 4; }));
    CHECK(seen.contiguous({"t", 0}, 0, 2));
    CHECK(seen.contiguous({"t", 1}, 0, 2));
}

// ---------------------------------------------------------------------------------------------
// Offsets.

TEST_CASE("engine sim: OFFSET_OUT_OF_RANGE resets per auto.offset.reset", "[sim][engine][offsets]") {
    kt::fake_cluster cluster;
    cluster.create_topic("orders", 1);
    for (int i = 0; i < 10; ++i) cluster.produce("orders", 0, "v" + std::to_string(i));
    cluster.delete_records("orders", 0, 4);  // log start 4, end 10
    topic_partition tp{"orders", 0};

    SECTION("earliest") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "earliest"}});
        c->assign({tp});
        c->seek(tp, 100);
        seen_records seen;
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 6; }));
        CHECK(seen.contiguous(tp, 4, 10));
    }
    SECTION("latest") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "latest"}});
        c->assign({tp});
        c->seek(tp, 2);  // below the log start
        seen_records seen;
        for (int i = 0; i < 10; ++i) seen.add(c->poll(100ms));
        CHECK(seen.count() == 0);
        CHECK(c->position(tp) == 10);
        cluster.produce("orders", 0, "new1", "new2");
        REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
        CHECK(seen.contiguous(tp, 10, 12));
    }
    SECTION("none: the fetch's OFFSET_OUT_OF_RANGE raises offset_out_of_range_error naming the partition") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}});
        c->assign({tp});
        c->seek(tp, 100);
        bool thrown = false;
        for (int i = 0; i < 50 && !thrown; ++i) {
            try {
                c->poll(100ms);
            } catch (const kafka::offset_out_of_range_error& e) {
                thrown = true;
                CHECK(e.partitions() == std::map<topic_partition, std::int64_t>{{tp, 100}});
                CHECK(std::string(e.what()).find("orders-0") != std::string::npos);
            }
        }
        CHECK(thrown);
    }
    SECTION("none without a committed offset raises offset_out_of_range_error too") {
        auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}});
        c->assign({tp});
        bool thrown = false;
        for (int i = 0; i < 50 && !thrown; ++i) {
            try {
                c->poll(100ms);
            } catch (const kafka::offset_out_of_range_error& e) {
                thrown = true;
                CHECK(e.partitions().count(tp) == 1);
                CHECK(std::string(e.what()).find("orders-0") != std::string::npos);
            }
        }
        CHECK(thrown);
    }
}

// Regression (fetcher.hpp, collect, fixed): the fetcher threw a fetch error met after it had
// handed records of another partition to the consumer, so poll() threw and those records were
// lost (their position already past them); and the errored fetch stayed at the head of the
// queue, so every later poll threw the same error and no other partition got any record.
TEST_CASE("engine sim: an out-of-range partition (auto.offset.reset=none) neither loses nor blocks the others' records",
          "[sim][engine][offsets]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2, {0, 0});  // one leader: both partitions in one Fetch response, t-0 first
    cluster.produce("t", 0, "a", "b", "c");
    cluster.produce("t", 1, "x");
    auto c = make_consumer(cluster, {{"auto.offset.reset", "none"}});
    topic_partition p0{"t", 0}, p1{"t", 1};
    c->assign({p0, p1});
    c->seek(p0, 0);
    c->seek(p1, 100);
    seen_records seen;
    std::vector<std::string> outcomes;  // of the polls that returned records or threw
    bool produced = false;
    for (int i = 0; i < 50 && outcomes.size() < 3; ++i) {
        if (outcomes.size() == 2 && !std::exchange(produced, true)) cluster.produce("t", 0, "d");
        try {
            auto rs = c->poll(100ms);
            if (!rs.empty()) outcomes.push_back(std::to_string(rs.count()) + " records");
            seen.add(rs);
        } catch (const kafka::offset_out_of_range_error& e) {
            outcomes.push_back("out of range");
            CHECK(e.partitions() == std::map<topic_partition, std::int64_t>{{p1, 100}});
        }
    }
    CHECK(outcomes == std::vector<std::string>{"3 records", "out of range", "1 records"});
    CHECK(seen.contiguous(p0, 0, 4));
    CHECK(c->position(p0) == 4);
}

// ---------------------------------------------------------------------------------------------
// No record of a partition after it was paused or seeked (revoked: test_group.cpp).

TEST_CASE("engine sim: nothing from a paused partition; resume continues where it stopped", "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2, {0, 0});  // one leader: both partitions come in one Fetch response
    std::vector<std::string> values;
    for (int i = 0; i < 10; ++i) values.push_back("v" + std::to_string(i));
    cluster.produce_values("t", 0, values);
    cluster.produce_values("t", 1, values);
    seen_records seen;
    auto c = make_consumer(cluster, {{"max.poll.records", "2"}});
    topic_partition p0{"t", 0}, p1{"t", 1};
    c->assign({p0, p1});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 2; }));
    REQUIRE(seen.offsets.count(p0) == 1);
    c->pause({p0});
    auto p0_before = seen.offsets[p0];
    REQUIRE(p0_before.size() < 10);  // data of p0 is still buffered
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.offsets[p1].size() == 10; }));
    for (int i = 0; i < 10; ++i) seen.add(c->poll(100ms));
    CHECK(seen.offsets[p0] == p0_before);
    c->resume({p0});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.offsets[p0].size() == 10; }));
    CHECK(seen.contiguous(p0, 0, 10));
    CHECK(seen.contiguous(p1, 0, 10));
}

TEST_CASE("engine sim: after seek, records start at the new offset", "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    std::vector<std::string> values;
    for (int i = 0; i < 10; ++i) values.push_back("v" + std::to_string(i));
    cluster.produce_values("t", 0, values);
    auto c = make_consumer(cluster, {{"max.poll.records", "2"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 2; }));
    CHECK(seen.offsets[tp] == std::vector<std::int64_t>{0, 1});  // the rest of the batch is buffered

    c->seek(tp, 7);
    seen_records after;
    REQUIRE(poll_until(cluster, *c, after, [&] { return after.count() >= 3; }));
    CHECK(after.contiguous(tp, 7, 10));

    c->seek(tp, 1);  // backwards
    seen_records again;
    REQUIRE(poll_until(cluster, *c, again, [&] { return again.count() >= 9; }));
    CHECK(again.contiguous(tp, 1, 10));
}

TEST_CASE("engine sim: the next data of a partition is fetched ahead while its buffered data is drained",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    produce_batches(cluster, "t", 0, 5, 10);
    // Fetch offsets in the order the broker saw them, and how many records the user had by then.
    std::vector<std::pair<std::int64_t, std::size_t>> fetches;
    seen_records seen;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key != fetch_key) return;
        proto::FetchRequest req;
        std::int16_t v = 0;
        std::int32_t corr = 0;
        REQUIRE_FALSE(proto::decode_request(info.frame, req, v, corr));
        for (auto const& t : req.topics)
            for (auto const& p : t.partitions) fetches.push_back({p.fetch_offset, seen.count()});
    });
    // One batch per response (the broker returns at least one whole batch), three records per poll.
    auto c = make_consumer(cluster, {{"max.partition.fetch.bytes", "1"}, {"max.poll.records", "3"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 50; }));
    cluster.on_request({});
    CHECK(seen.contiguous(tp, 0, 50));
    // Each batch was asked for once, from the end of the one before, while the user was still
    // receiving records of the one before (not after it ran dry).
    std::vector<std::int64_t> offsets;
    for (auto const& [offset, had] : fetches) {
        if (offset > 50) continue;  // polls at the end of the log
        offsets.push_back(offset);
        if (offset > 0 && offset < 50) {
            INFO("fetch from " << offset << " sent when the user had " << had << " records");
            CHECK(had < static_cast<std::size_t>(offset));
        }
    }
    auto first_at_end = std::find(offsets.begin(), offsets.end(), 50);
    CHECK(std::vector<std::int64_t>(offsets.begin(), first_at_end) == std::vector<std::int64_t>{0, 10, 20, 30, 40});
}

TEST_CASE("engine sim: a seek while data is fetched ahead: nothing of the old position is returned",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    produce_batches(cluster, "t", 0, 4, 10);
    auto c = make_consumer(cluster, {{"max.partition.fetch.bytes", "1"}, {"max.poll.records", "2"}});
    topic_partition tp{"t", 0};
    c->assign({tp});
    seen_records seen;
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() >= 4; }));  // batch 0 buffered, batch 1 ahead
    c->seek(tp, 35);
    seen_records after;
    REQUIRE(poll_until(cluster, *c, after, [&] { return after.count() >= 5; }));
    CHECK(after.contiguous(tp, 35, 40));
    c->seek(tp, 3);  // backwards, into the batch that was drained first
    seen_records again;
    REQUIRE(poll_until(cluster, *c, again, [&] { return again.count() >= 37; }));
    CHECK(again.contiguous(tp, 3, 40));
}

// ---------------------------------------------------------------------------------------------
// Corrupt answers (fake_cluster::on_response rewrites a response before it is delivered).

TEST_CASE("engine sim: a Fetch response whose record bytes were corrupted on the way is refused by the CRC check",
          "[sim][engine][fetch]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "first", "intact-value");
    int corrupted = 0;
    cluster.on_response([&](const kt::response_info& info, kafka::byte_buffer& frame) {
        if (info.api_key != fetch_key || corrupted > 0) return;
        std::string_view text(reinterpret_cast<const char*>(frame.data()), frame.size());
        auto at = text.find("intact-value");
        if (at == std::string_view::npos) return;
        frame[at] = std::byte{'I'};  // one byte of one value: the batch's CRC no longer matches
        ++corrupted;
    });
    auto c = make_consumer(cluster, {{"check.crcs", "true"}});
    c->assign({{"t", 0}});
    seen_records seen;
    std::optional<std::error_code> error;
    for (int i = 0; i < 50 && !error; ++i) {
        try {
            seen.add(c->poll(100ms));
        } catch (const kafka::kafka_error& e) {
            error = e.code();
        }
    }
    REQUIRE(corrupted == 1);
    REQUIRE(error);
    CHECK(*error == kafka::client_errc::crc_mismatch);
    CHECK(seen.count() == 0);  // nothing of the corrupt batch was handed out
    // As Java's consumer, the corrupt data stays until a seek: the next poll throws again.
    CHECK_THROWS_AS(c->poll(100ms), kafka::kafka_error);
    // A seek to the same offset drops it: the batch is fetched again, intact this time.
    c->seek({"t", 0}, 0);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 2; }));
    CHECK(seen.values == std::vector<std::string>{"first", "intact-value"});
    CHECK(seen.contiguous({"t", 0}, 0, 2));
}
