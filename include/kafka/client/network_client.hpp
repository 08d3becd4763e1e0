// The consumer's network client (Java's ConsumerNetworkClient), over a transport policy.
//
// send() only queues: a request goes into the per-node *unsent* queue and a
// future is returned; nothing touches the network. poll_step() does the work
// that is ready, on the caller's thread, without ever waiting: it runs the
// *pendingCompletion* queue (where responses are decoded and futures
// completed), opens connections on demand (with reconnect backoff), writes
// every unsent request whose connection is ready, expires what timed out, and
// says when it next needs to run even if no I/O arrives. The client owns no
// thread.
//
// Two ways to drive it, one engine:
//   - blocking: constructed on an io_context it may run; poll(timeout) is
//     poll_step() around the transport's run_for(io, wait), the one place a
//     blocking consumer waits.
//   - on an executor someone else runs (the user's): the I/O handlers run
//     there, park their completions and call the wake handler
//     (set_wake_handler), and the owner calls poll_step() when woken or when
//     the time it returned has come. poll() is refused.
//
// Errors are values here: a wakeup() or an authentication failure is taken
// with take_wakeup() / take_authentication_failure(); only the public face
// throws.
//
// Node ids: brokers use their broker id, bootstrap servers -1, -2, ..., and the
// group coordinator INT32_MAX - id, so that group traffic (heartbeats, commits)
// has its own connection and never queues behind a long-polling Fetch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <kafka/client/backoff.hpp>
#include <kafka/client/connection.hpp>
#include <kafka/client/future.hpp>
#include <kafka/client/transport.hpp>
#include <kafka/exceptions.hpp>

namespace kafka {

namespace client {

/// A decoded response, with the frame it was decoded from (record views point into it).
template <class R>
struct response {
    R body;
    frame_ptr frame;
    std::int16_t version = 0;
    std::int32_t node = -1;
};

struct client_options {
    std::string client_id = "kafka-cpp";
    std::chrono::milliseconds request_timeout{30000};
    std::chrono::milliseconds reconnect_backoff{50};
    std::chrono::milliseconds reconnect_backoff_max{1000};
    std::chrono::milliseconds retry_backoff{100};
    // Connecting (TCP, TLS, ApiVersions, SASL) may take this long, doubled per consecutive failure
    // to reach the node up to the max, with 20% jitter (Java's socket.connection.setup.timeout.*).
    std::chrono::milliseconds connection_setup_timeout{10000};
    std::chrono::milliseconds connection_setup_timeout_max{30000};
    // A connection with nothing in flight or queued and no traffic for this long is closed (not a
    // failure: no backoff; the next request opens a new one). connections.max.idle.ms.
    std::chrono::milliseconds connections_max_idle{540000};
    std::optional<sasl_credentials> sasl;  // SASL_PLAINTEXT / SASL_SSL
};

/// A node's connection that failed to open or closed with an error, as on_disconnect reports it.
template <class Duration>
struct disconnect_event {
    std::int32_t node = -1;
    broker_address address;
    std::error_code error;
    std::string detail;        // the broker's words, when it gave any (a SASL failure)
    bool established = false;  // false: the connection never became ready (connect, TLS, SASL failed)
    Duration backoff{};        // until the next attempt to connect to this node
};

/// What the network client tells its event observer, for metrics (Java's Selector and
/// NetworkClient sensors): connections opened and closed, requests written, responses read,
/// sessions re-authenticated (KIP-368).
struct client_event {
    enum class kind { connection_created, connection_closed, request_sent, response_received, reauthenticated };
    kind what = kind::request_sent;
    std::int32_t node = -1;
    std::int16_t api_key = -1;
    std::size_t bytes = 0;               // request_sent: the frame written; response_received: the frame read
    std::chrono::nanoseconds latency{};  // response_received: from queueing the write to the response
};

/// Authentication failures (TLS handshake, SASL) are not retried: the consumer reports them.
inline bool is_authentication_error(std::error_code ec) noexcept {
    if (ec == errc::sasl_authentication_failed || ec == errc::illegal_sasl_state ||
        ec == errc::unsupported_sasl_mechanism)
        return true;
#ifdef KAFKA_HAVE_OPENSSL
    if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated) return true;
#endif
    return false;
}

namespace detail {

/// A request on its way through the network client, with the future it completes. Queueing,
/// version choice, sending, expiry and failure see only this interface, so they are compiled once
/// per transport; encoding the request and decoding its response are the per-message parts.
class pending_call : public request_encoder {
public:
    pending_call(std::int16_t api_key, protocol::versions valid) noexcept : api_key_(api_key), valid_(valid) {}
    pending_call(const pending_call&) = delete;
    pending_call& operator=(const pending_call&) = delete;
    virtual ~pending_call() = default;

