// An in-memory transport on simulated time: kafka::transport for tests that
// run the real engine (network client, fetcher, coordinator) without sockets
// and without ever sleeping.
//
//   kafka::testing::fake_cluster cluster;        // fake_cluster.hpp: brokers "sim:9092", ...
//   struct sim : kafka::default_policies {
//       using transport = kafka::testing::in_memory_transport;
//       static constexpr bool background_heartbeat = false;  // no real-time thread
//   };
//   kafka::KafkaConsumer<std::string, std::string, sim> c(config, {}, {}, cluster.transport());
//
// The pieces:
//   sim_clock            a steady clock whose now() is the simulated time of the thread's active
//                        simulation. One simulation at a time per thread: constructing a
//                        sim_network (a fake_cluster owns one) makes it the active one until it is
//                        destroyed. Transports read the time of the network they are bound to, so
//                        only code calling sim_clock::now() directly depends on that rule.
//   sim_network          simulated time, a queue of timed events, and listening endpoints by
//                        host:port. Time moves only when a transport's run_for() (or the test,
//                        through advance()) moves it, and it jumps straight to the next event.
//   sim_stream           an Asio AsyncReadStream/AsyncWriteStream over an in-memory pipe to an
//                        endpoint. Completion handlers are always posted to the stream's executor,
//                        never called inline. Bytes written reach the server side
//                        from an event at the current simulated time, so a broker never runs inside
//                        the engine's call that wrote them.
//   in_memory_transport  models kafka::transport: make_stream, async_connect (connection_refused
//                        when nothing listens at host:port or the endpoint is down), now(),
//                        run_for() and close().
//
// run_for(io, d) runs the handlers that are ready; if none is, it advances simulated time
// event by event (each event may deliver bytes to some stream) until a handler of `io` became
// ready or `d` has passed, and runs what became ready. Several io_contexts (several consumers)
// may share one sim_network: time is global, so one consumer's wait moves everyone's clock, and
// events for another consumer's streams simply queue handlers on its io_context until it runs.
//
// Threads: all of this is single-threaded, except that another thread may post to an
// io_context (that is what KafkaConsumer::wakeup() does). The idle hook (set_idle_hook) runs on
// the simulating thread each time run_for is about to move time forward; tests use it to act
// "while a poll is blocked", e.g. to call wakeup() from a second thread and join it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <kafka/client/transport.hpp>
#include <kafka/protocol/primitives.hpp>

namespace kafka::testing {

/// The simulated steady clock (nanosecond ticks). now() is the time of this thread's active
/// simulation, or the epoch when there is none.
struct sim_clock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<sim_clock, duration>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept;
};

namespace detail {

class sim_state;
inline thread_local sim_state* active_simulation = nullptr;

/// A move-only completion handler erased to `void(Args...)`, completed by posting it to its
/// associated executor (the stream's executor when it has none).
template <class... Args>
class posted_handler {
public:
    posted_handler() = default;
    template <class Handler>
    requires(!std::is_same_v<std::decay_t<Handler>, posted_handler>) explicit posted_handler(Handler&& h)
        : p_(std::make_unique<impl<std::decay_t<Handler>>>(std::forward<Handler>(h))) {}

    explicit operator bool() const noexcept { return p_ != nullptr; }

    /// Posts the handler with `args`; this object is empty afterwards.
    void post(const asio::any_io_executor& fallback, Args... args) {
        auto p = std::move(p_);
        if (p) p->post(fallback, std::move(args)...);
    }

private:
    struct base {
        virtual ~base() = default;
        virtual void post(const asio::any_io_executor& fallback, Args... args) = 0;
    };
    template <class H>
    struct impl final : base {
        template <class X>
        explicit impl(X&& x) : h(std::forward<X>(x)) {}
        void post(const asio::any_io_executor& fallback, Args... args) override {
            auto ex = asio::get_associated_executor(h, fallback);
            asio::post(ex, [h2 = std::move(h), ... a = std::move(args)]() mutable { std::move(h2)(std::move(a)...); });
        }
        H h;
    };
    std::unique_ptr<base> p_;
};

/// One in-memory connection: what the client wrote (for the server to take) and what the server
/// delivered (for the client to read). Shared by the client's stream and the server.
class sim_socket : public std::enable_shared_from_this<sim_socket> {
public:
    using executor_type = asio::any_io_executor;
    using io_handler = posted_handler<std::error_code, std::size_t>;

