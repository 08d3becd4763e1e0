// An assignor whose assign() has the wrong signature: it forgets the partition counts and
// returns its own map type instead of kafka::group_assignment.
// expect: assignor type needs `kafka::group_assignment assign(const std::map<std::string, std::int32_t>&
// partitions_per_topic, const std::vector<kafka::member_subscription>& members)`
#include <kafka/consumer.hpp>

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct first_takes_all {
    static constexpr std::string_view name = "first-takes-all";
    static constexpr std::array supported_protocols{kafka::rebalance_protocol::eager};

#ifdef COMPILE_FAIL_CONTROL
    kafka::group_assignment assign(const std::map<std::string, std::int32_t>& partitions_per_topic,
                                   const std::vector<kafka::member_subscription>& members) {
        kafka::group_assignment out;
        for (auto const& m : members) out[m.member_id];
        if (members.empty()) return out;
        for (auto const& [topic, count] : partitions_per_topic)
            for (std::int32_t p = 0; p < count; ++p) out[members.front().member_id].push_back({topic, p});
        return out;
    }
#else
    std::map<std::string, std::vector<int> > assign(const std::vector<kafka::member_subscription>& members) {
        std::map<std::string, std::vector<int> > out;
        for (auto const& m : members) out[m.member_id];
        return out;
    }
#endif
};

struct policies : kafka::default_policies {
    using assignor = first_takes_all;
};

int main() {
    kafka::KafkaConsumer<std::string, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    (void)consumer.poll(std::chrono::milliseconds(1));
}
