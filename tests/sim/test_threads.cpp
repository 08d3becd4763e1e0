// Simulated end to end: a second thread: wakeup() interrupting a blocked poll, concurrent use refused.
#include "sim_support.hpp"

#include <exception>
#include <string>
#include <thread>
#include <vector>

using namespace sim_support;

TEST_CASE("engine sim: wakeup() from another thread interrupts a poll blocked in simulated time",
          "[sim][engine][threads]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);

    int idles = 0;
    cluster.on_idle([&] {
        if (++idles != 3) return;  // well inside the poll
        std::thread other([&] { c->wakeup(); });
        other.join();
    });
    auto start = cluster.now();
    CHECK_THROWS_AS(c->poll(10min), kafka::wakeup_error);
    CHECK(seconds(cluster.now() - start) < 5.0);
    cluster.on_idle({});

    // The wakeup is consumed: the consumer works on.
    cluster.produce("t", 0, "after");
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    CHECK(seen.values.back() == "after");
}

TEST_CASE("engine sim: using the consumer from a second thread while a poll runs throws concurrent_access_error",
          "[sim][engine][threads]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 1);
    auto c = make_consumer(cluster);
    seen_records seen;
    listener_log log;
    join(cluster, *c, seen, log, "t", 1);

    std::vector<std::string> outcomes;
    bool done = false;
    cluster.on_idle([&] {
        if (done) return;
        done = true;
        std::thread other([&] {
            auto attempt = [&](const char* what, auto&& fn) {
                try {
                    fn();
                    outcomes.push_back(std::string(what) + ": no error");
                } catch (const kafka::concurrent_access_error&) {
                    outcomes.push_back(std::string(what) + ": concurrent_access_error");
                } catch (const std::exception& e) {
                    outcomes.push_back(std::string(what) + ": " + e.what());
                }
            };
            attempt("poll", [&] { c->poll(0ms); });
            attempt("assignment", [&] { (void)c->assignment(); });
            attempt("commitSync", [&] { c->commitSync(); });
        });
        other.join();
    });
    cluster.produce("t", 0, "x");
    auto rs = c->poll(5s);  // the poll in progress is not disturbed
    cluster.on_idle({});
    seen.add(rs);
    REQUIRE(poll_until(cluster, *c, seen, [&] { return seen.count() == 1; }));
    CHECK(outcomes == std::vector<std::string>{"poll: concurrent_access_error", "assignment: concurrent_access_error",
                                               "commitSync: concurrent_access_error"});
}