    std::int16_t api_key() const noexcept { return api_key_; }
    protocol::versions valid() const noexcept { return valid_; }
    /// Completes the future with the response decoded from `body` (or with the decoding error).
    virtual void complete(frame_ptr body, std::int16_t version, std::int32_t node) = 0;
    /// Fails the future with `ec`.
    virtual void fail(std::error_code ec) = 0;
    /// Drops the request once its frame is written.
    virtual void release_request() noexcept = 0;

private:
    std::int16_t api_key_;
    protocol::versions valid_;
};

template <protocol::api_message Req>
class call_of final : public pending_call {
public:
    using Resp = typename Req::response_type;

    explicit call_of(Req req) : pending_call(Req::api_key, Req::valid), req_(std::move(req)) {}

    const request_future<response<Resp>>& future() const noexcept { return fut_; }

    void encode_frame(byte_buffer& out, std::int16_t version, std::int32_t correlation_id,
                      std::string_view client_id) const override {
        protocol::encode_request(out, *req_, version, correlation_id, client_id);
    }
    void release_request() noexcept override { req_.reset(); }
    void fail(std::error_code ec) override { fut_.raise(ec); }
    void complete(frame_ptr body, std::int16_t version, std::int32_t node) override {
        response<Resp> r;
        r.version = version;
        r.node = node;
        auto id = protocol::peek_correlation_id(*body).value_or(0);
        if (auto dec = protocol::decode_response(*body, version, id, r.body)) return fut_.raise(dec);
        r.frame = std::move(body);
        fut_.complete(std::move(r));
    }

private:
    std::optional<Req> req_;
    request_future<response<Resp>> fut_;
};

}  // namespace detail

inline constexpr std::int32_t coordinator_node_base = INT32_MAX;
constexpr std::int32_t coordinator_node_id(std::int32_t broker_id) noexcept {
    return coordinator_node_base - broker_id;
}

template <transport Transport>
class network_client {
public:
    using clock = typename Transport::clock_type;
    using duration = typename clock::duration;
    using time_point = typename clock::time_point;
    using connection_type = connection<Transport>;

    /// Blocking use: poll() may run `io` (through the transport's run_for) to wait for I/O.
    network_client(asio::io_context& io, Transport& transport, client_options opts)
        : executor_(io.get_executor()), io_(&io), transport_(transport), opts_(std::move(opts)) {}
    /// On an executor run by someone else: drive with poll_step() (see set_wake_handler).
    network_client(asio::any_io_executor executor, Transport& transport, client_options opts)
        : executor_(std::move(executor)), transport_(transport), opts_(std::move(opts)) {}
    /// Either of the above: blocking when `io` is given (its executor is used), else on `executor`.
    network_client(asio::io_context* io, asio::any_io_executor executor, Transport& transport, client_options opts)
        : executor_(io ? asio::any_io_executor(io->get_executor()) : std::move(executor)),
          io_(io),
          transport_(transport),
          opts_(std::move(opts)) {}

    network_client(const network_client&) = delete;
    network_client& operator=(const network_client&) = delete;
    ~network_client() {
        for (auto& [id, n] : nodes_)
            if (n.conn) n.conn->close(make_error_code(client_errc::closed));
    }

    const client_options& options() const noexcept { return opts_; }
    Transport& transport() noexcept { return transport_; }
    const asio::any_io_executor& get_executor() const noexcept { return executor_; }
    /// True when constructed on an io_context that poll() may run.
    bool can_block() const noexcept { return io_ != nullptr; }

    /// Called from an I/O handler each time a completion is parked (executor use: schedule a
    /// poll_step). Runs on the executor's thread, inside the handler: it must only schedule.
    void set_wake_handler(std::function<void()> wake) { pending_.set_on_push(std::move(wake)); }
    time_point now() const { return transport_.now(); }

