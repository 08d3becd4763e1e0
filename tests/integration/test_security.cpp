// TLS and SASL against the real broker's SSL, SASL_PLAINTEXT and SASL_SSL listeners, OAUTHBEARER on
// its OAUTH listener, re-authentication (KIP-368) on its REAUTH listener, and GSSAPI on its KERB
// listener with the rig's Kerberos KDC.
#include <kafka/consumer.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "broker_env.hpp"

using namespace kafka;

namespace {

// Reads partition 0 of `conformance` (300 records from kcat) over the given settings.
template <class Policies = default_policies>
std::size_t read_conformance(std::map<std::string, std::string> props) {
    props["request.timeout.ms"] = "10000";
    props["default.api.timeout.ms"] = "15000";
    KafkaConsumer<std::string, std::string, Policies> consumer{consumer_config(props)};
    topic_partition tp{"conformance", 0};
    consumer.assign({tp});
    consumer.seekToBeginning({tp});
    std::size_t n = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (n < 300 && std::chrono::steady_clock::now() < deadline) {
        for (auto const& r : consumer.poll(std::chrono::milliseconds(500))) {
            CHECK(r.value() == "msg-" + std::to_string(r.offset()));
            ++n;
        }
    }
    consumer.close();
    return n;
}

const test::broker_env& env() { return test::broker_env::get(); }

}  // namespace

TEST_CASE("TLS: server verified against the test CA, with and without a client certificate", "[security]") {
    auto ssl = env().var("KAFKA_BOOTSTRAP_SSL");
    if (ssl.empty()) {
        WARN("no SSL listener configured (KAFKA_BOOTSTRAP_SSL): skipped");
        return;
    }
    CHECK(read_conformance({{"bootstrap.servers", ssl},
                            {"security.protocol", "SSL"},
                            {"ssl.ca.location", env().var("KAFKA_CA_FILE")}}) == 300);
    CHECK(read_conformance({{"bootstrap.servers", ssl},
                            {"security.protocol", "SSL"},
                            {"ssl.ca.location", env().var("KAFKA_CA_FILE")},
                            {"ssl.certificate.location", env().var("KAFKA_CLIENT_CERT")},
                            {"ssl.key.location", env().var("KAFKA_CLIENT_KEY")}}) == 300);
}

