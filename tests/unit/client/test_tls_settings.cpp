// ssl.enabled.protocols and ssl.cipher.suites as the tcp transport applies them: handshakes with an
// in-process TLS server on 127.0.0.1 (its certificate made here, self-signed, for IP 127.0.0.1) that
// allows one version or one suite, and the settings refused before any connection.
#include <catch2/catch.hpp>

#ifdef KAFKA_HAVE_OPENSSL

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/consumer.hpp>
#include <kafka/exceptions.hpp>

namespace {

using namespace std::chrono_literals;

std::string pem_of(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

/// A throwaway RSA key and a self-signed certificate for IP 127.0.0.1, as PEM; the certificate is
/// also written to a file, the client's ssl.ca.location.
struct test_identity {
    std::string key_pem, cert_pem;
    std::filesystem::path ca_file;

    test_identity() {
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
        REQUIRE(key);
        std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
        REQUIRE(cert);
        X509_set_version(cert.get(), 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
        X509_set_pubkey(cert.get(), key.get());
        X509_NAME* name = X509_get_subject_name(cert.get());
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1,
                                   -1, 0);
        X509_set_issuer_name(cert.get(), name);
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
        for (auto [nid, value] :
             {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
            REQUIRE(ext);
            X509_add_ext(cert.get(), ext, -1);
            X509_EXTENSION_free(ext);
        }
        REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);

        std::unique_ptr<BIO, decltype(&BIO_free)> k(BIO_new(BIO_s_mem()), &BIO_free),
            c(BIO_new(BIO_s_mem()), &BIO_free);
        REQUIRE(PEM_write_bio_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
        REQUIRE(PEM_write_bio_X509(c.get(), cert.get()) == 1);
        key_pem = pem_of(k.get());
        cert_pem = pem_of(c.get());
        ca_file = std::filesystem::temp_directory_path() /
                  ("kafka-tls-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".pem");
        std::ofstream(ca_file) << cert_pem;
    }
    ~test_identity() {
        std::error_code ignored;
        std::filesystem::remove(ca_file, ignored);
    }
};

const test_identity& identity() {
    static const test_identity id;
    return id;
}

/// The server's TLS policy: one version range, and optionally the only suites it allows.
struct server_policy {
    int min_version = TLS1_2_VERSION;
    int max_version = TLS1_3_VERSION;
    const char* tls12_suites = nullptr;  // OpenSSL cipher list
    const char* tls13_suites = nullptr;  // OpenSSL ciphersuites
};

struct handshake_result {
    std::error_code client, server;
    int version = 0;     // negotiated, as the client sees it
    std::string cipher;  // negotiated suite, IANA name
};

/// One connection through the transport, as connection.hpp makes it (make_stream, async_connect),
/// to a server on 127.0.0.1 that runs the TLS handshake and nothing else.
handshake_result handshake(const server_policy& server, std::vector<std::string> protocols,
                           std::vector<std::string> suites = {}) {
    asio::ssl::context srv(asio::ssl::context::tls_server);
    SSL_CTX* sctx = srv.native_handle();
    REQUIRE(SSL_CTX_set_min_proto_version(sctx, server.min_version) == 1);
    REQUIRE(SSL_CTX_set_max_proto_version(sctx, server.max_version) == 1);
    if (server.tls12_suites) REQUIRE(SSL_CTX_set_cipher_list(sctx, server.tls12_suites) == 1);
    if (server.tls13_suites) REQUIRE(SSL_CTX_set_ciphersuites(sctx, server.tls13_suites) == 1);
    srv.use_certificate_chain(asio::buffer(identity().cert_pem));
    srv.use_private_key(asio::buffer(identity().key_pem), asio::ssl::context::pem);

    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    asio::ssl::stream<asio::ip::tcp::socket> server_stream(io, srv);
    handshake_result result;
    bool server_done = false, client_done = false;
    acceptor.async_accept(server_stream.next_layer(), [&](std::error_code ec) {
        if (ec) {
            result.server = ec;
            server_done = true;
            return;
        }
        server_stream.async_handshake(asio::ssl::stream_base::server, [&](std::error_code hec) {
            result.server = hec;
            server_done = true;
            if (hec) server_stream.next_layer().close();  // the client sees the end, not a wait
        });
    });

    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.ca_file = identity().ca_file.string();
    tls.enabled_protocols = std::move(protocols);
    tls.cipher_suites = std::move(suites);
    kafka::transports::tcp transport(tls);
    auto stream = transport.make_stream(io.get_executor());
    REQUIRE(stream->is_tls());
    transport.async_connect(*stream, "127.0.0.1", port, [&](std::error_code ec) {
        result.client = ec;
        client_done = true;
        if (ec) transport.close(*stream);
    });
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!(server_done && client_done) && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
    REQUIRE(server_done);
    REQUIRE(client_done);
    if (!result.client) {
        SSL* ssl = stream->tls()->native_handle();
        result.version = SSL_version(ssl);
        if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) result.cipher = SSL_CIPHER_standard_name(c);
    }
    return result;
}

const server_policy tls12_only{TLS1_2_VERSION, TLS1_2_VERSION};
const server_policy tls13_only{TLS1_3_VERSION, TLS1_3_VERSION};

void require_refused(std::vector<std::string> protocols, std::vector<std::string> suites, const std::string& key,
                     std::initializer_list<std::string> fragments) {
    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.enabled_protocols = std::move(protocols);
    tls.cipher_suites = std::move(suites);
    try {
        kafka::transports::tcp transport(tls);
        FAIL("accepted");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == key);
        for (auto const& f : fragments) CHECK_THAT(e.what(), Catch::Contains(f));
    }
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
    try {
        kafka::KafkaConsumer<std::string, std::string> consumer(cfg);
        FAIL("constructed");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == "ssl.cipher.suites");
        CHECK_THAT(e.what(), Catch::Contains("'TLS_ECDHE_RSA_WITH_AES_512_GCM_SHA384'"));
    }
    // The same settings with the suite spelt right, and ssl.enabled.protocols narrowed, construct.
    kafka::consumer_config good{{"bootstrap.servers", "127.0.0.1:1"},
                                {"security.protocol", "SSL"},
                                {"ssl.enabled.protocols", "TLSv1.2"},
                                {"ssl.cipher.suites", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}};
    CHECK_NOTHROW(kafka::KafkaConsumer<std::string, std::string>(good));
}

#endif  // KAFKA_HAVE_OPENSSL
