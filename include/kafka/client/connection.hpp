// One connection to one broker: connect, negotiate API versions, then carry
// size-prefixed request frames out and response frames back, in order.
//
// Kafka answers the requests of a connection in the order they were sent, so
// in-flight requests are a FIFO and each response must carry the correlation
// id at its front; anything else is a protocol error that closes the
// connection. Closing fails every in-flight request with the reason. Nothing
// here runs user code: completion goes to the owner's handler, which parks it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <kafka/client/frame_pool.hpp>
#include <kafka/client/sasl.hpp>
#include <kafka/client/transport.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/frame.hpp>
#include <kafka/protocol/messages/api_versions.hpp>
#include <kafka/protocol/messages/sasl_authenticate.hpp>
#include <kafka/protocol/messages/sasl_handshake.hpp>

namespace kafka::client {

/// Where a broker listens. Bootstrap servers get negative ids until metadata names them.
struct broker_address {
    std::int32_t id = -1;
    std::string host;
    std::uint16_t port = 9092;
    friend bool operator==(const broker_address&, const broker_address&) = default;
};

using response_handler = std::function<void(std::error_code, frame_ptr)>;

/// What a connection needs of a request: its frame, written at a version under a correlation id.
/// Abstract, so that the sending code is compiled once and not once per request type.
class request_encoder {
public:
    virtual void encode_frame(byte_buffer& out, std::int16_t version, std::int32_t correlation_id,
                              std::string_view client_id) const = 0;

protected:
    ~request_encoder() = default;
};

/// The request_encoder of one message, referring to it.
template <protocol::api_message Req>
class message_encoder final : public request_encoder {
public:
    explicit message_encoder(const Req& req) noexcept : req_(req) {}
    void encode_frame(byte_buffer& out, std::int16_t version, std::int32_t correlation_id,
                      std::string_view client_id) const override {
        protocol::encode_request(out, req_, version, correlation_id, client_id);
    }

private:
    const Req& req_;
};

/// Largest response accepted; a bigger size prefix is treated as a corrupt stream.
inline constexpr std::int32_t max_response_size = 512 * 1024 * 1024;

template <transport Transport>
class connection : public std::enable_shared_from_this<connection<Transport>> {
public:
    using clock = typename Transport::clock_type;
    enum class state { idle, connecting, negotiating, authenticating, ready, closed };

    connection(asio::any_io_executor executor, Transport& transport, broker_address address, std::string client_id,
               std::chrono::milliseconds request_timeout, std::optional<sasl_credentials> sasl = std::nullopt)
        : executor_(std::move(executor)),
          transport_(transport),
          address_(std::move(address)),
          client_id_(std::move(client_id)),
          request_timeout_(request_timeout),
          sasl_credentials_(std::move(sasl)) {}

    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    const broker_address& address() const noexcept { return address_; }
    state current_state() const noexcept { return state_; }
    bool ready() const noexcept { return state_ == state::ready; }
    bool closed() const noexcept { return state_ == state::closed; }
    std::error_code close_reason() const noexcept { return close_reason_; }
    /// The broker's words about a failed authentication (SaslAuthenticate's error_message), if any.
    const std::string& close_detail() const noexcept { return close_detail_; }
    /// Requests written and not yet answered, and those held back by a re-authentication.
    std::size_t in_flight() const noexcept { return in_flight_.size() + held_.size(); }
    /// How many times this connection re-authenticated on the broker's demand (KIP-368).
    std::size_t reauthentications() const noexcept { return reauthentications_; }
    /// Called after each successful re-authentication (for metrics).
    void on_reauthenticated(std::function<void()> f) { on_reauthenticated_ = std::move(f); }
    /// The size of the last request frame send() queued, size prefix included (for metrics).
    std::size_t last_frame_bytes() const noexcept { return last_frame_bytes_; }

