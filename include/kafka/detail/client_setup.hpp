// Connection setup every consumer type shares (KafkaConsumer, KafkaShareConsumer): the transport's
// TLS settings and socket buffers, and the network client's options (timeouts, backoffs, SASL
// credentials: PLAIN/SCRAM passwords, the OAUTHBEARER token source, the Kerberos login), read
// from a consumer_config. What a transport policy cannot apply is refused with a sentence.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <kafka/client/network_client.hpp>
#include <kafka/client/oauth.hpp>
#include <kafka/client/sasl.hpp>
#include <kafka/client/transport.hpp>
#include <kafka/config.hpp>
#include <kafka/detail/policy_checks.hpp>
#include <kafka/exceptions.hpp>

namespace kafka::detail {

/// The transport policy, checked (see policy_checks.hpp for the stand-in rule).
template <class T>
struct checked_transport {
    static constexpr bool ok = check_transport<T>();
    using type = std::conditional_t<ok, T, stand_in<transports::tcp>>;
};

// ssl.truststore.* or ssl.keystore.* as set ("" where unset), loaded by the transport's set_tls.
inline client::tls_store tls_store_from(const consumer_config& config, const std::string& prefix) {
    const bool keystore = prefix == "ssl.keystore";
    client::tls_store s;
    s.type = config.get(prefix + ".type");
    s.location = config.get(prefix + ".location");
    s.password = config.get(prefix + ".password");
    s.certificates = config.get(keystore ? "ssl.keystore.certificate.chain" : "ssl.truststore.certificates");
    if (keystore) s.key = config.get("ssl.keystore.key");
    return s;
}

// GSSAPI's login, from Krb5LoginModule's options (config validation checked them): a keytab and
// its principal, or a ticket cache (the default one when sasl.jaas.config is not set).
inline std::shared_ptr<const client::kerberos_login> kerberos_login_from(const consumer_config& c) {
    const auto login = c.kerberos_login();
    auto k = std::make_shared<client::kerberos_login>();
    k->service_name = c.kerberos_service_name().value_or("");
    k->principal = login.option("principal").value_or("");
    if (login.flag("useKeyTab"))
        k->keytab = login.option("keyTab").value_or("");
    else
        k->ticket_cache = login.option("ticketCache").value_or("");
    return k;
}

template <class Policies>
inline constexpr bool has_token_provider = requires {
    typename Policies::token_provider;
};

// OAUTHBEARER's token source: the policies' token provider, the file sasl.oauthbearer.token.endpoint.url
// names, or Kafka's unsecured token from OAuthBearerLoginModule's unsecuredLogin* options. The
// extensions come from the login module's extension_* options (unsecuredLoginExtension_* for the
// unsecured token, as Java's two login handlers read them).
template <class Policies>
std::shared_ptr<oauth::login> oauth_login_from(const consumer_config& c) {
    const auto login = c.oauth_login();
    const auto& options = login.options;
    auto file = c.oauth_token_file();
    std::function<oauth::token()> provider;
    std::string_view extension_prefix = "extension_";
    if constexpr (has_token_provider<Policies>) {
        using P = typename Policies::token_provider;
        static_assert(oauth::token_provider<P>,
                      "Policies::token_provider needs a token() member returning kafka::oauth::token");
        if (file)
            throw config_error("sasl.oauthbearer.token.endpoint.url",
                               "sasl.oauthbearer.token.endpoint.url cannot be used: Policies::token_provider "
                               "gives the token");
        if (login.has_option("unsecuredLogin"))
            throw config_error("sasl.jaas.config",
                               "sasl.jaas.config's unsecuredLogin* options (Kafka's unsecured token) cannot be "
                               "used: Policies::token_provider gives the token");
        std::shared_ptr<P> p;
        if constexpr (std::is_constructible_v<P, const consumer_config&>)
            p = std::make_shared<P>(c);
        else
            p = std::make_shared<P>();
        provider = [p] { return oauth::token(p->token()); };
    } else if (file) {
        provider = [f = oauth::file_token(*file)] { return f.token(); };
    } else if (login.has_option("unsecuredLogin")) {
        if (login.has_option("extension_"))
            throw config_error("sasl.jaas.config",
                               "sasl.jaas.config: extension_* options go with a token endpoint; the unsecured "
                               "token's extensions are unsecuredLoginExtension_<name>");
        try {
            provider = [jws = oauth::unsecured_jws(options)] { return jws.token(); };
        } catch (const std::invalid_argument& e) {
            throw config_error("sasl.jaas.config", std::string("sasl.jaas.config: ") + e.what());
        }
        extension_prefix = "unsecuredLoginExtension_";
    } else {
        throw config_error("sasl.jaas.config",
                           "sasl.mechanism=OAUTHBEARER needs a token: sasl.jaas.config with " +
                               std::string(detail::cfg::oauth_login_module) +
                               " and unsecuredLogin* options (Kafka's unsecured tokens), "
                               "sasl.oauthbearer.token.endpoint.url=file:///path, or Policies::token_provider");
    }
    oauth::extensions ext;
    for (auto const& [name, value] : options)
        if (name.rfind(extension_prefix, 0) == 0)
            ext[name.substr(extension_prefix.size())] = value;
        else if (name.rfind("extension_", 0) == 0 || name.rfind("unsecuredLoginExtension_", 0) == 0)
            throw config_error("sasl.jaas.config", "sasl.jaas.config: option '" + name +
                                                       "' does not go with this token source (use " +
                                                       std::string(extension_prefix) + "<name>)");
    try {
        return std::make_shared<oauth::login>(std::move(provider), std::move(ext), c.oauth_refresh());
    } catch (const std::invalid_argument& e) {
        throw config_error("sasl.jaas.config", std::string("sasl.jaas.config: ") + e.what());
    }
}

template <class Policies>
client::client_options client_options_from(const consumer_config& c) {
    client::client_options o;
    o.client_id = c.client_id();
    o.request_timeout = c.request_timeout();
    o.reconnect_backoff = c.reconnect_backoff();
    o.reconnect_backoff_max = c.reconnect_backoff_max();
    o.retry_backoff = c.retry_backoff();
    o.connection_setup_timeout = c.socket_connection_setup_timeout();
    o.connection_setup_timeout_max = c.socket_connection_setup_timeout_max();
    o.connections_max_idle = c.connections_max_idle();
    const bool oauth = c.uses_sasl() && c.sasl_mechanism() == sasl_mechanism::oauthbearer;
    if constexpr (has_token_provider<Policies>)
        if (!oauth)
            throw config_error("sasl.mechanism",
                               "Policies::token_provider gives OAuth tokens, but sasl.mechanism is not OAUTHBEARER "
                               "(with security.protocol SASL_PLAINTEXT or SASL_SSL), so it would never be asked");
    if (c.uses_sasl()) {
        auto mech = c.sasl_mechanism();
        o.sasl = client::sasl_credentials{mech, c.sasl_username().value_or(""), c.sasl_password().value_or("")};
        if (oauth) o.sasl->oauth = oauth_login_from<Policies>(c);
        if (mech == sasl_mechanism::gssapi) o.sasl->kerberos = kerberos_login_from(c);
    }
    return o;
}

/// Applies the TLS settings and socket buffer sizes of `config` to the transport policy's object.
template <class Transport>
void configure_transport(Transport& transport, const consumer_config& config) {
    if constexpr (requires(Transport & t) { t.set_tls(transports::tls_options{}); }) {
        if (config.uses_tls()) {
            transports::tls_options tls;
            tls.enabled = true;
            tls.ca_file = config.ssl_ca_location().value_or("");
            tls.cert_file = config.ssl_certificate_location().value_or("");
            tls.key_file = config.ssl_key_location().value_or("");
            tls.key_password = config.ssl_key_password().value_or("");
            tls.truststore = tls_store_from(config, "ssl.truststore");
            tls.keystore = tls_store_from(config, "ssl.keystore");
            tls.verify_hostname = config.ssl_endpoint_identification();
            tls.enabled_protocols = config.ssl_enabled_protocols();
            tls.cipher_suites = config.ssl_cipher_suites();
            transport.set_tls(std::move(tls));
        }
    } else {
        if (config.uses_tls())
            throw kafka_error(make_error_code(client_errc::invalid_config),
                              "security.protocol asks for TLS but this consumer's transport policy has no set_tls()");
    }
    if constexpr (requires(Transport & t) { t.set_socket_buffers(0, 0); }) {
        transport.set_socket_buffers(config.send_buffer_bytes(), config.receive_buffer_bytes());
    } else {
        for (auto key : {"send.buffer.bytes", "receive.buffer.bytes"})
            if (config.is_set(key))
                throw config_error(key, std::string(key) +
                                            " is set but this consumer's transport policy has no sockets to apply "
                                            "it to (no set_socket_buffers())");
    }
}

}  // namespace kafka::detail