    /// Declares (or moves) a node. An existing connection to an old address is closed.
    void set_node(std::int32_t id, const std::string& host, std::uint16_t port) {
        auto& n = nodes_[id];
        broker_address a{id, host, port};
        if (n.conn && !(n.conn->address() == a)) n.conn->close(make_error_code(client_errc::disconnected));
        n.address = a;
    }
    bool has_node(std::int32_t id) const { return nodes_.count(id) != 0; }
    std::optional<broker_address> node_address(std::int32_t id) const {
        auto it = nodes_.find(id);
        if (it == nodes_.end()) return std::nullopt;
        return it->second.address;
    }

    using disconnect_info = disconnect_event<duration>;
    /// Called (from poll, never inside an I/O handler) when a node's connection fails to open or
    /// closes with an error: metadata uses it to refresh, the consumer to log it.
    void on_disconnect(std::function<void(const disconnect_info&)> fn) { on_disconnect_ = std::move(fn); }

    /// Called (from poll, never inside an I/O handler) for each client_event.
    void on_event(std::function<void(const client_event&)> fn) { on_event_ = std::move(fn); }

    /// Queues `req` for `node`. The future completes from a later poll(). The version is the
    /// highest both sides support, at most `version` when given (unsupported_version if none).
    template <protocol::api_message Req>
    request_future<response<typename Req::response_type>> send(std::int32_t node, Req req,
                                                               std::optional<std::int16_t> version = {},
                                                               std::optional<std::chrono::milliseconds> timeout = {}) {
        auto call = std::make_shared<detail::call_of<Req>>(std::move(req));
        auto fut = call->future();
        enqueue(node, std::move(call), version, timeout);
        return fut;
    }

    /// Number of requests queued or in flight to `node`.
    std::size_t pending_requests(std::int32_t node) const {
        auto it = nodes_.find(node);
        if (it == nodes_.end()) return 0;
        return it->second.unsent.size() + (it->second.conn ? it->second.conn->in_flight() : 0);
    }
    std::size_t pending_requests() const {
        std::size_t n = 0;
        for (auto const& [id, node] : nodes_) n += pending_requests(id);
        return n;
    }
    bool has_pending_completions() const noexcept { return !pending_.empty(); }

    /// True when `node` has a connection that has negotiated versions.
    bool is_ready(std::int32_t node) const {
        auto it = nodes_.find(node);
        return it != nodes_.end() && it->second.conn && it->second.conn->ready();
    }
    /// The negotiated version for an API on `node`, if connected.
    std::optional<std::int16_t> version_for(std::int32_t node, std::int16_t key, protocol::versions ours) const {
        auto it = nodes_.find(node);
        if (it == nodes_.end() || !it->second.conn || !it->second.conn->ready()) return std::nullopt;
        return it->second.conn->pick_version(key, ours);
    }
    /// True while `node` is in reconnect backoff after a failure.
    bool is_blacked_out(std::int32_t node) const {
        auto it = nodes_.find(node);
        return it != nodes_.end() && now() < it->second.retry_at;
    }

    /// Which nodes least_loaded_node() may pick: brokers have ids >= 0, bootstrap servers < 0.
    enum class node_pool { any, brokers, bootstrap };

    /// The known node with the fewest outstanding requests that is not backing off (Java's
    /// leastLoadedNode); nullopt when every node of the pool is backing off after a failure.
    std::optional<std::int32_t> least_loaded_node(node_pool pool = node_pool::any) const {
        std::optional<std::int32_t> best;
        std::size_t best_load = SIZE_MAX;
        auto t = now();
        for (auto const& [id, n] : nodes_) {
            if (id >= coordinator_node_base / 2) continue;  // coordinator aliases
            if (id < 0 && pool == node_pool::brokers) continue;
            if (id >= 0 && pool == node_pool::bootstrap) continue;
            if (t < n.retry_at) continue;
            auto load = n.unsent.size() + (n.conn ? n.conn->in_flight() : 0);
            if (n.conn && n.conn->ready())
                load = load * 2;  // prefer connected nodes
            else
                load = load * 2 + 1;
            if (load < best_load) {
                best = id;
                best_load = load;
            }
        }
        return best;
    }