TEST_CASE("TLS: a broker certificate from another CA fails with a clear error, not a hang", "[security]") {
    auto ssl = env().var("KAFKA_BOOTSTRAP_SSL");
    if (ssl.empty()) return;
    auto start = std::chrono::steady_clock::now();
    try {
        read_conformance({{"bootstrap.servers", ssl},
                          {"security.protocol", "SSL"},
                          {"ssl.ca.location", env().var("KAFKA_OTHER_CA_FILE")}});
        FAIL("reading with the wrong CA succeeded");
    } catch (const kafka_error& e) {
        std::string what = e.what();
        INFO(what);
        CHECK(what.find("certificate verify failed") != std::string::npos);
        CHECK(what.find(ssl) != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
}

TEST_CASE("TLS: ssl.enabled.protocols and ssl.cipher.suites against the broker, which offers TLS 1.2 and 1.3",
          "[security]") {
    auto ssl = env().var("KAFKA_BOOTSTRAP_SSL");
    if (ssl.empty()) return;
    // Each version alone, and one suite of each version by Java's (IANA) name: the broker's JSSE
    // offers all four, so each setting alone is what is negotiated (the unit tests show the client
    // offers nothing else: tests/unit/client/test_tls_settings.cpp).
    const std::vector<std::pair<std::string, std::string>> settings{
        {"TLSv1.2", ""},
        {"TLSv1.3", ""},
        {"TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
        {"TLSv1.3", "TLS_AES_128_GCM_SHA256"},
    };
    for (auto const& [protocols, suites] : settings) {
        INFO(protocols << " " << suites);
        std::map<std::string, std::string> props{{"bootstrap.servers", ssl},
                                                 {"security.protocol", "SSL"},
                                                 {"ssl.ca.location", env().var("KAFKA_CA_FILE")},
                                                 {"ssl.enabled.protocols", protocols}};
        if (!suites.empty()) props["ssl.cipher.suites"] = suites;
        CHECK(read_conformance(props) == 300);
    }
}

TEST_CASE("TLS: a TLS 1.3-only client against a broker that speaks TLS 1.2 only fails fast and says why",
          "[security]") {
    auto tls12 = env().var("KAFKA_BOOTSTRAP_TLS12");
    if (tls12.empty()) {
        WARN("no TLS 1.2-only listener configured (KAFKA_BOOTSTRAP_TLS12): skipped");
        return;
    }
    std::map<std::string, std::string> props{
        {"bootstrap.servers", tls12}, {"security.protocol", "SSL"}, {"ssl.ca.location", env().var("KAFKA_CA_FILE")}};
    CHECK(read_conformance(props) == 300);  // the listener works for a client that allows TLS 1.2
    props["ssl.enabled.protocols"] = "TLSv1.3";
    auto start = std::chrono::steady_clock::now();
    try {
        read_conformance(props);
        FAIL("a TLS 1.3-only client reached a TLS 1.2-only broker");
    } catch (const kafka_error& e) {
        std::string what = e.what();
        INFO(what);
        CHECK(what.find("protocol version") != std::string::npos);
        CHECK(what.find(tls12) != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("TLS: Java's trust and key stores, as PKCS#12 files keytool and openssl wrote and as PEM text",
          "[security]") {
    auto ssl = env().var("KAFKA_BOOTSTRAP_SSL");
    if (ssl.empty()) return;
    // The rig's TLS directory (scripts/tls-setup.sh): truststore.p12 by keytool, client.keystore.p12 by
    // openssl, both with the password in the file "password".
    const std::filesystem::path dir = std::filesystem::path(env().var("KAFKA_CA_FILE")).parent_path();
    auto text = [](const std::filesystem::path& f) {
        std::ifstream in(f, std::ios::binary);
        REQUIRE(in);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    std::string password = text(dir / "password");
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    const std::map<std::string, std::string> base{{"bootstrap.servers", ssl}, {"security.protocol", "SSL"}};
    auto with = [&](std::map<std::string, std::string> more) {
        more.insert(base.begin(), base.end());
        return more;
    };
    SECTION("trust store: keytool's PKCS#12 file, as PKCS12 and under Java's default type") {
        CHECK(read_conformance(with({{"ssl.truststore.type", "PKCS12"},
                                     {"ssl.truststore.location", (dir / "truststore.p12").string()},
                                     {"ssl.truststore.password", password}})) == 300);
        CHECK(read_conformance(with({{"ssl.truststore.location", (dir / "truststore.p12").string()},
                                     {"ssl.truststore.password", password}})) == 300);
    }
    SECTION("key store: openssl's PKCS#12 file with the client's key and chain") {
        CHECK(read_conformance(with({{"ssl.truststore.location", (dir / "truststore.p12").string()},
                                     {"ssl.truststore.password", password},
                                     {"ssl.keystore.type", "PKCS12"},
                                     {"ssl.keystore.location", (dir / "client.keystore.p12").string()},
                                     {"ssl.keystore.password", password}})) == 300);
    }
    SECTION("PEM text: trust store certificates, key store key and chain") {
        CHECK(read_conformance(with({{"ssl.truststore.type", "PEM"},
                                     {"ssl.truststore.certificates", text(dir / "ca.pem")},
                                     {"ssl.keystore.type", "PEM"},
                                     {"ssl.keystore.certificate.chain", text(dir / "client.pem")},
                                     {"ssl.keystore.key", text(dir / "client.key")}})) == 300);
    }
    SECTION("another CA's certificate as the trust store: the broker is not trusted") {
        try {
            read_conformance(
                with({{"ssl.truststore.type", "PEM"}, {"ssl.truststore.certificates", text(dir / "other-ca.pem")}}));
            FAIL("reading with another CA succeeded");
        } catch (const kafka_error& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find("certificate verify failed") != std::string::npos);
        }
    }
    SECTION("a wrong store password is refused when the consumer is constructed") {
        try {
            read_conformance(with({{"ssl.truststore.location", (dir / "truststore.p12").string()},
                                   {"ssl.truststore.password", "not-" + password}}));
            FAIL("constructed with a wrong trust store password");
        } catch (const config_error& e) {
            CHECK(e.key() == "ssl.truststore.location");
        }
    }
}

TEST_CASE("TLS: a missing CA file is a configuration error naming the key", "[security]") {
    try {
        KafkaConsumer<std::string, std::string> c{consumer_config{{"bootstrap.servers", "127.0.0.1:1"},
                                                                  {"security.protocol", "SSL"},
                                                                  {"ssl.ca.location", "/nonexistent/ca.pem"}}};
        FAIL("constructed with a missing CA file");
    } catch (const kafka_error& e) {
        CHECK(std::string(e.what()).find("ssl.ca.location") != std::string::npos);
    }
}

TEST_CASE("SASL PLAIN and SCRAM-SHA-256/512, over plaintext and TLS", "[security]") {
    auto sasl = env().var("KAFKA_BOOTSTRAP_SASL_PLAINTEXT");
    auto sasl_ssl = env().var("KAFKA_BOOTSTRAP_SASL_SSL");
    if (sasl.empty()) {
        WARN("no SASL listener configured (KAFKA_BOOTSTRAP_SASL_PLAINTEXT): skipped");
        return;
    }
    for (auto mech : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
        INFO(mech);
        CHECK(read_conformance({{"bootstrap.servers", sasl},
                                {"security.protocol", "SASL_PLAINTEXT"},
                                {"sasl.mechanism", mech},
                                {"sasl.username", env().var("KAFKA_SASL_USER")},
                                {"sasl.password", env().var("KAFKA_SASL_PASSWORD")}}) == 300);
        if (!sasl_ssl.empty())
            CHECK(read_conformance(
                      {{"bootstrap.servers", sasl_ssl},
                       {"security.protocol", "SASL_SSL"},
                       {"sasl.mechanism", mech},
                       {"ssl.ca.location", env().var("KAFKA_CA_FILE")},
                       {"sasl.jaas.config",
                        std::string("org.apache.kafka.common.security.") +
                            (std::string(mech) == "PLAIN" ? "plain.PlainLoginModule" : "scram.ScramLoginModule") +
                            " required username=\"" + env().var("KAFKA_SASL_USER") + "\" password=\"" +
                            env().var("KAFKA_SASL_PASSWORD") + "\";"}}) == 300);
    }
}

TEST_CASE("SASL: a wrong password is reported with the broker's reason", "[security]") {
    auto sasl = env().var("KAFKA_BOOTSTRAP_SASL_PLAINTEXT");
    if (sasl.empty()) return;
    for (auto mech : {"PLAIN", "SCRAM-SHA-512"}) {
        INFO(mech);
        try {
            read_conformance({{"bootstrap.servers", sasl},
                              {"security.protocol", "SASL_PLAINTEXT"},
                              {"sasl.mechanism", mech},
                              {"sasl.username", env().var("KAFKA_SASL_USER")},
                              {"sasl.password", "wrong-password"}});
            FAIL("authenticated with a wrong password");
        } catch (const kafka_error& e) {
            CHECK(e.code() == errc::sasl_authentication_failed);
            CHECK(std::string(e.what()).find("Authentication failed") != std::string::npos);
        }
    }
}

// ---- SASL/OAUTHBEARER (the OAUTH listener: Kafka's unsecured validator) and KIP-368 -----------

namespace {

std::string oauth_jaas(const std::string& options) {
    return "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " + options + ";";
}

std::map<std::string, std::string> oauth_props(const std::string& bootstrap) {
    return {
        {"bootstrap.servers", bootstrap}, {"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}};
}

// A token the broker will check as it checks any: Kafka's unsecured JWS with these claims.
std::string unsecured_jwt(const std::string& sub, std::chrono::seconds lifetime, std::chrono::seconds age = {}) {
    return oauth::unsecured_jws({{"unsecuredLoginStringClaim_sub", sub},
                                 {"unsecuredLoginLifetimeSeconds", std::to_string(lifetime.count())}},
                                [age] { return oauth::wall_clock::now() - age; })
        .token()
        .value;
}

// Hands over the JWT in `next_jwt` and claims whatever expiry the test says (to see what the
// broker does with a token the provider believes valid); counts its calls.
struct test_token_provider {
    static inline std::string next_jwt;
    static inline int calls = 0;
    oauth::token token() {
        ++calls;
        return {next_jwt, oauth::wall_clock::now() + std::chrono::hours(1), std::nullopt};
    }
};
struct provider_policies : default_policies {
    using token_provider = test_token_provider;
};

std::filesystem::path write_token_file(const std::string& jwt) {
    auto path = std::filesystem::temp_directory_path() / ("kafka-it-token-" + std::to_string(::getpid()) + ".jwt");
    std::ofstream(path) << jwt << "\n";
    return path;
}

}  // namespace

TEST_CASE("SASL OAUTHBEARER: the unsecured token, a token file and a token provider, against the broker's validator",
          "[security][oauth]") {
    auto oauth_listener = env().var("KAFKA_BOOTSTRAP_OAUTH");
    if (oauth_listener.empty()) {
        WARN("no OAUTHBEARER listener configured (KAFKA_BOOTSTRAP_OAUTH): skipped");
        return;
    }
    SECTION("unsecured token from OAuthBearerLoginModule's options, with SASL extensions (KIP-342)") {
        auto p = oauth_props(oauth_listener);
        p["sasl.jaas.config"] = oauth_jaas(
            "unsecuredLoginStringClaim_sub=\"alice\" unsecuredLoginListClaim_scope=\",read,write\" "
            "unsecuredLoginExtension_traceId=\"trace-42\" unsecuredLoginExtension_team=\"data platform\"");
        CHECK(read_conformance(p) == 300);
    }
    SECTION("a JWT in a file, as Java's file: token endpoint") {
        auto path = write_token_file(unsecured_jwt("alice", std::chrono::minutes(10)));
        auto p = oauth_props(oauth_listener);
        p["sasl.oauthbearer.token.endpoint.url"] = "file://" + path.string();
        p["sasl.login.callback.handler.class"] =
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";
        p["sasl.jaas.config"] = oauth_jaas("extension_traceId=\"file-1\"");
        CHECK(read_conformance(p) == 300);
        std::filesystem::remove(path);
    }
    SECTION("Policies::token_provider") {
        test_token_provider::next_jwt = unsecured_jwt("bob", std::chrono::minutes(10));
        test_token_provider::calls = 0;
        CHECK(read_conformance<provider_policies>(oauth_props(oauth_listener)) == 300);
        CHECK(test_token_provider::calls == 1);  // one token for every connection: it is valid for an hour
    }
}

TEST_CASE("SASL OAUTHBEARER: extensions the broker checks (the rig's validator wants tenant=kafka-cpp)",
          "[security][oauth]") {
    auto oauth_listener = env().var("KAFKA_BOOTSTRAP_OAUTH");
    if (oauth_listener.empty()) return;
    auto p = oauth_props(oauth_listener);
    p["sasl.jaas.config"] =
        oauth_jaas("unsecuredLoginStringClaim_sub=\"alice\" unsecuredLoginExtension_tenant=\"kafka-cpp\"");
    CHECK(read_conformance(p) == 300);
    auto started = std::chrono::steady_clock::now();
    p["sasl.jaas.config"] =
        oauth_jaas("unsecuredLoginStringClaim_sub=\"alice\" unsecuredLoginExtension_tenant=\"someone-else\"");
    try {
        read_conformance(p);
        FAIL("the broker accepted a tenant its validator refuses");
    } catch (const kafka_error& e) {
        CHECK(e.code() == errc::sasl_authentication_failed);
        CHECK_THAT(e.what(), Catch::Contains("extensions are invalid") && Catch::Contains("tenant"));
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("SASL OAUTHBEARER: a token the broker rejects, or none at all, fails fast and says why",
          "[security][oauth]") {
    auto oauth_listener = env().var("KAFKA_BOOTSTRAP_OAUTH");
    if (oauth_listener.empty()) return;
    auto started = std::chrono::steady_clock::now();
    SECTION("an expired token: the broker's invalid_token reaches the user") {
        // The provider believes it valid; its exp claim says it expired a minute ago.
        test_token_provider::next_jwt = unsecured_jwt("alice", std::chrono::seconds(60), std::chrono::seconds(120));
        auto p = oauth_props(oauth_listener);
        p["default.api.timeout.ms"] = "15000";
        KafkaConsumer<std::string, std::string, provider_policies> consumer{consumer_config(p)};
        consumer.assign({{"conformance", 0}});
        try {
            consumer.seekToBeginning({{"conformance", 0}});
            consumer.poll(std::chrono::seconds(10));
            FAIL("consumed with an expired token");
        } catch (const kafka_error& e) {
            CHECK(e.code() == errc::sasl_authentication_failed);
            CHECK_THAT(e.what(), Catch::Contains("invalid_token"));
        }
    }
    SECTION("a token file that is missing: the provider's reason reaches the user") {
        auto p = oauth_props(oauth_listener);
        p["sasl.oauthbearer.token.endpoint.url"] = "file:///nonexistent/kafka-token.jwt";
        p["default.api.timeout.ms"] = "15000";
        try {
            read_conformance(p);
            FAIL("consumed without a token");
        } catch (const kafka_error& e) {
            CHECK(e.code() == errc::sasl_authentication_failed);
            CHECK_THAT(e.what(), Catch::Contains("cannot read the OAuth token file"));
        }
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("KIP-368: sessions of 5 s re-authenticate on the open connection, with no record lost and no reconnect",
          "[security][reauth]") {
    auto reauth = env().var("KAFKA_BOOTSTRAP_REAUTH");
    if (reauth.empty()) {
        WARN("no re-authentication listener configured (KAFKA_BOOTSTRAP_REAUTH): skipped");
        return;
    }
    // OAUTHBEARER for 30 s (the broker also caps the session at the token's expiry), PLAIN for 12 s.
    auto [mechanism, run] = GENERATE(std::pair{std::string("OAUTHBEARER"), std::chrono::seconds(30)},
                                     std::pair{std::string("PLAIN"), std::chrono::seconds(12)});
    INFO(mechanism);
    auto topic = test::shell::unique_name("reauth");
    test::create_topic(topic, 1);
    std::map<std::string, std::string> p{{"bootstrap.servers", reauth},
                                         {"security.protocol", "SASL_PLAINTEXT"},
                                         {"sasl.mechanism", mechanism},
                                         {"auto.offset.reset", "earliest"}};
    if (mechanism == "PLAIN")
        p["sasl.jaas.config"] = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" +
                                env().var("KAFKA_SASL_USER") + "\" password=\"" + env().var("KAFKA_SASL_PASSWORD") +
                                "\";";
    else
        p["sasl.jaas.config"] = oauth_jaas("unsecuredLoginStringClaim_sub=\"alice\"");
    KafkaConsumer<std::string, std::string> consumer{consumer_config(p)};
    consumer.assign({{topic, 0}});
    // kcat writes a batch of 10 every 2 s while the consumer reads.
    const int batches = static_cast<int>(run / std::chrono::seconds(2)) - 1;
    std::thread producer([&] {
        for (int b = 0; b < batches; ++b) {
            std::vector<std::string> lines;
            for (int i = 0; i < 10; ++i) lines.push_back("r" + std::to_string(b * 10 + i));
            test::produce_with_kcat(topic, lines, "");
            std::this_thread::sleep_for(std::chrono::seconds(2));
        }
    });
    std::vector<std::string> got;
    auto metric = [&](const char* name) { return find_metric(consumer.metrics().all, name)->value; };
    double created_early = -1;
    for (auto start = std::chrono::steady_clock::now(), end = start + run; std::chrono::steady_clock::now() < end;) {
        for (auto const& r : consumer.poll(std::chrono::milliseconds(200))) got.push_back(r.value());
        if (created_early < 0 && std::chrono::steady_clock::now() - start > std::chrono::seconds(2))
            created_early = metric("connection-creation-total");
    }
    producer.join();
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         got.size() < static_cast<std::size_t>(batches * 10) && std::chrono::steady_clock::now() < deadline;)
        for (auto const& r : consumer.poll(std::chrono::milliseconds(200))) got.push_back(r.value());
    REQUIRE(got.size() == static_cast<std::size_t>(batches * 10));
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == "r" + std::to_string(i));
    auto reauths = metric("successful-reauthentication-total");
    INFO("re-authentications: " << reauths);
    CHECK(reauths >= static_cast<double>(run / std::chrono::seconds(5)) - 1);
    CHECK(metric("connection-close-total") == 0);
    CHECK(metric("connection-creation-total") == created_early);
    consumer.close();
}

// ---- SASL/GSSAPI: the KERB listener and the rig's KDC (realm KAFKA.TEST, krb5.conf in the run dir) ----

namespace {

std::map<std::string, std::string> kerberos_props(const std::string& login_options) {
    return {{"bootstrap.servers", env().var("KAFKA_BOOTSTRAP_KERBEROS")},
            {"security.protocol", "SASL_PLAINTEXT"},
            {"sasl.mechanism", "GSSAPI"},
            {"sasl.kerberos.service.name", env().var("KAFKA_KRB5_SERVICE_NAME")},
            {"sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required " + login_options + ";"}};
}

std::string keytab_login(const std::string& keytab, const std::string& principal) {
    return "useKeyTab=true storeKey=true keyTab=\"" + keytab + "\" principal=\"" + principal + "\"";
}

// Expects the consumer to fail authenticating, quickly, with every fragment in its message.
void expect_gssapi_refusal(std::map<std::string, std::string> p, std::initializer_list<const char*> fragments) {
    auto started = std::chrono::steady_clock::now();
    try {
        read_conformance(std::move(p));
        FAIL("authenticated where Kerberos should have refused");
    } catch (const kafka_error& e) {
        INFO(e.what());
        CHECK(e.code() == errc::sasl_authentication_failed);
        for (auto f : fragments) CHECK_THAT(e.what(), Catch::Contains(f));
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

}  // namespace

TEST_CASE("SASL GSSAPI: a keytab login and a kinit's ticket cache, against a broker with a Kerberos KDC",
          "[security][gssapi]") {
    if (env().var("KAFKA_BOOTSTRAP_KERBEROS").empty()) {
        WARN("no GSSAPI listener configured (KAFKA_BOOTSTRAP_KERBEROS): skipped");
        return;
    }
    if (!client::gssapi_built) FAIL("this build has no GSSAPI (the GSS-API library was not found by CMake)");
    // The rig's realm: its krb5.conf names the KDC on 127.0.0.1 (the Kerberos library reads it per context).
    ::setenv("KRB5_CONFIG", env().var("KAFKA_KRB5_CONFIG").c_str(), 1);
    const auto keytab = env().var("KAFKA_KRB5_CLIENT_KEYTAB");
    const auto principal = env().var("KAFKA_KRB5_CLIENT_PRINCIPAL");
    SECTION("useKeyTab=true: tickets fetched from the keytab into a private cache") {
        CHECK(read_conformance(kerberos_props(keytab_login(keytab, principal))) == 300);
    }
    SECTION("useTicketCache=true: the tickets a kinit put into a cache") {
        auto cache = std::filesystem::temp_directory_path() / ("kafka-it-krb5cc-" + std::to_string(::getpid()));
        auto kinit = "kinit -k -t '" + keytab + "' -c 'FILE:" + cache.string() + "' '" + principal + "'";
        REQUIRE(std::system(kinit.c_str()) == 0);
        CHECK(read_conformance(kerberos_props("useTicketCache=true ticketCache=\"" + cache.string() + "\"")) == 300);
        std::filesystem::remove(cache);
    }
    SECTION("the service name from the login module (serviceName), as Java also reads it") {
        auto p = kerberos_props(keytab_login(keytab, principal) + " serviceName=\"" +
                                env().var("KAFKA_KRB5_SERVICE_NAME") + "\"");
        p.erase("sasl.kerberos.service.name");
        CHECK(read_conformance(p) == 300);
    }
}

TEST_CASE("SASL GSSAPI: an unknown principal, a wrong service name or a missing keytab fail fast and say why",
          "[security][gssapi]") {
    if (env().var("KAFKA_BOOTSTRAP_KERBEROS").empty()) return;
    ::setenv("KRB5_CONFIG", env().var("KAFKA_KRB5_CONFIG").c_str(), 1);
    SECTION("a keytab whose principal the KDC no longer knows") {
        expect_gssapi_refusal(kerberos_props(keytab_login(env().var("KAFKA_KRB5_UNKNOWN_KEYTAB"),
                                                          env().var("KAFKA_KRB5_UNKNOWN_PRINCIPAL"))),
                              {"GSSAPI", "not found in Kerberos database"});
    }
    SECTION("a service name the brokers' principals do not have") {
        auto p = kerberos_props(
            keytab_login(env().var("KAFKA_KRB5_CLIENT_KEYTAB"), env().var("KAFKA_KRB5_CLIENT_PRINCIPAL")));
        p["sasl.kerberos.service.name"] = "not-kafka";
        expect_gssapi_refusal(p, {"GSSAPI", "not-kafka@", "not found in Kerberos database"});
    }
    SECTION("a keytab that does not exist") {
        expect_gssapi_refusal(
            kerberos_props(keytab_login("/nonexistent/alice.keytab", env().var("KAFKA_KRB5_CLIENT_PRINCIPAL"))),
            {"GSSAPI: cannot read the keytab /nonexistent/alice.keytab"});
    }
}
