// The share consumer's small value types (KIP-932): how a record is acknowledged. Its two
// settings' values (share.acknowledgement.mode, share.acquire.mode) are in config_enums.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

#include <kafka/topic_partition.hpp>

namespace kafka {

/// How a delivered record is acknowledged (Java's AcknowledgeType; the numbers are the wire's).
///  accept:  processed; never delivered again.
///  release: not processed; the broker delivers it again (to any member), counting the delivery.
///  reject:  unprocessable; never delivered again (archived).
///  renew:   still being processed: the broker extends its acquisition lock (ShareFetch and
///           ShareAcknowledge v2, Kafka 4.2+); the record stays with this member and must still
///           be acknowledged with one of the other three.
enum class acknowledge_type : std::int8_t { accept = 1, release = 2, reject = 3, renew = 4 };

/// The wire's GAP: an acquired offset holding no record the consumer can deliver (a control
/// record, a compacted-away offset). The consumer sends it itself; users never do.
inline constexpr std::int8_t acknowledge_gap = 0;

constexpr std::string_view to_string(acknowledge_type t) noexcept {
    switch (t) {
        case acknowledge_type::accept:
            return "ACCEPT";
        case acknowledge_type::release:
            return "RELEASE";
        case acknowledge_type::reject:
            return "REJECT";
        case acknowledge_type::renew:
            return "RENEW";
    }
    return "?";
}

/// What the acknowledgement commit callback is told: the offsets of a partition whose
/// acknowledgements the broker answered, and the error (none when it applied them).
using acknowledgement_commit_callback =
    std::function<void(const std::map<topic_partition, std::set<std::int64_t>>& offsets, std::error_code error)>;

}  // namespace kafka
