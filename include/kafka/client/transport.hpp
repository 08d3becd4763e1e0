// The transport policy: how bytes reach a broker, and how time passes.
//
// A transport supplies a stream type (an Asio AsyncReadStream and
// AsyncWriteStream) made on an executor, a way to connect one, a clock, and
// `run_for`, the one place where a blocking consumer waits on the io_context it
// owns. Real transports wait on that io_context; the in-memory transport of the
// tests advances simulated time instead, which is what lets rebalances and
// timeouts run in milliseconds without a broker. Streams are made on an
// executor (not an io_context), so the engine can run on any executor, the
// user's included.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

// The Asio headers used, not <asio.hpp> (which adds files, pipes, serial ports, signals,
// coroutines, iostreams, ... to every translation unit that includes the consumer).
#include <asio/any_io_executor.hpp>
#include <asio/connect.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#ifdef KAFKA_HAVE_OPENSSL
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/ssl/stream.hpp>
#endif

#include <kafka/client/tls_settings.hpp>
#include <kafka/client/tls_stores.hpp>
#include <kafka/exceptions.hpp>

namespace kafka {

namespace detail {

// The pieces of kafka::transport, one concept each, so that check_transport can name what is missing.
template <class T>
concept transport_has_stream_type = requires {
    typename T::stream_type;
};

template <class T>
concept transport_has_clock_type = requires {
    typename T::clock_type;
    typename T::clock_type::duration;
    typename T::clock_type::time_point;
};

template <class T>
concept transport_has_make_stream = transport_has_stream_type<T> && requires(T& t, const asio::any_io_executor& ex) {
    { t.make_stream(ex) } -> std::same_as<std::unique_ptr<typename T::stream_type>>;
};

template <class T>
concept transport_has_async_connect = transport_has_stream_type<T> &&
    requires(T& t, typename T::stream_type& s, const std::string& host, std::uint16_t port) {
    t.async_connect(s, host, port, [](std::error_code) {});
};

template <class T>
concept transport_has_now = transport_has_clock_type<T> && requires(T& t) {
    { t.now() } -> std::same_as<typename T::clock_type::time_point>;
};

template <class T>
concept transport_has_run_for = transport_has_clock_type<T> &&
    requires(T& t, asio::io_context& io, typename T::clock_type::duration d) {
    t.run_for(io, d);
};

template <class T>
concept transport_has_close = transport_has_stream_type<T> && requires(T& t, typename T::stream_type& s) {
    t.close(s);
};

}  // namespace detail

/// What every transport must provide (see kafka::transports::tcp for the reference implementation).
template <class T>
concept transport = detail::transport_has_stream_type<T> && detail::transport_has_clock_type<T> &&
    detail::transport_has_make_stream<T> && detail::transport_has_async_connect<T> && detail::transport_has_now<T> &&
    detail::transport_has_run_for<T> && detail::transport_has_close<T>;

/// `kafka::check_transport<T>()` reports, one sentence each, what T lacks to model kafka::transport
/// (each in its own static_assert), and returns whether it does. The members that use the stream or
/// clock type are only judged once that type exists.
template <class T>
constexpr bool check_transport() {
    static_assert(detail::transport_has_stream_type<T>,
                  "transport type needs `using stream_type = ...` (an Asio AsyncReadStream and AsyncWriteStream)");
    static_assert(detail::transport_has_clock_type<T>,
                  "transport type needs `using clock_type = ...` (a std::chrono clock, e.g. "
                  "std::chrono::steady_clock)");
    if constexpr (detail::transport_has_stream_type<T>) {
        static_assert(detail::transport_has_make_stream<T>,
                      "transport type needs `std::unique_ptr<stream_type> make_stream(const asio::any_io_executor&)`");
        static_assert(detail::transport_has_async_connect<T>,
                      "transport type needs `void async_connect(stream_type&, const std::string& host, std::uint16_t "
                      "port, Handler&& handler)` that calls handler(std::error_code) once connected or failed");
        static_assert(detail::transport_has_close<T>, "transport type needs `void close(stream_type&)`");
    }
    if constexpr (detail::transport_has_clock_type<T>) {
        static_assert(detail::transport_has_now<T>, "transport type needs `clock_type::time_point now()`");
        static_assert(detail::transport_has_run_for<T>,
                      "transport type needs `void run_for(asio::io_context&, clock_type::duration)` (runs the "
                      "io_context's handlers for at most that long: the one place the consumer waits)");
    }
    return transport<T>;
}

namespace transports {

/// Java's default ssl.enabled.protocols. (A function: GCC 12 fails with an internal error on
/// tls_options{} in a requires-expression when the member is initialised from a braced list.)
inline std::vector<std::string> default_tls_versions() { return {"TLSv1.2", "TLSv1.3"}; }

/// TLS settings of the tcp transport (from ssl.* in the consumer's configuration).
struct tls_options {
    bool enabled = false;
    std::string ca_file;           // PEM; empty: the system's default trust store
    std::string cert_file;         // PEM client certificate (mutual TLS), optional
    std::string key_file;          // PEM private key of cert_file
    std::string key_password;      // of key_file, or of a PEM key store's key
    client::tls_store truststore;  // ssl.truststore.*: Java's trust store (PKCS#12, PEM file or PEM text)
    client::tls_store keystore;    // ssl.keystore.*: Java's key store, this client's identity
    bool verify_hostname = true;   // ssl.endpoint.identification.algorithm=https (Java's default)
    // ssl.enabled.protocols: Java's names, TLSv1.2 and/or TLSv1.3; the context's min and max version.
    std::vector<std::string> enabled_protocols = default_tls_versions();
    // ssl.cipher.suites: IANA (Java) or OpenSSL names of suites; empty keeps OpenSSL's defaults.
    std::vector<std::string> cipher_suites;
};

/// TCP over Asio, plain or TLS (OpenSSL) as security.protocol says. One socket per stream;
/// the TLS branch is taken per I/O call, never per record.
class tcp {
public:
    class stream {
    public:
        using executor_type = asio::any_io_executor;

