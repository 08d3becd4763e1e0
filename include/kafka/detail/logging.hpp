// The consumer's log: one sink the user plugs in (KafkaConsumer::set_log_handler), every line
// prefixed with the consumer's identity as Java's LogContext does
//
//   [Consumer clientId=orders-1, groupId=orders] connection to 10.0.0.7:9092 (node 2) failed: Connection refused
//
// and lines about a recurring condition rate-limited per kind and destination: the first one of a
// key is logged at once, the same key again within the window is counted instead, and the first
// one after the window says how many were suppressed. A broker that stays down thus logs one line
// per window, not one per reconnect attempt.
//
// No sink, no work: enabled() is false and nothing is formatted. Not thread-safe by itself: the
// consumer calls it under its thread guard (the heartbeat thread logs only while holding the
// consumer's lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <kafka/consumer_types.hpp>

namespace kafka::detail {

/// "[Consumer clientId=<id>, groupId=<group>] " (", groupId=" left out without a group), as Java.
inline std::string log_prefix(std::string_view client_id, const std::optional<std::string>& group_id) {
    std::string p = "[Consumer clientId=";
    p += client_id;
    if (group_id && !group_id->empty()) {
        p += ", groupId=";
        p += *group_id;
    }
    p += "] ";
    return p;
}

template <class Clock>
class consumer_logger {
public:
    using sink = std::function<void(log_level, const std::string&)>;
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    consumer_logger(std::string client_id, std::optional<std::string> group_id, duration window)
        : prefix_(log_prefix(client_id, group_id)), window_(window) {}

    void set_sink(sink s) { sink_ = std::move(s); }
    bool enabled() const noexcept { return static_cast<bool>(sink_); }
    /// How long a rate-limited key stays quiet after it was logged.
    duration window() const noexcept { return window_; }
    const std::string& prefix() const noexcept { return prefix_; }

    /// Logs `message` with the consumer's prefix.
    void log(log_level level, std::string_view message) const {
        if (!sink_) return;
        std::string line = prefix_;
        line += message;
        sink_(level, line);
    }

    /// Logs `message` unless a line of the same `key` was logged less than window() before `now`;
    /// then it is only counted, and the next line of the key logged says how many were left out.
    /// Returns true when it was logged.
    bool log_limited(log_level level, const std::string& key, std::string_view message, time_point now) {
        if (!sink_) return false;
        auto [it, fresh] = limits_.try_emplace(key);
        auto& l = it->second;
        if (!fresh && now < l.last + window_) {
            ++l.suppressed;
            return false;
        }
        std::string line(message);
        if (l.suppressed > 0)
            line +=
                " (" + std::to_string(l.suppressed) + " more like this in the last " + seconds_text(now - l.last) + ")";
        l.last = now;
        l.suppressed = 0;
        log(level, line);
        return true;
    }

    /// Forgets a key (the condition ended: the next occurrence is logged at once). Returns how
    /// many of its lines were suppressed since the last one logged.
    std::uint64_t clear(const std::string& key) {
        auto it = limits_.find(key);
        if (it == limits_.end()) return 0;
        auto n = it->second.suppressed;
        limits_.erase(it);
        return n;
    }
    /// True while `key` has been logged and not cleared.
    bool active(const std::string& key) const { return limits_.count(key) != 0; }

private:
    struct limit {
        time_point last{};
        std::uint64_t suppressed = 0;
    };

    static std::string seconds_text(duration d) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
        return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
    }

    std::string prefix_;
    duration window_;
    sink sink_;
    std::map<std::string, limit> limits_;
};

}  // namespace kafka::detail
