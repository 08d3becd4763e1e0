// Classic consumer groups in the fake cluster (see kafka/testing/fake_cluster.hpp): JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup, served on the wire, and the validation of the commits of
// classic groups for the shared coordinator (fake/group_coordinator.hpp).
//
// A simplified Kafka GroupCoordinator: states Empty, PreparingRebalance, CompletingRebalance,
// Stable. JoinGroup v4+ with an empty member id gets MEMBER_ID_REQUIRED and a member id (pending
// until it rejoins with it). Any JoinGroup starts a rebalance (Kafka skips it for an unchanged
// follower in a stable group); the round completes when every member and pending member has
// rejoined, or at the rebalance timeout (the largest of the members'), which removes those that
// did not. The protocol is chosen by vote among those every member supports; the leader stays if it
// rejoined, else the first member. SyncGroup waits for the leader's assignments; members that do
// not sync within the rebalance timeout are removed. Heartbeat answers REBALANCE_IN_PROGRESS while
// a rebalance is pending, and UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION as Kafka does. A member whose
// session timeout passes without a heartbeat (or join/sync/commit) is removed, which starts a
// rebalance; members waiting in JoinGroup or SyncGroup are kept alive. LeaveGroup removes members
// (v3+ batches). Static membership is only sketched: a JoinGroup with a known group.instance.id
// replaces (fences) the old member, which then gets FENCED_INSTANCE_ID. OffsetCommit checks the
// member like Kafka (generation -1 with no member id only while the group has no members;
// REBALANCE_IN_PROGRESS while awaiting sync).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/heartbeat.hpp>
#include <kafka/protocol/messages/join_group.hpp>
#include <kafka/protocol/messages/leave_group.hpp>
#include <kafka/protocol/messages/sync_group.hpp>
#include <kafka/testing/fake/group_coordinator.hpp>
#include <kafka/testing/fake/wire.hpp>

namespace kafka::testing {

/// A classic group as the fake coordinator sees it.
struct group_info {
    std::string state;  // "Empty", "PreparingRebalance", "CompletingRebalance", "Stable"
    std::int32_t generation = 0;
    std::string protocol;
    std::string leader;
    std::vector<std::string> members;  // in join order
};

namespace fake {

class classic_groups : public group_kind {
public:
    /// `initial_rebalance_delay`: Kafka's group.initial.rebalance.delay.ms for a group that was empty.
    classic_groups(wire& w, group_coordinator& coordinator, std::chrono::milliseconds initial_rebalance_delay)
        : wire_(w), coordinator_(coordinator), initial_rebalance_delay_(initial_rebalance_delay) {
        w.serve(this, &classic_groups::on_join);
        w.serve(this, &classic_groups::on_sync);
        w.serve(this, &classic_groups::on_heartbeat);
        w.serve(this, &classic_groups::on_leave);
        coordinator.add_kind(*this);
    }
    classic_groups(const classic_groups&) = delete;
    classic_groups& operator=(const classic_groups&) = delete;

    std::optional<group_info> describe(const std::string& id) const {
        auto* g = find_group(id);
        if (!g) return std::nullopt;
        return group_info{state_name(g->state), g->generation, g->protocol, g->leader, g->order};
    }
    /// Removes a member as if its session had expired (a rebalance follows).
    void remove_member(const std::string& group_id, const std::string& member_id) {
        if (auto* g = find_group(group_id)) remove_member(*g, member_id);
    }
    /// Starts a rebalance of a stable (or completing) group, as a membership change would.
    void trigger_rebalance(const std::string& group_id) {
        if (auto* g = find_group(group_id); g && (g->state == gstate::stable || g->state == gstate::completing))
            prepare_rebalance(*g);
    }

    // ---- group_kind -----------------------------------------------------------------------

    bool knows(const std::string& group_id) const override { return find_group(group_id) != nullptr; }

    // Kafka's validateOffsetCommit for the classic protocol.
    std::int16_t validate_commit(const std::string& group_id, const std::string& member_id, std::int32_t generation,
                                 const std::optional<std::string>& instance) override {
        auto& g = group(group_id);
        if (generation < 0 && member_id.empty() && !instance) {
            return g.members.empty() ? std::int16_t{0} : static_cast<std::int16_t>(errc::unknown_member_id);
        }
        if (auto f = fenced(g, instance, member_id)) return static_cast<std::int16_t>(*f);
        auto it = g.members.find(member_id);
        if (it == g.members.end()) return static_cast<std::int16_t>(errc::unknown_member_id);
        if (generation != g.generation) return static_cast<std::int16_t>(errc::illegal_generation);
        if (g.state == gstate::completing) return static_cast<std::int16_t>(errc::rebalance_in_progress);
        touch(g, it->second);
        return 0;
    }

private:
    enum class gstate { empty, preparing, completing, stable };

