// KafkaShareConsumer against the fake cluster's share groups (fake/share_group.hpp), on simulated
// time: records shared among members with none delivered twice, acknowledgement modes, RELEASE /
// REJECT / lock expiry / the delivery limit, lost share sessions and fenced members, commits and
// their callback, close, and the keys each consumer type refuses.
#include "sim_support.hpp"

#include <kafka/impl/share_consumer.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace sim_support;
using kafka::acknowledge_type;

namespace {

struct share_sim_policies : kafka::default_share_policies {
    using transport = kt::in_memory_transport;
    static constexpr bool background_heartbeat = false;  // simulated time: no real-time thread
};
using share_consumer = kafka::KafkaShareConsumer<std::string, std::string, share_sim_policies>;

kafka::consumer_config share_config(const kt::fake_cluster& cluster, std::map<std::string, std::string> extra = {}) {
    // The classic keys config_for sets are refused by a share consumer: unset them.
    for (auto k : {"auto.offset.reset", "enable.auto.commit", "session.timeout.ms", "heartbeat.interval.ms"})
        extra.emplace(k, "");
    extra.emplace("group.id", "sg");
    return config_for(cluster, extra);
}

std::unique_ptr<share_consumer> make_share_consumer(const kt::fake_cluster& cluster,
                                                    std::map<std::string, std::string> extra = {}) {
    return std::make_unique<share_consumer>(share_config(cluster, std::move(extra)), share_consumer::key_deserializer{},
                                            share_consumer::value_deserializer{}, cluster.transport());
}

kt::fake_cluster_options share_options() {
    kt::fake_cluster_options o;
    o.share_heartbeat_interval = 1000ms;
    o.share_session_timeout = 10000ms;
    o.share_record_lock_duration = 5000ms;
    return o;
}

struct delivery {
    std::int64_t offset;
    int count;
    std::string value;
};
using deliveries = std::map<topic_partition, std::vector<delivery>>;

std::size_t total(const deliveries& d) {
    std::size_t n = 0;
    for (auto const& [tp, v] : d) n += v.size();
    return n;
}

/// Polls each consumer in turn (100 ms of simulated time each) until done(); `on` sees every record.
template <class Done, class On>
bool share_poll_until(kt::fake_cluster& cluster, std::vector<share_consumer*> consumers, Done done, On on,
                      kt::sim_clock::duration limit = 60s) {
    auto end = cluster.now() + limit;
    for (int guard = 0; !done(); ++guard) {
        if (cluster.now() >= end || guard > 200000) return false;
        for (std::size_t i = 0; i < consumers.size(); ++i)
            for (auto const& r : consumers[i]->poll(100ms)) on(i, r);
    }
    return true;
}

void produce_values(kt::fake_cluster& cluster, const std::string& topic, std::int32_t partition, int n,
                    const std::string& prefix) {
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back(prefix + std::to_string(i));
    // Batches of 10: members acquire whole batches.
    for (std::size_t i = 0; i < values.size(); i += 10)
        cluster.produce_values(
            topic, partition,
            std::vector<std::string>(values.begin() + static_cast<std::ptrdiff_t>(i),
                                     values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), i + 10))));
}

}  // namespace

TEST_CASE("share consumer sim: two members share a topic, every record delivered once and accepted", "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 2);
    produce_values(cluster, "t", 0, 100, "a");
    produce_values(cluster, "t", 1, 100, "b");
    auto a = make_share_consumer(cluster, {{"max.poll.records", "10"}});
    auto b = make_share_consumer(cluster, {{"max.poll.records", "10"}});
    a->subscribe({"t"});
    b->subscribe({"t"});
    std::vector<deliveries> got(2);
    REQUIRE(share_poll_until(
        cluster, {a.get(), b.get()}, [&] { return total(got[0]) + total(got[1]) >= 200; },
        [&](std::size_t i, auto const& r) {
            got[i][{r.topic(), r.partition()}].push_back({r.offset(), *r.delivery_count(), r.value()});
        }));
    // One more round: the last records are accepted by the next poll (implicit mode).
    a->poll(100ms);
    b->poll(100ms);
    CHECK(total(got[0]) > 0);
    CHECK(total(got[1]) > 0);
    std::set<std::string> values;
    for (auto const& g : got)
        for (auto const& [tp, ds] : g)
            for (auto const& d : ds) {
                CHECK(d.count == 1);
                CHECK(values.insert(d.value).second);  // never twice
            }
    CHECK(values.size() == 200);
    REQUIRE(share_poll_until(
        cluster, {a.get(), b.get()},
        [&] {
            for (int p = 0; p < 2; ++p) {
                // Everything acknowledged: the share partition's start moved past it all.
                auto sp = cluster.describe_share_partition("sg", {"t", p});
                if (!sp || sp->start_offset != 100) return false;
            }
            return true;
        },
        [](std::size_t, auto const&) { FAIL("a record delivered twice"); }, 10s));
    a->close();
    b->close();
}