        explicit stream(const asio::any_io_executor& ex) : plain_(std::in_place, ex) {}
#ifdef KAFKA_HAVE_OPENSSL
        stream(const asio::any_io_executor& ex, asio::ssl::context& ctx) : tls_(std::in_place, ex, ctx) {}
#endif
        executor_type get_executor() { return socket().get_executor(); }
        asio::ip::tcp::socket& socket() {
#ifdef KAFKA_HAVE_OPENSSL
            if (tls_) return tls_->next_layer();
#endif
            return *plain_;
        }
        bool is_tls() const noexcept {
#ifdef KAFKA_HAVE_OPENSSL
            return tls_.has_value();
#else
            return false;
#endif
        }
        template <class Buffers, class Handler>
        void async_read_some(const Buffers& b, Handler&& h) {
#ifdef KAFKA_HAVE_OPENSSL
            if (tls_) return tls_->async_read_some(b, std::forward<Handler>(h));
#endif
            plain_->async_read_some(b, std::forward<Handler>(h));
        }
        template <class Buffers, class Handler>
        void async_write_some(const Buffers& b, Handler&& h) {
#ifdef KAFKA_HAVE_OPENSSL
            if (tls_) return tls_->async_write_some(b, std::forward<Handler>(h));
#endif
            plain_->async_write_some(b, std::forward<Handler>(h));
        }
#ifdef KAFKA_HAVE_OPENSSL
        asio::ssl::stream<asio::ip::tcp::socket>* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
#endif

        // The connect in progress: its resolver (cancelled by close), and whether close() came, so
        // that no step of the connect runs after it (the transport may be gone by then).
        std::shared_ptr<asio::ip::tcp::resolver> resolver;
        bool closed = false;

    private:
        std::optional<asio::ip::tcp::socket> plain_;
#ifdef KAFKA_HAVE_OPENSSL
        std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
#endif
    };

    using stream_type = stream;
    using clock_type = std::chrono::steady_clock;

    tcp() = default;
    explicit tcp(tls_options tls) { set_tls(std::move(tls)); }

