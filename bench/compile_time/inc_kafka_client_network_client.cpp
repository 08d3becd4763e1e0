#include <kafka/client/network_client.hpp>
