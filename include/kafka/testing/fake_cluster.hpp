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
// What a broker serves (every version our message descriptions support, see limit_version()):
// ApiVersions, Metadata, FindCoordinator, ListOffsets, Fetch, OffsetCommit, OffsetFetch,
// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ConsumerGroupHeartbeat, ShareGroupHeartbeat,
// ShareFetch, ShareAcknowledge; with `sasl` set,
// SaslHandshake and SaslAuthenticate (PLAIN), required before anything else. Any other API closes
// the connection.
//
// This class is the face; the behaviours, and where they are simplified, are described where
// they are implemented:
//   fake/wire.hpp               nodes, connections (one request at a time per connection, answered
//                               `latency` later), dispatch by API key, versions, fault injection
//   fake/log.hpp                topics, logs, produce; Metadata, ListOffsets, Fetch
//   fake/group_coordinator.hpp  what every kind of group shares: FindCoordinator (placement),
//                               OffsetCommit and OffsetFetch (committed offsets)
//   fake/classic_group.hpp      the classic protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup
//   fake/consumer_group.hpp     the KIP-848 consumer protocol: ConsumerGroupHeartbeat, server-side
//                               assignment (uniform, range), epochs, revocation before reassignment
//   fake/share_group.hpp        KIP-932 share groups: ShareGroupHeartbeat (every member gets every
//                               partition), share sessions, ShareFetch and ShareAcknowledge over
//                               per-offset record states (acquisition locks, delivery counts)
//   fake/sasl.hpp               SASL PLAIN and session lifetimes (KIP-368 re-authentication)
// Each kind of group serves its APIs on the wire and registers with the group coordinator.
//
//  * set_down(node, true) closes the node's connections (in-flight requests fail, reads see EOF),
//    refuses new ones, drops it from Metadata, and, unless told otherwise, moves leadership of its
//    partitions to the next live node with a new leader epoch.
//
// Fault injection: inject(api_key, error_code, n) answers the next n requests of that API with
// the error (per partition where the API has per-partition errors, else top-level) without doing
// anything else; drop_responses(api_key, n) swallows the next n requests entirely (not handled,
// never answered: the connection stays muted until the client times out and closes it).
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <kafka/testing/fake/classic_group.hpp>
#include <kafka/testing/fake/consumer_group.hpp>
#include <kafka/testing/fake/group_coordinator.hpp>
#include <kafka/testing/fake/log.hpp>
#include <kafka/testing/fake/sasl.hpp>
#include <kafka/testing/fake/share_group.hpp>
#include <kafka/testing/fake/wire.hpp>
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
    /// The broker's group.consumer.session.timeout.ms and group.consumer.heartbeat.interval.ms
    /// (KIP-848 consumer groups).
    std::chrono::milliseconds consumer_session_timeout{45000};
    std::chrono::milliseconds consumer_heartbeat_interval{5000};
    /// KIP-932 share groups: group.share.session.timeout.ms, group.share.heartbeat.interval.ms,
    /// group.share.record.lock.duration.ms, group.share.delivery.count.limit, and the groups'
    /// share.auto.offset.reset ("earliest" here by default for convenience; Kafka's is "latest").
    std::chrono::milliseconds share_session_timeout{45000};
    std::chrono::milliseconds share_heartbeat_interval{5000};
    std::chrono::milliseconds share_record_lock_duration{30000};
    std::int16_t share_delivery_count_limit = 5;
    std::string share_auto_offset_reset = "earliest";
    /// Require SASL PLAIN with these credentials (and session lifetime) on every connection.
    std::optional<fake::sasl_options> sasl{};
};

class fake_cluster {
public:
    using time_point = sim_clock::time_point;
    using duration = sim_clock::duration;

    /// Wall-clock milliseconds at simulated time zero (record timestamps, ListOffsets by time).
    static constexpr std::int64_t wall_clock_base_ms = fake::wall_clock_base_ms;

    explicit fake_cluster(fake_cluster_options opts = {})
        : wire_(
              std::make_shared<fake::wire>(fake::wire_options{opts.brokers, opts.host, opts.base_port, opts.latency})),
          logs_(*wire_,
                fake::log_options{opts.auto_create_topics, opts.auto_create_partitions, opts.check_leader_epochs}),
          coordinator_(*wire_, logs_),
          classic_(*wire_, coordinator_, opts.initial_rebalance_delay),
          consumer_(*wire_, logs_, coordinator_,
                    fake::consumer_group_options{opts.consumer_session_timeout, opts.consumer_heartbeat_interval}),
          share_(*wire_, logs_, coordinator_,
                 fake::share_group_options{opts.share_session_timeout, opts.share_heartbeat_interval,
                                           opts.share_record_lock_duration, opts.share_delivery_count_limit,
                                           opts.share_auto_offset_reset},
                 {&classic_, &consumer_}) {
        if (opts.sasl) sasl_ = std::make_unique<fake::sasl_service>(*wire_, *opts.sasl);
        wire_->start();
    }
    fake_cluster(const fake_cluster&) = delete;
    fake_cluster& operator=(const fake_cluster&) = delete;