    struct member_t {
        std::string id;
        std::optional<std::string> instance_id;
        std::string client_id;
        std::int32_t session_timeout_ms = 10000;
        std::int32_t rebalance_timeout_ms = 10000;
        std::string protocol_type;
        std::vector<std::pair<std::string, byte_buffer>> protocols;
        std::optional<reply_t> pending_join;
        std::optional<reply_t> pending_sync;
        byte_buffer assignment;
        time_point deadline{};
    };
    struct group_t {
        std::string id;
        gstate state = gstate::empty;
        std::int32_t generation = 0;
        std::string protocol_type;
        std::string protocol;
        std::string leader;
        std::map<std::string, member_t> members;
        std::vector<std::string> order;
        std::set<std::string> pending_members;
        std::set<std::string> synced;
        std::map<std::string, std::string> instances;  // group.instance.id -> member id
        std::uint64_t round = 0;
        bool delaying = false;  // inside group.initial.rebalance.delay
    };

    group_t* find_group(const std::string& id) {
        auto it = groups_.find(id);
        return it == groups_.end() ? nullptr : &it->second;
    }
    const group_t* find_group(const std::string& id) const { return const_cast<classic_groups*>(this)->find_group(id); }
    group_t& group(const std::string& id) {
        auto& g = groups_[id];
        g.id = id;
        return g;
    }

    static const char* state_name(gstate s) {
        switch (s) {
            case gstate::empty:
                return "Empty";
            case gstate::preparing:
                return "PreparingRebalance";
            case gstate::completing:
                return "CompletingRebalance";
            case gstate::stable:
                return "Stable";
        }
        return "?";
    }

    // ---- membership and rebalances --------------------------------------------------------

    // Keeps a member alive for one more session timeout.
    void touch(group_t& g, member_t& m) {
        m.deadline = wire_.now() + std::chrono::milliseconds(m.session_timeout_ms);
        wire_.at(m.deadline, [this, gid = g.id] { check_sessions(gid); });
    }

    void check_sessions(const std::string& gid) {
        auto* g = find_group(gid);
        if (!g) return;
        std::vector<std::string> expired;
        for (auto const& [id, m] : g->members)
            if (!m.pending_join && !m.pending_sync && m.deadline <= wire_.now()) expired.push_back(id);
        for (auto const& id : expired) remove_member(*g, id);
    }

    static std::int32_t rebalance_timeout_ms(const group_t& g) {
        std::int32_t t = 0;
        for (auto const& [id, m] : g.members) t = std::max(t, m.rebalance_timeout_ms);
        return t;
    }

    // Drops a member from the books, without answering anything it waits for.
    static void forget(group_t& g, const std::string& id) {
        auto it = g.members.find(id);
        if (it == g.members.end()) return;
        if (it->second.instance_id) g.instances.erase(*it->second.instance_id);
        g.members.erase(it);
        std::erase(g.order, id);
        g.synced.erase(id);
        if (g.leader == id) g.leader.clear();
    }

    void remove_member(group_t& g, const std::string& id) {
        auto it = g.members.find(id);
        if (it == g.members.end()) return;
        // Answer what it waits for, so that its connection is not left muted.
        if (it->second.pending_join) reply_join_error(*it->second.pending_join, errc::unknown_member_id, id);
        if (it->second.pending_sync) reply_sync_error(*it->second.pending_sync, errc::unknown_member_id);
        forget(g, id);
        switch (g.state) {
            case gstate::stable:
            case gstate::completing:
                prepare_rebalance(g);
                break;
            case gstate::preparing:
                break;
            case gstate::empty:
                return;
        }
        try_complete_join(g);
    }

    void prepare_rebalance(group_t& g) {
        if (g.state == gstate::completing)
            for (auto& [id, m] : g.members)
                if (m.pending_sync) {
                    reply_sync_error(*m.pending_sync, errc::rebalance_in_progress);
                    m.pending_sync.reset();
                }
        bool was_empty = g.state == gstate::empty;
        g.state = gstate::preparing;
        g.synced.clear();
        auto round = ++g.round;
        wire_.at(wire_.now() + std::chrono::milliseconds(rebalance_timeout_ms(g)),
                 [this, gid = g.id, round] { on_rebalance_timeout(gid, round); });
        g.delaying = was_empty && initial_rebalance_delay_.count() > 0;
        if (g.delaying)
            wire_.at(wire_.now() + initial_rebalance_delay_, [this, gid = g.id, round] {
                auto* gg = find_group(gid);
                if (!gg || gg->round != round) return;
                gg->delaying = false;
                try_complete_join(*gg);
            });
    }

