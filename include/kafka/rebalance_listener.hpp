// Callbacks around a rebalance (Java's ConsumerRebalanceListener).
#pragma once

#include <functional>
#include <vector>

#include <kafka/topic_partition.hpp>

namespace kafka {

/// Each callback runs on the user's thread inside poll() (or close/unsubscribe), never from an
/// I/O handler. Empty functions are skipped.
struct rebalance_listener {
    std::function<void(const std::vector<topic_partition>&)> on_partitions_revoked;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_assigned;
    std::function<void(const std::vector<topic_partition>&)> on_partitions_lost;
};

}  // namespace kafka
