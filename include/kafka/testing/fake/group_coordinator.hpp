// The fake cluster's group coordinator (see kafka/testing/fake_cluster.hpp): what every kind of
// group shares. It places groups on nodes and answers FindCoordinator, keeps committed offsets
// and answers OffsetCommit and OffsetFetch. Membership is the business of the group kinds that
// register with it (fake/classic_group.hpp; a KIP-848 consumer group or a share group would be
// siblings): each serves its own APIs on the wire and validates the commits of its groups.
//
//  * Coordinators: a group's coordinator is a hash of its name over the nodes, or the node given
//    to move(); if that node is down, the next live node. Group requests elsewhere get
//    NOT_COORDINATOR. Group state survives coordinator moves.
//  * Offsets: OffsetCommit is validated by the group's kind (the first kind registered takes the
//    groups no kind knows yet); OffsetFetch returns -1 for nothing committed. Topic ids for v10
//    of both.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/find_coordinator.hpp>
#include <kafka/protocol/messages/offset_commit.hpp>
#include <kafka/protocol/messages/offset_fetch.hpp>
#include <kafka/testing/fake/log.hpp>
#include <kafka/testing/fake/wire.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::testing::fake {

struct committed_t {
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;
    std::string metadata;
};

/// A kind of group (classic, consumer, share, ...) as the coordinator sees it.
class group_kind {
public:
    virtual ~group_kind() = default;
    /// True when a group of this kind named `group_id` exists.
    virtual bool knows(const std::string& group_id) const = 0;
    /// Kafka's validateOffsetCommit for this kind: 0, or the error of the whole commit. The
    /// generation is the member epoch for groups that have epochs.
    virtual std::int16_t validate_commit(const std::string& group_id, const std::string& member_id,
                                         std::int32_t generation, const std::optional<std::string>& instance_id) = 0;
};

class group_coordinator {
public:
    group_coordinator(wire& w, logs& l) : wire_(w), logs_(l) {
        w.serve(this, &group_coordinator::on_find_coordinator);
        w.serve(this, &group_coordinator::on_offset_commit);
        w.serve(this, &group_coordinator::on_offset_fetch);
    }
    group_coordinator(const group_coordinator&) = delete;
    group_coordinator& operator=(const group_coordinator&) = delete;

    /// Registers a kind of group; the first one registered takes the commits of unknown groups.
    void add_kind(group_kind& k) { kinds_.push_back(&k); }

    // ---- placement ------------------------------------------------------------------------

    std::optional<std::int32_t> coordinator_node(const std::string& group) const {
        std::int32_t preferred;
        if (auto it = overrides_.find(group); it != overrides_.end()) {
            preferred = it->second;
        } else {
            std::uint32_t h = 2166136261u;  // FNV-1a: stable across runs and platforms
            for (unsigned char ch : group) h = (h ^ ch) * 16777619u;
            auto const& nodes = wire_.nodes();
            preferred = nodes[h % nodes.size()].id;
        }
        if (wire_.is_up(preferred)) return preferred;
        return wire_.next_live_after(preferred);
    }
    bool is_coordinator(std::int32_t node_id, const std::string& group) const {
        return coordinator_node(group) == node_id;
    }
    void move(const std::string& group, std::int32_t node) { overrides_[group] = node; }

    // ---- offsets --------------------------------------------------------------------------

    std::optional<std::int64_t> committed(const std::string& group, const topic_partition& tp) const {
        auto g = offsets_.find(group);
        if (g == offsets_.end()) return std::nullopt;
        auto it = g->second.find(tp);
        if (it == g->second.end()) return std::nullopt;
        return it->second.offset;
    }

private:
    void on_find_coordinator(const reply_t& r, protocol::FindCoordinatorRequest& req, injected_error injected) {
        protocol::FindCoordinatorResponse resp;
        auto keys = r.version >= 4 ? req.coordinator_keys : std::vector<std::string>{req.key};
        for (auto const& key : keys) {
            std::int16_t err = 0;
            std::optional<std::int32_t> at;
            if (injected)
                err = *injected;
            else if (req.key_type != 0)
                err = static_cast<std::int16_t>(errc::coordinator_not_available);
            else if (!(at = coordinator_node(key)))
                err = static_cast<std::int16_t>(errc::coordinator_not_available);
            protocol::FindCoordinatorResponse::Coordinator c;
            c.key = key;
            c.error_code = err;
            if (err == 0) {
                auto const& n = wire_.node(*at);
                c.node_id = n.id;
                c.host = n.host;
                c.port = n.port;
            } else {
                c.node_id = -1;
                c.port = -1;
            }
            if (r.version >= 4) {
                resp.coordinators.push_back(std::move(c));
            } else {
                resp.error_code = c.error_code;
                resp.node_id = c.node_id;
                resp.host = c.host;
                resp.port = c.port;
            }
        }
        wire_.send(r, resp);
    }

    group_kind* kind_of(const std::string& group_id) const {
        for (auto* k : kinds_)
            if (k->knows(group_id)) return k;
        return kinds_.empty() ? nullptr : kinds_.front();
    }

