#include <kafka/protocol/messages/list_offsets.hpp>

#include "message_testing.hpp"

using namespace kafka::protocol;
using kafka::byte_buffer;
using kafka::bytes_view;
using kafka::test::filled;
using kafka::test::hex_bytes;

namespace {

template <class M>
byte_buffer body_of(const M& msg, std::int16_t version) {
    byte_buffer out;
    writer w(out);
    encode(w, msg, version);
    return out;
}

ListOffsetsRequest one_partition_request(std::int64_t timestamp) {
    ListOffsetsRequest req;
    req.replica_id = -1;
    req.isolation_level = 1;
    ListOffsetsRequest::ListOffsetsPartition p;
    p.partition_index = 2;
    p.current_leader_epoch = 5;
    p.timestamp = timestamp;
    req.topics.push_back({"t", {p}});
    return req;
}

}  // namespace

TEST_CASE("ListOffsets round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<ListOffsetsRequest>());
    kafka::test::check_round_trip_all_versions(filled<ListOffsetsResponse>());
}

TEST_CASE("ListOffsets v0 request layout (max_num_offsets, no isolation level)", "[protocol][messages]") {
    auto req = one_partition_request(-1);
    auto frame = encode_request(req, 0, 3, "cli");
    // size 44; key 2, version 0, correlation 3, client id "cli";
    // replica_id -1; topics[1]: "t", partitions[1]: index 2, timestamp -1 (latest), max_num_offsets 1.
    auto expected = hex_bytes(
        "0000002c 0002 0000 00000003 0003 636c69"
        "ffffffff 00000001 0001 74 00000001 00000002 ffffffffffffffff 00000001");
    CHECK(frame == expected);
}

TEST_CASE("ListOffsets v1 request layout", "[protocol][messages]") {
    auto body = body_of(one_partition_request(1700000000000), 1);
    // replica_id -1; topics[1]: "t", partitions[1]: index 2, timestamp 1700000000000 ms.
    CHECK(body == hex_bytes("ffffffff 00000001 0001 74 00000001 00000002 0000018bcfe56800"));
}

TEST_CASE("ListOffsets v7 and v10 request layouts (flexible)", "[protocol][messages]") {
    auto req = one_partition_request(-2);
    req.timeout_ms = 30000;
    auto frame = encode_request(req, 7, 3, "cli");
    // size 42; header v2; replica_id -1, isolation 1; topics compact[1]: compact "t",
    // partitions compact[1]: index 2, current_leader_epoch 5, timestamp -2 (earliest), tags;
    // topic tags; message tags. timeout_ms only from v10.
    CHECK(frame == hex_bytes("0000002a 0002 0007 00000003 0003 636c69 00"
                             "ffffffff 01 02 0274 02 00000002 00000005 fffffffffffffffe 00 00 00"));
    CHECK(body_of(req, 10) == hex_bytes("ffffffff 01 02 0274 02 00000002 00000005 fffffffffffffffe 00 00 00007530 00"));
}

TEST_CASE("ListOffsets v0 response carries old-style offsets", "[protocol][messages]") {
    // throttle only from v2; topics[1]: "t", partitions[1]: index 0, error 0, offsets [7, 3].
    auto body = hex_bytes("00000001 0001 74 00000001 00000000 0000 00000002 0000000000000007 0000000000000003");
    ListOffsetsResponse back;
    reader r(body);
    decode(r, back, 0);
    REQUIRE(r.ok());
    CHECK(r.empty());
    auto const& p = back.topics.at(0).partitions.at(0);
    CHECK(p.old_style_offsets == std::vector<std::int64_t>{7, 3});
    CHECK(p.offset == -1);
    CHECK(p.timestamp == -1);
}

TEST_CASE("ListOffsets response decode rejects malformed input", "[protocol][messages]") {
    auto resp = filled<ListOffsetsResponse>();
    for (std::int16_t v : std::initializer_list<std::int16_t>{1, 6, 11}) {
        INFO("version " << v);
        byte_buffer frame;
        encode_response(frame, resp, v, 4);
        auto body = bytes_view(frame).subspan(4);
        ListOffsetsResponse ok;
        REQUIRE_FALSE(decode_response(body, v, 4, ok));
        for (std::size_t cut = 0; cut < body.size(); ++cut) {
            ListOffsetsResponse part;
            CHECK(decode_response(body.first(cut), v, 4, part));
        }
        // Trailing garbage is refused too.
        byte_buffer longer(body.begin(), body.end());
        longer.push_back(std::byte{0});
        CHECK(decode_response(longer, v, 4, ok) == kafka::client_errc::malformed_response);
    }
    ListOffsetsResponse back;
    // v1: throttle absent; topics count -2.
    auto negative = hex_bytes("fffffffe");
    reader r(negative);
    decode(r, back, 1);
    CHECK_FALSE(r.ok());
}
