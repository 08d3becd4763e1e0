// Committed offsets (Java's CommitRequestManager): OffsetCommit and OffsetFetch to the group
// coordinator, for members of either group protocol and for consumers outside any membership
// (assign() with group.id). A commit carries the member's identity as the membership gives it:
// the generation (classic) or member epoch (KIP-848) and the member id; -1 and "" outside a group.
//
// Non-blocking: each call sends at most one request and returns a future completed from the
// network client's pendingCompletion queue. Errors that say the membership is gone (unknown
// member, stale generation or epoch, fenced instance, rebalance in progress) are also handed to
// the membership through on_member_error, which decides what they mean for it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <kafka/client/backoff.hpp>
#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/consumer/coordinator_locator.hpp>
#include <kafka/consumer/subscription_state.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/offset_commit.hpp>
#include <kafka/protocol/messages/offset_fetch.hpp>

namespace kafka::engine {

/// Who commits: what OffsetCommit sends to prove membership.
struct member_identity {
    std::int32_t generation_or_epoch = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
};

template <transport Transport>
class commit_manager {
public:
    using client_type = client::network_client<Transport>;
    using metadata_type = client::basic_metadata<typename Transport::clock_type>;
    using time_point = typename Transport::clock_type::time_point;
    using committed_map = std::map<topic_partition, std::optional<offset_and_metadata>>;
    using commit_result = std::map<topic_partition, std::error_code>;

    commit_manager(client_type& client, metadata_type& metadata, subscription_state& subs,
                   coordinator_locator<Transport>& locator, std::string group_id)
        : client_(client), metadata_(metadata), subs_(subs), locator_(locator), group_id_(std::move(group_id)) {}

    /// Receives the errors of a commit that concern the membership (see the file comment).
    void on_member_error(std::function<void(errc, const std::string&)> f) { member_error_ = std::move(f); }