    /// Starts connecting; `on_state` is called when the connection becomes ready or closes. The
    /// whole set-up (connect, TLS, ApiVersions, SASL) must end within `setup_timeout` (default: the
    /// request timeout), or the connection closes with request_timed_out.
    void open(std::function<void(std::error_code)> on_state,
              std::optional<std::chrono::milliseconds> setup_timeout = std::nullopt) {
        on_state_ = std::move(on_state);
        state_ = state::connecting;
        stream_ = transport_.make_stream(executor_);
        connect_deadline_ = transport_.now() + setup_timeout.value_or(request_timeout_);
        transport_.async_connect(*stream_, address_.host, address_.port,
                                 [self = this->shared_from_this()](std::error_code ec) {
                                     if (self->state_ != state::connecting) return;
                                     if (ec) return self->close(ec);
                                     self->state_ = state::negotiating;
                                     self->read_next();
                                     self->negotiate(3);
                                 });
    }

    /// The version to use for `api_key`: the highest both sides support within `ours`.
    std::optional<std::int16_t> pick_version(std::int16_t api_key, protocol::versions ours) const {
        auto it = broker_versions_.find(api_key);
        if (it == broker_versions_.end()) return std::nullopt;
        auto hi = std::min(ours.hi, it->second.hi);
        auto lo = std::max(ours.lo, it->second.lo);
        if (hi < lo) return std::nullopt;
        return hi;
    }
    /// The broker's advertised range for an API (empty range when not served).
    protocol::versions broker_versions(std::int16_t api_key) const {
        auto it = broker_versions_.find(api_key);
        return it == broker_versions_.end() ? protocol::no_versions : it->second;
    }

    std::int32_t next_correlation_id() noexcept {
        correlation_ = correlation_ == INT32_MAX ? 0 : correlation_ + 1;
        return correlation_;
    }

    /// Encodes and queues `req` at `version`; `done` receives the response body or an error.
    template <protocol::api_message Req>
    void send(const Req& req, std::int16_t version, response_handler done,
              std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        send(Req::api_key, message_encoder<Req>(req), version, std::move(done), timeout);
    }

    /// The same for a request of key `api_key` that `req` encodes.
    void send(std::int16_t api_key, const request_encoder& req, std::int16_t version, response_handler done,
              std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        if (state_ == state::closed) {
            done(close_reason_ ? close_reason_ : make_error_code(client_errc::disconnected), nullptr);
            return;
        }
        auto id = next_correlation_id();
        byte_buffer frame;
        req.encode_frame(frame, version, id, client_id_);
        last_frame_bytes_ = frame.size();
        pending p{id, api_key, version, transport_.now() + timeout.value_or(request_timeout_), std::move(done)};
        if (reauth_due(transport_.now())) begin_reauthentication();
        // While re-authenticating, only the SASL requests go out; the rest wait their turn in order.
        const bool sasl_request =
            api_key == protocol::SaslHandshakeRequest::api_key || api_key == protocol::SaslAuthenticateRequest::api_key;
        if (reauth_ != reauth_phase::none && !sasl_request) {
            held_.push_back({std::move(p), std::move(frame)});
            return;
        }
        in_flight_.push_back(std::move(p));
        write_queue_.push_back(std::move(frame));
        if (!writing_) write_next();
    }

    /// Fails and closes when a request (or the connect) has waited past its deadline, as Java does;
    /// starts a re-authentication the broker's session lifetime calls for.
    void expire(typename clock::time_point now) {
        if (state_ == state::closed) return;
        if (reauth_due(now)) begin_reauthentication();
        if ((state_ == state::connecting || state_ == state::negotiating || state_ == state::authenticating) &&
            now >= connect_deadline_)
            return close(client_errc::request_timed_out);
        for (auto const& r : in_flight_)
            if (now >= r.deadline) return close(client_errc::request_timed_out);
    }

