#include <kafka/protocol/record_batch.hpp>
