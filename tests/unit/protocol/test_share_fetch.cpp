#include <kafka/protocol/messages/share_fetch.hpp>

#include "message_testing.hpp"

using namespace kafka::protocol;
using kafka::byte_buffer;
using kafka::client_errc;
using kafka::test::filled;
using kafka::test::hex_bytes;

namespace {
template <class M>
byte_buffer body_of(const M& m, std::int16_t v) {
    byte_buffer out;
    writer w(out);
    encode(w, m, v);
    return out;
}
kafka::uuid sample_uuid() {
    kafka::uuid u;
    for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::byte>(0xa0 + i);
    return u;
}
}  // namespace

TEST_CASE("ShareFetch round-trips at every version", "[protocol][messages][share]") {
    kafka::test::check_round_trip_all_versions(filled<ShareFetchRequest>());
    kafka::test::check_round_trip_all_versions(filled<ShareFetchResponse>());
    kafka::test::check_round_trip_all_versions(ShareFetchRequest{});
    kafka::test::check_round_trip_all_versions(ShareFetchResponse{});
}

TEST_CASE("ShareFetch request byte layout", "[protocol][messages][share]") {
    ShareFetchRequest req;
    req.group_id = "g";
    req.member_id = "m";
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.max_records = 500;
    req.batch_size = 500;
    ShareFetchRequest::FetchPartition p;
    p.partition_index = 0;
    p.partition_max_bytes = 1048576;  // v0 only: must not be written at v1 or v2
    req.topics.push_back({sample_uuid(), {p}});
    // Opening a session: group "g", member "m", epoch 0, max_wait 500, min_bytes 1, max_bytes
    // 0x7fffffff, max_records 500, batch_size 500; topics[1]: id, partitions[1]: 0 with no
    // acknowledgements, tags; no forgotten topics; tags.
    CHECK(body_of(req, 1) == hex_bytes("02 67  02 6d  00000000  000001f4  00000001  7fffffff  000001f4  000001f4"
                                       "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000 01 00  00"
                                       "01  00"));
    // v2 adds the acquire mode (int8) and is_renew_ack (bool) after batch_size.
    req.share_acquire_mode = 1;
    CHECK(body_of(req, 2) == hex_bytes("02 67  02 6d  00000000  000001f4  00000001  7fffffff  000001f4  000001f4"
                                       "01 00"
                                       "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000 01 00  00"
                                       "01  00"));

    // A later request: epoch 3, acknowledging offsets 10..12 (accept, release, reject) and
    // renewing offset 13, forgetting partition 1; null group (nullable at every version).
    ShareFetchRequest next;
    next.member_id = "m";
    next.share_session_epoch = 3;
    next.max_records = 1;
    next.is_renew_ack = true;
    ShareFetchRequest::FetchPartition acks;
    acks.partition_index = 0;
    acks.acknowledgement_batches.push_back({10, 12, {1, 2, 3}});
    acks.acknowledgement_batches.push_back({13, 13, {4}});
    next.topics.push_back({sample_uuid(), {acks}});
    next.forgotten_topics_data.push_back({sample_uuid(), {1}});
    CHECK(body_of(next, 2) == hex_bytes("00  02 6d  00000003  00000000  00000000  7fffffff  00000001  00000000  00 01"
                                        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000"
                                        "03 000000000000000a 000000000000000c 04 010203 00"
                                        "   000000000000000d 000000000000000d 02 04 00"
                                        "00 00"
                                        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 02 00000001 00"
                                        "00"));
    ShareFetchRequest back;
    auto bytes = body_of(next, 2);
    reader r(bytes);
    decode(r, back, 2);
    REQUIRE(r.ok());
    CHECK_FALSE(back.group_id.has_value());
    CHECK(back == next);
}

TEST_CASE("ShareFetch response byte layout", "[protocol][messages][share]") {
    static const byte_buffer records = hex_bytes("010203");
    ShareFetchResponse resp;
    resp.acquisition_lock_timeout_ms = 30000;
    ShareFetchResponse::PartitionData p;
    p.partition_index = 0;
    p.current_leader = {1, 5};
    p.records.bytes = records;
    p.acquired_records.push_back({0, 2, 1});
    resp.responses.push_back({sample_uuid(), {p}});
    // throttle 0, error 0, null message, lock timeout 30000; responses[1]: id, partitions[1]:
    // index 0, error 0, null message, acknowledge error 0, null message, leader {1, 5} + tags,
    // records (compact bytes, 3), acquired [{0, 2, delivery 1} + tags], tags, tags;
    // no node endpoints; tags.
    auto expected = hex_bytes(
        "00000000 0000 00 00007530"
        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000 0000 00 0000 00 00000001 00000005 00"
        "04 010203  02 0000000000000000 0000000000000002 0001 00  00  00"
        "01 00");
    for (std::int16_t v = 1; v <= 2; ++v) CHECK(body_of(resp, v) == expected);

    // Decoded through a response frame (header v1: correlation id, tags).
    byte_buffer frame = hex_bytes("0000002a 00");
    frame.insert(frame.end(), expected.begin(), expected.end());
    ShareFetchResponse back;
    REQUIRE_FALSE(decode_response(frame, 2, 42, back));
    CHECK(back.acquisition_lock_timeout_ms == 30000);
    REQUIRE(back.responses.size() == 1);
    REQUIRE(back.responses[0].partitions.size() == 1);
    auto const& bp = back.responses[0].partitions[0];
    CHECK(bp.current_leader.leader_id == 1);
    CHECK(bp.current_leader.leader_epoch == 5);
    CHECK(byte_buffer(bp.records.bytes.begin(), bp.records.bytes.end()) == records);
    REQUIRE(bp.acquired_records.size() == 1);
    CHECK(bp.acquired_records[0].last_offset == 2);
    CHECK(bp.acquired_records[0].delivery_count == 1);

    // No records: written as empty bytes (01), never null, as v1+ records are not nullable.
    resp.responses[0].partitions[0].records = {};
    resp.responses[0].partitions[0].acquired_records.clear();
    CHECK(body_of(resp, 1) == hex_bytes("00000000 0000 00 00007530"
                                        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000 0000 00 0000 00 00000001 "
                                        "00000005 00"
                                        "01  01  00  00"
                                        "01 00"));
    // Acquired-records count larger than the bytes left.
    byte_buffer bad = hex_bytes(
        "0000002a 00  00000000 0000 00 00007530"
        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000 0000 00 0000 00 00000001 00000005 00 01 7f 00");
    CHECK(decode_response(bad, 1, 42, back) == client_errc::malformed_response);
}