    /// The earliest deadline of this connection (to bound how long poll may wait).
    std::optional<typename clock::time_point> next_deadline() const {
        if (state_ == state::connecting || state_ == state::negotiating || state_ == state::authenticating)
            return connect_deadline_;
        std::optional<typename clock::time_point> best;
        for (auto const& r : in_flight_)
            if (!best || r.deadline < *best) best = r.deadline;
        return best;
    }

    void close(std::error_code why) {
        if (state_ == state::closed) return;
        state_ = state::closed;
        close_reason_ = why;
        if (stream_) transport_.close(*stream_);
        write_queue_.clear();
        auto failed = std::move(in_flight_);
        in_flight_.clear();
        for (auto& h : held_) failed.push_back(std::move(h.request));
        held_.clear();
        for (auto& r : failed)
            if (r.done) r.done(why, nullptr);
        if (on_state_) {
            auto cb = std::move(on_state_);
            cb(why);
        }
    }
    void close(client_errc e) { close(make_error_code(e)); }

private:
    struct pending {
        std::int32_t correlation_id;
        std::int16_t api_key;
        std::int16_t version;
        typename clock::time_point deadline;
        response_handler done;
    };
    struct held_request {
        pending request;
        byte_buffer frame;
    };
    // KIP-368: when the broker gave the session a lifetime, the connection re-authenticates at 85-95 %
    // of it (as Java): new requests are held, the ones in flight answered, then SaslHandshake and
    // SaslAuthenticate run again on the open connection, and the held requests go out in order.
    enum class reauth_phase { none, draining, exchanging };

    bool reauth_due(typename clock::time_point now) const noexcept {
        return reauth_ == reauth_phase::none && reauth_at_ && state_ == state::ready && now >= *reauth_at_;
    }
    void begin_reauthentication() {
        reauth_ = reauth_phase::draining;
        if (in_flight_.empty()) start_sasl();
    }
    void reauthenticated() {
        reauth_ = reauth_phase::none;
        ++reauthentications_;
        for (auto& h : held_) {
            in_flight_.push_back(std::move(h.request));
            write_queue_.push_back(std::move(h.frame));
        }
        held_.clear();
        if (!writing_) write_next();
        if (on_reauthenticated_) on_reauthenticated_();
    }
    void schedule_reauthentication(std::int64_t session_lifetime_ms) {
        reauth_at_.reset();
        if (session_lifetime_ms <= 0) return;
        std::uniform_real_distribution<double> share(0.85, 0.95);
        auto ms = static_cast<std::int64_t>(static_cast<double>(session_lifetime_ms) * share(random_));
        reauth_at_ = transport_.now() + std::chrono::milliseconds(ms);
    }

    // ApiVersions first: a broker that does not know our version answers with error
    // UNSUPPORTED_VERSION in the v0 layout, listing the ApiVersions versions it serves.
    void negotiate(std::int16_t version) {
        protocol::ApiVersionsRequest req;
        req.client_software_name = "kafka-cpp";
        req.client_software_version = "0.1.0";
        send(req, version, [self = this->shared_from_this(), version](std::error_code ec, frame_ptr body) {
            if (ec) return;  // the connection is already closed with the reason
            protocol::ApiVersionsResponse resp;
            auto id = protocol::peek_correlation_id(*body).value_or(0);
            auto dec = protocol::decode_response(*body, version, id, resp);
            // The error code is the first field in every version: read it alone, so that a broker
            // answering in a layout of its own (librdkafka's mock) still gets the fallback.
            std::int16_t error = resp.error_code;
            if (dec && body->size() >= 6) error = protocol::from_big_endian<std::int16_t>(body->data() + 4);
            if (error == static_cast<std::int16_t>(errc::unsupported_version) && version > 0) {
                std::int16_t next = 0;
                protocol::ApiVersionsResponse v0;
                if (!protocol::decode_response(*body, 0, id, v0))
                    for (auto const& k : v0.api_keys)
                        if (k.api_key == protocol::api_versions_key)
                            next = std::min<std::int16_t>(k.max_version, version - 1);
                return self->negotiate(next);
            }
            if (dec) return self->close(dec);
            if (resp.error_code != 0) return self->close(static_cast<errc>(resp.error_code));
            for (auto const& k : resp.api_keys) self->broker_versions_[k.api_key] = {k.min_version, k.max_version};
            if (self->sasl_credentials_) return self->start_sasl();
            self->became_ready();
        });
    }

