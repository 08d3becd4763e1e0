// ConsumerRecord<K, V> and ConsumerRecords<K, V>: what poll() returns.
//
// A ConsumerRecords owns the fetched response frames and decompression
// buffers its records point into, so key/value views (std::string_view,
// kafka::bytes_view deserializers) and headers stay valid for as long as the
// ConsumerRecords object lives. Records are kept in one vector per poll: no
// allocation per record beyond what the deserializers themselves allocate.
//
// ConsumerRecords is a sized random-access range, and records(tp) / records(topic) are views
// into it (partition_records, topic_records), for std::ranges and range-v3 alike.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include <range/v3/algorithm/find_if.hpp>
#include <range/v3/algorithm/find_if_not.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/chunk_by.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/subrange.hpp>
#include <range/v3/view/transform.hpp>

#include <kafka/protocol/record_view.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

template <class K, class V>
class ConsumerRecord {
public:
    ConsumerRecord() = default;
    /// `delivery_count`: a share consumer's record's delivery (KIP-932), -1 for a KafkaConsumer's.
    ConsumerRecord(const std::string* topic, std::int32_t partition, const record_view& r, K key, V value,
                   std::int16_t delivery_count = -1)
        : topic_(topic),
          partition_(partition),
          offset_(r.offset),
          timestamp_(r.timestamp),
          timestamp_type_(r.timestamp_type),
          delivery_count_(delivery_count),
          leader_epoch_(r.leader_epoch),
          headers_(r.headers),
          key_size_(r.key ? static_cast<std::int32_t>(r.key->size()) : -1),
          value_size_(r.value ? static_cast<std::int32_t>(r.value->size()) : -1),
          key_(std::move(key)),
          value_(std::move(value)) {}

    const std::string& topic() const noexcept { return *topic_; }
    std::int32_t partition() const noexcept { return partition_; }
    std::int64_t offset() const noexcept { return offset_; }
    std::int64_t timestamp() const noexcept { return timestamp_; }
    kafka::timestamp_type timestamp_type() const noexcept { return timestamp_type_; }
    /// The partition leader epoch of the batch (nullopt for magic 0/1 records).
    std::optional<std::int32_t> leader_epoch() const noexcept {
        return leader_epoch_ < 0 ? std::nullopt : std::optional<std::int32_t>(leader_epoch_);
    }
    const headers_view& headers() const noexcept { return headers_; }
    /// How many times the broker has delivered this record, this delivery included (a share
    /// consumer's records: Java's deliveryCount()); nullopt for a KafkaConsumer's records.
    std::optional<std::int16_t> delivery_count() const noexcept {
        return delivery_count_ < 0 ? std::nullopt : std::optional<std::int16_t>(delivery_count_);
    }
    const K& key() const noexcept { return key_; }
    const V& value() const noexcept { return value_; }
    K& key() noexcept { return key_; }
    V& value() noexcept { return value_; }
    /// Size of the key/value bytes on the wire, -1 for null (Java's serializedKeySize).
    std::int32_t serialized_key_size() const noexcept { return key_size_; }
    std::int32_t serialized_value_size() const noexcept { return value_size_; }

private:
    const std::string* topic_ = nullptr;
    std::int32_t partition_ = -1;
    std::int64_t offset_ = -1;
    std::int64_t timestamp_ = -1;
    kafka::timestamp_type timestamp_type_ = timestamp_type::no_timestamp;
    std::int16_t delivery_count_ = -1;
    std::int32_t leader_epoch_ = -1;
    headers_view headers_;
    std::int32_t key_size_ = -1;
    std::int32_t value_size_ = -1;
    K key_{};
    V value_{};
};

/// Keeps alive the bytes a batch of records points into.
struct record_storage {
    record_storage() : id(next_id()) {}
    /// Distinct for every storage ever created (a fetch spanning polls adds its buffers to each).
    const std::uint64_t id;
    std::vector<std::shared_ptr<const void>> buffers;  // response frames, decompressed batches
    std::vector<std::unique_ptr<std::string>> topics;  // stable addresses for ConsumerRecord::topic()

    const std::string* intern(const std::string& topic) {
        for (auto const& t : topics)
            if (*t == topic) return t.get();
        topics.push_back(std::make_unique<std::string>(topic));
        return topics.back().get();
    }

private:
    static std::uint64_t next_id() {
        static std::atomic<std::uint64_t> counter{0};
        return ++counter;
    }
};

/// What ConsumerRecords::records(tp) returns: one partition's records, a run of consecutive
/// records of the batch (`const ConsumerRecord&`, random access, with size(), empty() and []).
/// A range-v3 subrange that std::ranges also takes as a view (and as borrowed: its iterators
/// point into the ConsumerRecords, not into the view).
template <class It>
class partition_records : public ranges::subrange<It> {
public:
    using ranges::subrange<It>::subrange;
};

