// The offset-commit policy: when the consumer commits offsets by itself.
//
// A policy is a type with three compile-time switches and an interval source:
//
//   static constexpr bool commit_on_interval;   // commit consumed positions every
//                                               // auto.commit.interval.ms, from poll()
//   static constexpr bool commit_after_poll;    // commit (sync) what the previous poll returned,
//                                               // at the start of the next poll
//   static constexpr bool commit_on_revoke;     // commit before partitions are revoked in a
//                                               // rebalance, and on close()
//
// and one optional switch:
//
//   static constexpr bool commit_async;         // the after-poll commit is sent without waiting
//                                               // (outcome to KafkaConsumer::set_commit_callback)
//
// The consumer reads them with `if constexpr`; a policy with none of them set is manual
// commit: only the user's commitSync/commitAsync calls commit.
//
// Guarantees (what a restart after a crash resumes from):
//   auto_commit      at-least-once for records whose processing finished before the next poll()
//                    (positions are committed at the start of a later poll, so a crash can
//                    replay up to one interval of records; nothing returned is skipped)
//   sync_after_poll  at-least-once, replaying at most the records of one poll()
//   async_after_poll at-least-once, replaying the records of the polls whose commit had not
//                    completed (usually the last one or two); poll() never waits for a commit
//   manual           whatever the application commits; nothing is committed for it
//   on_revoke_only   commits processed positions when partitions move or the consumer closes;
//                    a crash replays everything since the last rebalance or close
#pragma once

#include <concepts>

namespace kafka {

template <class P>
concept offset_commit_policy = requires {
    { P::commit_on_interval } -> std::convertible_to<bool>;
    { P::commit_after_poll } -> std::convertible_to<bool>;
    { P::commit_on_revoke } -> std::convertible_to<bool>;
};

namespace commit {

/// Java's enable.auto.commit=true (the default there): periodic async commits, plus on revoke and close.
struct auto_commit {
    static constexpr bool commit_on_interval = true;
    static constexpr bool commit_after_poll = false;
    static constexpr bool commit_on_revoke = true;
};

/// A synchronous commit of the previous poll's records at the start of each poll, and on revoke/close.
struct sync_after_poll {
    static constexpr bool commit_on_interval = false;
    static constexpr bool commit_after_poll = true;
    static constexpr bool commit_on_revoke = true;
};

/// An asynchronous commit of the previous poll's records at the start of each poll (poll() does not
/// wait for it), and a synchronous one on revoke/close. Outcomes go to the callback set with
/// KafkaConsumer::set_commit_callback (failures are logged when none is set); a failed commit is not
/// retried: the next poll's commit covers the same partitions, as with Java's commitAsync.
struct async_after_poll {
    static constexpr bool commit_on_interval = false;
    static constexpr bool commit_after_poll = true;
    static constexpr bool commit_on_revoke = true;
    static constexpr bool commit_async = true;
};

/// Whether policy P sends its after-poll commits asynchronously (the optional `commit_async`).
template <class P>
inline constexpr bool commits_async = requires {
    requires static_cast<bool>(P::commit_async);
};

/// Commits only when the application calls commitSync/commitAsync.
struct manual {
    static constexpr bool commit_on_interval = false;
    static constexpr bool commit_after_poll = false;
    static constexpr bool commit_on_revoke = false;
};

/// Commits processed positions only when partitions are revoked and on close.
struct on_revoke_only {
    static constexpr bool commit_on_interval = false;
    static constexpr bool commit_after_poll = false;
    static constexpr bool commit_on_revoke = true;
};

}  // namespace commit
}  // namespace kafka