    void became_ready() {
        state_ = state::ready;
        if (on_state_) on_state_({});
    }

    // SASL (after ApiVersions, which a SASL listener answers before authentication):
    // SaslHandshake v1 names the mechanism, then SaslAuthenticate carries its messages.
    void start_sasl() {
        if (reauth_ == reauth_phase::none)
            state_ = state::authenticating;
        else
            reauth_ = reauth_phase::exchanging;
        auto hs_version = pick_version(protocol::SaslHandshakeRequest::api_key, {1, 1});
        auto auth_version =
            pick_version(protocol::SaslAuthenticateRequest::api_key, protocol::SaslAuthenticateRequest::valid);
        if (!hs_version || !auth_version) {
            close_detail_ = "the broker does not serve SaslHandshake v1 / SaslAuthenticate";
            return close(client_errc::unsupported_version);
        }
        sasl_.emplace(*sasl_credentials_, address_.host);
        protocol::SaslHandshakeRequest hs;
        hs.mechanism = std::string(sasl_->mechanism());
        send(
            hs, *hs_version,
            [self = this->shared_from_this(), v = *hs_version, av = *auth_version](std::error_code ec, frame_ptr body) {
                if (ec) return;
                protocol::SaslHandshakeResponse resp;
                auto id = protocol::peek_correlation_id(*body).value_or(0);
                if (auto dec = protocol::decode_response(*body, v, id, resp)) return self->close(dec);
                if (resp.error_code != 0) {
                    self->close_detail_ = "the broker offers:";
                    for (auto const& m : resp.mechanisms) self->close_detail_ += " " + m;
                    return self->close(static_cast<errc>(resp.error_code));
                }
                byte_buffer first;
                if (auto e = self->sasl_->initial(first)) {
                    self->close_detail_ = self->sasl_->detail();
                    return self->close(e);
                }
                self->send_sasl(std::move(first), av);
            });
    }

    void send_sasl(byte_buffer bytes, std::int16_t version) {
        protocol::SaslAuthenticateRequest req;
        req.auth_bytes = std::move(bytes);
        send(req, version, [self = this->shared_from_this(), version](std::error_code ec, frame_ptr body) {
            if (ec) return;
            protocol::SaslAuthenticateResponse resp;
            auto id = protocol::peek_correlation_id(*body).value_or(0);
            if (auto dec = protocol::decode_response(*body, version, id, resp)) return self->close(dec);
            if (resp.error_code != 0) {
                self->close_detail_ = resp.error_message.value_or("");
                if (!self->sasl_->detail().empty())
                    self->close_detail_ += (self->close_detail_.empty() ? "" : "; ") + self->sasl_->detail();
                return self->close(static_cast<errc>(resp.error_code));
            }
            byte_buffer next;
            if (auto e = self->sasl_->step(resp.auth_bytes, next)) {
                self->close_detail_ =
                    self->sasl_->detail().empty() ? "the broker's SCRAM answer did not verify" : self->sasl_->detail();
                return self->close(e);
            }
            if (self->sasl_->complete()) {
                self->schedule_reauthentication(resp.session_lifetime_ms);
                if (self->reauth_ != reauth_phase::none) return self->reauthenticated();
                return self->became_ready();
            }
            self->send_sasl(std::move(next), version);
        });
    }

