// detail/logging.hpp: the consumer's log prefix and the rate limit per key.
#include <kafka/detail/logging.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace {

struct manual_clock {
    using duration = std::chrono::milliseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<manual_clock>;
    static constexpr bool is_steady = true;
};

struct captured {
    std::vector<std::pair<kafka::log_level, std::string>> lines;
    auto sink() {
        return [this](kafka::log_level l, const std::string& s) { lines.emplace_back(l, s); };
    }
};

using namespace std::chrono_literals;
using logger = kafka::detail::consumer_logger<manual_clock>;

}  // namespace

TEST_CASE("logging: every line carries the consumer's client.id and group.id, as Java's LogContext",
          "[unit][logging]") {
    captured c;
    logger with_group("orders-1", std::string("orders"), 10s);
    with_group.set_sink(c.sink());
    with_group.log(kafka::log_level::warn, "something");
    logger no_group("solo", std::nullopt, 10s);
    no_group.set_sink(c.sink());
    no_group.log(kafka::log_level::info, "other");
    REQUIRE(c.lines.size() == 2);
    CHECK(c.lines[0].first == kafka::log_level::warn);
    CHECK(c.lines[0].second == "[Consumer clientId=orders-1, groupId=orders] something");
    CHECK(c.lines[1].first == kafka::log_level::info);
    CHECK(c.lines[1].second == "[Consumer clientId=solo] other");
}

TEST_CASE("logging: without a sink nothing is logged or kept", "[unit][logging]") {
    logger l("c", std::nullopt, 10s);
    CHECK_FALSE(l.enabled());
    CHECK_FALSE(l.log_limited(kafka::log_level::warn, "k", "m", manual_clock::time_point{}));
    CHECK_FALSE(l.active("k"));
}

TEST_CASE("logging: a recurring line is logged once per window per key, then with the count left out",
          "[unit][logging]") {
    captured c;
    logger l("c", std::string("g"), 10s);
    l.set_sink(c.sink());
    manual_clock::time_point t{};
    CHECK(l.log_limited(kafka::log_level::warn, "connect:a:1", "a down", t));
    for (int i = 1; i <= 5; ++i)
        CHECK_FALSE(l.log_limited(kafka::log_level::warn, "connect:a:1", "a down", t + i * 1s));
    // Another key is not held back by the first.
    CHECK(l.log_limited(kafka::log_level::warn, "connect:b:1", "b down", t + 2s));
    REQUIRE(c.lines.size() == 2);
    // The window ends 10 s after the line that was logged.
    CHECK_FALSE(l.log_limited(kafka::log_level::warn, "connect:a:1", "a down", t + 9999ms));
    CHECK(l.log_limited(kafka::log_level::warn, "connect:a:1", "a down", t + 10s));
    REQUIRE(c.lines.size() == 3);
    CHECK(c.lines[2].second == "[Consumer clientId=c, groupId=g] a down (6 more like this in the last 10.0 s)");
    // A clear() ends the condition: the next one is logged at once, without a count.
    CHECK(l.active("connect:a:1"));
    CHECK(l.clear("connect:a:1") == 0);
    CHECK_FALSE(l.active("connect:a:1"));
    CHECK(l.log_limited(kafka::log_level::warn, "connect:a:1", "a down again", t + 11s));
    CHECK(c.lines.back().second == "[Consumer clientId=c, groupId=g] a down again");
}