    sim_socket(executor_type ex, const std::shared_ptr<sim_state>& sim) : ex_(ex), sim_(sim) {}

    const executor_type& executor() const noexcept { return ex_; }
    std::shared_ptr<sim_state> simulation() const noexcept { return sim_.lock(); }
    bool is_open() const noexcept { return !closed_; }
    bool connected() const noexcept { return connected_ && !closed_; }
    bool peer_closed() const noexcept { return peer_closed_; }

    // ---- client side --------------------------------------------------------------------

    template <class MutableBuffers>
    void read_some(const MutableBuffers& buffers, io_handler h) {
        if (closed_) return h.post(ex_, make_error_code(asio::error::bad_descriptor), 0);
        note_read();
        if (asio::buffer_size(buffers) == 0) return h.post(ex_, std::error_code{}, 0);
        if (rx_pos_ < rx_.size()) {
            auto n = copy_out(buffers);
            return h.post(ex_, std::error_code{}, n);
        }
        if (peer_closed_) return h.post(ex_, make_error_code(asio::error::eof), 0);
        if (!connected_) return h.post(ex_, make_error_code(asio::error::not_connected), 0);
        if (pending_read_) return h.post(ex_, make_error_code(asio::error::in_progress), 0);
        pending_buffers_.assign(asio::buffer_sequence_begin(buffers), asio::buffer_sequence_end(buffers));
        pending_read_ = std::move(h);
    }

    template <class ConstBuffers>
    void write_some(const ConstBuffers& buffers, io_handler h);  // below sim_state

    /// Counts a read_some in the simulation's client_reads().
    void note_read();  // below sim_state

    /// The client closes: a pending read completes with operation_aborted; the server is told.
    void close();

    /// Called once the connect succeeded.
    void mark_connected() noexcept { connected_ = true; }

    // ---- server side --------------------------------------------------------------------

    /// Everything the client wrote since the last call.
    byte_buffer take_written() { return std::exchange(tx_, byte_buffer{}); }

    /// Makes `bytes` readable by the client now (completing a pending read).
    void deliver(bytes_view bytes) {
        if (closed_ || peer_closed_) return;
        rx_.insert(rx_.end(), bytes.begin(), bytes.end());
        if (pending_read_) {
            auto n = copy_out(pending_buffers_);
            pending_buffers_.clear();
            pending_read_.post(ex_, std::error_code{}, n);
        }
    }

    /// The server closes: once the bytes already delivered are read, reads get eof; writes fail.
    void close_from_server() {
        if (peer_closed_) return;
        peer_closed_ = true;
        if (pending_read_ && rx_pos_ == rx_.size()) {
            pending_buffers_.clear();
            pending_read_.post(ex_, make_error_code(asio::error::eof), 0);
        }
    }

    /// Set by the server on accept: called (from an event) after the client wrote bytes.
    std::function<void()> on_data;
    /// Set by the server on accept: called (from an event) after the client closed.
    std::function<void()> on_close;

private:
    template <class MutableBuffers>
    std::size_t copy_out(const MutableBuffers& buffers) {
        auto n = asio::buffer_copy(buffers, asio::buffer(rx_.data() + rx_pos_, rx_.size() - rx_pos_));
        rx_pos_ += n;
        if (rx_pos_ == rx_.size()) {
            rx_.clear();
            rx_pos_ = 0;
        }
        return n;
    }

    executor_type ex_;
    std::weak_ptr<sim_state> sim_;  // weak: events of the simulation hold sockets only weakly too
    bool connected_ = false;
    bool closed_ = false;
    bool peer_closed_ = false;
    byte_buffer rx_;
    std::size_t rx_pos_ = 0;
    byte_buffer tx_;
    std::vector<asio::mutable_buffer> pending_buffers_;
    io_handler pending_read_;
};

/// Simulated time, timed events and endpoints. Shared (by shared_ptr) by the sim_network handle,
/// every transport bound to it and every socket.
class sim_state : public std::enable_shared_from_this<sim_state> {
public:
    using time_point = sim_clock::time_point;
    using duration = sim_clock::duration;

    struct endpoint {
        bool down = false;
        duration connect_delay{};
        std::function<void(const std::shared_ptr<sim_socket>&)> accept;
    };

    /// Simulated time starts one hour after the clock's epoch, so that "never happened"
    /// (a default time_point) is well in the past, as with a real steady clock.
    time_point now() const noexcept { return now_; }