    void write_next() {
        if (write_queue_.empty() || state_ == state::closed || state_ == state::connecting) {
            writing_ = false;
            return;
        }
        writing_ = true;
        writing_count_ = write_queue_.size();
        buffers_.clear();
        for (auto const& f : write_queue_) buffers_.emplace_back(asio::buffer(f));
        asio::async_write(*stream_, buffers_, [self = this->shared_from_this()](std::error_code ec, std::size_t) {
            if (self->state_ == state::closed) return;
            if (ec) return self->close(ec);
            for (std::size_t i = 0; i < self->writing_count_ && !self->write_queue_.empty(); ++i)
                self->write_queue_.pop_front();
            self->write_next();
        });
    }

    /// async_read's completion condition for a response body: each read may take all that is still
    /// missing. (Asio's transfer_all asks for at most 64 KiB per read: a 2.6 MB Fetch response took
    /// about 40 recvfrom calls and as many readiness waits; now a read takes what the socket holds.)
    struct whole_remainder {
        std::size_t size;
        std::size_t operator()(const std::error_code& ec, std::size_t done) const { return ec ? 0 : size - done; }
    };

    void read_next() {
        asio::async_read(
            *stream_, asio::buffer(size_buf_), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
                if (self->state_ == state::closed) return;
                if (ec) return self->close(ec == asio::error::eof ? make_error_code(client_errc::disconnected) : ec);
                auto n =
                    protocol::from_big_endian<std::int32_t>(reinterpret_cast<const std::byte*>(self->size_buf_.data()));
                if (n < 4 || n > max_response_size) return self->close(client_errc::malformed_response);
                auto body = self->frames_->get(static_cast<std::size_t>(n));
                asio::async_read(*self->stream_, asio::buffer(body->data(), body->size()),
                                 whole_remainder{body->size()}, [self, body](std::error_code ec2, std::size_t) {
                                     if (self->state_ == state::closed) return;
                                     if (ec2)
                                         return self->close(ec2 == asio::error::eof
                                                                ? make_error_code(client_errc::disconnected)
                                                                : ec2);
                                     self->deliver(body);
                                 });
            });
    }

    void deliver(std::shared_ptr<frame_buffer> body) {
        auto id = protocol::peek_correlation_id(*body);
        if (in_flight_.empty() || !id || *id != in_flight_.front().correlation_id)
            return close(client_errc::correlation_mismatch);
        auto req = std::move(in_flight_.front());
        in_flight_.pop_front();
        read_next();
        req.done({}, std::move(body));
        if (reauth_ == reauth_phase::draining && in_flight_.empty() && state_ == state::ready) start_sasl();
    }

    asio::any_io_executor executor_;
    Transport& transport_;
    broker_address address_;
    std::string client_id_;
    std::chrono::milliseconds request_timeout_;
    std::unique_ptr<typename Transport::stream_type> stream_;
    state state_ = state::idle;
    std::error_code close_reason_{};
    std::string close_detail_;
    std::optional<sasl_credentials> sasl_credentials_;
    std::optional<sasl_session> sasl_;
    std::function<void(std::error_code)> on_state_;
    typename clock::time_point connect_deadline_{};
    std::map<std::int16_t, protocol::versions> broker_versions_;
    std::int32_t correlation_ = 0;
    std::deque<pending> in_flight_;
    std::size_t last_frame_bytes_ = 0;
    std::deque<byte_buffer> write_queue_;
    std::vector<asio::const_buffer> buffers_;
    std::size_t writing_count_ = 0;
    bool writing_ = false;
    std::array<unsigned char, 4> size_buf_{};
    std::optional<typename clock::time_point> reauth_at_;
    reauth_phase reauth_ = reauth_phase::none;
    std::deque<held_request> held_;
    std::size_t reauthentications_ = 0;
    std::function<void()> on_reauthenticated_;
    std::minstd_rand random_{std::random_device{}()};
    std::shared_ptr<frame_pool> frames_ = frame_pool::create();
};

}  // namespace kafka::client
