// A share-group member for test_share_groups.cpp: a KafkaShareConsumer reading TOPIC in the share
// group GROUP and reporting on stdout (line-buffered, so that a SIGKILL loses no line printed):
//
//   joined                          once the membership is stable
//   record: P OFFSET DC VALUE       one record delivered (DC: its delivery count)
//   held                            (hold) the records are held: no acknowledgement, no more polls
//
//   share_member BOOTSTRAP TOPIC GROUP MODE [key=value]...
//
// MODE:
//   hold      poll until records come, print them, then sleep without polling or acknowledging
//             (the heartbeat thread keeps the membership) until killed: a member that dies holding
//             records, whose acquisition locks must expire before anyone else gets them
//   run       poll and print until killed (implicit acknowledgement)
#include <kafka/share_consumer.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: share_member BOOTSTRAP TOPIC GROUP hold|run [key=value]...\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::map<std::string, std::string> props{{"bootstrap.servers", argv[1]}, {"group.id", argv[3]}};
    for (int i = 5; i < argc; ++i) {
        std::string kv = argv[i];
        auto eq = kv.find('=');
        if (eq == std::string::npos) return 2;
        props[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    std::string mode = argv[4];
    try {
        kafka::KafkaShareConsumer<std::string, std::string> consumer{kafka::consumer_config(props)};
        consumer.subscribe({argv[2]});
        bool joined = false;
        for (;;) {
            auto records = consumer.poll(std::chrono::milliseconds(200));
            if (!joined && consumer.engine().membership().stable()) {
                joined = true;
                std::printf("joined\n");
            }
            for (auto const& r : records)
                std::printf("record: %d %lld %d %s\n", r.partition(), static_cast<long long>(r.offset()),
                            static_cast<int>(r.delivery_count().value_or(-1)), r.value().c_str());
            if (mode == "hold" && !records.empty()) {
                std::printf("held\n");
                for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "share_member: %s\n", e.what());
        return 1;
    }
}
