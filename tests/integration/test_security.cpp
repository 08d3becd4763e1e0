// TLS and SASL against the real broker's SSL, SASL_PLAINTEXT and SASL_SSL listeners.
#include <kafka/consumer.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "broker_env.hpp"

using namespace kafka;

namespace {

// Reads partition 0 of `conformance` (300 records from kcat) over the given settings.
std::size_t read_conformance(std::map<std::string, std::string> props) {
    props["request.timeout.ms"] = "10000";
    props["default.api.timeout.ms"] = "15000";
    KafkaConsumer<std::string, std::string> consumer{consumer_config(props)};
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
