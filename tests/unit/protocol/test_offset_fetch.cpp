#include <kafka/protocol/messages/offset_fetch.hpp>

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

}  // namespace

TEST_CASE("OffsetFetch round-trips at every version", "[protocol][messages]") {
    kafka::test::check_round_trip_all_versions(filled<OffsetFetchRequest>());
    kafka::test::check_round_trip_all_versions(filled<OffsetFetchResponse>());
}

TEST_CASE("OffsetFetch v1/v2 request layouts (single group, non-flexible)", "[protocol][messages]") {
    OffsetFetchRequest req;
    req.group_id = "g";
    req.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{"t", {0, 1}}};
    auto frame = encode_request(req, 1, 6, "cli");
    // size 35; key 9, version 1, correlation 6, client "cli";
    // group "g"; topics[1]: "t", partition_indexes [0, 1].
    CHECK(frame == hex_bytes("00000023 0009 0001 00000006 0003 636c69"
                             "0001 67 00000001 0001 74 00000002 00000000 00000001"));
    // v2: null topics asks for every committed partition.
    req.topics.reset();
    CHECK(body_of(req, 2) == hex_bytes("0001 67 ffffffff"));
    // v7 (flexible): compact "g", compact null topics, require_stable, tags.
    req.require_stable = true;
    CHECK(body_of(req, 7) == hex_bytes("0267 00 01 00"));
}

TEST_CASE("OffsetFetch v8/v10 request layouts (groups, flexible)", "[protocol][messages]") {
    OffsetFetchRequest req;
    req.require_stable = true;
    OffsetFetchRequest::OffsetFetchRequestGroup g;
    g.group_id = "g";
    g.topics.reset();
    req.groups.push_back(g);
    auto frame = encode_request(req, 8, 6, "cli");
    // size 21; header v2; groups compact[1]: compact "g", topics null, group tags;
    // require_stable true; message tags.
    CHECK(frame == hex_bytes("00000015 0009 0008 00000006 0003 636c69 00"
                             "02 0267 00 00 01 00"));

    req.require_stable = false;
    req.groups[0].member_id = "m";
    req.groups[0].member_epoch = 5;
    OffsetFetchRequest::OffsetFetchRequestTopics t;
    t.name = "not sent at v10";
    for (std::size_t i = 0; i < 16; ++i) t.topic_id.bytes[i] = static_cast<std::byte>(0xf0 + i);
    t.partition_indexes = {0};
    req.groups[0].topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopics>{t};
    // groups[1]: "g", member "m", epoch 5, topics[1]: id, indexes [0], tags; group tags;
    // require_stable false; tags.
    CHECK(body_of(req, 10) == hex_bytes("02 0267 026d 00000005 02 f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
                                        "02 00000000 00 00 00 00"));
}

TEST_CASE("OffsetFetch response null metadata round-trips", "[protocol][messages]") {
    auto resp = filled<OffsetFetchResponse>();
    for (auto& t : resp.topics)
        for (auto& p : t.partitions) p.metadata.reset();
    for (auto& g : resp.groups)
        for (auto& t : g.topics)
            for (auto& p : t.partitions) p.metadata.reset();
    for (std::int16_t v : std::initializer_list<std::int16_t>{0, 1, 5, 6, 7, 8, 9, 10}) {
        INFO("version " << v);
        byte_buffer frame;
        encode_response(frame, resp, v, 12);
        OffsetFetchResponse back;
        REQUIRE_FALSE(decode_response(bytes_view(frame).subspan(4), v, 12, back));
        auto expected = resp;
        kafka::test::project(expected, v);
        CHECK(back == expected);
        if (v <= 7)
            CHECK_FALSE(back.topics.at(0).partitions.at(0).metadata.has_value());
        else
            CHECK_FALSE(back.groups.at(0).topics.at(0).partitions.at(0).metadata.has_value());
    }
}

TEST_CASE("OffsetFetch response decode rejects malformed input", "[protocol][messages]") {
    OffsetFetchResponse back;
    // v1: topics[1]: "t", partitions[1]: index 0, offset 5, metadata "", error 0.
    auto good = hex_bytes("00000001 0001 74 00000001 00000000 0000000000000005 0000 0000");
    {
        reader r(good);
        decode(r, back, 1);
        REQUIRE(r.ok());
        CHECK(r.empty());
        CHECK(back.topics.at(0).partitions.at(0).metadata == std::optional<std::string>(""));
    }
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        OffsetFetchResponse part;
        reader r(bytes_view(good).first(cut));
        decode(r, part, 1);
        CHECK_FALSE(r.ok());
    }
    // v1: metadata length -2 is never valid.
    auto bad_len = hex_bytes("00000001 0001 74 00000001 00000000 0000000000000005 fffe 0000");
    reader r1(bad_len);
    decode(r1, back, 1);
    CHECK_FALSE(r1.ok());
    // v8: a group count larger than the bytes that follow.
    auto bad_count = hex_bytes("00000000 7f 00");
    reader r2(bad_count);
    decode(r2, back, 8);
    CHECK_FALSE(r2.ok());
    // v8: an over-long varint (more than 5 bytes) for the groups count.
    auto bad_varint = hex_bytes("00000000 ffffffffff01");
    reader r3(bad_varint);
    decode(r3, back, 8);
    CHECK_FALSE(r3.ok());
}
