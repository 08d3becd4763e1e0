// A share consumer's bookkeeping with one broker (KIP-932), beside fetch_session.hpp:
//
//  * share_acknowledgements: the acknowledgements one partition has collected and not sent yet,
//    by offset, made into the wire's AcknowledgementBatches (runs of consecutive offsets, one type
//    per offset, a run of one type collapsed to that type, as Java's Acknowledgements does).
//  * share_session: the share session's epoch and the partitions the broker's session holds. The
//    first request opens the session at epoch 0 (and may carry no acknowledgement: Kafka answers
//    INVALID_REQUEST); each answer without a top-level error moves it on by one (INT_MAX wraps to
//    1); a session the broker lost or whose epoch we got wrong (SHARE_SESSION_NOT_FOUND,
//    INVALID_SHARE_SESSION_EPOCH, SHARE_SESSION_LIMIT_REACHED, a lost connection) starts again at
//    0; -1 closes it, and the broker releases what the member still holds.
//    Partitions are added by naming them in a request and removed with ForgottenTopicsData.
//
// Plain data: no I/O (share_fetcher.hpp sends what these build).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <kafka/error.hpp>
#include <kafka/share_types.hpp>
#include <kafka/topic_partition.hpp>

namespace kafka::engine {

/// One partition's acknowledgements not sent yet: offset -> the wire's type (0 gap .. 4 renew).
class share_acknowledgements {
public:
    /// A later acknowledgement of the same offset, before it is sent, replaces the earlier one.
    void add(std::int64_t offset, std::int8_t type) { acks_[offset] = type; }
    bool empty() const noexcept { return acks_.empty(); }
    /// offset -> type.
    const std::map<std::int64_t, std::int8_t>& entries() const noexcept { return acks_; }
    std::size_t size() const noexcept { return acks_.size(); }
    bool has_renew() const noexcept {
        for (auto const& [o, t] : acks_)
            if (t == static_cast<std::int8_t>(acknowledge_type::renew)) return true;
        return false;
    }
    /// The offsets acknowledged (what the acknowledgement commit callback reports).
    std::set<std::int64_t> offsets() const {
        std::set<std::int64_t> out;
        for (auto const& [o, t] : acks_) out.insert(o);
        return out;
    }

    /// The wire's batches (Batch: first_offset, last_offset, acknowledge_types).
    template <class Batch>
    std::vector<Batch> batches() const {
        std::vector<Batch> out;
        for (auto const& [offset, type] : acks_) {
            if (out.empty() || out.back().last_offset + 1 != offset) {
                out.push_back(Batch{});
                out.back().first_offset = offset;
            }
            out.back().last_offset = offset;
            out.back().acknowledge_types.push_back(type);
        }
        for (auto& b : out) {
            auto const& t = b.acknowledge_types;
            bool uniform = true;
            for (auto x : t) uniform = uniform && x == t.front();
            if (uniform) b.acknowledge_types.resize(1);
        }
        return out;
    }

    void erase(std::int64_t offset) { acks_.erase(offset); }
    void erase_renewals() {
        std::erase_if(acks_,
                      [](auto const& e) { return e.second == static_cast<std::int8_t>(acknowledge_type::renew); });
    }
    void clear() noexcept { acks_.clear(); }

private:
    std::map<std::int64_t, std::int8_t> acks_;
};

/// The acknowledgements of several partitions, as one request carries them.
using acknowledgements_by_partition = std::map<topic_partition, share_acknowledgements>;

class share_session {
public:
    static constexpr std::int32_t open_epoch = 0;
    static constexpr std::int32_t close_epoch = -1;

    share_session() = default;
    /// A session the broker holds at `epoch` with `partitions` (tests).
    share_session(std::int32_t epoch, std::set<topic_partition> partitions)
        : epoch_(epoch), partitions_(std::move(partitions)) {}

    /// The epoch the next request carries.
    std::int32_t epoch() const noexcept { return epoch_; }
    /// No session on the broker yet (the next request opens one and may carry no acknowledgement).
    bool is_open() const noexcept { return epoch_ > 0; }
    /// The partitions the broker's session holds (as of the last answered request).
    const std::set<topic_partition>& partitions() const noexcept { return partitions_; }

    /// What a request for `wanted` names: the partitions new to the session (all of them when
    /// opening), and those leaving it.
    struct delta {
        std::set<topic_partition> added;
        std::set<topic_partition> forgotten;
    };
    delta changes(const std::set<topic_partition>& wanted) const {
        delta d;
        for (auto const& tp : wanted)
            if (!is_open() || !partitions_.count(tp)) d.added.insert(tp);
        if (is_open())
            for (auto const& tp : partitions_)
                if (!wanted.count(tp)) d.forgotten.insert(tp);
        return d;
    }

    /// The broker answered a request naming `wanted` (a ShareFetch) or keeping the partitions
    /// (nullptr: a ShareAcknowledge) with this top-level error. Returns false when the session
    /// must start again (the answer's partitions then mean nothing).
    bool on_response(std::int16_t error_code, const std::set<topic_partition>* wanted) {
        auto e = static_cast<errc>(error_code);
        if (e == errc::share_session_not_found || e == errc::invalid_share_session_epoch ||
            e == errc::share_session_limit_reached) {
            reset();
            return false;
        }
        if (error_code != 0) return false;
        if (wanted) partitions_ = *wanted;
        epoch_ = epoch_ == std::numeric_limits<std::int32_t>::max() ? 1 : epoch_ + 1;
        return true;
    }
    /// The request failed on the way (disconnected, timed out): whether the broker saw it is
    /// unknown, so the session starts again.
    void reset() noexcept {
        epoch_ = open_epoch;
        partitions_.clear();
    }

private:
    std::int32_t epoch_ = open_epoch;
    std::set<topic_partition> partitions_;
};

}  // namespace kafka::engine
