// The fake cluster's SASL listener (see kafka/testing/fake_cluster.hpp): SaslHandshake and
// SaslAuthenticate for PLAIN, and Kafka's session lifetime (KIP-368, a broker with
// connections.max.reauth.ms): SaslAuthenticate v1+ tells the client how long its session lasts,
// and a request other than SaslHandshake/SaslAuthenticate on a connection whose session has
// expired closes the connection, as Kafka does. Before authentication only ApiVersions and the
// SASL requests are served; anything else closes the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <kafka/protocol/messages/sasl_authenticate.hpp>
#include <kafka/protocol/messages/sasl_handshake.hpp>
#include <kafka/testing/fake/wire.hpp>

namespace kafka::testing::fake {

struct sasl_options {
    std::string username;
    std::string password;
    /// The session lifetime sent to the client (0: sessions never expire).
    std::chrono::milliseconds session_lifetime{0};
};

class sasl_service {
public:
    sasl_service(wire& w, sasl_options o) : wire_(w), opts_(std::move(o)) {
        wire_.serve(this, &sasl_service::on_handshake);
        wire_.serve(this, &sasl_service::on_authenticate);
        wire_.gate([this](const conn_t& c, std::int16_t api) { return admits(c, api); });
    }
    sasl_service(const sasl_service&) = delete;
    sasl_service& operator=(const sasl_service&) = delete;

    /// Successful authentications so far, first ones and re-authentications alike.
    std::size_t authentications() const noexcept { return authentications_; }
    /// Connections closed because they sent a request after their session expired.
    std::size_t expired_sessions() const noexcept { return expired_; }

private:
    bool admits(const conn_t& c, std::int16_t api) {
        if (api == protocol::SaslHandshakeRequest::api_key || api == protocol::SaslAuthenticateRequest::api_key)
            return true;
        if (!c.authenticated) return false;
        if (c.session_expires && wire_.now() >= *c.session_expires) {
            ++expired_;
            return false;
        }
        return true;
    }

    void on_handshake(const reply_t& r, protocol::SaslHandshakeRequest& req, injected_error e) {
        protocol::SaslHandshakeResponse resp;
        resp.mechanisms = {"PLAIN"};
        if (e)
            resp.error_code = *e;
        else if (req.mechanism != "PLAIN")
            resp.error_code = static_cast<std::int16_t>(errc::unsupported_sasl_mechanism);
        wire_.send(r, resp);
    }

    void on_authenticate(const reply_t& r, protocol::SaslAuthenticateRequest& req, injected_error e) {
        protocol::SaslAuthenticateResponse resp;
        const std::string expected = std::string(1, '\0') + opts_.username + std::string(1, '\0') + opts_.password;
        if (e) {
            resp.error_code = *e;
        } else if (as_string_view(req.auth_bytes) != expected) {
            resp.error_code = static_cast<std::int16_t>(errc::sasl_authentication_failed);
            resp.error_message = "Authentication failed: Invalid username or password";
        } else {
            ++authentications_;
            r.conn->authenticated = true;
            r.conn->session_expires.reset();
            if (opts_.session_lifetime.count() > 0 && r.version >= 1) {
                resp.session_lifetime_ms = opts_.session_lifetime.count();
                r.conn->session_expires = wire_.now() + opts_.session_lifetime;
            }
        }
        wire_.send(r, resp);
    }

    wire& wire_;
    sasl_options opts_;
    std::size_t authentications_ = 0;
    std::size_t expired_ = 0;
};

}  // namespace kafka::testing::fake