/// What ConsumerRecords::records(topic) returns: the records of one topic, partition by
/// partition, filtered out of the batch (bidirectional, `const ConsumerRecord&`). Like every
/// filter view it finds its first record on the first begin() and keeps it, so it is iterated
/// as a non-const object; empty() works, size() does not (count them with ranges::distance).
template <class Container>
class topic_records;

namespace detail {
/// What ConsumerRecords::records(topic) takes as a topic's name.
template <class T>
concept topic_name = std::convertible_to<const T&, std::string_view>;

/// The predicate of topic_records: owns the name, so records(std::string(...)) does not dangle.
struct record_topic_is {
    std::string name;
    template <class Record>
    bool operator()(const Record& r) const {
        return r.topic() == name;
    }
};
}  // namespace detail

template <class Container>
class topic_records : public ranges::filter_view<ranges::ref_view<const Container>, detail::record_topic_is> {
    using base = ranges::filter_view<ranges::ref_view<const Container>, detail::record_topic_is>;

public:
    topic_records() = default;
    topic_records(const Container& records, std::string_view topic)
        : base(ranges::ref_view<const Container>(records), detail::record_topic_is{std::string(topic)}) {}
};

/// The records one poll() returned, in the order the fetches delivered them. One partition's
/// records are consecutive, in offset order (a precondition of the constructor; poll() keeps it):
/// records(tp) is that run, and partitions()/next_offsets() take one step per run.
///
/// It is a sized random-access range (std::ranges and range-v3 alike), so views compose over it:
///     records | ranges::views::filter(...) | ranges::views::transform(...)
///     records | ranges::views::chunk_by(same partition)     // the runs, one per partition
template <class K, class V>
class ConsumerRecords {
public:
    using record_type = ConsumerRecord<K, V>;
    using container = std::vector<record_type>;
    using iterator = typename container::iterator;
    using const_iterator = typename container::const_iterator;
    using partition_view = partition_records<const_iterator>;
    using topic_view = topic_records<container>;

    ConsumerRecords() = default;
    ConsumerRecords(container records, std::shared_ptr<record_storage> storage)
        : records_(std::move(records)), storage_(std::move(storage)) {}

    const_iterator begin() const noexcept { return records_.begin(); }
    const_iterator end() const noexcept { return records_.end(); }
    iterator begin() noexcept { return records_.begin(); }
    iterator end() noexcept { return records_.end(); }
    std::size_t size() const noexcept { return records_.size(); }
    std::size_t count() const noexcept { return records_.size(); }
    bool empty() const noexcept { return records_.empty(); }
    const record_type& operator[](std::size_t i) const { return records_[i]; }

    /// The partitions that have records in this batch, in the order they appear.
    std::vector<kafka::topic_partition> partitions() const {
        return runs() | ranges::views::transform([](auto run) { return partition_of(run.front()); }) |
               ranges::to<std::vector>();
    }
    /// The records of one partition, in offset order: a view into this batch (no copy), empty when
    /// the partition has none. Valid while this ConsumerRecords lives.
    partition_view records(const kafka::topic_partition& tp) const {
        auto in_tp = [&tp](const record_type& r) { return r.partition() == tp.partition && r.topic() == tp.topic; };
        auto first = ranges::find_if(records_, in_tp);
        return {first, ranges::find_if_not(first, records_.end(), in_tp)};
    }
    /// The records of one topic, partition by partition (Java's records(String topic)): a view
    /// filtering this batch, valid while this ConsumerRecords lives. A template so that
    /// records({"t", 0}) still means a partition.
    template <detail::topic_name Topic>
    topic_view records(const Topic& topic) const {
        return topic_view(records_, std::string_view(topic));
    }
    /// The offset after the last record of each partition: what to commit after processing them all.
    std::map<kafka::topic_partition, offset_and_metadata> next_offsets() const {
        std::map<kafka::topic_partition, offset_and_metadata> out;
        for (auto run : runs()) {
            auto const& last = run.back();
            out[partition_of(last)] = {last.offset() + 1, "", last.leader_epoch()};
        }
        return out;
    }

private:
    static kafka::topic_partition partition_of(const record_type& r) { return {r.topic(), r.partition()}; }
    // The batch's runs, one per partition (consecutive records of the same partition).
    auto runs() const {
        return records_ | ranges::views::chunk_by([](const record_type& a, const record_type& b) {
                   return a.partition() == b.partition() && (&a.topic() == &b.topic() || a.topic() == b.topic());
               });
    }

    container records_;
    std::shared_ptr<record_storage> storage_;
};

}  // namespace kafka

// The views above are views to std::ranges too (range-v3 0.12 derives its views from its own
// view_base, which std::ranges does not know), so they pipe into std::views as prvalues.
template <class It>
inline constexpr bool std::ranges::enable_view<kafka::partition_records<It>> = true;
template <class It>
inline constexpr bool std::ranges::enable_borrowed_range<kafka::partition_records<It>> = true;
template <class It>
inline constexpr bool ranges::enable_borrowed_range<kafka::partition_records<It>> = true;
template <class Container>
inline constexpr bool std::ranges::enable_view<kafka::topic_records<Container>> = true;
