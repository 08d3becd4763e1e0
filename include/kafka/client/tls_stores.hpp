// Java's key and trust stores (ssl.keystore.*, ssl.truststore.*) loaded into an OpenSSL context.
//
// Java users give TLS material as stores: a type (JKS, PKCS12 or PEM), a file (ssl.*.location) with
// its password, or, for PEM, the text itself in the configuration (ssl.truststore.certificates,
// ssl.keystore.certificate.chain with ssl.keystore.key). This client reads PEM and PKCS#12 as Java
// does; under the type JKS (Java's default) a PKCS#12 file is read as well, as Java 9 and later read
// it. A real Java KeyStore file (JKS, JCEKS) cannot be read here: it is refused with the keytool
// command that converts it. Every check is made when the consumer is constructed, and a failure
// throws config_error naming the key at fault, never a failed handshake later.
#pragma once

#include <string>

#ifdef KAFKA_HAVE_OPENSSL

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <kafka/exceptions.hpp>

#endif

namespace kafka::client {

/// One of Java's stores as configured: ssl.truststore.* or ssl.keystore.*.
struct tls_store {
    std::string type = "JKS";  // ssl.*.type: PEM, PKCS12, or JKS (Java's default)
    std::string location;      // ssl.*.location: a file
    std::string password;      // ssl.*.password: of a PKCS#12 file
    std::string certificates;  // PEM text: ssl.truststore.certificates / ssl.keystore.certificate.chain
    std::string key;           // PEM text: ssl.keystore.key

    bool given() const noexcept { return !location.empty() || !certificates.empty() || !key.empty(); }
};

#ifdef KAFKA_HAVE_OPENSSL

namespace detail {

struct x509_free {
    void operator()(X509* x) const noexcept { X509_free(x); }
};
struct pkey_free {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

/// Certificates and a key, as a store holds them; the first certificate is the key's.
struct store_content {
    std::vector<x509_ptr> certificates;
    pkey_ptr key;
};

/// OpenSSL's reason for the last failure, for a message; clears the error queue.
inline std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "no reason given by OpenSSL";
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
}

struct bio_free {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
inline std::unique_ptr<BIO, bio_free> memory_bio(const std::string& bytes) {
    return std::unique_ptr<BIO, bio_free>(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

inline std::string read_store_file(const std::string& key, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open()) throw config_error(key, key + ": cannot open '" + path + "'");
    if (in.bad()) throw config_error(key, key + ": cannot read '" + path + "'");
    return bytes;
}

/// Every certificate of PEM text, in order.
inline std::vector<x509_ptr> pem_certificates(const std::string& key, const std::string& text) {
    std::vector<x509_ptr> out;
    auto bio = memory_bio(text);
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
    ERR_clear_error();  // the end of the text reads as an error
    if (out.empty())
        throw config_error(key, key + " holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' block that parses)");
    return out;
}

/// The private key of PEM text (PKCS#8 or traditional, encrypted with `password` or not). Never
/// prompts on a terminal: an encrypted key without a password is an error.
inline pkey_ptr pem_private_key(const std::string& key, const std::string& text, const std::string& password) {
    auto bio = memory_bio(text);
    auto give_password = [](char* buf, int size, int, void* user) -> int {
        auto const* pw = static_cast<const std::string*>(user);
        if (pw->empty()) return -1;
        auto n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(size), pw->size()));
        std::memcpy(buf, pw->data(), static_cast<std::size_t>(n));
        return n;
    };
    pkey_ptr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, give_password,
                                       const_cast<void*>(static_cast<const void*>(&password))));
    if (!k)
        throw config_error(key, key + " holds no private key that could be read" +
                                    (password.empty() ? std::string(" (an encrypted key needs ssl.key.password)")
                                                      : std::string(" with ssl.key.password")) +
                                    ": " + openssl_reason());
    ERR_clear_error();
    return k;
}

