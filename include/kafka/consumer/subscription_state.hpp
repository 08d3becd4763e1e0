// What the consumer is subscribed to, what it owns, and where it stands in each partition
// (Java's SubscriptionState). No I/O: the fetcher and the coordinator read and update it.
//
// A subscription is one of: topics (auto-assigned by the group), a pattern (auto-assigned,
// topics matched against metadata), or partitions assigned by the user. Mixing them is the
// user's error, reported as such. Every partition carries a `seek_epoch` that changes on
// seek, reset and (re)assignment: a fetch answered after such a change is discarded, so no
// record from before a seek, or of a revoked partition, ever reaches the user.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <kafka/config_enums.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka {

namespace engine {

struct fetch_position {
    std::int64_t offset = 0;
    std::optional<std::int32_t> leader_epoch;
    friend bool operator==(const fetch_position&, const fetch_position&) = default;
};

struct partition_state {
    std::optional<fetch_position> position;
    std::optional<offset_reset_strategy> pending_reset;
    bool paused = false;
    std::uint64_t seek_epoch = 0;
    std::optional<std::int64_t> high_watermark;
    std::optional<std::int64_t> last_stable_offset;
    std::optional<std::int64_t> log_start_offset;
};

class subscription_state {
public:
    // server_pattern: a regex the broker evaluates (KIP-848); the subscription is then the topics
    // the broker assigned.
    enum class kind { none, topics, pattern, server_pattern, user_assigned };

    explicit subscription_state(offset_reset_strategy default_reset = offset_reset_strategy::latest)
        : default_reset_(default_reset) {}

    kind subscription_kind() const noexcept { return kind_; }
    offset_reset_strategy default_reset() const noexcept { return default_reset_; }

    /// Subscribes to `topics` (replacing any earlier topic subscription). Returns true if it changed.
    bool subscribe(std::set<std::string> topics) {
        ensure_kind(kind::topics);
        kind_ = topics.empty() ? kind::none : kind::topics;
        bool changed = topics != subscription_;
        subscription_ = std::move(topics);
        return changed;
    }

