// The network client alone (no consumer) against the fake cluster on simulated time: the unsent
// queue, completions run only from the client's own steps, the two ways of driving it (blocking
// poll on an owned io_context, poll_step on an executor run by someone else), wakeup and
// authentication failures as values, request timeouts.
#include <kafka/client/network_client.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/testing/fake_cluster.hpp>
#include <kafka/testing/in_memory_transport.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace kc = kafka::client;
namespace kt = kafka::testing;
namespace proto = kafka::protocol;

namespace {

using client_type = kc::network_client<kt::in_memory_transport>;
constexpr std::int16_t metadata_key = proto::MetadataRequest::api_key;

kc::client_options options() {
    kc::client_options o;
    o.client_id = "unit";
    o.request_timeout = 2000ms;
    return o;
}

proto::MetadataRequest metadata_of(const std::string& topic) {
    proto::MetadataRequest req;
    req.topics.emplace();
    proto::MetadataRequest::MetadataRequestTopic t;
    t.name = topic;
    req.topics->push_back(t);
    return req;
}

}  // namespace

TEST_CASE("network client: send only queues; the response completes the future from poll()", "[client]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 3);
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    client_type client(io, transport, options());
    client.set_node(-1, "sim", 9092);

    bool called = false;
    auto f = client.send(-1, metadata_of("t"));
    f.add_listener([&](auto&) { called = true; });
    CHECK(client.pending_requests(-1) == 1);
    CHECK(cluster.request_count(metadata_key) == 0);  // nothing touched the network
    CHECK_FALSE(called);

    REQUIRE(client.poll_future(f, 5s));
    CHECK(called);
    REQUIRE(f.succeeded());
    REQUIRE(f.value().body.topics.size() == 1);
    CHECK(f.value().body.topics[0].partitions.size() == 3);
    CHECK(cluster.request_count(metadata_key) == 1);
    CHECK(client.is_ready(-1));
}

TEST_CASE("network client: on an executor, poll_step drives it and the wake handler says when", "[client]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    asio::io_context io;  // stands for the user's event loop: the test runs it, not the client
    kt::in_memory_transport transport(cluster);
    client_type client(asio::any_io_executor(io.get_executor()), transport, options());
    client.set_node(-1, "sim", 9092);
    CHECK_FALSE(client.can_block());
    REQUIRE_THROWS_WITH(client.poll(10ms), Catch::Contains("drive it with poll_step()"));

    int wakes = 0;
    client.set_wake_handler([&] { ++wakes; });
    auto f = client.send(-1, metadata_of("t"));

    // The first step starts the connection; afterwards the client needs a step no later than
    // the request's deadline even if nothing arrives.
    auto next = client.poll_step();
    REQUIRE(next);
    CHECK(*next <= transport.now() + 2000ms);

    // The "user's loop": run the executor's handlers (advancing simulated time), and take a step
    // whenever the client was woken, as an event loop would.
    int steps = 0;
    auto give_up = transport.now() + 60s;
    while (!f.is_done() && steps < 1000) {
        int before = wakes;
        transport.run_for(io, 100ms);
        if (wakes != before) {
            ++steps;
            client.poll_step();
        }
        if (transport.now() > give_up) break;
    }
    INFO("done " << f.is_done() << " error " << (f.failed() ? f.error().message() : "") << " wakes " << wakes
                 << " steps " << steps);
    REQUIRE(f.succeeded());
    CHECK(wakes > 0);
    CHECK(f.value().body.topics.size() == 1);
}

TEST_CASE("network client: a large response is read in one read once it has arrived, not 64 KiB at a time",
          "[client]") {
    kt::fake_cluster cluster;
    cluster.create_topic("wide", 30000);  // a Metadata answer of several hundred KiB
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    client_type client(io, transport, options());
    client.set_node(-1, "sim", 9092);
    auto first = client.send(-1, metadata_of("t"));
    REQUIRE(client.poll_future(first, 5s));  // connected, versions known

    auto reads_before = cluster.network().client_reads();
    auto f = client.send(-1, metadata_of("wide"));
    REQUIRE(client.poll_future(f, 5s));
    REQUIRE(f.succeeded());
    REQUIRE(f.value().body.topics.size() == 1);
    CHECK(f.value().body.topics[0].partitions.size() == 30000);
    // The size, the body, and the read waiting for the next response. Asio's transfer_all would take
    // the body 64 KiB per read: more than a dozen here.
    CHECK(cluster.network().client_reads() - reads_before <= 4);
}

