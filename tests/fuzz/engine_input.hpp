// The layout of a fuzz_engine input, shared by the target and the seed generator.
//
//   byte 0   scenario: bit 0 subscribe with group "g" (else assign every partition);
//            bit 1 group.protocol=consumer (else classic); bit 2 commitSync before close;
//            bit 3 two topics (else one); bit 4 isolation.level=read_committed;
//            bits 5-6 brokers - 1 (at most 3)
//   byte 1   bits 0-1 partitions per topic - 1 (at most 3); bits 2-4 batches per partition;
//            bits 5-7 records per batch - 1
//   byte 2   bits 0-3 polls - 1; bits 4-5 poll timeout (100 ms << n); bits 6-7 max.poll.records
//            (1, 3, 50, 500)
//   then     mutations, 8 bytes each, applied in order to the cluster's responses:
//            [skip][op][pos hi][pos lo][value: 4 bytes, big endian]
//            op bits 0-2 the kind (below), bits 3-7 which responses it applies to (an index into
//            mutation_apis, modulo its size; 0 = any). `skip` matching responses go by unchanged,
//            then the next matching one is mutated (a next entry with skip 0 mutates that same
//            response again). Positions are taken modulo the frame's length, after its 4-byte
//            size prefix, which is then set to the new length (except for the kind set_size).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace kafka::fuzz::engine {

enum class mutation_kind : std::uint8_t {
    xor_byte,   // frame[pos] ^= value (low byte; 0 becomes 1)
    set_int16,  // big-endian int16 at pos (error codes, versions)
    set_int32,  // big-endian int32 at pos (sizes, counts, epochs, node ids)
    set_int64,  // big-endian int64 at pos: the value sign-extended (offsets, timestamps)
    truncate,   // the frame ends at pos
    insert,     // the 4 value bytes inserted at pos
    erase,      // (value % 16) + 1 bytes removed at pos
    set_size,   // the size prefix set to the value, the body unchanged
};
inline constexpr std::size_t mutation_kinds = 8;

/// Which responses a mutation applies to: 0 any, else the API key listed.
inline constexpr std::array<std::int16_t, 12> mutation_apis{
    -1,  // any
    1,   // Fetch
    2,   // ListOffsets
    3,   // Metadata
    8,   // OffsetCommit
    9,   // OffsetFetch
    10,  // FindCoordinator
    11,  // JoinGroup
    12,  // Heartbeat
    14,  // SyncGroup
    68,  // ConsumerGroupHeartbeat
    18,  // ApiVersions
};

inline constexpr std::size_t header_size = 3;
inline constexpr std::size_t mutation_size = 8;

}  // namespace kafka::fuzz::engine
