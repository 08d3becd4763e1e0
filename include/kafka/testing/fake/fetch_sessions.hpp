// The fake cluster's incremental fetch sessions (KIP-227), per node, as a broker keeps them:
//  * epoch 0 opens a session (closing the one named, if any) with the request's partitions, and
//    the response carries its id; epoch -1 closes the one named and fetches without a session;
//  * a later request must carry the next epoch (else INVALID_FETCH_SESSION_EPOCH), name a live
//    session (else FETCH_SESSION_ID_NOT_FOUND) and keep naming topics the way it began (names up
//    to v12, ids from v13; else FETCH_SESSION_TOPIC_ID_ERROR). Its partitions are added or updated,
//    its forgotten ones removed, and the broker fetches every partition of the session;
//  * an incremental response names only partitions with records, an error, a diverging epoch, a
//    preferred replica, or watermarks that moved since the session last reported them.
// evict() drops sessions, as a broker whose cache is full does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/fetch.hpp>

namespace kafka::testing::fake {

class fetch_sessions {
public:
    /// A request seen through its session: the partitions to fetch (all of the session's).
    struct resolved {
        std::int16_t error = 0;  // a session error: answered at the top level, nothing fetched
        std::int32_t session_id = 0;
        bool incremental = false;
        protocol::FetchRequest effective;
    };

    /// Sessions are opened only while enabled (a broker whose session cache has no room answers
    /// session id 0, and the client goes on with full requests).
    bool enabled = true;

    resolved resolve(std::int32_t node, std::int16_t version, const protocol::FetchRequest& req) {
        resolved out;
        out.effective = req;
        if (version < 7 || (req.session_id == 0 && req.session_epoch == -1)) return out;
        auto& mine = nodes_[node];
        if (req.session_epoch == -1) {
            mine.erase(req.session_id);
            return out;
        }
        bool ids = version >= 13;
        if (req.session_epoch == 0) {
            if (req.session_id != 0) mine.erase(req.session_id);
            if (!enabled) return out;
            session s;
            s.id = next_id_++;
            s.ids = ids;
            s.next_epoch = 1;
            apply(s, req);
            out.session_id = s.id;
            mine[s.id] = std::move(s);
            return out;
        }
        auto it = mine.find(req.session_id);
        if (it == mine.end()) {
            out.error = static_cast<std::int16_t>(errc::fetch_session_id_not_found);
            return out;
        }
        auto& s = it->second;
        if (req.session_epoch != s.next_epoch) {
            out.error = static_cast<std::int16_t>(errc::invalid_fetch_session_epoch);
            return out;
        }
        if (ids != s.ids) {
            out.error = static_cast<std::int16_t>(errc::fetch_session_topic_id_error);
            return out;
        }
        s.next_epoch = s.next_epoch == INT32_MAX ? 1 : s.next_epoch + 1;
        for (auto const& f : req.forgotten_topics_data)
            for (auto p : f.partitions)
                std::erase_if(s.parts, [&](auto const& c) {
                    return same_topic(c, f.topic, f.topic_id, ids) && c.partition == p;
                });
        apply(s, req);
        out.session_id = s.id;
        out.incremental = true;
        out.effective.topics.clear();
        for (auto const& c : s.parts) {
            if (out.effective.topics.empty() ||
                !same_topic(c, out.effective.topics.back().topic, out.effective.topics.back().topic_id, ids)) {
                protocol::FetchRequest::FetchTopic t;
                t.topic = c.topic;
                t.topic_id = c.topic_id;
                out.effective.topics.push_back(std::move(t));
            }
            out.effective.topics.back().partitions.push_back(c.data);
        }
        return out;
    }

    /// Sets the response's session id and, for an incremental request, leaves out the partitions
    /// with nothing new. Watermarks reported are remembered either way.
    void finish(std::int32_t node, const resolved& how, protocol::FetchResponse& resp) {
        resp.session_id = how.session_id;
        if (how.session_id == 0) return;
        auto n = nodes_.find(node);
        if (n == nodes_.end() || !n->second.count(how.session_id)) return;  // evicted meanwhile
        auto& s = n->second.at(how.session_id);
        for (auto& t : resp.responses) {
            std::erase_if(t.partitions, [&](const protocol::FetchResponse::PartitionData& p) {
                auto c = std::find_if(s.parts.begin(), s.parts.end(), [&](auto const& e) {
                    return same_topic(e, t.topic, t.topic_id, s.ids) && e.partition == p.partition_index;
                });
                if (c == s.parts.end()) return false;
                bool moved = c->high_watermark != p.high_watermark || c->log_start != p.log_start_offset;
                c->high_watermark = p.high_watermark;
                c->log_start = p.log_start_offset;
                bool news = moved || p.error_code != 0 || !p.records.bytes.empty() || p.preferred_read_replica >= 0 ||
                            p.diverging_epoch.end_offset >= 0;
                return how.incremental && !news;
            });
        }
        if (how.incremental) std::erase_if(resp.responses, [](auto const& t) { return t.partitions.empty(); });
    }

    /// Forgets every session (or those of one node), as a broker evicting them.
    void evict() { nodes_.clear(); }
    void evict(std::int32_t node) { nodes_.erase(node); }
    /// How many sessions a node holds.
    std::size_t count(std::int32_t node) const {
        auto it = nodes_.find(node);
        return it == nodes_.end() ? 0 : it->second.size();
    }

private:
    struct cached {
        std::string topic;
        kafka::uuid topic_id;
        std::int32_t partition = 0;
        protocol::FetchRequest::FetchPartition data;
        std::int64_t high_watermark = -2;
        std::int64_t log_start = -2;
    };
    struct session {
        std::int32_t id = 0;
        std::int32_t next_epoch = 1;
        bool ids = false;
        std::vector<cached> parts;
    };

    static bool same_topic(const cached& c, const std::string& name, const kafka::uuid& id, bool ids) {
        return ids ? c.topic_id == id : c.topic == name;
    }

    static void apply(session& s, const protocol::FetchRequest& req) {
        for (auto const& t : req.topics)
            for (auto const& p : t.partitions) {
                auto c = std::find_if(s.parts.begin(), s.parts.end(), [&](auto const& e) {
                    return same_topic(e, t.topic, t.topic_id, s.ids) && e.partition == p.partition;
                });
                if (c == s.parts.end()) {
                    s.parts.push_back({t.topic, t.topic_id, p.partition, p, -2, -2});
                } else {
                    c->data = p;
                }
            }
    }

    std::map<std::int32_t, std::map<std::int32_t, session>> nodes_;
    std::int32_t next_id_ = 1000;
};

}  // namespace kafka::testing::fake
