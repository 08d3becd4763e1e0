// Java's key and trust stores (ssl.truststore.*, ssl.keystore.*) as the tcp transport loads them:
// handshakes with an in-process TLS server on 127.0.0.1 that the client must verify (trust store) and
// that demands the client's certificate (key store), with the material given as PEM text, PEM files
// and PKCS#12 files; and the combinations Java refuses, refused here before any connection, naming
// the key.
#include <catch2/catch.hpp>

#ifdef KAFKA_HAVE_OPENSSL

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/exceptions.hpp>

#include "tls_test_support.hpp"

namespace {

using tls_test::client_identity;
using tls_test::identity;
using tls_test::require_refused;
using tls_test::server_policy;
using tls_store = kafka::client::tls_store;

/// A file in the temporary directory, removed with this object.
struct temp_file {
    std::filesystem::path path;
    temp_file(const std::string& name, const std::string& bytes)
        : path(std::filesystem::temp_directory_path() /
               ("kafka-tls-stores-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-" + name)) {
        std::ofstream(path, std::ios::binary) << bytes;
    }
    ~temp_file() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
    std::string str() const { return path.string(); }
};

std::unique_ptr<X509, decltype(&X509_free)> certificate(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free};
}
std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> private_key(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    return {PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
}

/// A PKCS#12 file: `id`'s key and certificate (a key store), or only its certificate (a trust store).
std::string pkcs12(const tls_test::test_identity& id, const std::string& password, bool with_key) {
    auto cert = certificate(id.cert_pem);
    auto key = private_key(id.key_pem);
    REQUIRE(cert);
    REQUIRE(key);
    struct stack_free {
        void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
    };
    std::unique_ptr<STACK_OF(X509), stack_free> cas(sk_X509_new_null());
    if (!with_key) sk_X509_push(cas.get(), cert.get());
    std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
        PKCS12_create(password.c_str(), "kafka", with_key ? key.get() : nullptr, with_key ? cert.get() : nullptr,
                      with_key ? nullptr : cas.get(), 0, 0, 0, 0, 0),
        &PKCS12_free);
    REQUIRE(p12);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(i2d_PKCS12_bio(out.get(), p12.get()) == 1);
    return tls_test::pem_of(out.get());
}

/// `id`'s key as PKCS#8 PEM encrypted with `password` (AES-256).
std::string encrypted_key(const tls_test::test_identity& id, const std::string& password) {
    auto key = private_key(id.key_pem);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                          const_cast<char*>(password.c_str())) == 1);
    return tls_test::pem_of(out.get());
}

kafka::transports::tls_options with_stores(tls_store trust, tls_store keys = {}, std::string key_password = {}) {
    kafka::transports::tls_options tls;
    tls.enabled = true;
    tls.truststore = std::move(trust);
    tls.keystore = std::move(keys);
    tls.key_password = std::move(key_password);
    return tls;
}

tls_store pem_text(std::string certificates, std::string key = {}) {
    tls_store s;
    s.type = "PEM";
    s.certificates = std::move(certificates);
    s.key = std::move(key);
    return s;
}
tls_store file_store(std::string type, std::string location, std::string password = {}) {
    tls_store s;
    s.type = std::move(type);
    s.location = std::move(location);
    s.password = std::move(password);
    return s;
}

bool handshakes(const server_policy& server, kafka::transports::tls_options tls) {
    auto r = tls_test::tls_handshake(server, std::move(tls));
    return !r.client && !r.server;
}

const server_policy mutual{TLS1_2_VERSION, TLS1_3_VERSION, nullptr, nullptr, true};

}  // namespace

TEST_CASE("ssl.truststore.*: the CA certificates as PEM text, a PEM file or a PKCS#12 file", "[client][tls]") {
    const server_policy server{};
    SECTION("ssl.truststore.certificates, PEM text") {
        CHECK(handshakes(server, with_stores(pem_text(identity().cert_pem))));
        // Another CA's certificate does not verify the server.
        CHECK_FALSE(handshakes(server, with_stores(pem_text(client_identity().cert_pem))));
    }
    SECTION("ssl.truststore.location, a PEM file") {
        CHECK(handshakes(server, with_stores(file_store("PEM", identity().ca_file.string()))));
    }
    SECTION("ssl.truststore.location, a PKCS#12 file, as PKCS12 and under Java's default type JKS") {
        temp_file p12("trust.p12", pkcs12(identity(), "changeit", false));
        CHECK(handshakes(server, with_stores(file_store("PKCS12", p12.str(), "changeit"))));
        CHECK(handshakes(server, with_stores(file_store("JKS", p12.str(), "changeit"))));
        CHECK(handshakes(server, with_stores(file_store("pkcs12", p12.str(), "changeit"))));
        require_refused(with_stores(file_store("PKCS12", p12.str(), "wrong")), "ssl.truststore.location",
                        {"could not be opened with the password given"});
    }
}

