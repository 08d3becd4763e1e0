// Exponential backoff with jitter, as Java's ExponentialBackoff: the wait after n consecutive
// failures is base * 2^n, capped at max, scaled by a random factor in [1 - jitter, 1 + jitter].
// Used for reconnects (reconnect.backoff.ms / .max.ms), connection setup timeouts
// (socket.connection.setup.timeout.ms / .max.ms) and request retries (retry.backoff.ms / .max.ms:
// metadata, coordinator lookup, committed offsets, offset resets).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace kafka::client {

class exponential_backoff {
public:
    /// `max` below `base` is taken as `base` (a backoff that does not grow).
    exponential_backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, double jitter = 0.2,
                        std::uint32_t seed = std::random_device{}())
        : base_(base), max_(std::max(base, max)), jitter_(jitter), rng_(seed) {}

    /// The wait after `failures` consecutive failures, the first failure being 0: base, 2 * base, ...
    std::chrono::milliseconds after(int failures) {
        auto grown = std::chrono::duration<double, std::milli>(base_) *
                     static_cast<double>(std::uint64_t{1} << std::clamp(failures, 0, 30));
        grown = std::min(grown, std::chrono::duration<double, std::milli>(max_));
        if (jitter_ > 0) grown *= std::uniform_real_distribution<double>(1 - jitter_, 1 + jitter_)(rng_);
        return std::chrono::duration_cast<std::chrono::milliseconds>(grown);
    }

    std::chrono::milliseconds base() const noexcept { return base_; }
    std::chrono::milliseconds max() const noexcept { return max_; }

private:
    std::chrono::milliseconds base_;
    std::chrono::milliseconds max_;
    double jitter_;
    std::minstd_rand rng_;
};

}  // namespace kafka::client
