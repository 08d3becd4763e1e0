// The rest of Java's API against the real broker: partitionsFor's replicas as Kafka reports them,
// and close(close_options) with REMAIN_IN_GROUP (KIP-1092): the member stays, so a newcomer gets
// its partitions only when its session expired, where after a default close it gets them at once.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <kafka/consumer.hpp>

#include <catch2/catch.hpp>

#include "broker_env.hpp"
#include "consumer_test_support.hpp"

using namespace std::chrono_literals;
using namespace kafka::test::support;
using manual_consumer = kafka::KafkaConsumer<std::string, std::string>;  // with enable.auto.commit=false

TEST_CASE("partitionsFor: leader, replicas and ISR as the broker reports them; listTopics sees the topic",
          "[integration][api]") {
    auto topic = kafka::test::shell::unique_name("api-parts");
    kafka::test::create_topic(topic, 3);
    manual_consumer c{make_config({{"enable.auto.commit", "false"}})};
    auto parts = c.partitionsFor(topic);
    REQUIRE(parts.size() == 3);
    auto bootstrap = kafka::test::broker_env::get().bootstrap();
    for (int p = 0; p < 3; ++p) {
        INFO("partition " << p);
        CHECK(parts[p].partition == p);
        REQUIRE(parts[p].leader);
        // One broker: it leads, is the only replica, in sync, nothing offline; its address is the
        // listener the consumer bootstrapped from.
        CHECK(parts[p].leader->host + ":" + std::to_string(parts[p].leader->port) == bootstrap);
        REQUIRE(parts[p].replicas.size() == 1);
        CHECK(parts[p].replicas[0] == *parts[p].leader);
        CHECK(parts[p].in_sync_replicas == parts[p].replicas);
        CHECK(parts[p].offline_replicas.empty());
    }
    manual_consumer no_create{make_config({{"enable.auto.commit", "false"}, {"allow.auto.create.topics", "false"}})};
    CHECK(no_create.partitionsFor(kafka::test::shell::unique_name("api-none")).empty());
    auto topics = c.listTopics();
    REQUIRE(topics.count(topic));
    CHECK(topics[topic].size() == 3);
}

TEST_CASE("close(REMAIN_IN_GROUP): the partitions stay with the closed member until its session expires",
          "[integration][api]") {
    auto remain = GENERATE(false, true);
    INFO((remain ? "REMAIN_IN_GROUP" : "DEFAULT"));
    auto topic = kafka::test::shell::unique_name("api-close");
    auto group = kafka::test::shell::unique_name("api-close");
    kafka::test::create_topic(topic, 2);
    std::map<std::string, std::string> props{{"group.id", group},
                                             {"enable.auto.commit", "false"},
                                             {"session.timeout.ms", "8000"},
                                             {"heartbeat.interval.ms", "500"}};
    {
        manual_consumer first{make_config(props)};
        first.subscribe({topic});
        REQUIRE(wait_until(60s, [&] {
            first.poll(100ms);
            return first.assignment().size() == 2;
        }));
        first.close(kafka::close_options{5s, remain ? kafka::group_membership_operation::remain_in_group
                                                    : kafka::group_membership_operation::default_operation});
    }
    manual_consumer second{make_config(props)};
    second.subscribe({topic});
    auto t0 = steady::now();
    REQUIRE(wait_until(60s, [&] {
        second.poll(100ms);
        return second.assignment().size() == 2;
    }));
    auto waited = ms_since(t0);
    INFO("the newcomer had both partitions after " << waited << " ms");
    if (remain)
        CHECK(waited >= 5000);  // the first member's 8 s session had to expire
    else
        CHECK(waited < 5000);
    second.close();
}
