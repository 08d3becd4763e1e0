#include <kafka/client/connection.hpp>
