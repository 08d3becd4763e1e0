// SASL/OAUTHBEARER (RFC 7628 as Kafka runs it: KIP-255, extensions KIP-342): where the bearer
// token comes from, when it is fetched again, and the client's one message.
//
//  - A token provider is any type with `token()` returning an oauth::token (the compact JWT and
//    when it expires); it may throw, and its message becomes the authentication failure's reason.
//    Shipped: unsecured_jws (Kafka's unsecured tokens, from OAuthBearerLoginModule's
//    unsecuredLogin* options, for brokers with the unsecured validator), fixed_token and
//    file_token (a JWT someone else keeps fresh in a file: sasl.oauthbearer.token.endpoint.url=file:...).
//  - A login holds the provider and the token it handed out, and asks again once the token reaches
//    its refresh time (sasl.login.refresh.*, as Java's ExpiringCredentialRefreshingLogin computes it).
//    Every connection of a consumer shares one login.
#pragma once

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kafka::oauth {

using wall_clock = std::chrono::system_clock;

/// A bearer token as a provider hands it over.
struct token {
    std::string value;                             ///< the compact JWS/JWT (header.payload.signature)
    wall_clock::time_point expires;                ///< when the broker stops accepting it
    std::optional<wall_clock::time_point> issued;  ///< start of its lifetime (`iat`); unknown: when fetched
};

/// The token-provider policy (Policies::token_provider): one function returning the current token.
template <class P>
concept token_provider = requires(P& p) {
    { p.token() } -> std::convertible_to<token>;
};

/// KIP-342 SASL extensions sent beside the token (name -> value).
using extensions = std::map<std::string, std::string>;

/// Why an extension cannot be sent (empty when it can): names are letters only and not "auth",
/// values printable ASCII, space or tab/CR/LF (RFC 7628 section 3.1).
inline std::string extension_problem(std::string_view name, std::string_view value) {
    bool letters = !name.empty();
    for (char c : name) letters = letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (!letters || name == "auth")
        return "SASL extension name '" + std::string(name) + "' is invalid (letters only, and not 'auth')";
    bool printable = !value.empty();
    for (char c : value)
        printable = printable && ((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n');
    if (!printable) return "SASL extension '" + std::string(name) + "' has an invalid value (printable ASCII only)";
    return {};
}

/// The client's first (and, on success, only) message: gs2 header, the token, the extensions.
inline std::string initial_response(std::string_view token_value, const extensions& ext) {
    std::string out =
        "n,,\x01"
        "auth=Bearer ";
    out += token_value;
    for (auto const& [k, v] : ext) out += "\x01" + k + "=" + v;
    out += "\x01\x01";
    return out;
}

namespace detail {

inline std::string base64url(std::string_view in) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned bits = 0;
    int have = 0;
    for (unsigned char c : in) {
        bits = (bits << 8) | c, have += 8;
        while (have >= 6) out += table[(bits >> (have -= 6)) & 63];
    }
    if (have > 0) out += table[(bits << (6 - have)) & 63];
    return out;  // no padding, as JWS wants
}

inline std::optional<std::string> base64url_decode(std::string_view in) {
    std::string out;
    unsigned bits = 0;
    int have = 0;
    for (char c : in) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-' || c == '+' ? 62
                : c == '_' || c == '/' ? 63
                                       : -1;
        if (c == '=') break;
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<unsigned>(v), have += 6;
        if (have >= 8) out += static_cast<char>((bits >> (have -= 8)) & 0xff);
    }
    return out;
}

inline std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\u00", out += hex[(c >> 4) & 15], out += hex[c & 15];
        } else
            out += c;
    }
    return out + "\"";
}

