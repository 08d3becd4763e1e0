// The fake cluster's front end (see kafka/testing/fake_cluster.hpp): broker nodes listening on a
// sim_network, their connections, request framing, dispatch by API key to the services that
// registered for it, the versions served, and fault injection. It knows no API but ApiVersions:
// the logs (fake/log.hpp) and the group coordinators (fake/group_coordinator.hpp,
// fake/classic_group.hpp) register their handlers with serve(), and a new service (another kind
// of group) is one more file that does the same.
//
// Connections: requests of one connection are handled one at a time, in order (Kafka mutes a
// connection until it answered): the next request is read when the previous response is
// delivered, `latency` (per node) after the request was handled. A request of an API nobody
// serves, or of a version outside what is served, closes the connection.
//
// Faults: inject(api_key, error_code) makes the next request of that API reach its handler with
// the error (the handler answers with it and does nothing else); drop(api_key, n) swallows the next
// n requests (not handled, never answered: the connection stays muted until the client gives up).
// on_response(rewrite) hands every response frame to `rewrite` before it is delivered, which may
// change any byte of it, its size prefix included (the engine fuzz target mutates answers so).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/protocol/frame.hpp>
#include <kafka/protocol/messages/api_versions.hpp>
#include <kafka/testing/in_memory_transport.hpp>

namespace kafka::testing {

/// A request as it reached a node (for fake_cluster::on_request observers).
struct request_info {
    std::int32_t node = -1;
    std::int16_t api_key = -1;
    std::int16_t version = -1;
    std::int32_t correlation_id = 0;
    bytes_view frame;  // after the size prefix: decode with protocol::decode_request
};

/// A response about to be delivered (for fake_cluster::on_response rewriters).
struct response_info {
    std::int32_t node = -1;
    std::int16_t api_key = -1;
    std::int16_t version = -1;
    std::int32_t correlation_id = 0;
};
/// Rewrites a response's bytes (size prefix included) before they are delivered.
using response_rewriter = std::function<void(const response_info&, byte_buffer& frame)>;

namespace fake {

using time_point = sim_clock::time_point;
using duration = sim_clock::duration;

struct node_t {
    std::int32_t id = 0;
    std::string host;
    std::uint16_t port = 0;
    bool down = false;
    duration latency{};
};

struct conn_t {
    std::int32_t node = -1;
    std::weak_ptr<detail::sim_socket> socket;
    byte_buffer in;
    bool busy = false;  // a request is being handled: the next one waits for its response
    bool dead = false;
    bool authenticated = false;                 // SASL (fake/sasl.hpp), when the cluster asks for it
    std::optional<time_point> session_expires;  // KIP-368: requests after this close the connection
};

/// Where a response goes: the connection, and the version and correlation id of the request.
struct reply_t {
    std::shared_ptr<conn_t> conn;
    std::int16_t version = 0;
    std::int32_t correlation_id = 0;
};

/// An error injected into the next request of an API (nullopt: none).
using injected_error = std::optional<std::int16_t>;

struct wire_options {
    int brokers = 3;
    std::string host = "sim";
    std::uint16_t base_port = 9092;  // node i listens on base_port + i
    duration latency = std::chrono::milliseconds(1);
};

class wire : public std::enable_shared_from_this<wire> {
public:
    /// Decodes a request's frame and handles it (the connection is closed if it does not decode).
    using frame_handler = std::function<void(const std::shared_ptr<conn_t>&, const byte_buffer&)>;

    explicit wire(const wire_options& o) {
        for (int i = 0; i < std::max(1, o.brokers); ++i) {
            node_t n;
            n.id = i;
            n.host = o.host;
            n.port = static_cast<std::uint16_t>(o.base_port + i);
            n.latency = o.latency;
            nodes_.push_back(n);
        }
    }
    wire(const wire&) = delete;
    wire& operator=(const wire&) = delete;