    /// Runs `fn` at `at` (or now, if `at` is past). Events at the same time run in the order scheduled.
    void schedule(time_point at, std::function<void()> fn) {
        if (at < now_) at = now_;
        events_.emplace(std::pair{at, seq_++}, std::move(fn));
    }
    void schedule_after(duration d, std::function<void()> fn) {
        schedule(now_ + std::max(d, duration::zero()), std::move(fn));
    }

    std::optional<time_point> next_event() const {
        if (events_.empty()) return std::nullopt;
        return events_.begin()->first.first;
    }

    /// Runs the events due now (and those they schedule for now). Returns how many ran.
    std::size_t run_due() {
        std::size_t n = 0;
        while (!events_.empty() && events_.begin()->first.first <= now_) {
            auto fn = std::move(events_.begin()->second);
            events_.erase(events_.begin());
            fn();
            ++n;
        }
        return n;
    }

    /// Moves time forward to `t`, running every event due on the way at its own time.
    void advance_to(time_point t) {
        run_due();
        while (!events_.empty() && events_.begin()->first.first <= t) {
            now_ = std::max(now_, events_.begin()->first.first);
            run_due();
        }
        if (t > now_) now_ = t;
    }

    std::map<std::pair<std::string, std::uint16_t>, endpoint>& endpoints() noexcept { return endpoints_; }

    /// Simulated time charged to a zero-length wait that finds nothing to do (see run_for).
    duration busy_poll_cost() const noexcept { return busy_poll_cost_; }
    void set_busy_poll_cost(duration d) noexcept { busy_poll_cost_ = d; }
    std::uint64_t busy_polls() const noexcept { return busy_polls_; }
    void count_busy_poll() noexcept { ++busy_polls_; }
    std::uint64_t client_reads() const noexcept { return client_reads_; }
    void count_client_read() noexcept { ++client_reads_; }

    void set_idle_hook(std::function<void()> h) { idle_hook_ = std::move(h); }
    void idle() {
        if (!idle_hook_) return;
        auto h = idle_hook_;  // the hook may replace itself
        h();
    }

private:
    time_point now_ = time_point(std::chrono::hours(1));
    std::uint64_t seq_ = 0;
    std::map<std::pair<time_point, std::uint64_t>, std::function<void()>> events_;
    std::map<std::pair<std::string, std::uint16_t>, endpoint> endpoints_;
    std::function<void()> idle_hook_;
    duration busy_poll_cost_ = std::chrono::microseconds(10);
    std::uint64_t busy_polls_ = 0;
    std::uint64_t client_reads_ = 0;
};

inline void sim_socket::note_read() {
    if (auto sim = sim_.lock()) sim->count_client_read();
}

template <class ConstBuffers>
void sim_socket::write_some(const ConstBuffers& buffers, io_handler h) {
    if (closed_) return h.post(ex_, make_error_code(asio::error::bad_descriptor), 0);
    if (peer_closed_) return h.post(ex_, make_error_code(asio::error::broken_pipe), 0);
    if (!connected_) return h.post(ex_, make_error_code(asio::error::not_connected), 0);
    auto n = asio::buffer_size(buffers);
    auto old = tx_.size();
    tx_.resize(old + n);
    asio::buffer_copy(asio::buffer(tx_.data() + old, n), buffers);
    h.post(ex_, std::error_code{}, n);
    if (auto sim = sim_.lock(); sim && n > 0)
        sim->schedule(sim->now(), [w = weak_from_this()] {
            auto s = w.lock();
            if (s && !s->closed_ && s->on_data) s->on_data();
        });
}

inline void sim_socket::close() {
    if (closed_) return;
    closed_ = true;
    rx_.clear();
    rx_pos_ = 0;
    if (pending_read_) {
        pending_buffers_.clear();
        pending_read_.post(ex_, make_error_code(asio::error::operation_aborted), 0);
    }
    // The server hears of it from an event (it may keep the socket only weakly: then it finds out
    // when it next looks).
    if (auto sim = sim_.lock(); sim && connected_ && on_close) sim->schedule(sim->now(), [cb = on_close] { cb(); });
}

}  // namespace detail

inline sim_clock::time_point sim_clock::now() noexcept {
    return detail::active_simulation ? detail::active_simulation->now() : time_point{};
}