/// The content of a PKCS#12 file; refuses Java KeyStore files with the command that converts them.
inline store_content pkcs12_content(const std::string& key, const std::string& path, const std::string& bytes,
                                    const std::string& password, const std::string& type_key) {
    const auto magic = [&](unsigned char a, unsigned char b) {
        return bytes.size() >= 4 && static_cast<unsigned char>(bytes[0]) == a &&
               static_cast<unsigned char>(bytes[1]) == b && static_cast<unsigned char>(bytes[2]) == a &&
               static_cast<unsigned char>(bytes[3]) == b;
    };
    if (magic(0xfe, 0xed) || magic(0xce, 0xce))
        throw config_error(key, key + ": '" + path +
                                    "' is a Java KeyStore (JKS/JCEKS) file, which this client cannot read; convert it "
                                    "to PKCS#12 (keytool -importkeystore -srckeystore " +
                                    path + " -destkeystore " + path + ".p12 -deststoretype PKCS12) and set " +
                                    type_key + "=PKCS12");
    auto bio = memory_bio(bytes);
    std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12_bio(bio.get(), nullptr), &PKCS12_free);
    if (!p12) {
        ERR_clear_error();
        throw config_error(key, key + ": '" + path + "' is not a PKCS#12 file (" + type_key +
                                    " says what the file is: PKCS12 or PEM)");
    }
    EVP_PKEY* pkey = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* chain = nullptr;
    if (PKCS12_parse(p12.get(), password.c_str(), &pkey, &cert, &chain) != 1)
        throw config_error(
            key, key + ": '" + path + "' could not be opened with the password given (" + openssl_reason() + ")");
    store_content out;
    out.key.reset(pkey);
    if (cert) out.certificates.emplace_back(cert);
    while (chain && sk_X509_num(chain) > 0) out.certificates.emplace_back(sk_X509_shift(chain));
    sk_X509_free(chain);
    return out;
}

inline bool is_type(const std::string& type, const char* name) {
    return type.size() == std::strlen(name) && std::equal(type.begin(), type.end(), name, [](char a, char b) {
               return std::toupper(static_cast<unsigned char>(a)) == b;
           });
}

/// Reads a store as its type says: PEM (a file or the text itself), PKCS12, or JKS (a PKCS#12 file).
inline store_content read_store(const tls_store& s, const char* prefix, const std::string& key_password) {
    const std::string p = prefix;  // "ssl.truststore" or "ssl.keystore"
    const bool keystore = p == "ssl.keystore";
    const std::string text_key = keystore ? "ssl.keystore.certificate.chain" : "ssl.truststore.certificates";
    store_content out;
    if (is_type(s.type, "PEM")) {
        if (!s.password.empty())
            throw config_error(p + ".password", p + ".password cannot be used with " + p +
                                                    ".type=PEM: PEM has no store password" +
                                                    (keystore ? " (an encrypted key takes ssl.key.password)" : ""));
        if (!s.location.empty() && (!s.certificates.empty() || !s.key.empty()))
            throw config_error(p + ".location", p + ".location and the PEM text in " + text_key +
                                                    (keystore ? "/ssl.keystore.key" : "") + " both give the " +
                                                    (keystore ? "key store" : "trust store") + ": set one");
        if (keystore && s.location.empty() && s.key.empty())
            throw config_error("ssl.keystore.key", "ssl.keystore.certificate.chain is set without ssl.keystore.key");
        if (keystore && s.location.empty() && s.certificates.empty())
            throw config_error("ssl.keystore.certificate.chain",
                               "ssl.keystore.key is set without ssl.keystore.certificate.chain");
        std::string text = s.location.empty() ? s.certificates : read_store_file(p + ".location", s.location);
        const std::string where = s.location.empty() ? text_key : p + ".location ('" + s.location + "')";
        out.certificates = pem_certificates(where, text);
        if (keystore) {
            out.key = pem_private_key(s.location.empty() ? "ssl.keystore.key" : where,
                                      s.location.empty() ? s.key : text, key_password);
        }
        return out;
    }
    if (!is_type(s.type, "PKCS12") && !is_type(s.type, "JKS"))
        throw config_error(p + ".type", p + ".type: '" + s.type +
                                            "' is not a store type this client reads (PKCS12 or PEM; JKS files "
                                            "must be converted to PKCS12)");
    if (!s.certificates.empty() || !s.key.empty())
        throw config_error(s.key.empty() ? text_key : "ssl.keystore.key",
                           (s.key.empty() ? text_key : std::string("ssl.keystore.key")) +
                               " holds PEM text, which needs " + p + ".type=PEM (it is " + s.type + ")");
    if (keystore && s.password.empty())
        throw config_error(
            "ssl.keystore.password",
            "ssl.keystore.location is set but ssl.keystore.password is not (a PKCS#12 key store needs it)");
    auto bytes = read_store_file(p + ".location", s.location);
    out = pkcs12_content(p + ".location", s.location, bytes, s.password, p + ".type");
    if (keystore && (!out.key || out.certificates.empty()))
        throw config_error("ssl.keystore.location",
                           "ssl.keystore.location: '" + s.location + "' holds no private key with its certificate");
    if (!keystore && out.certificates.empty())
        throw config_error("ssl.truststore.location",
                           "ssl.truststore.location: '" + s.location + "' holds no certificate");
    return out;
}