    void try_complete_join(group_t& g) {
        if (g.state != gstate::preparing || g.delaying) return;
        if (!g.pending_members.empty()) return;
        for (auto const& [id, m] : g.members)
            if (!m.pending_join) return;
        complete_join(g);
    }

    void on_rebalance_timeout(const std::string& gid, std::uint64_t round) {
        auto* g = find_group(gid);
        if (!g || g->round != round || g->state != gstate::preparing) return;
        g->pending_members.clear();
        g->delaying = false;
        std::vector<std::string> late;
        for (auto const& [id, m] : g->members)
            if (!m.pending_join) late.push_back(id);
        for (auto const& id : late) forget(*g, id);
        complete_join(*g);
    }

    static std::string select_protocol(const group_t& g) {
        std::map<std::string, int> support;
        for (auto const& [id, m] : g.members)
            for (auto const& [name, meta] : m.protocols) ++support[name];
        auto everyone = static_cast<int>(g.members.size());
        std::map<std::string, int> votes;
        for (auto const& id : g.order) {
            for (auto const& [name, meta] : g.members.at(id).protocols)
                if (support[name] == everyone) {
                    ++votes[name];
                    break;
                }
        }
        std::string best;
        int most = -1;
        for (auto const& id : g.order)  // ties: the first member's preference order
            for (auto const& [name, meta] : g.members.at(id).protocols)
                if (votes.count(name) && votes[name] > most) {
                    best = name;
                    most = votes[name];
                }
        return best;
    }

    void complete_join(group_t& g) {
        ++g.generation;
        if (g.members.empty()) {
            g.state = gstate::empty;
            g.protocol.clear();
            g.leader.clear();
            return;
        }
        g.protocol = select_protocol(g);
        if (g.leader.empty() || !g.members.count(g.leader)) g.leader = g.order.front();
        g.state = gstate::completing;
        g.synced.clear();
        auto round = ++g.round;
        for (auto const& id : g.order) {
            auto& m = g.members.at(id);
            auto r = *m.pending_join;
            m.pending_join.reset();
            protocol::JoinGroupResponse resp;
            resp.generation_id = g.generation;
            resp.protocol_type = g.protocol_type;
            resp.protocol_name = g.protocol;
            resp.leader = g.leader;
            resp.member_id = id;
            if (id == g.leader)
                for (auto const& mid : g.order) {
                    auto const& mm = g.members.at(mid);
                    protocol::JoinGroupResponse::JoinGroupResponseMember rm;
                    rm.member_id = mid;
                    rm.group_instance_id = mm.instance_id;
                    for (auto const& [name, meta] : mm.protocols)
                        if (name == g.protocol) rm.metadata = meta;
                    resp.members.push_back(std::move(rm));
                }
            wire_.send(r, resp);
            touch(g, m);
        }
        // Members that never send SyncGroup are removed after the rebalance timeout.
        wire_.at(wire_.now() + std::chrono::milliseconds(rebalance_timeout_ms(g)), [this, gid = g.id, round] {
            auto* gg = find_group(gid);
            if (!gg || gg->round != round || gg->state != gstate::completing) return;
            std::vector<std::string> silent;
            for (auto const& [id, m] : gg->members)
                if (!gg->synced.count(id)) silent.push_back(id);
            for (auto const& id : silent) remove_member(*gg, id);
        });
    }

    void reply_join_error(const reply_t& r, errc e, const std::string& member_id = {}) {
        protocol::JoinGroupResponse resp;
        resp.error_code = static_cast<std::int16_t>(e);
        resp.generation_id = -1;
        resp.member_id = member_id;
        wire_.send(r, resp);
    }
    void reply_sync_error(const reply_t& r, errc e) {
        protocol::SyncGroupResponse resp;
        resp.error_code = static_cast<std::int16_t>(e);
        wire_.send(r, resp);
    }

    std::string new_member_id(const std::string& client_id) {
        auto n = ++member_serial_;
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08x-%04x", static_cast<unsigned>(n * 2654435761u),
                      static_cast<unsigned>(n & 0xffff));
        return (client_id.empty() ? std::string("member") : client_id) + "-" + buf;
    }

