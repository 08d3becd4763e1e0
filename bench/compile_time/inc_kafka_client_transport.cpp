#include <kafka/client/transport.hpp>
