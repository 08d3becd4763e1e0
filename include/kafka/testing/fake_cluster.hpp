// A fake Kafka cluster on simulated time (franz-go's kfake in spirit): N broker nodes serving
// the consumer's APIs from in-memory logs, with a simplified classic group coordinator and
// fault injection. It listens on the sim_network it owns; in_memory_transport connects to it.
//
//   kafka::testing::fake_cluster cluster({.brokers = 3});  // nodes 0..2 at sim:9092..9094
//   cluster.create_topic("orders", 4);                     // leaders spread over the nodes
//   cluster.produce("orders", 0, "a", "b", "c");           // one batch, offsets 0..2
//   kafka::consumer_config cfg{{"bootstrap.servers", cluster.bootstrap_servers()}, ...};
//   KafkaConsumer<std::string, std::string, sim_policies> c(cfg, {}, {}, cluster.transport());
//
// What a broker serves (every version our message descriptions support, see api_versions()):
// ApiVersions, Metadata, FindCoordinator, ListOffsets, Fetch, OffsetCommit, OffsetFetch,
// JoinGroup, SyncGroup, Heartbeat, LeaveGroup. Any other API closes the connection.
//
// Behaviours, and where they are simplified:
//  * Requests of one connection are handled one at a time, in order (Kafka mutes a connection
//    until it answered): the next request is read when the previous response is delivered. A
//    response is delivered `latency` (per node) after the request was handled.
//  * Logs are shared by all nodes (no replication model): a leader change loses nothing.
//    produce() appends one magic-2 batch; the high watermark is the log end (no transactions,
//    so the last stable offset is the high watermark too). delete_records() moves the log start.
//  * Fetch: answers from the batch holding fetch_offset, whole batches, at least one batch per
//    partition, then within partition_max_bytes and max_bytes. With less than min_bytes of data
//    and no partition error it waits up to max_wait_ms of simulated time, answering earlier when
//    a produce() brings enough. Errors per partition: UNKNOWN_TOPIC_OR_PARTITION/UNKNOWN_TOPIC_ID,
//    NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH/UNKNOWN_LEADER_EPOCH, OFFSET_OUT_OF_RANGE.
//    No fetch sessions (session id 0 always).
//  * Group coordinator (classic protocol), a simplified Kafka GroupCoordinator: states Empty,
//    PreparingRebalance, CompletingRebalance, Stable. JoinGroup v4+ with an empty member id gets
//    MEMBER_ID_REQUIRED and a member id (pending until it rejoins with it). Any JoinGroup starts a
//    rebalance (Kafka skips it for an unchanged follower in a stable group); the round completes
//    when every member and pending member has rejoined, or at the rebalance timeout (the largest
//    of the members'), which removes those that did not. The protocol is chosen by vote among
//    those every member supports; the leader stays if it rejoined, else the first member. SyncGroup
//    waits for the leader's assignments; members that do not sync within the rebalance timeout
//    are removed. Heartbeat answers REBALANCE_IN_PROGRESS while a rebalance is pending, and
//    UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION as Kafka does. A member whose session timeout passes
//    without a heartbeat (or join/sync/commit) is removed, which starts a rebalance; members
//    waiting in JoinGroup or SyncGroup are kept alive. LeaveGroup removes members (v3+ batches).
//    Static membership is only sketched: a JoinGroup with a known group.instance.id replaces
//    (fences) the old member, which then gets FENCED_INSTANCE_ID.
//  * Offsets: OffsetCommit checks the member like Kafka (generation -1 with no member id only
//    while the group has no members; REBALANCE_IN_PROGRESS while awaiting sync); OffsetFetch
//    returns -1 for nothing committed. Topic ids for v10 of both.
//  * Coordinators: a group's coordinator is a hash of its name over the nodes, or the node given
//    to move_coordinator(); if that node is down, the next live node. Group requests elsewhere get
//    NOT_COORDINATOR. Group state survives coordinator moves.
//  * set_down(node, true) closes the node's connections (in-flight requests fail, reads see EOF),
//    refuses new ones, drops it from Metadata, and, unless told otherwise, moves leadership of its
//    partitions to the next live node with a new leader epoch.
//
// Fault injection: inject(api_key, error_code, n) answers the next n requests of that API with
// the error (per partition where the API has per-partition errors, else top-level) without doing
// anything else; drop_responses(api_key, n) swallows the next n requests entirely (not handled,
// never answered: the connection stays muted until the client times out and closes it).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <kafka/protocol/frame.hpp>
#include <kafka/protocol/messages/api_versions.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/protocol/messages/find_coordinator.hpp>
#include <kafka/protocol/messages/heartbeat.hpp>
#include <kafka/protocol/messages/join_group.hpp>
#include <kafka/protocol/messages/leave_group.hpp>
#include <kafka/protocol/messages/list_offsets.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/protocol/messages/offset_commit.hpp>
#include <kafka/protocol/messages/offset_fetch.hpp>
#include <kafka/protocol/messages/sync_group.hpp>
#include <kafka/protocol/record_batch_builder.hpp>
#include <kafka/testing/in_memory_transport.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::testing {

struct fake_cluster_options {
    int brokers = 3;
    std::string host = "sim";
    std::uint16_t base_port = 9092;  // node i listens on base_port + i
    std::chrono::milliseconds latency{1};
    /// Metadata for an unknown topic creates it (when the request allows) with this many partitions.
    bool auto_create_topics = false;
    std::int32_t auto_create_partitions = 1;
    /// Kafka's group.initial.rebalance.delay.ms for a group that was empty (0 here by default).
    std::chrono::milliseconds initial_rebalance_delay{0};
    /// Fence Fetch/ListOffsets by current_leader_epoch as Kafka does (FENCED_LEADER_EPOCH when
    /// the client's epoch is older, UNKNOWN_LEADER_EPOCH when newer). Off: epochs are ignored.
    bool check_leader_epochs = true;
};

/// A record for fake_cluster::produce.
struct sim_record {
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::optional<std::int64_t> timestamp;  // default: the simulated wall clock (ms)
    std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

/// A request as it reached a node (for fake_cluster::on_request observers).
struct request_info {
    std::int32_t node = -1;
    std::int16_t api_key = -1;
    std::int16_t version = -1;
    std::int32_t correlation_id = 0;
    bytes_view frame;  // after the size prefix: decode with protocol::decode_request
};

/// A group as the fake coordinator sees it.
struct group_info {
    std::string state;  // "Empty", "PreparingRebalance", "CompletingRebalance", "Stable"
    std::int32_t generation = 0;
    std::string protocol;
    std::string leader;
    std::vector<std::string> members;  // in join order
};

class fake_cluster {
public:
    using time_point = sim_clock::time_point;
    using duration = sim_clock::duration;

