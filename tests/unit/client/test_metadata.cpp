// basic_metadata's refresh timing: max age, requested updates, and the retry backoff that grows
// per consecutive failed attempt (retry.backoff.ms doubling up to retry.backoff.max.ms, +-20%).
#include <kafka/client/metadata.hpp>

#include <chrono>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

namespace {
using metadata = kafka::client::basic_metadata<std::chrono::steady_clock>;
using ms = std::chrono::duration<double, std::milli>;
}  // namespace

TEST_CASE("metadata: the refresh backoff doubles per failed attempt up to its max, and resets on success",
          "[client][metadata]") {
    metadata m(5min, 100ms, 1000ms);
    auto t = std::chrono::steady_clock::time_point{} + 1h;
    m.request_update();
    CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration::zero());
    std::vector<double> waits;
    for (int i = 0; i < 6; ++i) {
        m.record_attempt(t);  // and it fails: no update()
        waits.push_back(ms(m.time_to_next_update(t)).count());
        t += m.time_to_next_update(t);
        CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration::zero());
    }
    auto near = [](double got, double want) { return got >= want * 0.8 - 1 && got <= want * 1.2 + 1; };
    CHECK(near(waits[0], 100));
    CHECK(near(waits[1], 200));
    CHECK(near(waits[2], 400));
    CHECK(near(waits[3], 800));
    CHECK(near(waits[4], 1000));
    CHECK(near(waits[5], 1000));
    // A success resets it: the next failure waits the base backoff again.
    m.update({}, t);
    m.request_update();
    m.record_attempt(t);
    CHECK(near(ms(m.time_to_next_update(t)).count(), 100));
}

TEST_CASE("metadata: without a max the backoff stays retry.backoff.ms", "[client][metadata]") {
    metadata m(5min, 100ms);
    auto t = std::chrono::steady_clock::time_point{} + 1h;
    m.request_update();
    for (int i = 0; i < 4; ++i) {
        m.record_attempt(t);
        CHECK(m.time_to_next_update(t) == std::chrono::steady_clock::duration(100ms));
        t += 100ms;
    }
}