TEST_CASE(
    "share consumer sim: explicit mode - RELEASE goes to another member counting the delivery, REJECT is "
    "never delivered again, misuse is refused",
    "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 20, "v");
    auto a = make_share_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
    a->subscribe({"t"});
    std::vector<std::int64_t> held;
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return !held.empty(); },
        [&](std::size_t, auto const& r) { held.push_back(r.offset()); }));
    REQUIRE(held.size() == 20);
    // Not delivered: refused. The next poll with records unacknowledged: refused.
    CHECK_THROWS_AS(a->acknowledge("t", 0, 999, acknowledge_type::accept), kafka::illegal_state_error);
    CHECK_THROWS_WITH(a->poll(10ms), Catch::Contains("All records must be acknowledged"));
    for (auto o : held) a->acknowledge("t", 0, o, o % 2 ? acknowledge_type::reject : acknowledge_type::release);
    std::map<topic_partition, std::error_code> results;
    std::vector<std::pair<std::size_t, std::error_code>> callback;
    a->setAcknowledgementCommitCallback([&](auto const& offsets, std::error_code ec) {
        for (auto const& [tp, os] : offsets) callback.push_back({os.size(), ec});
    });
    results = a->commitSync();
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results[{"t", 0}]);
    REQUIRE(callback.size() == 1);
    CHECK(callback[0].first == 20);
    CHECK_FALSE(callback[0].second);
    // A second member gets the released ones, delivered for the second time; never the rejected.
    auto b = make_share_consumer(cluster);
    b->subscribe({"t"});
    std::map<std::int64_t, int> at_b;
    share_poll_until(
        cluster, {b.get()}, [&] { return false; },
        [&](std::size_t, auto const& r) { at_b[r.offset()] = *r.delivery_count(); }, 10s);
    CHECK(at_b.size() == 10);
    for (auto const& [o, dc] : at_b) {
        CHECK(o % 2 == 0);
        CHECK(dc == 2);
    }
    auto sp = cluster.describe_share_partition("sg", {"t", 0});
    REQUIRE(sp);
    for (auto o : held)
        if (o % 2) {
            auto r = sp->at(o);
            CHECK((r ? r->state == kt::share_record_state::archived : o < sp->start_offset));
        }
    // Implicit mode refuses acknowledge().
    CHECK_THROWS_WITH(b->acknowledge("t", 0, 0, acknowledge_type::accept), Catch::Contains("implicit"));
    a->close();
    b->close();
}

TEST_CASE("share consumer sim: records a member holds come back after the lock expires, until the delivery limit",
          "[sim][share]") {
    auto o = share_options();
    o.share_delivery_count_limit = 3;
    kt::fake_cluster cluster(o);
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 10, "v");
    // A member that takes records and never acknowledges them: explicit mode, polled once per lock.
    auto a = make_share_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
    a->subscribe({"t"});
    std::vector<int> counts;
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return !counts.empty(); },
        [&](std::size_t, auto const& r) { counts.push_back(*r.delivery_count()); }));
    CHECK(counts == std::vector<int>(10, 1));
    // A second member waits: after the lock (5 s) the records are its, delivered a second time.
    auto b = make_share_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
    b->subscribe({"t"});
    auto t0 = cluster.now();
    std::vector<std::pair<std::int64_t, int>> at_b;
    REQUIRE(share_poll_until(
        cluster, {b.get()}, [&] { return at_b.size() >= 10; },
        [&](std::size_t, auto const& r) {
            at_b.push_back({r.offset(), *r.delivery_count()});
        },
        30s));
    CHECK(cluster.now() - t0 >= 4s);
    for (auto const& [off, dc] : at_b) CHECK(dc == 2);
    // b holds them too; the third delivery is the last (limit 3): then archived.
    at_b.clear();
    try {
        b->poll(6s);  // unacknowledged records: refused...
    } catch (const kafka::illegal_state_error&) {
    }
    // A third member releases each record it gets: after the third delivery (the limit) the
    // broker archives it instead of making it available again.
    auto c = make_share_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
    c->subscribe({"t"});
    std::vector<int> at_c;
    share_poll_until(
        cluster, {c.get()}, [&] { return false; },
        [&](std::size_t, auto const& r) {
            at_c.push_back(*r.delivery_count());
            c->acknowledge(r, acknowledge_type::release);
        },
        30s);
    CHECK(at_c == std::vector<int>(10, 3));  // once each, and never a fourth time
    auto sp = cluster.describe_share_partition("sg", {"t", 0});
    REQUIRE(sp);
    CHECK(sp->start_offset == 10);  // all archived
    for (auto const& r : sp->records) CHECK(r.state == kt::share_record_state::archived);
}

