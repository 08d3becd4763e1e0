#include <kafka/protocol/consumer_protocol.hpp>

#include "../protocol/message_testing.hpp"

using kafka::byte_buffer;
using kafka::client_errc;
using kafka::topic_partition;
using kafka::test::hex_bytes;
namespace cp = kafka::consumer_protocol;

namespace {

cp::subscription sample_subscription() {
    cp::subscription s;
    s.topics = {"a", "b"};
    s.user_data = hex_bytes("0102");
    s.owned_partitions = {{"a", {0, 1}}};
    s.generation_id = 7;
    s.rack_id = "r";
    return s;
}

cp::assignment sample_assignment() {
    cp::assignment a;
    a.assigned_partitions = {{"a", {0, 2}}, {"b", {1}}};
    a.user_data = hex_bytes("ff");
    return a;
}

// What `value` looks like after a trip through `version`: fields the version lacks take defaults.
template <class T>
T projected(T value, std::int16_t version) {
    kafka::test::project(value, version);
    return value;
}

}  // namespace

TEST_CASE("consumer protocol subscription round-trips at v0-v3", "[consumer][consumer_protocol]") {
    for (auto const& sub : {sample_subscription(), kafka::test::filled<cp::subscription>(), cp::subscription{}}) {
        for (std::int16_t v = 0; v <= 3; ++v) {
            INFO("version " << v);
            auto bytes = cp::encode_subscription(sub, v);
            std::error_code ec;
            auto back = cp::decode_subscription(bytes, ec);
            REQUIRE_FALSE(ec);
            REQUIRE(back);
            CHECK(*back == projected(sub, v));
        }
    }
}

TEST_CASE("consumer protocol assignment round-trips at v0-v3", "[consumer][consumer_protocol]") {
    for (auto const& asg : {sample_assignment(), kafka::test::filled<cp::assignment>(), cp::assignment{}}) {
        for (std::int16_t v = 0; v <= 3; ++v) {
            INFO("version " << v);
            auto bytes = cp::encode_assignment(asg, v);
            CHECK(bytes[1] == static_cast<std::byte>(v));
            auto back = cp::decode_assignment(bytes);
            CHECK(back == asg);  // every version carries every assignment field
        }
    }
}

TEST_CASE("consumer protocol subscription bytes, field by field", "[consumer][consumer_protocol]") {
    auto sub = sample_subscription();
    // v0: version, topics [string], user_data bytes.
    CHECK(cp::encode_subscription(sub, 0) == hex_bytes("0000"
                                                       "00000002 0001 61 0001 62"
                                                       "00000002 0102"));
    // v1 adds owned_partitions [topic, [int32]].
    CHECK(cp::encode_subscription(sub, 1) == hex_bytes("0001"
                                                       "00000002 0001 61 0001 62"
                                                       "00000002 0102"
                                                       "00000001 0001 61 00000002 00000000 00000001"));
    // v2 adds generation_id, v3 the nullable rack_id.
    CHECK(cp::encode_subscription(sub, 3) == hex_bytes("0003"
                                                       "00000002 0001 61 0001 62"
                                                       "00000002 0102"
                                                       "00000001 0001 61 00000002 00000000 00000001"
                                                       "00000007"
                                                       "0001 72"));
    // Null user data is length -1, null rack id int16 -1; an empty user data is length 0.
    cp::subscription bare;
    bare.topics = {"a"};
    CHECK(cp::encode_subscription(bare, 0) == hex_bytes("0000 00000001 0001 61 ffffffff"));
    CHECK(cp::encode_subscription(bare, 3) == hex_bytes("0003 00000001 0001 61 ffffffff 00000000 ffffffff ffff"));
    bare.user_data = byte_buffer{};
    CHECK(cp::encode_subscription(bare, 0) == hex_bytes("0000 00000001 0001 61 00000000"));
    auto back = cp::decode_subscription(cp::encode_subscription(bare, 0));
    REQUIRE(back.user_data);
    CHECK(back.user_data->empty());
}

TEST_CASE("consumer protocol assignment bytes, field by field", "[consumer][consumer_protocol]") {
    cp::assignment a;
    a.assigned_partitions = {{"t", {0, 1}}};
    // v0: version, assigned_partitions [topic, [int32]], user_data (null: -1).
    CHECK(cp::encode_assignment(a, 0) == hex_bytes("0000 00000001 0001 74 00000002 00000000 00000001 ffffffff"));
    // v1 has v0's layout; only the prefix differs.
    a.user_data = hex_bytes("ab");
    CHECK(cp::encode_assignment(a, 1) == hex_bytes("0001 00000001 0001 74 00000002 00000000 00000001 00000001 ab"));
}

