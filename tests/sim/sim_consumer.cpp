// The simulated tests' consumer type, compiled once for the whole sim_tests binary.
#include <kafka/impl/consumer.hpp>

#include "sim_support.hpp"

template class kafka::KafkaConsumer<std::string, std::string, sim_support::sim_policies>;
