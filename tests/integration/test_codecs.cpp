// Record batches written by a third-party producer (kcat, librdkafka) with every codec, fetched
// from the real broker and decoded by the consumer: exactly what was produced, in order.
#include <kafka/consumer.hpp>

#include <catch2/catch.hpp>

#include "broker_env.hpp"

using namespace kafka;

TEST_CASE("kcat-produced batches decode with every codec", "[codecs]") {
    auto const& env = test::broker_env::get();
    for (std::string codec : {"gzip", "snappy", "lz4", "zstd"}) {
        INFO(codec);
        KafkaConsumer<std::string_view, std::string_view> consumer{
            consumer_config{{"bootstrap.servers", env.bootstrap()}, {"max.poll.records", "300"}}};
        topic_partition tp{"sample-" + codec, 0};
        consumer.assign({tp});
        consumer.seekToBeginning({tp});
        std::int64_t next = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (next < 1000 && std::chrono::steady_clock::now() < deadline) {
            for (auto const& r : consumer.poll(std::chrono::milliseconds(500))) {
                REQUIRE(r.offset() == next);
                CHECK(r.value() == codec + "-" + std::to_string(next));
                CHECK(r.serialized_key_size() == -1);
                ++next;
            }
        }
        CHECK(next == 1000);
        CHECK(consumer.endOffsets({tp}).at(tp) == 1000);
        consumer.close();
    }
}
