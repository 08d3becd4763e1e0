// Consumer configuration: Java-style string properties, checked once, read through typed accessors.
//
//     kafka::consumer_config cfg{{"bootstrap.servers", "127.0.0.1:9092"}, {"group.id", "orders"}};
//     auto cfg2 = kafka::consumer_config::from_properties_file("consumer.properties");
//     auto cfg3 = kafka::consumer_config_builder{}.bootstrap_servers("127.0.0.1:9092").group_id("g").build();
//     cfg.session_timeout();   // std::chrono::milliseconds{45000}
//
// Names, defaults, types and ranges follow the Java consumer (ConsumerConfig, CommonClientConfigs,
// SslConfigs, SaslConfigs, Kafka 3.9 and 4.x). One table, `consumer_config_keys`, says for every key
// its type, Java default, validity rule and whether this client
//
//   * supports it: it is parsed, validated and read through a typed accessor;
//   * accepts and ignores it: it is validated like Java would, then unused (the row says why). This
//     keeps Java property files loadable; key.deserializer / value.deserializer are among these
//     because deserializers are compile-time policies of KafkaConsumer<K, V, Policies>;
//   * rejects it: setting it to anything but blank throws, with the reason and what to use instead.
//
// Some keys are not Java's but librdkafka's, because there is no JAAS here and PEM files are what C
// and C++ users have: sasl.username / sasl.password, and the PEM files ssl.ca.location,
// ssl.certificate.location, ssl.key.location. sasl.jaas.config is understood for the PLAIN and SCRAM
// login modules. Java's key and trust stores (ssl.keystore.*, ssl.truststore.*) are read as PKCS#12
// files, PEM files or PEM text (client/tls_stores.hpp); a Java KeyStore (JKS) file is refused with the
// command that converts it.
//
// Keys of the producer's, the admin client's and Kafka Streams' configurations (a properties file
// shared between clients) are accepted and not used, with a warning, as Java's consumer logs them
// (detail/other_client_keys.hpp has the list).
//
// Everything is checked in the constructor, which throws kafka::config_error naming the key: unknown
// keys (with a did-you-mean), bad values (wrong type, out of the Java range, not an allowed string)
// and the cross-field rules of the Java consumer (see consumer_config::check_combination). Where
// Java only logs a warning, so do we, into warnings().
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <kafka/client/oauth.hpp>
#include <kafka/config_enums.hpp>
#include <kafka/detail/other_client_keys.hpp>
#include <kafka/exceptions.hpp>

namespace kafka {

// ---- the key table ------------------------------------------------------------------------------

/// Value types, as Java's ConfigDef.Type. Values are trimmed first, as Java does.
enum class config_type {
    boolean,     // true / false, any case
    int16,       // Java SHORT
    int32,       // Java INT
    int64,       // Java LONG
    float64,     // Java DOUBLE
    string,      // Java STRING
    list,        // comma-separated, each element trimmed
    password,    // a string that is never printed (to_string() and errors show [hidden])
    class_name,  // a Java class name
};

enum class config_status { supported, ignored, rejected };

/// Flags of a config_key.
inline constexpr unsigned config_case_insensitive = 1;  // allowed strings match in any case
inline constexpr unsigned config_prefix = 2;            // the row covers every key starting with `name`
inline constexpr unsigned config_required = 4;          // must be set (Java: no default)

/// Numeric range, inclusive. Both ends fit a double exactly for every key here.
struct config_range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
};

/// An extra check beyond type, range and allowed strings: returns the problem, or "" when valid.
using config_check = std::string (*)(std::string_view value);

struct config_key {
    std::string_view name;
    config_type type;
    const char* default_value;                  // Java's default as text; nullptr for Java's null
    config_range range;                         // numeric types only
    std::span<const std::string_view> allowed;  // the only valid strings, when not empty
    config_check check;                         // nullptr when type, range and allowed suffice
    unsigned flags;
    config_status status;
    std::string_view doc;  // what it does; for ignored and rejected keys, why
    bool secret() const noexcept { return type == config_type::password; }
};

namespace detail::cfg {

/// Records the keys a consumer_config is asked for on this thread while one is active (tests:
/// every supported key must be read by the consumer, or it would be accepted and ignored).
struct read_recorder {
    std::set<std::string, std::less<>> keys;
    read_recorder() : previous_(active) { active = this; }
    ~read_recorder() { active = previous_; }
    read_recorder(const read_recorder&) = delete;
    read_recorder& operator=(const read_recorder&) = delete;
    static inline thread_local read_recorder* active = nullptr;

private:
    read_recorder* previous_;
};

constexpr config_range at_least(double min) { return {min, std::numeric_limits<double>::infinity()}; }
constexpr config_range between(double min, double max) { return {min, max}; }
inline constexpr config_range any_value{};

inline bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

inline char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

inline bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.substr(0, prefix.size()) == prefix;
}

/// Java's list syntax: empty text is an empty list, otherwise split at commas and trim each element.
inline std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    s = trim(s);
    if (s.empty()) return out;
    for (;;) {
        auto comma = s.find(',');
        out.emplace_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

inline std::string join(std::span<const std::string_view> names, std::string_view sep = ", ") {
    std::string out;
    for (auto n : names) {
        if (!out.empty()) out += sep;
        out += n;
    }
    return out;
}

inline std::optional<bool> parse_bool(std::string_view s) {
    if (iequals(s, "true")) return true;
    if (iequals(s, "false")) return false;
    return std::nullopt;
}

/// Java's Integer/Long/Short.parseXxx: optional sign, decimal digits, nothing else.
template <class Int>
std::optional<Int> parse_integer(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && s.front() == '-') return std::nullopt;
    }
    Int v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

inline std::optional<double> parse_double(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

inline std::string number_text(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<std::int64_t>(v));
    std::ostringstream os;
    os << v;
    return os.str();
}

inline std::optional<std::size_t> index_of(std::span<const std::string_view> names, std::string_view v, bool any_case) {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (any_case ? iequals(names[i], v) : names[i] == v) return i;
    return std::nullopt;
}

/// Edit distance counting a swap of neighbours as one edit (optimal string alignment), any case.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

/// The candidate closest to `word`, when it is close enough to be a plausible typo.
template <class Range>
std::optional<std::string_view> closest(std::string_view word, const Range& candidates) {
    std::optional<std::string_view> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 5) + 1;
    for (std::string_view c : candidates) {
        auto d = edit_distance(word, c);
        if (d < best_distance) best = c, best_distance = d;
    }
    return best;
}

// -- host:port ----------------------------------------------------------------------------------

struct host_port {
    std::string host;
    std::uint16_t port = 0;
};

/// "host:port", "[v6]:port", unbracketed "::1:9092" (the last colon splits, as in Java), with an
/// optional "scheme://" prefix that is dropped (Java's Utils.getHost/getPort accept the same).
inline std::optional<host_port> parse_host_port(std::string_view s, std::string& problem) {
    if (auto scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
    std::string_view host, port;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
            problem = "'" + std::string(s) + "' is not [ipv6-address]:port";
            return std::nullopt;
        }
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
    } else {
        auto colon = s.rfind(':');
        if (colon == std::string_view::npos) {
            problem = "'" + std::string(s) + "' has no port (expected host:port)";
            return std::nullopt;
        }
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    auto legal = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '%' ||
               c == '.' || c == '_' || c == ':';
    };
    if (host.empty() || !std::all_of(host.begin(), host.end(), legal)) {
        problem = "'" + std::string(s) + "' does not start with a valid host name or address";
        return std::nullopt;
    }
    auto p =
        port.empty() || port.front() == '+' || port.front() == '-' ? std::nullopt : parse_integer<std::uint32_t>(port);
    if (!p || *p == 0 || *p > 65535) {
        problem = "'" + std::string(s) + "' has an invalid port (expected 1-65535)";
        return std::nullopt;
    }
    return host_port{std::string(host), static_cast<std::uint16_t>(*p)};
}

// -- ISO-8601 durations, as Java's Duration.parse reads them -------------------------------------