    /// Listens on every node's endpoint (needs the shared_ptr that owns this).
    void start() {
        for (auto const& n : nodes_) listen(n);
    }

    sim_network& network() noexcept { return net_; }
    const sim_network& network() const noexcept { return net_; }
    time_point now() const noexcept { return net_.now(); }
    /// Runs `fn` at `at` of simulated time, unless the cluster is gone by then.
    void at(time_point when, std::function<void()> fn) {
        net_.schedule(when, [weak = weak_from_this(), fn = std::move(fn)] {
            if (auto me = weak.lock()) fn();
        });
    }

    // ---- nodes ----------------------------------------------------------------------------

    const std::vector<node_t>& nodes() const noexcept { return nodes_; }
    node_t& node(std::int32_t id) {
        for (auto& n : nodes_)
            if (n.id == id) return n;
        throw std::out_of_range("fake_cluster: no node " + std::to_string(id));
    }
    const node_t& node(std::int32_t id) const { return const_cast<wire*>(this)->node(id); }
    bool is_up(std::int32_t id) const {
        for (auto const& n : nodes_)
            if (n.id == id) return !n.down;
        return false;
    }
    /// The first live node after `id` in node order (wrapping; `id` itself last).
    std::optional<std::int32_t> next_live_after(std::int32_t id) const {
        std::size_t at = 0;
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].id == id) at = i;
        for (std::size_t k = 1; k <= nodes_.size(); ++k) {
            auto const& n = nodes_[(at + k) % nodes_.size()];
            if (!n.down) return n.id;
        }
        return std::nullopt;
    }
    /// A down node refuses connections and its open ones are closed (leadership is the logs' business).
    void set_down(std::int32_t id, bool down) {
        auto& n = node(id);
        n.down = down;
        net_.set_endpoint_down(n.host, n.port, down);
        if (down) close_connections(id);
    }
    /// Moves a node to another port (a broker restarted with another listener): its connections
    /// close, its old address refuses connections, and answers name the new one.
    void move(std::int32_t id, std::uint16_t port) {
        auto& n = node(id);
        close_connections(id);
        net_.set_endpoint_down(n.host, n.port, true);
        n.port = port;
        listen(n);
        net_.set_endpoint_down(n.host, n.port, n.down);
    }
    void set_latency(std::int32_t id, duration d) {
        auto& n = node(id);
        n.latency = d;
        net_.set_connect_delay(n.host, n.port, d);
    }

    // ---- connections ----------------------------------------------------------------------

    void listen(const node_t& n) {
        net_.listen(
            n.host, n.port,
            [weak = weak_from_this(), id = n.id](const std::shared_ptr<detail::sim_socket>& s) {
                if (auto me = weak.lock()) me->accept(id, s);
            },
            n.latency);
    }

    void close_connections(std::int32_t node_id) {
        for (auto const& w : conns_)
            if (auto c = w.lock(); c && c->node == node_id) close_conn(*c);
        std::erase_if(conns_, [](auto const& w) { return w.expired(); });
    }
    void close_conn(conn_t& c) {
        c.dead = true;
        if (auto s = c.socket.lock()) s->close_from_server();
    }

    /// Answers a request `latency` of its node from now; the connection then reads its next request.
    template <class Resp>
    void send(const reply_t& r, const Resp& resp) {
        auto out = std::make_shared<byte_buffer>();
        protocol::encode_response(*out, resp, r.version, r.correlation_id);
        if (rewriter_) rewriter_(response_info{r.conn->node, Resp::api_key, r.version, r.correlation_id}, *out);
        auto c = r.conn;
        std::weak_ptr<wire> weak = weak_from_this();
        net_.schedule(net_.now() + node(c->node).latency, [weak, c, out] {
            auto me = weak.lock();
            if (!me || c->dead) return;
            auto s = c->socket.lock();
            if (!s || !s->connected()) {
                c->dead = true;
                return;
            }
            s->deliver(*out);
            c->busy = false;
            me->process(c);
        });
    }

