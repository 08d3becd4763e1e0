// PROTOTYPE (measurement only): what a user's TU would see of a KafkaConsumer whose
// implementation is compiled elsewhere: declarations only, light headers.
#pragma once
#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kafka/config.hpp>
#include <kafka/policy/assignors/cooperative_sticky.hpp>
#include <kafka/policy/deserializer.hpp>
#include <kafka/policy/offset_commit.hpp>
#include <kafka/record.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {
namespace transports {
class tcp;
}
namespace assignors {
struct range;
template <class...>
struct list;
}  // namespace assignors
enum class log_level { debug, info, warn, error };
struct topic_pattern {
    explicit topic_pattern(std::string r) : regex(std::move(r)) {}
    std::string regex;
};
struct rebalance_listener {
    std::function<void(const std::vector<topic_partition>&)> on_partitions_revoked;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_assigned;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_lost;
};
struct default_policies {
    using transport = transports::tcp;
    using assignor = assignors::list<assignors::range, assignors::cooperative_sticky>;
    using offset_commit = commit::auto_commit;
    static constexpr bool background_heartbeat = true;
};
template <class K, class V, class Policies = default_policies>
class KafkaConsumer {
public:
    using records_type = ConsumerRecords<K, V>;
    using commit_callback = std::function<void(const std::map<topic_partition, offset_and_metadata>&, std::error_code)>;
    explicit KafkaConsumer(consumer_config config);
    KafkaConsumer(const KafkaConsumer&) = delete;
    KafkaConsumer& operator=(const KafkaConsumer&) = delete;
    ~KafkaConsumer();
    void subscribe(const std::vector<std::string>& topics, rebalance_listener listener = {});
    void subscribe(std::initializer_list<std::string> topics, rebalance_listener listener = {});
    void subscribe(const topic_pattern& pattern, rebalance_listener listener = {});
    void assign(const std::vector<topic_partition>& partitions);
    void unsubscribe();
    std::set<topic_partition> assignment() const;
    records_type poll(std::chrono::milliseconds timeout);
    void commitSync(std::chrono::milliseconds timeout);
    void commitSync(const std::map<topic_partition, offset_and_metadata>& offsets);
    void commitAsync(commit_callback callback = {});
    void seek(const topic_partition& tp, std::int64_t offset);
    std::int64_t position(const topic_partition& tp, std::chrono::milliseconds timeout);
    void pause(const std::vector<topic_partition>& partitions);
    void resume(const std::vector<topic_partition>& partitions);
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    void wakeup();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};
}  // namespace kafka