    /// Wall-clock milliseconds at simulated time zero (record timestamps, ListOffsets by time).
    static constexpr std::int64_t wall_clock_base_ms = 1'700'000'000'000;

    explicit fake_cluster(fake_cluster_options opts = {}) : impl_(std::make_shared<impl>(std::move(opts))) {
        impl_->start(impl_);
    }
    fake_cluster(const fake_cluster&) = delete;
    fake_cluster& operator=(const fake_cluster&) = delete;

    // ---- wiring -------------------------------------------------------------------------

    sim_network& network() noexcept { return impl_->net; }
    const sim_network& network() const noexcept { return impl_->net; }
    /// A transport bound to this cluster (one per consumer: it is moved into the consumer).
    in_memory_transport transport() const { return in_memory_transport(impl_->net); }
    /// "sim:9092,sim:9093,..." for bootstrap.servers.
    std::string bootstrap_servers() const {
        std::string s;
        for (auto const& n : impl_->nodes) s += (s.empty() ? "" : ",") + n.host + ":" + std::to_string(n.port);
        return s;
    }
    std::vector<std::int32_t> node_ids() const {
        std::vector<std::int32_t> out;
        for (auto const& n : impl_->nodes) out.push_back(n.id);
        return out;
    }

    // ---- time ---------------------------------------------------------------------------

    time_point now() const noexcept { return impl_->net.now(); }
    /// Moves simulated time forward without any consumer polling (sessions expire, waits end).
    void advance(duration d) { impl_->net.advance(d); }
    /// Called whenever a transport is about to move simulated time forward (see sim_network).
    void on_idle(std::function<void()> hook) { impl_->net.set_idle_hook(std::move(hook)); }

    // ---- topics and logs ----------------------------------------------------------------

    /// Creates `topic`; partition p is led by `leaders[p]` if given, else node p % brokers.
    void create_topic(const std::string& topic, std::int32_t partitions, std::vector<std::int32_t> leaders = {}) {
        impl_->create_topic(topic, partitions, leaders);
    }
    bool has_topic(const std::string& topic) const { return impl_->find_topic(topic) != nullptr; }

    /// Appends one batch of records; returns the offset of the first.
    std::int64_t produce(const std::string& topic, std::int32_t partition, const std::vector<sim_record>& records) {
        return impl_->produce(topic, partition, records);
    }
    /// Appends one batch of values (null keys); returns the offset of the first.
    template <class... Values>
        requires(sizeof...(Values) > 0 && (std::convertible_to<Values, std::string_view> && ...))
    std::int64_t produce(const std::string& topic, std::int32_t partition, Values&&... values) {
        std::vector<sim_record> rs;
        (rs.push_back(sim_record{std::nullopt, std::string(std::string_view(values)), std::nullopt, {}}), ...);
        return produce(topic, partition, rs);
    }
    std::int64_t produce_values(const std::string& topic, std::int32_t partition, const std::vector<std::string>& values) {
        std::vector<sim_record> rs;
        for (auto const& v : values) rs.push_back(sim_record{std::nullopt, v, std::nullopt, {}});
        return produce(topic, partition, rs);
    }

    /// Deletes the records before `offset` (moves the log start offset, as DeleteRecords).
    void delete_records(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        impl_->delete_records(topic, partition, offset);
    }
    std::int64_t log_start_offset(const topic_partition& tp) const { return impl_->part(tp).log_start; }
    std::int64_t end_offset(const topic_partition& tp) const { return impl_->part(tp).end; }

    /// Moves the leadership of a partition (new leader epoch).
    void move_leader(const std::string& topic, std::int32_t partition, std::int32_t node) {
        impl_->move_leader(impl_->part({topic, partition}), node);
    }
    std::int32_t leader_of(const topic_partition& tp) const { return impl_->part(tp).leader; }
    std::int32_t leader_epoch_of(const topic_partition& tp) const { return impl_->part(tp).epoch; }

    // ---- nodes --------------------------------------------------------------------------

    /// Takes a node down (closing its connections; failing over its partitions unless told not
    /// to) or brings it back (it then leads nothing until move_leader).
    void set_down(std::int32_t node, bool down, bool fail_over = true) { impl_->set_down(node, down, fail_over); }
    bool is_down(std::int32_t node) const { return impl_->node(node).down; }
    /// Response delay of a node (and connect delay to it).
    void set_latency(std::int32_t node, duration d) {
        auto& n = impl_->node(node);
        n.latency = d;
        impl_->net.set_connect_delay(n.host, n.port, d);
    }
    /// Closes every open connection of `node` (it stays up).
    void disconnect_all(std::int32_t node) { impl_->close_connections(node); }

    // ---- groups -------------------------------------------------------------------------

    /// Moves the coordinator of `group` to `node`.
    void move_coordinator(const std::string& group, std::int32_t node) { impl_->coordinator_override[group] = node; }
    std::optional<std::int32_t> coordinator_of(const std::string& group) const { return impl_->coordinator_node(group); }
    std::optional<group_info> describe_group(const std::string& group) const { return impl_->describe(group); }
    /// Removes a member as if its session had expired (a rebalance follows).
    void remove_member(const std::string& group, const std::string& member_id) {
        if (auto* g = impl_->find_group(group)) impl_->remove_member(*g, member_id);
    }
    /// Starts a rebalance of a stable group, as a membership change would.
    void trigger_rebalance(const std::string& group) {
        if (auto* g = impl_->find_group(group); g && (g->state == gstate::stable || g->state == gstate::completing))
            impl_->prepare_rebalance(*g);
    }
    /// The committed offset of `tp` in `group`, if any.
    std::optional<std::int64_t> committed(const std::string& group, const topic_partition& tp) const {
        auto* g = impl_->find_group(group);
        if (!g) return std::nullopt;
        auto it = g->offsets.find(tp);
        if (it == g->offsets.end()) return std::nullopt;
        return it->second.offset;
    }

    // ---- faults and observation ---------------------------------------------------------

    /// Answers the next `count` requests of `api_key` with `error_code` (and nothing else).
    void inject(std::int16_t api_key, std::int16_t error_code, int count = 1) {
        for (int i = 0; i < count; ++i) impl_->injections[api_key].push_back(error_code);
    }
    template <class E>
        requires std::is_enum_v<E>
    void inject(std::int16_t api_key, E error, int count = 1) {
        inject(api_key, static_cast<std::int16_t>(error), count);
    }
    /// Swallows the next `count` requests of `api_key`: not handled, never answered.
    void drop_responses(std::int16_t api_key, int count = 1) { impl_->drops[api_key] += count; }
    /// Serves at most version `max` of `api_key` (what ApiVersions advertises, and what is accepted).
    void limit_version(std::int16_t api_key, std::int16_t max) { impl_->version_limits[api_key] = max; }