    /// TLS set-up; throws kafka_error with a clear message when files cannot be loaded, and
    /// config_error (naming the key) when ssl.enabled.protocols or ssl.cipher.suites cannot be applied
    /// (see client/tls_settings.hpp).
    void set_tls(tls_options tls) {
        tls_ = std::move(tls);
        if (!tls_.enabled) return;
#ifdef KAFKA_HAVE_OPENSSL
        ctx_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        ctx_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        client::apply_tls_settings(ctx_->native_handle(), tls_.enabled_protocols, tls_.cipher_suites);
        ctx_->set_verify_mode(asio::ssl::verify_peer);
        std::error_code ec;
        auto load = [&](const char* what, const std::string& file, auto&& fn) {
            if (file.empty()) return;
            fn(ec);
            if (ec)
                throw kafka_error(make_error_code(client_errc::invalid_config),
                                  std::string("cannot load ") + what + " '" + file + "': " + ec.message());
        };
        // librdkafka's PEM file keys or Java's stores (client/tls_stores.hpp); both at once is ambiguous.
        if (!tls_.ca_file.empty() && tls_.truststore.given())
            throw config_error(
                tls_.truststore.location.empty() ? "ssl.truststore.certificates" : "ssl.truststore.location",
                "ssl.ca.location and the trust store (ssl.truststore.*) both give the certificate "
                "authorities: set one");
        if ((!tls_.cert_file.empty() || !tls_.key_file.empty()) && tls_.keystore.given())
            throw config_error(tls_.keystore.location.empty() ? "ssl.keystore.key" : "ssl.keystore.location",
                               "ssl.certificate.location/ssl.key.location and the key store (ssl.keystore.*) both give "
                               "this client's certificate: set one");
        if (tls_.ca_file.empty() && !tls_.truststore.given()) ctx_->set_default_verify_paths(ec);
        load("ssl.ca.location", tls_.ca_file, [&](std::error_code& e) { ctx_->load_verify_file(tls_.ca_file, e); });
        client::load_truststore(ctx_->native_handle(), tls_.truststore);
        client::load_keystore(ctx_->native_handle(), tls_.keystore, tls_.key_password);
        if (!tls_.key_password.empty()) {
            auto pw = tls_.key_password;
            ctx_->set_password_callback([pw](std::size_t, asio::ssl::context::password_purpose) { return pw; });
        }
        load("ssl.certificate.location", tls_.cert_file,
             [&](std::error_code& e) { ctx_->use_certificate_chain_file(tls_.cert_file, e); });
        load("ssl.key.location", tls_.key_file,
             [&](std::error_code& e) { ctx_->use_private_key_file(tls_.key_file, asio::ssl::context::pem, e); });
#else
        throw kafka_error(make_error_code(client_errc::codec_not_built),
                          "TLS (security.protocol=SSL or SASL_SSL) needs OpenSSL, which this build left out");
#endif
    }

    std::unique_ptr<stream_type> make_stream(const asio::any_io_executor& ex) {
#ifdef KAFKA_HAVE_OPENSSL
        if (tls_.enabled) return std::make_unique<stream_type>(ex, *ctx_);
#endif
        return std::make_unique<stream_type>(ex);
    }

    /// SO_SNDBUF / SO_RCVBUF of every socket made from now on (send.buffer.bytes,
    /// receive.buffer.bytes); -1 keeps the operating system's default. Set before the socket
    /// connects, so the receive buffer also shapes the TCP window negotiated.
    void set_socket_buffers(int send_bytes, int receive_bytes) {
        send_buffer_ = send_bytes;
        receive_buffer_ = receive_bytes;
    }

