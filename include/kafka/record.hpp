// ConsumerRecord<K, V> and ConsumerRecords<K, V>: what poll() returns.
//
// A ConsumerRecords owns the fetched response frames and decompression
// buffers its records point into, so key/value views (std::string_view,
// kafka::bytes_view deserializers) and headers stay valid for as long as the
// ConsumerRecords object lives. Records are kept in one vector per poll: no
// allocation per record beyond what the deserializers themselves allocate.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <kafka/protocol/record_view.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

template <class K, class V>
class ConsumerRecord {
public:
    ConsumerRecord() = default;
    ConsumerRecord(const std::string* topic, std::int32_t partition, const record_view& r, K key, V value)
        : topic_(topic),
          partition_(partition),
          offset_(r.offset),
          timestamp_(r.timestamp),
          timestamp_type_(r.timestamp_type),
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

template <class K, class V>
class ConsumerRecords {
public:
    using record_type = ConsumerRecord<K, V>;
    using container = std::vector<record_type>;
    using iterator = typename container::iterator;
    using const_iterator = typename container::const_iterator;

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
        std::vector<kafka::topic_partition> out;
        for (auto const& r : records_) {
            kafka::topic_partition tp{r.topic(), r.partition()};
            if (out.empty() || out.back() != tp) {
                bool seen = false;
                for (auto const& p : out) seen = seen || p == tp;
                if (!seen) out.push_back(tp);
            }
        }
        return out;
    }
    /// The records of one partition (consecutive: one partition's records are never interleaved).
    std::vector<const record_type*> records(const kafka::topic_partition& tp) const {
        std::vector<const record_type*> out;
        for (auto const& r : records_)
            if (r.partition() == tp.partition && r.topic() == tp.topic) out.push_back(&r);
        return out;
    }
    /// The records of one topic, partition by partition (Java's records(String topic)). A template
    /// so that records({"t", 0}) still means a partition.
    template <class Topic>
    requires std::convertible_to<const Topic&, std::string_view> std::vector<const record_type*> records(
        const Topic& topic)
    const {
        std::string_view name(topic);
        std::vector<const record_type*> out;
        for (auto const& r : records_)
            if (r.topic() == name) out.push_back(&r);
        return out;
    }
    /// The offset after the last record of each partition: what to commit after processing them all.
    std::map<kafka::topic_partition, offset_and_metadata> next_offsets() const {
        std::map<kafka::topic_partition, offset_and_metadata> out;
        for (auto const& r : records_) out[{r.topic(), r.partition()}] = {r.offset() + 1, "", r.leader_epoch()};
        return out;
    }

private:
    container records_;
    std::shared_ptr<record_storage> storage_;
};

}  // namespace kafka
