// kafka/record.hpp: ConsumerRecords is a sized random-access range for std::ranges and range-v3;
// records(tp) is the partition's run of the batch (a view, no copy), records(topic) a filtering
// view; both compose with range-v3's and the standard library's views.
#include <kafka/record.hpp>

#include <map>
#include <memory>
#include <ranges>
#include <string>
#include <vector>

#include <range/v3/range/concepts.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/range/operations.hpp>
#include <range/v3/view/chunk.hpp>
#include <range/v3/view/chunk_by.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

#include <catch2/catch.hpp>

// Clang before 16 cannot instantiate libstdc++'s std::ranges::view_interface (llvm-project issue
// 44178), so std::views over anything are left to the other compilers; the concepts work everywhere.
#if defined(__clang__) && defined(__GLIBCXX__) && __clang_major__ < 16
#define KAFKA_TEST_STD_VIEWS 0
#else
#define KAFKA_TEST_STD_VIEWS 1
#endif

namespace {

using records_t = kafka::ConsumerRecords<std::string, std::string>;
using record_t = records_t::record_type;
using partition_view = records_t::partition_view;
using topic_view = records_t::topic_view;

static_assert(std::ranges::random_access_range<records_t>);
static_assert(std::ranges::random_access_range<const records_t>);
static_assert(std::ranges::sized_range<const records_t>);
static_assert(ranges::random_access_range<records_t>);
static_assert(ranges::random_access_range<const records_t>);
static_assert(ranges::sized_range<const records_t>);
static_assert(std::same_as<std::ranges::range_reference_t<const records_t>, const record_t&>);

static_assert(std::ranges::view<partition_view> && ranges::view_<partition_view>);
static_assert(std::ranges::random_access_range<partition_view> && ranges::random_access_range<partition_view>);
static_assert(std::ranges::sized_range<partition_view> && ranges::sized_range<partition_view>);
static_assert(std::ranges::borrowed_range<partition_view> && ranges::borrowed_range<partition_view>);
static_assert(std::same_as<std::ranges::range_reference_t<partition_view>, const record_t&>);
static_assert(std::same_as<ranges::range_reference_t<partition_view>, const record_t&>);

static_assert(std::ranges::view<topic_view> && ranges::view_<topic_view>);
static_assert(std::ranges::bidirectional_range<topic_view> && ranges::bidirectional_range<topic_view>);
static_assert(std::same_as<std::ranges::range_reference_t<topic_view>, const record_t&>);

// Which overload a call picks: a braced {topic, partition} is still a partition.
static_assert(std::same_as<decltype(std::declval<const records_t&>().records({"a", 0})), partition_view>);
static_assert(std::same_as<decltype(std::declval<const records_t&>().records("a")), topic_view>);
static_assert(std::same_as<decltype(std::declval<const records_t&>().records(std::string("a"))), topic_view>);

struct spec {
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
};

// A batch as poll() would return it; each record's value is "TOPIC-P@OFFSET".
records_t batch(const std::vector<spec>& specs) {
    auto storage = std::make_shared<kafka::record_storage>();
    records_t::container v;
    for (auto const& s : specs) {
        kafka::record_view rv;
        rv.offset = s.offset;
        rv.leader_epoch = 7;
        v.emplace_back(storage->intern(s.topic), s.partition, rv, "k" + std::to_string(s.offset),
                       s.topic + "-" + std::to_string(s.partition) + "@" + std::to_string(s.offset));
    }
    return records_t(std::move(v), storage);
}

template <class Range>
std::vector<std::string> values(Range&& r) {
    std::vector<std::string> out;
    for (auto const& rec : r) out.push_back(rec.value());
    return out;
}

// a-0 x3, b-0 x2, a-1 x2, c-2 x1, a-2 x2: three topics, topic a's partitions not adjacent.
records_t mixed() {
    return batch({{"a", 0, 10},
                  {"a", 0, 11},
                  {"a", 0, 12},
                  {"b", 0, 5},
                  {"b", 0, 6},
                  {"a", 1, 0},
                  {"a", 1, 1},
                  {"c", 2, 40},
                  {"a", 2, 3},
                  {"a", 2, 4}});
}

}  // namespace