    // Fencing of static members: FENCED_INSTANCE_ID when the instance id now maps to another member.
    static std::optional<errc> fenced(const group_t& g, const std::optional<std::string>& instance,
                                      const std::string& member) {
        if (!instance) return std::nullopt;
        auto it = g.instances.find(*instance);
        if (it != g.instances.end() && it->second != member) return errc::fenced_instance_id;
        return std::nullopt;
    }

    // ---- the APIs -------------------------------------------------------------------------

    // Whether `req` shares a protocol with every other member.
    static bool has_common_protocol(const group_t& g, const protocol::JoinGroupRequest& req) {
        if (req.protocol_type != g.protocol_type) return false;
        for (auto const& p : req.protocols) {
            bool all = true;
            for (auto const& [id, m] : g.members) {
                if (id == req.member_id) continue;
                all = all && std::any_of(m.protocols.begin(), m.protocols.end(),
                                         [&](auto const& q) { return q.first == p.name; });
            }
            if (all) return true;
        }
        return false;
    }

    // A static member joining without a member id replaces (fences) the member with its instance id.
    void fence_static_member(group_t& g, const std::string& instance_id) {
        auto it = g.instances.find(instance_id);
        if (it == g.instances.end()) return;
        auto old = it->second;
        g.instances.erase(it);
        auto m = g.members.find(old);
        if (m == g.members.end()) return;
        if (m->second.pending_join) reply_join_error(*m->second.pending_join, errc::fenced_instance_id, old);
        if (m->second.pending_sync) reply_sync_error(*m->second.pending_sync, errc::fenced_instance_id);
        g.members.erase(m);
        std::erase(g.order, old);
        if (g.leader == old) g.leader.clear();
    }

    void on_join(const reply_t& r, protocol::JoinGroupRequest& req, injected_error injected) {
        if (injected) return reply_join_error(r, static_cast<errc>(*injected), req.member_id);
        if (req.group_id.empty()) return reply_join_error(r, errc::invalid_group_id, req.member_id);
        if (!coordinator_.is_coordinator(r.conn->node, req.group_id))
            return reply_join_error(r, errc::not_coordinator, req.member_id);
        auto& g = group(req.group_id);
        if (!g.members.empty() && !has_common_protocol(g, req))
            return reply_join_error(r, errc::inconsistent_group_protocol, req.member_id);
        std::string id = req.member_id;
        if (id.empty()) {
            id = new_member_id("consumer");
            if (req.group_instance_id) {
                fence_static_member(g, *req.group_instance_id);  // a static member joins at once
            } else if (r.version >= 4) {
                g.pending_members.insert(id);
                wire_.at(wire_.now() + std::chrono::milliseconds(req.session_timeout_ms), [this, gid = g.id, id] {
                    auto* gg = find_group(gid);
                    if (gg && gg->pending_members.erase(id)) try_complete_join(*gg);
                });
                return reply_join_error(r, errc::member_id_required, id);
            }
        } else if (g.pending_members.count(id)) {
            g.pending_members.erase(id);
        } else if (!g.members.count(id)) {
            return reply_join_error(r, errc::unknown_member_id, id);
        } else if (auto f = fenced(g, req.group_instance_id, id)) {
            return reply_join_error(r, *f, id);
        }
        bool is_new = !g.members.count(id);
        auto& m = g.members[id];
        if (is_new) {
            m.id = id;
            g.order.push_back(id);
        }
        m.instance_id = req.group_instance_id;
        if (m.instance_id) g.instances[*m.instance_id] = id;
        m.session_timeout_ms = req.session_timeout_ms;
        m.rebalance_timeout_ms =
            r.version >= 1 && req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
        m.protocol_type = req.protocol_type;
        m.protocols.clear();
        for (auto const& p : req.protocols) m.protocols.emplace_back(p.name, p.metadata);
        if (m.pending_join) reply_join_error(*m.pending_join, errc::unknown_member_id, id);  // superseded
        m.pending_join = r;
        if (g.members.size() == 1 || g.protocol_type.empty()) g.protocol_type = req.protocol_type;
        touch(g, m);
        if (g.state != gstate::preparing) prepare_rebalance(g);
        try_complete_join(g);
    }

