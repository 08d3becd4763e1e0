#include <kafka/client/sasl.hpp>
