#include <asio.hpp>