    /// OffsetFetch for `partitions`; nullopt per partition when nothing is committed.
    client::request_future<committed_map> fetch_committed(const std::vector<topic_partition>& partitions) {
        client::request_future<committed_map> out;
        auto node = locator_.node();
        if (!node) {
            out.raise(make_error_code(errc::coordinator_not_available));
            return out;
        }
        protocol::OffsetFetchRequest req;
        req.group_id = group_id_;
        req.require_stable = true;
        std::map<std::string, std::vector<std::int32_t>> by_topic;
        for (auto const& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
        req.topics.emplace();
        protocol::OffsetFetchRequest::OffsetFetchRequestGroup g;
        g.group_id = group_id_;
        g.topics.emplace();
        std::optional<std::int16_t> cap;
        for (auto const& [t, ps] : by_topic) {
            req.topics->push_back({t, ps});
            protocol::OffsetFetchRequest::OffsetFetchRequestTopics gt;
            gt.name = t;
            gt.topic_id = metadata_.topic_id(t);
            gt.partition_indexes = ps;
            if (gt.topic_id.is_zero()) cap = 9;  // v10 names topics by id: without every id, stay at v9 or below
            g.topics->push_back(std::move(gt));
        }
        req.groups.push_back(std::move(g));
        client_.send(*node, std::move(req), cap).add_listener([this, out](auto& f) mutable {
            if (f.failed()) return fail(out, f.error());
            auto& r = f.value();
            committed_map res;
            std::int16_t group_error = 0;
            auto take = [&](const std::string& topic, std::int32_t partition, std::int64_t offset, std::int32_t epoch,
                            const std::optional<std::string>& meta, std::int16_t err) {
                if (err != 0 && group_error == 0) group_error = err;
                if (offset < 0)
                    res[{topic, partition}] = std::nullopt;
                else
                    res[{topic, partition}] = offset_and_metadata{
                        offset, meta.value_or(""), epoch >= 0 ? std::optional<std::int32_t>(epoch) : std::nullopt};
            };
            if (r.version >= 8) {
                for (auto const& grp : r.body.groups) {
                    if (grp.error_code) group_error = grp.error_code;
                    for (auto const& t : grp.topics) {
                        auto name = r.version >= 10 ? metadata_.topic_name(t.topic_id).value_or(t.name) : t.name;
                        for (auto const& p : t.partitions)
                            take(name, p.partition_index, p.committed_offset, p.committed_leader_epoch, p.metadata,
                                 p.error_code);
                    }
                }
            } else {
                group_error = r.body.error_code;
                for (auto const& t : r.body.topics)
                    for (auto const& p : t.partitions)
                        take(t.name, p.partition_index, p.committed_offset, p.committed_leader_epoch, p.metadata,
                             p.error_code);
            }
            if (group_error) return fail(out, make_error_code(static_cast<errc>(group_error)));
            out.complete(std::move(res));
        });
        return out;
    }

    /// Committed offsets of partitions without a position: sends OffsetFetch (one at a time); on
    /// answer, seeks to the committed offset or requests the reset policy. Without a group, every
    /// such partition is reset. Returns true when no partition is missing a position. A failed
    /// OffsetFetch is sent again after retry.backoff.ms (Java's fetchCommittedOffsets sleeps it):
    /// one that fails at once, as when the coordinator's connection serves no usable version,
    /// would otherwise be sent and failed again in a loop that never waits.
    bool refresh_committed_offsets(time_point now) {
        auto missing = subs_.partitions_needing_position();
        if (missing.empty()) return true;
        if (group_id_.empty()) {
            for (auto const& tp : missing) subs_.request_reset(tp, subs_.default_reset());
            return true;
        }
        if (offset_fetch_in_flight_ || now < offset_fetch_retry_at_ || !locator_.ensure(now)) return false;
        std::map<topic_partition, std::uint64_t> epochs;
        for (auto const& tp : missing) epochs[tp] = subs_.seek_epoch(tp);
        offset_fetch_in_flight_ = true;
        fetch_committed(missing).add_listener([this, epochs](auto& f) {
            offset_fetch_in_flight_ = false;
            if (f.failed()) {
                offset_fetch_retry_at_ = client_.now() + offset_fetch_backoff_.after(offset_fetch_failures_++);
                return;
            }
            offset_fetch_failures_ = 0;
            for (auto const& [tp, o] : f.value()) {
                auto it = epochs.find(tp);
                if (it == epochs.end() || !subs_.is_assigned(tp) || subs_.seek_epoch(tp) != it->second ||
                    subs_.position(tp))
                    continue;
                if (o && o->offset >= 0)
                    subs_.seek(tp, {o->offset, o->leader_epoch});
                else
                    subs_.request_reset(tp, subs_.default_reset());
            }
        });
        return false;
    }

    /// Until a failed OffsetFetch may be sent again; nullopt when none waits for its backoff.
    std::optional<typename client_type::duration> time_to_offset_fetch_retry(time_point now) const {
        if (now >= offset_fetch_retry_at_) return std::nullopt;
        return offset_fetch_retry_at_ - now;
    }

    /// OffsetCommit of `offsets` as `who`.
    client::request_future<commit_result> commit(const std::map<topic_partition, offset_and_metadata>& offsets,
                                                 const member_identity& who, time_point now) {
        client::request_future<commit_result> out;
        if (group_id_.empty()) {
            out.raise(make_error_code(errc::invalid_group_id));
            return out;
        }
        if (offsets.empty()) {
            out.complete({});
            return out;
        }
        if (!locator_.ensure(now)) {
            out.raise(make_error_code(errc::coordinator_not_available));
            return out;
        }
        protocol::OffsetCommitRequest req;
        req.group_id = group_id_;
        req.generation_id_or_member_epoch = who.generation_or_epoch;
        req.member_id = who.member_id;
        req.group_instance_id = who.group_instance_id;
        std::optional<std::int16_t> cap;
        for (auto const& [tp, om] : offsets) {
            auto it = std::find_if(req.topics.begin(), req.topics.end(),
                                   [&topic = tp.topic](auto const& t) { return t.name == topic; });
            if (it == req.topics.end()) {
                req.topics.push_back({});
                it = std::prev(req.topics.end());
                it->name = tp.topic;
                it->topic_id = metadata_.topic_id(tp.topic);
                if (it->topic_id.is_zero()) cap = 9;  // v10 names topics by id
            }
            protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
            p.partition_index = tp.partition;
            p.committed_offset = om.offset;
            p.committed_leader_epoch = om.leader_epoch.value_or(-1);
            p.committed_metadata = om.metadata;
            it->partitions.push_back(std::move(p));
        }
        client_.send(*locator_.node(), std::move(req), cap).add_listener([this, out](auto& f) mutable {
            if (f.failed()) return fail(out, f.error());
            auto& r = f.value();
            commit_result res;
            std::error_code first;
            for (auto const& t : r.body.topics) {
                auto name = r.version >= 10 ? metadata_.topic_name(t.topic_id).value_or(t.name) : t.name;
                for (auto const& p : t.partitions) {
                    std::error_code ec;
                    if (p.error_code) ec = make_error_code(static_cast<errc>(p.error_code));
                    res[{name, p.partition_index}] = ec;
                    if (ec && !first) first = ec;
                }
            }
            if (first) {
                auto e = static_cast<errc>(first.value());
                locator_.forget_if_moved(first);
                if (member_error_ &&
                    (e == errc::unknown_member_id || e == errc::illegal_generation || e == errc::fenced_instance_id ||
                     e == errc::stale_member_epoch || e == errc::rebalance_in_progress))
                    member_error_(e, "commit failed: " + first.message());
                return out.raise(first);
            }
            out.complete(std::move(res));
        });
        return out;
    }

private:
    template <class Fut>
    void fail(Fut& out, std::error_code ec) {
        locator_.forget_if_moved(ec);
        out.raise(ec);
    }

    client_type& client_;
    metadata_type& metadata_;
    subscription_state& subs_;
    coordinator_locator<Transport>& locator_;
    std::string group_id_;
    std::function<void(errc, const std::string&)> member_error_;
    bool offset_fetch_in_flight_ = false;
    time_point offset_fetch_retry_at_{};
    client::exponential_backoff offset_fetch_backoff_ = locator_.retry_backoff();
    int offset_fetch_failures_ = 0;  // in a row
};

}  // namespace kafka::engine
