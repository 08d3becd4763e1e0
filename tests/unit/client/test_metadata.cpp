// client::basic_metadata: what a Metadata response is allowed to change (found by fuzz_engine), and the
// refresh timing: the retry backoff grows per consecutive failed attempt (retry.backoff.ms doubling up to
// retry.backoff.max.ms, +-20%).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include <kafka/client/metadata.hpp>

using kafka::topic_partition;
using kafka::protocol::MetadataResponse;

namespace {
MetadataResponse one_topic(std::vector<std::int32_t> indexes) {
    MetadataResponse resp;
    resp.brokers.push_back({0, "b0", 9092, std::nullopt});
    MetadataResponse::MetadataResponseTopic t;
    t.name = "t";
    for (auto i : indexes) {
        MetadataResponse::MetadataResponsePartition p;
        p.partition_index = i;
        p.leader_id = 0;
        p.leader_epoch = 3;
        t.partitions.push_back(p);
    }
    resp.topics.push_back(t);
    return resp;
}
}  // namespace

TEST_CASE("metadata: a partition index beyond the partitions listed is not believed", "[unit][metadata]") {
    kafka::client::basic_metadata<> md;
    // Three partitions listed, one of them with an absurd index: before, the table was sized by
    // the index (2^31 entries, a 13 GB allocation).
    md.update(one_topic({0, std::numeric_limits<std::int32_t>::max(), 2}), std::chrono::steady_clock::now());
    REQUIRE(md.partition_count("t") == 3);
    CHECK(md.partition({"t", 0})->leader == 0);
    CHECK(md.partition({"t", 2})->leader == 0);
    // The index the answer left out is a partition without a leader (its own number, not 0).
    auto hole = md.partition({"t", 1});
    REQUIRE(hole);
    CHECK(hole->partition == 1);
    CHECK(hole->leader == -1);
    CHECK_FALSE(md.partition({"t", 3}));
    CHECK_FALSE(md.partition({"t", std::numeric_limits<std::int32_t>::max()}));
}

TEST_CASE("metadata: partitions listed out of order are all kept", "[unit][metadata]") {
    kafka::client::basic_metadata<> md;
    md.update(one_topic({2, 0, 1}), std::chrono::steady_clock::now());
    REQUIRE(md.partition_count("t") == 3);
    for (std::int32_t p = 0; p < 3; ++p) {
        CHECK(md.partition({"t", p})->partition == p);
        CHECK(md.partition({"t", p})->leader == 0);
        CHECK(md.partition({"t", p})->leader_epoch == 3);
    }
}

namespace {
using namespace std::chrono_literals;
using steady_metadata = kafka::client::basic_metadata<std::chrono::steady_clock>;
using ms = std::chrono::duration<double, std::milli>;
}  // namespace

TEST_CASE("metadata: the refresh backoff doubles per failed attempt up to its max, and resets on success",
          "[client][metadata]") {
    steady_metadata m(5min, 100ms, 1000ms);
    auto t = std::chrono::steady_clock::time_point{} + 1h;
    m.request_update();
    CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration::zero());
    std::vector<double> waits;
    for (int i = 0; i < 6; ++i) {
        m.record_attempt(t);  // and it fails: no update()
        waits.push_back(ms(m.time_to_next_update(t)).count());
        t += m.time_to_next_update(t);
        CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration::zero());
    }
    auto near = [](double got, double want) { return got >= want * 0.8 - 1 && got <= want * 1.2 + 1; };
    CHECK(near(waits[0], 100));
    CHECK(near(waits[1], 200));
    CHECK(near(waits[2], 400));
    CHECK(near(waits[3], 800));
    CHECK(near(waits[4], 1000));
    CHECK(near(waits[5], 1000));
    // A success resets it: the next failure waits the base backoff again.
    m.update({}, t);
    m.request_update();
    m.record_attempt(t);
    CHECK(near(ms(m.time_to_next_update(t)).count(), 100));
}

TEST_CASE("metadata: without a max the backoff stays retry.backoff.ms", "[client][metadata]") {
    steady_metadata m(5min, 100ms);
    auto t = std::chrono::steady_clock::time_point{} + 1h;
    m.request_update();
    for (int i = 0; i < 4; ++i) {
        m.record_attempt(t);
        CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration(100ms));
        t += 100ms;
    }
}

TEST_CASE("metadata: failing_for runs from the first attempt after a success and stops at the next success",
          "[client][metadata]") {
    steady_metadata m(5min, 100ms, 1000ms);
    auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    CHECK(m.failing_for(t0) == std::chrono::steady_clock::duration::zero());
    m.record_attempt(t0);
    m.update({}, t0 + 10ms);  // the first attempt succeeded
    CHECK(m.failing_for(t0 + 1min) == std::chrono::steady_clock::duration::zero());
    auto t1 = t0 + 2min;
    m.record_attempt(t1);  // fails
    m.record_attempt(t1 + 1s);
    m.record_attempt(t1 + 3s);
    CHECK(m.failing_for(t1 + 10s) == std::chrono::steady_clock::duration(10s));
    m.update({}, t1 + 11s);
    CHECK(m.failing_for(t1 + 20s) == std::chrono::steady_clock::duration::zero());
}
