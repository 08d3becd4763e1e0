#include <kafka/policy/assignors/cooperative_sticky.hpp>
