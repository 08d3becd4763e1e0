// The quickstart built the way a service with many source files would build it: this file sees
// only KafkaConsumer's declarations (KAFKA_SEPARATE_COMPILATION, set for the whole program in
// CMakeLists.txt), and consumer.cpp compiles the consumer once, for every file that uses it.
// Usage as quickstart's: separate_compilation BOOTSTRAP TOPIC GROUP [MAX]; prints "key=value".
#include <kafka/consumer.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: separate_compilation BOOTSTRAP TOPIC GROUP [MAX]\n");
        return 2;
    }
    long max = argc > 4 ? std::stol(argv[4]) : -1;
    kafka::consumer_config config{std::map<std::string, std::string>{
        {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}}};
    kafka::KafkaConsumer<std::string, std::string> consumer(config);  // the default consumer, compiled in consumer.cpp
    consumer.subscribe({argv[2]});
    long n = 0;
    while (max < 0 || n < max) {
        for (auto const& rec : consumer.poll(std::chrono::milliseconds(100))) {
            std::printf("%s=%s\n", rec.key().c_str(), rec.value().c_str());
            ++n;
        }
    }
    consumer.close();
}
