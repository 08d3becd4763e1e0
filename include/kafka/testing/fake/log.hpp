// The fake cluster's topics and logs (see kafka/testing/fake_cluster.hpp), and the APIs that read
// them: Metadata, ListOffsets and Fetch, registered with the wire (fake/wire.hpp).
//
//  * Logs are shared by all nodes (no replication model): a leader change loses nothing.
//    produce() appends one magic-2 batch; the high watermark is the log end (no transactions,
//    so the last stable offset is the high watermark too). delete_records() moves the log start.
//  * Fetch: answers from the batch holding fetch_offset, whole batches, at least one batch per
//    partition, then within partition_max_bytes and max_bytes. With less than min_bytes of data
//    and no partition error it waits up to max_wait_ms of simulated time, answering earlier when
//    a produce() brings enough. Errors per partition: UNKNOWN_TOPIC_OR_PARTITION/UNKNOWN_TOPIC_ID,
//    NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH/UNKNOWN_LEADER_EPOCH, OFFSET_OUT_OF_RANGE.
//    From v12 a last_fetched_epoch the log does not agree with gets a diverging epoch (KIP-320)
//    instead of records. Incremental fetch sessions as fake/fetch_sessions.hpp describes.
//  * Leadership: partition p is led by node p % brokers unless told otherwise; move_leader() and a
//    node's fail-over bump the leader epoch. truncate() cuts a log's tail and bumps the epoch, as an
//    unclean leader election does. A partition's read_replica (KIP-392) serves fetches too (reading
//    the same log), and its leader, asked by a client with a rack (v11+), points there and sends no
//    records.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/protocol/messages/list_offsets.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/protocol/record_batch_builder.hpp>
#include <kafka/testing/fake/fetch_sessions.hpp>
#include <kafka/testing/fake/wire.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::testing {

/// A record for fake_cluster::produce.
struct sim_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::optional<std::int64_t> timestamp;  // default: the simulated wall clock (ms)
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

namespace fake {

/// Wall-clock milliseconds at simulated time zero (record timestamps, ListOffsets by time).
inline constexpr std::int64_t wall_clock_base_ms = 1'700'000'000'000;

struct batch_t {
    std::int64_t base = 0;
    std::int64_t next = 0;
    std::int32_t epoch = 0;  // the partition leader epoch it was written in
    std::vector<std::int64_t> timestamps;
    byte_buffer bytes;
};
struct partition_t {
    std::int32_t leader = -1;
    std::int32_t epoch = 0;
    std::int32_t read_replica = -1;  // a follower the leader sends clients with a rack to (KIP-392)
    std::int64_t log_start = 0;
    std::int64_t end = 0;
    std::vector<batch_t> batches;
};
struct topic_t {
    std::string name;
    kafka::uuid id;
    std::vector<partition_t> partitions;
};

struct log_options {
    /// Metadata for an unknown topic creates it (when the request allows) with this many partitions.
    bool auto_create_topics = false;
    std::int32_t auto_create_partitions = 1;
    /// Fence Fetch/ListOffsets by current_leader_epoch (FENCED_LEADER_EPOCH when the client's
    /// epoch is older, UNKNOWN_LEADER_EPOCH when newer). Off: epochs are ignored.
    bool check_leader_epochs = true;
};

class logs {
public:
    logs(wire& w, log_options o) : wire_(w), opts_(o) {
        w.serve(this, &logs::on_metadata);
        w.serve(this, &logs::on_list_offsets);
        w.serve(this, &logs::on_fetch);
    }
    logs(const logs&) = delete;
    logs& operator=(const logs&) = delete;

    // ---- topics ---------------------------------------------------------------------------

    /// Every topic, by name.
    const std::map<std::string, topic_t>& topics() const noexcept { return topics_; }
    topic_t* find_topic(const std::string& name) {
        auto it = topics_.find(name);
        return it == topics_.end() ? nullptr : &it->second;
    }
    const topic_t* find_topic(const std::string& name) const { return const_cast<logs*>(this)->find_topic(name); }
    topic_t* find_topic(const kafka::uuid& id) {
        for (auto& [n, t] : topics_)
            if (t.id == id) return &t;
        return nullptr;
    }
    static partition_t* find_partition(topic_t* t, std::int32_t p) {
        if (!t || p < 0 || static_cast<std::size_t>(p) >= t->partitions.size()) return nullptr;
        return &t->partitions[static_cast<std::size_t>(p)];
    }
    partition_t& part(const topic_partition& tp) {
        auto* p = find_partition(find_topic(tp.topic), tp.partition);
        if (!p) throw std::out_of_range("fake_cluster: no partition " + tp.to_string());
        return *p;
    }
    const partition_t& part(const topic_partition& tp) const { return const_cast<logs*>(this)->part(tp); }