    /// Subscribes to every topic matching `pattern` (full match, as Java's Pattern.matcher().matches()).
    void subscribe(const std::string& pattern) {
        ensure_kind(kind::pattern);
        try {
            pattern_ = std::regex(pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw kafka_error(make_error_code(client_errc::invalid_config),
                              "invalid subscription pattern '" + pattern + "': " + e.what());
        }
        pattern_text_ = pattern;
        kind_ = kind::pattern;
    }
    /// Subscribes by a regex the broker evaluates (group.protocol=consumer): the assignment names the topics.
    void subscribe_server_pattern(const std::string& regex) {
        ensure_kind(kind::server_pattern);
        if (kind_ != kind::server_pattern) subscription_.clear();
        pattern_text_ = regex;
        kind_ = kind::server_pattern;
    }
    bool matches_pattern(const std::string& topic) const {
        return kind_ == kind::pattern && std::regex_match(topic, pattern_);
    }
    const std::string& pattern() const noexcept { return pattern_text_; }

    /// Under a pattern subscription: sets the topics metadata shows to match. True if changed.
    bool set_pattern_topics(std::set<std::string> topics) {
        bool changed = topics != subscription_;
        subscription_ = std::move(topics);
        return changed;
    }

    /// Manual assignment. Positions of partitions kept are kept.
    void assign_from_user(const std::set<topic_partition>& partitions) {
        ensure_kind(kind::user_assigned);
        kind_ = partitions.empty() ? kind::none : kind::user_assigned;
        set_assignment(std::vector<topic_partition>(partitions.begin(), partitions.end()));
        user_topics_.clear();
        for (auto const& tp : partitions) user_topics_.insert(tp.topic);
    }

    /// The group's assignment (after a rebalance). Partitions kept keep their positions.
    void assign_from_subscribed(const std::vector<topic_partition>& partitions) {
        if (kind_ != kind::topics && kind_ != kind::pattern && kind_ != kind::server_pattern)
            throw illegal_state_error("assignment from the group without a topic or pattern subscription");
        if (kind_ == kind::server_pattern) {
            subscription_.clear();
            for (auto const& tp : partitions) subscription_.insert(tp.topic);
        }
        for (auto const& tp : partitions)
            if (!subscription_.count(tp.topic))
                throw illegal_state_error("the group assigned " + tp.to_string() + ", a topic not subscribed to");
        set_assignment(partitions);
    }

    void unsubscribe() {
        kind_ = kind::none;
        subscription_.clear();
        user_topics_.clear();
        pattern_text_.clear();
        assignment_.clear();
    }

    bool has_auto_assigned_partitions() const noexcept {
        return kind_ == kind::topics || kind_ == kind::pattern || kind_ == kind::server_pattern;
    }
    bool is_user_assigned() const noexcept { return kind_ == kind::user_assigned; }
    /// Topics subscribed to (topic or pattern subscription).
    const std::set<std::string>& subscription() const noexcept { return subscription_; }
    /// Topics whose metadata is needed.
    std::set<std::string> metadata_topics() const {
        return kind_ == kind::user_assigned ? user_topics_ : subscription_;
    }

    std::vector<topic_partition> assigned_partitions() const {
        std::vector<topic_partition> out;
        out.reserve(assignment_.size());
        for (auto const& [tp, st] : assignment_) out.push_back(tp);
        return out;
    }
    bool is_assigned(const topic_partition& tp) const { return assignment_.count(tp) != 0; }
    std::size_t assigned_count() const noexcept { return assignment_.size(); }

    const partition_state* state(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        return it == assignment_.end() ? nullptr : &it->second;
    }

    /// Moves the position; pending resets are cancelled and in-flight fetches invalidated.
    void seek(const topic_partition& tp, fetch_position pos) {
        auto& st = assigned_state(tp, "seek");
        st.position = pos;
        st.pending_reset.reset();
        st.seek_epoch = ++epoch_counter_;
    }
    /// Advances the position after records were returned (no epoch change: fetches stay valid).
    void advance(const topic_partition& tp, fetch_position pos) {
        auto it = assignment_.find(tp);
        if (it != assignment_.end()) it->second.position = pos;
    }
    std::optional<fetch_position> position(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        if (it == assignment_.end()) return std::nullopt;
        return it->second.position;
    }

    void request_reset(const topic_partition& tp, offset_reset_strategy s) {
        auto& st = assigned_state(tp, "reset");
        st.pending_reset = s;
        st.position.reset();
        st.seek_epoch = ++epoch_counter_;
    }
    std::optional<offset_reset_strategy> pending_reset(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        return it == assignment_.end() ? std::nullopt : it->second.pending_reset;
    }
    std::vector<topic_partition> partitions_needing_reset() const {
        std::vector<topic_partition> out;
        for (auto const& [tp, st] : assignment_)
            if (st.pending_reset && !st.paused) out.push_back(tp);
        return out;
    }
    /// Partitions with neither a position nor a pending reset: their committed offset is needed.
    std::vector<topic_partition> partitions_needing_position() const {
        std::vector<topic_partition> out;
        for (auto const& [tp, st] : assignment_)
            if (!st.position && !st.pending_reset) out.push_back(tp);
        return out;
    }
    bool has_all_positions() const {
        for (auto const& [tp, st] : assignment_)
            if (!st.position) return false;
        return true;
    }

    void pause(const topic_partition& tp) { assigned_state(tp, "pause").paused = true; }
    void resume(const topic_partition& tp) { assigned_state(tp, "resume").paused = false; }
    bool is_paused(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        return it != assignment_.end() && it->second.paused;
    }
    std::set<topic_partition> paused_partitions() const {
        std::set<topic_partition> out;
        for (auto const& [tp, st] : assignment_)
            if (st.paused) out.insert(tp);
        return out;
    }

    /// Assigned, not paused, with a position.
    bool is_fetchable(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        return it != assignment_.end() && !it->second.paused && it->second.position.has_value();
    }
    std::vector<topic_partition> fetchable_partitions() const {
        std::vector<topic_partition> out;
        for (auto const& [tp, st] : assignment_)
            if (!st.paused && st.position) out.push_back(tp);
        return out;
    }
    std::uint64_t seek_epoch(const topic_partition& tp) const {
        auto it = assignment_.find(tp);
        return it == assignment_.end() ? 0 : it->second.seek_epoch;
    }

    /// Positions of every assigned partition that has one: what commitSync() commits.
    std::map<topic_partition, offset_and_metadata> all_consumed() const {
        std::map<topic_partition, offset_and_metadata> out;
        for (auto const& [tp, st] : assignment_)
            if (st.position) out[tp] = {st.position->offset, "", st.position->leader_epoch};
        return out;
    }

    void update_watermarks(const topic_partition& tp, std::optional<std::int64_t> high, std::optional<std::int64_t> lso,
                           std::optional<std::int64_t> log_start) {
        auto it = assignment_.find(tp);
        if (it == assignment_.end()) return;
        if (high) it->second.high_watermark = high;
        if (lso) it->second.last_stable_offset = lso;
        if (log_start) it->second.log_start_offset = log_start;
    }

private:
    void ensure_kind(kind wanted) const {
        if (kind_ != kind::none && kind_ != wanted) {
            const char* now = kind_ == kind::user_assigned ? "partitions were assigned with assign()"
                              : kind_ == kind::pattern || kind_ == kind::server_pattern
                                  ? "the consumer is subscribed to a pattern"
                                  : "the consumer is subscribed to topics";
            throw illegal_state_error(std::string("subscribe(), subscribe(pattern) and assign() are exclusive: ") +
                                      now + "; call unsubscribe() first");
        }
    }
    partition_state& assigned_state(const topic_partition& tp, const char* op) {
        auto it = assignment_.find(tp);
        if (it == assignment_.end())
            throw illegal_state_error(std::string("cannot ") + op + " partition " + tp.to_string() +
                                      ": it is not assigned to this consumer");
        return it->second;
    }
    void set_assignment(const std::vector<topic_partition>& partitions) {
        std::map<topic_partition, partition_state> next;
        for (auto const& tp : partitions) {
            auto it = assignment_.find(tp);
            if (it != assignment_.end()) {
                next.emplace(tp, it->second);
            } else {
                partition_state st;
                st.seek_epoch = ++epoch_counter_;
                next.emplace(tp, st);
            }
        }
        assignment_ = std::move(next);
    }

    kind kind_ = kind::none;
    offset_reset_strategy default_reset_;
    std::set<std::string> subscription_;
    std::set<std::string> user_topics_;
    std::regex pattern_;
    std::string pattern_text_;
    std::map<topic_partition, partition_state> assignment_;
    std::uint64_t epoch_counter_ = 0;
};

}  // namespace engine
}  // namespace kafka
