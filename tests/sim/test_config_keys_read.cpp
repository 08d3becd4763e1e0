// No setting accepted and ignored: every key the table marks as supported is read by the consumer
// (through consumer_config, recorded on this thread) in one of a few typical lives: a classic group
// member, a KIP-848 member, a consumer with assigned partitions, each subscribing or assigning,
// polling, committing, looking offsets up and closing. A key added to the table and used nowhere
// fails here. Keys only a transport with sockets or a secured cluster reads are named below, each
// with the test that shows its effect.
#include "sim_support.hpp"

#include <kafka/config.hpp>

#include <set>
#include <string>

using namespace sim_support;

namespace {

// Read only when the transport has TLS and the cluster SASL (client_options_from, set_tls), which
// the fake cluster's transport has not: their effect is shown by tests/unit/client/test_tls_settings.cpp,
// test_tls_stores.cpp, test_sasl.cpp, test_oauth.cpp and tests/integration/test_security.cpp against
// real brokers.
const std::set<std::string, std::less<>> read_elsewhere = {"sasl.mechanism",
                                                           "sasl.jaas.config",
                                                           "sasl.oauthbearer.token.endpoint.url",
                                                           "sasl.login.callback.handler.class",
                                                           "sasl.login.refresh.window.factor",
                                                           "sasl.login.refresh.window.jitter",
                                                           "sasl.login.refresh.min.period.seconds",
                                                           "sasl.login.refresh.buffer.seconds",
                                                           "sasl.kerberos.service.name",
                                                           "sasl.username",
                                                           "sasl.password",
                                                           "ssl.ca.location",
                                                           "ssl.certificate.location",
                                                           "ssl.key.location",
                                                           "ssl.key.password",
                                                           "ssl.endpoint.identification.algorithm",
                                                           "ssl.enabled.protocols",
                                                           "ssl.cipher.suites",
                                                           "ssl.truststore.type",
                                                           "ssl.truststore.location",
                                                           "ssl.truststore.password",
                                                           "ssl.truststore.certificates",
                                                           "ssl.keystore.type",
                                                           "ssl.keystore.location",
                                                           "ssl.keystore.password",
                                                           "ssl.keystore.key",
                                                           "ssl.keystore.certificate.chain"};

// Read by the engine only for a transport with sockets (transports::tcp::set_socket_buffers).
const std::set<std::string, std::less<>> tcp_transport_only = {"send.buffer.bytes", "receive.buffer.bytes"};

// Accepted with no effect on a consumer's own metrics, as in Java: every sensor of Java's consumer
// (fetch manager, coordinator, per-node network metrics) records at INFO, so INFO, DEBUG and TRACE
// all record everything, and so does this consumer. The key matters to Kafka Streams, whose
// configuration a consumer's often shares.
const std::set<std::string, std::less<>> no_effect_in_java_either = {"metrics.recording.level"};

// KafkaShareConsumer's own keys (KafkaConsumer refuses them): tests/sim/test_share_consumer.cpp
// checks that a share consumer reads them.
const std::set<std::string, std::less<>> share_consumer_only = {"share.acknowledgement.mode", "share.acquire.mode"};

void live(std::map<std::string, std::string> extra, bool group) {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    cluster.produce("t", 0, "a");
    extra["auto.offset.reset"] = "earliest";
    bool pattern = extra.erase("pattern") > 0;
    auto c = make_consumer(cluster, extra);
    seen_records seen;
    if (group && pattern) {
        c->subscribe(kafka::topic_pattern{"t.*"});
    } else if (group) {
        c->subscribe({"t"});
    } else {
        c->assign({{"t", 0}, {"t", 1}});
    }
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    if (group) c->commitSync();
    if (!extra.count("group.id") || !extra["group.id"].empty()) c->committed({{"t", 0}});
    c->position({"t", 0});
    c->endOffsets({{"t", 0}});
    c->partitionsFor("t");
    c->metrics();
    c->close();
}

}  // namespace

TEST_CASE("config: every supported key is read by the consumer (none accepted and ignored)", "[sim][config]") {
    kafka::detail::cfg::read_recorder reads;
    live({{"group.id", "g1"}, {"partition.assignment.strategy", "range"}}, true);
    live({{"group.id", "g4"}, {"pattern", "yes"}}, true);
    live(
        {{"group.id", "g2"}, {"group.protocol", "consumer"}, {"session.timeout.ms", ""}, {"heartbeat.interval.ms", ""}},
        true);
    live({{"group.id", "g3"}}, false);
    live({{"group.id", ""}}, false);
    std::vector<std::string> unread;
    for (auto const& k : kafka::consumer_config_keys) {
        if (k.status != kafka::config_status::supported) continue;
        if (reads.keys.count(k.name) || read_elsewhere.count(k.name) || tcp_transport_only.count(k.name) ||
            no_effect_in_java_either.count(k.name) || share_consumer_only.count(k.name))
            continue;
        if (k.flags & kafka::config_prefix) continue;
        unread.emplace_back(k.name);
    }
    INFO("supported keys no consumer read: " << ::Catch::Detail::stringify(unread));
    CHECK(unread.empty());
}

TEST_CASE("config: a client.dns.lookup this consumer cannot honour is refused, not ignored", "[sim][config]") {
    kt::fake_cluster cluster;
    auto refused = [&](std::map<std::string, std::string> extra, const std::string& key) {
        try {
            make_consumer(cluster, extra);
        } catch (const kafka::config_error& e) {
            CHECK(e.key() == key);
            return true;
        }
        return false;
    };
    CHECK(refused({{"client.dns.lookup", "resolve_canonical_bootstrap_servers_only"}}, "client.dns.lookup"));
    CHECK_FALSE(refused({{"client.dns.lookup", "use_all_dns_ips"}}, ""));
}
