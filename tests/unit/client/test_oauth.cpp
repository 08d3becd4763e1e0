// SASL/OAUTHBEARER's pieces: the unsecured token, JWT expiry, the client's message, extensions,
// the refresh time and the login that shares one token between connections.
#include <kafka/client/oauth.hpp>
#include <kafka/client/sasl.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

using namespace kafka;
using namespace std::chrono_literals;

namespace {

oauth::wall_clock::time_point at_seconds(double s) { return oauth::detail::from_seconds(s); }

// The payload of a compact JWS, decoded.
std::string payload_of(const std::string& jws) {
    auto dot1 = jws.find('.');
    auto dot2 = jws.find('.', dot1 + 1);
    return oauth::detail::base64url_decode(jws.substr(dot1 + 1, dot2 - dot1 - 1)).value();
}

std::string jwt_with(const std::string& claims) {
    return oauth::detail::base64url(R"({"alg":"none"})") + "." + oauth::detail::base64url(claims) + ".";
}

std::string text(const byte_buffer& b) { return std::string(as_string_view(b)); }

}  // namespace

TEST_CASE("the unsecured token is Kafka's alg=none JWS with the configured claims", "[client][oauth]") {
    oauth::unsecured_jws jws({{"unsecuredLoginStringClaim_sub", "alice"},
                              {"unsecuredLoginNumberClaim_tier", "2"},
                              {"unsecuredLoginListClaim_scope", "|read|write"},
                              {"unsecuredLoginLifetimeSeconds", "60"}},
                             [] { return at_seconds(1700000000.25); });
    auto t = jws.token();
    CHECK(jws.principal() == "alice");
    CHECK(t.value.substr(0, t.value.find('.')) == "eyJhbGciOiJub25lIn0");  // {"alg":"none"}
    CHECK(t.value.back() == '.');                                          // no signature
    CHECK(payload_of(t.value) ==
          R"({"exp":1700000060.250,"iat":1700000000.250,"sub":"alice","tier":2,"scope":["read","write"]})");
    CHECK(t.expires == at_seconds(1700000060.25));
    CHECK(t.issued == at_seconds(1700000000.25));
    // What the broker's parser reads back: the same expiry.
    CHECK(oauth::token_from_jwt(t.value).expires == t.expires);
}

TEST_CASE("the unsecured token refuses what Java's login refuses", "[client][oauth]") {
    using opts = oauth::unsecured_jws::options;
    auto refused = [](const opts& o, const std::string& words) {
        try {
            oauth::unsecured_jws{o};
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            CHECK_THAT(e.what(), Catch::Contains(words));
        }
    };
    refused({}, "unsecuredLoginStringClaim_sub");
    refused({{"unsecuredLoginStringClaim_user", "bob"}, {"unsecuredLoginPrincipalClaimName", "owner"}},
            "unsecuredLoginStringClaim_owner");
    refused({{"unsecuredLoginStringClaim_sub", "a"}, {"unsecuredLoginNumberClaim_exp", "5"}}, "'exp' claim");
    refused({{"unsecuredLoginStringClaim_sub", "a"}, {"unsecuredLoginNumberClaim_n", "five"}}, "not a number");
    refused({{"unsecuredLoginStringClaim_sub", "a"}, {"unsecuredLoginLifetimeSeconds", "-1"}}, "positive whole");
    // Another principal claim name is honoured.
    oauth::unsecured_jws ok({{"unsecuredLoginStringClaim_user", "bob"}, {"unsecuredLoginPrincipalClaimName", "user"}});
    CHECK(ok.principal() == "bob");
}

TEST_CASE("a JWT's lifetime is read from its exp and iat claims", "[client][oauth]") {
    auto t =
        oauth::token_from_jwt(jwt_with(R"({"sub":"x", "iat": 100, "exp":1e3, "aud":["a","b"], "n":{"k":1}})") + "\n");
    CHECK(t.expires == at_seconds(1000));
    CHECK(t.issued == at_seconds(100));
    CHECK(t.value.back() == '.');  // the file's trailing newline is not part of the token
    CHECK_THROWS_WITH(oauth::token_from_jwt("not-a-jwt"), Catch::Contains("not a JWT"));
    CHECK_THROWS_WITH(oauth::token_from_jwt(jwt_with(R"({"sub":"x"})")), Catch::Contains("'exp'"));
    CHECK_THROWS_WITH(oauth::token_from_jwt(jwt_with(R"({"exp":"soon"})")), Catch::Contains("'exp'"));
    CHECK_THROWS_WITH(oauth::token_from_jwt("a.b c.d"), Catch::Contains("character"));
    CHECK_THROWS_WITH(oauth::token_from_jwt(jwt_with("[1,2]")), Catch::Contains("JSON object"));
}

TEST_CASE("the file token is read again at each call", "[client][oauth]") {
    auto path = std::filesystem::temp_directory_path() / "kafka-oauth-test-token.jwt";
    std::ofstream(path) << jwt_with(R"({"sub":"x","exp":2000000000})") << "\n";
    oauth::file_token f(path);
    CHECK(f.token().expires == at_seconds(2000000000));
    std::ofstream(path) << jwt_with(R"({"sub":"x","exp":2000000100})");
    CHECK(f.token().expires == at_seconds(2000000100));
    std::filesystem::remove(path);
    CHECK_THROWS_WITH(f.token(), Catch::Contains("cannot read"));
}

