// KIP-848 consumer groups in the fake cluster (see kafka/testing/fake_cluster.hpp):
// ConsumerGroupHeartbeat served on the wire, and the validation of the commits of consumer groups
// for the shared coordinator (fake/group_coordinator.hpp). A sibling of fake/classic_group.hpp.
//
// A simplified Kafka GroupMetadataManager/CurrentAssignmentBuilder:
//  * Requests are checked as Kafka does: epoch 0 joins (needs RebalanceTimeoutMs, an empty
//    TopicPartitions, and SubscribedTopicNames or, v1+, SubscribedTopicRegex); v1 needs a member
//    id; -1 leaves; -2 leaves a static member's place for its session timeout; any other epoch
//    must be the member's (or its previous one, with owned partitions that are still its own),
//    else FENCED_MEMBER_EPOCH; an unknown member gets UNKNOWN_MEMBER_ID. A join with the
//    group.instance.id of a member that has not left gets UNRELEASED_INSTANCE_ID; a static member
//    that comes back in time takes over its predecessor's epoch and assignment.
//  * The group epoch is bumped by every change of members or subscriptions, and the target
//    assignment recomputed: "uniform" (sticky: members keep what they had up to their share,
//    the rest goes to the least loaded) or "range" (per topic, contiguous ranges by member id).
//    Another ServerAssignor name gets UNSUPPORTED_ASSIGNOR; a regex std::regex cannot compile gets
//    INVALID_REGULAR_EXPRESSION (Kafka checks RE2/J syntax). A regex is matched again at each
//    heartbeat of its member, so topics created later join the target.
//  * Reconciliation: a member first loses what its target no longer has (its epoch stays until it
//    acknowledges the revocation in TopicPartitions), then gets its target epoch and the target's
//    partitions that no other member still holds or is still revoking; the rest follow in later
//    heartbeats once released. So no partition ever has two owners.
//  * A member not heard from within the session timeout is removed (its partitions freed); one that
//    does not acknowledge a revocation within its rebalance timeout too (it is then fenced).
//  * The assignment goes in the answer when it changed since the last answer, or on a join.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/consumer_group_heartbeat.hpp>
#include <kafka/testing/fake/group_coordinator.hpp>
#include <kafka/testing/fake/log.hpp>
#include <kafka/testing/fake/wire.hpp>

namespace kafka::testing {

/// A member of a KIP-848 consumer group as the fake coordinator sees it.
struct consumer_member_info {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::int32_t member_epoch = 0;
    std::set<topic_partition> assigned;  // what the member may hold now
    std::set<topic_partition> revoking;  // what it must give up and has not acknowledged yet
    bool left_static = false;            // left with epoch -2: its place is kept
};
struct consumer_group_info {
    std::int32_t group_epoch = 0;
    std::int32_t target_epoch = 0;
    std::vector<consumer_member_info> members;
};

namespace fake {

struct consumer_group_options {
    std::chrono::milliseconds session_timeout{45000};    // group.consumer.session.timeout.ms
    std::chrono::milliseconds heartbeat_interval{5000};  // group.consumer.heartbeat.interval.ms
};

class consumer_groups : public group_kind {
public:
    consumer_groups(wire& w, logs& l, group_coordinator& coordinator, consumer_group_options o)
        : wire_(w), logs_(l), coordinator_(coordinator), opts_(o) {
        w.serve(this, &consumer_groups::on_heartbeat);
        coordinator.add_kind(*this);
    }
    consumer_groups(const consumer_groups&) = delete;
    consumer_groups& operator=(const consumer_groups&) = delete;

    std::optional<consumer_group_info> describe(const std::string& id) const {
        auto it = groups_.find(id);
        if (it == groups_.end()) return std::nullopt;
        consumer_group_info out{it->second.epoch, it->second.target_epoch, {}};
        for (auto const& [mid, m] : it->second.members)
            out.members.push_back({m.id, m.instance_id, m.epoch, m.assigned, m.revoking, m.left_static});
        return out;
    }
    /// Removes a member as if its session had expired: it is fenced at its next heartbeat.
    void remove_member(const std::string& group_id, const std::string& member_id) {
        if (auto it = groups_.find(group_id); it != groups_.end()) remove(it->second, member_id);
    }

    // ---- group_kind -----------------------------------------------------------------------

    bool knows(const std::string& group_id) const override { return groups_.count(group_id) != 0; }

