// ssl.enabled.protocols and ssl.cipher.suites as the tcp transport applies them: handshakes with an
// in-process TLS server on 127.0.0.1 (its certificate made here, self-signed, for IP 127.0.0.1) that
// allows one version or one suite, and the settings refused before any connection.
#include <catch2/catch.hpp>

#ifdef KAFKA_HAVE_OPENSSL

#include <string>
#include <utility>
#include <vector>

#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/exceptions.hpp>

#include "tls_test_support.hpp"

namespace {

using tls_test::handshake_result;
using tls_test::identity;
using tls_test::server_policy;

handshake_result handshake(const server_policy& server, std::vector<std::string> protocols,
                           std::vector<std::string> suites = {}) {
    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.ca_file = identity().ca_file.string();
    tls.enabled_protocols = std::move(protocols);
    tls.cipher_suites = std::move(suites);
    return tls_test::tls_handshake(server, std::move(tls));
}

const server_policy tls12_only{TLS1_2_VERSION, TLS1_2_VERSION};
const server_policy tls13_only{TLS1_3_VERSION, TLS1_3_VERSION};

void require_refused(std::vector<std::string> protocols, std::vector<std::string> suites, const std::string& key,
                     std::initializer_list<std::string> fragments) {
    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.enabled_protocols = std::move(protocols);
    tls.cipher_suites = std::move(suites);
    tls_test::require_refused(tls, key, fragments);
}

}  // namespace

TEST_CASE("ssl.enabled.protocols is the exact range of TLS versions offered", "[client][tls]") {
    SECTION("TLSv1.3 only against a TLS 1.2-only server: no handshake") {
        auto r = handshake(tls12_only, {"TLSv1.3"});
        CHECK(r.client);
        CHECK(r.server);
    }
    SECTION("TLSv1.2,TLSv1.3 against a TLS 1.2-only server: TLS 1.2") {
        auto r = handshake(tls12_only, {"TLSv1.2", "TLSv1.3"});
        REQUIRE_FALSE(r.client);
        CHECK(r.version == TLS1_2_VERSION);
    }
    SECTION("TLSv1.2 only against a TLS 1.3-only server: no handshake") {
        auto r = handshake(tls13_only, {"TLSv1.2"});
        CHECK(r.client);
        CHECK(r.server);
    }
    SECTION("TLSv1.2 only against a server offering both: TLS 1.2") {
        auto r = handshake(server_policy{}, {"TLSv1.2"});
        REQUIRE_FALSE(r.client);
        CHECK(r.version == TLS1_2_VERSION);
    }
    SECTION("the default, both, against a server offering both: TLS 1.3") {
        auto r = handshake(server_policy{}, kafka::transports::tls_options{}.enabled_protocols);
        REQUIRE_FALSE(r.client);
        CHECK(r.version == TLS1_3_VERSION);
    }
}

TEST_CASE("ssl.cipher.suites is the set of suites offered, by Java's or OpenSSL's names", "[client][tls]") {
    // The server allows exactly one TLS 1.2 suite.
    const server_policy one_suite{TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"};
    SECTION("another suite: no handshake") {
        auto r = handshake(one_suite, {"TLSv1.2"}, {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"});
        CHECK(r.client);
        CHECK(r.server);
    }
    SECTION("the same suite by its IANA name") {
        auto r = handshake(one_suite, {"TLSv1.2"}, {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
        REQUIRE_FALSE(r.client);
        CHECK(r.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }
    SECTION("the same suite by OpenSSL's name, after another one the server refuses") {
        auto r = handshake(one_suite, {"TLSv1.2"}, {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"});
        REQUIRE_FALSE(r.client);
        CHECK(r.cipher == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }
    SECTION("TLS 1.3 suites: the server's one or none") {
        const server_policy one_tls13{TLS1_3_VERSION, TLS1_3_VERSION, nullptr, "TLS_AES_256_GCM_SHA384"};
        auto other = handshake(one_tls13, {"TLSv1.3"}, {"TLS_AES_128_GCM_SHA256"});
        CHECK(other.client);
        auto same = handshake(one_tls13, {"TLSv1.3"}, {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"});
        REQUIRE_FALSE(same.client);
        CHECK(same.version == TLS1_3_VERSION);
        CHECK(same.cipher == "TLS_AES_256_GCM_SHA384");
    }
    SECTION("only TLS 1.2 suites with both versions enabled: TLS 1.2 is negotiated, as in Java") {
        auto r = handshake(server_policy{}, {"TLSv1.2", "TLSv1.3"}, {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"});
        REQUIRE_FALSE(r.client);
        CHECK(r.version == TLS1_2_VERSION);
        CHECK(r.cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    }
}

TEST_CASE("TLS settings that cannot be applied are refused before any connection, naming the key", "[client][tls]") {
    require_refused({"TLSv1.2", "TLSv1.3"}, {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_NOT_A_SUITE"},
                    "ssl.cipher.suites", {"'TLS_NOT_A_SUITE'", "not a cipher suite known to OpenSSL"});
    require_refused({"TLSv1.2"}, {"HIGH"}, "ssl.cipher.suites", {"'HIGH'"});
    require_refused({"TLSv1.2"}, {"TLS_AES_128_GCM_SHA256"}, "ssl.cipher.suites",
                    {"leaves no cipher suite usable with ssl.enabled.protocols (TLSv1.2)"});
    require_refused({"TLSv1.3"}, {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, "ssl.cipher.suites",
                    {"leaves no cipher suite usable with ssl.enabled.protocols (TLSv1.3)"});
    require_refused({"TLSv1.2", "TLSv1.3"}, {"TLS_EMPTY_RENEGOTIATION_INFO_SCSV"}, "ssl.cipher.suites",
                    {"leaves no cipher suite"});
    require_refused({"TLSv1.1"}, {}, "ssl.enabled.protocols", {"'TLSv1.1'"});
    require_refused({}, {}, "ssl.enabled.protocols", {"is empty"});

    // Accepted: Java's SSL_ alias, the renegotiation signal beside a suite, a mix of versions.
    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.cipher_suites = {"TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "SSL_RSA_WITH_NULL_SHA", "TLS_AES_128_GCM_SHA256",
                         "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"};
    CHECK_NOTHROW(kafka::transports::tcp(tls));
}

TEST_CASE("the consumer refuses an unknown cipher suite when it is constructed, naming it", "[client][tls]") {
    kafka::consumer_config cfg{{"bootstrap.servers", "127.0.0.1:1"},
                               {"security.protocol", "SSL"},
                               {"ssl.cipher.suites", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_512_GCM_SHA384"}};
    tls_test::require_consumer_refused(cfg, "ssl.cipher.suites", "'TLS_ECDHE_RSA_WITH_AES_512_GCM_SHA384'");
    // The same settings with the suite spelt right, and ssl.enabled.protocols narrowed, construct.
    kafka::consumer_config good{{"bootstrap.servers", "127.0.0.1:1"},
                                {"security.protocol", "SSL"},
                                {"ssl.enabled.protocols", "TLSv1.2"},
                                {"ssl.cipher.suites", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}};
    CHECK_NOTHROW(tls_test::configure_as_a_consumer(good));
}

#endif  // KAFKA_HAVE_OPENSSL
