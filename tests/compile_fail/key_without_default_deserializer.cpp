// A key type with no default deserializer, and no key_deserializer named in the policies.
// expect: no default deserializer for the key type K: name one in Policies::key_deserializer (a type with
// deserialize(topic, headers, optional<bytes_view>) returning K)
#include <kafka/consumer.hpp>

#include <optional>
#include <string>
#include <string_view>

struct order_id {
    std::string text;
};

#ifdef COMPILE_FAIL_CONTROL
struct order_id_deserializer {
    order_id deserialize(std::string_view, const kafka::headers_view&, std::optional<kafka::bytes_view> d) const {
        return order_id{d ? std::string(kafka::as_string_view(*d)) : std::string()};
    }
};
struct policies : kafka::default_policies {
    using key_deserializer = order_id_deserializer;
};
#else
using policies = kafka::default_policies;
#endif

int main() {
    kafka::KafkaConsumer<order_id, std::string, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    for (auto const& r : consumer.poll(std::chrono::milliseconds(1))) (void)r.key().text;
}
