// Include in exactly one source file of a program built with KAFKA_SEPARATE_COMPILATION: it
// compiles the default consumer, KafkaConsumer<std::string, std::string, default_policies>, which
// the other files then use from declarations alone. Other consumer types are compiled the same
// way, in that file or another: include <kafka/impl/consumer.hpp>, then
// `template class kafka::KafkaConsumer<K, V, P>;`.
#pragma once

#include <string>

#include <kafka/impl/consumer.hpp>

namespace kafka {
template class KafkaConsumer<std::string, std::string, default_policies>;
}  // namespace kafka