    // Kafka's ConsumerGroup.validateOffsetCommit (simplified).
    std::int16_t validate_commit(const std::string& group_id, const std::string& member_id, std::int32_t epoch,
                                 const std::optional<std::string>&) override {
        auto& g = groups_[group_id];
        g.id = group_id;
        if (epoch < 0 && member_id.empty())
            return g.members.empty() ? std::int16_t{0} : static_cast<std::int16_t>(errc::unknown_member_id);
        auto it = g.members.find(member_id);
        if (it == g.members.end()) return static_cast<std::int16_t>(errc::unknown_member_id);
        if (epoch != it->second.epoch) return static_cast<std::int16_t>(errc::stale_member_epoch);
        return 0;
    }

private:
    struct member_t {
        std::string id;
        std::optional<std::string> instance_id;
        std::int32_t epoch = 0;
        std::int32_t previous_epoch = -1;
        std::int32_t rebalance_timeout_ms = 300000;
        std::set<std::string> topics;
        std::optional<std::string> regex;
        std::set<std::string> resolved;  // the topics `regex` matched at the last target computation
        std::optional<std::string> assignor;
        std::set<topic_partition> assigned, revoking;
        std::optional<std::set<topic_partition>> last_sent;
        bool left_static = false;
        time_point deadline{};
        std::uint64_t revoke_round = 0;
    };
    struct group_t {
        std::string id;
        std::int32_t epoch = 0;
        std::int32_t target_epoch = 0;
        std::map<std::string, member_t> members;
        std::map<std::string, std::set<topic_partition>> target;
    };

    using request = protocol::ConsumerGroupHeartbeatRequest;
    using response = protocol::ConsumerGroupHeartbeatResponse;