    /// True when `pool` has nodes and none is reachable as far as the client knows: none has a
    /// ready connection and the latest attempt to connect to each failed. (Whether a reconnect
    /// backoff happens to be running says less: with backoffs capped near a second, some node's
    /// has always just ended.)
    bool all_unreachable(node_pool pool) const {
        bool any = false;
        for (auto const& [id, n] : nodes_) {
            if (id >= coordinator_node_base / 2) continue;
            if ((id < 0 && pool == node_pool::brokers) || (id >= 0 && pool == node_pool::bootstrap)) continue;
            any = true;
            if ((n.conn && n.conn->ready()) || n.failures == 0) return false;
        }
        return any;
    }

    /// One step that never waits: runs parked completions, opens connections, writes what can be
    /// written, expires requests and queued work that timed out, and runs the completions that
    /// produced. Returns when the client needs the next step even without I/O (a request or
    /// connect deadline, the end of a reconnect backoff); nullopt when only I/O can wake it.
    std::optional<time_point> poll_step() {
        pending_.run_all();
        auto t = now();
        for (auto& [id, n] : nodes_) {
            if (n.conn) n.conn->expire(t);
            expire_unsent(id, n, t);
            close_if_idle(n, t);
        }
        try_send(t);
        pending_.run_all();
        if (!pending_.empty()) return t;
        return next_deadline();
    }

    /// Blocking use: one step, a wait for I/O of at most `timeout` (none when completions are
    /// pending or `should_block` says no, shorter when a deadline comes first), another step.
    void poll(duration timeout, const std::function<bool()>& should_block = {}) {
        if (!io_)
            throw kafka_error(make_error_code(client_errc::illegal_state),
                              "network_client::poll() waits on an io_context this client does not own; on an executor, "
                              "drive it with poll_step()");
        pending_.run_all();
        auto t = now();
        try_send(t);
        auto wait = timeout;
        if (auto d = next_deadline(); d) wait = std::min(wait, std::max(duration::zero(), *d - t));
        if (!pending_.empty() || (should_block && !should_block())) wait = duration::zero();
        transport_.run_for(*io_, wait);
        drain_io();
        poll_step();
        drain_io();
        pending_.run_all();
    }

    /// Polls until `done()` or `timeout` passes; returns done().
    template <class Done>
    bool poll_until(duration timeout, Done&& done) {
        auto deadline = now() + timeout;
        while (!done()) {
            auto left = deadline - now();
            if (left <= duration::zero()) {
                poll(duration::zero());
                return done();
            }
            poll(left, [&] { return !done(); });
        }
        return true;
    }

    template <class T>
    bool poll_future(request_future<T>& f, duration timeout) {
        return poll_until(timeout, [&] { return f.is_done(); });
    }

    /// From any thread: marks a wakeup (take_wakeup() returns it once) and ends a wait in poll().
    void wakeup() {
        wakeup_.store(true, std::memory_order_release);
        asio::post(executor_, [] {});
    }
    /// True once after each wakeup(); clears it.
    bool take_wakeup() noexcept { return wakeup_.exchange(false, std::memory_order_acq_rel); }

    /// Closes the connection of `node`, failing its requests with `why`.
    void disconnect(std::int32_t node, std::error_code why) {
        auto it = nodes_.find(node);
        if (it == nodes_.end()) return;
        if (it->second.conn) it->second.conn->close(why);
        fail_unsent(it->second, why);
    }

    /// Closes every connection and fails what is queued (a closed consumer on someone else's
    /// executor leaves no I/O pending there, so that executor can run out of work).
    void disconnect_all(std::error_code why) {
        for (auto& [id, n] : nodes_) {
            if (n.conn) n.conn->close(why);
            fail_unsent(n, why);
        }
    }

    /// Fails everything queued for `node` that has not been written yet.
    void fail_unsent(std::int32_t node, std::error_code why) {
        auto it = nodes_.find(node);
        if (it != nodes_.end()) fail_unsent(it->second, why);
    }

    /// An authentication failure (TLS or SASL), with a sentence naming the broker; such errors are
    /// not retried. Returned once: the next call returns nothing until another failure.
    std::optional<error_report> take_authentication_failure() {
        if (!auth_error_) return std::nullopt;
        error_report f{auth_error_, std::move(auth_error_text_)};
        auth_error_ = {};
        auth_error_text_.clear();
        return f;
    }