TEST_CASE("consumer protocol: versions above 3 are written as 3, read as 3", "[consumer][consumer_protocol]") {
    auto sub = sample_subscription();
    CHECK(cp::encode_subscription(sub, 9) == cp::encode_subscription(sub, 3));

    // A newer member's v4: our v3 fields, then fields we do not know.
    auto v4 = cp::encode_subscription(sub, 3);
    v4[1] = std::byte{4};
    for (auto b : hex_bytes("deadbeef 0003 787878")) v4.push_back(b);
    std::error_code ec;
    auto back = cp::decode_subscription(v4, ec);
    REQUIRE_FALSE(ec);
    CHECK(*back == sub);

    auto a4 = cp::encode_assignment(sample_assignment(), 3);
    a4[1] = std::byte{4};
    a4.push_back(std::byte{0x42});
    CHECK(cp::decode_assignment(a4) == sample_assignment());
}

TEST_CASE("consumer protocol: malformed bytes give an error, never a value", "[consumer][consumer_protocol]") {
    auto expect_error = [](const byte_buffer& bytes, client_errc want) {
        std::error_code ec;
        CHECK_FALSE(cp::decode_subscription(bytes, ec));
        CHECK(ec == want);
        std::error_code ec2;
        CHECK_FALSE(cp::decode_assignment(bytes, ec2));
        CHECK(ec2 == want);
    };
    expect_error({}, client_errc::truncated);
    expect_error(hex_bytes("00"), client_errc::truncated);
    expect_error(hex_bytes("0000"), client_errc::truncated);
    expect_error(hex_bytes("ffff 00000000 ffffffff"), client_errc::malformed_response);  // negative version
    expect_error(hex_bytes("0000 7fffffff 0001 61"), client_errc::malformed_response);   // count beyond the data
    expect_error(hex_bytes("0000 ffffffff ffffffff"), client_errc::negative_length);     // null array

    std::error_code ec;
    CHECK_FALSE(cp::decode_subscription(hex_bytes("0000 00000001 ffff ffffffff"), ec));  // null topic name
    CHECK(ec == client_errc::negative_length);
    CHECK_FALSE(cp::decode_subscription(hex_bytes("0000 00000001 0005 61 ffffffff"), ec));  // name runs out
    CHECK(ec == client_errc::truncated);
    CHECK_FALSE(cp::decode_assignment(hex_bytes("0000 00000001 0001 74 fffffffe ffffffff"), ec));
    CHECK(ec == client_errc::negative_length);

    // Every strict prefix of a v3 encoding fails (all its fields are required).
    auto full = cp::encode_subscription(sample_subscription(), 3);
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
        INFO("prefix of " << cut << " bytes");
        CHECK_FALSE(cp::decode_subscription(kafka::bytes_view(full).first(cut), ec));
    }
    auto asg = cp::encode_assignment(sample_assignment(), 0);
    for (std::size_t cut = 0; cut < asg.size(); ++cut)
        CHECK_FALSE(cp::decode_assignment(kafka::bytes_view(asg).first(cut), ec));

    // The throwing forms carry the same code.
    try {
        cp::decode_subscription(hex_bytes("00"));
        FAIL("no exception");
    } catch (const kafka::kafka_error& e) {
        CHECK(e.code() == client_errc::truncated);
    }
    CHECK_THROWS_AS(cp::decode_assignment(byte_buffer{}), kafka::kafka_error);
}

TEST_CASE("consumer protocol: random bytes decode to a value or an error", "[consumer][consumer_protocol]") {
    // Under the sanitizers this shows no read strays; in any build, no crash and no hang.
    std::uint32_t state = 2463534242u;
    auto next = [&] { return state ^= state << 13, state ^= state >> 17, state ^= state << 5; };
    auto valid = cp::encode_subscription(sample_subscription(), 3);
    for (int i = 0; i < 3000; ++i) {
        byte_buffer bytes = valid;
        bytes.resize(next() % (valid.size() + 8));
        for (int k = 0; k < 3; ++k)
            if (!bytes.empty()) bytes[next() % bytes.size()] = static_cast<std::byte>(next());
        std::error_code ec;
        auto sub = cp::decode_subscription(bytes, ec);
        CHECK(sub.has_value() != static_cast<bool>(ec));
        auto asg = cp::decode_assignment(bytes, ec);
        CHECK(asg.has_value() != static_cast<bool>(ec));
    }
}

TEST_CASE("consumer protocol: grouping partitions by topic", "[consumer][consumer_protocol]") {
    std::vector<topic_partition> flat{{"b", 2}, {"a", 1}, {"b", 0}, {"a", 1}, {"a", 0}};
    auto grouped = cp::group_by_topic(flat);
    REQUIRE(grouped.size() == 2);
    CHECK(grouped[0] == cp::topic_partitions{"a", {0, 1}});
    CHECK(grouped[1] == cp::topic_partitions{"b", {0, 2}});
    CHECK(cp::flatten(grouped) == std::vector<topic_partition>{{"a", 0}, {"a", 1}, {"b", 0}, {"b", 2}});
    CHECK(cp::group_by_topic({}).empty());
}