    void on_heartbeat(const reply_t& r, request& req, injected_error injected) {
        response resp;
        auto answer = [&](errc e, std::string message = {}) {
            resp.error_code = static_cast<std::int16_t>(e);
            if (!message.empty()) resp.error_message = std::move(message);
            wire_.send(r, resp);
        };
        if (injected) return answer(static_cast<errc>(*injected));
        if (req.group_id.empty()) return answer(errc::invalid_request, "GroupId can't be empty.");
        if (!coordinator_.is_coordinator(r.conn->node, req.group_id)) return answer(errc::not_coordinator);
        if (r.version >= 1 && req.member_id.empty()) return answer(errc::invalid_request, "MemberId can't be empty.");
        if (req.server_assignor && *req.server_assignor != "uniform" && *req.server_assignor != "range")
            return answer(errc::unsupported_assignor, "ServerAssignor " + *req.server_assignor + " is not supported.");
        if (req.subscribed_topic_regex) {
            try {
                std::regex check(*req.subscribed_topic_regex);
            } catch (const std::regex_error&) {
                return answer(errc::invalid_regular_expression,
                              "SubscribedTopicRegex is not a valid regular expression.");
            }
        }
        auto& g = groups_[req.group_id];
        g.id = req.group_id;

        if (req.member_epoch == -1 || req.member_epoch == -2) {
            auto it = g.members.find(req.member_id);
            if (it == g.members.end()) return answer(errc::unknown_member_id);
            if (req.member_epoch == -2 && it->second.instance_id) {
                // The static member's place is kept for its session timeout.
                auto& m = it->second;
                m.left_static = true;
                touch(g, m);
            } else {
                remove(g, req.member_id);
            }
            resp.member_id = req.member_id;
            resp.member_epoch = req.member_epoch;
            return answer(errc::none);
        }

        member_t* m = nullptr;
        if (req.member_epoch == 0) {
            if (req.rebalance_timeout_ms == -1)
                return answer(errc::invalid_request, "RebalanceTimeoutMs must be provided in first request.");
            if (!req.topic_partitions || !req.topic_partitions->empty())
                return answer(errc::invalid_request, "TopicPartitions must be empty when (re-)joining.");
            if ((!req.subscribed_topic_names || req.subscribed_topic_names->empty()) && !req.subscribed_topic_regex)
                return answer(errc::invalid_request,
                              "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
            auto id = req.member_id.empty() ? "fake-member-" + std::to_string(++serial_) : req.member_id;
            member_t fresh;
            if (req.instance_id) {
                auto old = std::find_if(g.members.begin(), g.members.end(),
                                        [&](auto const& e) { return e.second.instance_id == req.instance_id; });
                if (old != g.members.end() && old->first != id) {
                    if (!old->second.left_static)
                        return answer(errc::unreleased_instance_id,
                                      "Static member " + *req.instance_id + " has not left.");
                    // Comes back in time: takes over the epoch and the assignment.
                    fresh = old->second;
                    fresh.left_static = false;
                    fresh.last_sent.reset();
                    if (auto t = g.target.find(old->first); t != g.target.end()) {
                        g.target[id] = t->second;
                        g.target.erase(t);
                    }
                    g.members.erase(old);
                }
            }
            if (g.members.count(id)) remove(g, id);  // a rejoin after a fence: a new member with the same id
            fresh.id = id;
            fresh.instance_id = req.instance_id;
            bool new_member = fresh.epoch == 0;
            m = &g.members.emplace(id, std::move(fresh)).first->second;
            if (new_member) bump(g);
        } else {
            auto it = g.members.find(req.member_id);
            if (it == g.members.end()) return answer(errc::unknown_member_id);
            m = &it->second;
            bool owned_ok = false;
            if (req.topic_partitions) {
                auto owned = owned_of(*req.topic_partitions);
                owned_ok = std::includes(m->assigned.begin(), m->assigned.end(), owned.begin(), owned.end());
            }
            if (req.member_epoch != m->epoch && !(req.member_epoch == m->previous_epoch && owned_ok))
                return answer(errc::fenced_member_epoch,
                              "The consumer group member has a smaller member epoch than expected.");
        }

        // Changed fields.
        if (req.rebalance_timeout_ms > 0) m->rebalance_timeout_ms = req.rebalance_timeout_ms;
        bool changed = false;
        if (req.subscribed_topic_names) {
            std::set<std::string> t(req.subscribed_topic_names->begin(), req.subscribed_topic_names->end());
            if (t != m->topics || m->regex) changed = true;
            m->topics = std::move(t);
            m->regex.reset();
        }
        if (req.subscribed_topic_regex && req.subscribed_topic_regex != m->regex) {
            m->regex = req.subscribed_topic_regex;
            changed = true;
        }
        if (req.server_assignor && req.server_assignor != m->assignor) {
            m->assignor = req.server_assignor;
            changed = true;
        }
        // Kafka re-evaluates regexes as topics come and go; here at each heartbeat of a regex member.
        if (m->regex && topics_of(*m) != m->resolved) changed = true;
        if (changed) bump(g);
        if (req.topic_partitions) {
            auto owned = owned_of(*req.topic_partitions);
            for (auto it = m->revoking.begin(); it != m->revoking.end();)
                it = owned.count(*it) ? std::next(it) : m->revoking.erase(it);
        }
        touch(g, *m);
        reconcile(g, *m);

        resp.member_id = m->id;
        resp.member_epoch = m->epoch;
        resp.heartbeat_interval_ms = static_cast<std::int32_t>(opts_.heartbeat_interval.count());
        if (req.member_epoch == 0 || m->last_sent != m->assigned) {
            response::Assignment a;
            std::map<std::string, std::vector<std::int32_t>> by_topic;
            for (auto const& tp : m->assigned) by_topic[tp.topic].push_back(tp.partition);
            for (auto const& [t, ps] : by_topic)
                if (auto* topic = logs_.find_topic(t)) a.topic_partitions.push_back({topic->id, ps});
            resp.assignment = std::move(a);
            m->last_sent = m->assigned;
        }
        answer(errc::none);
    }

    std::set<topic_partition> owned_of(const std::vector<request::TopicPartitions>& tps) {
        std::set<topic_partition> out;
        for (auto const& t : tps)
            if (auto* topic = logs_.find_topic(t.topic_id))
                for (auto p : t.partitions) out.insert({topic->name, p});
        return out;
    }

    // Kafka's CurrentAssignmentBuilder, simplified (see the file comment).
    void reconcile(group_t& g, member_t& m) {
        if (!m.revoking.empty()) return;  // waits for the acknowledgement
        auto const& target = g.target[m.id];
        std::set<topic_partition> keep, drop;
        for (auto const& tp : m.assigned) (target.count(tp) ? keep : drop).insert(tp);
        if (!drop.empty()) {
            m.assigned = keep;
            m.revoking = drop;
            auto round = ++m.revoke_round;
            wire_.at(wire_.now() + std::chrono::milliseconds(m.rebalance_timeout_ms), [this, gid = g.id, id = m.id,
                                                                                       round] {
                auto gi = groups_.find(gid);
                if (gi == groups_.end()) return;
                auto mi = gi->second.members.find(id);
                if (mi != gi->second.members.end() && mi->second.revoke_round == round && !mi->second.revoking.empty())
                    remove(gi->second, id);  // did not revoke in time: fenced
            });
            return;
        }
        if (m.epoch != g.target_epoch) {
            m.previous_epoch = m.epoch;
            m.epoch = g.target_epoch;
        }
        for (auto const& tp : target)
            if (!m.assigned.count(tp) && !held_by_other(g, m.id, tp)) m.assigned.insert(tp);
    }

    static bool held_by_other(const group_t& g, const std::string& self, const topic_partition& tp) {
        for (auto const& [id, o] : g.members)
            if (id != self && (o.assigned.count(tp) || o.revoking.count(tp))) return true;
        return false;
    }

    void touch(group_t& g, member_t& m) {
        auto session = opts_.session_timeout;
        m.deadline = wire_.now() + session;
        wire_.at(m.deadline, [this, gid = g.id, id = m.id] {
            auto gi = groups_.find(gid);
            if (gi == groups_.end()) return;
            auto mi = gi->second.members.find(id);
            if (mi != gi->second.members.end() && mi->second.deadline <= wire_.now()) remove(gi->second, id);
        });
    }

    void remove(group_t& g, const std::string& id) {
        if (!g.members.erase(id)) return;
        g.target.erase(id);
        bump(g);
    }

    // A change of members or subscriptions: a new group epoch and target assignment.
    void bump(group_t& g) {
        ++g.epoch;
        g.target_epoch = g.epoch;
        compute_target(g);
    }

    std::set<std::string> topics_of(const member_t& m) const {
        if (!m.regex) return m.topics;
        std::set<std::string> out;
        std::regex re(*m.regex);
        for (auto const& [name, t] : logs_.topics())
            if (std::regex_match(name, re)) out.insert(name);
        return out;
    }

    void compute_target(group_t& g) {
        std::string assignor = "uniform";
        for (auto const& [id, m] : g.members)
            if (m.assignor) assignor = *m.assignor;
        std::map<std::string, std::set<std::string>> subscribed;  // member -> topics
        std::set<std::string> all;
        for (auto& [id, m] : g.members) {
            m.resolved = topics_of(m);
            subscribed[id] = m.resolved;
            all.insert(subscribed[id].begin(), subscribed[id].end());
        }
        std::map<std::string, std::set<topic_partition>> next;
        for (auto const& [id, m] : g.members) next[id];
        if (assignor == "range") {
            for (auto const& t : all) {
                auto* topic = logs_.find_topic(t);
                if (!topic || g.members.empty()) continue;
                std::vector<std::string> ms;
                for (auto const& [id, ts] : subscribed)
                    if (ts.count(t)) ms.push_back(id);
                auto n = static_cast<std::int32_t>(topic->partitions.size());
                auto k = static_cast<std::int32_t>(ms.size());
                for (std::int32_t i = 0, p = 0; i < k; ++i) {
                    auto count = n / k + (i < n % k ? 1 : 0);
                    for (std::int32_t c = 0; c < count; ++c) next[ms[i]].insert({t, p++});
                }
            }
        } else {
            std::vector<topic_partition> parts;
            for (auto const& t : all)
                if (auto* topic = logs_.find_topic(t))
                    for (std::int32_t p = 0; p < static_cast<std::int32_t>(topic->partitions.size()); ++p)
                        parts.push_back({t, p});
            auto members = static_cast<std::size_t>(std::max<std::size_t>(1, g.members.size()));
            auto share = (parts.size() + members - 1) / members;
            std::set<topic_partition> placed;
            for (auto const& [id, old] : g.target) {  // sticky: keep up to the share
                if (!next.count(id)) continue;
                for (auto const& tp : old)
                    if (next[id].size() < share && subscribed[id].count(tp.topic) && !placed.count(tp) &&
                        std::find(parts.begin(), parts.end(), tp) != parts.end()) {
                        next[id].insert(tp);
                        placed.insert(tp);
                    }
            }
            for (auto const& tp : parts) {
                if (placed.count(tp)) continue;
                std::string best;
                for (auto const& [id, ts] : subscribed)
                    if (ts.count(tp.topic) && (best.empty() || next[id].size() < next[best].size())) best = id;
                if (!best.empty()) next[best].insert(tp);
            }
        }
        g.target = std::move(next);
    }

    wire& wire_;
    logs& logs_;
    group_coordinator& coordinator_;
    consumer_group_options opts_;
    std::map<std::string, group_t> groups_;
    std::uint64_t serial_ = 0;
};

}  // namespace fake
}  // namespace kafka::testing
