// A protocol header that includes the engine: check_layers.cmake must reject this tree.
#pragma once
#include <kafka/consumer/fetcher.hpp>
