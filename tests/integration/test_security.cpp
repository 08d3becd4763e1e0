// TLS and SASL against the real broker's SSL, SASL_PLAINTEXT and SASL_SSL listeners.
#include <kafka/consumer.hpp>

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
