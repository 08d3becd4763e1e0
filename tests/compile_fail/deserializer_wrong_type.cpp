// A value deserializer that returns something other than the consumer's value type.
// expect: the value deserializer must have `V deserialize(std::string_view topic, const kafka::headers_view&,
// std::optional<kafka::bytes_view>) const` returning the consumer's value type
#include <kafka/consumer.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct price {
    long cents = 0;
};

struct price_deserializer {
#ifdef COMPILE_FAIL_CONTROL
    price deserialize(std::string_view, const kafka::headers_view&, std::optional<kafka::bytes_view> d) const {
        return price{d ? static_cast<long>(d->size()) : 0};
    }
#else
    // Returns the raw characters: not a price, and nothing converts them into one.
    std::vector<char> deserialize(std::string_view, const kafka::headers_view&,
                                  std::optional<kafka::bytes_view> d) const {
        std::vector<char> out;
        if (d)
            for (auto b : *d) out.push_back(static_cast<char>(b));
        return out;
    }
#endif
};

struct policies : kafka::default_policies {
    using value_deserializer = price_deserializer;
};

int main() {
    kafka::KafkaConsumer<std::string, price, policies> consumer{
        kafka::consumer_config{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "g"}}};
    consumer.subscribe({"t"});
    for (auto const& r : consumer.poll(std::chrono::milliseconds(1))) (void)r.value().cents;
}