    /// Requests of `api_key` received (by `node`, or by all), dropped and injected ones included.
    std::size_t request_count(std::int16_t api_key, std::optional<std::int32_t> node = std::nullopt) const {
        std::size_t n = 0;
        for (auto const& [k, c] : impl_->counts)
            if (k.second == api_key && (!node || k.first == *node)) n += c;
        return n;
    }
    /// Sees every request as it is read by a node, before it is handled.
    void on_request(std::function<void(const request_info&)> observer) { impl_->observer = std::move(observer); }

private:
    enum class gstate { empty, preparing, completing, stable };

    struct node_t {
        std::int32_t id = 0;
        std::string host;
        std::uint16_t port = 0;
        bool down = false;
        duration latency{};
    };
    struct batch_t {
        std::int64_t base = 0;
        std::int64_t next = 0;
        std::vector<std::int64_t> timestamps;
        byte_buffer bytes;
    };
    struct partition_t {
        std::int32_t leader = -1;
        std::int32_t epoch = 0;
        std::int64_t log_start = 0;
        std::int64_t end = 0;
        std::vector<batch_t> batches;
    };
    struct topic_t {
        std::string name;
        kafka::uuid id;
        std::vector<partition_t> partitions;
    };
    struct conn_t {
        std::int32_t node = -1;
        std::weak_ptr<detail::sim_socket> socket;
        byte_buffer in;
        bool busy = false;
        bool dead = false;
    };
    struct reply_t {
        std::shared_ptr<conn_t> conn;
        std::int16_t version = 0;
        std::int32_t correlation_id = 0;
    };
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
    struct committed_t {
        std::int64_t offset = -1;
        std::int32_t leader_epoch = -1;
        std::string metadata;
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
        std::map<topic_partition, committed_t> offsets;
    };
    struct fetch_waiter {
        reply_t reply;
        protocol::FetchRequest request;
        time_point deadline{};
        bool done = false;
    };

    struct impl : std::enable_shared_from_this<impl> {
        explicit impl(fake_cluster_options o) : opts(std::move(o)) {
            for (int i = 0; i < std::max(1, opts.brokers); ++i) {
                node_t n;
                n.id = i;
                n.host = opts.host;
                n.port = static_cast<std::uint16_t>(opts.base_port + i);
                n.latency = opts.latency;
                nodes.push_back(n);
            }
        }

        void start(const std::shared_ptr<impl>& self) {
            std::weak_ptr<impl> weak = self;
            for (auto const& n : nodes) {
                auto id = n.id;
                net.listen(
                    n.host, n.port,
                    [weak, id](const std::shared_ptr<detail::sim_socket>& s) {
                        if (auto me = weak.lock()) me->accept(id, s);
                    },
                    n.latency);
            }
        }

        // ---- nodes and connections ----

        node_t& node(std::int32_t id) {
            for (auto& n : nodes)
                if (n.id == id) return n;
            throw std::out_of_range("fake_cluster: no node " + std::to_string(id));
        }
        const node_t& node(std::int32_t id) const { return const_cast<impl*>(this)->node(id); }
        bool is_up(std::int32_t id) const {
            for (auto const& n : nodes)
                if (n.id == id) return !n.down;
            return false;
        }
        std::optional<std::int32_t> next_live_after(std::int32_t id) const {
            std::size_t at = 0;
            for (std::size_t i = 0; i < nodes.size(); ++i)
                if (nodes[i].id == id) at = i;
            for (std::size_t k = 1; k <= nodes.size(); ++k) {
                auto const& n = nodes[(at + k) % nodes.size()];
                if (!n.down) return n.id;
            }
            return std::nullopt;
        }

        void accept(std::int32_t node_id, const std::shared_ptr<detail::sim_socket>& s) {
            auto c = std::make_shared<conn_t>();
            c->node = node_id;
            c->socket = s;
            std::weak_ptr<impl> weak = weak_from_this();
            std::weak_ptr<conn_t> wc = c;
            // The socket owns the connection state; the cluster keeps it weakly.
            s->on_data = [weak, c] {
                if (auto me = weak.lock()) me->process(c);
            };
            s->on_close = [wc] {
                if (auto cc = wc.lock()) cc->dead = true;
            };
            conns.push_back(c);
            std::erase_if(conns, [](auto const& w) { return w.expired(); });
        }

        void close_connections(std::int32_t node_id) {
            for (auto const& w : conns)
                if (auto c = w.lock(); c && c->node == node_id) close_conn(*c);
            std::erase_if(conns, [](auto const& w) { return w.expired(); });
        }
        void close_conn(conn_t& c) {
            c.dead = true;
            if (auto s = c.socket.lock()) s->close_from_server();
        }

        void set_down(std::int32_t id, bool down, bool fail_over) {
            auto& n = node(id);
            n.down = down;
            net.set_endpoint_down(n.host, n.port, down);
            if (!down) return;
            close_connections(id);
            if (!fail_over) return;
            for (auto& [name, t] : topics)
                for (auto& p : t.partitions)
                    if (p.leader == id) move_leader(p, next_live_after(id).value_or(-1));
        }

        void move_leader(partition_t& p, std::int32_t to) {
            p.leader = to;
            ++p.epoch;
        }

        // ---- framing ----

        void process(const std::shared_ptr<conn_t>& c) {
            if (c->dead) return;
            auto s = c->socket.lock();
            if (!s || !s->connected()) {
                c->dead = true;
                return;
            }
            auto more = s->take_written();
            c->in.insert(c->in.end(), more.begin(), more.end());
            while (!c->busy && !c->dead) {
                if (c->in.size() < 4) return;
                auto n = protocol::from_big_endian<std::int32_t>(c->in.data());
                if (n < 8 || n > (64 << 20)) return close_conn(*c);
                auto total = static_cast<std::size_t>(n) + 4;
                if (c->in.size() < total) return;
                byte_buffer frame(c->in.begin() + 4, c->in.begin() + static_cast<std::ptrdiff_t>(total));
                c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(total));
                c->busy = true;
                handle(c, frame);
            }
        }

