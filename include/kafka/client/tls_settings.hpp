// ssl.enabled.protocols and ssl.cipher.suites, applied to an OpenSSL context as Java's names mean them.
//
// Java names TLS versions "TLSv1.2" / "TLSv1.3" and cipher suites by their IANA (JSSE) names; OpenSSL
// has its own names for TLS 1.2 suites and two separate lists (SSL_CTX_set_cipher_list for TLS 1.2 and
// below, SSL_CTX_set_ciphersuites for TLS 1.3). apply_tls_settings() translates: each suite is looked
// up among the suites OpenSSL knows, TLS 1.3 ones go to the ciphersuites list, the others (by their
// OpenSSL names) to the cipher list, and the enabled versions become the context's minimum and maximum
// version. Everything is decided when the settings are applied (at consumer construction): a name
// OpenSSL does not know, or settings that leave no suite to negotiate, throw config_error naming the
// key, never a failed handshake later.
#pragma once

#ifdef KAFKA_HAVE_OPENSSL

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <kafka/exceptions.hpp>

namespace kafka::client {

/// The TLS versions to negotiate, as OpenSSL's version numbers (TLS1_2_VERSION, TLS1_3_VERSION).
struct tls_version_range {
    int min = 0;
    int max = 0;
};

/// Suites of ssl.cipher.suites by OpenSSL's names, split by the list OpenSSL keeps them in.
struct tls_suites {
    std::vector<std::string> tls13;  // for SSL_CTX_set_ciphersuites
    std::vector<std::string> tls12;  // for SSL_CTX_set_cipher_list (usable with TLS 1.2)
};

namespace detail {

inline std::string joined(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (auto const& i : items) {
        if (!out.empty()) out += separator;
        out += i;
    }
    return out;
}

inline const SSL_CIPHER* find_cipher(STACK_OF(SSL_CIPHER) * known, std::string_view name) {
    for (int i = 0; i < sk_SSL_CIPHER_num(known); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(known, i);
        const char* standard = SSL_CIPHER_standard_name(c);  // IANA name, as Java spells it
        const char* openssl = SSL_CIPHER_get_name(c);
        if ((standard && name == standard) || (openssl && name == openssl)) return c;
    }
    return nullptr;
}

}  // namespace detail

/// ssl.enabled.protocols as a version range. Only TLSv1.2 and TLSv1.3 are enabled by this client
/// (consumer_config refuses older ones too), so any non-empty list is a range without gaps.
inline tls_version_range tls_versions(const std::vector<std::string>& protocols) {
    tls_version_range r{0, 0};
    for (auto const& p : protocols) {
        int v = p == "TLSv1.2" ? TLS1_2_VERSION : p == "TLSv1.3" ? TLS1_3_VERSION : 0;
        if (v == 0)
            throw config_error("ssl.enabled.protocols", "ssl.enabled.protocols: '" + p +
                                                            "' is not a TLS version this client enables (use "
                                                            "TLSv1.2, TLSv1.3)");
        r.min = r.min == 0 ? v : std::min(r.min, v);
        r.max = std::max(r.max, v);
    }
    if (r.min == 0)
        throw config_error("ssl.enabled.protocols",
                           "ssl.enabled.protocols is empty, so no TLS version could be negotiated (use TLSv1.2, "
                           "TLSv1.3 or both)");
    return r;
}

/// Looks each name of ssl.cipher.suites up among the suites this OpenSSL knows: by its IANA name
/// (Java's; Java's SSL_ aliases of old suites too) or by OpenSSL's own name of one suite (what
/// librdkafka users write). TLS_EMPTY_RENEGOTIATION_INFO_SCSV, which Java lists among suites, is not a
/// suite but the secure renegotiation signal, which OpenSSL always sends: it is accepted and adds none.
/// Throws config_error naming the first unknown name.
inline tls_suites resolve_cipher_suites(const std::vector<std::string>& names) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> probe(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
    if (!probe) throw kafka_error(make_error_code(client_errc::invalid_config), "OpenSSL cannot make a TLS context");
    // Every suite OpenSSL has, whatever the security level. TLS 1.3 suites are only listed when
    // named, so the TLS_ names asked for are named (OpenSSL skips those it does not know).
    std::vector<std::string> tls13_candidates;
    for (auto const& name : names)
        if (name.rfind("TLS_", 0) == 0 && name.size() < 64) tls13_candidates.push_back(name);
    (void)SSL_CTX_set_cipher_list(probe.get(), "ALL:COMPLEMENTOFALL");
    (void)SSL_CTX_set_ciphersuites(probe.get(), detail::joined(tls13_candidates, ":").c_str());
    ERR_clear_error();
    STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(probe.get());

    tls_suites out;
    for (auto const& name : names) {
        if (name.empty() || name == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV") continue;
        const SSL_CIPHER* c = detail::find_cipher(known, name);
        if (!c && name.rfind("SSL_", 0) == 0) c = detail::find_cipher(known, "TLS_" + name.substr(4));
        if (!c)
            throw config_error("ssl.cipher.suites",
                               "ssl.cipher.suites: '" + name + "' is not a cipher suite known to " +
                                   OpenSSL_version(OPENSSL_VERSION) +
                                   " (give IANA names as Java does, e.g. TLS_AES_128_GCM_SHA256 or "
                                   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, or OpenSSL's name of one suite, e.g. "
                                   "ECDHE-RSA-AES256-GCM-SHA384)");
        auto& list = std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3" ? out.tls13 : out.tls12;
        std::string openssl_name = SSL_CIPHER_get_name(c);
        if (std::find(list.begin(), list.end(), openssl_name) == list.end()) list.push_back(std::move(openssl_name));
    }
    return out;
}

/// Applies ssl.enabled.protocols and ssl.cipher.suites (empty: OpenSSL's default suites) to `ctx`.
/// As in Java, a version none of the listed suites can be used with is not offered (TLS 1.3 suites
/// only work with TLSv1.3, the others only with TLSv1.2 here). Throws config_error when nothing is left
/// to negotiate, naming the key at fault.
inline void apply_tls_settings(SSL_CTX* ctx, const std::vector<std::string>& protocols,
                               const std::vector<std::string>& cipher_suites) {
    auto range = tls_versions(protocols);
    const bool suites_listed =
        std::any_of(cipher_suites.begin(), cipher_suites.end(), [](auto const& s) { return !s.empty(); });
    auto no_suite = [&] {
        return config_error("ssl.cipher.suites",
                            "ssl.cipher.suites (" + detail::joined(cipher_suites, ",") +
                                ") leaves no cipher suite usable with ssl.enabled.protocols (" +
                                detail::joined(protocols, ",") +
                                "): TLS 1.3 suites (TLS_AES_*, TLS_CHACHA20_*) need TLSv1.3, the others TLSv1.2");
    };
    if (suites_listed) {
        auto suites = resolve_cipher_suites(cipher_suites);
        if (suites.tls13.empty()) range.max = std::min(range.max, TLS1_2_VERSION);
        if (suites.tls12.empty()) range.min = std::max(range.min, TLS1_3_VERSION);
        if (range.min > range.max) throw no_suite();
        bool ok = SSL_CTX_set_ciphersuites(ctx, detail::joined(suites.tls13, ":").c_str()) == 1;
        if (ok && !suites.tls12.empty())
            ok = SSL_CTX_set_cipher_list(ctx, detail::joined(suites.tls12, ":").c_str()) == 1;
        ERR_clear_error();
        if (!ok) throw no_suite();
    }
    if (SSL_CTX_set_min_proto_version(ctx, range.min) != 1 || SSL_CTX_set_max_proto_version(ctx, range.max) != 1) {
        ERR_clear_error();
        throw config_error("ssl.enabled.protocols", "ssl.enabled.protocols (" + detail::joined(protocols, ",") +
                                                        ") names a TLS version this OpenSSL cannot enable");
    }
    // What a client made from ctx would offer: the versions and suites above, less what OpenSSL's
    // security level (system configuration) forbids.
    std::unique_ptr<SSL, decltype(&SSL_free)> probe(SSL_new(ctx), &SSL_free);
    STACK_OF(SSL_CIPHER)* usable = probe ? SSL_get1_supported_ciphers(probe.get()) : nullptr;
    const int count = usable ? sk_SSL_CIPHER_num(usable) : 0;
    sk_SSL_CIPHER_free(usable);
    ERR_clear_error();
    if (count == 0) {
        if (suites_listed) throw no_suite();
        throw config_error("ssl.enabled.protocols", "ssl.enabled.protocols (" + detail::joined(protocols, ",") +
                                                        ") leaves no cipher suite this OpenSSL may use");
    }
}

}  // namespace kafka::client

#endif  // KAFKA_HAVE_OPENSSL