TEST_CASE("share consumer sim: a lost share session is opened again; its acknowledgements are reported failed",
          "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 30, "v");
    auto a = make_share_consumer(cluster, {{"max.poll.records", "10"}});
    std::vector<std::error_code> outcomes;
    a->setAcknowledgementCommitCallback([&](auto const&, std::error_code ec) { outcomes.push_back(ec); });
    a->subscribe({"t"});
    std::map<std::int64_t, int> got;
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return !got.empty(); },
        [&](std::size_t, auto const& r) { got[r.offset()] = *r.delivery_count(); }));
    cluster.evict_share_sessions();
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return got.size() == 30; },
        [&](std::size_t, auto const& r) { got[r.offset()] = *r.delivery_count(); }, 30s));
    bool failed = false;
    for (auto ec : outcomes) failed = failed || ec == errc::share_session_not_found;
    CHECK(failed);
    a->close();
}

TEST_CASE("share consumer sim: a fenced member joins again and goes on", "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    auto a = make_share_consumer(cluster);
    a->subscribe({"t"});
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return a->engine().membership().stable(); }, [](std::size_t, auto const&) {}));
    auto id = a->member_id();
    cluster.remove_share_member("sg", id);
    produce_values(cluster, "t", 0, 10, "v");
    auto epoch_before = a->engine().membership().member_epoch();
    std::size_t n = 0;
    auto member_again = [&] {
        auto g = cluster.describe_share_group("sg");
        return g && g->members.size() == 1 && g->members.front().member_id == id;
    };
    REQUIRE(share_poll_until(
        cluster, {a.get()},
        [&] {
            // Back in the group: joined again (a new epoch: the removal and the join moved the group's on).
            return n == 10 && a->engine().membership().stable() &&
                   a->engine().membership().member_epoch() > epoch_before && member_again();
        },
        [&](std::size_t, auto const&) { ++n; }, 30s));
    CHECK(a->member_id() == id);  // the same member id, a new epoch
    a->close();
}

TEST_CASE("share consumer sim: close releases what the last poll delivered; the group is left", "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 10, "v");
    auto a = make_share_consumer(cluster);
    a->subscribe({"t"});
    std::size_t n = 0;
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return n > 0; }, [&](std::size_t, auto const&) { ++n; }));
    a->close();
    auto g = cluster.describe_share_group("sg");
    CHECK((!g || g->members.empty()));
    // Released at once (not after the 5 s lock), and not accepted: delivered again.
    auto b = make_share_consumer(cluster);
    b->subscribe({"t"});
    auto t0 = cluster.now();
    std::vector<int> counts;
    REQUIRE(share_poll_until(
        cluster, {b.get()}, [&] { return counts.size() == n; },
        [&](std::size_t, auto const& r) { counts.push_back(*r.delivery_count()); }, 20s));
    CHECK(cluster.now() - t0 < 4s);
    CHECK(counts == std::vector<int>(n, 2));
    b->close();
}

TEST_CASE("share consumer sim: the share consumer's own keys are read (none accepted and ignored)",
          "[sim][share][config]") {
    kafka::detail::cfg::read_recorder reads;
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 5, "v");
    auto a = make_share_consumer(cluster, {{"share.acquire.mode", "batch_optimized"}});
    a->subscribe({"t"});
    std::size_t n = 0;
    REQUIRE(share_poll_until(
        cluster, {a.get()}, [&] { return n == 5; }, [&](std::size_t, auto const&) { ++n; }));
    a->commitSync();
    a->close();
    CHECK(reads.keys.count("share.acknowledgement.mode"));
    CHECK(reads.keys.count("share.acquire.mode"));
}

TEST_CASE("share consumer sim: each consumer type refuses the other's keys", "[sim][share][config]") {
    kt::fake_cluster cluster(share_options());
    for (auto key : {"auto.offset.reset", "group.instance.id", "enable.auto.commit", "partition.assignment.strategy",
                     "isolation.level", "max.partition.fetch.bytes", "group.protocol"}) {
        INFO(key);
        std::map<std::string, std::string> extra{{key, key == std::string("auto.offset.reset")    ? "latest"
                                                       : key == std::string("isolation.level")    ? "read_committed"
                                                       : key == std::string("enable.auto.commit") ? "true"
                                                       : key == std::string("group.protocol")     ? "classic"
                                                       : key == std::string("partition.assignment.strategy") ? "range"
                                                       : key == std::string("max.partition.fetch.bytes")     ? "1000"
                                                                                                             : "x"}};
        try {
            make_share_consumer(cluster, extra);
            FAIL("accepted");
        } catch (const kafka::config_error& e) {
            CHECK(e.key() == key);
            CHECK(std::string(e.what()).find("share consumer") != std::string::npos);
        }
    }
    try {
        make_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
        FAIL("accepted");
    } catch (const kafka::config_error& e) {
        CHECK(e.key() == "share.acknowledgement.mode");
    }
}