        template <class Resp>
        void send(const reply_t& r, const Resp& resp) {
            auto out = std::make_shared<byte_buffer>();
            protocol::encode_response(*out, resp, r.version, r.correlation_id);
            auto c = r.conn;
            std::weak_ptr<impl> weak = weak_from_this();
            net.schedule(net.now() + node(c->node).latency, [weak, c, out] {
                auto me = weak.lock();
                if (!me || c->dead) return;
                auto s = c->socket.lock();
                if (!s || !s->connected()) {
                    c->dead = true;
                    return;
                }
                s->deliver(*out);
                c->busy = false;
                me->process(c);
            });
        }

        std::optional<std::int16_t> take_injection(std::int16_t api_key) {
            auto it = injections.find(api_key);
            if (it == injections.end() || it->second.empty()) return std::nullopt;
            auto e = it->second.front();
            it->second.erase(it->second.begin());
            return e;
        }

        std::vector<std::pair<std::int16_t, protocol::versions>> api_versions() const {
            std::vector<std::pair<std::int16_t, protocol::versions>> out{
                {protocol::FetchRequest::api_key, protocol::FetchRequest::valid},
                {protocol::ListOffsetsRequest::api_key, protocol::ListOffsetsRequest::valid},
                {protocol::MetadataRequest::api_key, protocol::MetadataRequest::valid},
                {protocol::OffsetCommitRequest::api_key, protocol::OffsetCommitRequest::valid},
                {protocol::OffsetFetchRequest::api_key, protocol::OffsetFetchRequest::valid},
                {protocol::FindCoordinatorRequest::api_key, protocol::FindCoordinatorRequest::valid},
                {protocol::JoinGroupRequest::api_key, protocol::JoinGroupRequest::valid},
                {protocol::HeartbeatRequest::api_key, protocol::HeartbeatRequest::valid},
                {protocol::LeaveGroupRequest::api_key, protocol::LeaveGroupRequest::valid},
                {protocol::SyncGroupRequest::api_key, protocol::SyncGroupRequest::valid},
                {protocol::ApiVersionsRequest::api_key, protocol::ApiVersionsRequest::valid},
            };
            for (auto& [k, v] : out)
                if (auto it = version_limits.find(k); it != version_limits.end()) v.hi = std::min(v.hi, it->second);
            return out;
        }
        std::optional<protocol::versions> served(std::int16_t api_key) const {
            for (auto const& [k, v] : api_versions())
                if (k == api_key) return v;
            return std::nullopt;
        }

        void handle(const std::shared_ptr<conn_t>& c, const byte_buffer& frame) {
            if (frame.size() < 8) return close_conn(*c);
            auto api = protocol::from_big_endian<std::int16_t>(frame.data());
            auto version = protocol::from_big_endian<std::int16_t>(frame.data() + 2);
            auto corr = protocol::from_big_endian<std::int32_t>(frame.data() + 4);
            ++counts[{c->node, api}];
            if (observer) observer(request_info{c->node, api, version, corr, frame});
            if (auto d = drops.find(api); d != drops.end() && d->second > 0) {
                --d->second;
                return;  // never answered: the connection stays busy until the client gives up
            }
            if (api == protocol::ApiVersionsRequest::api_key) return on_api_versions(c, frame, version, corr);
            auto range = served(api);
            if (!range || !range->contains(version)) return close_conn(*c);
            switch (api) {
            case protocol::MetadataRequest::api_key: return serve<protocol::MetadataRequest>(c, frame, &impl::on_metadata);
            case protocol::FindCoordinatorRequest::api_key:
                return serve<protocol::FindCoordinatorRequest>(c, frame, &impl::on_find_coordinator);
            case protocol::ListOffsetsRequest::api_key: return serve<protocol::ListOffsetsRequest>(c, frame, &impl::on_list_offsets);
            case protocol::FetchRequest::api_key: return serve<protocol::FetchRequest>(c, frame, &impl::on_fetch);
            case protocol::OffsetCommitRequest::api_key: return serve<protocol::OffsetCommitRequest>(c, frame, &impl::on_offset_commit);
            case protocol::OffsetFetchRequest::api_key: return serve<protocol::OffsetFetchRequest>(c, frame, &impl::on_offset_fetch);
            case protocol::JoinGroupRequest::api_key: return serve<protocol::JoinGroupRequest>(c, frame, &impl::on_join);
            case protocol::SyncGroupRequest::api_key: return serve<protocol::SyncGroupRequest>(c, frame, &impl::on_sync);
            case protocol::HeartbeatRequest::api_key: return serve<protocol::HeartbeatRequest>(c, frame, &impl::on_heartbeat);
            case protocol::LeaveGroupRequest::api_key: return serve<protocol::LeaveGroupRequest>(c, frame, &impl::on_leave);
            default: return close_conn(*c);
            }
        }

        template <class Req>
        void serve(const std::shared_ptr<conn_t>& c, const byte_buffer& frame,
                   void (impl::*fn)(const reply_t&, Req&, std::optional<std::int16_t>)) {
            Req req;
            std::int16_t version = 0;
            std::int32_t corr = 0;
            if (protocol::decode_request(frame, req, version, corr)) return close_conn(*c);
            auto injected = take_injection(Req::api_key);
            (this->*fn)(reply_t{c, version, corr}, req, injected);
        }

        // ---- ApiVersions ----

        void on_api_versions(const std::shared_ptr<conn_t>& c, const byte_buffer& frame, std::int16_t version, std::int32_t corr) {
            protocol::ApiVersionsResponse resp;
            auto range = *served(protocol::ApiVersionsRequest::api_key);
            if (!range.contains(version)) {
                // As Kafka: UNSUPPORTED_VERSION in the v0 layout, naming the ApiVersions versions served.
                resp.error_code = static_cast<std::int16_t>(errc::unsupported_version);
                resp.api_keys.push_back({protocol::ApiVersionsRequest::api_key, range.lo, range.hi});
                return send(reply_t{c, 0, corr}, resp);
            }
            protocol::ApiVersionsRequest req;
            std::int16_t v = 0;
            if (protocol::decode_request(frame, req, v, corr)) return close_conn(*c);
            if (auto e = take_injection(protocol::ApiVersionsRequest::api_key)) resp.error_code = *e;
            else
                for (auto const& [k, r] : api_versions()) resp.api_keys.push_back({k, r.lo, r.hi});
            send(reply_t{c, v, corr}, resp);
        }

        // ---- topics ----