    /// Partition p is led by `leaders[p]` if given, else node p % brokers (the next live one if down).
    void create_topic(const std::string& name, std::int32_t partitions, const std::vector<std::int32_t>& leaders) {
        if (topics_.count(name)) throw std::logic_error("fake_cluster: topic " + name + " exists");
        topic_t t;
        t.name = name;
        ++topic_serial_;
        t.id.bytes[0] = std::byte{0x5e};
        for (int i = 0; i < 8; ++i)
            t.id.bytes[static_cast<std::size_t>(15 - i)] = static_cast<std::byte>((topic_serial_ >> (8 * i)) & 0xff);
        auto const& nodes = wire_.nodes();
        for (std::int32_t p = 0; p < partitions; ++p) {
            partition_t pt;
            auto idx = static_cast<std::size_t>(p);
            pt.leader = idx < leaders.size() ? leaders[idx] : nodes[idx % nodes.size()].id;
            if (!wire_.is_up(pt.leader)) pt.leader = wire_.next_live_after(pt.leader).value_or(-1);
            t.partitions.push_back(std::move(pt));
        }
        topics_.emplace(name, std::move(t));
    }

    // ---- leadership -----------------------------------------------------------------------

    static void move_leader(partition_t& p, std::int32_t to) {
        p.leader = to;
        ++p.epoch;
    }
    /// Moves the partitions `node` leads to the next live node (new leader epochs).
    void fail_over(std::int32_t node) {
        for (auto& [name, t] : topics_)
            for (auto& p : t.partitions)
                if (p.leader == node) move_leader(p, wire_.next_live_after(node).value_or(-1));
    }

    // ---- logs -----------------------------------------------------------------------------

    std::int64_t wall_ms() const {
        return wall_clock_base_ms +
               std::chrono::duration_cast<std::chrono::milliseconds>(wire_.now().time_since_epoch()).count();
    }

    /// Appends one batch; returns the offset of its first record. Fetches waiting for data may answer.
    std::int64_t produce(const std::string& topic, std::int32_t partition, const std::vector<sim_record>& records) {
        auto& p = part({topic, partition});
        batch_t b;
        b.base = p.end;
        std::vector<protocol::record_to_build> build;
        for (auto const& r : records) {
            protocol::record_to_build rb;
            if (r.key) rb.key = std::string_view(*r.key);
            if (r.value) rb.value = std::string_view(*r.value);
            rb.timestamp = r.timestamp.value_or(wall_ms());
            for (auto const& [k, v] : r.headers)
                rb.headers.emplace_back(std::string_view(k), v ? std::optional<std::string_view>(*v) : std::nullopt);
            b.timestamps.push_back(rb.timestamp);
            build.push_back(std::move(rb));
        }
        protocol::batch_options o;
        o.base_offset = b.base;
        o.partition_leader_epoch = p.epoch;
        if (auto ec = protocol::build_batch(b.bytes, build, o))
            throw std::runtime_error("fake_cluster: " + ec.message());
        b.next = b.base + static_cast<std::int64_t>(records.size());
        b.epoch = p.epoch;
        p.end = b.next;
        if (!records.empty()) p.batches.push_back(std::move(b));
        wake_fetches();
        return p.end - static_cast<std::int64_t>(records.size());
    }

    /// Cuts the log at `offset` (a batch boundary) and starts a new leader epoch: what an unclean
    /// leader election does to records the new leader never had.
    void truncate(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        auto& p = part({topic, partition});
        for (auto const& b : p.batches)
            if (b.base < offset && b.next > offset)
                throw std::logic_error("fake_cluster: truncate inside a batch of " + topic);
        std::erase_if(p.batches, [&](auto const& b) { return b.base >= offset; });
        p.end = std::max(p.log_start, std::min(p.end, offset));
        ++p.epoch;
    }

