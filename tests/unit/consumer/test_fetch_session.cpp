// fetch_session (KIP-227): what each request names, session ids and epochs, and how failures
// bring the next request back to a full one.
#include <catch2/catch.hpp>

#include <kafka/consumer/fetch_session.hpp>

#include <set>

using kafka::topic_partition;
using kafka::engine::fetch_session;
namespace proto = kafka::protocol;

namespace {

fetch_session::partitions parts(std::initializer_list<std::pair<int, std::int64_t>> offsets) {
    fetch_session::partitions out;
    for (auto [p, off] : offsets) {
        fetch_session::partition_data d;
        d.fetch_offset = off;
        d.max_bytes = 1024;
        out[{"t", p}] = d;
    }
    return out;
}

std::set<std::int32_t> named(const proto::FetchRequest& r) {
    std::set<std::int32_t> out;
    for (auto const& t : r.topics)
        for (auto const& p : t.partitions) out.insert(p.partition);
    return out;
}
std::set<std::int32_t> forgotten(const proto::FetchRequest& r) {
    std::set<std::int32_t> out;
    for (auto const& t : r.forgotten_topics_data) out.insert(t.partitions.begin(), t.partitions.end());
    return out;
}

}  // namespace

TEST_CASE("fetch_session: full, then only what changed, forgotten partitions, epochs", "[consumer][fetch][sessions]") {
    fetch_session s;
    proto::FetchRequest r1;
    s.build(parts({{0, 5}, {1, 7}, {2, 9}}), std::int16_t{12}, r1);
    CHECK(r1.session_id == 0);
    CHECK(r1.session_epoch == 0);  // open a session
    CHECK(named(r1) == std::set<std::int32_t>{0, 1, 2});
    REQUIRE(r1.topics.size() == 1);  // one entry per topic
    REQUIRE(s.on_response(0, 77));

    proto::FetchRequest r2;
    s.build(parts({{0, 5}, {1, 8}, {2, 9}}), std::int16_t{12}, r2);
    CHECK(r2.session_id == 77);
    CHECK(r2.session_epoch == 1);
    CHECK(named(r2) == std::set<std::int32_t>{1});
    CHECK(forgotten(r2).empty());
    REQUIRE(s.on_response(0, 77));

    proto::FetchRequest r3;
    s.build(parts({{1, 8}, {3, 0}}), std::int16_t{12}, r3);
    CHECK(r3.session_epoch == 2);
    CHECK(named(r3) == std::set<std::int32_t>{3});
    CHECK(forgotten(r3) == std::set<std::int32_t>{0, 2});
    CHECK(s.session_partitions().size() == 2);
}

TEST_CASE("fetch_session: failures and broker answers that end the session", "[consumer][fetch][sessions]") {
    fetch_session s;
    proto::FetchRequest r;
    s.build(parts({{0, 1}}), std::int16_t{13}, r);
    REQUIRE(s.on_response(0, 5));
    auto next_full = [&](std::int32_t id, std::int32_t epoch) {
        proto::FetchRequest q;
        s.build(parts({{0, 1}}), std::int16_t{13}, q);
        CHECK(q.session_id == id);
        CHECK(q.session_epoch == epoch);
        CHECK(named(q) == std::set<std::int32_t>{0});
    };
    SECTION("FETCH_SESSION_ID_NOT_FOUND: a new session") {
        CHECK_FALSE(s.on_response(70, 0));
        next_full(0, 0);
    }
    SECTION("INVALID_FETCH_SESSION_EPOCH: the old one closed as a new one opens") {
        CHECK_FALSE(s.on_response(71, 0));
        next_full(5, 0);
    }
    SECTION("a failed request: the same") {
        s.on_failure();
        next_full(5, 0);
    }
    SECTION("the broker answers session id 0: no session, full requests") {
        proto::FetchRequest q;
        s.build(parts({{0, 1}}), std::int16_t{13}, q);
        CHECK(named(q).empty());
        CHECK(s.on_response(0, 0));
        next_full(0, 0);
    }
    SECTION("topics named by id from v13, by name below: switching versions starts over") {
        proto::FetchRequest q;
        s.build(parts({{0, 1}}), std::int16_t{12}, q);
        CHECK(q.session_epoch == 0);
        CHECK(named(q) == std::set<std::int32_t>{0});
    }
    SECTION("a broker before v7, or a version not yet known: full, no session") {
        proto::FetchRequest q;
        s.build(parts({{0, 1}}), std::nullopt, q);
        CHECK(q.session_id == 0);
        CHECK(q.session_epoch == -1);
        CHECK(named(q) == std::set<std::int32_t>{0});
        CHECK(s.id() == 0);
    }
}
