#include <kafka/consumer/classic_membership.hpp>
