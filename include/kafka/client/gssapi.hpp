// SASL/GSSAPI (Kerberos V5, RFC 4752) through the system's GSS-API library (MIT Kerberos,
// Debian's libkrb5-dev), built in when KAFKA_HAVE_GSSAPI is defined (cmake/codecs.cmake finds it).
//
// The exchange, as a Kafka broker runs it inside SaslAuthenticate requests:
//   1. context: the client's gss_init_sec_context tokens and the broker's answers (with mutual
//      authentication the client's last token is empty);
//   2. security layer: the broker sends 4 wrapped bytes (the layers it offers, its largest
//      buffer); the client answers 4 wrapped bytes choosing "no security layer" (0x01), as every
//      Kafka client does: TLS, not GSSAPI, protects the bytes;
//   3. the broker's empty answer ends the exchange.
// The credentials are the login's: a keytab (Java's useKeyTab=true keyTab=... principal=...)
// from which the library fetches tickets into a private in-memory cache, renewing them itself, or a
// ticket cache someone else keeps fresh with kinit (useTicketCache=true, optionally ticketCache=).
// gss_init_sec_context may ask the KDC for a service ticket: that one call blocks the network
// thread for a KDC round trip, once per connection (Java and librdkafka do the same).
#pragma once

#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <kafka/error.hpp>
#include <kafka/protocol/primitives.hpp>

#ifdef KAFKA_HAVE_GSSAPI
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#endif

namespace kafka::client {

/// What Krb5LoginModule's options and sasl.kerberos.service.name say, once per consumer.
struct kerberos_login {
    std::string service_name;  // sasl.kerberos.service.name: the broker's principal is service/host
    std::string principal;     // empty: the cache's (or the keytab's first) principal
    std::string keytab;        // non-empty: tickets come from this keytab (useKeyTab=true)
    std::string ticket_cache;  // with no keytab: this cache (empty: the default, KRB5CCNAME)
    /// The in-memory ticket cache a keytab login fills, one per login so that two consumers with
    /// two principals never share tickets.
    std::string memory_cache = next_memory_cache();

    static std::string next_memory_cache() {
        static std::atomic<unsigned> counter{0};
        return "MEMORY:kafka-consumer-" + std::to_string(counter.fetch_add(1) + 1);
    }
};

/// Whether this build can authenticate with GSSAPI.
inline constexpr bool gssapi_built =
#ifdef KAFKA_HAVE_GSSAPI
    true;
#else
    false;
#endif

#ifdef KAFKA_HAVE_GSSAPI

/// One GSSAPI exchange with one broker (`host` as the connection names it).
class gssapi_exchange {
public:
    gssapi_exchange(std::shared_ptr<const kerberos_login> login, const std::string& host)
        : login_(std::move(login)), service_(login_->service_name + "@" + host) {}
    ~gssapi_exchange() {
        OM_uint32 minor = 0;
        if (context_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &context_, GSS_C_NO_BUFFER);
        if (credential_ != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &credential_);
        if (target_ != GSS_C_NO_NAME) gss_release_name(&minor, &target_);
    }
    gssapi_exchange(const gssapi_exchange&) = delete;
    gssapi_exchange& operator=(const gssapi_exchange&) = delete;

    bool complete() const noexcept { return stage_ == stage::done; }
    const std::string& detail() const noexcept { return detail_; }

    /// The first token: credentials acquired, the broker's name imported, the context started.
    std::error_code initial(byte_buffer& out) {
        gss_buffer_desc name_buffer{service_.size(), service_.data()};
        OM_uint32 minor = 0;
        OM_uint32 major = gss_import_name(&minor, &name_buffer, GSS_C_NT_HOSTBASED_SERVICE, &target_);
        if (GSS_ERROR(major)) return failed("the broker's name " + service_, major, minor);
        if (auto e = acquire_credential()) return e;
        return context_step(GSS_C_NO_BUFFER, out);
    }

    std::error_code step(bytes_view server, byte_buffer& out) {
        out.clear();
        gss_buffer_desc in{server.size(), const_cast<std::byte*>(server.data())};
        switch (stage_) {
            case stage::context:
                return context_step(&in, out);
            case stage::security_layer:
                return choose_security_layer(in, out);
            case stage::closing:
                // The broker's answer to the chosen layer is empty; anything else is not RFC 4752.
                if (!server.empty()) return protocol_error("the broker answered the security layer with data");
                stage_ = stage::done;
                return {};
            case stage::done:
                break;
        }
        return protocol_error("the broker sent a message after the exchange ended");
    }

private:
    enum class stage { context, security_layer, closing, done };

