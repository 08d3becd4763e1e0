// kafka/metrics.hpp: sensors compute windowed rates, averages and maxima as Kafka's SampledStat
// does, and to_prometheus() writes the text exposition format.
#include <kafka/metrics.hpp>

#include <cmath>

#include <catch2/catch.hpp>

TEST_CASE("sensor: a rate covers at least samples - 1 full windows, as Kafka's Rate", "[metrics]") {
    // window 1000 ms, 2 samples (3 windows kept)
    kafka::sensor s({1000, 2});
    s.record(10, 0);
    s.record(20, 500);
    // 500 ms elapsed since the window began, less than one full window: counted as 1500 ms.
    CHECK(s.rate(500) == Approx(30.0 / 1.5));
    CHECK(s.count_rate(500) == Approx(2.0 / 1.5));
    CHECK(s.avg(500) == 15);
    CHECK(s.max(500) == 20);
    CHECK(s.min(500) == 10);
    // A second window starts at 1200; both count until the first is samples x window old.
    s.record(30, 1200);
    CHECK(s.rate(1500) == Approx(60.0 / 1.5));  // 1500 ms since the oldest window: one full window
    CHECK(s.max(1500) == 30);
    // At 2000 the first window's last event (500) is 1500 ms old, less than 2 windows: it still
    // counts, over the 2000 ms since it started.
    CHECK(s.rate(2000) == Approx(60.0 / 2.0));
    CHECK(s.avg(2000) == 20);
    // At 2500 its last event is 2 windows old: reset; 30 remains over the 1300 ms since 1200.
    CHECK(s.rate(2500) == Approx(30.0 / 1.3));
    CHECK(s.avg(2500) == 30);
    CHECK(s.total() == 60);
    CHECK(s.total_count() == 3);
    // Long after: nothing in the windows, NaN for avg/max/min (as Java), totals stay.
    CHECK(s.rate(100000) == 0);
    CHECK(std::isnan(s.avg(100000)));
    CHECK(std::isnan(s.max(100000)));
    CHECK(std::isnan(s.min(100000)));
    CHECK(s.total() == 60);
}

TEST_CASE("sensor: the oldest window is reused when all are taken", "[metrics]") {
    kafka::sensor s({100, 3});
    for (int t = 0; t < 1000; t += 100) s.record(1, t);  // one event per window, windows 0..900
    // Four slots (samples + 1) hold the windows started at 600, 700, 800, 900; at t = 1000 the
    // last events of 600 and 700 are samples x window old and reset: 2 events over the 200 ms
    // since 800.
    CHECK(s.count_rate(1000) == Approx(2.0 / 0.2));
    CHECK(s.avg(1000) == 1);
    CHECK(s.total_count() == 10);
}

TEST_CASE("to_prometheus: families, labels, counters and NaN", "[metrics]") {
    std::vector<kafka::metric> all{
        {{"records-consumed-total", "consumer-fetch-manager-metrics", {{"client-id", "c1"}, {"topic", "t"}}, "Records"},
         5},
        {{"records-lag-max", "consumer-fetch-manager-metrics", {{"client-id", "c1"}}, "Lag"}, std::nan("")},
        {{"records-consumed-total", "consumer-fetch-manager-metrics", {{"client-id", "c\"1"}}, "Records"}, 7},
    };
    auto text = kafka::to_prometheus(all);
    CHECK(text ==
          "# HELP kafka_consumer_fetch_manager_records_consumed_total Records\n"
          "# TYPE kafka_consumer_fetch_manager_records_consumed_total counter\n"
          "kafka_consumer_fetch_manager_records_consumed_total{client_id=\"c1\",topic=\"t\"} 5\n"
          "kafka_consumer_fetch_manager_records_consumed_total{client_id=\"c\\\"1\"} 7\n"
          "# HELP kafka_consumer_fetch_manager_records_lag_max Lag\n"
          "# TYPE kafka_consumer_fetch_manager_records_lag_max gauge\n"
          "kafka_consumer_fetch_manager_records_lag_max{client_id=\"c1\"} NaN\n");
}
