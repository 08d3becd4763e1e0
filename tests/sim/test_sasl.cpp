// Simulated end to end: SASL PLAIN against the fake cluster's SASL listener, and re-authentication
// (KIP-368) when the broker gives sessions a lifetime: a connection that kept using an expired
// session would be closed by the fake broker, as Kafka closes it.
#include "sim_support.hpp"

#include <map>
#include <string>

using namespace sim_support;

namespace {

kt::fake_cluster_options sasl_cluster(std::chrono::milliseconds session_lifetime) {
    kt::fake_cluster_options o;
    o.brokers = 2;
    o.sasl = kt::fake::sasl_options{"alice", "alice-secret", session_lifetime};
    return o;
}

std::map<std::string, std::string> sasl_props(const std::string& password = "alice-secret") {
    return {{"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanism", "PLAIN"},
            {"sasl.username", "alice"},
            {"sasl.password", password}};
}

double metric(sim_consumer& c, const char* name) { return kafka::find_metric(c.metrics().all, name)->value; }

}  // namespace

TEST_CASE("engine sim: 5 s SASL sessions re-authenticate on their connections, with no record lost and no reconnect",
          "[sim][sasl]") {
    kt::fake_cluster cluster(sasl_cluster(5s));
    cluster.create_topic("t", 2);  // both nodes lead a partition; one of them is the coordinator
    auto props = sasl_props();
    props["group.id"] = "reauth";
    props["enable.auto.commit"] = "true";
    props["auto.commit.interval.ms"] = "1000";
    auto c = make_consumer(cluster, props);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 2);
    const double connections = metric(*c, "connection-creation-total");

    int produced = 0;
    for (auto end = cluster.now() + 60s; cluster.now() < end; ++produced) {
        cluster.produce("t", produced % 2, "v" + std::to_string(produced));
        seen.add(c->poll(250ms));
    }
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == static_cast<std::size_t>(produced); }));
    CHECK(seen.contiguous({"t", 0}, 0, (produced + 1) / 2));
    CHECK(seen.contiguous({"t", 1}, 0, produced / 2));

    CHECK(cluster.expired_sasl_sessions() == 0);
    CHECK(metric(*c, "connection-close-total") == 0);
    CHECK(metric(*c, "connection-creation-total") == connections);
    // Fetches to both nodes, heartbeats and commits to the coordinator: each busy connection
    // re-authenticates every 4.25-4.75 s, so at least twelve times a minute.
    auto reauths = metric(*c, "successful-reauthentication-total");
    CHECK(reauths >= 2 * 12);
    // Every authentication the broker saw is a connection's first or one of its re-authentications.
    CHECK(static_cast<double>(cluster.sasl_authentications()) == connections + reauths);
    c->close();
}

TEST_CASE("engine sim: a wrong SASL password fails the next call with the broker's reason, without retrying",
          "[sim][sasl]") {
    kt::fake_cluster cluster(sasl_cluster(0s));
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster, sasl_props("wrong"));
    c->assign({{"t", 0}});
    auto started = cluster.now();
    try {
        for (int i = 0; i < 100; ++i) c->poll(100ms);
        FAIL("consumed with a wrong password");
    } catch (const kafka::kafka_error& e) {
        CHECK(e.code() == kafka::errc::sasl_authentication_failed);
        CHECK_THAT(e.what(), Catch::Contains("Invalid username or password"));
    }
    CHECK(cluster.now() - started < 2s);
    CHECK(cluster.request_count(proto::SaslAuthenticateRequest::api_key) <= 2);
    CHECK(cluster.sasl_authentications() == 0);
}

TEST_CASE("engine sim: OAUTHBEARER settings the consumer cannot turn into a token fail its construction",
          "[sim][sasl][oauth]") {
    kt::fake_cluster cluster;
    const std::string module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ";
    auto refused = [&](std::map<std::string, std::string> p, const std::string& key, const std::string& words) {
        p["security.protocol"] = "SASL_PLAINTEXT";
        p["sasl.mechanism"] = "OAUTHBEARER";
        try {
            make_consumer(cluster, p);
            FAIL("constructed");
        } catch (const kafka::config_error& e) {
            CHECK(e.key() == key);
            CHECK_THAT(e.what(), Catch::Contains(words));
        }
    };
    refused({}, "sasl.jaas.config", "needs a token");
    refused({{"sasl.jaas.config", module + R"(unsecuredLoginNumberClaim_sub="5";)"}}, "sasl.jaas.config",
            "needs a principal");
    refused({{"sasl.jaas.config", module + R"(unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_auth="x";)"}},
            "sasl.jaas.config", "'auth'");
    refused({{"sasl.jaas.config", module + R"(unsecuredLoginStringClaim_sub="a" extension_trace="x";)"}},
            "sasl.jaas.config", "unsecuredLoginExtension_");
    refused({{"sasl.jaas.config", module + R"(unsecuredLoginExtension_trace="x";)"},
             {"sasl.oauthbearer.token.endpoint.url", "file:///t.jwt"}},
            "sasl.jaas.config", "keep one");
    // Accepted: the token file is read when a connection authenticates, not before.
    CHECK_NOTHROW(make_consumer(cluster, {{"security.protocol", "SASL_PLAINTEXT"},
                                          {"sasl.mechanism", "OAUTHBEARER"},
                                          {"sasl.oauthbearer.token.endpoint.url", "file:///t.jwt"},
                                          {"sasl.jaas.config", module + R"(extension_trace="x";)"}}));
}
