// The seed's example in C++: subscribe, poll, handle. Usage: quickstart BOOTSTRAP TOPIC GROUP [MAX]
// Prints "key=value" per record; stops after MAX records (default: run until interrupted).
#include <kafka/consumer.hpp>

#include <cstdio>
#include <string>

struct my_policies : kafka::default_policies {
    using assignor = kafka::assignors::cooperative_sticky;
    using offset_commit = kafka::commit::auto_commit;
};

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: quickstart BOOTSTRAP TOPIC GROUP [MAX]\n");
        return 2;
    }
    long max = argc > 4 ? std::stol(argv[4]) : -1;
    kafka::consumer_config config{std::map<std::string, std::string>{
        {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}}};
    kafka::KafkaConsumer<std::string, std::string, my_policies> consumer(config);
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
