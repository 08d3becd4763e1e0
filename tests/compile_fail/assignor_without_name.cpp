// An assignor without `static constexpr std::string_view name` (the protocol name other group
// members know it by).
// expect: assignor type needs `static constexpr std::string_view name`
#include <kafka/consumer.hpp>

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct everything_to_the_first {
#ifdef COMPILE_FAIL_CONTROL
    static constexpr std::string_view name = "everything-to-the-first";
#endif
    static constexpr std::array supported_protocols{kafka::rebalance_protocol::eager};

    kafka::group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                                   const std::vector<kafka::member_subscription>& members) {
        kafka::group_assignment out;
        for (auto const& m : members) out[m.member_id];
        if (members.empty()) return out;
        for (auto const& [topic, count] : partitions_per_topic)
            for (std::int32_t p = 0; p < count; ++p) out[members.front().member_id].push_back({topic, p});
        return out;
    }
};

struct policies : kafka::default_policies {
    using assignor = everything_to_the_first;
};

int main() {
    kafka::KafkaConsumer<std::string, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    (void)consumer.poll(std::chrono::milliseconds(1));
}