    std::error_code acquire_credential() {
        // Neither keytab nor cache named: the default ticket cache (a kinit of the user's).
        if (login_->keytab.empty() && login_->ticket_cache.empty() && login_->principal.empty()) return {};
        // The library would only say "no credentials cache found" for a keytab it cannot open.
        if (!login_->keytab.empty() && !std::ifstream(login_->keytab))
            return protocol_error("cannot read the keytab " + login_->keytab);
        OM_uint32 minor = 0;
        gss_name_t desired = GSS_C_NO_NAME;
        if (!login_->principal.empty()) {
            gss_buffer_desc b{login_->principal.size(), const_cast<char*>(login_->principal.data())};
            OM_uint32 major = gss_import_name(&minor, &b, GSS_KRB5_NT_PRINCIPAL_NAME, &desired);
            if (GSS_ERROR(major)) return failed("the principal " + login_->principal, major, minor);
        }
        gss_key_value_element_desc elements[2];
        OM_uint32 count = 0;
        if (!login_->keytab.empty()) {
            elements[count++] = {"client_keytab", login_->keytab.c_str()};
            elements[count++] = {"ccache", login_->memory_cache.c_str()};
        } else if (!login_->ticket_cache.empty()) {
            elements[count++] = {"ccache", login_->ticket_cache.c_str()};
        }
        gss_key_value_set_desc store{count, elements};
        gss_OID_set_desc mechanisms{1, gss_mech_krb5};
        OM_uint32 major = gss_acquire_cred_from(&minor, desired, GSS_C_INDEFINITE, &mechanisms, GSS_C_INITIATE,
                                                count ? &store : GSS_C_NO_CRED_STORE, &credential_, nullptr, nullptr);
        OM_uint32 ignored = 0;
        if (desired != GSS_C_NO_NAME) gss_release_name(&ignored, &desired);
        if (GSS_ERROR(major))
            return failed(login_->keytab.empty() ? std::string("the ticket cache") : "the keytab " + login_->keytab,
                          major, minor);
        return {};
    }

    std::error_code context_step(gss_buffer_t in, byte_buffer& out) {
        gss_buffer_desc token{0, nullptr};
        OM_uint32 minor = 0;
        OM_uint32 major =
            gss_init_sec_context(&minor, credential_, &context_, target_, gss_mech_krb5,
                                 GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0,
                                 GSS_C_NO_CHANNEL_BINDINGS, in, nullptr, &token, nullptr, nullptr);
        take(token, out);
        if (GSS_ERROR(major)) return failed("the context with " + service_, major, minor);
        if (major == GSS_S_COMPLETE) stage_ = stage::security_layer;
        return {};
    }

    std::error_code choose_security_layer(gss_buffer_desc& in, byte_buffer& out) {
        gss_buffer_desc offer{0, nullptr};
        OM_uint32 minor = 0;
        OM_uint32 major = gss_unwrap(&minor, context_, &in, &offer, nullptr, nullptr);
        if (GSS_ERROR(major)) return failed("the broker's security layer offer", major, minor);
        byte_buffer plain;
        take(offer, plain);
        if (plain.size() != 4) return protocol_error("the broker's security layer offer is not 4 bytes");
        if ((std::to_integer<unsigned>(plain[0]) & 0x01) == 0)
            return protocol_error(
                "the broker requires a GSSAPI integrity or privacy layer; this client offers none "
                "(use SASL_SSL for protected bytes)");
        // No layer, no buffer size, no authorization id (the authenticated principal is the identity).
        std::byte choice[4] = {std::byte{0x01}, std::byte{0}, std::byte{0}, std::byte{0}};
        gss_buffer_desc answer{sizeof choice, choice};
        gss_buffer_desc wrapped{0, nullptr};
        major = gss_wrap(&minor, context_, 0, GSS_C_QOP_DEFAULT, &answer, nullptr, &wrapped);
        take(wrapped, out);
        if (GSS_ERROR(major)) return failed("the security layer answer", major, minor);
        stage_ = stage::closing;
        return {};
    }

    static void take(gss_buffer_desc& buffer, byte_buffer& out) {
        auto* b = static_cast<const std::byte*>(buffer.value);
        out.assign(b, b + buffer.length);
        OM_uint32 minor = 0;
        if (buffer.value) gss_release_buffer(&minor, &buffer);
    }

    // A GSS-API call failed: its status words, and the mechanism's (Kerberos') when it has any.
    std::error_code failed(const std::string& what, OM_uint32 major, OM_uint32 minor) {
        auto text = what + ": " + status_text(major, GSS_C_GSS_CODE);
        if (minor != 0) text += " (" + status_text(minor, GSS_C_MECH_CODE) + ")";
        return protocol_error(std::move(text));
    }
    // A failure of this side or of the broker that GSS-API has no status for.
    std::error_code protocol_error(std::string what) {
        detail_ = "GSSAPI: " + std::move(what);
        return make_error_code(errc::sasl_authentication_failed);
    }
    static std::string status_text(OM_uint32 code, int type) {
        std::string text;
        OM_uint32 context = 0;
        do {
            OM_uint32 minor = 0;
            gss_buffer_desc b{0, nullptr};
            if (GSS_ERROR(gss_display_status(&minor, code, type, GSS_C_NO_OID, &context, &b))) break;
            if (!text.empty()) text += "; ";
            text.append(static_cast<const char*>(b.value), b.length);
            gss_release_buffer(&minor, &b);
        } while (context != 0);
        return text;
    }

    std::shared_ptr<const kerberos_login> login_;
    std::string service_;  // service@host, the broker's host-based service name
    gss_name_t target_ = GSS_C_NO_NAME;
    gss_cred_id_t credential_ = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t context_ = GSS_C_NO_CONTEXT;
    stage stage_ = stage::context;
    std::string detail_;
};

#endif  // KAFKA_HAVE_GSSAPI

}  // namespace kafka::client