    /// The last connection error of `node` (empty if none or connected).
    std::error_code connection_error(std::int32_t node) const {
        auto it = nodes_.find(node);
        if (it == nodes_.end()) return {};
        return it->second.last_error;
    }

private:
    struct unsent_request {
        std::int16_t api_key = 0;
        time_point created{};
        std::int32_t node = -1;
        std::shared_ptr<detail::pending_call> call;
        std::optional<std::int16_t> forced;  // version cap
        std::optional<std::chrono::milliseconds> timeout;
    };
    struct node_state {
        broker_address address;
        std::shared_ptr<connection_type> conn;
        std::deque<unsent_request> unsent;
        time_point retry_at{};
        time_point last_used{};  // the last request written or response read
        bool closing_idle = false;
        int failures = 0;
        std::error_code last_error{};
        std::string last_detail;
    };

    void enqueue(std::int32_t node, std::shared_ptr<detail::pending_call> call, std::optional<std::int16_t> forced,
                 std::optional<std::chrono::milliseconds> timeout) {
        auto it = nodes_.find(node);
        if (it == nodes_.end()) {
            pending_.push([call] { call->fail(make_error_code(client_errc::illegal_state)); });
            return;
        }
        unsent_request u;
        u.api_key = call->api_key();
        u.created = now();
        u.node = node;
        u.call = std::move(call);
        u.forced = forced;
        u.timeout = timeout;
        it->second.unsent.push_back(std::move(u));
    }

    // Writes `u` on `c`; false when the two sides have no version in common.
    bool start(unsent_request& u, connection_type& c) {
        auto const& call = u.call;
        // `forced` caps the version (the highest both sides serve at or below it); a cap below
        // what the broker serves yields no version, so forcing an exact version works too.
        auto chosen =
            c.pick_version(call->api_key(), u.forced ? protocol::versions{call->valid().lo, *u.forced} : call->valid());
        if (!chosen) return false;
        auto sent_at = now();
        if (auto it = nodes_.find(u.node); it != nodes_.end()) it->second.last_used = sent_at;
        c.send(
            call->api_key(), *call, *chosen,
            [this, call, node = u.node, v = *chosen, sent_at](std::error_code ec, frame_ptr body) {
                // Runs inside an I/O handler: park it; decoding and listeners happen in poll().
                pending_.push([this, call, node, v, ec, sent_at, body = std::move(body)]() mutable {
                    if (ec) return call->fail(ec);
                    if (auto it = nodes_.find(node); it != nodes_.end()) it->second.last_used = now();
                    if (on_event_)
                        on_event_({client_event::kind::response_received, node, call->api_key(), body->size() + 4,
                                   std::chrono::duration_cast<std::chrono::nanoseconds>(now() - sent_at)});
                    call->complete(std::move(body), v, node);
                });
            },
            u.timeout);
        if (on_event_) on_event_({client_event::kind::request_sent, u.node, call->api_key(), c.last_frame_bytes(), {}});
        call->release_request();
        return true;
    }

    void fail(unsent_request& u, std::error_code ec) {
        pending_.push([call = std::move(u.call), ec] { call->fail(ec); });
    }

    void drain_io() {
        io_->poll();
        if (io_->stopped()) io_->restart();
    }

    std::optional<time_point> next_deadline() const {
        std::optional<time_point> best;
        for (auto const& [id, n] : nodes_) {
            if (n.conn) {
                if (auto d = n.conn->next_deadline(); d && (!best || *d < *best)) best = d;
            }
            if (!n.unsent.empty()) {
                // Queued requests expire at the request timeout. A node with no live connection
                // needs one started as soon as its backoff allows; one that is still connecting
                // is bounded by its own connect deadline above, and wakes poll when it is ready.
                auto d = n.unsent.front().created + opts_.request_timeout;
                if (!n.conn || n.conn->closed()) d = std::min(d, std::max(n.retry_at, now()));
                if (!best || d < *best) best = d;
            }
        }
        return best;
    }

    void try_send(time_point t) {
        for (auto& [id, n] : nodes_) {
            if (n.unsent.empty()) continue;
            if (!n.conn || n.conn->closed()) {
                if (t < n.retry_at) continue;
                connect(id, n);
                continue;
            }
            if (!n.conn->ready()) continue;
            while (!n.unsent.empty()) {
                auto u = std::move(n.unsent.front());
                n.unsent.pop_front();
                if (!start(u, *n.conn)) fail(u, make_error_code(client_errc::unsupported_version));
            }
        }
    }

