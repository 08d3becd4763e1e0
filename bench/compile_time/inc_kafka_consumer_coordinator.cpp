#include <kafka/consumer/coordinator.hpp>