TEST_CASE("network client: a request to an unknown node fails from the next step, not inside send", "[client]") {
    kt::fake_cluster cluster;
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    client_type client(io, transport, options());
    auto f = client.send(7, metadata_of("t"));
    CHECK_FALSE(f.is_done());
    client.poll_step();
    REQUIRE(f.failed());
    CHECK(f.error() == kafka::client_errc::illegal_state);
}

TEST_CASE("network client: a broker that never answers times the request out", "[client]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    client_type client(io, transport, options());
    client.set_node(-1, "sim", 9092);
    cluster.drop_responses(metadata_key, 1);
    auto start = transport.now();
    auto f = client.send(-1, metadata_of("t"));
    client.poll_future(f, 10s);
    REQUIRE(f.failed());
    CHECK(f.error() == kafka::client_errc::request_timed_out);
    auto took = transport.now() - start;
    CHECK(took >= 2000ms);
    CHECK(took < 3000ms);
}

TEST_CASE("network client: wakeup is a value taken once; it ends a wait at once", "[client]") {
    kt::fake_cluster cluster;
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    client_type client(io, transport, options());
    CHECK_FALSE(client.take_wakeup());
    client.wakeup();
    auto start = transport.now();
    client.poll(5s);  // does not throw: the engine reports, the public face throws
    CHECK(transport.now() - start < 1s);
    CHECK(client.take_wakeup());
    CHECK_FALSE(client.take_wakeup());
    CHECK_FALSE(client.take_authentication_failure());
}

TEST_CASE(
    "network client: a connection set-up slower than socket.connection.setup.timeout.ms fails, and the "
    "timeout doubles per consecutive failure up to its max",
    "[client][connections]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.set_latency(0, 60s);  // connecting to node 0 takes a minute
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    auto o = options();
    o.request_timeout = 120s;
    o.connection_setup_timeout = 1000ms;
    o.connection_setup_timeout_max = 3000ms;
    o.reconnect_backoff = 1ms;
    o.reconnect_backoff_max = 1ms;
    client_type client(io, transport, o);
    client.set_node(-1, "sim", 9092);
    std::vector<kt::sim_clock::duration> failed_after;
    auto attempt_start = transport.now();
    client.on_disconnect([&](const client_type::disconnect_info& e) {
        CHECK(e.error == kafka::client_errc::request_timed_out);
        CHECK_FALSE(e.established);
        failed_after.push_back(transport.now() - attempt_start);
    });
    for (int i = 0; i < 4; ++i) {
        attempt_start = transport.now();
        auto f = client.send(-1, metadata_of("t"));
        client.poll_future(f, 10s);
        REQUIRE(f.failed());
    }
    REQUIRE(failed_after.size() == 4);
    // 1 s, 2 s, then the 3 s max, each within the 20% jitter (and the time to notice).
    auto within = [](kt::sim_clock::duration d, std::chrono::milliseconds want) {
        return d >= want * 8 / 10 && d <= want * 12 / 10 + 50ms;
    };
    CHECK(within(failed_after[0], 1000ms));
    CHECK(within(failed_after[1], 2000ms));
    CHECK(within(failed_after[2], 3000ms));
    CHECK(within(failed_after[3], 3000ms));
}

