// A value type with no default deserializer, and no value_deserializer named in the policies.
// expect: no default deserializer for the value type V: name one in Policies::value_deserializer (a type with
// deserialize(topic, headers, optional<bytes_view>) returning V)
#include <kafka/consumer.hpp>

#include <optional>
#include <string>
#include <string_view>

struct order {
    std::string text;
};

#ifdef COMPILE_FAIL_CONTROL
struct order_deserializer {
    order deserialize(std::string_view, const kafka::headers_view&, std::optional<kafka::bytes_view> d) const {
        return order{d ? std::string(kafka::as_string_view(*d)) : std::string()};
    }
};
struct policies : kafka::default_policies {
    using value_deserializer = order_deserializer;
};
#else
using policies = kafka::default_policies;
#endif

int main() {
    kafka::KafkaConsumer<std::string, order, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    for (auto const& r : consumer.poll(std::chrono::milliseconds(1))) (void)r.value().text;
}
