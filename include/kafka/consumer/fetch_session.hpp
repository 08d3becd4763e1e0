// One broker's incremental fetch session (KIP-227; Java's FetchSessionHandler).
//
// The first Fetch to a broker is full (every partition, session epoch 0) and asks the broker to
// open a session. While the session lives, a Fetch names only the partitions that are new or whose
// fetch parameters changed, and lists as forgotten those the consumer no longer fetches there; the
// broker keeps fetching the others at the offsets it last got. The response names only partitions
// with something to say (records, an error, moved watermarks). With a thousand idle partitions the
// steady-state request is a few dozen bytes instead of tens of kilobytes.
//
// The session is reset (the next request is full again) on FETCH_SESSION_ID_NOT_FOUND (the broker
// evicted it: a new one is opened), INVALID_FETCH_SESSION_EPOCH / FETCH_SESSION_TOPIC_ID_ERROR or a
// failed request (the old one is closed and a new one opened: session id kept, epoch 0), or when the
// naming of topics changes (names up to Fetch v12, ids from v13: a session keeps the one it began with).
// Brokers before Fetch v7 have no sessions: every request is full, session id 0, epoch -1.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::engine {

class fetch_session {
public:
    /// What the consumer asks of one partition; a partition is sent again only when this changes.
    struct partition_data {
        kafka::uuid topic_id;
        std::int64_t fetch_offset = 0;
        std::int32_t current_leader_epoch = -1;
        std::int32_t last_fetched_epoch = -1;
        std::int32_t max_bytes = 0;
        friend bool operator==(const partition_data&, const partition_data&) = default;
    };
    using partitions = std::map<topic_partition, partition_data>;

    static constexpr std::int16_t first_version_with_sessions = 7;
    static constexpr std::int16_t first_version_with_topic_ids = 13;

    /// Fills `req` (topics, forgotten topics, session id and epoch) to fetch `next` from this broker.
    /// `version` is the Fetch version the request will go out with, if known (a new connection's
    /// is not): without it, or below v7, the request is full.
    void build(partitions next, std::optional<std::int16_t> version, protocol::FetchRequest& req) {
        bool sessions = version && *version >= first_version_with_sessions;
        bool ids = version && *version >= first_version_with_topic_ids;
        if (!sessions) {
            // No session on this broker (or not yet known): a plain full fetch, and any session
            // we had there is left to expire.
            reset();
            append_all(next, req);
            req.session_id = 0;
            req.session_epoch = -1;
            return;
        }
        if (epoch_ > 0 && ids != uses_ids_) start_over();
        if (epoch_ == 0) {
            append_all(next, req);
        } else {
            for (auto const& [tp, d] : next) {
                auto it = sent_.find(tp);
                if (it != sent_.end() && it->second.topic_id != d.topic_id)
                    add_forgotten(req, tp, it->second.topic_id);  // the topic was re-created: new id
                if (it == sent_.end() || it->second != d) append(req, tp, d);
            }
            for (auto const& [tp, d] : sent_)
                if (!next.count(tp)) add_forgotten(req, tp, d.topic_id);
        }
        req.session_id = id_;
        req.session_epoch = epoch_;
        uses_ids_ = ids;
        sent_ = std::move(next);
    }

    /// The broker's answer to the request `build` made. Returns false when the session failed (the
    /// response's top-level error), in which case the next request is full.
    bool on_response(std::int16_t error, std::int32_t session_id) {
        auto e = static_cast<errc>(error);
        if (e == errc::fetch_session_id_not_found) {
            reset();
            return false;
        }
        if (error != 0) {
            start_over();
            return false;
        }
        if (session_id == 0) {
            reset();  // the broker did not open one (its cache is full) or closed ours: full again
            return true;
        }
        if (epoch_ == 0 || session_id != id_) {
            id_ = session_id;
            epoch_ = 1;
        } else {
            epoch_ = epoch_ == INT32_MAX ? 1 : epoch_ + 1;
        }
        return true;
    }

    /// The request failed (disconnected, timed out): the broker may or may not have applied it.
    void on_failure() { start_over(); }

    /// The session's id (0: none) and the epoch of the next request.
    std::int32_t id() const noexcept { return id_; }
    std::int32_t next_epoch() const noexcept { return epoch_; }
    /// The partitions the broker fetches for the last request built: a response may name any of them.
    const partitions& session_partitions() const noexcept { return sent_; }

private:
    void reset() {
        id_ = 0;
        epoch_ = 0;
        sent_.clear();
    }
    // Keeps the id, so that the full request (epoch 0) closes the old session as it opens a new one.
    void start_over() {
        epoch_ = 0;
        sent_.clear();
    }

    static void append_all(const partitions& next, protocol::FetchRequest& req) {
        for (auto const& [tp, d] : next) append(req, tp, d);
    }

    static void append(protocol::FetchRequest& req, const topic_partition& tp, const partition_data& d) {
        if (req.topics.empty() || req.topics.back().topic != tp.topic || req.topics.back().topic_id != d.topic_id) {
            protocol::FetchRequest::FetchTopic t;
            t.topic = tp.topic;
            t.topic_id = d.topic_id;
            req.topics.push_back(std::move(t));
        }
        protocol::FetchRequest::FetchPartition p;
        p.partition = tp.partition;
        p.fetch_offset = d.fetch_offset;
        p.current_leader_epoch = d.current_leader_epoch;
        p.last_fetched_epoch = d.last_fetched_epoch;
        p.partition_max_bytes = d.max_bytes;
        req.topics.back().partitions.push_back(p);
    }

    static void add_forgotten(protocol::FetchRequest& req, const topic_partition& tp, const kafka::uuid& id) {
        auto& f = req.forgotten_topics_data;
        if (f.empty() || f.back().topic != tp.topic || f.back().topic_id != id) {
            protocol::FetchRequest::ForgottenTopic t;
            t.topic = tp.topic;
            t.topic_id = id;
            f.push_back(std::move(t));
        }
        f.back().partitions.push_back(tp.partition);
    }

    std::int32_t id_ = 0;
    std::int32_t epoch_ = 0;  // of the next request: 0 opens a session (closing `id_` if set)
    bool uses_ids_ = false;
    partitions sent_;
};

}  // namespace kafka::engine
