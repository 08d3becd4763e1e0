#include <kafka/consumer.hpp>
