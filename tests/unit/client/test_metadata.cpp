// client::basic_metadata: what a Metadata response is allowed to change (found by fuzz_engine).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>

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
