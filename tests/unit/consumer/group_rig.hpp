// The group parts wired as the consumer wires them, without a KafkaConsumer: a client,
// metadata, a subscription and group_parts against the fake cluster, driven round by round on
// simulated time (the membership unit tests).
#pragma once

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer.hpp>
#include <kafka/consumer/group_membership.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>

namespace unit_rig {

using namespace std::chrono_literals;
namespace kc = kafka::client;
namespace ke = kafka::engine;
namespace kt = kafka::testing;

/// The policies of a consumer on simulated time: manual commits, no real-time heartbeat thread.
struct sim_manual : kafka::default_policies {
    using transport = kt::in_memory_transport;
    using offset_commit = kafka::commit::manual;
    static constexpr bool background_heartbeat = false;
};

/// A client, metadata, subscription and group parts wired as the consumer wires them.
struct group_rig {
    explicit group_rig(kt::fake_cluster& c, std::string group = "g", std::optional<std::string> instance = std::nullopt)
        : cluster(c),
          transport(c),
          client(io, transport, options()),
          metadata(std::chrono::milliseconds(300000), std::chrono::milliseconds(100)),
          subs(kafka::offset_reset_strategy::earliest),
          parts(client, metadata, subs, group_options(group, std::move(instance))) {
        client.set_node(-1, "sim", 9092);
    }
    static kc::client_options options() {
        kc::client_options o;
        o.client_id = "unit";
        o.request_timeout = 5000ms;
        return o;
    }
    static ke::group_options group_options(std::string group, std::optional<std::string> instance) {
        ke::group_options o;
        o.group_id = std::move(group);
        o.group_instance_id = std::move(instance);
        o.session_timeout = 10000ms;
        o.heartbeat_interval = 1000ms;
        o.max_poll_interval = 60000ms;
        return o;
    }
    void subscribe(const std::string& topic) {
        subs.subscribe(std::set<std::string>{topic});
        metadata.set_topics(subs.metadata_topics());
        metadata.request_update();
    }
    /// One round of what the consumer's poll does for the group: metadata when due, a step.
    template <class Step>
    void round(Step&& step) {
        auto now = transport.now();
        if (metadata.has_topics_to_fetch() && metadata.time_to_next_update(now) <= decltype(now)::duration::zero() &&
            !metadata_in_flight) {
            if (auto node = client.least_loaded_node()) {
                metadata_in_flight = true;
                metadata.record_attempt(now);
                client.send(*node, metadata.build_request(true)).add_listener([this](auto& f) {
                    metadata_in_flight = false;
                    if (f.succeeded()) metadata.update(f.value().body, transport.now());
                });
            }
        }
        step(now);
        client.poll(100ms);
    }
    template <class Step, class Done>
    bool run_until(Step&& step, Done&& done, std::chrono::seconds limit = 60s) {
        auto give_up = transport.now() + limit;
        for (int i = 0; i < 100000 && transport.now() < give_up; ++i) {
            round(step);
            if (done()) return true;
        }
        return false;
    }

    kt::fake_cluster& cluster;
    asio::io_context io;
    kt::in_memory_transport transport;
    kc::network_client<kt::in_memory_transport> client;
    kc::basic_metadata<kt::sim_clock> metadata;
    ke::subscription_state subs;
    ke::group_parts<kt::in_memory_transport> parts;
    bool metadata_in_flight = false;
};

}  // namespace unit_rig
