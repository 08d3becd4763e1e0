// Cluster metadata as the consumer sees it: brokers, topics, partitions,
// leaders and leader epochs, topic ids.
//
// As in the Java client, nothing here does I/O. request_update() only raises a
// flag and returns the version the caller waits for (the seed's
// requestUpdate/needUpdate/updateVersion); the consumer's poll sends the
// Metadata request when an update is due and hands the response to update().
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kafka/client/backoff.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::client {

struct partition_metadata {
    std::int32_t partition = 0;
    std::int32_t leader = -1;        // -1: no leader right now
    std::int32_t leader_epoch = -1;  // -1: unknown (old brokers)
    std::int16_t error = 0;
};

struct topic_metadata {
    std::string name;
    kafka::uuid id;
    bool internal = false;
    std::int16_t error = 0;
    std::vector<partition_metadata> partitions;  // indexed by partition number
};

struct broker_metadata {
    std::int32_t id = -1;
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> rack;
};

template <class Clock = std::chrono::steady_clock>
class basic_metadata {
public:
    using clock = Clock;
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    /// A failed refresh waits `refresh_backoff` before the next attempt, doubled per consecutive
    /// failure up to `refresh_backoff_max` with 20% jitter (retry.backoff.ms / .max.ms, as Java's
    /// Metadata); by default the backoff does not grow.
    explicit basic_metadata(std::chrono::milliseconds max_age = std::chrono::minutes(5),
                            std::chrono::milliseconds refresh_backoff = std::chrono::milliseconds(100),
                            std::optional<std::chrono::milliseconds> refresh_backoff_max = std::nullopt)
        : max_age_(max_age),
          refresh_backoff_(refresh_backoff),
          // Jitter only where the backoff grows; a fixed seed keeps simulated runs repeatable.
          growth_(refresh_backoff, refresh_backoff_max.value_or(refresh_backoff),
                  refresh_backoff_max.value_or(refresh_backoff) > refresh_backoff ? 0.2 : 0.0, 0x2545f491u),
          backoff_(refresh_backoff) {}

    /// Asks for a refresh at the next opportunity; returns the version that will satisfy it.
    int request_update() noexcept {
        need_update_ = true;
        return update_version_ + 1;
    }
    bool update_requested() const noexcept { return need_update_; }
    /// Incremented by every successful update.
    int update_version() const noexcept { return update_version_; }

    /// Topics the consumer needs; `all_topics` for a pattern subscription.
    void set_topics(std::set<std::string> topics, bool all_topics = false) {
        if (topics != topics_ || all_topics != all_topics_) need_update_ = true;
        topics_ = std::move(topics);
        all_topics_ = all_topics;
    }
    const std::set<std::string>& topics() const noexcept { return topics_; }
    bool wants_all_topics() const noexcept { return all_topics_; }
    bool has_topics_to_fetch() const noexcept { return all_topics_ || !topics_.empty(); }

    /// Time until an update is due (zero when requested or expired), never before the backoff.
    duration time_to_next_update(time_point now) const {
        using D = duration;
        D until_expiry = need_update_ || update_version_ == 0
                             ? D::zero()
                             : std::max(D::zero(), std::chrono::duration_cast<D>(last_success_ + max_age_ - now));
        D until_backoff = std::max(D::zero(), std::chrono::duration_cast<D>(last_attempt_ + backoff_ - now));
        return std::max(until_expiry, until_backoff);
    }

    /// The request for the topics of interest (null topics: every topic).
    protocol::MetadataRequest build_request(bool allow_auto_create) const {
        protocol::MetadataRequest req;
        req.allow_auto_topic_creation = allow_auto_create;
        if (all_topics_) {
            req.topics.reset();
        } else {
            req.topics.emplace();
            for (auto const& t : topics_) {
                protocol::MetadataRequest::MetadataRequestTopic rt;
                rt.name = t;
                req.topics->push_back(std::move(rt));
            }
        }
        return req;
    }

    /// A request went out (or failed): the next one waits for the refresh backoff.
    void record_attempt(time_point now) noexcept {
        if (attempts_ == 0) first_failing_attempt_ = now;
        last_attempt_ = now;
        backoff_ = growth_.after(attempts_);  // the wait before the next attempt, should this one fail
        ++attempts_;
    }

    /// How long refreshes have been failing: since the first attempt after the last success (zero
    /// when none was made since). metadata.recovery.rebootstrap.trigger.ms is measured on it.
    duration failing_for(time_point now) const noexcept {
        return attempts_ == 0 ? duration::zero() : std::max(duration::zero(), now - first_failing_attempt_);
    }

    /// Applies a Metadata response. Partitions whose leader epoch went backwards keep the newer
    /// information (a stale broker must not move a leader back), as Java's Metadata does.
    void update(const protocol::MetadataResponse& resp, time_point now) {
        brokers_.clear();
        for (auto const& b : resp.brokers)
            brokers_[b.node_id] = {b.node_id, b.host, static_cast<std::uint16_t>(b.port), b.rack};
        cluster_id_ = resp.cluster_id.value_or("");
        std::map<std::string, topic_metadata> topics;
        for (auto const& t : resp.topics) {
            if (!t.name || t.name->empty()) continue;
            topic_metadata tm;
            tm.name = *t.name;
            tm.id = t.topic_id;
            tm.internal = t.is_internal;
            tm.error = t.error_code;
            // A topic of n partitions lists indexes 0..n-1. An index outside that range is not
            // believed (it would size the table: 2^31-1 is 2^31 entries), and an index the answer
            // left out stays a partition without a leader.
            tm.partitions.resize(t.partitions.size());
            for (std::size_t i = 0; i < tm.partitions.size(); ++i)
                tm.partitions[i].partition = static_cast<std::int32_t>(i);
            for (auto const& p : t.partitions) {
                if (p.partition_index < 0 || static_cast<std::size_t>(p.partition_index) >= tm.partitions.size())
                    continue;
                auto& pm = tm.partitions[static_cast<std::size_t>(p.partition_index)];
                pm = {p.partition_index, p.leader_id, p.leader_epoch, p.error_code};
                if (auto old = partition(topic_partition{tm.name, p.partition_index});
                    old && old->leader_epoch > pm.leader_epoch && pm.leader_epoch >= 0)
                    pm = *old;
            }
            topics[tm.name] = std::move(tm);
        }
        topics_meta_ = std::move(topics);
        ids_.clear();
        for (auto const& [name, t] : topics_meta_)
            if (!t.id.is_zero()) ids_[t.id] = name;
        need_update_ = false;
        ++update_version_;
        last_success_ = last_attempt_ = now;
        attempts_ = 0;
        backoff_ = refresh_backoff_;
    }

    const std::map<std::int32_t, broker_metadata>& brokers() const noexcept { return brokers_; }
    const std::map<std::string, topic_metadata>& all_topics() const noexcept { return topics_meta_; }
    const std::string& cluster_id() const noexcept { return cluster_id_; }

    const topic_metadata* topic(const std::string& name) const {
        auto it = topics_meta_.find(name);
        return it == topics_meta_.end() ? nullptr : &it->second;
    }
    std::optional<partition_metadata> partition(const topic_partition& tp) const {
        auto t = topic(tp.topic);
        if (!t || tp.partition < 0 || static_cast<std::size_t>(tp.partition) >= t->partitions.size())
            return std::nullopt;
        return t->partitions[static_cast<std::size_t>(tp.partition)];
    }
    /// Number of partitions of a topic, or nullopt if unknown (or the topic has an error).
    std::optional<std::int32_t> partition_count(const std::string& topic_name) const {
        auto t = topic(topic_name);
        if (!t || t->error != 0) return std::nullopt;
        return static_cast<std::int32_t>(t->partitions.size());
    }
    std::optional<std::string> topic_name(const kafka::uuid& id) const {
        auto it = ids_.find(id);
        if (it == ids_.end()) return std::nullopt;
        return it->second;
    }
    kafka::uuid topic_id(const std::string& name) const {
        auto t = topic(name);
        return t ? t->id : kafka::uuid{};
    }
    /// The leader of a partition, if it has one that metadata knows the address of.
    std::optional<std::int32_t> leader(const topic_partition& tp) const {
        auto p = partition(tp);
        if (!p || p->leader < 0 || !brokers_.count(p->leader)) return std::nullopt;
        return p->leader;
    }

private:
    std::chrono::milliseconds max_age_;
    std::chrono::milliseconds refresh_backoff_;
    exponential_backoff growth_;
    std::chrono::milliseconds backoff_;  // after the last attempt, should it fail
    int attempts_ = 0;                   // since the last success
    bool need_update_ = true;
    int update_version_ = 0;
    time_point last_success_{};
    time_point last_attempt_{};
    time_point first_failing_attempt_{};
    std::set<std::string> topics_;
    bool all_topics_ = false;
    std::map<std::int32_t, broker_metadata> brokers_;
    std::map<std::string, topic_metadata> topics_meta_;
    std::map<kafka::uuid, std::string> ids_;
    std::string cluster_id_;
};

using metadata = basic_metadata<>;

}  // namespace kafka::client