    void on_offset_commit(const reply_t& r, protocol::OffsetCommitRequest& req, injected_error injected) {
        protocol::OffsetCommitResponse resp;
        std::int16_t top = 0;
        if (injected) {
            top = *injected;
        } else if (req.group_id.empty()) {
            top = static_cast<std::int16_t>(errc::invalid_group_id);
        } else if (!is_coordinator(r.conn->node, req.group_id)) {
            top = static_cast<std::int16_t>(errc::not_coordinator);
        } else if (auto* k = kind_of(req.group_id)) {
            top = k->validate_commit(req.group_id, req.member_id,
                                     r.version >= 1 ? req.generation_id_or_member_epoch : -1, req.group_instance_id);
        }
        for (auto const& t : req.topics) {
            protocol::OffsetCommitResponse::OffsetCommitResponseTopic rt;
            rt.name = t.name;
            rt.topic_id = t.topic_id;
            auto* topic = r.version >= 10 ? logs_.find_topic(t.topic_id) : logs_.find_topic(t.name);
            for (auto const& p : t.partitions) {
                std::int16_t err = top;
                if (err == 0 && !logs::find_partition(topic, p.partition_index))
                    err = static_cast<std::int16_t>(r.version >= 10 ? errc::unknown_topic_id
                                                                    : errc::unknown_topic_or_partition);
                if (err == 0)
                    offsets_[req.group_id][{topic->name, p.partition_index}] =
                        committed_t{p.committed_offset, p.committed_leader_epoch, p.committed_metadata.value_or("")};
                rt.partitions.push_back({p.partition_index, err});
            }
            resp.topics.push_back(std::move(rt));
        }
        wire_.send(r, resp);
    }

    committed_t committed_of(const std::string& gid, const topic_partition& tp) const {
        auto g = offsets_.find(gid);
        if (g == offsets_.end()) return {};
        auto it = g->second.find(tp);
        return it == g->second.end() ? committed_t{} : it->second;
    }
    const std::map<topic_partition, committed_t>* offsets_of(const std::string& gid) const {
        auto g = offsets_.find(gid);
        return g == offsets_.end() ? nullptr : &g->second;
    }

    void on_offset_fetch(const reply_t& r, protocol::OffsetFetchRequest& req, injected_error injected) {
        protocol::OffsetFetchResponse resp;
        auto group_error = [&](const std::string& gid) -> std::int16_t {
            if (injected) return *injected;
            if (!is_coordinator(r.conn->node, gid)) return static_cast<std::int16_t>(errc::not_coordinator);
            return 0;
        };
        if (r.version < 8) {
            auto err = group_error(req.group_id);
            if (err != 0 && r.version >= 2) {
                resp.error_code = err;
                return wire_.send(r, resp);
            }
            std::vector<std::pair<std::string, std::vector<std::int32_t>>> wanted;
            if (req.topics) {
                for (auto const& t : *req.topics) wanted.emplace_back(t.name, t.partition_indexes);
            } else if (auto* all = offsets_of(req.group_id)) {
                for (auto const& [tp, c] : *all) {
                    if (wanted.empty() || wanted.back().first != tp.topic)
                        wanted.emplace_back(tp.topic, std::vector<std::int32_t>{});
                    wanted.back().second.push_back(tp.partition);
                }
            }
            for (auto const& [name, parts] : wanted) {
                protocol::OffsetFetchResponse::OffsetFetchResponseTopic rt;
                rt.name = name;
                for (auto p : parts) {
                    auto c = committed_of(req.group_id, {name, p});
                    rt.partitions.push_back({p, c.offset, c.leader_epoch, c.metadata, err});
                }
                resp.topics.push_back(std::move(rt));
            }
            return wire_.send(r, resp);
        }
        for (auto const& gq : req.groups) {
            protocol::OffsetFetchResponse::OffsetFetchResponseGroup rg;
            rg.group_id = gq.group_id;
            rg.error_code = group_error(gq.group_id);
            if (rg.error_code == 0) {
                std::vector<std::tuple<std::string, kafka::uuid, std::vector<std::int32_t>, bool>>
                    wanted;  // name, id, partitions, known
                if (gq.topics) {
                    for (auto const& t : *gq.topics) {
                        auto* topic = r.version >= 10 ? logs_.find_topic(t.topic_id) : logs_.find_topic(t.name);
                        wanted.emplace_back(topic ? topic->name : t.name, t.topic_id, t.partition_indexes,
                                            topic != nullptr);
                    }
                } else if (auto* all = offsets_of(gq.group_id)) {
                    for (auto const& [tp, c] : *all) {
                        if (wanted.empty() || std::get<0>(wanted.back()) != tp.topic) {
                            auto* topic = logs_.find_topic(tp.topic);
                            wanted.emplace_back(tp.topic, topic ? topic->id : kafka::uuid{},
                                                std::vector<std::int32_t>{}, true);
                        }
                        std::get<2>(wanted.back()).push_back(tp.partition);
                    }
                }
                for (auto const& [name, id, parts, known] : wanted) {
                    protocol::OffsetFetchResponse::OffsetFetchResponseTopics rt;
                    rt.name = name;
                    rt.topic_id = id;
                    for (auto p : parts) {
                        auto c = committed_of(gq.group_id, {name, p});
                        std::int16_t err = !known && r.version >= 10 ? static_cast<std::int16_t>(errc::unknown_topic_id)
                                                                     : std::int16_t{0};
                        rt.partitions.push_back({p, c.offset, c.leader_epoch, c.metadata, err});
                    }
                    rg.topics.push_back(std::move(rt));
                }
            }
            resp.groups.push_back(std::move(rg));
        }
        wire_.send(r, resp);
    }

    wire& wire_;
    logs& logs_;
    std::vector<group_kind*> kinds_;
    std::map<std::string, std::int32_t> overrides_;
    std::map<std::string, std::map<topic_partition, committed_t>> offsets_;
};

}  // namespace kafka::testing::fake
