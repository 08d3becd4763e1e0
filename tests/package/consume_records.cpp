// The program the package tests build in outside projects (find_package, add_subdirectory,
// FetchContent): a user's first consumer. Usage: consume_records BOOTSTRAP TOPIC GROUP COUNT
// Subscribes to TOPIC in group GROUP from the earliest offsets, prints "key=value" per record and
// exits 0 after COUNT records; exits 1 when they do not arrive within 60 s, 3 on an exception.
#include <kafka/consumer.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: consume_records BOOTSTRAP TOPIC GROUP COUNT\n");
        return 2;
    }
    try {
        const long count = std::stol(argv[4]);
        kafka::consumer_config config{
            {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}};
        kafka::KafkaConsumer<std::string, std::string> consumer(config);
        consumer.subscribe({argv[2]});
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        long seen = 0;
        while (seen < count && std::chrono::steady_clock::now() < deadline) {
            for (auto const& rec : consumer.poll(std::chrono::milliseconds(200))) {
                std::printf("%s=%s\n", rec.key().c_str(), rec.value().c_str());
                ++seen;
            }
        }
        consumer.close();
        if (seen < count) {
            std::fprintf(stderr, "consume_records: %ld of %ld records within 60 s\n", seen, count);
            return 1;
        }
        return 0;
    } catch (std::exception const& e) {
        std::fprintf(stderr, "consume_records: %s\n", e.what());
        return 3;
    }
}