    void connect(std::int32_t id, node_state& n) {
        auto conn = std::make_shared<connection_type>(executor_, transport_, n.address, opts_.client_id,
                                                      opts_.request_timeout, opts_.sasl);
        n.conn = conn;
        conn->on_reauthenticated([this, id] {
            pending_.push([this, id] {
                if (on_event_) on_event_({client_event::kind::reauthenticated, id, -1, 0, {}});
            });
        });
        n.last_used = now();
        std::weak_ptr<connection_type> weak = conn;
        auto on_state = [this, id, weak, established = false](std::error_code ec) mutable {
            auto it = nodes_.find(id);
            if (it == nodes_.end() || it->second.conn != weak.lock()) return;
            auto& node = it->second;
            if (node.closing_idle) {
                // Closed by close_if_idle: not a failure (no backoff), nothing was waiting on it.
                node.closing_idle = false;
                pending_.push([this, id] {
                    if (on_event_) on_event_({client_event::kind::connection_closed, id, -1, 0, {}});
                });
                return;
            }
            if (!ec) {
                established = true;
                node.last_used = now();
                node.failures = 0;
                node.last_error = {};
                // Its unsent requests can go now: the next step writes them (this wakes an executor's owner).
                pending_.push([this, id] {
                    if (on_event_) on_event_({client_event::kind::connection_created, id, -1, 0, {}});
                });
                return;
            }
            if (established)
                pending_.push([this, id] {
                    if (on_event_) on_event_({client_event::kind::connection_closed, id, -1, 0, {}});
                });
            node.last_error = ec;
            if (auto c = weak.lock()) node.last_detail = c->close_detail();
            if (is_authentication_error(ec) && !auth_error_) {
                auth_error_ = ec;
                auth_error_text_ = "authentication with " + node.address.host + ":" +
                                   std::to_string(node.address.port) + " failed" +
                                   (node.last_detail.empty() ? "" : " (" + node.last_detail + ")");
            }
            node.retry_at = now() + std::chrono::duration_cast<duration>(reconnect_backoff_.after(node.failures));
            ++node.failures;
            // Queued requests for a node that cannot be reached fail now (Java's checkDisconnects);
            // callers retry against fresh metadata.
            fail_unsent(node, ec);
            if (on_disconnect_) {
                disconnect_info e{id,          node.address,
                                  ec,          node.last_detail,
                                  established, std::chrono::duration_cast<duration>(node.retry_at - now())};
                pending_.push([cb = on_disconnect_, e = std::move(e)] { cb(e); });
            }
        };
        conn->open(std::move(on_state), setup_timeout_.after(n.failures));
    }

    void close_if_idle(node_state& n, time_point t) {
        if (!n.conn || !n.conn->ready() || n.conn->in_flight() != 0 || !n.unsent.empty()) return;
        if (t - n.last_used < opts_.connections_max_idle) return;
        n.closing_idle = true;
        n.conn->close(make_error_code(client_errc::closed));
    }

    void fail_unsent(node_state& n, std::error_code why) {
        auto q = std::move(n.unsent);
        n.unsent.clear();
        for (auto& u : q) fail(u, why);
    }

    void expire_unsent(std::int32_t, node_state& n, time_point t) {
        while (!n.unsent.empty() && t - n.unsent.front().created >= opts_.request_timeout) {
            auto u = std::move(n.unsent.front());
            n.unsent.pop_front();
            fail(u, make_error_code(client_errc::request_timed_out));
        }
    }

    asio::any_io_executor executor_;
    asio::io_context* io_ = nullptr;  // blocking use only
    Transport& transport_;
    client_options opts_;
    std::map<std::int32_t, node_state> nodes_;
    completion_queue pending_;
    std::function<void(const disconnect_info&)> on_disconnect_;
    std::function<void(const client_event&)> on_event_;
    std::atomic<bool> wakeup_{false};
    std::error_code auth_error_{};
    std::string auth_error_text_;
    // Both grow per consecutive failure to reach a node, with 20% jitter, as Java's.
    exponential_backoff reconnect_backoff_{opts_.reconnect_backoff, opts_.reconnect_backoff_max};
    exponential_backoff setup_timeout_{opts_.connection_setup_timeout, opts_.connection_setup_timeout_max};
};

}  // namespace client
}  // namespace kafka
