// share_session and share_acknowledgements (KIP-932): the acknowledgement batches a request
// carries, the session epochs, which partitions a request adds and forgets, and how errors bring
// the next request back to opening a session.
#include <catch2/catch.hpp>

#include <kafka/consumer/share_session.hpp>
#include <kafka/protocol/messages/share_fetch.hpp>

#include <limits>
#include <set>
#include <vector>

using kafka::topic_partition;
using kafka::engine::share_acknowledgements;
using kafka::engine::share_session;
using batch = kafka::protocol::ShareFetchRequest::AcknowledgementBatch;

namespace {
std::int8_t t(kafka::acknowledge_type a) { return static_cast<std::int8_t>(a); }
constexpr std::int8_t accept = 1, release = 2, reject = 3, gap = 0;
}  // namespace

TEST_CASE("share acknowledgements: runs of consecutive offsets, one type each, a uniform run collapsed",
          "[share][unit]") {
    share_acknowledgements a;
    CHECK(a.empty());
    for (std::int64_t o = 10; o <= 14; ++o) a.add(o, accept);
    a.add(20, release);
    a.add(21, reject);
    a.add(22, gap);
    a.add(30, accept);
    auto b = a.batches<batch>();
    REQUIRE(b.size() == 3);
    CHECK(b[0].first_offset == 10);
    CHECK(b[0].last_offset == 14);
    CHECK(b[0].acknowledge_types == std::vector<std::int8_t>{accept});  // five accepts: one type
    CHECK(b[1].first_offset == 20);
    CHECK(b[1].last_offset == 22);
    CHECK(b[1].acknowledge_types == std::vector<std::int8_t>{release, reject, gap});
    CHECK(b[2].first_offset == 30);
    CHECK(b[2].last_offset == 30);
    CHECK(a.offsets() == std::set<std::int64_t>{10, 11, 12, 13, 14, 20, 21, 22, 30});
    CHECK_FALSE(a.has_renew());
    // A later acknowledgement of the same offset, not sent yet, replaces the earlier.
    a.add(12, t(kafka::acknowledge_type::renew));
    CHECK(a.has_renew());
    b = a.batches<batch>();
    CHECK(b[0].acknowledge_types == std::vector<std::int8_t>{accept, accept, 4, accept, accept});
    CHECK(a.size() == 9);
}

TEST_CASE("share session: epoch 0 opens with every partition, then +1 per answer, wrapping to 1", "[share][unit]") {
    share_session s;
    std::set<topic_partition> want{{"t", 0}, {"t", 1}};
    CHECK(s.epoch() == 0);
    CHECK_FALSE(s.is_open());
    auto d = s.changes(want);
    CHECK(d.added == want);
    CHECK(d.forgotten.empty());
    REQUIRE(s.on_response(0, &want));
    CHECK(s.epoch() == 1);
    CHECK(s.is_open());
    CHECK(s.partitions() == want);
    // Unchanged: nothing added or forgotten.
    d = s.changes(want);
    CHECK(d.added.empty());
    CHECK(d.forgotten.empty());
    // One partition goes, one comes.
    std::set<topic_partition> next{{"t", 1}, {"u", 0}};
    d = s.changes(next);
    CHECK(d.added == std::set<topic_partition>{{"u", 0}});
    CHECK(d.forgotten == std::set<topic_partition>{{"t", 0}});
    REQUIRE(s.on_response(0, &next));
    CHECK(s.epoch() == 2);
    CHECK(s.partitions() == next);
    // A ShareAcknowledge's answer moves the epoch and keeps the partitions.
    REQUIRE(s.on_response(0, nullptr));
    CHECK(s.epoch() == 3);
    CHECK(s.partitions() == next);
    // INT_MAX wraps to 1, not 0 (0 would open a new session).
    share_session w(std::numeric_limits<std::int32_t>::max(), want);
    REQUIRE(w.on_response(0, nullptr));
    CHECK(w.epoch() == 1);
    CHECK(w.is_open());
}

TEST_CASE("share session: a lost session or a wrong epoch starts again at 0; other errors keep it", "[share][unit]") {
    using kafka::errc;
    std::set<topic_partition> want{{"t", 0}};
    for (auto e :
         {errc::share_session_not_found, errc::invalid_share_session_epoch, errc::share_session_limit_reached}) {
        share_session s;
        REQUIRE(s.on_response(0, &want));
        REQUIRE(s.on_response(0, &want));
        CHECK_FALSE(s.on_response(static_cast<std::int16_t>(e), &want));
        CHECK(s.epoch() == 0);
        CHECK(s.partitions().empty());
        CHECK(s.changes(want).added == want);  // the next request names everything again
    }
    share_session s;
    REQUIRE(s.on_response(0, &want));
    CHECK_FALSE(s.on_response(static_cast<std::int16_t>(errc::group_authorization_failed), &want));
    CHECK(s.epoch() == 1);  // not moved on, not reset
    s.reset();
    CHECK(s.epoch() == 0);
    CHECK_FALSE(s.is_open());
}
