#include <kafka/config.hpp>