    /// Resolves `host` and tries every address it resolves to, in order, until one accepts
    /// (client.dns.lookup=use_all_dns_ips), then runs the TLS handshake (with host name
    /// verification) when TLS is on.
    /// The handler's owner keeps `s` alive until it runs; the transport need not outlive the
    /// connect (nothing of it is used after this call), and close(s) ends it at whatever step.
    template <class Handler>
    void async_connect(stream_type& s, const std::string& host, std::uint16_t port, Handler&& handler) {
        s.resolver = std::make_shared<asio::ip::tcp::resolver>(s.get_executor());
        auto how = std::make_shared<connect_attempt>(
            connect_attempt{host, tls_.verify_hostname, send_buffer_, receive_buffer_, {}, 0});
        s.resolver->async_resolve(
            host, std::to_string(port),
            [&s, how, h = std::forward<Handler>(handler)](std::error_code ec, auto results) mutable {
                if (!ec && s.closed) ec = asio::error::operation_aborted;
                if (ec) return h(ec);
                for (auto const& r : results) how->endpoints.push_back(r.endpoint());
                try_next(s, std::move(how), std::move(h), asio::error::host_not_found);
            });
    }
    clock_type::time_point now() const { return clock_type::now(); }

    /// Waits for I/O for at most `d`: returns after one ready handler ran, or when `d` passed.
    void run_for(asio::io_context& io, clock_type::duration d) {
        if (d <= clock_type::duration::zero())
            io.poll();
        else
            io.run_one_for(d);
        if (io.stopped()) io.restart();
    }

    void close(stream_type& s) {
        s.closed = true;
        if (s.resolver) s.resolver->cancel();
        std::error_code ignored;
        s.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        s.socket().close(ignored);
    }

private:
    struct connect_attempt {
        std::string host;
        bool verify_hostname = true;
        int send_buffer = -1;
        int receive_buffer = -1;
        std::vector<asio::ip::tcp::endpoint> endpoints;
        std::size_t next = 0;
    };

    // One address after the other: the socket is opened and its buffers set before it connects.
    template <class Handler>
    static void try_next(stream_type& s, std::shared_ptr<connect_attempt> how, Handler&& h, std::error_code last) {
        if (s.closed) return h(asio::error::operation_aborted);
        if (how->next == how->endpoints.size()) return h(last);
        auto ep = how->endpoints[how->next++];
        std::error_code ec;
        s.socket().close(ec);
        s.socket().open(ep.protocol(), ec);
        if (!ec && how->send_buffer >= 0)
            s.socket().set_option(asio::socket_base::send_buffer_size(how->send_buffer), ec);
        if (!ec && how->receive_buffer >= 0)
            s.socket().set_option(asio::socket_base::receive_buffer_size(how->receive_buffer), ec);
        if (ec) return try_next(s, std::move(how), std::forward<Handler>(h), ec);
        s.socket().async_connect(ep, [&s, how, h = std::forward<Handler>(h)](std::error_code ec2) mutable {
            if (!ec2 && s.closed) ec2 = asio::error::operation_aborted;
            if (ec2 == asio::error::operation_aborted) return h(ec2);
            if (ec2) return try_next(s, std::move(how), std::move(h), ec2);
            std::error_code ignored;
            s.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
            handshake(s, how->host, how->verify_hostname, std::move(h));
        });
    }

    template <class Handler>
    static void handshake(stream_type& s, const std::string& host, bool verify_hostname, Handler&& h) {
#ifdef KAFKA_HAVE_OPENSSL
        if (auto* tls = s.tls()) {
            std::error_code addr_ec;
            asio::ip::make_address(host, addr_ec);
            if (addr_ec) SSL_set_tlsext_host_name(tls->native_handle(), host.c_str());  // SNI for names only
            if (verify_hostname) tls->set_verify_callback(asio::ssl::host_name_verification(host));
            tls->async_handshake(asio::ssl::stream_base::client,
                                 [h = std::forward<Handler>(h)](std::error_code ec) mutable { h(ec); });
            return;
        }
#else
        (void)host;
        (void)verify_hostname;
#endif
        h(std::error_code{});
    }

    tls_options tls_;
    int send_buffer_ = -1;
    int receive_buffer_ = -1;
#ifdef KAFKA_HAVE_OPENSSL
    std::shared_ptr<asio::ssl::context> ctx_;
#endif
};

static_assert(transport<tcp>);

}  // namespace transports
}  // namespace kafka