    /// The largest epoch not above `epoch` that the log knows, and the offset where the next epoch
    /// starts (the log end for the current one), as OffsetForLeaderEpoch answers: (-1, -1) when none.
    static std::pair<std::int32_t, std::int64_t> epoch_end_offset(const partition_t& p, std::int32_t epoch) {
        if (epoch >= p.epoch) return {p.epoch, p.end};
        std::int32_t found = -1;
        for (auto const& b : p.batches) {
            if (b.epoch > epoch) return {found, found < 0 ? -1 : b.base};
            found = b.epoch;
        }
        return {found, found < 0 ? -1 : p.end};
    }

    /// The fetch sessions of every node (eviction, session counts).
    fetch_sessions& sessions() noexcept { return sessions_; }

    void delete_records(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        auto& p = part({topic, partition});
        offset = std::clamp(offset, p.log_start, p.end);
        p.log_start = offset;
        std::erase_if(p.batches, [&](auto const& b) { return b.next <= offset; });
    }

private:
    // ---- Metadata -------------------------------------------------------------------------

    void on_metadata(const reply_t& r, protocol::MetadataRequest& req, injected_error injected) {
        protocol::MetadataResponse resp;
        for (auto const& n : wire_.nodes())
            if (!n.down) resp.brokers.push_back({n.id, n.host, n.port, std::nullopt});
        resp.cluster_id = "sim-cluster";
        resp.controller_id = resp.brokers.empty() ? -1 : resp.brokers.front().node_id;
        if (injected == static_cast<std::int16_t>(errc::rebootstrap_required)) {  // top-level only (v13+)
            resp.error_code = r.version >= 13 ? *injected : static_cast<std::int16_t>(errc::unknown_server_error);
            return wire_.send(r, resp);
        }
        std::vector<std::string> names;
        bool all = !req.topics || (r.version == 0 && req.topics->empty());
        if (all) {
            for (auto const& [n, t] : topics_) names.push_back(n);
        } else {
            for (auto const& t : *req.topics) {
                if (t.name && !t.name->empty()) {
                    names.push_back(*t.name);
                } else if (auto* byid = find_topic(t.topic_id)) {
                    names.push_back(byid->name);
                } else {
                    protocol::MetadataResponse::MetadataResponseTopic rt;
                    rt.error_code = static_cast<std::int16_t>(errc::unknown_topic_id);
                    rt.name = std::nullopt;
                    rt.topic_id = t.topic_id;
                    resp.topics.push_back(std::move(rt));
                }
            }
        }
        bool may_create = opts_.auto_create_topics && (r.version < 4 || req.allow_auto_topic_creation);
        for (auto const& name : names) {
            protocol::MetadataResponse::MetadataResponseTopic rt;
            rt.name = name;
            if (!find_topic(name) && may_create && !injected) create_topic(name, opts_.auto_create_partitions, {});
            auto* t = find_topic(name);
            if (injected) {
                rt.error_code = *injected;
            } else if (!t) {
                rt.error_code = static_cast<std::int16_t>(errc::unknown_topic_or_partition);
            } else {
                rt.topic_id = t->id;
                for (std::size_t i = 0; i < t->partitions.size(); ++i) {
                    auto const& p = t->partitions[i];
                    protocol::MetadataResponse::MetadataResponsePartition rp;
                    rp.partition_index = static_cast<std::int32_t>(i);
                    rp.leader_id = p.leader >= 0 && wire_.is_up(p.leader) ? p.leader : -1;
                    rp.error_code =
                        rp.leader_id < 0 ? static_cast<std::int16_t>(errc::leader_not_available) : std::int16_t{0};
                    rp.leader_epoch = p.epoch;
                    for (auto const& n : wire_.nodes()) {
                        rp.replica_nodes.push_back(n.id);
                        if (n.down)
                            rp.offline_replicas.push_back(n.id);
                        else
                            rp.isr_nodes.push_back(n.id);
                    }
                    rt.partitions.push_back(std::move(rp));
                }
            }
            resp.topics.push_back(std::move(rt));
        }
        wire_.send(r, resp);
    }

    // ---- ListOffsets ----------------------------------------------------------------------

    std::int16_t leader_check(std::int32_t node_id, const partition_t* p, std::int32_t current_epoch,
                              bool follower_ok = false) const {
        if (!p) return static_cast<std::int16_t>(errc::unknown_topic_or_partition);
        bool follower = follower_ok && node_id == p->read_replica && wire_.is_up(node_id);
        if (p->leader != node_id && !follower) return static_cast<std::int16_t>(errc::not_leader_or_follower);
        if (!opts_.check_leader_epochs) return 0;
        if (current_epoch >= 0 && current_epoch < p->epoch) return static_cast<std::int16_t>(errc::fenced_leader_epoch);
        if (current_epoch > p->epoch) return static_cast<std::int16_t>(errc::unknown_leader_epoch);
        return 0;
    }