/// [-+]P[nD][T[nH][nM][n[.fraction]S]], letters in any case, every number optionally signed, at
/// least one part. Fractions of a millisecond are dropped.
inline std::optional<std::chrono::milliseconds> parse_iso_duration(std::string_view s) {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    std::size_t i = 0;
    auto peek = [&] { return i < s.size() ? lower(s[i]) : '\0'; };
    auto sign = [&]() -> std::int64_t {
        if (peek() == '-') return ++i, -1;
        if (peek() == '+') ++i;
        return 1;
    };
    // Reads [sign]digits and returns {sign, magnitude}; nullopt (with i unchanged) when no digits.
    auto number = [&]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
        auto start = i;
        auto sg = sign();
        std::int64_t v = 0;
        auto digits = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (v > (max - (s[i] - '0')) / 10) return i = start, std::nullopt;
            v = v * 10 + (s[i++] - '0');
        }
        if (i == digits) return i = start, std::nullopt;
        return std::pair{sg, v};
    };
    std::int64_t total = 0;  // milliseconds
    bool overflow = false;
    auto add = [&](std::int64_t sg, std::int64_t magnitude, std::int64_t unit_ms, std::int64_t extra_ms = 0) {
        if (magnitude > (max - extra_ms) / unit_ms) return void(overflow = true);
        std::int64_t part = sg * (magnitude * unit_ms + extra_ms);
        if ((part > 0 && total > max - part) || (part < 0 && total < -max - part)) return void(overflow = true);
        total += part;
    };
    std::int64_t overall = sign();
    if (peek() != 'p') return std::nullopt;
    ++i;
    bool any = false;
    if (auto n = number()) {
        if (peek() != 'd') return std::nullopt;
        ++i, any = true;
        add(n->first, n->second, 86'400'000);
    }
    if (peek() == 't') {
        ++i;
        bool any_time = false;
        for (auto [letter, unit] : {std::pair{'h', std::int64_t{3'600'000}}, std::pair{'m', std::int64_t{60'000}}}) {
            auto save = i;
            auto n = number();
            if (!n) continue;
            if (peek() != letter) {
                i = save;
                continue;
            }
            ++i, any_time = true;
            add(n->first, n->second, unit);
        }
        if (auto n = number()) {
            std::int64_t fraction_ms = 0;
            if (peek() == '.' || peek() == ',') {
                ++i;
                int digits = 0;
                while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                    if (digits < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
                    ++digits, ++i;
                }
                if (digits > 9) return std::nullopt;  // Java allows 0 to 9 fraction digits
                for (int k = digits; k < 3; ++k) fraction_ms *= 10;
            }
            if (peek() != 's') return std::nullopt;
            ++i, any_time = true;
            add(n->first, n->second, 1000, fraction_ms);
        }
        if (!any_time) return std::nullopt;
        any = true;
    }
    if (!any || i != s.size() || overflow) return std::nullopt;
    return std::chrono::milliseconds{overall * total};
}

// -- sasl.jaas.config ----------------------------------------------------------------------------

inline constexpr std::string_view plain_login_module = "org.apache.kafka.common.security.plain.PlainLoginModule";
inline constexpr std::string_view scram_login_module = "org.apache.kafka.common.security.scram.ScramLoginModule";
inline constexpr std::string_view oauth_login_module =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
inline constexpr std::string_view kerberos_login_module = "com.sun.security.auth.module.Krb5LoginModule";
/// The one login callback handler Java users name for a token endpoint (sasl.login.callback.handler.class).
inline constexpr std::string_view oauth_login_handler =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";

struct jaas_login {
    std::string module;
    std::string username;  // PLAIN and SCRAM
    std::string password;
    std::vector<std::pair<std::string, std::string>> options;  // OAuthBearer/Krb5LoginModule's, in order
    bool oauth() const noexcept { return module == oauth_login_module; }
    bool kerberos() const noexcept { return module == kerberos_login_module; }
    /// The last value given to option `name`, if any.
    std::optional<std::string> option(std::string_view name) const {
        std::optional<std::string> out;
        for (auto const& o : options)
            if (o.first == name) out = o.second;
        return out;
    }
    /// Whether boolean option `name` (Krb5LoginModule's useKeyTab, ...) is true; false when not given.
    bool flag(std::string_view name) const { return iequals(option(name).value_or("false"), "true"); }
    /// Whether an option's name starts with `prefix` (e.g. "unsecuredLogin", "extension_").
    bool has_option(std::string_view prefix) const noexcept {
        for (auto const& o : options)
            if (o.first.starts_with(prefix)) return true;
        return false;
    }
};

/// Why OAuthBearerLoginModule cannot take option `name` (empty when it can): the unsecured
/// token's options and extension_<name>; the HTTPS login's options are refused.
inline std::string oauth_option_problem(std::string_view name) {
    auto starts = [&](std::string_view p) { return name.size() > p.size() && name.substr(0, p.size()) == p; };
    if (starts("unsecuredLoginStringClaim_") || starts("unsecuredLoginNumberClaim_") ||
        starts("unsecuredLoginListClaim_") || starts("unsecuredLoginExtension_") || starts("extension_") ||
        name == "unsecuredLoginPrincipalClaimName" || name == "unsecuredLoginLifetimeSeconds" ||
        name == "unsecuredLoginScopeClaimName")
        return {};
    if (name == "clientId" || name == "clientSecret" || name == "scope")
        return "option '" + std::string(name) +
               "' belongs to the OIDC client-credentials login over HTTPS, which this client does not do: "
               "hand the token over with a token provider (Policies::token_provider) or a file "
               "(sasl.oauthbearer.token.endpoint.url=file:///path)";
    return "option '" + std::string(name) +
           "' is not one OAuthBearerLoginModule takes here (unsecuredLogin*, extension_*)";
}

/// Why Krb5LoginModule cannot take option `name` = `value` (empty when it can). A client login
/// here reads a keytab or a ticket cache and never prompts; what would need more is refused.
inline std::string kerberos_option_problem(std::string_view name, std::string_view value) {
    static constexpr std::string_view flags[] = {"useKeyTab", "storeKey", "useTicketCache", "doNotPrompt"};
    static constexpr std::string_view texts[] = {"keyTab", "principal", "ticketCache", "serviceName"};
    if (index_of(flags, name, true))
        return iequals(value, "true") || iequals(value, "false")
                   ? ""
                   : "option '" + std::string(name) + "' must be true or false";
    if (index_of(texts, name, true)) return value.empty() ? "option '" + std::string(name) + "' is empty" : "";
    if (name == "isInitiator")
        return iequals(value, "true") ? "" : "isInitiator=false makes an acceptor login, which a client cannot use";
    if (name == "renewTGT")
        return iequals(value, "false") ? ""
                                       : "renewTGT=true is not done here: the GSS-API library does not renew a ticket "
                                         "cache; renew it with kinit -R, or log in from a keytab (useKeyTab=true), "
                                         "whose tickets are fetched again when they expire";
    if (name == "debug") return "option 'debug' is Java's; set KRB5_TRACE=/dev/stderr for the Kerberos library's trace";
    return "option '" + std::string(name) +
           "' is not one Krb5LoginModule takes here (useKeyTab, keyTab, principal, storeKey, useTicketCache, "
           "ticketCache, doNotPrompt, isInitiator, renewTGT=false, serviceName)";
}

/// Reads `<LoginModule> <flag> [name=value ...];` (one module, values bare or "quoted" with
/// backslash escapes). Problems never quote option values: they may be secrets.
inline std::optional<jaas_login> parse_jaas(std::string_view s, std::string& problem) {
    std::size_t i = 0;
    auto skip_space = [&] {
        while (i < s.size() && is_space(s[i])) ++i;
    };
    auto word = [&]() -> std::optional<std::string> {
        skip_space();
        if (i < s.size() && s[i] == '"') {
            std::string out;
            for (++i; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                out += s[i];
            }
            if (i >= s.size()) return std::nullopt;
            ++i;
            return out;
        }
        auto start = i;
        while (i < s.size() && !is_space(s[i]) && s[i] != '=' && s[i] != ';' && s[i] != '"') ++i;
        if (i == start) return std::nullopt;
        return std::string(s.substr(start, i - start));
    };
    jaas_login out;
    auto module = word();
    auto flag = word();
    if (!module || !flag) {
        problem = "expected '<LoginModule class> required username=\"...\" password=\"...\";'";
        return std::nullopt;
    }
    static constexpr std::string_view flags[] = {"required", "requisite", "sufficient", "optional"};
    if (!index_of(flags, *flag, true)) {
        problem = "'" + *flag + "' is not a JAAS control flag (required, requisite, sufficient or optional)";
        return std::nullopt;
    }
    if (*module != plain_login_module && *module != scram_login_module && *module != oauth_login_module &&
        *module != kerberos_login_module) {
        problem = "login module '" + *module + "' is not supported by this client; use " +
                  std::string(plain_login_module) + ", " + std::string(scram_login_module) + ", " +
                  std::string(oauth_login_module) + " or " + std::string(kerberos_login_module);
        return std::nullopt;
    }
    out.module = *module;
    bool have_user = false, have_password = false;
    for (;;) {
        skip_space();
        if (i < s.size() && s[i] == ';') break;
        auto name = word();
        skip_space();
        if (!name || i >= s.size() || s[i] != '=') {
            problem = "expected name=value options ended by ';'";
            return std::nullopt;
        }
        ++i;
        auto value = word();
        if (!value) {
            problem = "option '" + *name + "' has no value (or an unterminated quote)";
            return std::nullopt;
        }
        if (out.oauth()) {
            if (auto p = oauth_option_problem(*name); !p.empty()) {
                problem = p;
                return std::nullopt;
            }
            out.options.emplace_back(std::move(*name), std::move(*value));
        } else if (out.kerberos()) {
            if (auto p = kerberos_option_problem(*name, *value); !p.empty()) {
                problem = p;
                return std::nullopt;
            }
            out.options.emplace_back(std::move(*name), std::move(*value));
        } else if (*name == "username")
            out.username = std::move(*value), have_user = true;
        else if (*name == "password")
            out.password = std::move(*value), have_password = true;
        else if (*name == "tokenauth" && iequals(*value, "true")) {
            problem = "delegation-token authentication (tokenauth=true) is not supported by this client";
            return std::nullopt;
        }
    }
    ++i;
    skip_space();
    if (i != s.size()) {
        problem = "exactly one login module is expected, but text follows the first ';'";
        return std::nullopt;
    }
    if (out.kerberos()) {
        if (out.flag("useKeyTab") && (!out.option("keyTab") || !out.option("principal"))) {
            problem = "useKeyTab=true needs keyTab=\"<file>\" and principal=\"<name@REALM>\"";
            return std::nullopt;
        }
        if (!out.flag("useKeyTab") && out.option("keyTab")) {
            problem = "keyTab is only read with useKeyTab=true";
            return std::nullopt;
        }
        if (!out.flag("useKeyTab") && !out.flag("useTicketCache")) {
            problem =
                "Krb5LoginModule needs useKeyTab=true (a keytab) or useTicketCache=true (a kinit's tickets): "
                "a client here never prompts for a password";
            return std::nullopt;
        }
        if (!out.flag("useTicketCache") && out.option("ticketCache")) {
            problem = "ticketCache is only read with useTicketCache=true";
            return std::nullopt;
        }
    } else if (!out.oauth() && (!have_user || !have_password)) {
        problem = std::string(have_user ? "password" : "username") + " option is missing";
        return std::nullopt;
    }
    return out;
}

// -- partition.assignment.strategy ---------------------------------------------------------------

struct assignor_alias {
    std::string_view java_class;
    std::string_view name;
};
inline constexpr assignor_alias java_assignor_classes[] = {
    {"org.apache.kafka.clients.consumer.RangeAssignor", "range"},
    {"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin"},
    {"org.apache.kafka.clients.consumer.StickyAssignor", "sticky"},
    {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
};

/// One list element as an assignor name: built-in names and Java's class names of the built-in
/// assignors; any other plain name is taken as a custom assignor's name() unless it looks like a
/// typo of a built-in one. Java classes other than the built-ins cannot be loaded here.
inline std::optional<std::string> assignor_name(std::string_view v, std::string& problem) {
    for (auto& a : java_assignor_classes)
        if (v == a.java_class) return std::string(a.name);
    if (index_of(builtin_assignor_names, v, false)) return std::string(v);
    if (v.empty()) {
        problem = "an assignor name is empty";
        return std::nullopt;
    }
    if (v.find('.') != std::string_view::npos) {
        problem = "'" + std::string(v) + "' names a Java class, which this client cannot load; use one of " +
                  join(builtin_assignor_names) + ", or the name() of a custom assignor policy";
        return std::nullopt;
    }
    if (auto near = closest(v, builtin_assignor_names)) {
        problem = "unknown assignor '" + std::string(v) + "' (did you mean '" + std::string(*near) + "'?)";
        return std::nullopt;
    }
    auto legal = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    };
    if (!std::all_of(v.begin(), v.end(), legal)) {
        problem = "'" + std::string(v) + "' is not an assignor name (letters, digits, '-' and '_')";
        return std::nullopt;
    }
    return std::string(v);
}

// -- checks used by the table --------------------------------------------------------------------

inline std::string check_bootstrap_servers(std::string_view v) {
    if (v.empty()) return {};  // reported as a missing required key
    std::vector<std::string> seen;
    for (auto& item : split_list(v)) {
        if (item.empty()) continue;  // Java skips empty entries
        std::string problem;
        if (!parse_host_port(item, problem)) return problem;
        if (std::find(seen.begin(), seen.end(), item) != seen.end()) return "'" + item + "' is listed twice";
        seen.push_back(item);
    }
    if (seen.empty()) return "no host:port given";
    return {};
}

inline std::string check_assignors(std::string_view v) {
    std::vector<std::string> seen;
    for (auto& item : split_list(v)) {
        std::string problem;
        auto name = assignor_name(item, problem);
        if (!name) return problem;
        if (std::find(seen.begin(), seen.end(), *name) != seen.end()) return "assignor '" + *name + "' is listed twice";
        seen.push_back(*name);
    }
    return {};
}

inline std::string check_offset_reset(std::string_view v) {
    if (index_of(offset_reset_names, v, false)) return {};
    if (v == "by_duration") return "by_duration needs a duration, e.g. by_duration:PT1H";
    if (starts_with(v, "by_duration:")) {
        auto d = parse_iso_duration(v.substr(12));
        if (!d)
            return "'" + std::string(v.substr(12)) + "' is not an ISO-8601 duration such as PT1H, P1DT12H or PT0.5S";
        if (d->count() < 0) return "the by_duration duration must not be negative";
        return {};
    }
    return "must be one of: earliest, latest, none, by_duration:<ISO-8601 duration> (e.g. by_duration:PT1H)";
}

inline std::string check_group_id(std::string_view v) {
    return trim(v).empty() ? "must not be empty or blank (leave it unset to consume without a group)" : "";
}

/// Java's JoinGroupRequest.validateGroupInstanceId: a non-empty name of at most 249 characters
/// from [a-zA-Z0-9._-], and neither "." nor "..".
inline std::string check_group_instance_id(std::string_view v) {
    if (v.empty()) return "must not be empty (leave it unset for a dynamic member)";
    if (v == "." || v == "..") return "must not be '.' or '..'";
    if (v.size() > 249) return "is longer than 249 characters";
    auto legal = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
               c == '-';
    };
    if (!std::all_of(v.begin(), v.end(), legal)) return "may contain only ASCII letters, digits, '.', '_' and '-'";
    return {};
}

inline std::string check_sasl_mechanism(std::string_view v) {
#ifndef KAFKA_HAVE_GSSAPI
    if (v == "GSSAPI")
        return "GSSAPI (Kerberos) is not built into this program: build it with the GSS-API library (Debian's "
               "libkrb5-dev, found by CMake's KAFKA_WITH_GSSAPI) and link kafka::consumer";
#endif
    if (index_of(sasl_mechanism_names, v, false)) return {};
    return "SASL mechanism '" + std::string(v) +
           "' is not supported by this client (supported: " + join(sasl_mechanism_names) + ")";
}

inline std::string check_token_endpoint(std::string_view v) {
    if (v.substr(0, 5) == "file:") return v.size() > 5 ? "" : "names no file";
    if (v.substr(0, 8) == "https://" || v.substr(0, 7) == "http://")
        return "an HTTP(S) token endpoint (OIDC client credentials, KIP-768) is not built into this client: fetch the "
               "token yourself and hand it over through a token provider (Policies::token_provider), or name a file "
               "(file:///path) that something else keeps fresh";
    return "must be a file: URL (file:///path to a JWT)";
}

inline std::string check_login_handler(std::string_view v) {
    if (v == oauth_login_handler) return {};
    return "Java callback handler classes cannot be loaded; only " + std::string(oauth_login_handler) +
           " (the token from sasl.oauthbearer.token.endpoint.url) is understood. Give PLAIN/SCRAM credentials with "
           "sasl.username and sasl.password, and OAuth tokens through a token provider (Policies::token_provider)";
}

inline std::string check_jaas(std::string_view v) {
    std::string problem;
    return parse_jaas(v, problem) ? std::string() : problem;
}

inline std::string check_endpoint_identification(std::string_view v) {
    return v.empty() || iequals(v, "https") ? "" : "must be 'https' or empty (empty turns host name verification off)";
}

inline std::string check_tls_versions(std::string_view v) {
    for (auto& item : split_list(v))
        if (!index_of(tls_version_names, item, false))
            return "'" + item + "' is not a TLS version this client enables (use " + join(tls_version_names) + ")";
    return {};
}

/// Suite names only; which names exist is OpenSSL's to say, when the consumer applies them
/// (client/tls_settings.hpp). OpenSSL cipher strings (librdkafka's form of this key) are refused here
/// because what they select depends on the OpenSSL build.
inline std::string check_cipher_suites(std::string_view v) {
    for (auto& item : split_list(v))
        if (item.find_first_of(":;! +@") != std::string::npos)
            return "'" + item +
                   "' is an OpenSSL cipher string, not a cipher suite name: list suite names separated by commas, "
                   "e.g. TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    return {};
}

}  // namespace detail::cfg

