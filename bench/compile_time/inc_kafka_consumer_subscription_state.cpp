#include <kafka/consumer/subscription_state.hpp>