    void on_list_offsets(const reply_t& r, protocol::ListOffsetsRequest& req, injected_error injected) {
        protocol::ListOffsetsResponse resp;
        auto node_id = r.conn->node;
        for (auto const& t : req.topics) {
            protocol::ListOffsetsResponse::ListOffsetsTopicResponse tr;
            tr.name = t.name;
            auto* topic = find_topic(t.name);
            for (auto const& q : t.partitions) {
                protocol::ListOffsetsResponse::ListOffsetsPartitionResponse pr;
                pr.partition_index = q.partition_index;
                auto* p = find_partition(topic, q.partition_index);
                pr.error_code =
                    injected ? *injected : leader_check(node_id, p, r.version >= 4 ? q.current_leader_epoch : -1);
                if (pr.error_code == 0) {
                    auto [off, ts] = lookup_offset(*p, q.timestamp);
                    pr.offset = off;
                    pr.timestamp = ts;
                    pr.leader_epoch = p->epoch;
                    if (r.version == 0) pr.old_style_offsets = {off};
                }
                tr.partitions.push_back(std::move(pr));
            }
            resp.topics.push_back(std::move(tr));
        }
        wire_.send(r, resp);
    }

    // (offset, timestamp) for a ListOffsets timestamp: -2 earliest, -1 latest, -3 max timestamp.
    static std::pair<std::int64_t, std::int64_t> lookup_offset(const partition_t& p, std::int64_t ts) {
        if (ts == -1) return {p.end, -1};
        if (ts == -2 || ts == -4 || ts == -5) return {p.log_start, -1};
        if (ts == -3) {
            std::pair<std::int64_t, std::int64_t> best{-1, -1};
            for (auto const& b : p.batches)
                for (std::size_t i = 0; i < b.timestamps.size(); ++i) {
                    auto off = b.base + static_cast<std::int64_t>(i);
                    if (off >= p.log_start && b.timestamps[i] >= best.second) best = {off, b.timestamps[i]};
                }
            return best;
        }
        for (auto const& b : p.batches)
            for (std::size_t i = 0; i < b.timestamps.size(); ++i) {
                auto off = b.base + static_cast<std::int64_t>(i);
                if (off >= p.log_start && b.timestamps[i] >= ts) return {off, b.timestamps[i]};
            }
        return {-1, -1};
    }

    // ---- Fetch ----------------------------------------------------------------------------

    struct fetch_result {
        protocol::FetchResponse resp;
        std::vector<byte_buffer> storage;  // record_set views point here (heap buffers: stable on move)
        std::size_t bytes = 0;
        bool error = false;
    };
    struct fetch_waiter {
        reply_t reply;
        protocol::FetchRequest request;
        fetch_sessions::resolved session;
        time_point deadline{};
        bool done = false;
    };