    // ---- dispatch -------------------------------------------------------------------------

    /// Serves `Req` (every version its description has, less limit_version) with
    /// `fn(reply, request, injected_error)`. A later registration for the same API replaces it.
    template <protocol::api_message Req, class Fn>
    void serve(Fn fn) {
        services_[Req::api_key] = {
            Req::valid, [this, fn = std::move(fn)](const std::shared_ptr<conn_t>& c, const byte_buffer& frame) {
                Req req;
                std::int16_t version = 0;
                std::int32_t corr = 0;
                if (protocol::decode_request(frame, req, version, corr)) return close_conn(*c);
                auto injected = take_injection(Req::api_key);
                fn(reply_t{c, version, corr}, req, injected);
            }};
    }
    /// serve() with a member function of a service.
    template <class Service, protocol::api_message Req>
    void serve(Service* s, void (Service::*fn)(const reply_t&, Req&, injected_error)) {
        serve<Req>([s, fn](const reply_t& r, Req& req, injected_error e) { (s->*fn)(r, req, e); });
    }

    /// What ApiVersions advertises (by API key): every registered API and ApiVersions itself.
    std::vector<std::pair<std::int16_t, protocol::versions>> api_versions() const {
        std::map<std::int16_t, protocol::versions> all{
            {protocol::ApiVersionsRequest::api_key, protocol::ApiVersionsRequest::valid}};
        for (auto const& [k, s] : services_) all[k] = s.versions;
        std::vector<std::pair<std::int16_t, protocol::versions>> out(all.begin(), all.end());
        for (auto& [k, v] : out)
            if (auto it = version_limits_.find(k); it != version_limits_.end()) v.hi = std::min(v.hi, it->second);
        return out;
    }
    std::optional<protocol::versions> served(std::int16_t api_key) const {
        for (auto const& [k, v] : api_versions())
            if (k == api_key) return v;
        return std::nullopt;
    }

    // ---- faults and observation -----------------------------------------------------------

    void inject(std::int16_t api_key, std::int16_t error_code) { injections_[api_key].push_back(error_code); }
    void drop(std::int16_t api_key, int count) { drops_[api_key] += count; }
    void limit_version(std::int16_t api_key, std::int16_t max) { version_limits_[api_key] = max; }
    std::size_t request_count(std::int16_t api_key, std::optional<std::int32_t> node) const {
        std::size_t n = 0;
        for (auto const& [k, c] : counts_)
            if (k.second == api_key && (!node || k.first == *node)) n += c;
        return n;
    }
    void on_request(std::function<void(const request_info&)> observer) { observer_ = std::move(observer); }
    void on_response(response_rewriter rewrite) { rewriter_ = std::move(rewrite); }
    /// Admission of every request but ApiVersions (authentication, fake/sasl.hpp): a request the
    /// gate refuses closes its connection unanswered.
    void gate(std::function<bool(const conn_t&, std::int16_t api_key)> admits) { gate_ = std::move(admits); }

private:
    struct service {
        protocol::versions versions;
        frame_handler handle;
    };

    void accept(std::int32_t node_id, const std::shared_ptr<detail::sim_socket>& s) {
        auto c = std::make_shared<conn_t>();
        c->node = node_id;
        c->socket = s;
        std::weak_ptr<wire> weak = weak_from_this();
        std::weak_ptr<conn_t> wc = c;
        // The socket owns the connection state; the cluster keeps it weakly.
        s->on_data = [weak, c] {
            if (auto me = weak.lock()) me->process(c);
        };
        s->on_close = [wc] {
            if (auto cc = wc.lock()) cc->dead = true;
        };
        conns_.push_back(c);
        std::erase_if(conns_, [](auto const& w) { return w.expired(); });
    }

