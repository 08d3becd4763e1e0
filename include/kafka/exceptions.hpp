// Every exception the library throws, in one place. Each carries an error_code (kafka::errc for
// what a broker said, kafka::client_errc for what the client found) and a sentence naming the
// problem. The engine below the public face reports errors as values; KafkaConsumer turns them
// into these.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include <kafka/error.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

/// The base of every exception thrown by the library; carries the error_code.
class kafka_error : public std::system_error {
public:
    using std::system_error::system_error;
};

/// An error as a value, as the engine reports it: the code and a sentence naming the problem.
/// The public face throws it as a kafka_error.
struct error_report {
    std::error_code code;
    std::string what;
};

[[noreturn]] inline void throw_error(const error_report& e) { throw kafka_error(e.code, e.what); }

/// A configuration problem; what() names the key and the problem, key() returns the key alone
/// (empty when the problem is not about one key, e.g. an unreadable properties file). The code is
/// client_errc::invalid_config.
class config_error : public kafka_error {
public:
    config_error(std::string key, std::string message)
        : kafka_error(make_error_code(client_errc::invalid_config), message),
          text_(std::make_shared<const text>(text{std::move(key), std::move(message)})) {}
    const std::string& key() const noexcept { return text_->key; }
    /// The message alone, without system_error's ": invalid configuration" suffix.
    const char* what() const noexcept override { return text_->message.c_str(); }

private:
    struct text {
        std::string key, message;
    };
    std::shared_ptr<const text> text_;  // shared, so copying the exception cannot throw
};

/// Misuse of the API (subscribe after assign, position of an unassigned partition, ...).
class illegal_state_error : public kafka_error {
public:
    explicit illegal_state_error(const std::string& what)
        : kafka_error(make_error_code(client_errc::illegal_state), what) {}
};

/// A commit that cannot succeed: the member was kicked out or the group rebalanced (Java's CommitFailedException).
class commit_failed_error : public kafka_error {
public:
    explicit commit_failed_error(std::error_code ec)
        : kafka_error(ec,
                      "offset commit failed: the group rebalanced or this member left it (was poll() called within "
                      "max.poll.interval.ms?); its partitions may now belong to another member") {}
};

/// auto.offset.reset=none and a partition without a valid position.
class offset_out_of_range_error : public kafka_error {
public:
    offset_out_of_range_error(std::map<topic_partition, std::int64_t> partitions, const std::string& why)
        : kafka_error(make_error_code(errc::offset_out_of_range), why + describe(partitions)),
          partitions_(std::move(partitions)) {}
    /// Each partition with the offset that was out of range (-1: no committed offset).
    const std::map<topic_partition, std::int64_t>& partitions() const noexcept { return partitions_; }

private:
    static std::string describe(const std::map<topic_partition, std::int64_t>& p) {
        std::string s;
        for (auto const& [tp, off] : p)
            s += (s.empty() ? ": " : ", ") + tp.to_string() + (off >= 0 ? "@" + std::to_string(off) : "");
        return s;
    }
    std::map<topic_partition, std::int64_t> partitions_;
};

/// Thrown by poll() when the log of a partition was truncated below the consumer's position (an
/// unclean leader election; KIP-320) and auto.offset.reset=none (Java's LogTruncationException).
/// partitions() are the positions the consumer had; divergent_offsets() the first offset (with its
/// leader epoch) after the log the consumer read and the broker's still share, for each partition
/// where the broker could tell. Seek there (or elsewhere) to go on.
class log_truncation_error : public offset_out_of_range_error {
public:
    log_truncation_error(std::map<topic_partition, std::int64_t> positions,
                         std::map<topic_partition, offset_and_metadata> divergent)
        : offset_out_of_range_error(std::move(positions), describe(divergent)), divergent_(std::move(divergent)) {}
    const std::map<topic_partition, offset_and_metadata>& divergent_offsets() const noexcept { return divergent_; }

private:
    static std::string describe(const std::map<topic_partition, offset_and_metadata>& d) {
        std::string s = "log truncation detected and auto.offset.reset=none";
        for (auto const& [tp, o] : d) s += "; " + tp.to_string() + " diverges from offset " + std::to_string(o.offset);
        return s + "; positions";
    }
    std::map<topic_partition, offset_and_metadata> divergent_;
};

/// Thrown by poll() when a record cannot be deserialized.
class record_deserialization_error : public kafka_error {
public:
    /// `what_next`: what the user can do (a KafkaConsumer seeks past the record; a share
    /// consumer's record went back to the broker).
    record_deserialization_error(topic_partition tp, std::int64_t offset, bool is_key, const std::string& why,
                                 const std::string& what_next = "seek past it to continue")
        : kafka_error(make_error_code(client_errc::corrupt_record),
                      "cannot deserialize the " + std::string(is_key ? "key" : "value") + " of record at offset " +
                          std::to_string(offset) + " of " + tp.to_string() + ": " + why + " (" + what_next + ")"),
          tp_(std::move(tp)),
          offset_(offset),
          is_key_(is_key) {}
    const topic_partition& partition() const noexcept { return tp_; }
    std::int64_t offset() const noexcept { return offset_; }
    bool is_key() const noexcept { return is_key_; }

private:
    topic_partition tp_;
    std::int64_t offset_;
    bool is_key_;
};

/// Thrown by a blocking call interrupted by wakeup() from another thread.
class wakeup_error : public kafka_error {
public:
    wakeup_error() : kafka_error(make_error_code(client_errc::wakeup), "wakeup() interrupted the blocking call") {}
};

/// A second thread called the consumer while one was inside it.
class concurrent_access_error : public kafka_error {
public:
    concurrent_access_error()
        : kafka_error(make_error_code(client_errc::illegal_state),
                      "KafkaConsumer is not safe for multi-threaded access: another thread is using it "
                      "(only wakeup() may be called from another thread)") {}
    explicit concurrent_access_error(const std::string& what)
        : kafka_error(make_error_code(client_errc::illegal_state), what) {}
};

/// A blocking call ran out of time.
class timeout_error : public kafka_error {
public:
    explicit timeout_error(const std::string& what)
        : kafka_error(make_error_code(client_errc::request_timed_out), what) {}
};

}  // namespace kafka