namespace detail::cfg {

// The table. Order: who and where, group membership, fetching, offsets, timeouts, sockets and
// metadata, security, metrics, then the keys accepted but ignored, then the rejected ones.
// Defaults are Java's (4.x where 3.9 and 4.x differ: see the rows).
inline constexpr config_key key_table[] = {
    // clang-format off
    // -- where and who ---------------------------------------------------------------------------------
    {"bootstrap.servers", config_type::list, "", any_value, {}, check_bootstrap_servers, config_required, config_status::supported,
     "Brokers to contact first, host:port[,host:port...]; the rest of the cluster is learnt from them."},
    {"client.dns.lookup", config_type::string, "use_all_dns_ips", any_value, client_dns_lookup_names, nullptr, 0, config_status::supported,
     "use_all_dns_ips: try every address a name resolves to, in order, until one accepts; resolve_canonical_bootstrap_servers_only is refused (Kerberos only)."},
    {"client.id", config_type::string, "", any_value, {}, nullptr, 0, config_status::supported,
     "Name sent with every request, for broker logs and quotas; when empty it becomes consumer-<group.id>-<group.instance.id or a sequence number>."},
    {"client.rack", config_type::string, "", any_value, {}, nullptr, 0, config_status::supported,
     "Rack of this consumer, letting brokers serve fetches from a replica in the same rack (KIP-392)."},

    // -- group membership --------------------------------------------------------------------------------
    {"group.id", config_type::string, nullptr, any_value, {}, check_group_id, 0, config_status::supported,
     "Consumer group to join; needed by subscribe() and by committed offsets. Unset: assign() only, no commits."},
    {"group.instance.id", config_type::string, nullptr, any_value, {}, check_group_instance_id, 0, config_status::supported,
     "Makes this member static (KIP-345): a restart within session.timeout.ms keeps its partitions without a rebalance."},
    {"group.protocol", config_type::string, "classic", any_value, group_protocol_names, nullptr, config_case_insensitive, config_status::supported,
     "classic: JoinGroup/SyncGroup with client-side assignment; consumer: the KIP-848 ConsumerGroupHeartbeat protocol, assignment by the broker."},
    {"group.remote.assignor", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "Server-side assignor to request under group.protocol=consumer (e.g. uniform, range); unset lets the broker choose."},
    {"share.acknowledgement.mode", config_type::string, "implicit", any_value, share_acknowledgement_mode_names, nullptr, config_case_insensitive, config_status::supported,
     "KafkaShareConsumer only (KafkaConsumer refuses it, as Java): implicit accepts every record a poll returned at the next poll or commit; explicit needs acknowledge() for each record before the next poll."},
    {"share.acquire.mode", config_type::string, "batch_optimized", any_value, share_acquire_mode_names, nullptr, config_case_insensitive, config_status::supported,
     "KafkaShareConsumer only: batch_optimized lets the broker hand over whole batches (max.poll.records a soft limit); record_limit makes max.poll.records a hard limit (ShareFetch v2, Kafka 4.2+)."},
    {"session.timeout.ms", config_type::int32, "45000", any_value, {}, nullptr, 0, config_status::supported,
     "Classic protocol: the coordinator drops a member it has not heard from for this long. The broker bounds it (group.min/max.session.timeout.ms)."},
    {"heartbeat.interval.ms", config_type::int32, "3000", any_value, {}, nullptr, 0, config_status::supported,
     "Classic protocol: time between heartbeats; must be below session.timeout.ms, typically a third of it."},
    {"max.poll.interval.ms", config_type::int32, "300000", at_least(1), {}, nullptr, 0, config_status::supported,
     "Longest allowed gap between poll() calls before the member leaves the group; also the rebalance timeout."},
    {"partition.assignment.strategy", config_type::list, "range,cooperative-sticky", any_value, {}, check_assignors, 0, config_status::supported,
     "Classic protocol: assignors by preference. range, roundrobin, sticky, cooperative-sticky, Java's class names for them, or custom assignor names."},

    // -- fetching -------------------------------------------------------------------------------------
    {"fetch.min.bytes", config_type::int32, "1", at_least(0), {}, nullptr, 0, config_status::supported,
     "Bytes a Fetch response should hold before the broker answers (or fetch.max.wait.ms passes)."},
    {"fetch.max.bytes", config_type::int32, "52428800", at_least(0), {}, nullptr, 0, config_status::supported,
     "Soft upper bound on a Fetch response; a first batch larger than this is still returned so progress is made."},
    {"fetch.max.wait.ms", config_type::int32, "500", at_least(0), {}, nullptr, 0, config_status::supported,
     "Longest the broker holds a Fetch waiting for fetch.min.bytes."},
    {"max.partition.fetch.bytes", config_type::int32, "1048576", at_least(0), {}, nullptr, 0, config_status::supported,
     "Soft upper bound on the data returned per partition in one Fetch."},
    {"max.poll.records", config_type::int32, "500", at_least(1), {}, nullptr, 0, config_status::supported,
     "Most records one poll() returns; the rest stay buffered for the next poll()."},
    {"isolation.level", config_type::string, "read_uncommitted", any_value, isolation_level_names, nullptr, 0, config_status::supported,
     "read_committed: only committed transactional records, up to the last stable offset; read_uncommitted: everything."},
    {"check.crcs", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::supported,
     "Verify the CRC of every record batch received."},
    {"exclude.internal.topics", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::supported,
     "A pattern subscription never matches internal topics such as __consumer_offsets (naming them explicitly still works)."},
    {"allow.auto.create.topics", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::supported,
     "Let metadata requests create missing subscribed topics, if the broker's auto.create.topics.enable allows it."},

    // -- offsets --------------------------------------------------------------------------------------
    {"enable.auto.commit", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::supported,
     "Commit consumed positions periodically from poll(). Without group.id it is false, and setting it true is an error."},
    {"auto.commit.interval.ms", config_type::int32, "5000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Time between automatic commits."},
    {"auto.offset.reset", config_type::string, "latest", any_value, {}, check_offset_reset, 0, config_status::supported,
     "Where to start without a committed offset or after an out-of-range one: earliest, latest, none (throw), or by_duration:<ISO-8601> (Kafka 4.0, KIP-1106)."},

    // -- timeouts and backoff ---------------------------------------------------------------------------
    {"request.timeout.ms", config_type::int32, "30000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Longest wait for a response before the request fails and its connection is closed."},
    {"default.api.timeout.ms", config_type::int32, "60000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Timeout of blocking consumer calls that take none (commitSync, position, committed, ...)."},
    {"retry.backoff.ms", config_type::int64, "100", at_least(0), {}, nullptr, 0, config_status::supported,
     "First wait before retrying a failed request; doubles per failure up to retry.backoff.max.ms, with 20% jitter."},
    {"retry.backoff.max.ms", config_type::int64, "1000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Upper bound of the retry backoff: a request that keeps failing (metadata, coordinator lookup, committed offsets, offset resets) waits retry.backoff.ms doubled per failure in a row, up to this, with 20% jitter."},
    {"reconnect.backoff.ms", config_type::int64, "50", at_least(0), {}, nullptr, 0, config_status::supported,
     "First wait before reconnecting to a broker; doubles per failed attempt up to reconnect.backoff.max.ms."},
    {"reconnect.backoff.max.ms", config_type::int64, "1000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Upper bound of the reconnect backoff; when only reconnect.backoff.ms is set it takes that value (no growth), as in Java."},
    {"socket.connection.setup.timeout.ms", config_type::int64, "10000", any_value, {}, nullptr, 0, config_status::supported,
     "Time allowed to set a connection up (TCP, TLS, ApiVersions, SASL); doubles per consecutive failure up to socket.connection.setup.timeout.max.ms, 20% jitter."},
    {"socket.connection.setup.timeout.max.ms", config_type::int64, "30000", any_value, {}, nullptr, 0, config_status::supported,
     "Upper bound of the connection setup timeout."},
    {"connections.max.idle.ms", config_type::int64, "540000", any_value, {}, nullptr, 0, config_status::supported,
     "Close connections idle for this long (a little under the broker's 10 minutes, so the client closes first)."},

    // -- sockets and metadata ---------------------------------------------------------------------------
    {"send.buffer.bytes", config_type::int32, "131072", at_least(-1), {}, nullptr, 0, config_status::supported,
     "SO_SNDBUF of broker sockets, set before they connect; -1 keeps the operating system's default."},
    {"receive.buffer.bytes", config_type::int32, "-1", at_least(-1), {}, nullptr, 0, config_status::supported,
     "SO_RCVBUF of broker sockets, set before they connect (so it shapes the TCP window); -1 (the default here; Java's is 65536) keeps the operating system's, which on Linux grows the buffer with the traffic: a fixed 64 KiB doubled the kernel's CPU per record on a bulk read (bench/RESULTS.md)."},
    {"metadata.max.age.ms", config_type::int64, "300000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Refresh metadata at least this often, even without errors, to notice new brokers and partitions."},
    {"metadata.recovery.strategy", config_type::string, "rebootstrap", any_value, metadata_recovery_names, nullptr, config_case_insensitive, config_status::supported,
     "rebootstrap (Java 4.x's default): when no known broker can be reached, metadata has failed for metadata.recovery.rebootstrap.trigger.ms, or a broker answers REBOOTSTRAP_REQUIRED, find the cluster again from bootstrap.servers (resolving the names again); none: keep trying the brokers last known."},
    {"metadata.recovery.rebootstrap.trigger.ms", config_type::int64, "300000", at_least(0), {}, nullptr, 0, config_status::supported,
     "With metadata.recovery.strategy=rebootstrap: re-bootstrap when metadata refreshes have been failing this long (KIP-1102)."},

    // -- security -------------------------------------------------------------------------------------
    {"security.protocol", config_type::string, "PLAINTEXT", any_value, security_protocol_names, nullptr, config_case_insensitive, config_status::supported,
     "PLAINTEXT, SSL (TLS), SASL_PLAINTEXT (SASL without TLS) or SASL_SSL (SASL over TLS)."},
    {"sasl.mechanism", config_type::string, "GSSAPI", any_value, {}, check_sasl_mechanism, 0, config_status::supported,
     "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or GSSAPI (Kerberos; Java's default, when this program is built with the GSS-API library)."},
    {"sasl.jaas.config", config_type::password, nullptr, any_value, {}, check_jaas, 0, config_status::supported,
     "Java's credentials syntax: PlainLoginModule and ScramLoginModule entries give username and password; OAuthBearerLoginModule's unsecuredLogin* options build Kafka's unsecured token, and its extension_* / unsecuredLoginExtension_* options are sent as SASL extensions (KIP-342)."},
    {"sasl.oauthbearer.token.endpoint.url", config_type::string, nullptr, any_value, {}, check_token_endpoint, 0, config_status::supported,
     "OAUTHBEARER: file:///path of a JWT that something else keeps fresh, read again at each refresh. HTTPS endpoints (OIDC client credentials) are refused: give a token provider (Policies::token_provider) instead."},
    {"sasl.login.callback.handler.class", config_type::class_name, nullptr, any_value, {}, check_login_handler, 0, config_status::supported,
     "Only Java's OAuthBearerLoginCallbackHandler, which means: the token comes from sasl.oauthbearer.token.endpoint.url. Other classes cannot be loaded: give a token provider (Policies::token_provider)."},
    {"sasl.login.refresh.window.factor", config_type::float64, "0.8", between(0.5, 1.0), {}, nullptr, 0, config_status::supported,
     "OAUTHBEARER: a new token is fetched once this fraction of the current one's lifetime has passed."},
    {"sasl.login.refresh.window.jitter", config_type::float64, "0.05", between(0.0, 0.25), {}, nullptr, 0, config_status::supported,
     "OAUTHBEARER: up to this fraction of the lifetime is added at random to the refresh time."},
    {"sasl.login.refresh.min.period.seconds", config_type::int16, "60", between(0, 900), {}, nullptr, 0, config_status::supported,
     "OAUTHBEARER: a token is kept at least this long before it is refreshed."},
    {"sasl.login.refresh.buffer.seconds", config_type::int16, "300", between(0, 3600), {}, nullptr, 0, config_status::supported,
     "OAUTHBEARER: a token is refreshed at least this long before it expires."},
    {"sasl.username", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "SASL user name (librdkafka's key; an alternative to sasl.jaas.config)."},
    {"sasl.password", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "SASL password (librdkafka's key; an alternative to sasl.jaas.config)."},
    {"ssl.ca.location", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "PEM file of the certificate authorities that sign broker certificates; unset uses the system's trust store (librdkafka's key)."},
    {"ssl.certificate.location", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "PEM file with this client's certificate chain, for TLS client authentication (librdkafka's key)."},
    {"ssl.key.location", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "PEM file with this client's private key (librdkafka's key)."},
    {"ssl.key.password", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "Password of an encrypted private key: ssl.key.location, or a PEM key store (ssl.keystore.key, ssl.keystore.location)."},
    {"ssl.truststore.type", config_type::string, "JKS", any_value, {}, nullptr, 0, config_status::supported,
     "What ssl.truststore.location or ssl.truststore.certificates hold: PKCS12 or PEM. Under JKS, Java's default, a PKCS#12 file is read as Java reads it; a Java KeyStore (JKS) file is refused with the keytool command that converts it."},
    {"ssl.truststore.location", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "File of the certificate authorities that sign broker certificates, of type ssl.truststore.type (PKCS#12 or PEM). Not together with ssl.ca.location."},
    {"ssl.truststore.password", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "Password of a PKCS#12 ssl.truststore.location; refused with PEM, which has none (as Java)."},
    {"ssl.truststore.certificates", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "The certificate authorities as PEM text, with ssl.truststore.type=PEM (instead of a file)."},
    {"ssl.keystore.type", config_type::string, "JKS", any_value, {}, nullptr, 0, config_status::supported,
     "What ssl.keystore.location or ssl.keystore.key/certificate.chain hold: PKCS12 or PEM. Under JKS, Java's default, a PKCS#12 file is read as Java reads it; a Java KeyStore (JKS) file is refused with the keytool command that converts it."},
    {"ssl.keystore.location", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "File with this client's private key and certificate chain (TLS client authentication), of type ssl.keystore.type: PKCS#12 with ssl.keystore.password, or PEM. Not together with ssl.certificate.location / ssl.key.location."},
    {"ssl.keystore.password", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "Password of a PKCS#12 ssl.keystore.location (needed, as in Java); refused with PEM, whose encrypted key takes ssl.key.password."},
    {"ssl.keystore.key", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "This client's private key as PEM text (PKCS#8, encrypted with ssl.key.password or not), with ssl.keystore.type=PEM and ssl.keystore.certificate.chain."},
    {"ssl.keystore.certificate.chain", config_type::password, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "This client's certificate chain as PEM text, its own certificate first, with ssl.keystore.type=PEM and ssl.keystore.key."},
    {"ssl.endpoint.identification.algorithm", config_type::string, "https", any_value, {}, check_endpoint_identification, 0, config_status::supported,
     "https: check that the broker certificate matches the host name; empty: do not check."},
    {"ssl.enabled.protocols", config_type::list, "TLSv1.2,TLSv1.3", any_value, {}, check_tls_versions, 0, config_status::supported,
     "TLS versions that may be negotiated: TLSv1.2, TLSv1.3 or both (older versions are refused). Applied as the TLS library's minimum and maximum version, which for these two is exactly the list; as in Java, a version none of ssl.cipher.suites can be used with is not offered."},
    {"ssl.cipher.suites", config_type::list, nullptr, any_value, {}, check_cipher_suites, 0, config_status::supported,
     "Cipher suites to allow, by their IANA names as Java takes them (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 for TLS 1.2, TLS_AES_128_GCM_SHA256 for TLS 1.3; Java's SSL_ aliases too). OpenSSL's name of one suite (ECDHE-RSA-AES256-GCM-SHA384) is accepted too, so librdkafka users' lists work once their ':' become ','; OpenSSL cipher strings (HIGH, !aNULL) are refused, as what they select depends on the OpenSSL build. A name OpenSSL does not know, or a list leaving no suite for ssl.enabled.protocols, is refused when the consumer is constructed. Empty keeps the TLS library's defaults."},

    // -- metrics --------------------------------------------------------------------------------------
    {"metrics.sample.window.ms", config_type::int64, "30000", at_least(0), {}, nullptr, 0, config_status::supported,
     "Length of one metrics sample window (rates are computed over metrics.num.samples of them)."},
    {"metrics.num.samples", config_type::int32, "2", at_least(1), {}, nullptr, 0, config_status::supported,
     "Number of sample windows kept per metric."},
    {"metrics.recording.level", config_type::string, "INFO", any_value, metrics_recording_level_names, nullptr, 0, config_status::supported,
     "Most detailed level of metrics recorded: INFO, DEBUG or TRACE. As in Java's consumer, every consumer metric is INFO-level, so all are recorded at any level (the key matters to Kafka Streams)."},

    // -- accepted and ignored: valid Java settings that mean nothing to this client ---------------------
    {"key.deserializer", config_type::class_name, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Deserializers are compile-time policies here: KafkaConsumer<K, V, Policies>."},
    {"value.deserializer", config_type::class_name, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Deserializers are compile-time policies here: KafkaConsumer<K, V, Policies>."},
    {"enable.metrics.push", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::ignored,
     "Client metrics are not pushed to the broker (KIP-714), which is what the broker sees when no subscription matches."},
    {"auto.include.jmx.reporter", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::ignored,
     "There is no JMX here (the key was removed from Java in Kafka 4.0)."},
    {"metrics.context.", config_type::string, nullptr, any_value, {}, nullptr, config_prefix, config_status::ignored,
     "Labels for Java metrics reporters; there are no reporters to receive them."},
    {"internal.leave.group.on.close", config_type::boolean, "true", any_value, {}, nullptr, 0, config_status::ignored,
     "Java-internal switch; this client always leaves the group on close unless it is a static member."},
    {"internal.throw.on.fetch.stable.offset.unsupported", config_type::boolean, "false", any_value, {}, nullptr, 0, config_status::ignored,
     "Java-internal switch."},
    {"ssl.protocol", config_type::string, "TLSv1.3", any_value, {}, nullptr, 0, config_status::ignored,
     "Names a JSSE SSLContext; the TLS versions used here are those of ssl.enabled.protocols."},
    {"ssl.provider", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Names a JSSE security provider; TLS is not done by Java here."},
    {"ssl.keymanager.algorithm", config_type::string, "SunX509", any_value, {}, nullptr, 0, config_status::ignored,
     "JSSE key manager factory; keys come from ssl.key.location."},
    {"ssl.trustmanager.algorithm", config_type::string, "PKIX", any_value, {}, nullptr, 0, config_status::ignored,
     "JSSE trust manager factory; certificate checking is the TLS library's."},
    {"ssl.secure.random.implementation", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Names a Java SecureRandom; the TLS library seeds itself."},
    {"sasl.kerberos.service.name", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::supported,
     "GSSAPI: the service part of the brokers' Kerberos principals (service/host@REALM); or serviceName in Krb5LoginModule's options."},
    {"sasl.kerberos.kinit.cmd", config_type::string, "/usr/bin/kinit", any_value, {}, nullptr, 0, config_status::ignored,
     "Java's ticket-cache relogin runs it; here the GSS-API library fetches tickets from the keytab itself, and a ticket cache is kept fresh by whoever ran kinit."},
    {"sasl.kerberos.ticket.renew.window.factor", config_type::float64, "0.8", any_value, {}, nullptr, 0, config_status::ignored,
     "Times Java's relogin thread; here the GSS-API library fetches new tickets from the keytab when the old ones expire."},
    {"sasl.kerberos.ticket.renew.jitter", config_type::float64, "0.05", any_value, {}, nullptr, 0, config_status::ignored,
     "Times Java's relogin thread; here the GSS-API library fetches new tickets from the keytab when the old ones expire."},
    {"sasl.kerberos.min.time.before.relogin", config_type::int64, "60000", any_value, {}, nullptr, 0, config_status::ignored,
     "Times Java's relogin thread; here the GSS-API library fetches new tickets from the keytab when the old ones expire."},
    {"sasl.login.connect.timeout.ms", config_type::int32, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Timeouts of the HTTPS token endpoint login, which this client does not have (tokens come from a provider or a file)."},
    {"sasl.login.read.timeout.ms", config_type::int32, nullptr, any_value, {}, nullptr, 0, config_status::ignored,
     "Timeouts of the HTTPS token endpoint login, which this client does not have (tokens come from a provider or a file)."},
    {"sasl.login.retry.backoff.ms", config_type::int64, "100", any_value, {}, nullptr, 0, config_status::ignored,
     "Retries of the HTTPS token endpoint login, which this client does not have (tokens come from a provider or a file)."},
    {"sasl.login.retry.backoff.max.ms", config_type::int64, "10000", any_value, {}, nullptr, 0, config_status::ignored,
     "Retries of the HTTPS token endpoint login, which this client does not have (tokens come from a provider or a file)."},
    {"sasl.oauthbearer.", config_type::string, nullptr, any_value, {}, nullptr, config_prefix, config_status::ignored,
     "Token validation settings (JWKS, expected audience and issuer, claim names, clock skew): the broker validates tokens, this client sends them as they are."},

    // -- rejected: settings whose intent this client cannot honour -----------------------------------------
    {"interceptor.classes", config_type::list, "", any_value, {}, nullptr, 0, config_status::rejected,
     "Java ConsumerInterceptor classes cannot be loaded; wrap poll() or use a deserializer policy instead."},
    {"metric.reporters", config_type::list, "org.apache.kafka.common.metrics.JmxReporter", any_value, {}, nullptr, 0, config_status::rejected,
     "Java MetricsReporter classes cannot be loaded; read the consumer's metrics through its C++ interface instead."},
    {"config.providers", config_type::list, "", any_value, {}, nullptr, 0, config_status::rejected,
     "Java ConfigProvider classes cannot be loaded; substitute values before building the configuration."},
    {"security.providers", config_type::string, nullptr, any_value, {}, nullptr, 0, config_status::rejected,
     "Java security providers cannot be loaded here."},
    {"sasl.client.callback.handler.class", config_type::class_name, nullptr, any_value, {}, nullptr, 0, config_status::rejected,
     "Java callback handler classes cannot be loaded; give credentials with sasl.username and sasl.password."},
    {"sasl.login.class", config_type::class_name, nullptr, any_value, {}, nullptr, 0, config_status::rejected,
     "Java Login classes cannot be loaded; give credentials with sasl.username and sasl.password."},
    {"ssl.engine.factory.class", config_type::class_name, nullptr, any_value, {}, nullptr, 0, config_status::rejected,
     "Java SslEngineFactory classes cannot be loaded; TLS is configured with ssl.truststore.* / ssl.keystore.* (PKCS#12 or PEM) or the ssl.*.location PEM files."},
    // clang-format on
};

}  // namespace detail::cfg

/// Every key this client knows, with its type, Java default, rule and status.
inline constexpr std::span<const config_key> consumer_config_keys = detail::cfg::key_table;

/// The row for `name`: an exact row, else the prefix row `name` starts with; nullptr when unknown.
inline const config_key* find_config_key(std::string_view name) noexcept {
    for (auto& k : consumer_config_keys)
        if (!(k.flags & config_prefix) && k.name == name) return &k;
    for (auto& k : consumer_config_keys)
        if ((k.flags & config_prefix) && detail::cfg::starts_with(name, k.name) && name.size() > k.name.size())
            return &k;
    return nullptr;
}

namespace detail::cfg {

/// Why `value` is not valid for `key` ("" when it is): type, range, allowed strings, extra check.
inline std::string problem_with(const config_key& key, std::string_view value) {
    auto range_problem = [&](double v) -> std::string {
        if (v >= key.range.min && v <= key.range.max) return {};
        if (key.range.max == std::numeric_limits<double>::infinity())
            return "must be at least " + number_text(key.range.min);
        return "must be between " + number_text(key.range.min) + " and " + number_text(key.range.max);
    };
    switch (key.type) {
        case config_type::boolean:
            if (!parse_bool(value)) return "expected true or false";
            break;
        case config_type::int16: {
            auto v = parse_integer<std::int16_t>(value);
            if (!v) return "not a 16-bit integer";
            if (auto p = range_problem(*v); !p.empty()) return p;
            break;
        }
        case config_type::int32: {
            auto v = parse_integer<std::int32_t>(value);
            if (!v) return "not a 32-bit integer";
            if (auto p = range_problem(*v); !p.empty()) return p;
            break;
        }
        case config_type::int64: {
            auto v = parse_integer<std::int64_t>(value);
            if (!v) return "not a 64-bit integer";
            if (auto p = range_problem(static_cast<double>(*v)); !p.empty()) return p;
            break;
        }
        case config_type::float64: {
            auto v = parse_double(value);
            if (!v) return "not a number";
            if (auto p = range_problem(*v); !p.empty()) return p;
            break;
        }
        case config_type::class_name:
            if (value.empty()) return "expected a class name";
            break;
        case config_type::string:
        case config_type::list:
        case config_type::password:
            break;
    }
    if (!key.allowed.empty() && !index_of(key.allowed, value, (key.flags & config_case_insensitive) != 0))
        return "must be one of: " + join(key.allowed);
    if (key.check) return key.check(value);
    return {};
}

inline std::string shown(const config_key& key, std::string_view value) {
    return key.secret() ? std::string("[hidden]") : "'" + std::string(value) + "'";
}

inline std::atomic<int> client_id_sequence{1};

// -- Java .properties ------------------------------------------------------------------------------

inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Undoes .properties escapes: \t \n \r \f, \uXXXX (surrogate pairs joined), \x for any other x.
inline std::string unescape(std::string_view s) {
    std::string out;
    std::uint32_t high_surrogate = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'u') {
            std::uint32_t v = 0;
            bool ok = i + 4 < s.size();
            for (std::size_t k = 1; ok && k <= 4; ++k) {
                char h = lower(s[i + k]);
                int d = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
                if (d < 0)
                    ok = false;
                else
                    v = v * 16 + static_cast<std::uint32_t>(d);
            }
            if (!ok) {
                out += c;
                continue;
            }
            i += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                high_surrogate = v;
                continue;
            }
            if (v >= 0xDC00 && v <= 0xDFFF && high_surrogate)
                v = 0x10000 + ((high_surrogate - 0xD800) << 10) + (v - 0xDC00);
            high_surrogate = 0;
            append_utf8(out, v);
            continue;
        }
        switch (c) {
            case 't':
                out += '\t';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 'f':
                out += '\f';
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace detail::cfg

/// Parses Java .properties text: `key=value`, `key: value` or `key value`; lines starting with
/// '#' or '!' are comments; a line ending in an odd number of backslashes continues on the next;
/// escapes as in Java. Keys and values are trimmed. A repeated key keeps its last value.
inline std::map<std::string, std::string> parse_properties(std::string_view text) {
    using namespace detail::cfg;
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        auto end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        line = text.substr(pos, end - pos);
        pos = end;
        if (pos < text.size()) pos += text.compare(pos, 2, "\r\n") == 0 ? 2 : 1;
        return true;
    };
    auto continues = [](std::string_view l) {
        std::size_t n = 0;
        while (n < l.size() && l[l.size() - 1 - n] == '\\') ++n;
        return n % 2 == 1;
    };
    std::string_view natural;
    while (next_line(natural)) {
        auto first = natural.find_first_not_of(" \t\f");
        if (first == std::string_view::npos) continue;
        natural.remove_prefix(first);
        if (natural.front() == '#' || natural.front() == '!') continue;
        std::string logical(natural);
        while (continues(logical)) {
            logical.pop_back();
            std::string_view more;
            if (!next_line(more)) break;
            auto f = more.find_first_not_of(" \t\f");
            logical.append(f == std::string_view::npos ? std::string_view{} : more.substr(f));
        }
        // The key ends at the first unescaped '=', ':' or white space.
        std::size_t k = 0;
        while (k < logical.size()) {
            char c = logical[k];
            if (c == '\\') {
                k += 2;
                continue;
            }
            if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') break;
            ++k;
        }
        k = std::min(k, logical.size());
        std::string_view rest = std::string_view(logical).substr(k);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\f'))
            rest.remove_prefix(1);
        if (!rest.empty() && (rest.front() == '=' || rest.front() == ':')) rest.remove_prefix(1);
        out[std::string(trim(unescape(std::string_view(logical).substr(0, k))))] = std::string(trim(unescape(rest)));
    }
    return out;
}

class consumer_config_builder;

/// A validated consumer configuration. Cheap to copy; immutable after construction.
class consumer_config {
public:
    using duration = std::chrono::milliseconds;
    using property_map = std::map<std::string, std::string, std::less<>>;

    /// Checks every property and the rules between them; throws config_error on the first problem.
    explicit consumer_config(const std::map<std::string, std::string>& props) { init(props.begin(), props.end()); }
    consumer_config(std::initializer_list<std::pair<std::string, std::string>> props) {
        init(props.begin(), props.end());
    }

    /// Reads a Java .properties file (see parse_properties) and validates it.
    static consumer_config from_properties_file(const std::filesystem::path& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw config_error("", "cannot read properties file '" + path.string() + "'");
        std::ostringstream text;
        text << in.rdbuf();
        return consumer_config(parse_properties(text.str()));
    }

    // ---- generic access ----------------------------------------------------------------------------

    /// Effective value: what was set, else what Java's rules derive, else Java's default; nullopt
    /// for Java's null (e.g. group.id unset). Throws config_error for a key not in the table.
    std::optional<std::string> find(std::string_view key) const {
        if (!find_config_key(key))
            throw config_error(std::string(key), "unknown configuration '" + std::string(key) + "'");
        if (auto* r = detail::cfg::read_recorder::active) r->keys.insert(std::string(key));
        if (auto it = effective_.find(key); it != effective_.end()) return it->second;
        return std::nullopt;
    }
    /// Effective value as text; "" where Java's value is null.
    std::string get(std::string_view key) const { return find(key).value_or(std::string()); }
    /// True when the key was given explicitly (Java: originals().containsKey).
    bool is_set(std::string_view key) const { return originals_.count(key) != 0; }
    /// The properties as given, values trimmed, blank values of rejected keys dropped.
    const property_map& originals() const noexcept { return originals_; }
    /// Things Java would log as warnings: valid, but probably not what was meant.
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }
    /// The keys given that belong to the producer's, admin client's or Kafka Streams' configuration
    /// (not used; each has a line in warnings()).
    const property_map& other_client_keys() const noexcept { return other_clients_; }

    /// One "key = value" line per supported key (effective values), then the keys given that are
    /// accepted but ignored. Secrets print as [hidden].
    std::string to_string() const {
        std::map<std::string_view, std::string> lines;
        for (auto& k : consumer_config_keys) {
            if (k.status != config_status::supported) continue;
            auto it = effective_.find(k.name);
            lines[k.name] = it == effective_.end() ? "null" : k.secret() ? "[hidden]" : it->second;
        }
        std::string out;
        for (auto& [key, value] : lines) out += std::string(key) + " = " + value + "\n";
        bool header = false;
        for (auto& [key, value] : originals_) {
            auto def = find_config_key(key);
            if (def->status != config_status::ignored) continue;
            if (!header) out += "# accepted but not used by this client:\n", header = true;
            out += key + " = " + (def->secret() ? std::string("[hidden]") : value) + "\n";
        }
        if (!other_clients_.empty()) out += "# other clients' settings, not used by a consumer:\n";
        for (auto& [key, value] : other_clients_) {
            bool secret = key.find("password") != std::string::npos || key.find("jaas") != std::string::npos ||
                          key.find("secret") != std::string::npos;  // e.g. producer.sasl.jaas.config
            out += key + " = " + (secret ? std::string("[hidden]") : value) + "\n";
        }
        return out;
    }

    // ---- typed accessors (effective values) --------------------------------------------------------

    /// bootstrap.servers as (host, port) pairs; IPv6 hosts without their brackets.
    std::vector<std::pair<std::string, std::uint16_t>> bootstrap_servers() const {
        std::vector<std::pair<std::string, std::uint16_t>> out;
        for (auto& item : list("bootstrap.servers")) {
            if (item.empty()) continue;
            std::string problem;
            auto hp = detail::cfg::parse_host_port(item, problem);
            out.emplace_back(std::move(hp->host), hp->port);
        }
        return out;
    }
    kafka::client_dns_lookup client_dns_lookup() const {
        return pick<kafka::client_dns_lookup>("client.dns.lookup", client_dns_lookup_names);
    }
    /// client.id, or the one generated when it is empty (consumer-<group>-<instance or sequence>).
    std::string client_id() const { return get("client.id"); }
    /// "" when not set (Java's default).
    std::string client_rack() const { return get("client.rack"); }

    std::optional<std::string> group_id() const { return optional_text("group.id"); }
    std::optional<std::string> group_instance_id() const { return optional_text("group.instance.id"); }
    kafka::group_protocol group_protocol() const {
        return pick<kafka::group_protocol>("group.protocol", group_protocol_names);
    }
    std::optional<std::string> group_remote_assignor() const { return optional_text("group.remote.assignor"); }
    kafka::share_acknowledgement_mode share_acknowledgement_mode() const {
        return pick<kafka::share_acknowledgement_mode>("share.acknowledgement.mode", share_acknowledgement_mode_names);
    }
    kafka::share_acquire_mode share_acquire_mode() const {
        return pick<kafka::share_acquire_mode>("share.acquire.mode", share_acquire_mode_names);
    }
    duration session_timeout() const { return millis("session.timeout.ms"); }
    duration heartbeat_interval() const { return millis("heartbeat.interval.ms"); }
    duration max_poll_interval() const { return millis("max.poll.interval.ms"); }
    /// Assignor names by preference, Java class names turned into the names used on the wire.
    std::vector<std::string> partition_assignment_strategy() const {
        std::vector<std::string> out;
        std::string problem;
        for (auto& item : list("partition.assignment.strategy"))
            out.push_back(*detail::cfg::assignor_name(item, problem));
        return out;
    }

    std::int32_t fetch_min_bytes() const { return int32("fetch.min.bytes"); }
    std::int32_t fetch_max_bytes() const { return int32("fetch.max.bytes"); }
    duration fetch_max_wait() const { return millis("fetch.max.wait.ms"); }
    std::int32_t max_partition_fetch_bytes() const { return int32("max.partition.fetch.bytes"); }
    std::int32_t max_poll_records() const { return int32("max.poll.records"); }
    kafka::isolation_level isolation_level() const {
        return pick<kafka::isolation_level>("isolation.level", isolation_level_names);
    }
    bool check_crcs() const { return flag("check.crcs"); }
    bool exclude_internal_topics() const { return flag("exclude.internal.topics"); }
    bool allow_auto_create_topics() const { return flag("allow.auto.create.topics"); }

    /// Effective: false when there is no group.id and it was not set.
    bool enable_auto_commit() const { return flag("enable.auto.commit"); }
    duration auto_commit_interval() const { return millis("auto.commit.interval.ms"); }
    offset_reset_strategy auto_offset_reset() const {
        auto v = get("auto.offset.reset");
        if (detail::cfg::starts_with(v, "by_duration:")) return offset_reset_strategy::by_duration;
        return static_cast<offset_reset_strategy>(*detail::cfg::index_of(offset_reset_names, v, false));
    }
    /// How far back by_duration resets; nullopt for the other strategies.
    std::optional<duration> auto_offset_reset_duration() const {
        auto v = get("auto.offset.reset");
        if (!detail::cfg::starts_with(v, "by_duration:")) return std::nullopt;
        return detail::cfg::parse_iso_duration(std::string_view(v).substr(12));
    }

    duration request_timeout() const { return millis("request.timeout.ms"); }
    duration default_api_timeout() const { return millis("default.api.timeout.ms"); }
    duration retry_backoff() const { return millis("retry.backoff.ms"); }
    duration retry_backoff_max() const { return millis("retry.backoff.max.ms"); }
    duration reconnect_backoff() const { return millis("reconnect.backoff.ms"); }
    /// Effective: equals reconnect.backoff.ms when only that one was set.
    duration reconnect_backoff_max() const { return millis("reconnect.backoff.max.ms"); }
    duration socket_connection_setup_timeout() const { return millis("socket.connection.setup.timeout.ms"); }
    duration socket_connection_setup_timeout_max() const { return millis("socket.connection.setup.timeout.max.ms"); }
    duration connections_max_idle() const { return millis("connections.max.idle.ms"); }

    std::int32_t send_buffer_bytes() const { return int32("send.buffer.bytes"); }
    std::int32_t receive_buffer_bytes() const { return int32("receive.buffer.bytes"); }
    duration metadata_max_age() const { return millis("metadata.max.age.ms"); }
    kafka::metadata_recovery_strategy metadata_recovery_strategy() const {
        return pick<kafka::metadata_recovery_strategy>("metadata.recovery.strategy", metadata_recovery_names);
    }
    duration metadata_recovery_rebootstrap_trigger() const {
        return millis("metadata.recovery.rebootstrap.trigger.ms");
    }

    kafka::security_protocol security_protocol() const {
        return pick<kafka::security_protocol>("security.protocol", security_protocol_names);
    }
    bool uses_sasl() const {
        auto p = security_protocol();
        return p == kafka::security_protocol::sasl_plaintext || p == kafka::security_protocol::sasl_ssl;
    }
    bool uses_tls() const {
        auto p = security_protocol();
        return p == kafka::security_protocol::ssl || p == kafka::security_protocol::sasl_ssl;
    }
    /// sasl.mechanism; Java's default is GSSAPI.
    kafka::sasl_mechanism sasl_mechanism() const {
        return pick<kafka::sasl_mechanism>("sasl.mechanism", sasl_mechanism_names);
    }
    /// Krb5LoginModule's options from sasl.jaas.config (none when it names another module or is not set).
    detail::cfg::jaas_login kerberos_login() const {
        auto j = jaas();
        return j && j->kerberos() ? std::move(*j) : detail::cfg::jaas_login{};
    }
    /// GSSAPI's service name: sasl.kerberos.service.name, or Krb5LoginModule's serviceName option.
    std::optional<std::string> kerberos_service_name() const {
        if (auto v = optional_text("sasl.kerberos.service.name")) return v;
        return kerberos_login().option("serviceName");
    }
    /// OAuthBearerLoginModule's options from sasl.jaas.config (none when it names another module).
    detail::cfg::jaas_login oauth_login() const {
        auto j = jaas();
        return j && j->oauth() ? std::move(*j) : detail::cfg::jaas_login{};
    }
    /// The file sasl.oauthbearer.token.endpoint.url names (file:///path or file:/path), if set.
    std::optional<std::filesystem::path> oauth_token_file() const {
        auto url = optional_text("sasl.oauthbearer.token.endpoint.url");
        if (!url) return std::nullopt;
        std::string_view rest = std::string_view(*url).substr(5);  // after "file:" (checked)
        if (rest.substr(0, 2) == "//") {
            rest.remove_prefix(2);
            if (rest.substr(0, 9) == "localhost") rest.remove_prefix(9);
            if (rest.empty() || rest[0] != '/')
                throw config_error("sasl.oauthbearer.token.endpoint.url",
                                   "sasl.oauthbearer.token.endpoint.url: a file: URL on another host cannot be read; "
                                   "use file:///path");
        }
        return std::filesystem::path(std::string(rest));
    }
    /// sasl.login.refresh.*: when an OAUTHBEARER token is fetched again.
    oauth::refresh_settings oauth_refresh() const {
        return {*detail::cfg::parse_double(get("sasl.login.refresh.window.factor")),
                *detail::cfg::parse_double(get("sasl.login.refresh.window.jitter")),
                std::chrono::seconds(int32("sasl.login.refresh.min.period.seconds")),
                std::chrono::seconds(int32("sasl.login.refresh.buffer.seconds"))};
    }
    /// From sasl.username, or from sasl.jaas.config.
    std::optional<std::string> sasl_username() const {
        if (auto j = jaas()) return j->username;
        return optional_text("sasl.username");
    }
    /// From sasl.password, or from sasl.jaas.config.
    std::optional<std::string> sasl_password() const {
        if (auto j = jaas()) return j->password;
        return optional_text("sasl.password");
    }
    std::optional<std::string> ssl_ca_location() const { return optional_text("ssl.ca.location"); }
    std::optional<std::string> ssl_certificate_location() const { return optional_text("ssl.certificate.location"); }
    std::optional<std::string> ssl_key_location() const { return optional_text("ssl.key.location"); }
    std::optional<std::string> ssl_key_password() const { return optional_text("ssl.key.password"); }
    /// True when the broker certificate must match its host name (ssl.endpoint.identification.algorithm=https).
    bool ssl_endpoint_identification() const { return !get("ssl.endpoint.identification.algorithm").empty(); }
    std::vector<std::string> ssl_enabled_protocols() const { return list("ssl.enabled.protocols"); }
    std::vector<std::string> ssl_cipher_suites() const { return list("ssl.cipher.suites"); }

    duration metrics_sample_window() const { return millis("metrics.sample.window.ms"); }
    std::int32_t metrics_num_samples() const { return int32("metrics.num.samples"); }
    kafka::metrics_recording_level metrics_recording_level() const {
        return pick<kafka::metrics_recording_level>("metrics.recording.level", metrics_recording_level_names);
    }

private:
    template <class It>
    void init(It first, It last) {
        using namespace detail::cfg;
        for (; first != last; ++first) {
            const std::string& key = first->first;
            std::string_view value = trim(first->second);
            const config_key* def = find_config_key(key);
            if (!def) {
                if (auto other = find_other_client_key(key)) {
                    other_clients_[key] = std::string(value);
                    warn("configuration '" + key + "' was supplied but is not used: it is a " +
                         std::string(other->client) + " setting, which a consumer ignores");
                    continue;
                }
                std::string message = "unknown configuration '" + key + "'";
                std::vector<std::string_view> names;
                for (auto& k : consumer_config_keys)
                    if (k.status != config_status::rejected && !(k.flags & config_prefix)) names.push_back(k.name);
                if (auto near = closest(key, names)) message += " (did you mean '" + std::string(*near) + "'?)";
                throw config_error(key, message);
            }
            if (def->status == config_status::rejected) {
                if (value.empty()) continue;  // blank means "not set", as in Java's checks of such keys
                throw config_error(
                    key, "configuration '" + key + "' is not supported by this client: " + std::string(def->doc));
            }
            if (auto problem = problem_with(*def, value); !problem.empty())
                throw config_error(
                    key, "invalid value " + shown(*def, value) + " for configuration '" + key + "': " + problem);
            originals_[key] = std::string(value);
        }
        for (auto& k : consumer_config_keys) {
            if (k.status == config_status::rejected || (k.flags & config_prefix)) continue;
            if (auto it = originals_.find(k.name); it != originals_.end())
                effective_.emplace(std::string(k.name), it->second);
            else if (k.default_value)
                effective_.emplace(std::string(k.name), k.default_value);
            if ((k.flags & config_required) && !has(k.name))
                throw config_error(std::string(k.name), "missing required configuration '" + std::string(k.name) + "'");
        }
        for (auto& [key, value] : originals_)
            if (find_config_key(key)->flags & config_prefix) effective_.emplace(key, value);
        check_combination();
    }

    /// The rules between keys. Those marked Java are what the Java consumer does (source named);
    /// the others are this client's, for its own keys or where it cannot do what Java would.
    void check_combination() {
        auto fail = [](std::string key, const std::string& message) { throw config_error(std::move(key), message); };
        const bool grouped = is_set("group.id");
        const bool classic = group_protocol() == kafka::group_protocol::classic;

        // Java ConsumerConfig.maybeOverrideEnableAutoCommit: no group, no auto-commit.
        if (!grouped) {
            if (!is_set("enable.auto.commit"))
                effective_["enable.auto.commit"] = "false";
            else if (flag("enable.auto.commit"))
                fail("enable.auto.commit",
                     "enable.auto.commit cannot be true when group.id is not set (there is no group to commit to)");
        }
        // Java 3.9 ConsumerConfig.checkGroupRemoteAssignor, 4.x CLASSIC_PROTOCOL_UNSUPPORTED_CONFIGS.
        if (classic && has("group.remote.assignor"))
            fail("group.remote.assignor",
                 "group.remote.assignor cannot be set when group.protocol=classic "
                 "(it names a broker-side assignor of group.protocol=consumer)");
        // Java 4.x ConsumerConfig.checkUnsupportedConfigsPostProcess (CONSUMER_PROTOCOL_UNSUPPORTED_CONFIGS).
        if (!classic) {
            std::string names;
            for (auto key : {"partition.assignment.strategy", "heartbeat.interval.ms", "session.timeout.ms"})
                if (has(key)) names += (names.empty() ? "" : ", ") + std::string(key);
            if (!names.empty())
                fail(names.substr(0, names.find(',')), names +
                                                           " cannot be set when group.protocol=consumer (the broker "
                                                           "manages them; see group.consumer.* broker configs)");
        }
        // Java Heartbeat's constructor (classic protocol, with a group).
        if (classic && grouped && heartbeat_interval() >= session_timeout())
            fail("heartbeat.interval.ms", "heartbeat.interval.ms (" + get("heartbeat.interval.ms") +
                                              ") must be lower than session.timeout.ms (" + get("session.timeout.ms") +
                                              ")");
        // Java expands each bootstrap name to the canonical names of its addresses (reverse DNS), for
        // Kerberos service principals; that expansion is not done here.
        if (client_dns_lookup() == kafka::client_dns_lookup::resolve_canonical_bootstrap_servers_only)
            fail("client.dns.lookup",
                 "client.dns.lookup=resolve_canonical_bootstrap_servers_only is not supported (it expands bootstrap "
                 "names to their canonical host names by reverse DNS, which this consumer does not do); name the "
                 "brokers as their Kerberos principals do and use use_all_dns_ips");
        // Java ignores group.instance.id without a group; say so.
        if (!grouped && is_set("group.instance.id"))
            warn("group.instance.id is set but group.id is not, so it has no effect");

        // Java CommonClientConfigs.postProcessReconnectBackoffConfigs.
        if (is_set("reconnect.backoff.ms") && !is_set("reconnect.backoff.max.ms")) {
            effective_["reconnect.backoff.max.ms"] = get("reconnect.backoff.ms");
            warn(
                "reconnect.backoff.ms is set but reconnect.backoff.max.ms is not, "
                "so the reconnect backoff stays at reconnect.backoff.ms instead of growing");
        }
        // Java CommonClientConfigs.warnDisablingExponentialBackoff.
        if (retry_backoff() > retry_backoff_max())
            warn("retry.backoff.ms (" + get("retry.backoff.ms") + ") is greater than retry.backoff.max.ms (" +
                 get("retry.backoff.max.ms") + "), so retries wait a constant retry.backoff.max.ms");
        if (socket_connection_setup_timeout() > socket_connection_setup_timeout_max())
            warn(
                "socket.connection.setup.timeout.ms is greater than socket.connection.setup.timeout.max.ms, "
                "so the latter applies to every attempt");

        // SASL. The mechanism defaults to GSSAPI as in Java. Java fails at construction without
        // credentials (no JAAS login); here PLAIN/SCRAM credentials come from one of two places, GSSAPI's
        // from Krb5LoginModule's options or, without sasl.jaas.config, the default ticket cache.
        const bool jaas_set = has("sasl.jaas.config"), user_set = has("sasl.username"),
                   password_set = has("sasl.password");
        if (jaas_set && (user_set || password_set))
            fail("sasl.jaas.config", "set either sasl.jaas.config or sasl.username/sasl.password, not both");
        if (user_set != password_set)
            fail(user_set ? "sasl.password" : "sasl.username",
                 std::string(user_set ? "sasl.username is set but sasl.password is not"
                                      : "sasl.password is set but sasl.username is not"));
        const bool oauth = uses_sasl() && sasl_mechanism() == kafka::sasl_mechanism::oauthbearer;
        const bool kerberos = uses_sasl() && sasl_mechanism() == kafka::sasl_mechanism::gssapi;
        const auto login = jaas();
        if (uses_sasl()) {
#ifndef KAFKA_HAVE_GSSAPI
            if (!is_set("sasl.mechanism"))
                fail("sasl.mechanism", "security.protocol=" + get("security.protocol") +
                                           " needs sasl.mechanism: Java's default, GSSAPI, is not built into this "
                                           "program (it needs the GSS-API library, Debian's libkrb5-dev); or name "
                                           "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
#endif
            if (kerberos) {
                if (user_set)
                    fail("sasl.username",
                         std::string(is_set("sasl.mechanism")
                                         ? ""
                                         : "sasl.mechanism is not set, so it is GSSAPI (Java's default): ") +
                             "sasl.username and sasl.password do not apply: sasl.mechanism=GSSAPI authenticates with "
                             "Kerberos tickets (Krb5LoginModule's keyTab and principal in sasl.jaas.config)");
                if (login && !login->kerberos())
                    fail("sasl.jaas.config", "sasl.jaas.config must name Krb5LoginModule for sasl.mechanism=GSSAPI: " +
                                                 std::string(detail::cfg::kerberos_login_module) + ", not " +
                                                 login->module);
                if (!kerberos_service_name())
                    fail("sasl.kerberos.service.name",
                         "sasl.mechanism=GSSAPI needs the brokers' Kerberos service name: set "
                         "sasl.kerberos.service.name (usually 'kafka') or serviceName in sasl.jaas.config");
            } else if (oauth) {
                // Whether a token source exists is the consumer's to check: its policies may give one.
                if (user_set)
                    fail("sasl.username",
                         "sasl.username and sasl.password do not apply: sasl.mechanism=OAUTHBEARER authenticates with "
                         "a token");
                if (login && !login->oauth())
                    fail("sasl.jaas.config",
                         "sasl.jaas.config must name OAuthBearerLoginModule for sasl.mechanism=OAUTHBEARER: " +
                             std::string(detail::cfg::oauth_login_module) + ", not " + login->module);
                if (login && login->has_option("unsecuredLogin") && has("sasl.oauthbearer.token.endpoint.url"))
                    fail("sasl.jaas.config",
                         "sasl.jaas.config's unsecuredLogin* options build an unsecured token, but "
                         "sasl.oauthbearer.token.endpoint.url "
                         "names where the token comes from: keep one of the two");
                if (has("sasl.login.callback.handler.class") && !has("sasl.oauthbearer.token.endpoint.url"))
                    fail("sasl.login.callback.handler.class",
                         "sasl.login.callback.handler.class=OAuthBearerLoginCallbackHandler reads the token from "
                         "sasl.oauthbearer.token.endpoint.url, which is not set");
            } else {
                if (login && login->oauth())
                    fail(
                        "sasl.jaas.config",
                        "sasl.jaas.config names OAuthBearerLoginModule, which is for sasl.mechanism=OAUTHBEARER, not " +
                            get("sasl.mechanism"));
                if (login && login->kerberos())
                    fail("sasl.jaas.config",
                         "sasl.jaas.config names Krb5LoginModule, which is for sasl.mechanism=GSSAPI, not " +
                             get("sasl.mechanism"));
                if (!jaas_set && !user_set)
                    fail("sasl.username",
                         "security.protocol=" + get("security.protocol") +
                             " needs credentials: set sasl.username and sasl.password (or sasl.jaas.config)");
            }
        } else if (jaas_set || user_set || is_set("sasl.mechanism")) {
            warn("sasl.* settings are unused because security.protocol=" + get("security.protocol") +
                 " does not use SASL");
        }
        if (!oauth)
            for (std::string_view key : {"sasl.oauthbearer.token.endpoint.url", "sasl.login.callback.handler.class",
                                         "sasl.login.refresh.window.factor", "sasl.login.refresh.window.jitter",
                                         "sasl.login.refresh.min.period.seconds", "sasl.login.refresh.buffer.seconds"})
                if (has(key)) warn(std::string(key) + " is unused: it applies to sasl.mechanism=OAUTHBEARER only");
        if (!kerberos && has("sasl.kerberos.service.name"))
            warn("sasl.kerberos.service.name is unused: it applies to sasl.mechanism=GSSAPI only");
        // TLS client authentication needs both halves.
        if (has("ssl.certificate.location") != has("ssl.key.location"))
            fail(has("ssl.key.location") ? "ssl.certificate.location" : "ssl.key.location",
                 "ssl.certificate.location and ssl.key.location must be set together (client certificate and its "
                 "private key)");
        if (has("ssl.key.password") && !has("ssl.key.location"))
            warn("ssl.key.password is set but ssl.key.location is not, so it has no effect");
        if (!uses_tls() && (has("ssl.ca.location") || has("ssl.certificate.location")))
            warn("ssl.*.location settings are unused because security.protocol=" + get("security.protocol") +
                 " does not use TLS");

        // Java ConsumerConfig.maybeOverrideClientId.
        if (get("client.id").empty()) {
            auto instance = group_instance_id();
            effective_["client.id"] =
                "consumer-" + group_id().value_or("null") + "-" +
                (instance ? *instance : std::to_string(detail::cfg::client_id_sequence.fetch_add(1)));
        }
    }

    void warn(std::string message) { warnings_.push_back(std::move(message)); }
    bool has(std::string_view key) const {
        auto it = originals_.find(key);
        return it != originals_.end() && !it->second.empty();
    }
    std::optional<detail::cfg::jaas_login> jaas() const {
        if (!has("sasl.jaas.config")) return std::nullopt;
        std::string problem;
        return detail::cfg::parse_jaas(get("sasl.jaas.config"), problem);
    }
    std::optional<std::string> optional_text(std::string_view key) const {
        auto v = find(key);
        if (!v || v->empty()) return std::nullopt;
        return v;
    }
    std::vector<std::string> list(std::string_view key) const { return detail::cfg::split_list(get(key)); }
    bool flag(std::string_view key) const { return *detail::cfg::parse_bool(get(key)); }
    std::int32_t int32(std::string_view key) const { return *detail::cfg::parse_integer<std::int32_t>(get(key)); }
    duration millis(std::string_view key) const {
        return duration{*detail::cfg::parse_integer<std::int64_t>(get(key))};
    }
    template <class Enum>
    Enum pick(std::string_view key, std::span<const std::string_view> names) const {
        return static_cast<Enum>(*detail::cfg::index_of(names, get(key), true));
    }

    property_map originals_;
    property_map effective_;
    property_map other_clients_;
    std::vector<std::string> warnings_;
};

/// Typed construction of the same properties: each setter writes the Java key, build() hands the
/// map to consumer_config's constructor, so validation is the same as for a map or a file.
class consumer_config_builder {
public:
    using duration = std::chrono::milliseconds;

    /// Any key, as text (also the way to set ignored keys).
    consumer_config_builder& set(std::string key, std::string value) {
        props_[std::move(key)] = std::move(value);
        return *this;
    }
    const std::map<std::string, std::string>& properties() const noexcept { return props_; }
    consumer_config build() const { return consumer_config(props_); }

    consumer_config_builder& bootstrap_servers(std::string_view servers) {
        return set("bootstrap.servers", std::string(servers));
    }
    consumer_config_builder& bootstrap_servers(std::initializer_list<std::string_view> servers) {
        return set("bootstrap.servers", join(servers));
    }
    consumer_config_builder& bootstrap_servers(const std::vector<std::string>& servers) {
        return set("bootstrap.servers", join(servers));
    }
    consumer_config_builder& client_dns_lookup(kafka::client_dns_lookup v) {
        return set("client.dns.lookup", name(client_dns_lookup_names, v));
    }
    consumer_config_builder& client_id(std::string_view v) { return set("client.id", std::string(v)); }
    consumer_config_builder& client_rack(std::string_view v) { return set("client.rack", std::string(v)); }

    consumer_config_builder& group_id(std::string_view v) { return set("group.id", std::string(v)); }
    consumer_config_builder& group_instance_id(std::string_view v) { return set("group.instance.id", std::string(v)); }
    consumer_config_builder& group_protocol(kafka::group_protocol v) {
        return set("group.protocol", name(group_protocol_names, v));
    }
    consumer_config_builder& group_remote_assignor(std::string_view v) {
        return set("group.remote.assignor", std::string(v));
    }
    consumer_config_builder& session_timeout(duration d) { return set("session.timeout.ms", ms(d)); }
    consumer_config_builder& heartbeat_interval(duration d) { return set("heartbeat.interval.ms", ms(d)); }
    consumer_config_builder& max_poll_interval(duration d) { return set("max.poll.interval.ms", ms(d)); }
    consumer_config_builder& partition_assignment_strategy(std::initializer_list<std::string_view> names) {
        return set("partition.assignment.strategy", join(names));
    }
    consumer_config_builder& partition_assignment_strategy(const std::vector<std::string>& names) {
        return set("partition.assignment.strategy", join(names));
    }

    consumer_config_builder& fetch_min_bytes(std::int32_t v) { return set("fetch.min.bytes", std::to_string(v)); }
    consumer_config_builder& fetch_max_bytes(std::int32_t v) { return set("fetch.max.bytes", std::to_string(v)); }
    consumer_config_builder& fetch_max_wait(duration d) { return set("fetch.max.wait.ms", ms(d)); }
    consumer_config_builder& max_partition_fetch_bytes(std::int32_t v) {
        return set("max.partition.fetch.bytes", std::to_string(v));
    }
    consumer_config_builder& max_poll_records(std::int32_t v) { return set("max.poll.records", std::to_string(v)); }
    consumer_config_builder& isolation_level(kafka::isolation_level v) {
        return set("isolation.level", name(isolation_level_names, v));
    }
    consumer_config_builder& check_crcs(bool v) { return set("check.crcs", boolean(v)); }
    consumer_config_builder& exclude_internal_topics(bool v) { return set("exclude.internal.topics", boolean(v)); }
    consumer_config_builder& allow_auto_create_topics(bool v) { return set("allow.auto.create.topics", boolean(v)); }

    consumer_config_builder& enable_auto_commit(bool v) { return set("enable.auto.commit", boolean(v)); }
    consumer_config_builder& auto_commit_interval(duration d) { return set("auto.commit.interval.ms", ms(d)); }
    /// earliest, latest or none; for by_duration use auto_offset_reset_by_duration.
    consumer_config_builder& auto_offset_reset(offset_reset_strategy v) {
        return set("auto.offset.reset",
                   v == offset_reset_strategy::by_duration ? "by_duration" : name(offset_reset_names, v));
    }
    /// by_duration:<d as ISO-8601>, e.g. 90 minutes -> by_duration:PT5400S.
    consumer_config_builder& auto_offset_reset_by_duration(duration d) {
        auto abs = d.count() < 0 ? -d.count() : d.count();
        std::string text = std::string(d.count() < 0 ? "-" : "") + "PT" + std::to_string(abs / 1000);
        if (abs % 1000) {
            auto frac = std::to_string(1000 + abs % 1000);  // "1xyz": keeps leading zeros
            text += "." + frac.substr(1);
        }
        return set("auto.offset.reset", "by_duration:" + text + "S");
    }

    consumer_config_builder& request_timeout(duration d) { return set("request.timeout.ms", ms(d)); }
    consumer_config_builder& default_api_timeout(duration d) { return set("default.api.timeout.ms", ms(d)); }
    consumer_config_builder& retry_backoff(duration d) { return set("retry.backoff.ms", ms(d)); }
    consumer_config_builder& retry_backoff_max(duration d) { return set("retry.backoff.max.ms", ms(d)); }
    consumer_config_builder& reconnect_backoff(duration d) { return set("reconnect.backoff.ms", ms(d)); }
    consumer_config_builder& reconnect_backoff_max(duration d) { return set("reconnect.backoff.max.ms", ms(d)); }
    consumer_config_builder& socket_connection_setup_timeout(duration d) {
        return set("socket.connection.setup.timeout.ms", ms(d));
    }
    consumer_config_builder& socket_connection_setup_timeout_max(duration d) {
        return set("socket.connection.setup.timeout.max.ms", ms(d));
    }
    consumer_config_builder& connections_max_idle(duration d) { return set("connections.max.idle.ms", ms(d)); }

    consumer_config_builder& send_buffer_bytes(std::int32_t v) { return set("send.buffer.bytes", std::to_string(v)); }
    consumer_config_builder& receive_buffer_bytes(std::int32_t v) {
        return set("receive.buffer.bytes", std::to_string(v));
    }
    consumer_config_builder& metadata_max_age(duration d) { return set("metadata.max.age.ms", ms(d)); }
    consumer_config_builder& metadata_recovery_strategy(kafka::metadata_recovery_strategy v) {
        return set("metadata.recovery.strategy", name(metadata_recovery_names, v));
    }
    consumer_config_builder& metadata_recovery_rebootstrap_trigger(duration d) {
        return set("metadata.recovery.rebootstrap.trigger.ms", ms(d));
    }

    consumer_config_builder& security_protocol(kafka::security_protocol v) {
        return set("security.protocol", name(security_protocol_names, v));
    }
    consumer_config_builder& sasl_mechanism(kafka::sasl_mechanism v) {
        return set("sasl.mechanism", name(sasl_mechanism_names, v));
    }
    consumer_config_builder& sasl_credentials(std::string_view username, std::string_view password) {
        set("sasl.username", std::string(username));
        return set("sasl.password", std::string(password));
    }
    consumer_config_builder& sasl_jaas_config(std::string_view v) { return set("sasl.jaas.config", std::string(v)); }
    consumer_config_builder& ssl_ca_location(std::string_view v) { return set("ssl.ca.location", std::string(v)); }
    consumer_config_builder& ssl_certificate_location(std::string_view v) {
        return set("ssl.certificate.location", std::string(v));
    }
    consumer_config_builder& ssl_key_location(std::string_view v) { return set("ssl.key.location", std::string(v)); }
    consumer_config_builder& ssl_key_password(std::string_view v) { return set("ssl.key.password", std::string(v)); }
    consumer_config_builder& ssl_endpoint_identification(bool on) {
        return set("ssl.endpoint.identification.algorithm", on ? "https" : "");
    }
    consumer_config_builder& ssl_enabled_protocols(std::initializer_list<std::string_view> v) {
        return set("ssl.enabled.protocols", join(v));
    }
    consumer_config_builder& ssl_cipher_suites(std::initializer_list<std::string_view> v) {
        return set("ssl.cipher.suites", join(v));
    }

    consumer_config_builder& metrics_sample_window(duration d) { return set("metrics.sample.window.ms", ms(d)); }
    consumer_config_builder& metrics_num_samples(std::int32_t v) {
        return set("metrics.num.samples", std::to_string(v));
    }
    consumer_config_builder& metrics_recording_level(kafka::metrics_recording_level v) {
        return set("metrics.recording.level", name(metrics_recording_level_names, v));
    }

private:
    template <class Enum>
    static std::string name(std::span<const std::string_view> names, Enum v) {
        return std::string(names[static_cast<std::size_t>(v)]);
    }
    static std::string ms(duration d) { return std::to_string(d.count()); }
    static std::string boolean(bool v) { return v ? "true" : "false"; }
    template <class Range>
    static std::string join(const Range& items) {
        std::string out;
        for (std::string_view item : items) {
            if (!out.empty()) out += ',';
            out += item;
        }
        return out;
    }

    std::map<std::string, std::string> props_;
};

}  // namespace kafka
