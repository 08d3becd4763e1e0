#include <kafka/protocol/messages.hpp>