        topic_t* find_topic(const std::string& name) {
            auto it = topics.find(name);
            return it == topics.end() ? nullptr : &it->second;
        }
        const topic_t* find_topic(const std::string& name) const { return const_cast<impl*>(this)->find_topic(name); }
        topic_t* find_topic(const kafka::uuid& id) {
            for (auto& [n, t] : topics)
                if (t.id == id) return &t;
            return nullptr;
        }
        partition_t* find_partition(topic_t* t, std::int32_t p) {
            if (!t || p < 0 || static_cast<std::size_t>(p) >= t->partitions.size()) return nullptr;
            return &t->partitions[static_cast<std::size_t>(p)];
        }
        partition_t& part(const topic_partition& tp) {
            auto* p = find_partition(find_topic(tp.topic), tp.partition);
            if (!p) throw std::out_of_range("fake_cluster: no partition " + tp.to_string());
            return *p;
        }
        const partition_t& part(const topic_partition& tp) const { return const_cast<impl*>(this)->part(tp); }

        void create_topic(const std::string& name, std::int32_t partitions, const std::vector<std::int32_t>& leaders) {
            if (topics.count(name)) throw std::logic_error("fake_cluster: topic " + name + " exists");
            topic_t t;
            t.name = name;
            ++topic_serial;
            t.id.bytes[0] = std::byte{0x5e};
            for (int i = 0; i < 8; ++i) t.id.bytes[static_cast<std::size_t>(15 - i)] = static_cast<std::byte>((topic_serial >> (8 * i)) & 0xff);
            for (std::int32_t p = 0; p < partitions; ++p) {
                partition_t pt;
                auto idx = static_cast<std::size_t>(p);
                pt.leader = idx < leaders.size() ? leaders[idx] : nodes[idx % nodes.size()].id;
                if (!is_up(pt.leader)) pt.leader = next_live_after(pt.leader).value_or(-1);
                t.partitions.push_back(std::move(pt));
            }
            topics.emplace(name, std::move(t));
        }

        std::int64_t wall_ms() const {
            return wall_clock_base_ms + std::chrono::duration_cast<std::chrono::milliseconds>(net.now().time_since_epoch()).count();
        }

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
            if (auto ec = protocol::build_batch(b.bytes, build, o)) throw std::runtime_error("fake_cluster: " + ec.message());
            b.next = b.base + static_cast<std::int64_t>(records.size());
            p.end = b.next;
            if (!records.empty()) p.batches.push_back(std::move(b));
            wake_fetches();
            return p.end - static_cast<std::int64_t>(records.size());
        }

        void delete_records(const std::string& topic, std::int32_t partition, std::int64_t offset) {
            auto& p = part({topic, partition});
            offset = std::clamp(offset, p.log_start, p.end);
            p.log_start = offset;
            std::erase_if(p.batches, [&](auto const& b) { return b.next <= offset; });
        }

        // ---- Metadata ----

