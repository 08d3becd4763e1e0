// What a consumer's records are made of: the record view (offset, timestamp, key, value,
// headers as views into the fetched bytes) and its timestamp type, apart from the batch
// decoder (record_batch.hpp), so that kafka/record.hpp and the deserializers need neither the
// compression libraries' headers nor the CRC code.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

#include <kafka/protocol/primitives.hpp>

namespace kafka {

enum class timestamp_type : std::int8_t { no_timestamp = -1, create_time = 0, log_append_time = 1 };

constexpr std::string_view to_string(timestamp_type t) noexcept {
    switch (t) {
        case timestamp_type::create_time:
            return "CreateTime";
        case timestamp_type::log_append_time:
            return "LogAppendTime";
        default:
            return "NoTimestampType";
    }
}

/// One record header: a key and a nullable value, both views.
struct header_view {
    std::string_view key;
    std::optional<bytes_view> value;
};

/// The headers of one record, decoded lazily while iterating.
class headers_view {
public:
    headers_view() = default;
    headers_view(bytes_view data, std::int32_t count) noexcept : data_(data), count_(count) {}

    class iterator {
    public:
        using value_type = header_view;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;
        iterator() = default;
        iterator(bytes_view data, std::int32_t left) : r_(data), left_(left) { advance(); }
        const header_view& operator*() const noexcept { return cur_; }
        const header_view* operator->() const noexcept { return &cur_; }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        friend bool operator==(const iterator& a, std::default_sentinel_t) noexcept { return a.done_; }

    private:
        void advance() {
            if (left_ <= 0) {
                done_ = true;
                return;
            }
            --left_;
            auto kn = r_.varint();
            auto k = r_.take(kn < 0 ? 0 : static_cast<std::size_t>(kn));
            auto vn = r_.varint();
            cur_.key = as_string_view(k);
            if (vn < 0)
                cur_.value.reset();
            else
                cur_.value = r_.take(static_cast<std::size_t>(vn));
            // The headers were validated when the record was decoded; a failure here cannot happen.
            if (!r_.ok() || kn < 0) done_ = true;
        }
        protocol::reader r_;
        std::int32_t left_ = 0;
        header_view cur_{};
        bool done_ = false;
    };

    iterator begin() const { return iterator(data_, count_); }
    std::default_sentinel_t end() const noexcept { return {}; }
    std::int32_t size() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }

    /// The value of the last header named `key` (Java's Headers.lastHeader), if any.
    std::optional<std::optional<bytes_view>> last(std::string_view key) const {
        std::optional<std::optional<bytes_view>> found;
        for (auto const& h : *this)
            if (h.key == key) found = h.value;
        return found;
    }

private:
    bytes_view data_{};
    std::int32_t count_ = 0;
};

/// One record, as views into the batch's bytes.
struct record_view {
    std::int64_t offset = -1;
    std::int64_t timestamp = -1;
    kafka::timestamp_type timestamp_type = timestamp_type::no_timestamp;
    std::optional<bytes_view> key;    // nullopt: a null key
    std::optional<bytes_view> value;  // nullopt: a null value (a tombstone)
    headers_view headers;
    std::int32_t leader_epoch = -1;  // the batch's partition leader epoch; -1 for magic 0/1
};

}  // namespace kafka