/// A store's password with no store to open is a mistake Java refuses too.
inline bool nothing_to_load(const tls_store& s, const char* prefix) {
    if (s.given()) return false;
    if (!s.password.empty())
        throw config_error(std::string(prefix) + ".password", std::string(prefix) + ".password is set but " + prefix +
                                                                  ".location is not: there is no store to open");
    return true;
}

}  // namespace detail

/// Adds the certificates of ssl.truststore.* to the context's trust anchors (nothing when unset).
inline void load_truststore(SSL_CTX* ctx, const tls_store& s) {
    if (detail::nothing_to_load(s, "ssl.truststore")) return;
    auto content = detail::read_store(s, "ssl.truststore", {});
    X509_STORE* anchors = SSL_CTX_get_cert_store(ctx);
    for (auto const& c : content.certificates) {
        if (X509_STORE_add_cert(anchors, c.get()) != 1) {
            // The same certificate twice in a store is not an error.
            auto e = ERR_peek_last_error();
            if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
                throw config_error("ssl.truststore.location",
                                   "a certificate of the trust store cannot be used: " + detail::openssl_reason());
            ERR_clear_error();
        }
    }
}

/// Makes the certificate chain and private key of ssl.keystore.* the client's identity (mutual TLS);
/// the key is decrypted with ssl.key.password (PEM). Nothing when unset.
inline void load_keystore(SSL_CTX* ctx, const tls_store& s, const std::string& key_password) {
    if (detail::nothing_to_load(s, "ssl.keystore")) return;
    auto content = detail::read_store(s, "ssl.keystore", key_password);
    const char* key = s.location.empty() ? "ssl.keystore.key" : "ssl.keystore.location";
    bool ok = SSL_CTX_use_certificate(ctx, content.certificates.front().get()) == 1;
    for (std::size_t i = 1; ok && i < content.certificates.size(); ++i)
        ok = SSL_CTX_add1_chain_cert(ctx, content.certificates[i].get()) == 1;
    if (!ok)
        throw config_error(
            key, std::string("the key store's certificate chain cannot be used: ") + detail::openssl_reason());
    if (SSL_CTX_use_PrivateKey(ctx, content.key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
        throw config_error(key, std::string("the key store's private key does not belong to its first certificate: ") +
                                    detail::openssl_reason());
}

#endif  // KAFKA_HAVE_OPENSSL

}  // namespace kafka::client
