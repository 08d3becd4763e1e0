#include <kafka/client/sasl.hpp>

#include <catch2/catch.hpp>

using namespace kafka;
using namespace kafka::client;

namespace {
std::string text(const byte_buffer& b) { return std::string(as_string_view(b)); }
}  // namespace

TEST_CASE("SASL PLAIN sends authzid-less credentials in one message", "[client][sasl]") {
    sasl_session s({sasl_mechanism::plain, "alice", "alice-secret"});
    CHECK(s.mechanism() == "PLAIN");
    byte_buffer out;
    REQUIRE_FALSE(s.initial(out));
    CHECK(text(out) == std::string("\0alice\0alice-secret", 19));
    REQUIRE_FALSE(s.step({}, out));
    CHECK(s.complete());
}

#ifdef KAFKA_HAVE_OPENSSL
TEST_CASE("SCRAM-SHA-256 follows the RFC 7677 example exchange", "[client][sasl]") {
    sasl_session s({sasl_mechanism::scram_sha_256, "user", "pencil"}, {}, "rOprNGfwEbeRWgbNEkqO");
    byte_buffer out;
    REQUIRE_FALSE(s.initial(out));
    CHECK(text(out) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    std::string server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    REQUIRE_FALSE(s.step(as_bytes_view(server_first), out));
    CHECK(text(out) ==
          "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    CHECK_FALSE(s.complete());
    std::string server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    REQUIRE_FALSE(s.step(as_bytes_view(server_final), out));
    CHECK(s.complete());
}

TEST_CASE("SCRAM rejects a broker that cannot prove the password, a foreign nonce, or weak iterations",
          "[client][sasl]") {
    byte_buffer out;
    SECTION("wrong server signature") {
        sasl_session s({sasl_mechanism::scram_sha_256, "user", "pencil"}, {}, "rOprNGfwEbeRWgbNEkqO");
        REQUIRE_FALSE(s.initial(out));
        REQUIRE_FALSE(s.step(
            as_bytes_view(
                std::string("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            out));
        CHECK(s.step(as_bytes_view(std::string("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")), out) ==
              errc::sasl_authentication_failed);
        CHECK_FALSE(s.complete());
    }
    SECTION("server nonce not extending ours") {
        sasl_session s({sasl_mechanism::scram_sha_512, "user", "pencil"}, {}, "abc");
        REQUIRE_FALSE(s.initial(out));
        CHECK(s.step(as_bytes_view(std::string("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")), out));
    }
    SECTION("too few iterations") {
        sasl_session s({sasl_mechanism::scram_sha_512, "user", "pencil"}, {}, "abc");
        REQUIRE_FALSE(s.initial(out));
        CHECK(s.step(as_bytes_view(std::string("r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1")), out));
    }
    SECTION("server error attribute") {
        sasl_session s({sasl_mechanism::scram_sha_256, "user", "pencil"}, {}, "abc");
        REQUIRE_FALSE(s.initial(out));
        CHECK(s.step(as_bytes_view(std::string("e=invalid-proof")), out) == errc::sasl_authentication_failed);
    }
    SECTION("names with , and = are escaped") {
        sasl_session s({sasl_mechanism::scram_sha_256, "a,b=c", "p"}, {}, "n1");
        REQUIRE_FALSE(s.initial(out));
        CHECK(text(out) == "n,,n=a=2Cb=3Dc,r=n1");
    }
}
#endif

TEST_CASE("base64 round-trips and rejects garbage", "[client][sasl]") {
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        auto enc = sasl_detail::base64_encode(as_bytes_view(s));
        auto dec = sasl_detail::base64_decode(enc);
        REQUIRE(dec);
        CHECK(std::string(as_string_view(*dec)) == s);
    }
    CHECK(sasl_detail::base64_encode(as_bytes_view(std::string("foobar"))) == "Zm9vYmFy");
    CHECK_FALSE(sasl_detail::base64_decode("Zm9"));
    CHECK_FALSE(sasl_detail::base64_decode("Zm9=YmFy"));
    CHECK_FALSE(sasl_detail::base64_decode("Zm!vYmFy"));
}
