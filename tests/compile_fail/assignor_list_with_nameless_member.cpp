// A kafka::assignors::list naming a type that is not an assignor (it has no name): the consumer
// checks each listed type, so the error names what that type lacks, and nothing else.
// expect: assignor type needs `static constexpr std::string_view name`
#include <kafka/consumer.hpp>

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// Gives every member nothing (enough for a type that is only listed).
struct nobody_gets_anything {
#ifdef COMPILE_FAIL_CONTROL
    static constexpr std::string_view name = "nobody-gets-anything";
#endif
    static constexpr std::array supported_protocols{kafka::rebalance_protocol::eager};

    kafka::group_assignment assign(const std::map<std::string, std::int32_t>&,
                                   const std::vector<kafka::member_subscription>& members) {
        kafka::group_assignment out;
        for (auto const& m : members) out[m.member_id];
        return out;
    }
};

struct policies : kafka::default_policies {
    using assignor = kafka::assignors::list<kafka::assignors::range, nobody_gets_anything>;
};

int main() {
    kafka::KafkaConsumer<std::string, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    (void)consumer.poll(std::chrono::milliseconds(1));
}