    // Reads whole frames, one at a time: the next only once the previous one was answered.
    void process(const std::shared_ptr<conn_t>& c) {
        if (c->dead) return;
        auto s = c->socket.lock();
        if (!s || !s->connected()) {
            c->dead = true;
            return;
        }
        auto more = s->take_written();
        c->in.insert(c->in.end(), more.begin(), more.end());
        while (!c->busy && !c->dead) {
            if (c->in.size() < 4) return;
            auto n = protocol::from_big_endian<std::int32_t>(c->in.data());
            if (n < 8 || n > (64 << 20)) return close_conn(*c);
            auto total = static_cast<std::size_t>(n) + 4;
            if (c->in.size() < total) return;
            byte_buffer frame(c->in.begin() + 4, c->in.begin() + static_cast<std::ptrdiff_t>(total));
            c->in.erase(c->in.begin(), c->in.begin() + static_cast<std::ptrdiff_t>(total));
            c->busy = true;
            handle(c, frame);
        }
    }

    void handle(const std::shared_ptr<conn_t>& c, const byte_buffer& frame) {
        if (frame.size() < 8) return close_conn(*c);
        auto api = protocol::from_big_endian<std::int16_t>(frame.data());
        auto version = protocol::from_big_endian<std::int16_t>(frame.data() + 2);
        auto corr = protocol::from_big_endian<std::int32_t>(frame.data() + 4);
        ++counts_[{c->node, api}];
        if (observer_) observer_(request_info{c->node, api, version, corr, frame});
        if (auto d = drops_.find(api); d != drops_.end() && d->second > 0) {
            --d->second;
            return;  // never answered: the connection stays busy until the client gives up
        }
        if (api == protocol::ApiVersionsRequest::api_key) return on_api_versions(c, frame, version, corr);
        if (gate_ && !gate_(*c, api)) return close_conn(*c);
        auto range = served(api);
        auto it = services_.find(api);
        if (!range || !range->contains(version) || it == services_.end()) return close_conn(*c);
        it->second.handle(c, frame);
    }

    injected_error take_injection(std::int16_t api_key) {
        auto it = injections_.find(api_key);
        if (it == injections_.end() || it->second.empty()) return std::nullopt;
        auto e = it->second.front();
        it->second.erase(it->second.begin());
        return e;
    }

    void on_api_versions(const std::shared_ptr<conn_t>& c, const byte_buffer& frame, std::int16_t version,
                         std::int32_t corr) {
        protocol::ApiVersionsResponse resp;
        auto range = *served(protocol::ApiVersionsRequest::api_key);
        if (!range.contains(version)) {
            // As Kafka: UNSUPPORTED_VERSION in the v0 layout, naming the ApiVersions versions served.
            resp.error_code = static_cast<std::int16_t>(errc::unsupported_version);
            resp.api_keys.push_back({protocol::ApiVersionsRequest::api_key, range.lo, range.hi});
            return send(reply_t{c, 0, corr}, resp);
        }
        protocol::ApiVersionsRequest req;
        std::int16_t v = 0;
        if (protocol::decode_request(frame, req, v, corr)) return close_conn(*c);
        if (auto e = take_injection(protocol::ApiVersionsRequest::api_key))
            resp.error_code = *e;
        else
            for (auto const& [k, r] : api_versions()) resp.api_keys.push_back({k, r.lo, r.hi});
        send(reply_t{c, v, corr}, resp);
    }

    sim_network net_;
    std::vector<node_t> nodes_;
    std::vector<std::weak_ptr<conn_t>> conns_;
    std::map<std::int16_t, service> services_;
    std::map<std::int16_t, std::vector<std::int16_t>> injections_;
    std::map<std::int16_t, int> drops_;
    std::map<std::int16_t, std::int16_t> version_limits_;
    std::map<std::pair<std::int32_t, std::int16_t>, std::size_t> counts_;
    std::function<void(const request_info&)> observer_;
    response_rewriter rewriter_;
    std::function<bool(const conn_t&, std::int16_t)> gate_;
};

}  // namespace fake
}  // namespace kafka::testing