TEST_CASE(
    "network client: a connection idle for connections.max.idle.ms is closed, without a failure or a "
    "backoff; the next request opens a new one",
    "[client][connections]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    asio::io_context io;
    kt::in_memory_transport transport(cluster);
    auto o = options();
    o.connections_max_idle = 5000ms;
    o.reconnect_backoff = 10s;  // a closure counted as a failure would show as a 10 s wait
    o.reconnect_backoff_max = 10s;
    client_type client(io, transport, o);
    client.set_node(-1, "sim", 9092);
    int created = 0, closed = 0, disconnects = 0;
    client.on_event([&](const kc::client_event& e) {
        if (e.what == kc::client_event::kind::connection_created) ++created;
        if (e.what == kc::client_event::kind::connection_closed) ++closed;
    });
    client.on_disconnect([&](const client_type::disconnect_info&) { ++disconnects; });
    auto f = client.send(-1, metadata_of("t"));
    REQUIRE(client.poll_future(f, 5s));
    REQUIRE_FALSE(f.failed());
    CHECK(created == 1);
    // Busy enough: a request every 3 s keeps it open.
    for (int i = 0; i < 3; ++i) {
        client.poll(3s);
        auto g = client.send(-1, metadata_of("t"));
        REQUIRE(client.poll_future(g, 5s));
    }
    CHECK(closed == 0);
    // Idle: closed once 5 s passed with nothing in flight.
    for (int i = 0; i < 12; ++i) client.poll(500ms);
    CHECK(closed == 1);
    CHECK(disconnects == 0);
    auto start = transport.now();
    auto h = client.send(-1, metadata_of("t"));
    REQUIRE(client.poll_future(h, 5s));
    REQUIRE_FALSE(h.failed());
    CHECK(transport.now() - start < 1s);  // no reconnect backoff
    CHECK(created == 2);
}

namespace {

/// A client of a two-broker fake cluster (topic t) that knows bootstrap node -1 and brokers 0 and
/// 1, with a fixed reconnect backoff.
struct two_broker_rig {
    kt::fake_cluster cluster{{.brokers = 2}};
    asio::io_context io;
    kt::in_memory_transport transport{cluster};
    client_type client;

    explicit two_broker_rig(std::chrono::milliseconds reconnect_backoff)
        : client(io, transport, with_backoff(reconnect_backoff)) {
        cluster.create_topic("t", 1);
        client.set_node(-1, "sim", 9092);
        client.set_node(0, "sim", 9092);
        client.set_node(1, "sim", 9093);
    }

private:
    static kc::client_options with_backoff(std::chrono::milliseconds b) {
        auto o = options();
        o.reconnect_backoff = b;
        o.reconnect_backoff_max = b;
        return o;
    }
};

}  // namespace

TEST_CASE("network client: least_loaded_node picks from the pool asked for, and none when all of it backs off",
          "[client][connections]") {
    two_broker_rig rig(10s);
    auto& cluster = rig.cluster;
    auto& client = rig.client;
    using pool = client_type::node_pool;
    CHECK(client.least_loaded_node(pool::bootstrap) == -1);
    auto broker = client.least_loaded_node(pool::brokers);
    REQUIRE(broker);
    CHECK(*broker >= 0);
    // Both brokers down: once each has failed, the broker pool is empty; the bootstrap one is not.
    cluster.set_down(0, true);
    cluster.set_down(1, true);
    for (std::int32_t id : {0, 1}) {
        auto f = client.send(id, metadata_of("t"));
        REQUIRE(client.poll_future(f, 5s));
        CHECK(f.failed());
    }
    CHECK_FALSE(client.least_loaded_node(pool::brokers));
    CHECK(client.least_loaded_node(pool::bootstrap) == -1);
    CHECK(client.least_loaded_node() == -1);
}

TEST_CASE(
    "network client: all_unreachable once the latest connect to every node of the pool failed, "
    "whatever the backoffs",
    "[client][connections]") {
    two_broker_rig rig(1ms);  // backoffs end at once: least_loaded_node keeps finding a node
    auto& cluster = rig.cluster;
    auto& client = rig.client;
    using pool = client_type::node_pool;
    CHECK_FALSE(client.all_unreachable(pool::brokers));  // never tried
    cluster.set_down(0, true);
    cluster.set_down(1, true);
    auto f = client.send(0, metadata_of("t"));
    REQUIRE(client.poll_future(f, 5s));
    CHECK_FALSE(client.all_unreachable(pool::brokers));  // node 1 not tried yet
    auto g = client.send(1, metadata_of("t"));
    REQUIRE(client.poll_future(g, 5s));
    client.poll(10ms);
    CHECK(client.least_loaded_node(pool::brokers));  // the backoffs are over...
    CHECK(client.all_unreachable(pool::brokers));    // ...and still nothing reachable
    CHECK_FALSE(client.all_unreachable(pool::bootstrap));
    // One comes back and answers: reachable again.
    cluster.set_down(1, false);
    auto h = client.send(1, metadata_of("t"));
    REQUIRE(client.poll_future(h, 5s));
    CHECK_FALSE(h.failed());
    CHECK_FALSE(client.all_unreachable(pool::brokers));
}