    void on_sync(const reply_t& r, protocol::SyncGroupRequest& req, injected_error injected) {
        if (injected) return reply_sync_error(r, static_cast<errc>(*injected));
        if (!coordinator_.is_coordinator(r.conn->node, req.group_id)) return reply_sync_error(r, errc::not_coordinator);
        auto* g = find_group(req.group_id);
        if (!g || !g->members.count(req.member_id)) return reply_sync_error(r, errc::unknown_member_id);
        if (auto f = fenced(*g, req.group_instance_id, req.member_id)) return reply_sync_error(r, *f);
        if (req.generation_id != g->generation) return reply_sync_error(r, errc::illegal_generation);
        if ((req.protocol_type && *req.protocol_type != g->protocol_type) ||
            (req.protocol_name && *req.protocol_name != g->protocol))
            return reply_sync_error(r, errc::inconsistent_group_protocol);
        auto& m = g->members.at(req.member_id);
        touch(*g, m);
        switch (g->state) {
            case gstate::empty:
                return reply_sync_error(r, errc::unknown_member_id);
            case gstate::preparing:
                return reply_sync_error(r, errc::rebalance_in_progress);
            case gstate::stable:
                return reply_sync(*g, r, m);
            case gstate::completing:
                break;
        }
        g->synced.insert(req.member_id);
        if (m.pending_sync) reply_sync_error(*m.pending_sync, errc::rebalance_in_progress);  // superseded
        m.pending_sync = r;
        if (req.member_id != g->leader) return;
        for (auto& [id, mm] : g->members) mm.assignment.clear();
        for (auto const& a : req.assignments)
            if (auto it = g->members.find(a.member_id); it != g->members.end()) it->second.assignment = a.assignment;
        g->state = gstate::stable;
        for (auto& [id, mm] : g->members)
            if (mm.pending_sync) {
                auto pr = *mm.pending_sync;
                mm.pending_sync.reset();
                reply_sync(*g, pr, mm);
                touch(*g, mm);
            }
    }

    void reply_sync(const group_t& g, const reply_t& r, const member_t& m) {
        protocol::SyncGroupResponse resp;
        resp.protocol_type = g.protocol_type;
        resp.protocol_name = g.protocol;
        resp.assignment = m.assignment;
        wire_.send(r, resp);
    }

    void on_heartbeat(const reply_t& r, protocol::HeartbeatRequest& req, injected_error injected) {
        protocol::HeartbeatResponse resp;
        auto answer = [&](errc e) {
            resp.error_code = static_cast<std::int16_t>(e);
            wire_.send(r, resp);
        };
        if (injected) return answer(static_cast<errc>(*injected));
        if (!coordinator_.is_coordinator(r.conn->node, req.group_id)) return answer(errc::not_coordinator);
        auto* g = find_group(req.group_id);
        if (!g) return answer(errc::unknown_member_id);
        if (auto f = fenced(*g, req.group_instance_id, req.member_id)) return answer(*f);
        auto it = g->members.find(req.member_id);
        if (it == g->members.end()) return answer(errc::unknown_member_id);
        if (req.generation_id != g->generation) return answer(errc::illegal_generation);
        touch(*g, it->second);
        switch (g->state) {
            case gstate::empty:
                return answer(errc::unknown_member_id);
            case gstate::preparing:
                return answer(errc::rebalance_in_progress);
            case gstate::completing:
            case gstate::stable:
                return answer(errc::none);
        }
    }

    void on_leave(const reply_t& r, protocol::LeaveGroupRequest& req, injected_error injected) {
        protocol::LeaveGroupResponse resp;
        std::vector<std::pair<std::string, std::optional<std::string>>> leaving;
        if (r.version < 3)
            leaving.emplace_back(req.member_id, std::nullopt);
        else
            for (auto const& m : req.members) leaving.emplace_back(m.member_id, m.group_instance_id);
        if (injected)
            resp.error_code = *injected;
        else if (!coordinator_.is_coordinator(r.conn->node, req.group_id))
            resp.error_code = static_cast<std::int16_t>(errc::not_coordinator);
        if (resp.error_code != 0) return wire_.send(r, resp);
        auto* g = find_group(req.group_id);
        for (auto const& [id, instance] : leaving) {
            std::int16_t err = 0;
            std::string who = id;
            if (who.empty() && instance && g)
                if (auto it = g->instances.find(*instance); it != g->instances.end()) who = it->second;
            if (!g || !g->members.count(who))
                err = static_cast<std::int16_t>(errc::unknown_member_id);
            else if (auto f = fenced(*g, instance, who))
                err = static_cast<std::int16_t>(*f);
            else
                remove_member(*g, who);
            if (r.version >= 3)
                resp.members.push_back({id, instance, err});
            else
                resp.error_code = err;
        }
        wire_.send(r, resp);
    }

    wire& wire_;
    group_coordinator& coordinator_;
    std::chrono::milliseconds initial_rebalance_delay_;
    std::map<std::string, group_t> groups_;
    std::uint64_t member_serial_ = 0;
};

}  // namespace fake
}  // namespace kafka::testing
