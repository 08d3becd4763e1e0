#include <kafka/protocol/messages/share_acknowledge.hpp>

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

TEST_CASE("ShareAcknowledge round-trips at every version", "[protocol][messages][share]") {
    kafka::test::check_round_trip_all_versions(filled<ShareAcknowledgeRequest>());
    kafka::test::check_round_trip_all_versions(filled<ShareAcknowledgeResponse>());
    kafka::test::check_round_trip_all_versions(ShareAcknowledgeRequest{});
    kafka::test::check_round_trip_all_versions(ShareAcknowledgeResponse{});
}

TEST_CASE("ShareAcknowledge request byte layout", "[protocol][messages][share]") {
    ShareAcknowledgeRequest req;
    req.group_id = "g";
    req.member_id = "m";
    req.share_session_epoch = 1;
    ShareAcknowledgeRequest::AcknowledgePartition p;
    p.partition_index = 0;
    p.acknowledgement_batches.push_back({5, 5, {1}});
    req.topics.push_back({sample_uuid(), {p}});
    // group "g", member "m", epoch 1; topics[1]: id, partitions[1]: 0, batches[1]: 5..5 accept,
    // tags (batch, partition, topic); tags.
    CHECK(body_of(req, 1) == hex_bytes("02 67  02 6d  00000001"
                                       "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000"
                                       "02 0000000000000005 0000000000000005 02 01 00  00  00"
                                       "00"));
    // v2: is_renew_ack (bool) after the epoch; renew is type 4.
    req.is_renew_ack = true;
    req.topics[0].partitions[0].acknowledgement_batches[0].acknowledge_types = {4};
    CHECK(body_of(req, 2) == hex_bytes("02 67  02 6d  00000001  01"
                                       "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000"
                                       "02 0000000000000005 0000000000000005 02 04 00  00  00"
                                       "00"));
    // Whole frame: size 66 (12 header + 54 body), key 79 (0x4f), version 2.
    CHECK(encode_request(req, 2, 7, "c") == hex_bytes("00000042 004f 0002 00000007 0001 63 00"
                                                      "02 67  02 6d  00000001  01"
                                                      "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf  02 00000000"
                                                      "02 0000000000000005 0000000000000005 02 04 00  00  00"
                                                      "00"));
}

TEST_CASE("ShareAcknowledge response byte layout", "[protocol][messages][share]") {
    ShareAcknowledgeResponse resp;
    resp.acquisition_lock_timeout_ms = 30000;
    ShareAcknowledgeResponse::PartitionData p;
    p.partition_index = 0;
    p.error_code = 121;  // INVALID_RECORD_STATE (0x79)
    resp.responses.push_back({sample_uuid(), {p}});
    // throttle 0, error 0, null message, [v2: lock timeout 30000]; responses[1]: id,
    // partitions[1]: 0, error 121, null message, leader {-1, -1} + tags, tags, tags; no node
    // endpoints; tags.
    CHECK(body_of(resp, 1) == hex_bytes("00000000 0000 00"
                                        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 02 00000000 0079 00 ffffffff ffffffff 00 "
                                        "00 00"
                                        "01 00"));
    CHECK(body_of(resp, 2) == hex_bytes("00000000 0000 00 00007530"
                                        "02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 02 00000000 0079 00 ffffffff ffffffff 00 "
                                        "00 00"
                                        "01 00"));
    // v1 bytes decoded at v1 keep the lock timeout's default.
    ShareAcknowledgeResponse back;
    back.acquisition_lock_timeout_ms = 5;
    auto v1 = body_of(resp, 1);
    reader r(v1);
    decode(r, back, 1);
    REQUIRE(r.ok());
    CHECK(back.acquisition_lock_timeout_ms == 0);
    REQUIRE(back.responses.size() == 1);
    CHECK(back.responses[0].partitions[0].error_code == 121);
    // Truncated inside the partition.
    CHECK(decode_response(hex_bytes("0000002a 00 00000000 0000 00 00007530 02 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 02 "
                                    "00000000 00"),
                          2, 42, back) == client_errc::truncated);
}
