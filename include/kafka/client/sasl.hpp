// SASL mechanisms the consumer authenticates with: PLAIN (RFC 4616),
// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, 7677), OAUTHBEARER (RFC 7628, token from
// client/oauth.hpp) and GSSAPI (RFC 4752, client/gssapi.hpp), as Kafka runs them inside SaslAuthenticate requests. Pure
// message logic, no I/O: the connection feeds the broker's bytes in and sends what comes out.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <kafka/client/gssapi.hpp>
#include <kafka/client/oauth.hpp>
#include <kafka/config_enums.hpp>
#include <kafka/error.hpp>
#include <kafka/protocol/primitives.hpp>

#ifdef KAFKA_HAVE_OPENSSL
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#endif

namespace kafka::client {

struct sasl_credentials {
    sasl_credentials() = default;
    sasl_credentials(kafka::sasl_mechanism m, std::string user, std::string pass,
                     std::shared_ptr<oauth::login> login = nullptr, std::shared_ptr<const kerberos_login> krb = nullptr)
        : mechanism(m),
          username(std::move(user)),
          password(std::move(pass)),
          oauth(std::move(login)),
          kerberos(std::move(krb)) {}

    kafka::sasl_mechanism mechanism = kafka::sasl_mechanism::plain;
    std::string username;
    std::string password;
    std::shared_ptr<oauth::login> oauth;             // OAUTHBEARER: the token source, shared by all connections
    std::shared_ptr<const kerberos_login> kerberos;  // GSSAPI: the login, shared by all connections
};

constexpr std::string_view sasl_mechanism_name(kafka::sasl_mechanism m) noexcept {
    switch (m) {
        case kafka::sasl_mechanism::plain:
            return "PLAIN";
        case kafka::sasl_mechanism::scram_sha_256:
            return "SCRAM-SHA-256";
        case kafka::sasl_mechanism::scram_sha_512:
            return "SCRAM-SHA-512";
        case kafka::sasl_mechanism::oauthbearer:
            return "OAUTHBEARER";
        case kafka::sasl_mechanism::gssapi:
            return "GSSAPI";
    }
    return "UNKNOWN";
}

namespace sasl_detail {

inline std::string base64_encode(bytes_view in) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        auto n = (std::to_integer<unsigned>(in[i]) << 16) | (std::to_integer<unsigned>(in[i + 1]) << 8) |
                 std::to_integer<unsigned>(in[i + 2]);
        out += table[(n >> 18) & 63], out += table[(n >> 12) & 63], out += table[(n >> 6) & 63], out += table[n & 63];
    }
    if (i + 1 == in.size()) {
        auto n = std::to_integer<unsigned>(in[i]) << 16;
        out += table[(n >> 18) & 63], out += table[(n >> 12) & 63], out += "==";
    } else if (i + 2 == in.size()) {
        auto n = (std::to_integer<unsigned>(in[i]) << 16) | (std::to_integer<unsigned>(in[i + 1]) << 8);
        out += table[(n >> 18) & 63], out += table[(n >> 12) & 63], out += table[(n >> 6) & 63], out += '=';
    }
    return out;
}