    // ---- wiring -------------------------------------------------------------------------

    sim_network& network() noexcept { return wire_->network(); }
    const sim_network& network() const noexcept { return wire_->network(); }
    /// A transport bound to this cluster (one per consumer: it is moved into the consumer).
    in_memory_transport transport() const { return in_memory_transport(network()); }
    /// "sim:9092,sim:9093,..." for bootstrap.servers.
    std::string bootstrap_servers() const {
        std::string s;
        for (auto const& n : wire_->nodes()) s += (s.empty() ? "" : ",") + n.host + ":" + std::to_string(n.port);
        return s;
    }
    std::vector<std::int32_t> node_ids() const {
        std::vector<std::int32_t> out;
        for (auto const& n : wire_->nodes()) out.push_back(n.id);
        return out;
    }

    // ---- time ---------------------------------------------------------------------------

    time_point now() const noexcept { return wire_->now(); }
    /// Moves simulated time forward without any consumer polling (sessions expire, waits end).
    void advance(duration d) { network().advance(d); }
    /// Called whenever a transport is about to move simulated time forward (see sim_network).
    void on_idle(std::function<void()> hook) { network().set_idle_hook(std::move(hook)); }

    // ---- topics and logs ----------------------------------------------------------------

    /// Creates `topic`; partition p is led by `leaders[p]` if given, else node p % brokers.
    void create_topic(const std::string& topic, std::int32_t partitions, std::vector<std::int32_t> leaders = {}) {
        logs_.create_topic(topic, partitions, leaders);
    }
    bool has_topic(const std::string& topic) const { return logs_.find_topic(topic) != nullptr; }

    /// Appends one batch of records; returns the offset of the first. Waiting fetches may answer.
    std::int64_t produce(const std::string& topic, std::int32_t partition, const std::vector<sim_record>& records) {
        auto first = logs_.produce(topic, partition, records);
        share_.wake();
        return first;
    }
    /// Appends one batch of values (null keys); returns the offset of the first.
    template <class... Values>
    requires(sizeof...(Values) > 0 && (std::convertible_to<Values, std::string_view> && ...)) std::int64_t
        produce(const std::string& topic, std::int32_t partition, Values&&... values) {
        std::vector<sim_record> rs;
        (rs.push_back(sim_record{std::nullopt, std::string(std::string_view(values)), std::nullopt, {}}), ...);
        return produce(topic, partition, rs);
    }
    std::int64_t produce_values(const std::string& topic, std::int32_t partition,
                                const std::vector<std::string>& values) {
        std::vector<sim_record> rs;
        for (auto const& v : values) rs.push_back(sim_record{std::nullopt, v, std::nullopt, {}});
        return produce(topic, partition, rs);
    }

    /// Deletes the records before `offset` (moves the log start offset, as DeleteRecords).
    void delete_records(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        logs_.delete_records(topic, partition, offset);
    }
    std::int64_t log_start_offset(const topic_partition& tp) const { return logs_.part(tp).log_start; }
    std::int64_t end_offset(const topic_partition& tp) const { return logs_.part(tp).end; }

    /// Moves the leadership of a partition (new leader epoch).
    void move_leader(const std::string& topic, std::int32_t partition, std::int32_t node) {
        fake::logs::move_leader(logs_.part({topic, partition}), node);
    }
    std::int32_t leader_of(const topic_partition& tp) const { return logs_.part(tp).leader; }
    std::int32_t leader_epoch_of(const topic_partition& tp) const { return logs_.part(tp).epoch; }
    /// Cuts a partition's log at `offset` (a batch boundary) under a new leader epoch, as an
    /// unclean leader election loses what the new leader never had (KIP-320 tests).
    void truncate(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        logs_.truncate(topic, partition, offset);
    }
    /// Lets `node` serve fetches of a partition and makes its leader send clients with a rack
    /// there (KIP-392); -1: the leader only.
    void set_read_replica(const std::string& topic, std::int32_t partition, std::int32_t node) {
        logs_.part({topic, partition}).read_replica = node;
    }
    /// The brokers' incremental fetch sessions (KIP-227): evict() them, count() per node, or
    /// disable opening new ones.
    fake::fetch_sessions& fetch_sessions() { return logs_.sessions(); }

    // ---- nodes --------------------------------------------------------------------------

    /// Takes a node down (closing its connections; failing over its partitions unless told not
    /// to) or brings it back (it then leads nothing until move_leader).
    void set_down(std::int32_t node, bool down, bool fail_over = true) {
        wire_->set_down(node, down);
        if (down && fail_over) logs_.fail_over(node);
    }
    bool is_down(std::int32_t node) const { return wire_->node(node).down; }
    /// Moves a node to another port of the same host, as a broker restarted with another listener:
    /// its connections close, the old address refuses connections, metadata names the new one.
    void move_node(std::int32_t node, std::uint16_t port) { wire_->move(node, port); }
    /// Response delay of a node (and connect delay to it).
    void set_latency(std::int32_t node, duration d) { wire_->set_latency(node, d); }
    /// Closes every open connection of `node` (it stays up).
    void disconnect_all(std::int32_t node) { wire_->close_connections(node); }