TEST_CASE("ssl.keystore.*: the client's certificate and key as PEM text, a PEM file or a PKCS#12 file",
          "[client][tls]") {
    const auto trust = pem_text(identity().cert_pem);
    SECTION("no key store: the server that demands a certificate refuses the handshake") {
        CHECK_FALSE(handshakes(mutual, with_stores(trust)));
    }
    SECTION("ssl.keystore.certificate.chain and ssl.keystore.key, PEM text") {
        CHECK(handshakes(mutual, with_stores(trust, pem_text(client_identity().cert_pem, client_identity().key_pem))));
    }
    SECTION("an encrypted PKCS#8 key with ssl.key.password") {
        auto key = encrypted_key(client_identity(), "key-secret");
        CHECK(handshakes(mutual, with_stores(trust, pem_text(client_identity().cert_pem, key), "key-secret")));
        require_refused(with_stores(trust, pem_text(client_identity().cert_pem, key), "wrong"), "ssl.keystore.key",
                        {"no private key that could be read with ssl.key.password"});
        require_refused(with_stores(trust, pem_text(client_identity().cert_pem, key)), "ssl.keystore.key",
                        {"an encrypted key needs ssl.key.password"});
    }
    SECTION("ssl.keystore.location, a PEM file holding the key and the chain") {
        temp_file pem("keystore.pem", client_identity().key_pem + client_identity().cert_pem);
        CHECK(handshakes(mutual, with_stores(trust, file_store("PEM", pem.str()))));
    }
    SECTION("ssl.keystore.location, a PKCS#12 file with ssl.keystore.password") {
        temp_file p12("keystore.p12", pkcs12(client_identity(), "store-secret", true));
        CHECK(handshakes(mutual, with_stores(trust, file_store("PKCS12", p12.str(), "store-secret"))));
        require_refused(with_stores(trust, file_store("PKCS12", p12.str())), "ssl.keystore.password",
                        {"ssl.keystore.password is not"});
    }
}

TEST_CASE("key and trust stores Java refuses, or this client cannot read, are refused naming the key",
          "[client][tls]") {
    const auto trust = pem_text(identity().cert_pem);
    temp_file jks("store.jks", std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));
    require_refused(with_stores(file_store("JKS", jks.str(), "changeit")), "ssl.truststore.location",
                    {"Java KeyStore (JKS/JCEKS)", "keytool -importkeystore", "ssl.truststore.type=PKCS12"});
    require_refused(with_stores(trust, file_store("JKS", jks.str(), "changeit")), "ssl.keystore.location",
                    {"ssl.keystore.type=PKCS12"});
    temp_file garbage("store.bin", "not a store");
    require_refused(with_stores(file_store("PKCS12", garbage.str(), "x")), "ssl.truststore.location",
                    {"is not a PKCS#12 file"});
    require_refused(with_stores(file_store("PKCS12", "/nonexistent/kafka-store.p12", "x")), "ssl.truststore.location",
                    {"cannot open '/nonexistent/kafka-store.p12'"});

    auto pem_with_password = file_store("PEM", identity().ca_file.string(), "changeit");
    require_refused(with_stores(pem_with_password), "ssl.truststore.password", {"PEM has no store password"});
    auto both = pem_text(identity().cert_pem);
    both.location = identity().ca_file.string();
    require_refused(with_stores(both), "ssl.truststore.location", {"both give the trust store"});
    auto text_as_pkcs12 = pem_text(identity().cert_pem);
    text_as_pkcs12.type = "PKCS12";
    require_refused(with_stores(text_as_pkcs12), "ssl.truststore.certificates", {"needs ssl.truststore.type=PEM"});
    require_refused(with_stores(file_store("BKS", identity().ca_file.string())), "ssl.truststore.type",
                    {"'BKS' is not a store type"});
    require_refused(with_stores(pem_text("no certificate here")), "ssl.truststore.certificates",
                    {"holds no PEM certificate"});

    require_refused(with_stores(trust, pem_text(client_identity().cert_pem)), "ssl.keystore.key",
                    {"without ssl.keystore.key"});
    require_refused(with_stores(trust, pem_text({}, client_identity().key_pem)), "ssl.keystore.certificate.chain",
                    {"without ssl.keystore.certificate.chain"});
    // A key that is not the certificate's.
    require_refused(with_stores(trust, pem_text(client_identity().cert_pem, identity().key_pem)), "ssl.keystore.key",
                    {"does not belong to its first certificate"});

    // The same material twice (librdkafka's PEM file keys beside Java's stores) is ambiguous.
    auto twice = with_stores(trust);
    twice.ca_file = identity().ca_file.string();
    require_refused(twice, "ssl.truststore.certificates", {"ssl.ca.location"});
}

TEST_CASE("the consumer reads its key and trust stores from Java's keys when it is constructed", "[client][tls]") {
    kafka::consumer_config good{{"bootstrap.servers", "127.0.0.1:1"},
                                {"security.protocol", "SSL"},
                                {"ssl.truststore.type", "PEM"},
                                {"ssl.truststore.certificates", identity().cert_pem},
                                {"ssl.keystore.type", "PEM"},
                                {"ssl.keystore.certificate.chain", client_identity().cert_pem},
                                {"ssl.keystore.key", client_identity().key_pem}};
    CHECK_NOTHROW(tls_test::configure_as_a_consumer(good));
    temp_file jks("consumer.jks", std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));
    kafka::consumer_config jks_store{{"bootstrap.servers", "127.0.0.1:1"},
                                     {"security.protocol", "SSL"},
                                     {"ssl.truststore.location", jks.str()},
                                     {"ssl.truststore.password", "changeit"}};
    tls_test::require_consumer_refused(jks_store, "ssl.truststore.location", "keytool -importkeystore");
}

#endif  // KAFKA_HAVE_OPENSSL