inline std::optional<byte_buffer> base64_decode(std::string_view in) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (in.size() % 4 != 0) return std::nullopt;
    byte_buffer out;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = in[i + static_cast<std::size_t>(k)];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad) return std::nullopt;
            v[k] = val(c);
            if (v[k] < 0) return std::nullopt;
        }
        unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                     (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
        out.push_back(static_cast<std::byte>(n >> 16));
        if (pad < 2) out.push_back(static_cast<std::byte>((n >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<std::byte>(n & 0xff));
    }
    return out;
}

/// RFC 5802 saslname: ',' and '=' escaped.
inline std::string sasl_name(std::string_view user) {
    std::string out;
    for (char c : user) {
        if (c == '=')
            out += "=3D";
        else if (c == ',')
            out += "=2C";
        else
            out += c;
    }
    return out;
}

/// The value of attribute `key` ("r", "s", "i", "v", "e") in a SCRAM message.
inline std::optional<std::string> attribute(std::string_view msg, char key) {
    std::size_t start = 0;
    while (start <= msg.size()) {
        auto end = msg.find(',', start);
        if (end == std::string_view::npos) end = msg.size();
        auto part = msg.substr(start, end - start);
        if (part.size() >= 2 && part[0] == key && part[1] == '=') return std::string(part.substr(2));
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace sasl_detail

/// One authentication exchange. initial() gives the first client message; each server
/// message goes to step(), which gives the next client message (empty when none is needed)
/// or an error; complete() says when the exchange succeeded.
class sasl_session {
public:
    /// `host`: the broker's name as the connection dialled it (GSSAPI's service principal is
    /// service/host); `client_nonce`: SCRAM's, random when empty (tests fix it).
    explicit sasl_session(sasl_credentials c, std::string host = {}, std::string client_nonce = {})
        : creds_(std::move(c)), host_(std::move(host)), nonce_(std::move(client_nonce)) {}

    std::string_view mechanism() const noexcept { return sasl_mechanism_name(creds_.mechanism); }
    bool complete() const noexcept {
#ifdef KAFKA_HAVE_GSSAPI
        if (gssapi_) return gssapi_->complete();
#endif
        return complete_;
    }
    /// Why the exchange failed on this side, or what the broker said inside the exchange
    /// (OAUTHBEARER's JSON error); empty when there is nothing beyond the error code.
    const std::string& detail() const noexcept {
#ifdef KAFKA_HAVE_GSSAPI
        if (gssapi_) return gssapi_->detail();
#endif
        return detail_;
    }

    std::error_code initial(byte_buffer& out) {
        out.clear();
        if (creds_.mechanism == kafka::sasl_mechanism::oauthbearer) return oauth_initial(out);
        if (creds_.mechanism == kafka::sasl_mechanism::gssapi) return gssapi_initial(out);
        if (creds_.mechanism == kafka::sasl_mechanism::plain) {
            append(out, std::string(1, '\0') + creds_.username + std::string(1, '\0') + creds_.password);
            stage_ = 1;
            return {};
        }
#ifdef KAFKA_HAVE_OPENSSL
        if (nonce_.empty()) {
            std::array<unsigned char, 24> raw{};
            if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
                return make_error_code(client_errc::illegal_state);
            nonce_ = sasl_detail::base64_encode(bytes_view(reinterpret_cast<const std::byte*>(raw.data()), raw.size()));
        }
        client_first_bare_ = "n=" + sasl_detail::sasl_name(creds_.username) + ",r=" + nonce_;
        append(out, "n,," + client_first_bare_);
        stage_ = 1;
        return {};
#else
        return make_error_code(client_errc::codec_not_built);
#endif
    }

    std::error_code step(bytes_view server, byte_buffer& out) {
        out.clear();
        if (creds_.mechanism == kafka::sasl_mechanism::oauthbearer) return oauth_step(server, out);
#ifdef KAFKA_HAVE_GSSAPI
        if (gssapi_) return gssapi_->step(server, out);
#endif
        if (creds_.mechanism == kafka::sasl_mechanism::plain) {
            // PLAIN has one round; the broker's empty answer (or error code) ends it.
            complete_ = true;
            return {};
        }
#ifdef KAFKA_HAVE_OPENSSL
        auto msg = std::string(as_string_view(server));
        if (auto e = sasl_detail::attribute(msg, 'e')) return fail();
        if (stage_ == 1) return client_final(msg, out);
        if (stage_ == 2) {
            auto v = sasl_detail::attribute(msg, 'v');
            auto got = v ? sasl_detail::base64_decode(*v) : std::nullopt;
            if (!got || *got != server_signature_) return fail();  // the broker did not prove it knows the password
            complete_ = true;
            stage_ = 3;
            return {};
        }
        return fail();
#else
        (void)server;
        return make_error_code(client_errc::codec_not_built);
#endif
    }

private:
    static void append(byte_buffer& out, std::string_view s) {
        auto b = as_bytes_view(s);
        out.insert(out.end(), b.begin(), b.end());
    }
    static std::error_code fail() { return make_error_code(errc::sasl_authentication_failed); }

    // OAUTHBEARER: one message with the token. The broker answers an empty message on success; a
    // rejected token comes back as a JSON error the client acknowledges with a lone 0x01, after
    // which the broker fails the exchange (RFC 7628 section 3.2.3).
    std::error_code oauth_initial(byte_buffer& out) {
        if (!creds_.oauth) {
            detail_ = "no OAuth token source";
            return make_error_code(client_errc::illegal_state);
        }
        try {
            append(out, oauth::initial_response(creds_.oauth->current(), creds_.oauth->extensions()));
        } catch (const std::exception& e) {
            detail_ = std::string("the OAuth token provider failed: ") + e.what();
            return fail();
        }
        stage_ = 1;
        return {};
    }
    std::error_code oauth_step(bytes_view server, byte_buffer& out) {
        if (stage_ == 1 && server.empty()) {
            complete_ = true;
            return {};
        }
        if (stage_ == 1) {
            detail_ = "the broker rejected the token: " + std::string(as_string_view(server));
            append(out, "\x01");
            stage_ = 2;
            return {};
        }
        return fail();
    }

    std::error_code gssapi_initial([[maybe_unused]] byte_buffer& out) {
#ifdef KAFKA_HAVE_GSSAPI
        if (!creds_.kerberos) {
            detail_ = "no Kerberos login";
            return make_error_code(client_errc::illegal_state);
        }
        gssapi_.emplace(creds_.kerberos, host_);
        return gssapi_->initial(out);
#else
        detail_ = "GSSAPI is not built into this program (it needs the GSS-API library, Debian's libkrb5-dev)";
        return fail();
#endif
    }

#ifdef KAFKA_HAVE_OPENSSL
    const EVP_MD* digest() const {
        return creds_.mechanism == kafka::sasl_mechanism::scram_sha_512 ? EVP_sha512() : EVP_sha256();
    }
    byte_buffer hmac(bytes_view key, std::string_view data) const {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        HMAC(digest(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), out, &n);
        auto b = reinterpret_cast<const std::byte*>(out);
        return byte_buffer(b, b + n);
    }
    byte_buffer hash(bytes_view data) const {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_Digest(data.data(), data.size(), out, &n, digest(), nullptr);
        auto b = reinterpret_cast<const std::byte*>(out);
        return byte_buffer(b, b + n);
    }

    std::error_code client_final(const std::string& server_first, byte_buffer& out) {
        auto r = sasl_detail::attribute(server_first, 'r');
        auto s = sasl_detail::attribute(server_first, 's');
        auto i = sasl_detail::attribute(server_first, 'i');
        if (!r || !s || !i || r->rfind(nonce_, 0) != 0 || r->size() == nonce_.size()) return fail();
        auto salt = sasl_detail::base64_decode(*s);
        int iterations = 0;
        try {
            iterations = std::stoi(*i);
        } catch (...) {
            return fail();
        }
        // Kafka's minimum; fewer would let a fake broker weaken the stored proof.
        if (!salt || iterations < 4096 || iterations > 1000000) return fail();
        auto md = digest();
        byte_buffer salted(static_cast<std::size_t>(EVP_MD_size(md)));
        if (PKCS5_PBKDF2_HMAC(creds_.password.data(), static_cast<int>(creds_.password.size()),
                              reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                              iterations, md, static_cast<int>(salted.size()),
                              reinterpret_cast<unsigned char*>(salted.data())) != 1)
            return fail();
        auto client_key = hmac(salted, "Client Key");
        auto stored_key = hash(client_key);
        auto without_proof = "c=biws,r=" + *r;
        auto auth_message = client_first_bare_ + "," + server_first + "," + without_proof;
        auto signature = hmac(stored_key, auth_message);
        byte_buffer proof(client_key.size());
        for (std::size_t k = 0; k < proof.size(); ++k) proof[k] = client_key[k] ^ signature[k];
        server_signature_ = hmac(hmac(salted, "Server Key"), auth_message);
        append(out, without_proof + ",p=" + sasl_detail::base64_encode(proof));
        stage_ = 2;
        return {};
    }
#endif

    sasl_credentials creds_;
    std::string host_;
    std::string nonce_;
    std::string client_first_bare_;
    std::string detail_;
    byte_buffer server_signature_;
    int stage_ = 0;
    bool complete_ = false;
#ifdef KAFKA_HAVE_GSSAPI
    std::optional<gssapi_exchange> gssapi_;
#endif
};

}  // namespace kafka::client