/// The top-level members of a JSON object, each value as its raw text (strings unquoted and
/// unescaped for the common escapes). nullopt when `json` is not an object.
inline std::optional<std::map<std::string, std::string>> json_members(std::string_view json) {
    std::size_t i = 0;
    auto ws = [&] {
        while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) ++i;
    };
    auto string = [&]() -> std::optional<std::string> {
        if (i >= json.size() || json[i] != '"') return std::nullopt;
        std::string out;
        for (++i; i < json.size() && json[i] != '"'; ++i) {
            if (json[i] == '\\') {
                if (++i >= json.size()) return std::nullopt;
                char e = json[i];
                if (e == 'u')
                    out += "\\u";  // kept as written: no claim read here needs it
                else
                    out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            } else
                out += json[i];
        }
        if (i >= json.size()) return std::nullopt;
        ++i;
        return out;
    };
    auto skip_value = [&]() -> bool {  // a number, literal, array or object, as raw text
        int depth = 0;
        bool in_string = false;
        for (; i < json.size(); ++i) {
            char c = json[i];
            if (in_string) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    in_string = false;
            } else if (c == '"')
                in_string = true;
            else if (c == '[' || c == '{')
                ++depth;
            else if (c == ']' || c == '}') {
                if (depth == 0) return true;
                --depth;
            } else if (c == ',' && depth == 0)
                return true;
        }
        return depth == 0 && !in_string;
    };
    std::map<std::string, std::string> out;
    ws();
    if (i >= json.size() || json[i++] != '{') return std::nullopt;
    ws();
    if (i < json.size() && json[i] == '}') return out;
    for (;;) {
        ws();
        auto name = string();
        ws();
        if (!name || i >= json.size() || json[i++] != ':') return std::nullopt;
        ws();
        if (i < json.size() && json[i] == '"') {
            auto v = string();
            if (!v) return std::nullopt;
            out[*name] = std::move(*v);
        } else {
            auto start = i;
            if (!skip_value()) return std::nullopt;
            auto raw = json.substr(start, i - start);
            while (!raw.empty() &&
                   (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r'))
                raw.remove_suffix(1);
            out[*name] = std::string(raw);
        }
        ws();
        if (i < json.size() && json[i] == ',') {
            ++i;
            continue;
        }
        if (i < json.size() && json[i] == '}') return out;
        return std::nullopt;
    }
}

inline std::optional<double> number(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

inline wall_clock::time_point from_seconds(double s) {
    return wall_clock::time_point(std::chrono::duration_cast<wall_clock::duration>(std::chrono::duration<double>(s)));
}

}  // namespace detail

/// A token for a JWT the caller already has: its lifetime is read from the `exp` claim (and
/// `iat`, when present). Throws std::invalid_argument when `jwt` is not a JWT with `exp`.
inline token token_from_jwt(std::string jwt) {
    while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r' || jwt.back() == ' ')) jwt.pop_back();
    auto dot1 = jwt.find('.');
    auto dot2 = dot1 == std::string::npos ? dot1 : jwt.find('.', dot1 + 1);
    if (dot2 == std::string::npos)
        throw std::invalid_argument("the OAuth token is not a JWT (three base64url parts separated by '.')");
    for (char c : jwt)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            throw std::invalid_argument("the OAuth token has a character a JWT cannot hold");
    auto payload = detail::base64url_decode(std::string_view(jwt).substr(dot1 + 1, dot2 - dot1 - 1));
    auto claims = payload ? detail::json_members(*payload) : std::nullopt;
    if (!claims) throw std::invalid_argument("the OAuth token's payload is not a JSON object");
    auto exp = claims->count("exp") ? detail::number(claims->at("exp")) : std::nullopt;
    if (!exp) throw std::invalid_argument("the OAuth token has no numeric 'exp' (expiry) claim");
    token t{std::move(jwt), detail::from_seconds(*exp), std::nullopt};
    if (auto iat = claims->count("iat") ? detail::number(claims->at("iat")) : std::nullopt)
        t.issued = detail::from_seconds(*iat);
    return t;
}

/// Always the same JWT (its expiry from its `exp` claim): for tokens whose lifetime outlasts the
/// consumer, or tests.
class fixed_token {
public:
    explicit fixed_token(std::string jwt) : token_(token_from_jwt(std::move(jwt))) {}
    oauth::token token() const { return token_; }

private:
    oauth::token token_;
};

/// The JWT in a file, read again at each refresh (something else keeps the file fresh); Java's
/// sasl.oauthbearer.token.endpoint.url=file:... does the same.
class file_token {
public:
    explicit file_token(std::filesystem::path path) : path_(std::move(path)) {}
    oauth::token token() const {
        std::ifstream in(path_, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read the OAuth token file " + path_.string());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        try {
            return token_from_jwt(std::move(text));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(path_.string() + ": " + e.what());
        }
    }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// Kafka's unsecured JWS (`{"alg":"none"}`, no signature), built from OAuthBearerLoginModule's
/// options as Java's OAuthBearerUnsecuredLoginCallbackHandler reads them:
/// unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_<name>, unsecuredLoginListClaim_<name>
/// (the first character is the separator), unsecuredLoginPrincipalClaimName (default sub),
/// unsecuredLoginLifetimeSeconds (default 3600), unsecuredLoginScopeClaimName (default scope).
/// Only brokers configured with the unsecured validator accept these tokens. The constructor
/// throws std::invalid_argument naming the option that is wrong.
class unsecured_jws {
public:
    using options = std::vector<std::pair<std::string, std::string>>;
    static constexpr std::string_view prefix = "unsecuredLogin";

    explicit unsecured_jws(const options& opts, std::function<wall_clock::time_point()> now = wall_clock::now)
        : now_(std::move(now)) {
        std::string principal_claim = "sub";
        for (auto const& option : opts) {
            const std::string& name = option.first;  // not a structured binding: lambdas capture it (clang 14)
            const std::string& value = option.second;
            auto claim_of = [&](std::string_view kind) -> std::optional<std::string> {
                auto p = std::string(prefix) + std::string(kind) + "Claim_";
                if (name.size() <= p.size() || name.compare(0, p.size(), p) != 0) return std::nullopt;
                auto claim = name.substr(p.size());
                if (claim == "iat" || claim == "exp")
                    throw std::invalid_argument(name + ": the '" + claim +
                                                "' claim is set by the login, not by an option");
                return claim;
            };
            if (auto c = claim_of("String")) {
                claims_.emplace_back(*c, detail::json_string(value));
                strings_[*c] = value;
            } else if (auto n = claim_of("Number")) {
                if (!detail::number(value)) throw std::invalid_argument(name + " is not a number");
                claims_.emplace_back(*n, value);
            } else if (auto l = claim_of("List")) {
                std::string list = "[";
                if (value.size() > 1) {
                    char sep = value[0];
                    std::string_view rest = std::string_view(value).substr(1);
                    for (std::size_t start = 0;;) {
                        auto end = rest.find(sep, start);
                        if (list.size() > 1) list += ',';
                        list +=
                            detail::json_string(rest.substr(start, end == std::string_view::npos ? end : end - start));
                        if (end == std::string_view::npos) break;
                        start = end + 1;
                    }
                }
                claims_.emplace_back(*l, list + "]");
            } else if (name == "unsecuredLoginPrincipalClaimName") {
                if (!value.empty()) principal_claim = value;
            } else if (name == "unsecuredLoginLifetimeSeconds") {
                auto v = detail::number(value);
                if (!v || *v <= 0 || *v != std::floor(*v))
                    throw std::invalid_argument(
                        "unsecuredLoginLifetimeSeconds must be a positive whole number of seconds");
                lifetime_ = std::chrono::seconds(static_cast<std::int64_t>(*v));
            } else if (name == "unsecuredLoginScopeClaimName") {
                // names the claim that holds the scope; the scope is whatever that claim says
            }
        }
        auto principal = strings_.find(principal_claim);
        if (principal == strings_.end() || principal->second.empty())
            throw std::invalid_argument("the unsecured token needs a principal: set unsecuredLoginStringClaim_" +
                                        principal_claim + "=\"<name>\"");
        principal_ = principal->second;
    }

    oauth::token token() const {
        auto now = now_();
        auto iat = std::chrono::duration<double>(now.time_since_epoch()).count();
        auto exp = iat + static_cast<double>(lifetime_.count());
        auto seconds = [](double s) {
            char buf[32];
            auto [end, ec] =
                std::to_chars(buf, buf + sizeof buf, std::round(s * 1000) / 1000, std::chars_format::fixed, 3);
            return std::string(buf, end);
        };
        std::string claims = "{\"exp\":" + seconds(exp) + ",\"iat\":" + seconds(iat);
        for (auto const& [name, json] : claims_) claims += "," + detail::json_string(name) + ":" + json;
        claims += "}";
        return {detail::base64url("{\"alg\":\"none\"}") + "." + detail::base64url(claims) + ".",
                detail::from_seconds(exp), detail::from_seconds(iat)};
    }
    const std::string& principal() const noexcept { return principal_; }

private:
    std::function<wall_clock::time_point()> now_;
    std::vector<std::pair<std::string, std::string>> claims_;  // name -> JSON text, in option order
    std::map<std::string, std::string> strings_;
    std::chrono::seconds lifetime_{3600};
    std::string principal_;
};

/// sasl.login.refresh.*: when a token is fetched again, before it expires.
struct refresh_settings {
    double window_factor = 0.8;
    double window_jitter = 0.05;
    std::chrono::seconds min_period{60};
    std::chrono::seconds buffer{300};
};

/// The moment to fetch a new token, as Java computes it: at window_factor (plus up to
/// window_jitter) of the lifetime, moved up to keep `buffer` before expiry and never sooner than
/// `min_period` after now; when the lifetime is shorter than buffer + min_period both are ignored.
inline wall_clock::time_point refresh_time(const token& t, wall_clock::time_point now, const refresh_settings& s,
                                           double random01) {
    auto start = t.issued.value_or(now);
    auto lifetime = t.expires - start;
    auto at = start + std::chrono::duration_cast<wall_clock::duration>(lifetime *
                                                                       (s.window_factor + s.window_jitter * random01));
    if (t.expires - now < s.buffer + s.min_period) return at;
    if (at > t.expires - s.buffer) at = t.expires - s.buffer;
    if (at < now + s.min_period) at = now + s.min_period;
    return at;
}

/// The provider and the token it last handed out, shared by a consumer's connections (and
/// threads: the heartbeat thread authenticates its own connection).
class login {
public:
    login(std::function<token()> provider, oauth::extensions ext, refresh_settings refresh)
        : provider_(std::move(provider)), extensions_(std::move(ext)), refresh_(refresh) {
        for (auto const& [k, v] : extensions_)
            if (auto p = extension_problem(k, v); !p.empty()) throw std::invalid_argument(p);
    }

    /// The token to authenticate with at `now`: the one held until its refresh time, then a new
    /// one. Throws what the provider throws, and std::runtime_error for a token already expired.
    std::string current(wall_clock::time_point now = wall_clock::now()) {
        std::lock_guard lock(mutex_);
        if (!held_ || now >= refresh_at_) {
            auto t = provider_();
            if (t.expires <= now) throw std::runtime_error("the OAuth token provider returned an expired token");
            refresh_at_ = refresh_time(t, now, refresh_, std::uniform_real_distribution<double>(0, 1)(random_));
            held_ = std::move(t);
            ++fetches_;
        }
        return held_->value;
    }
    const oauth::extensions& extensions() const noexcept { return extensions_; }
    /// How many tokens the provider handed out so far.
    std::size_t fetches() const {
        std::lock_guard lock(mutex_);
        return fetches_;
    }

private:
    std::function<token()> provider_;
    oauth::extensions extensions_;
    refresh_settings refresh_;
    mutable std::mutex mutex_;
    std::optional<token> held_;
    wall_clock::time_point refresh_at_{};
    std::size_t fetches_ = 0;
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace kafka::oauth