TEST_CASE("ConsumerRecords::records(tp) is the partition's run of the batch, in order", "[record][ranges]") {
    auto recs = mixed();
    CHECK(values(recs.records({"a", 0})) == std::vector<std::string>{"a-0@10", "a-0@11", "a-0@12"});
    CHECK(values(recs.records({"b", 0})) == std::vector<std::string>{"b-0@5", "b-0@6"});
    CHECK(values(recs.records({"a", 1})) == std::vector<std::string>{"a-1@0", "a-1@1"});
    CHECK(values(recs.records({"c", 2})) == std::vector<std::string>{"c-2@40"});
    CHECK(values(recs.records({"a", 2})) == std::vector<std::string>{"a-2@3", "a-2@4"});

    auto a1 = recs.records(kafka::topic_partition{"a", 1});
    REQUIRE(a1.size() == 2);
    CHECK_FALSE(a1.empty());
    CHECK(a1[1].offset() == 1);
    CHECK(a1.front().offset() == 0);
    CHECK(a1.back().offset() == 1);
    // A view into the batch, not copies: the same objects as iterating the batch gives.
    CHECK(&a1[0] == &recs[5]);
    CHECK(&a1[1] == &recs[6]);
    CHECK(a1.begin() == recs.begin() + 5);

    // Every record is in exactly one partition's run.
    std::size_t n = 0;
    for (auto const& tp : recs.partitions()) {
        for (auto const& r : recs.records(tp)) {
            CHECK(r.topic() == tp.topic);
            CHECK(r.partition() == tp.partition);
        }
        n += recs.records(tp).size();
    }
    CHECK(n == recs.size());
}

TEST_CASE("ConsumerRecords::records(tp) and records(topic) of what is not in the batch are empty", "[record][ranges]") {
    auto recs = mixed();
    for (auto tp : {kafka::topic_partition{"a", 3}, kafka::topic_partition{"b", 1}, kafka::topic_partition{"zz", 0},
                    kafka::topic_partition{"", 0}}) {
        auto v = recs.records(tp);
        CHECK(v.empty());
        CHECK(v.size() == 0);
        CHECK(v.begin() == v.end());
    }
    CHECK(recs.records("zz").empty());
    CHECK(std::ranges::empty(recs.records("zz")));
    CHECK(ranges::empty(recs.records(std::string("zz"))));
    CHECK(ranges::distance(recs.records("a-")) == 0);  // a prefix of a name is not the name

    records_t none;
    CHECK(none.records({"a", 0}).empty());
    CHECK(none.records("a").empty());
    CHECK(none.partitions().empty());
    CHECK(none.next_offsets().empty());
    CHECK(ranges::distance(none | ranges::views::chunk(3)) == 0);
}

TEST_CASE("ConsumerRecords::records(topic) gives the topic's partitions one after another", "[record][ranges]") {
    auto recs = mixed();
    std::vector<std::string> want{"a-0@10", "a-0@11", "a-0@12", "a-1@0", "a-1@1", "a-2@3", "a-2@4"};
    CHECK(values(recs.records("a")) == want);
    // The view owns the name: a temporary string is gone before the loop body runs.
    std::vector<std::string> got;
    for (auto const& r : recs.records(std::string("a"))) got.push_back(r.value());
    CHECK(got == want);
    std::string_view name = "b";
    CHECK(values(recs.records(name)) == std::vector<std::string>{"b-0@5", "b-0@6"});
    CHECK(values(recs.records("c")) == std::vector<std::string>{"c-2@40"});

    auto a = recs.records("a");
    CHECK_FALSE(a.empty());
    CHECK(ranges::distance(a) == 7);
    CHECK(&*a.begin() == &recs[0]);
    CHECK(&ranges::back(a) == &recs[9]);
}

TEST_CASE("ConsumerRecords::partitions() and next_offsets() take one step per partition run", "[record][ranges]") {
    auto recs = mixed();
    CHECK(recs.partitions() == std::vector<kafka::topic_partition>{{"a", 0}, {"b", 0}, {"a", 1}, {"c", 2}, {"a", 2}});
    auto next = recs.next_offsets();
    CHECK(next.size() == 5);
    CHECK(next.at({"a", 0}).offset == 13);
    CHECK(next.at({"b", 0}).offset == 7);
    CHECK(next.at({"a", 1}).offset == 2);
    CHECK(next.at({"c", 2}).offset == 41);
    CHECK(next.at({"a", 2}).offset == 5);
    CHECK(next.at({"a", 2}).leader_epoch == 7);
    CHECK(next.at({"a", 2}).metadata.empty());

    // One record, and one partition whose records are the whole batch.
    auto single = batch({{"t", 3, 99}});
    CHECK(single.partitions() == std::vector<kafka::topic_partition>{{"t", 3}});
    CHECK(single.next_offsets().at({"t", 3}).offset == 100);
    auto whole = batch({{"t", 0, 1}, {"t", 0, 2}, {"t", 0, 3}});
    CHECK(whole.partitions() == std::vector<kafka::topic_partition>{{"t", 0}});
    CHECK(whole.records({"t", 0}).size() == 3);
}