/// A simulation: simulated time, timed events and listening endpoints. Constructing one makes it
/// this thread's active simulation (what sim_clock::now() reads) until it is destroyed.
class sim_network {
public:
    using time_point = sim_clock::time_point;
    using duration = sim_clock::duration;
    using accept_handler = std::function<void(const std::shared_ptr<detail::sim_socket>&)>;

    sim_network() : state_(std::make_shared<detail::sim_state>()), previous_(detail::active_simulation) {
        detail::active_simulation = state_.get();
    }
    ~sim_network() {
        if (detail::active_simulation == state_.get()) detail::active_simulation = previous_;
    }
    sim_network(const sim_network&) = delete;
    sim_network& operator=(const sim_network&) = delete;

    time_point now() const noexcept { return state_->now(); }
    /// Moves simulated time forward by `d`, running the events due on the way.
    void advance(duration d) { state_->advance_to(state_->now() + std::max(d, duration::zero())); }
    /// Runs `fn` at simulated time `at` (now if past).
    void schedule(time_point at, std::function<void()> fn) { state_->schedule(at, std::move(fn)); }

    /// Listens at host:port; `accept` receives the server side of each connection.
    void listen(const std::string& host, std::uint16_t port, accept_handler accept, duration connect_delay = {}) {
        auto& e = state_->endpoints()[{host, port}];
        e.accept = std::move(accept);
        e.connect_delay = connect_delay;
    }
    /// A down endpoint refuses connections (open ones are the server's business).
    void set_endpoint_down(const std::string& host, std::uint16_t port, bool down) {
        state_->endpoints()[{host, port}].down = down;
    }
    void set_connect_delay(const std::string& host, std::uint16_t port, duration d) {
        state_->endpoints()[{host, port}].connect_delay = d;
    }

    /// Called on the simulating thread whenever a transport's run_for is about to move time forward.
    void set_idle_hook(std::function<void()> hook) { state_->set_idle_hook(std::move(hook)); }

    /// run_for(io, 0) calls that found nothing to run: a caller looping on them is busy-polling.
    std::uint64_t busy_polls() const noexcept { return state_->busy_polls(); }
    /// read_some calls of clients' streams: as a socket's recvfrom calls, what reading costs.
    std::uint64_t client_reads() const noexcept { return state_->client_reads(); }
    /// What such a call costs in simulated time (default 10 us), so that a busy-polling caller
    /// still sees time pass, as it would on a real clock; zero makes busy-polling hang.
    void set_busy_poll_cost(duration d) noexcept { state_->set_busy_poll_cost(d); }

    const std::shared_ptr<detail::sim_state>& state() const noexcept { return state_; }

private:
    std::shared_ptr<detail::sim_state> state_;
    detail::sim_state* previous_;
};

/// An Asio stream over an in-memory connection to a sim_network endpoint.
class sim_stream {
public:
    using executor_type = asio::any_io_executor;

    sim_stream(const asio::any_io_executor& ex, std::shared_ptr<detail::sim_state> sim)
        : socket_(std::make_shared<detail::sim_socket>(ex, std::move(sim))) {}
    ~sim_stream() { socket_->close(); }
    sim_stream(const sim_stream&) = delete;
    sim_stream& operator=(const sim_stream&) = delete;

    executor_type get_executor() const noexcept { return socket_->executor(); }
    bool is_open() const noexcept { return socket_->is_open(); }
    bool connected() const noexcept { return socket_->connected(); }

    /// Connects to the endpoint at host:port after its connect delay; connection_refused when
    /// nothing listens there or it is down (now or when the delay ends).
    template <class ConnectToken>
    auto async_connect(const std::string& host, std::uint16_t port, ConnectToken&& token) {
        return asio::async_initiate<ConnectToken, void(std::error_code)>(
            [this](auto handler, const std::string& h, std::uint16_t p) {
                start_connect(h, p, detail::posted_handler<std::error_code>(std::move(handler)));
            },
            token, host, port);
    }

    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
        return asio::async_initiate<ReadToken, void(std::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b) {
                socket_->read_some(b, detail::sim_socket::io_handler(std::move(handler)));
            },
            token, buffers);
    }

    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
        return asio::async_initiate<WriteToken, void(std::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b) {
                socket_->write_some(b, detail::sim_socket::io_handler(std::move(handler)));
            },
            token, buffers);
    }

    void close() { socket_->close(); }

