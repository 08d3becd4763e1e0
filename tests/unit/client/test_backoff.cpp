// client::exponential_backoff: Java's ExponentialBackoff (base * 2^failures, capped, +-jitter).
#include <catch2/catch.hpp>

#include <chrono>

#include <kafka/client/backoff.hpp>

using namespace std::chrono_literals;
using kafka::client::exponential_backoff;

TEST_CASE("backoff: doubles per failure up to the max, each wait within the jitter", "[client][backoff]") {
    exponential_backoff b(100ms, 1000ms, 0.2, 7);
    const long want[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (int round = 0; round < 50; ++round)
        for (int i = 0; i < 7; ++i) {
            auto got = b.after(i).count();
            INFO("failure " << i << ": " << got << " ms");
            CHECK(got >= want[i] * 8 / 10 - 1);
            CHECK(got <= want[i] * 12 / 10 + 1);
        }
    CHECK(b.after(1000).count() <= 1201);  // no overflow far out
}

TEST_CASE("backoff: without jitter the waits are exact; a max below the base keeps the base", "[client][backoff]") {
    exponential_backoff exact(50ms, 300ms, 0.0);
    CHECK(exact.after(0) == 50ms);
    CHECK(exact.after(1) == 100ms);
    CHECK(exact.after(2) == 200ms);
    CHECK(exact.after(3) == 300ms);
    exponential_backoff fixed(500ms, 100ms, 0.0);
    CHECK(fixed.max() == 500ms);
    CHECK(fixed.after(0) == 500ms);
    CHECK(fixed.after(5) == 500ms);
}
