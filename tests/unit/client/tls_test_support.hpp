// What the TLS unit tests share: throwaway identities (a key and a self-signed certificate for IP
// 127.0.0.1, as PEM and as a CA file) and one handshake through the tcp transport, as connection.hpp
// makes it, with an in-process TLS server on 127.0.0.1 whose versions, suites and client-certificate
// demand the test chooses.
#pragma once

#ifdef KAFKA_HAVE_OPENSSL

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
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
#include <kafka/detail/client_setup.hpp>
#include <kafka/exceptions.hpp>

#include <catch2/catch.hpp>

namespace tls_test {

using namespace std::chrono_literals;

inline std::string pem_of(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

/// A throwaway RSA key and a self-signed certificate for IP 127.0.0.1, as PEM; the certificate is
/// also written to a file, the client's ssl.ca.location. The server's identity, and a client's
/// for mutual TLS.
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

inline const test_identity& identity() {
    static const test_identity id;
    return id;
}
/// Another identity: a client's certificate and key, which the server of require_client trusts.
inline const test_identity& client_identity() {
    static const test_identity id;
    return id;
}

/// The server's TLS policy: one version range, and optionally the only suites it allows.
struct server_policy {
    int min_version = TLS1_2_VERSION;
    int max_version = TLS1_3_VERSION;
    const char* tls12_suites = nullptr;  // OpenSSL cipher list
    const char* tls13_suites = nullptr;  // OpenSSL ciphersuites
    bool require_client = false;         // mutual TLS: a certificate of client_identity() or no handshake
};

struct handshake_result {
    std::error_code client, server;
    int version = 0;     // negotiated, as the client sees it
    std::string cipher;  // negotiated suite, IANA name
};

/// One connection through the transport, as connection.hpp makes it (make_stream, async_connect),
/// to a server on 127.0.0.1 that runs the TLS handshake and nothing else.
inline handshake_result tls_handshake(const server_policy& server, kafka::transports::tls_options tls) {
    asio::ssl::context srv(asio::ssl::context::tls_server);
    SSL_CTX* sctx = srv.native_handle();
    REQUIRE(SSL_CTX_set_min_proto_version(sctx, server.min_version) == 1);
    REQUIRE(SSL_CTX_set_max_proto_version(sctx, server.max_version) == 1);
    if (server.tls12_suites) REQUIRE(SSL_CTX_set_cipher_list(sctx, server.tls12_suites) == 1);
    if (server.tls13_suites) REQUIRE(SSL_CTX_set_ciphersuites(sctx, server.tls13_suites) == 1);
    srv.use_certificate_chain(asio::buffer(identity().cert_pem));
    srv.use_private_key(asio::buffer(identity().key_pem), asio::ssl::context::pem);
    if (server.require_client) {
        srv.add_certificate_authority(asio::buffer(client_identity().cert_pem));
        srv.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }

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

    kafka::transports::tcp transport(std::move(tls));
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

/// The tcp transport refuses `tls` when it is constructed, with config_error naming `key` and a
/// message holding every fragment.
inline void require_refused(const kafka::transports::tls_options& tls, const std::string& key,
                            std::initializer_list<std::string> fragments) {
    try {
        kafka::transports::tcp transport(tls);
        FAIL("accepted");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == key);
        for (auto const& f : fragments) CHECK_THAT(e.what(), Catch::Contains(f));
    }
}

/// What every consumer's constructor does with `cfg`'s TLS settings (detail::configure_transport on
/// its transports::tcp) throws config_error naming `key`, its message holding `fragment`.
inline void require_consumer_refused(const kafka::consumer_config& cfg, const std::string& key,
                                     const std::string& fragment) {
    try {
        kafka::transports::tcp transport;
        kafka::detail::configure_transport(transport, cfg);
        FAIL("configured");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == key);
        CHECK_THAT(e.what(), Catch::Contains(fragment));
    }
}

/// Configures a transport as every consumer's constructor does; throws what that throws.
inline void configure_as_a_consumer(const kafka::consumer_config& cfg) {
    kafka::transports::tcp transport;
    kafka::detail::configure_transport(transport, cfg);
}

}  // namespace tls_test

#endif  // KAFKA_HAVE_OPENSSL