    fetch_result build_fetch(std::int32_t node_id, std::int16_t version, const protocol::FetchRequest& req,
                             injected_error injected) {
        fetch_result out;
        out.storage.reserve(64);
        std::size_t budget = req.max_bytes > 0 ? static_cast<std::size_t>(req.max_bytes) : SIZE_MAX;
        for (auto const& t : req.topics) {
            protocol::FetchResponse::FetchableTopicResponse tr;
            tr.topic = t.topic;
            tr.topic_id = t.topic_id;
            auto* topic = version >= 13 ? find_topic(t.topic_id) : find_topic(t.topic);
            for (auto const& q : t.partitions) {
                protocol::FetchResponse::PartitionData pd;
                pd.partition_index = q.partition;
                pd.high_watermark = -1;
                auto* p = find_partition(topic, q.partition);
                std::int16_t err = 0;
                if (injected)
                    err = *injected;
                else if (!p && version >= 13)
                    err = static_cast<std::int16_t>(errc::unknown_topic_id);
                else
                    err = leader_check(node_id, p, version >= 9 ? q.current_leader_epoch : -1, true);
                if (err == 0 && version >= 12 && q.last_fetched_epoch >= 0) {
                    auto [epoch, end] = epoch_end_offset(*p, q.last_fetched_epoch);
                    if (epoch < q.last_fetched_epoch || end < q.fetch_offset) pd.diverging_epoch = {epoch, end};
                }
                bool elsewhere = err == 0 && version >= 11 && !req.rack_id.empty() && p->leader == node_id &&
                                 p->read_replica >= 0 && p->read_replica != node_id && wire_.is_up(p->read_replica);
                if (elsewhere) pd.preferred_read_replica = p->read_replica;
                if (err == 0 && pd.diverging_epoch.end_offset < 0 && !elsewhere &&
                    (q.fetch_offset < p->log_start || q.fetch_offset > p->end))
                    err = static_cast<std::int16_t>(errc::offset_out_of_range);
                pd.error_code = err;
                if (p) {
                    pd.high_watermark = p->end;
                    pd.last_stable_offset = p->end;
                    pd.log_start_offset = p->log_start;
                    if (err == static_cast<std::int16_t>(errc::not_leader_or_follower))
                        pd.current_leader = {p->leader, p->epoch};
                }
                if (err != 0) {
                    out.error = true;
                } else if (pd.diverging_epoch.end_offset >= 0 || pd.diverging_epoch.epoch >= 0 || elsewhere) {
                    out.error = true;  // answered at once, without records
                } else {
                    // Whole batches from the one holding fetch_offset; the first batch of a partition
                    // always (if the response has room), the first of the response even past max_bytes.
                    byte_buffer data;
                    auto limit = q.partition_max_bytes > 0 ? static_cast<std::size_t>(q.partition_max_bytes) : SIZE_MAX;
                    for (auto const& b : p->batches) {
                        if (b.next <= q.fetch_offset) continue;
                        auto add = b.bytes.size();
                        bool first_of_partition = data.empty();
                        bool first_of_response = first_of_partition && out.bytes == 0;
                        if (!first_of_partition && data.size() + add > limit) break;
                        if (!first_of_response && out.bytes + data.size() + add > budget) break;
                        data.insert(data.end(), b.bytes.begin(), b.bytes.end());
                    }
                    out.bytes += data.size();
                    out.storage.push_back(std::move(data));
                    pd.records.bytes = out.storage.back();
                }
                tr.partitions.push_back(std::move(pd));
            }
            out.resp.responses.push_back(std::move(tr));
        }
        return out;
    }

    void on_fetch(const reply_t& r, protocol::FetchRequest& req, injected_error injected) {
        auto how = sessions_.resolve(r.conn->node, r.version, req);
        if (how.error != 0) {
            protocol::FetchResponse resp;
            resp.error_code = how.error;
            return wire_.send(r, resp);
        }
        auto result = build_fetch(r.conn->node, r.version, how.effective, injected);
        auto min_bytes = static_cast<std::size_t>(std::max(1, req.min_bytes));
        if (injected || result.error || result.bytes >= min_bytes || req.max_wait_ms <= 0) {
            sessions_.finish(r.conn->node, how, result.resp);
            return wire_.send(r, result.resp);
        }
        auto w = std::make_shared<fetch_waiter>();
        w->reply = r;
        w->session = std::move(how);
        w->request = std::move(req);
        w->deadline = wire_.now() + std::chrono::milliseconds(w->request.max_wait_ms);
        waiters_.push_back(w);
        wire_.at(w->deadline, [this, w] { finish_fetch(*w, true); });
    }

    void finish_fetch(fetch_waiter& w, bool timed_out) {
        if (w.done) return;
        if (w.reply.conn->dead) {
            w.done = true;
            return;
        }
        auto result = build_fetch(w.reply.conn->node, w.reply.version, w.session.effective, std::nullopt);
        auto min_bytes = static_cast<std::size_t>(std::max(1, w.request.min_bytes));
        if (!timed_out && !result.error && result.bytes < min_bytes) return;
        w.done = true;
        sessions_.finish(w.reply.conn->node, w.session, result.resp);
        wire_.send(w.reply, result.resp);
        if (timed_out) std::erase_if(waiters_, [](auto const& x) { return x->done; });
    }

    void wake_fetches() {
        auto pending = waiters_;
        for (auto const& w : pending) finish_fetch(*w, false);
        std::erase_if(waiters_, [](auto const& w) { return w->done; });
    }

    wire& wire_;
    log_options opts_;
    std::map<std::string, topic_t> topics_;
    std::uint64_t topic_serial_ = 0;
    std::vector<std::shared_ptr<fetch_waiter>> waiters_;
    fetch_sessions sessions_;
};

}  // namespace fake
}  // namespace kafka::testing