TEST_CASE("range-v3 pipelines over ConsumerRecords: filter, transform, chunk, chunk_by", "[record][ranges]") {
    auto recs = mixed();
    auto even = [](const record_t& r) { return r.offset() % 2 == 0; };
    auto key_of = [](const record_t& r) { return r.key(); };

    SECTION("filter | transform over the batch and over one partition's view") {
        auto keys = recs | ranges::views::filter(even) | ranges::views::transform(key_of) | ranges::to<std::vector>();
        CHECK(keys == std::vector<std::string>{"k10", "k12", "k6", "k0", "k40", "k4"});
        auto a0 = recs.records({"a", 0}) | ranges::views::filter(even) | ranges::views::transform(key_of) |
                  ranges::to<std::vector>();
        CHECK(a0 == std::vector<std::string>{"k10", "k12"});
        auto a = recs.records("a") | ranges::views::filter(even) | ranges::views::transform(key_of) |
                 ranges::to<std::vector>();
        CHECK(a == std::vector<std::string>{"k10", "k12", "k0", "k4"});
    }
    SECTION("chunk(n): batches for a bulk insert, the last one short") {
        std::vector<std::vector<std::string>> batches;
        for (auto chunk : recs | ranges::views::chunk(4)) batches.push_back(values(chunk));
        REQUIRE(batches.size() == 3);
        CHECK(batches[0] == std::vector<std::string>{"a-0@10", "a-0@11", "a-0@12", "b-0@5"});
        CHECK(batches[1] == std::vector<std::string>{"b-0@6", "a-1@0", "a-1@1", "c-2@40"});
        CHECK(batches[2] == std::vector<std::string>{"a-2@3", "a-2@4"});
        CHECK(ranges::distance(recs.records("a") | ranges::views::chunk(3)) == 3);  // 7 records
    }
    SECTION("chunk_by partition: the runs are the partitions, then chunk each") {
        auto same_partition = [](const record_t& x, const record_t& y) {
            return x.topic() == y.topic() && x.partition() == y.partition();
        };
        std::vector<kafka::topic_partition> order;
        std::vector<std::size_t> sizes;
        std::map<kafka::topic_partition, std::vector<std::size_t>> chunk_sizes;
        for (auto run : recs | ranges::views::chunk_by(same_partition)) {
            kafka::topic_partition tp{run.front().topic(), run.front().partition()};
            order.push_back(tp);
            sizes.push_back(static_cast<std::size_t>(ranges::distance(run)));
            CHECK(values(run) == values(recs.records(tp)));
            for (auto chunk : run | ranges::views::chunk(2))
                chunk_sizes[tp].push_back(static_cast<std::size_t>(ranges::distance(chunk)));
        }
        CHECK(order == recs.partitions());
        CHECK(sizes == std::vector<std::size_t>{3, 2, 2, 1, 2});
        CHECK(chunk_sizes.at({"a", 0}) == std::vector<std::size_t>{2, 1});
        CHECK(chunk_sizes.at({"c", 2}) == std::vector<std::size_t>{1});
        // records(topic) too: topic a's runs.
        CHECK(ranges::distance(recs.records("a") | ranges::views::chunk_by(same_partition)) == 3);
    }
}

#if KAFKA_TEST_STD_VIEWS
TEST_CASE("std::views pipelines over ConsumerRecords and its views", "[record][ranges]") {
    auto recs = mixed();
    auto even = [](const record_t& r) { return r.offset() % 2 == 0; };
    auto offset_of = [](const record_t& r) { return r.offset(); };
    auto collect = [](auto&& r) {
        std::vector<std::int64_t> out;
        for (auto o : r) out.push_back(o);
        return out;
    };
    CHECK(collect(recs | std::views::filter(even) | std::views::transform(offset_of)) ==
          std::vector<std::int64_t>{10, 12, 6, 0, 40, 4});
    CHECK(collect(recs.records({"b", 0}) | std::views::transform(offset_of)) == std::vector<std::int64_t>{5, 6});
    CHECK(collect(recs.records("a") | std::views::filter(even) | std::views::transform(offset_of)) ==
          std::vector<std::int64_t>{10, 12, 0, 4});
    CHECK(collect(recs.records({"a", 0}) | std::views::drop(1) | std::views::take(5) |
                  std::views::transform(offset_of)) == std::vector<std::int64_t>{11, 12});
    CHECK(collect(recs.records("a") | std::views::reverse | std::views::take(2) | std::views::transform(offset_of)) ==
          std::vector<std::int64_t>{4, 3});
    // Borrowed: an algorithm's iterator into a temporary partition view is still valid.
    auto it = std::ranges::find(recs.records({"a", 1}), 1, offset_of);
    CHECK(&*it == &recs[6]);
}
#endif
