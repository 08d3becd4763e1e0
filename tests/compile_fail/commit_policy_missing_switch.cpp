// An offset-commit policy that forgets one of its three switches (commit_on_revoke).
// expect: Policies::offset_commit must define static constexpr bool commit_on_interval, commit_after_poll and
// commit_on_revoke expect: commit_on_revoke is missing
#include <kafka/consumer.hpp>

#include <string>

struct commit_after_each_poll {
    static constexpr bool commit_on_interval = false;
    static constexpr bool commit_after_poll = true;
#ifdef COMPILE_FAIL_CONTROL
    static constexpr bool commit_on_revoke = true;
#endif
};

struct policies : kafka::default_policies {
    using offset_commit = commit_after_each_poll;
};

int main() {
    kafka::KafkaConsumer<std::string, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    (void)consumer.poll(std::chrono::milliseconds(1));
    consumer.close();
}