    // ---- groups -------------------------------------------------------------------------

    /// Moves the coordinator of `group` to `node`.
    void move_coordinator(const std::string& group, std::int32_t node) { coordinator_.move(group, node); }
    std::optional<std::int32_t> coordinator_of(const std::string& group) const {
        return coordinator_.coordinator_node(group);
    }
    std::optional<group_info> describe_group(const std::string& group) const { return classic_.describe(group); }
    /// Removes a member as if its session had expired (a rebalance follows).
    void remove_member(const std::string& group, const std::string& member_id) {
        classic_.remove_member(group, member_id);
    }
    /// A KIP-848 consumer group as its coordinator sees it (epochs, assignments, revocations).
    std::optional<consumer_group_info> describe_consumer_group(const std::string& group) const {
        return consumer_.describe(group);
    }
    /// Removes a member of a consumer group as if its session had expired (it is fenced next).
    void remove_consumer_member(const std::string& group, const std::string& member_id) {
        consumer_.remove_member(group, member_id);
    }
    /// A KIP-932 share group as its coordinator sees it (epoch, members, their assignments).
    std::optional<share_group_info> describe_share_group(const std::string& group) const {
        return share_.describe(group);
    }
    /// The share partition of `tp` in share group `group`: start offset and every delivered offset's
    /// state, delivery count and lock (nullopt until the group fetched it).
    std::optional<share_partition_info> describe_share_partition(const std::string& group, const topic_partition& tp) {
        return share_.describe_partition(group, tp);
    }
    /// Removes a member of a share group as if its session had expired (its records are released).
    void remove_share_member(const std::string& group, const std::string& member_id) {
        share_.remove_member(group, member_id);
    }
    /// The brokers' share sessions: count per node, or evict them all.
    std::size_t share_session_count(std::int32_t node) const { return share_.session_count(node); }
    void evict_share_sessions() { share_.evict_sessions(); }
    /// Starts a rebalance of a stable group, as a membership change would.
    void trigger_rebalance(const std::string& group) { classic_.trigger_rebalance(group); }
    /// The committed offset of `tp` in `group`, if any.
    std::optional<std::int64_t> committed(const std::string& group, const topic_partition& tp) const {
        return coordinator_.committed(group, tp);
    }

    // ---- faults and observation ---------------------------------------------------------

    /// Answers the next `count` requests of `api_key` with `error_code` (and nothing else).
    void inject(std::int16_t api_key, std::int16_t error_code, int count = 1) {
        for (int i = 0; i < count; ++i) wire_->inject(api_key, error_code);
    }
    template <class E>
    requires std::is_enum_v<E>
    void inject(std::int16_t api_key, E error, int count = 1) {
        inject(api_key, static_cast<std::int16_t>(error), count);
    }
    /// Swallows the next `count` requests of `api_key`: not handled, never answered.
    void drop_responses(std::int16_t api_key, int count = 1) { wire_->drop(api_key, count); }
    /// Serves at most version `max` of `api_key` (what ApiVersions advertises, and what is accepted).
    void limit_version(std::int16_t api_key, std::int16_t max) { wire_->limit_version(api_key, max); }

    /// Requests of `api_key` received (by `node`, or by all), dropped and injected ones included.
    std::size_t request_count(std::int16_t api_key, std::optional<std::int32_t> node = std::nullopt) const {
        return wire_->request_count(api_key, node);
    }
    /// Sees every request as it is read by a node, before it is handled.
    void on_request(std::function<void(const request_info&)> observer) { wire_->on_request(std::move(observer)); }
    /// Hands every response to `rewrite` before it is delivered: it may change any byte, the
    /// size prefix included (a test's broker that answers with corrupt or unexpected bytes).
    void on_response(response_rewriter rewrite) { wire_->on_response(std::move(rewrite)); }

    /// With options.sasl: successful SASL authentications (re-authentications included), and
    /// connections closed for using an expired session.
    std::size_t sasl_authentications() const { return sasl_ ? sasl_->authentications() : 0; }
    std::size_t expired_sasl_sessions() const { return sasl_ ? sasl_->expired_sessions() : 0; }

private:
    // The wire is shared only so that simulated events can tell it is gone (they hold it weakly):
    // the services below live exactly as long as it, and are destroyed first.
    std::shared_ptr<fake::wire> wire_;
    fake::logs logs_;
    fake::group_coordinator coordinator_;
    fake::classic_groups classic_;
    fake::consumer_groups consumer_;
    fake::share_groups share_;
    std::unique_ptr<fake::sasl_service> sasl_;
};

}  // namespace kafka::testing
