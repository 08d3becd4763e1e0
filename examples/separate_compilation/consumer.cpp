// The one source file that compiles the consumer (KafkaConsumer<std::string, std::string>).
#include <kafka/impl/src.hpp>
