#include "my_policies.hpp"
template class kafka::KafkaConsumer<std::string, std::string, my_policies>;
