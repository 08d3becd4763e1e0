#include <kafka/consumer/fetcher.hpp>
