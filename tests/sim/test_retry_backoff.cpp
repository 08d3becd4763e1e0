// Simulated end to end: requests that keep failing back off exponentially (retry.backoff.ms doubled
// per failure in a row, up to retry.backoff.max.ms, +-20%), as Java's consumer since KIP-580: the
// coordinator lookup and the offset reset (ListOffsets) here, metadata in the unit tests.
#include "sim_support.hpp"

#include <vector>

using namespace sim_support;

namespace {

std::vector<double> gaps_ms(const std::vector<kt::sim_clock::time_point>& at) {
    std::vector<double> out;
    for (std::size_t i = 1; i < at.size(); ++i)
        out.push_back(std::chrono::duration<double, std::milli>(at[i] - at[i - 1]).count());
    return out;
}

}  // namespace

TEST_CASE(
    "retry backoff: a failing coordinator lookup and offset reset wait longer after each failure, up to "
    "retry.backoff.max.ms",
    "[sim][backoff]") {
    auto api = GENERATE(find_coordinator_key, proto::ListOffsetsRequest::api_key);
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    cluster.produce("t", 0, "a");
    std::vector<kt::sim_clock::time_point> seen;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == api) seen.push_back(cluster.now());
    });
    // Seven failures in a row, then an answer.
    cluster.inject(
        api, api == find_coordinator_key ? kafka::errc::coordinator_not_available : kafka::errc::not_leader_or_follower,
        7);
    auto c = make_consumer(cluster, {{"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "1000"}});
    seen_records records;
    c->subscribe({"t"});
    REQUIRE(poll_until(cluster, *c, records, [&] { return records.count() == 1; }));
    REQUIRE(seen.size() >= 8);
    auto gaps = gaps_ms(seen);
    INFO("gaps between attempts (ms): " << ::Catch::Detail::stringify(gaps));
    // 100, 200, 400, 800, 1000, 1000, 1000 (+-20%; the retry goes out at the consumer's next wake-up,
    // at most retry.backoff.ms later, and a round trip)
    const double want[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (int i = 0; i < 7; ++i) {
        CHECK(gaps[i] >= want[i] * 0.8 - 1);
        CHECK(gaps[i] <= want[i] * 1.2 + 110);
    }
}