namespace {

// A value deserializer that refuses the value "bad".
struct picky {
    std::string deserialize(std::string_view, const kafka::headers_view&, std::optional<kafka::bytes_view> d) const {
        std::string v = d ? std::string(reinterpret_cast<const char*>(d->data()), d->size()) : std::string();
        if (v == "bad") throw std::runtime_error("a bad value");
        return v;
    }
};
struct picky_policies : share_sim_policies {
    using value_deserializer = picky;
};
using picky_consumer = kafka::KafkaShareConsumer<std::string, std::string, picky_policies>;

}  // namespace

TEST_CASE(
    "share consumer sim: a record the deserializer refuses comes after the ones before it, is released, and "
    "may be rejected by offset",
    "[sim][share]") {
    kt::fake_cluster cluster(share_options());
    cluster.create_topic("t", 1);
    cluster.produce_values("t", 0, {"a", "bad", "c"});
    picky_consumer c(share_config(cluster, {{"share.acknowledgement.mode", "explicit"}}), {}, {}, cluster.transport());
    c.subscribe({"t"});
    std::vector<std::string> got;
    std::vector<std::int64_t> refused;
    auto until = cluster.now() + 20s;
    while (cluster.now() < until && got.size() < 2) {
        try {
            for (auto const& r : c.poll(100ms)) {
                got.push_back(r.value());
                c.acknowledge(r);
            }
        } catch (const kafka::record_deserialization_error& e) {
            refused.push_back(e.offset());
            CHECK_THAT(e.what(), Catch::Contains("released"));
            c.acknowledge("t", 0, e.offset(), acknowledge_type::reject);  // by offset: allowed for it
        }
    }
    // "a" first (the error waited for the next poll), then the error, then "c"; "bad" never again.
    CHECK(got == std::vector<std::string>{"a", "c"});
    REQUIRE(refused == std::vector<std::int64_t>{1});
    c.commitSync();
    auto sp = cluster.describe_share_partition("sg", {"t", 0});
    REQUIRE(sp);
    auto bad = sp->at(1);
    CHECK((bad ? bad->state == kt::share_record_state::archived : sp->start_offset > 1));
    CHECK(sp->start_offset == 3);
    c.close();
}

TEST_CASE("share consumer sim: RENEW keeps records past their lock; each poll hands the renewed records back",
          "[sim][share]") {
    kt::fake_cluster cluster(share_options());  // locks of 5 s
    cluster.create_topic("t", 1);
    produce_values(cluster, "t", 0, 10, "v");
    auto a = make_share_consumer(cluster, {{"share.acknowledgement.mode", "explicit"}});
    a->subscribe({"t"});
    auto b = make_share_consumer(cluster);
    b->subscribe({"t"});
    share_consumer::records_type held;
    auto end = cluster.now() + 20s;
    while (held.empty() && cluster.now() < end) held = a->poll(100ms);
    REQUIRE(held.size() == 10);
    auto offsets_of = [](auto const& records) {
        std::set<std::int64_t> out;
        for (auto const& r : records) out.insert(r.offset());
        return out;
    };
    auto mine = offsets_of(held);
    // Fifteen seconds, three locks' worth: A renews every 3 s, B polls meanwhile.
    std::set<std::int64_t> at_b;
    auto t0 = cluster.now();
    int renewals = 0;
    while (cluster.now() - t0 < 15s) {
        for (auto const& r : held) a->acknowledge(r, acknowledge_type::renew);
        held = a->poll(1s);
        REQUIRE(offsets_of(held) == mine);  // the renewed records, handed back
        for (auto const& r : held) CHECK(*r.delivery_count() == 1);
        ++renewals;
        auto until = cluster.now() + 3s;
        while (cluster.now() < until)
            for (auto const& r : b->poll(100ms)) at_b.insert(r.offset());
    }
    CHECK(renewals >= 4);
    CHECK(at_b.empty());
    for (auto const& r : held) a->acknowledge(r);
    auto results = a->commitSync();
    REQUIRE(results.size() == 1);
    CHECK_FALSE(results.begin()->second);
    auto sp = cluster.describe_share_partition("sg", {"t", 0});
    REQUIRE(sp);
    CHECK(sp->start_offset == 10);
    a->close();
    b->close();
}
