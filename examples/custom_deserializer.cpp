// A deserializer of your own: "id,amount,currency" CSV values into a struct, plugged in with
// Policies::value_deserializer, and what to do when a record does not parse.
//
//   custom_deserializer BOOTSTRAP TOPIC GROUP [MAX] [TIMEOUT_SECONDS] [key=value]...
//
// A deserializer is any type with
//     T deserialize(std::string_view topic, const kafka::headers_view&, std::optional<kafka::bytes_view>) const;
// It runs on the consumer's thread for each record, with no virtual call. When it throws, poll()
// first returns the good records before the bad one, then throws kafka::record_deserialization_error
// naming the partition and offset; the position stays on the bad record, so the application
// decides: here it reports the record and seeks past it (a dead-letter topic would go here).
//
// Output (stdout, one line each):
//   payment: TOPIC-P@OFFSET id=ID amount=UNITS.CENTS currency=CUR
//   bad record: TOPIC-P@OFFSET: REASON
//   done: G good, B bad
// Stops after MAX records, good and bad together (default: no limit), or TIMEOUT_SECONDS (default 60).
#include <kafka/consumer.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct payment {
    std::int64_t id = 0;
    std::int64_t amount_cents = 0;  // money as an integer number of cents, never a double
    std::string currency;           // ISO 4217: three capital letters
};

struct payment_csv {
    payment deserialize(std::string_view, const kafka::headers_view&, std::optional<kafka::bytes_view> data) const {
        if (!data) throw std::invalid_argument("null value (a tombstone is not a payment)");
        auto text = kafka::as_string_view(*data);
        auto c1 = text.find(',');
        auto c2 = c1 == std::string_view::npos ? c1 : text.find(',', c1 + 1);
        if (c2 == std::string_view::npos || text.find(',', c2 + 1) != std::string_view::npos)
            throw std::invalid_argument("expected 3 comma-separated fields: id,amount,currency");
        payment p;
        p.id = integer(text.substr(0, c1), "id");
        p.amount_cents = cents(text.substr(c1 + 1, c2 - c1 - 1));
        p.currency = std::string(text.substr(c2 + 1));
        if (p.currency.size() != 3 ||
            !std::all_of(p.currency.begin(), p.currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
            throw std::invalid_argument("currency '" + p.currency + "' is not three capital letters");
        return p;
    }

private:
    static std::int64_t integer(std::string_view s, const char* what) {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size())
            throw std::invalid_argument(std::string(what) + " '" + std::string(s) + "' is not an integer");
        return v;
    }
    // "12", "12.5" or "12.50" -> 1200, 1250, 1250
    static std::int64_t cents(std::string_view s) {
        auto dot = s.find('.');
        auto units = integer(s.substr(0, dot), "amount");
        if (units < 0) throw std::invalid_argument("amount '" + std::string(s) + "' is negative");
        if (dot == std::string_view::npos) return units * 100;
        auto frac = s.substr(dot + 1);
        if (frac.empty() || frac.size() > 2 ||
            !std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw std::invalid_argument("amount '" + std::string(s) + "' needs 1 or 2 digits after the point");
        return units * 100 + integer(frac, "amount") * (frac.size() == 1 ? 10 : 1);
    }
};

struct payment_policies : kafka::default_policies {
    using value_deserializer = payment_csv;  // the key stays std::string with its default deserializer
};

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 4) {
        std::fprintf(stderr,
                     "usage: custom_deserializer BOOTSTRAP TOPIC GROUP [MAX] [TIMEOUT_SECONDS] [key=value]...\n");
        return 2;
    }
    long max = argc > 4 ? std::stol(argv[4]) : -1;
    int timeout_s = argc > 5 ? std::stoi(argv[5]) : 60;
    std::map<std::string, std::string> props{
        {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}};
    for (int i = 6; i < argc; ++i) {
        std::string kv = argv[i];
        auto eq = kv.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "custom_deserializer: expected key=value, got '%s'\n", kv.c_str());
            return 2;
        }
        props[kv.substr(0, eq)] = kv.substr(eq + 1);
    }

    try {
        kafka::KafkaConsumer<std::string, payment, payment_policies> consumer{kafka::consumer_config(props)};
        consumer.subscribe({argv[2]});
        long good = 0, bad = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        while ((max < 0 || good + bad < max) && std::chrono::steady_clock::now() < deadline) {
            try {
                for (auto const& r : consumer.poll(std::chrono::milliseconds(200))) {
                    auto const& p = r.value();
                    std::printf("payment: %s-%d@%lld id=%lld amount=%lld.%02lld currency=%s\n", r.topic().c_str(),
                                r.partition(), static_cast<long long>(r.offset()), static_cast<long long>(p.id),
                                static_cast<long long>(p.amount_cents / 100),
                                static_cast<long long>(p.amount_cents % 100), p.currency.c_str());
                    ++good;
                }
            } catch (const kafka::record_deserialization_error& e) {
                // The records before it were returned by earlier polls; this one is skipped.
                std::printf("bad record: %s@%lld: %s\n", e.partition().to_string().c_str(),
                            static_cast<long long>(e.offset()), e.what());
                consumer.seek(e.partition(), e.offset() + 1);
                ++bad;
            }
        }
        std::printf("done: %ld good, %ld bad\n", good, bad);
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "custom_deserializer: %s\n", e.what());
        return 1;
    }
}