        void on_metadata(const reply_t& r, protocol::MetadataRequest& req, std::optional<std::int16_t> injected) {
            protocol::MetadataResponse resp;
            for (auto const& n : nodes)
                if (!n.down) resp.brokers.push_back({n.id, n.host, n.port, std::nullopt});
            resp.cluster_id = "sim-cluster";
            resp.controller_id = resp.brokers.empty() ? -1 : resp.brokers.front().node_id;
            std::vector<std::string> names;
            bool all = !req.topics || (r.version == 0 && req.topics->empty());
            if (all) {
                for (auto const& [n, t] : topics) names.push_back(n);
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
            bool may_create = opts.auto_create_topics && (r.version < 4 || req.allow_auto_topic_creation);
            for (auto const& name : names) {
                protocol::MetadataResponse::MetadataResponseTopic rt;
                rt.name = name;
                if (!find_topic(name) && may_create && !injected) create_topic(name, opts.auto_create_partitions, {});
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
                        rp.leader_id = p.leader >= 0 && is_up(p.leader) ? p.leader : -1;
                        rp.error_code = rp.leader_id < 0 ? static_cast<std::int16_t>(errc::leader_not_available) : std::int16_t{0};
                        rp.leader_epoch = p.epoch;
                        for (auto const& n : nodes) {
                            rp.replica_nodes.push_back(n.id);
                            if (n.down) rp.offline_replicas.push_back(n.id);
                            else rp.isr_nodes.push_back(n.id);
                        }
                        rt.partitions.push_back(std::move(rp));
                    }
                }
                resp.topics.push_back(std::move(rt));
            }
            send(r, resp);
        }

        // ---- FindCoordinator ----

        std::optional<std::int32_t> coordinator_node(const std::string& group) const {
            std::int32_t preferred;
            if (auto it = coordinator_override.find(group); it != coordinator_override.end()) {
                preferred = it->second;
            } else {
                std::uint32_t h = 2166136261u;  // FNV-1a: stable across runs and platforms
                for (unsigned char ch : group) h = (h ^ ch) * 16777619u;
                preferred = nodes[h % nodes.size()].id;
            }
            if (is_up(preferred)) return preferred;
            return next_live_after(preferred);
        }
        bool is_coordinator(std::int32_t node_id, const std::string& group) const { return coordinator_node(group) == node_id; }

        void on_find_coordinator(const reply_t& r, protocol::FindCoordinatorRequest& req, std::optional<std::int16_t> injected) {
            protocol::FindCoordinatorResponse resp;
            auto keys = r.version >= 4 ? req.coordinator_keys : std::vector<std::string>{req.key};
            for (auto const& key : keys) {
                std::int16_t err = 0;
                std::optional<std::int32_t> at;
                if (injected) err = *injected;
                else if (req.key_type != 0) err = static_cast<std::int16_t>(errc::coordinator_not_available);
                else if (!(at = coordinator_node(key))) err = static_cast<std::int16_t>(errc::coordinator_not_available);
                protocol::FindCoordinatorResponse::Coordinator c;
                c.key = key;
                c.error_code = err;
                if (err == 0) {
                    auto const& n = node(*at);
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
            send(r, resp);
        }

        // ---- ListOffsets ----

        std::int16_t leader_check(std::int32_t node_id, const partition_t* p, std::int32_t current_epoch) const {
            if (!p) return static_cast<std::int16_t>(errc::unknown_topic_or_partition);
            if (p->leader != node_id) return static_cast<std::int16_t>(errc::not_leader_or_follower);
            if (!opts.check_leader_epochs) return 0;
            if (current_epoch >= 0 && current_epoch < p->epoch) return static_cast<std::int16_t>(errc::fenced_leader_epoch);
            if (current_epoch > p->epoch) return static_cast<std::int16_t>(errc::unknown_leader_epoch);
            return 0;
        }

        void on_list_offsets(const reply_t& r, protocol::ListOffsetsRequest& req, std::optional<std::int16_t> injected) {
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
                    pr.error_code = injected ? *injected : leader_check(node_id, p, r.version >= 4 ? q.current_leader_epoch : -1);
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
            send(r, resp);
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

        // ---- Fetch ----

        struct fetch_result {
            protocol::FetchResponse resp;
            std::vector<byte_buffer> storage;  // record_set views point here (heap buffers: stable on move)
            std::size_t bytes = 0;
            bool error = false;
        };

        fetch_result build_fetch(std::int32_t node_id, std::int16_t version, const protocol::FetchRequest& req,
                                 std::optional<std::int16_t> injected) {
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
                    if (injected) err = *injected;
                    else if (!p && version >= 13) err = static_cast<std::int16_t>(errc::unknown_topic_id);
                    else err = leader_check(node_id, p, version >= 9 ? q.current_leader_epoch : -1);
                    if (err == 0 && (q.fetch_offset < p->log_start || q.fetch_offset > p->end))
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

        void on_fetch(const reply_t& r, protocol::FetchRequest& req, std::optional<std::int16_t> injected) {
            auto result = build_fetch(r.conn->node, r.version, req, injected);
            auto min_bytes = static_cast<std::size_t>(std::max(1, req.min_bytes));
            if (injected || result.error || result.bytes >= min_bytes || req.max_wait_ms <= 0) return send(r, result.resp);
            auto w = std::make_shared<fetch_waiter>();
            w->reply = r;
            w->request = std::move(req);
            w->deadline = net.now() + std::chrono::milliseconds(w->request.max_wait_ms);
            waiters.push_back(w);
            std::weak_ptr<impl> weak = weak_from_this();
            net.schedule(w->deadline, [weak, w] {
                if (auto me = weak.lock()) me->finish_fetch(*w, true);
            });
        }

        void finish_fetch(fetch_waiter& w, bool timed_out) {
            if (w.done) return;
            if (w.reply.conn->dead) {
                w.done = true;
                return;
            }
            auto result = build_fetch(w.reply.conn->node, w.reply.version, w.request, std::nullopt);
            auto min_bytes = static_cast<std::size_t>(std::max(1, w.request.min_bytes));
            if (!timed_out && !result.error && result.bytes < min_bytes) return;
            w.done = true;
            send(w.reply, result.resp);
            if (timed_out) std::erase_if(waiters, [](auto const& x) { return x->done; });
        }

        void wake_fetches() {
            auto pending = waiters;
            for (auto const& w : pending) finish_fetch(*w, false);
            std::erase_if(waiters, [](auto const& w) { return w->done; });
        }

        // ---- groups ----

        group_t* find_group(const std::string& id) {
            auto it = groups.find(id);
            return it == groups.end() ? nullptr : &it->second;
        }
        const group_t* find_group(const std::string& id) const { return const_cast<impl*>(this)->find_group(id); }
        group_t& group(const std::string& id) {
            auto& g = groups[id];
            g.id = id;
            return g;
        }

        static const char* state_name(gstate s) {
            switch (s) {
            case gstate::empty: return "Empty";
            case gstate::preparing: return "PreparingRebalance";
            case gstate::completing: return "CompletingRebalance";
            case gstate::stable: return "Stable";
            }
            return "?";
        }
        std::optional<group_info> describe(const std::string& id) const {
            auto* g = find_group(id);
            if (!g) return std::nullopt;
            return group_info{state_name(g->state), g->generation, g->protocol, g->leader, g->order};
        }

        // Keeps a member alive for one more session timeout.
        void touch(group_t& g, member_t& m) {
            m.deadline = net.now() + std::chrono::milliseconds(m.session_timeout_ms);
            std::weak_ptr<impl> weak = weak_from_this();
            net.schedule(m.deadline, [weak, gid = g.id] {
                if (auto me = weak.lock()) me->check_sessions(gid);
            });
        }

        void check_sessions(const std::string& gid) {
            auto* g = find_group(gid);
            if (!g) return;
            std::vector<std::string> expired;
            for (auto const& [id, m] : g->members)
                if (!m.pending_join && !m.pending_sync && m.deadline <= net.now()) expired.push_back(id);
            for (auto const& id : expired) remove_member(*g, id);
        }

        std::int32_t rebalance_timeout_ms(const group_t& g) const {
            std::int32_t t = 0;
            for (auto const& [id, m] : g.members) t = std::max(t, m.rebalance_timeout_ms);
            return t;
        }

        void remove_member(group_t& g, const std::string& id) {
            auto it = g.members.find(id);
            if (it == g.members.end()) return;
            // Answer what it waits for, so that its connection is not left muted.
            if (it->second.pending_join) reply_join_error(*it->second.pending_join, errc::unknown_member_id, id);
            if (it->second.pending_sync) reply_sync_error(*it->second.pending_sync, errc::unknown_member_id);
            if (it->second.instance_id) g.instances.erase(*it->second.instance_id);
            g.members.erase(it);
            std::erase(g.order, id);
            g.synced.erase(id);
            if (g.leader == id) g.leader.clear();
            switch (g.state) {
            case gstate::stable:
            case gstate::completing: prepare_rebalance(g); break;
            case gstate::preparing: break;
            case gstate::empty: return;
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
            auto delay = std::chrono::milliseconds(rebalance_timeout_ms(g));
            std::weak_ptr<impl> weak = weak_from_this();
            net.schedule(net.now() + delay, [weak, gid = g.id, round] {
                if (auto me = weak.lock()) me->on_rebalance_timeout(gid, round);
            });
            g.delaying = was_empty && opts.initial_rebalance_delay.count() > 0;
            if (g.delaying)
                net.schedule(net.now() + opts.initial_rebalance_delay, [weak, gid = g.id, round] {
                    auto me = weak.lock();
                    if (!me) return;
                    auto* gg = me->find_group(gid);
                    if (!gg || gg->round != round) return;
                    gg->delaying = false;
                    me->try_complete_join(*gg);
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
            for (auto const& id : late) {
                auto& m = g->members.at(id);
                if (m.instance_id) g->instances.erase(*m.instance_id);
                g->members.erase(id);
                std::erase(g->order, id);
                if (g->leader == id) g->leader.clear();
            }
            complete_join(*g);
        }

        std::string select_protocol(const group_t& g) const {
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
                send(r, resp);
                touch(g, m);
            }
            // Members that never send SyncGroup are removed after the rebalance timeout.
            std::weak_ptr<impl> weak = weak_from_this();
            net.schedule(net.now() + std::chrono::milliseconds(rebalance_timeout_ms(g)), [weak, gid = g.id, round] {
                auto me = weak.lock();
                if (!me) return;
                auto* gg = me->find_group(gid);
                if (!gg || gg->round != round || gg->state != gstate::completing) return;
                std::vector<std::string> silent;
                for (auto const& [id, m] : gg->members)
                    if (!gg->synced.count(id)) silent.push_back(id);
                for (auto const& id : silent) me->remove_member(*gg, id);
            });
        }

        void reply_join_error(const reply_t& r, errc e, const std::string& member_id = {}) {
            protocol::JoinGroupResponse resp;
            resp.error_code = static_cast<std::int16_t>(e);
            resp.generation_id = -1;
            resp.member_id = member_id;
            send(r, resp);
        }
        void reply_sync_error(const reply_t& r, errc e) {
            protocol::SyncGroupResponse resp;
            resp.error_code = static_cast<std::int16_t>(e);
            send(r, resp);
        }

        std::string new_member_id(const std::string& client_id) {
            auto n = ++member_serial;
            char buf[40];
            std::snprintf(buf, sizeof buf, "%08x-%04x", static_cast<unsigned>(n * 2654435761u), static_cast<unsigned>(n & 0xffff));
            return (client_id.empty() ? std::string("member") : client_id) + "-" + buf;
        }

        // Fencing of static members: FENCED_INSTANCE_ID when the instance id now maps to another member.
        static std::optional<errc> fenced(const group_t& g, const std::optional<std::string>& instance, const std::string& member) {
            if (!instance) return std::nullopt;
            auto it = g.instances.find(*instance);
            if (it != g.instances.end() && it->second != member) return errc::fenced_instance_id;
            return std::nullopt;
        }

        void on_join(const reply_t& r, protocol::JoinGroupRequest& req, std::optional<std::int16_t> injected) {
            if (injected) return reply_join_error(r, static_cast<errc>(*injected), req.member_id);
            if (req.group_id.empty()) return reply_join_error(r, errc::invalid_group_id, req.member_id);
            if (!is_coordinator(r.conn->node, req.group_id)) return reply_join_error(r, errc::not_coordinator, req.member_id);
            auto& g = group(req.group_id);
            if (!g.members.empty()) {
                bool common = req.protocol_type == g.protocol_type;
                if (common) {
                    common = false;
                    for (auto const& p : req.protocols) {
                        bool all = true;
                        for (auto const& [id, m] : g.members) {
                            if (id == req.member_id) continue;
                            all = all && std::any_of(m.protocols.begin(), m.protocols.end(),
                                                     [&](auto const& q) { return q.first == p.name; });
                        }
                        common = common || all;
                    }
                }
                if (!common) return reply_join_error(r, errc::inconsistent_group_protocol, req.member_id);
            }
            std::string id = req.member_id;
            if (id.empty()) {
                id = new_member_id("consumer");
                if (req.group_instance_id) {
                    // Static member: joins at once, replacing (fencing) a member with the same instance id.
                    if (auto it = g.instances.find(*req.group_instance_id); it != g.instances.end()) {
                        auto old = it->second;
                        g.instances.erase(it);
                        if (auto m = g.members.find(old); m != g.members.end()) {
                            if (m->second.pending_join) reply_join_error(*m->second.pending_join, errc::fenced_instance_id, old);
                            if (m->second.pending_sync) reply_sync_error(*m->second.pending_sync, errc::fenced_instance_id);
                            g.members.erase(m);
                            std::erase(g.order, old);
                            if (g.leader == old) g.leader.clear();
                        }
                    }
                } else if (r.version >= 4) {
                    g.pending_members.insert(id);
                    auto session = std::chrono::milliseconds(req.session_timeout_ms);
                    std::weak_ptr<impl> weak = weak_from_this();
                    net.schedule(net.now() + session, [weak, gid = g.id, id] {
                        auto me = weak.lock();
                        if (!me) return;
                        auto* gg = me->find_group(gid);
                        if (gg && gg->pending_members.erase(id)) me->try_complete_join(*gg);
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
            m.rebalance_timeout_ms = r.version >= 1 && req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
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

        void on_sync(const reply_t& r, protocol::SyncGroupRequest& req, std::optional<std::int16_t> injected) {
            if (injected) return reply_sync_error(r, static_cast<errc>(*injected));
            if (!is_coordinator(r.conn->node, req.group_id)) return reply_sync_error(r, errc::not_coordinator);
            auto* g = find_group(req.group_id);
            if (!g || !g->members.count(req.member_id)) return reply_sync_error(r, errc::unknown_member_id);
            if (auto f = fenced(*g, req.group_instance_id, req.member_id)) return reply_sync_error(r, *f);
            if (req.generation_id != g->generation) return reply_sync_error(r, errc::illegal_generation);
            if ((req.protocol_type && *req.protocol_type != g->protocol_type) || (req.protocol_name && *req.protocol_name != g->protocol))
                return reply_sync_error(r, errc::inconsistent_group_protocol);
            auto& m = g->members.at(req.member_id);
            touch(*g, m);
            switch (g->state) {
            case gstate::empty: return reply_sync_error(r, errc::unknown_member_id);
            case gstate::preparing: return reply_sync_error(r, errc::rebalance_in_progress);
            case gstate::stable: return reply_sync(*g, r, m);
            case gstate::completing: break;
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
            send(r, resp);
        }

        void on_heartbeat(const reply_t& r, protocol::HeartbeatRequest& req, std::optional<std::int16_t> injected) {
            protocol::HeartbeatResponse resp;
            auto answer = [&](errc e) {
                resp.error_code = static_cast<std::int16_t>(e);
                send(r, resp);
            };
            if (injected) return answer(static_cast<errc>(*injected));
            if (!is_coordinator(r.conn->node, req.group_id)) return answer(errc::not_coordinator);
            auto* g = find_group(req.group_id);
            if (!g) return answer(errc::unknown_member_id);
            if (auto f = fenced(*g, req.group_instance_id, req.member_id)) return answer(*f);
            auto it = g->members.find(req.member_id);
            if (it == g->members.end()) return answer(errc::unknown_member_id);
            if (req.generation_id != g->generation) return answer(errc::illegal_generation);
            touch(*g, it->second);
            switch (g->state) {
            case gstate::empty: return answer(errc::unknown_member_id);
            case gstate::preparing: return answer(errc::rebalance_in_progress);
            case gstate::completing:
            case gstate::stable: return answer(errc::none);
            }
        }

        void on_leave(const reply_t& r, protocol::LeaveGroupRequest& req, std::optional<std::int16_t> injected) {
            protocol::LeaveGroupResponse resp;
            std::vector<std::pair<std::string, std::optional<std::string>>> leaving;
            if (r.version < 3) leaving.emplace_back(req.member_id, std::nullopt);
            else
                for (auto const& m : req.members) leaving.emplace_back(m.member_id, m.group_instance_id);
            if (injected) resp.error_code = *injected;
            else if (!is_coordinator(r.conn->node, req.group_id)) resp.error_code = static_cast<std::int16_t>(errc::not_coordinator);
            if (resp.error_code != 0) return send(r, resp);
            auto* g = find_group(req.group_id);
            for (auto const& [id, instance] : leaving) {
                std::int16_t err = 0;
                std::string who = id;
                if (who.empty() && instance && g)
                    if (auto it = g->instances.find(*instance); it != g->instances.end()) who = it->second;
                if (!g || !g->members.count(who)) err = static_cast<std::int16_t>(errc::unknown_member_id);
                else if (auto f = fenced(*g, instance, who)) err = static_cast<std::int16_t>(*f);
                else remove_member(*g, who);
                if (r.version >= 3) resp.members.push_back({id, instance, err});
                else resp.error_code = err;
            }
            send(r, resp);
        }

        // ---- offsets ----

        // Kafka's validateOffsetCommit for the classic protocol.
        std::int16_t validate_commit(group_t& g, const std::string& member_id, std::int32_t generation,
                                     const std::optional<std::string>& instance) {
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

        void on_offset_commit(const reply_t& r, protocol::OffsetCommitRequest& req, std::optional<std::int16_t> injected) {
            protocol::OffsetCommitResponse resp;
            std::int16_t top = 0;
            if (injected) top = *injected;
            else if (req.group_id.empty()) top = static_cast<std::int16_t>(errc::invalid_group_id);
            else if (!is_coordinator(r.conn->node, req.group_id)) top = static_cast<std::int16_t>(errc::not_coordinator);
            else top = validate_commit(group(req.group_id), req.member_id, r.version >= 1 ? req.generation_id_or_member_epoch : -1,
                                       req.group_instance_id);
            for (auto const& t : req.topics) {
                protocol::OffsetCommitResponse::OffsetCommitResponseTopic rt;
                rt.name = t.name;
                rt.topic_id = t.topic_id;
                auto* topic = r.version >= 10 ? find_topic(t.topic_id) : find_topic(t.name);
                for (auto const& p : t.partitions) {
                    std::int16_t err = top;
                    if (err == 0 && !find_partition(topic, p.partition_index))
                        err = static_cast<std::int16_t>(r.version >= 10 ? errc::unknown_topic_id : errc::unknown_topic_or_partition);
                    if (err == 0)
                        group(req.group_id).offsets[{topic->name, p.partition_index}] =
                            committed_t{p.committed_offset, p.committed_leader_epoch, p.committed_metadata.value_or("")};
                    rt.partitions.push_back({p.partition_index, err});
                }
                resp.topics.push_back(std::move(rt));
            }
            send(r, resp);
        }

        void on_offset_fetch(const reply_t& r, protocol::OffsetFetchRequest& req, std::optional<std::int16_t> injected) {
            protocol::OffsetFetchResponse resp;
            auto group_error = [&](const std::string& gid) -> std::int16_t {
                if (injected) return *injected;
                if (!is_coordinator(r.conn->node, gid)) return static_cast<std::int16_t>(errc::not_coordinator);
                return 0;
            };
            auto committed_of = [&](const std::string& gid, const topic_partition& tp) -> committed_t {
                auto* g = find_group(gid);
                if (!g) return {};
                auto it = g->offsets.find(tp);
                return it == g->offsets.end() ? committed_t{} : it->second;
            };
            if (r.version < 8) {
                auto err = group_error(req.group_id);
                if (err != 0 && r.version >= 2) {
                    resp.error_code = err;
                    return send(r, resp);
                }
                std::vector<std::pair<std::string, std::vector<std::int32_t>>> wanted;
                if (req.topics) {
                    for (auto const& t : *req.topics) wanted.emplace_back(t.name, t.partition_indexes);
                } else if (auto* g = find_group(req.group_id)) {
                    for (auto const& [tp, c] : g->offsets) {
                        if (wanted.empty() || wanted.back().first != tp.topic) wanted.emplace_back(tp.topic, std::vector<std::int32_t>{});
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
                return send(r, resp);
            }
            for (auto const& gq : req.groups) {
                protocol::OffsetFetchResponse::OffsetFetchResponseGroup rg;
                rg.group_id = gq.group_id;
                rg.error_code = group_error(gq.group_id);
                if (rg.error_code == 0) {
                    std::vector<std::tuple<std::string, kafka::uuid, std::vector<std::int32_t>, bool>> wanted;  // name, id, partitions, known
                    if (gq.topics) {
                        for (auto const& t : *gq.topics) {
                            auto* topic = r.version >= 10 ? find_topic(t.topic_id) : find_topic(t.name);
                            wanted.emplace_back(topic ? topic->name : t.name, t.topic_id, t.partition_indexes, topic != nullptr);
                        }
                    } else if (auto* g = find_group(gq.group_id)) {
                        for (auto const& [tp, c] : g->offsets) {
                            if (wanted.empty() || std::get<0>(wanted.back()) != tp.topic) {
                                auto* topic = find_topic(tp.topic);
                                wanted.emplace_back(tp.topic, topic ? topic->id : kafka::uuid{}, std::vector<std::int32_t>{}, true);
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
                            std::int16_t err = !known && r.version >= 10 ? static_cast<std::int16_t>(errc::unknown_topic_id) : std::int16_t{0};
                            rt.partitions.push_back({p, c.offset, c.leader_epoch, c.metadata, err});
                        }
                        rg.topics.push_back(std::move(rt));
                    }
                }
                resp.groups.push_back(std::move(rg));
            }
            send(r, resp);
        }

        fake_cluster_options opts;
        sim_network net;
        std::vector<node_t> nodes;
        std::vector<std::weak_ptr<conn_t>> conns;
        std::map<std::string, topic_t> topics;
        std::uint64_t topic_serial = 0;
        std::map<std::string, group_t> groups;
        std::map<std::string, std::int32_t> coordinator_override;
        std::uint64_t member_serial = 0;
        std::vector<std::shared_ptr<fetch_waiter>> waiters;
        std::map<std::int16_t, std::vector<std::int16_t>> injections;
        std::map<std::int16_t, int> drops;
        std::map<std::int16_t, std::int16_t> version_limits;
        std::map<std::pair<std::int32_t, std::int16_t>, std::size_t> counts;
        std::function<void(const request_info&)> observer;
    };

    std::shared_ptr<impl> impl_;
};

}  // namespace kafka::testing
