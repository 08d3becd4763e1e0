// What the consumer logs, and in which words: the events of its parts (connections, metadata,
// rebalances, commits) turned into lines for detail/logging.hpp's logger, rate-limited where the
// same condition recurs (a broker that stays down, a topic that stays missing, a commit that keeps
// failing). Free functions, so the engine only says where an event happened.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/config.hpp>
#include <kafka/consumer_types.hpp>
#include <kafka/detail/logging.hpp>
#include <kafka/error.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::detail {

/// How long a recurring condition stays quiet after it was logged: the reconnect backoff's
/// ceiling, and at least 10 s (a broker that is down logs once per window, with the count of
/// attempts in between).
template <class Duration>
Duration log_window_for(const consumer_config& c) {
    return std::chrono::duration_cast<Duration>(
        std::max<std::chrono::milliseconds>(c.reconnect_backoff_max(), std::chrono::seconds(10)));
}

/// "127.0.0.1:9092 (bootstrap server)", "10.0.0.7:9092 (node 2)", "... (group coordinator, node 2)".
inline std::string describe_node(const client::broker_address& a, std::int32_t node) {
    std::string s = a.host + ":" + std::to_string(a.port) + " (";
    if (node < 0)
        s += "bootstrap server";
    else if (node >= client::coordinator_node_base / 2)
        s += "group coordinator, node " + std::to_string(client::coordinator_node_base - node);
    else
        s += "node " + std::to_string(node);
    return s + ")";
}

/// A connection that failed to open (warn, once per window per address), an authentication that
/// failed (error), or an established connection that broke (info, once per window per address).
template <class Clock, class Event>
void log_disconnect(consumer_logger<Clock>& log, const Event& e, typename Clock::time_point now) {
    if (!log.enabled() || e.error == client_errc::closed) return;
    auto address = e.address.host + ":" + std::to_string(e.address.port);
    auto reason = e.error.message() + (e.detail.empty() ? "" : " (" + e.detail + ")");
    if (client::is_authentication_error(e.error)) {
        log.log_limited(log_level::error, "auth:" + address,
                        "authentication with " + describe_node(e.address, e.node) + " failed: " + reason, now);
        return;
    }
    if (!e.established) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.backoff).count();
        log.log_limited(log_level::warn, "connect:" + address,
                        "connection to " + describe_node(e.address, e.node) + " failed: " + reason +
                            "; next attempt in " + std::to_string(ms) + " ms",
                        now);
        return;
    }
    log.log_limited(log_level::info, "disconnect:" + address,
                    "disconnected from " + describe_node(e.address, e.node) + ": " + reason, now);
}

inline std::string partition_list(const std::vector<topic_partition>& parts) {
    if (parts.empty()) return "(none)";
    std::string s;
    for (auto const& tp : parts) s += (s.empty() ? "" : ", ") + tp.to_string();
    return s;
}

/// The assignment's changes, as Java's ConsumerCoordinator logs them; lost partitions are a
/// warning (the membership was lost: session expired or fenced; nothing was committed for them).
template <class Clock>
void log_rebalance(const consumer_logger<Clock>& log, std::string_view what,
                   const std::vector<topic_partition>& parts) {
    if (what == "assigned")
        log.log(log_level::info, "assigned partitions: " + partition_list(parts));
    else if (what == "revoked")
        log.log(log_level::info, "revoked partitions: " + partition_list(parts));
    else if (what == "lost")
        log.log(log_level::warn,
                "lost partitions: " + partition_list(parts) +
                    " (the group membership was lost, by session expiry or fencing; their offsets were not committed)");
}

/// A subscribed or assigned topic that metadata does not have, or has without leaders; once per
/// window per topic, and one line when it is back.
template <class Clock>
void log_metadata_problems(consumer_logger<Clock>& log, const std::string& topic, const client::topic_metadata* tm,
                           typename Clock::time_point now) {
    if (!log.enabled()) return;
    auto key = "topic:" + topic;
    if (!tm || tm->error == static_cast<std::int16_t>(errc::unknown_topic_or_partition)) {
        log.log_limited(log_level::warn, key, "topic '" + topic + "' does not exist (yet)", now);
        return;
    }
    if (tm->error != 0) {
        log.log_limited(
            log_level::warn, key,
            "metadata for topic '" + topic + "': " + make_error_code(static_cast<errc>(tm->error)).message(), now);
        return;
    }
    if (log.active(key)) {
        log.clear(key);
        log.log(log_level::info, "topic '" + topic + "' is available now");
    }
    std::string leaderless;
    std::int16_t error = 0;
    for (auto const& p : tm->partitions)
        if (p.error != 0 || p.leader < 0) {
            leaderless += (leaderless.empty() ? "" : ", ") + std::to_string(p.partition);
            if (p.error != 0) error = p.error;
        }
    auto leaders_key = "leaders:" + topic;
    if (!leaderless.empty()) {
        log.log_limited(log_level::warn, leaders_key,
                        "partitions of topic '" + topic + "' without a leader: " + leaderless +
                            (error ? " (" + make_error_code(static_cast<errc>(error)).message() + ")" : std::string()),
                        now);
    } else if (log.active(leaders_key)) {
        log.clear(leaders_key);
        log.log(log_level::info, "every partition of topic '" + topic + "' has a leader again");
    }
}

/// A commit that failed, with its offsets; `what` says which commit (auto-commit, commitSync, ...).
template <class Clock>
void log_commit_failure(const consumer_logger<Clock>& log,
                        const std::map<topic_partition, offset_and_metadata>& offsets, std::error_code ec,
                        std::string_view what) {
    if (!log.enabled()) return;
    std::string list;
    for (auto const& [tp, om] : offsets)
        list += (list.empty() ? "" : ", ") + tp.to_string() + "@" + std::to_string(om.offset);
    log.log(log_level::warn, "commit of offsets " + list + " failed: " + ec.message() + " (" + std::string(what) + ")");
}

}  // namespace kafka::detail