TEST_CASE("the client's message carries the token and the extensions", "[client][oauth]") {
    CHECK(oauth::initial_response("t.o.k", {}) == std::string("n,,\x01"
                                                              "auth=Bearer t.o.k\x01\x01"));
    CHECK(oauth::initial_response("t.o.k", {{"traceId", "123"}, {"app", "x y"}}) == std::string("n,,\x01"
                                                                                                "auth=Bearer t.o.k\x01"
                                                                                                "app=x y\x01"
                                                                                                "traceId=123\x01\x01"));
    CHECK(oauth::extension_problem("traceId", "1").empty());
    CHECK_FALSE(oauth::extension_problem("auth", "1").empty());
    CHECK_FALSE(oauth::extension_problem("trace_id", "1").empty());
    CHECK_FALSE(oauth::extension_problem("trace", "\x01").empty());
    CHECK_FALSE(oauth::extension_problem("trace", "").empty());
    CHECK_THROWS_AS(oauth::login([] { return oauth::token{}; }, {{"auth", "x"}}, {}), std::invalid_argument);
}

TEST_CASE("a token is refreshed at the window factor of its lifetime, within the buffer and min period",
          "[client][oauth]") {
    oauth::refresh_settings s;  // Java's defaults: 0.8, 0.05, 60 s, 300 s
    auto now = at_seconds(10000);
    oauth::token hour{"", now + 3600s, now};
    CHECK(oauth::refresh_time(hour, now, s, 0.0) == now + 2880s);  // 80 %
    CHECK(oauth::refresh_time(hour, now, s, 1.0) == now + 3060s);  // 85 %
    // Ten minutes: 80 % is 480 s, later than expiry less the 300 s buffer.
    oauth::token ten{"", now + 600s, now};
    CHECK(oauth::refresh_time(ten, now, s, 0.0) == now + 300s);
    // Six minutes: the buffer would leave 60 s, and the min period says not before 60 s.
    oauth::token six{"", now + 360s, now};
    CHECK(oauth::refresh_time(six, now, s, 0.0) == now + 60s);
    // Shorter than buffer + min period: both are ignored, the factor alone decides.
    oauth::token minute{"", now + 60s, now};
    CHECK(oauth::refresh_time(minute, now, s, 0.0) == now + 48s);
}

TEST_CASE("the login hands out one token until its refresh time, then asks the provider again", "[client][oauth]") {
    int asked = 0;
    auto start = at_seconds(50000);
    oauth::login login(
        [&] {
            ++asked;
            return oauth::token{"tok" + std::to_string(asked), start + 100s, start};
        },
        {}, {0.8, 0.0, 0s, 0s});
    CHECK(login.current(start) == "tok1");
    CHECK(login.current(start + 79s) == "tok1");
    CHECK(login.current(start + 80s) == "tok2");
    CHECK(login.fetches() == 2);
    // A provider that hands out an expired token is an error, not a token the broker would refuse.
    CHECK_THROWS_WITH(login.current(start + 200s), Catch::Contains("expired"));
}

TEST_CASE("SASL OAUTHBEARER: one message; a rejected token is acknowledged and reported", "[client][sasl][oauth]") {
    client::sasl_credentials creds{sasl_mechanism::oauthbearer, "", ""};
    creds.oauth = std::make_shared<oauth::login>(
        [] { return oauth::token_from_jwt(jwt_with(R"({"sub":"a","exp":4000000000})")); },
        oauth::extensions{{"traceId", "7"}}, oauth::refresh_settings{});
    {
        client::sasl_session s(creds);
        CHECK(s.mechanism() == "OAUTHBEARER");
        byte_buffer out;
        REQUIRE_FALSE(s.initial(out));
        CHECK(text(out) == oauth::initial_response(jwt_with(R"({"sub":"a","exp":4000000000})"), {{"traceId", "7"}}));
        REQUIRE_FALSE(s.step({}, out));
        CHECK(s.complete());
    }
    {
        client::sasl_session s(creds);
        byte_buffer out;
        REQUIRE_FALSE(s.initial(out));
        std::string error = R"({"status":"invalid_token"})";
        REQUIRE_FALSE(s.step(as_bytes_view(error), out));
        CHECK(text(out) == "\x01");
        CHECK_FALSE(s.complete());
        CHECK_THAT(s.detail(), Catch::Contains("invalid_token"));
        CHECK(s.step({}, out) == errc::sasl_authentication_failed);
    }
    {
        client::sasl_credentials failing{sasl_mechanism::oauthbearer, "", ""};
        failing.oauth =
            std::make_shared<oauth::login>([]() -> oauth::token { throw std::runtime_error("vault unreachable"); },
                                           oauth::extensions{}, oauth::refresh_settings{});
        client::sasl_session s(failing);
        byte_buffer out;
        CHECK(s.initial(out) == errc::sasl_authentication_failed);
        CHECK_THAT(s.detail(), Catch::Contains("vault unreachable"));
    }
}