private:
    void start_connect(const std::string& host, std::uint16_t port, detail::posted_handler<std::error_code> h) {
        auto sim = socket_->simulation();
        auto ex = socket_->executor();
        if (!socket_->is_open() || !sim) return h.post(ex, make_error_code(asio::error::bad_descriptor));
        auto it = sim->endpoints().find({host, port});
        if (it == sim->endpoints().end() || it->second.down || !it->second.accept)
            return h.post(ex, make_error_code(asio::error::connection_refused));
        auto shared = std::make_shared<detail::posted_handler<std::error_code>>(std::move(h));
        std::weak_ptr<detail::sim_socket> weak = socket_;
        std::weak_ptr<detail::sim_state> weak_sim = sim;
        sim->schedule_after(it->second.connect_delay, [weak, weak_sim, ex, host, port, shared] {
            auto s = weak.lock();
            auto st = weak_sim.lock();
            if (!s || !st || !s->is_open()) return shared->post(ex, make_error_code(asio::error::operation_aborted));
            auto e = st->endpoints().find({host, port});
            if (e == st->endpoints().end() || e->second.down || !e->second.accept)
                return shared->post(ex, make_error_code(asio::error::connection_refused));
            s->mark_connected();
            e->second.accept(s);
            shared->post(ex, std::error_code{});
        });
    }

    std::shared_ptr<detail::sim_socket> socket_;
};

/// kafka::transport over a sim_network: in-memory streams and simulated time.
class in_memory_transport {
public:
    using stream_type = sim_stream;
    using clock_type = sim_clock;

    /// Binds to this thread's active simulation (throws std::logic_error when there is none).
    in_memory_transport() {
        if (!detail::active_simulation)
            throw std::logic_error(
                "in_memory_transport: no active simulation on this thread (construct a "
                "kafka::testing::sim_network or fake_cluster first)");
        sim_ = detail::active_simulation->shared_from_this();
    }
    explicit in_memory_transport(const sim_network& net) : sim_(net.state()) {}
    /// Binds to a simulation owner such as fake_cluster (anything with network()).
    template <class Simulation>
    requires requires(Simulation& s) {
        { s.network() } -> std::convertible_to<const sim_network&>;
    }
    explicit in_memory_transport(Simulation& s) : in_memory_transport(static_cast<const sim_network&>(s.network())) {}

    std::unique_ptr<stream_type> make_stream(const asio::any_io_executor& ex) {
        return std::make_unique<stream_type>(ex, sim_);
    }

    template <class Handler>
    void async_connect(stream_type& s, const std::string& host, std::uint16_t port, Handler&& handler) {
        s.async_connect(host, port, std::forward<Handler>(handler));
    }

    clock_type::time_point now() const noexcept { return sim_->now(); }

    /// Runs ready handlers of `io`; when none is ready, advances simulated time event by event
    /// until one is (or `d` passed), then runs what became ready. Never sleeps.
    ///
    /// A call with d <= 0 that finds nothing to run is a busy poll: it is counted (busy_polls())
    /// and charged busy_poll_cost() of simulated time (less if an event comes sooner), as the
    /// call would take some real time on a real clock. Without that, a caller that spins on zero
    /// waits while waiting for I/O would spin forever, time standing still.
    void run_for(asio::io_context& io, clock_type::duration d) {
        auto poll = [&io] {
            auto n = io.poll();
            if (io.stopped()) io.restart();
            return n;
        };
        if (poll() > 0) return;
        if (sim_->run_due() > 0 && poll() > 0) return;
        if (d <= clock_type::duration::zero()) {
            sim_->count_busy_poll();
            auto until = sim_->now() + sim_->busy_poll_cost();
            if (auto next = sim_->next_event(); next && *next < until) until = *next;
            sim_->advance_to(until);
            poll();
            return;
        }
        auto deadline = sim_->now() + d;
        for (;;) {
            sim_->idle();
            if (poll() > 0) return;
            auto next = sim_->next_event();
            if (!next || *next > deadline) {
                sim_->advance_to(deadline);
                poll();
                return;
            }
            sim_->advance_to(*next);
            if (poll() > 0) return;
        }
    }

    void close(stream_type& s) { s.close(); }

    const std::shared_ptr<detail::sim_state>& simulation() const noexcept { return sim_; }

private:
    std::shared_ptr<detail::sim_state> sim_;
};

static_assert(kafka::transport<in_memory_transport>,
              "in_memory_transport must model kafka::transport (kafka/client/transport.hpp)");

}  // namespace kafka::testing
