#include <kafka/config.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

using namespace std::chrono_literals;
using kafka::config_error;
using kafka::config_status;
using kafka::consumer_config;
using kafka::consumer_config_builder;

namespace {

const std::pair<std::string, std::string> bootstrap{"bootstrap.servers", "127.0.0.1:9092"};

/// Runs `make` expecting a config_error for `key` whose message contains every fragment.
template <class F>
void require_config_error(F&& make, const std::string& key, std::initializer_list<std::string> fragments) {
    try {
        make();
        FAIL("no config_error thrown; expected one about '" << key << "'");
    } catch (const config_error& e) {
        INFO(e.what());
        CHECK(e.key() == key);
        CHECK(e.code() == kafka::client_errc::invalid_config);
        CHECK(std::string(e.what()).find(key) != std::string::npos);
        for (auto& f : fragments) CHECK(std::string(e.what()).find(f) != std::string::npos);
    }
}

void require_error(std::map<std::string, std::string> props, const std::string& key,
                   std::initializer_list<std::string> fragments) {
    props.insert(bootstrap);
    require_config_error([&] { consumer_config{props}; }, key, fragments);
}

consumer_config with(std::map<std::string, std::string> props) {
    props.insert(bootstrap);
    return consumer_config(props);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// Java's defaults (ConsumerConfig / CommonClientConfigs / SslConfigs / SaslConfigs, Kafka 4.x), written out
// independently of the table: std::nullopt is Java's null.
TEST_CASE("every supported key defaults to the Java consumer's default", "[config]") {
    const std::map<std::string, std::optional<std::string>> java = {
        {"client.dns.lookup", "use_all_dns_ips"},
        {"client.rack", ""},
        {"group.id", std::nullopt},
        {"group.instance.id", std::nullopt},
        {"group.protocol", "classic"},
        {"group.remote.assignor", std::nullopt},
        {"share.acknowledgement.mode", "implicit"},
        {"share.acquire.mode", "batch_optimized"},
        {"session.timeout.ms", "45000"},
        {"heartbeat.interval.ms", "3000"},
        {"max.poll.interval.ms", "300000"},
        {"fetch.min.bytes", "1"},
        {"fetch.max.bytes", "52428800"},
        {"fetch.max.wait.ms", "500"},
        {"max.partition.fetch.bytes", "1048576"},
        {"max.poll.records", "500"},
        {"isolation.level", "read_uncommitted"},
        {"check.crcs", "true"},
        {"exclude.internal.topics", "true"},
        {"allow.auto.create.topics", "true"},
        {"auto.commit.interval.ms", "5000"},
        {"auto.offset.reset", "latest"},
        {"request.timeout.ms", "30000"},
        {"default.api.timeout.ms", "60000"},
        {"retry.backoff.ms", "100"},
        {"retry.backoff.max.ms", "1000"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "1000"},
        {"socket.connection.setup.timeout.ms", "10000"},
        {"socket.connection.setup.timeout.max.ms", "30000"},
        {"connections.max.idle.ms", "540000"},
        {"send.buffer.bytes", "131072"},
        {"receive.buffer.bytes", "-1"},
        {"metadata.max.age.ms", "300000"},
        {"metadata.recovery.strategy", "rebootstrap"},
        {"metadata.recovery.rebootstrap.trigger.ms", "300000"},
        {"security.protocol", "PLAINTEXT"},
        {"sasl.mechanism", "GSSAPI"},
        {"sasl.jaas.config", std::nullopt},
        {"sasl.kerberos.service.name", std::nullopt},
        {"ssl.key.password", std::nullopt},
        {"ssl.endpoint.identification.algorithm", "https"},
        {"ssl.enabled.protocols", "TLSv1.2,TLSv1.3"},
        {"ssl.cipher.suites", std::nullopt},
        {"metrics.sample.window.ms", "30000"},
        {"metrics.num.samples", "2"},
        {"metrics.recording.level", "INFO"},
        // librdkafka's keys (not Java's): unset by default.
        {"sasl.username", std::nullopt},
        {"sasl.password", std::nullopt},
        {"ssl.ca.location", std::nullopt},
        {"ssl.certificate.location", std::nullopt},
        {"ssl.key.location", std::nullopt},
        // Java's key and trust stores.
        {"ssl.truststore.type", "JKS"},
        {"ssl.truststore.location", std::nullopt},
        {"ssl.truststore.password", std::nullopt},
        {"ssl.truststore.certificates", std::nullopt},
        {"ssl.keystore.type", "JKS"},
        {"ssl.keystore.location", std::nullopt},
        {"ssl.keystore.password", std::nullopt},
        {"ssl.keystore.key", std::nullopt},
        {"ssl.keystore.certificate.chain", std::nullopt},
        // OAUTHBEARER.
        {"sasl.oauthbearer.token.endpoint.url", std::nullopt},
        {"sasl.login.callback.handler.class", std::nullopt},
        {"sasl.login.refresh.window.factor", "0.8"},
        {"sasl.login.refresh.window.jitter", "0.05"},
        {"sasl.login.refresh.min.period.seconds", "60"},
        {"sasl.login.refresh.buffer.seconds", "300"},
    };
    // With a group, so that enable.auto.commit keeps its declared default.
    consumer_config cfg{bootstrap, {"client.id", "c"}, {"group.id", "g"}};
    for (auto& [key, value] : java) {
        if (key == "group.id") continue;
        INFO(key);
        CHECK(cfg.find(key) == value);
    }
    CHECK(cfg.get("enable.auto.commit") == "true");
    // Java's default list of assignor classes, under their wire names.
    CHECK(cfg.partition_assignment_strategy() == std::vector<std::string>{"range", "cooperative-sticky"});

    // Every supported key of the table is covered above (or is bootstrap.servers / client.id /
    // enable.auto.commit / partition.assignment.strategy, checked separately).
    std::set<std::string> covered{"bootstrap.servers", "client.id", "enable.auto.commit",
                                  "partition.assignment.strategy"};
    for (auto& [key, value] : java) covered.insert(key);
    for (auto& k : kafka::consumer_config_keys)
        if (k.status == config_status::supported) {
            INFO(k.name);
            CHECK(covered.count(std::string(k.name)) == 1);
        }
}

TEST_CASE("typed accessors return the defaults as typed values", "[config]") {
    consumer_config cfg{bootstrap};
    CHECK(cfg.bootstrap_servers() == std::vector<std::pair<std::string, std::uint16_t>>{{"127.0.0.1", 9092}});
    CHECK(cfg.client_dns_lookup() == kafka::client_dns_lookup::use_all_dns_ips);
    CHECK(cfg.client_rack().empty());
    CHECK_FALSE(cfg.group_id());
    CHECK_FALSE(cfg.group_instance_id());
    CHECK(cfg.group_protocol() == kafka::group_protocol::classic);
    CHECK_FALSE(cfg.group_remote_assignor());
    CHECK(cfg.session_timeout() == 45s);
    CHECK(cfg.heartbeat_interval() == 3s);
    CHECK(cfg.max_poll_interval() == 5min);
    CHECK(cfg.fetch_min_bytes() == 1);
    CHECK(cfg.fetch_max_bytes() == 50 * 1024 * 1024);
    CHECK(cfg.fetch_max_wait() == 500ms);
    CHECK(cfg.max_partition_fetch_bytes() == 1024 * 1024);
    CHECK(cfg.max_poll_records() == 500);
    CHECK(cfg.isolation_level() == kafka::isolation_level::read_uncommitted);
    CHECK(cfg.check_crcs());
    CHECK(cfg.exclude_internal_topics());
    CHECK(cfg.allow_auto_create_topics());
    CHECK_FALSE(cfg.enable_auto_commit());  // no group.id: Java turns it off
    CHECK(cfg.auto_commit_interval() == 5s);
    CHECK(cfg.auto_offset_reset() == kafka::offset_reset_strategy::latest);
    CHECK_FALSE(cfg.auto_offset_reset_duration());
    CHECK(cfg.request_timeout() == 30s);
    CHECK(cfg.default_api_timeout() == 60s);
    CHECK(cfg.retry_backoff() == 100ms);
    CHECK(cfg.retry_backoff_max() == 1s);
    CHECK(cfg.reconnect_backoff() == 50ms);
    CHECK(cfg.reconnect_backoff_max() == 1s);
    CHECK(cfg.socket_connection_setup_timeout() == 10s);
    CHECK(cfg.socket_connection_setup_timeout_max() == 30s);
    CHECK(cfg.connections_max_idle() == 9min);
    CHECK(cfg.send_buffer_bytes() == 128 * 1024);
    CHECK(cfg.receive_buffer_bytes() == -1);  // not Java's 65536: the OS autotunes (config.hpp says why)
    CHECK(cfg.metadata_max_age() == 5min);
    CHECK(cfg.metadata_recovery_strategy() == kafka::metadata_recovery_strategy::rebootstrap);
    CHECK(cfg.metadata_recovery_rebootstrap_trigger() == 5min);
    CHECK(cfg.security_protocol() == kafka::security_protocol::plaintext);
    CHECK_FALSE(cfg.uses_sasl());
    CHECK_FALSE(cfg.uses_tls());
    CHECK(cfg.sasl_mechanism() == kafka::sasl_mechanism::gssapi);  // Java's default
    CHECK_FALSE(cfg.sasl_username());
    CHECK_FALSE(cfg.sasl_password());
    CHECK_FALSE(cfg.ssl_ca_location());
    CHECK_FALSE(cfg.ssl_certificate_location());
    CHECK_FALSE(cfg.ssl_key_location());
    CHECK_FALSE(cfg.ssl_key_password());
    CHECK(cfg.ssl_endpoint_identification());
    CHECK(cfg.ssl_enabled_protocols() == std::vector<std::string>{"TLSv1.2", "TLSv1.3"});
    CHECK(cfg.ssl_cipher_suites().empty());
    CHECK(cfg.metrics_sample_window() == 30s);
    CHECK(cfg.metrics_num_samples() == 2);
    CHECK(cfg.metrics_recording_level() == kafka::metrics_recording_level::info);
    CHECK(cfg.warnings().empty());
}

TEST_CASE("the table is consistent: unique names, and defaults pass their own checks", "[config]") {
    std::set<std::string_view> names;
    for (auto& k : kafka::consumer_config_keys) {
        INFO(k.name);
        CHECK(names.insert(k.name).second);
        CHECK_FALSE(k.doc.empty());
        if (k.status == config_status::rejected || !k.default_value) continue;
        if (k.flags & kafka::config_required) continue;
#ifndef KAFKA_HAVE_GSSAPI
        if (k.name == "sasl.mechanism") continue;  // Java's GSSAPI: the default this build cannot do
#endif
        CHECK(kafka::detail::cfg::problem_with(k, k.default_value).empty());
    }
}

TEST_CASE("isolation_level values are the ones sent on the wire", "[config]") {
    CHECK(with({{"isolation.level", "read_committed"}}).isolation_level() == kafka::isolation_level::read_committed);
    CHECK(with({{"isolation.level", "read_uncommitted"}}).isolation_level() ==
          kafka::isolation_level::read_uncommitted);
    CHECK(static_cast<int>(kafka::isolation_level::read_uncommitted) == 0);
    CHECK(static_cast<int>(kafka::isolation_level::read_committed) == 1);
}

TEST_CASE("set values are read back typed", "[config]") {
    auto cfg = with({{"group.id", "orders"},
                     {"client.rack", "eu-west-1a"},
                     {"group.instance.id", "worker-1"},
                     {"session.timeout.ms", " 30000 "},  // trimmed, as Java does
                     {"max.poll.records", "+10"},
                     {"isolation.level", "read_committed"},
                     {"group.protocol", "CLASSIC"},  // any case, as in Java
                     {"security.protocol", "sasl_ssl"},
                     {"sasl.mechanism", "SCRAM-SHA-512"},
                     {"sasl.username", "alice"},
                     {"sasl.password", "s3cret"},
                     {"ssl.ca.location", "/etc/kafka/ca.pem"},
                     {"ssl.endpoint.identification.algorithm", ""},
                     {"ssl.enabled.protocols", "TLSv1.3"},
                     {"ssl.cipher.suites", "TLS_AES_256_GCM_SHA384, ECDHE-RSA-AES128-GCM-SHA256"},
                     {"auto.offset.reset", "earliest"},
                     {"enable.auto.commit", "FALSE"},
                     {"metrics.recording.level", "DEBUG"},
                     {"client.dns.lookup", "use_all_dns_ips"},
                     {"metadata.recovery.strategy", "NONE"}});
    CHECK(cfg.group_id() == "orders");
    CHECK(cfg.group_instance_id() == "worker-1");
    CHECK(cfg.client_rack() == "eu-west-1a");
    CHECK(cfg.session_timeout() == 30s);
    CHECK(cfg.max_poll_records() == 10);
    CHECK(cfg.isolation_level() == kafka::isolation_level::read_committed);
    CHECK(cfg.group_protocol() == kafka::group_protocol::classic);
    CHECK(cfg.security_protocol() == kafka::security_protocol::sasl_ssl);
    CHECK(cfg.uses_sasl());
    CHECK(cfg.uses_tls());
    CHECK(cfg.sasl_mechanism() == kafka::sasl_mechanism::scram_sha_512);
    CHECK(cfg.sasl_username() == "alice");
    CHECK(cfg.sasl_password() == "s3cret");
    CHECK(cfg.ssl_ca_location() == "/etc/kafka/ca.pem");
    CHECK_FALSE(cfg.ssl_endpoint_identification());
    CHECK(cfg.ssl_enabled_protocols() == std::vector<std::string>{"TLSv1.3"});
    CHECK(cfg.ssl_cipher_suites() == std::vector<std::string>{"TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"});
    CHECK(cfg.auto_offset_reset() == kafka::offset_reset_strategy::earliest);
    CHECK_FALSE(cfg.enable_auto_commit());
    CHECK(cfg.metrics_recording_level() == kafka::metrics_recording_level::debug);
    CHECK(cfg.client_dns_lookup() == kafka::client_dns_lookup::use_all_dns_ips);
    CHECK(cfg.metadata_recovery_strategy() == kafka::metadata_recovery_strategy::none);
    CHECK(cfg.is_set("group.id"));
    CHECK_FALSE(cfg.is_set("fetch.min.bytes"));
    CHECK(cfg.originals().at("session.timeout.ms") == "30000");
}

TEST_CASE("bootstrap.servers: host:port lists, IPv6, schemes", "[config]") {
    using servers = std::vector<std::pair<std::string, std::uint16_t>>;
    CHECK(consumer_config{{"bootstrap.servers", "b1:9092, b2:9093 ,b3.example.com:19092"}}.bootstrap_servers() ==
          servers{{"b1", 9092}, {"b2", 9093}, {"b3.example.com", 19092}});
    CHECK(consumer_config{{"bootstrap.servers", "[::1]:9092,[fe80::1%eth0]:9093"}}.bootstrap_servers() ==
          servers{{"::1", 9092}, {"fe80::1%eth0", 9093}});
    CHECK(consumer_config{{"bootstrap.servers", "::1:9092"}}.bootstrap_servers() == servers{{"::1", 9092}});
    CHECK(consumer_config{{"bootstrap.servers", "SASL_SSL://broker:9094"}}.bootstrap_servers() ==
          servers{{"broker", 9094}});
    CHECK(consumer_config{{"bootstrap.servers", "a:1,,b:2"}}.bootstrap_servers() ==
          servers{{"a", 1}, {"b", 2}});  // Java skips empties

    require_config_error(
        [] {
            consumer_config{{"group.id", "g"}};
        },
        "bootstrap.servers", {"missing required configuration"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "  "}};
        },
        "bootstrap.servers", {"missing required configuration"});
    require_config_error([] { consumer_config{{"bootstrap.servers", " , "}}; }, "bootstrap.servers", {"no host:port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "localhost"}};
        },
        "bootstrap.servers", {"'localhost'", "no port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "localhost:99999"}};
        },
        "bootstrap.servers", {"invalid port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "localhost:0"}};
        },
        "bootstrap.servers", {"invalid port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "localhost:x"}};
        },
        "bootstrap.servers", {"invalid port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "[::1:9092"}};
        },
        "bootstrap.servers", {"[ipv6-address]:port"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "bad/host:9092"}};
        },
        "bootstrap.servers", {"host name"});
    require_config_error(
        [] {
            consumer_config{{"bootstrap.servers", "a:1,a:1"}};
        },
        "bootstrap.servers", {"listed twice"});
}

TEST_CASE("unknown keys are named, with a suggestion when one is close", "[config]") {
    require_error({{"fetch.mni.bytes", "1"}}, "fetch.mni.bytes",
                  {"unknown configuration 'fetch.mni.bytes'", "did you mean 'fetch.min.bytes'?"});
    require_error({{"sasl.mechanisms", "PLAIN"}}, "sasl.mechanisms",
                  {"did you mean 'sasl.mechanism'?"});  // librdkafka's plural
    require_error({{"max_poll_records", "5"}}, "max_poll_records", {"did you mean 'max.poll.records'?"});
    require_error({{"Group.Id", "g"}}, "Group.Id",
                  {"did you mean 'group.id'?"});  // keys are case-sensitive, as in Java
    try {
        with({{"statistics.interval.ms", "1000"}});
        FAIL("accepted an unknown key");
    } catch (const config_error& e) {
        CHECK(contains(e.what(), "unknown configuration 'statistics.interval.ms'"));
        CHECK_FALSE(contains(e.what(), "did you mean"));
    }
    // get() and find() also refuse keys that do not exist.
    require_config_error([] { consumer_config{bootstrap}.get("no.such.key"); }, "no.such.key",
                         {"unknown configuration"});
}

TEST_CASE("bad values: type, Java range, allowed strings", "[config]") {
    require_error({{"max.poll.records", "abc"}}, "max.poll.records", {"'abc'", "not a 32-bit integer"});
    require_error({{"max.poll.records", "2147483648"}}, "max.poll.records", {"not a 32-bit integer"});
    require_error({{"max.poll.records", "1.5"}}, "max.poll.records", {"not a 32-bit integer"});
    require_error({{"max.poll.records", ""}}, "max.poll.records", {"not a 32-bit integer"});
    require_error({{"max.poll.records", "0"}}, "max.poll.records", {"must be at least 1"});
    require_error({{"max.poll.interval.ms", "0"}}, "max.poll.interval.ms", {"must be at least 1"});
    require_error({{"fetch.min.bytes", "-1"}}, "fetch.min.bytes", {"must be at least 0"});
    require_error({{"send.buffer.bytes", "-2"}}, "send.buffer.bytes", {"must be at least -1"});
    require_error({{"metadata.max.age.ms", "9223372036854775808"}}, "metadata.max.age.ms", {"not a 64-bit integer"});
    require_error({{"retry.backoff.ms", "-5"}}, "retry.backoff.ms", {"must be at least 0"});
    require_error({{"metrics.num.samples", "0"}}, "metrics.num.samples", {"must be at least 1"});
    require_error({{"enable.auto.commit", "yes"}}, "enable.auto.commit", {"'yes'", "expected true or false"});
    require_error({{"isolation.level", "READ_COMMITTED"}}, "isolation.level",
                  {"must be one of: read_uncommitted, read_committed"});
    require_error({{"security.protocol", "TLS"}}, "security.protocol", {"PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"});
    require_error({{"group.protocol", "eager"}}, "group.protocol", {"must be one of: classic, consumer"});
    require_error({{"client.dns.lookup", "default"}}, "client.dns.lookup",
                  {"use_all_dns_ips, resolve_canonical_bootstrap_servers_only"});
    require_error({{"metrics.recording.level", "info"}}, "metrics.recording.level", {"INFO, DEBUG, TRACE"});
    require_error({{"metadata.recovery.strategy", "retry"}}, "metadata.recovery.strategy", {"none, rebootstrap"});
    require_error({{"ssl.endpoint.identification.algorithm", "none"}}, "ssl.endpoint.identification.algorithm",
                  {"'https' or empty"});
    require_error({{"ssl.enabled.protocols", "TLSv1.2,SSLv3"}}, "ssl.enabled.protocols", {"'SSLv3'"});
    require_error({{"ssl.enabled.protocols", "TLSv1.1,TLSv1.2"}}, "ssl.enabled.protocols", {"'TLSv1.1'"});
    // librdkafka's form of ssl.cipher.suites is an OpenSSL cipher string; here it is a list of suites.
    require_error({{"ssl.cipher.suites", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"}},
                  "ssl.cipher.suites",
                  {"'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384'", "separated by commas"});
    require_error({{"ssl.cipher.suites", "TLS_AES_128_GCM_SHA256, !aNULL"}}, "ssl.cipher.suites",
                  {"'!aNULL'", "OpenSSL cipher string"});
    require_error({{"group.id", " "}}, "group.id", {"must not be empty"});
    require_error({{"group.instance.id", ""}}, "group.instance.id", {"must not be empty"});
    require_error({{"group.instance.id", "a/b"}}, "group.instance.id", {"letters, digits"});
    require_error({{"group.instance.id", ".."}}, "group.instance.id", {"'.' or '..'"});
    require_error({{"group.instance.id", std::string(250, 'x')}}, "group.instance.id", {"249"});
    // Accepted-and-ignored keys are still checked the way Java checks them.
    require_error({{"sasl.login.refresh.window.factor", "0.3"}}, "sasl.login.refresh.window.factor",
                  {"must be between 0.5 and 1"});
    require_error({{"sasl.login.refresh.buffer.seconds", "40000"}}, "sasl.login.refresh.buffer.seconds",
                  {"not a 16-bit integer"});
    require_error({{"enable.metrics.push", "maybe"}}, "enable.metrics.push", {"expected true or false"});
    CHECK(with({{"sasl.login.refresh.window.factor", "0.75"}}).get("sasl.login.refresh.window.factor") == "0.75");
}

TEST_CASE("auto.offset.reset: earliest, latest, none and by_duration", "[config]") {
    auto reset = [](std::string v) { return with({{"auto.offset.reset", v}}); };
    CHECK(reset("none").auto_offset_reset() == kafka::offset_reset_strategy::none);
    auto d = reset("by_duration:PT1H");
    CHECK(d.auto_offset_reset() == kafka::offset_reset_strategy::by_duration);
    CHECK(d.auto_offset_reset_duration() == std::chrono::milliseconds(1h));
    CHECK(reset("by_duration:P1DT2H30M15.5S").auto_offset_reset_duration() == 24h + 2h + 30min + 15500ms);
    CHECK(reset("by_duration:p2d").auto_offset_reset_duration() == 48h);
    CHECK(reset("by_duration:PT0.001S").auto_offset_reset_duration() == 1ms);
    CHECK(reset("by_duration:PT1H-30M").auto_offset_reset_duration() == 30min);  // signed parts, as in Java
    CHECK(reset("by_duration:PT0S").auto_offset_reset_duration() == 0ms);

    require_error({{"auto.offset.reset", "smallest"}}, "auto.offset.reset", {"earliest, latest, none, by_duration"});
    require_error({{"auto.offset.reset", "EARLIEST"}}, "auto.offset.reset", {"earliest, latest, none"});
    require_error({{"auto.offset.reset", "by_duration"}}, "auto.offset.reset", {"needs a duration"});
    require_error({{"auto.offset.reset", "by_duration:-PT1H"}}, "auto.offset.reset", {"must not be negative"});
    CHECK(reset("by_duration:PT1.S").auto_offset_reset_duration() == 1s);  // an empty fraction, as Java allows
    for (auto bad : {"1H", "P", "PT", "PT1", "P1H", "PT1D", "PT1.1234567890S", "PT1H2", "P1DT",
                     "PT99999999999999999999S", "P106751991167301D"}) {
        INFO(bad);
        require_error({{"auto.offset.reset", std::string("by_duration:") + bad}}, "auto.offset.reset", {"ISO-8601"});
    }
}

TEST_CASE("partition.assignment.strategy: wire names and Java class names", "[config]") {
    auto strategy = [](std::string v) {
        return with({{"partition.assignment.strategy", v}}).partition_assignment_strategy();
    };
    CHECK(strategy(
              "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor,"
              "org.apache.kafka.clients.consumer.StickyAssignor,org.apache.kafka.clients.consumer."
              "CooperativeStickyAssignor") ==
          std::vector<std::string>{"range", "roundrobin", "sticky", "cooperative-sticky"});
    CHECK(strategy("cooperative-sticky,range") == std::vector<std::string>{"cooperative-sticky", "range"});
    CHECK(strategy("my-rack-aware") == std::vector<std::string>{"my-rack-aware"});  // a custom assignor policy's name()
    CHECK(strategy("").empty());

    require_error({{"partition.assignment.strategy", "com.example.MyAssignor"}}, "partition.assignment.strategy",
                  {"'com.example.MyAssignor' names a Java class", "custom assignor"});
    require_error({{"partition.assignment.strategy", "roundrobbin"}}, "partition.assignment.strategy",
                  {"did you mean 'roundrobin'?"});
    require_error({{"partition.assignment.strategy", "Range"}}, "partition.assignment.strategy",
                  {"did you mean 'range'?"});
    require_error({{"partition.assignment.strategy", "range,org.apache.kafka.clients.consumer.RangeAssignor"}},
                  "partition.assignment.strategy", {"'range' is listed twice"});
    require_error({{"partition.assignment.strategy", "range,,sticky"}}, "partition.assignment.strategy", {"empty"});
}

TEST_CASE("rejected keys say why and what to use instead; blank values pass", "[config]") {
    require_error({{"interceptor.classes", "com.example.Audit"}}, "interceptor.classes",
                  {"not supported by this client"});
    require_error({{"metric.reporters", "org.apache.kafka.common.metrics.JmxReporter"}}, "metric.reporters",
                  {"not supported by this client"});
    require_error({{"ssl.engine.factory.class", "x.Y"}}, "ssl.engine.factory.class", {"ssl.truststore"});
    require_error({{"sasl.login.callback.handler.class", "x.Y"}}, "sasl.login.callback.handler.class",
                  {"sasl.username"});
    auto cfg = with({{"interceptor.classes", ""}, {"metric.reporters", " "}});
    CHECK_FALSE(cfg.is_set("interceptor.classes"));
    CHECK_FALSE(cfg.find("metric.reporters"));
}

TEST_CASE("the share consumer's keys: their values checked, read as enums", "[config][share]") {
    auto cfg = with({{"share.acknowledgement.mode", "EXPLICIT"}, {"share.acquire.mode", "record_limit"}});
    CHECK(cfg.share_acknowledgement_mode() == kafka::share_acknowledgement_mode::explicit_);
    CHECK(cfg.share_acquire_mode() == kafka::share_acquire_mode::record_limit);
    CHECK(with({}).share_acknowledgement_mode() == kafka::share_acknowledgement_mode::implicit);
    CHECK(with({}).share_acquire_mode() == kafka::share_acquire_mode::batch_optimized);
    require_error({{"share.acknowledgement.mode", "sometimes"}}, "share.acknowledgement.mode", {"implicit"});
    require_error({{"share.acquire.mode", "record-limit"}}, "share.acquire.mode", {"record_limit"});
}

TEST_CASE("accepted-but-ignored keys load and are listed as unused", "[config]") {
    auto cfg = with({{"key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer"},
                     {"value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"},
                     {"enable.metrics.push", "false"},
                     {"metrics.context.team", "payments"},
                     {"sasl.oauthbearer.expected.audience", "kafka"},
                     {"ssl.protocol", "TLSv1.2"}});
    CHECK(cfg.get("key.deserializer") == "org.apache.kafka.common.serialization.StringDeserializer");
    CHECK(cfg.get("metrics.context.team") == "payments");
    auto dump = cfg.to_string();
    auto unused = dump.find("# accepted but not used by this client:");
    REQUIRE(unused != std::string::npos);
    for (auto line : {"key.deserializer = org.apache.kafka.common.serialization.StringDeserializer\n",
                      "metrics.context.team = payments\n", "enable.metrics.push = false\n",
                      "sasl.oauthbearer.expected.audience = kafka\n"}) {
        INFO(line);
        auto at = dump.find(line);
        CHECK(at != std::string::npos);
        CHECK((at != std::string::npos && at > unused));
    }
    CHECK(contains(dump, "fetch.min.bytes = 1\n"));
    CHECK(contains(dump, "group.id = null\n"));
}

TEST_CASE("enable.auto.commit without group.id, as Java's maybeOverrideEnableAutoCommit", "[config]") {
    CHECK_FALSE(consumer_config{bootstrap}.enable_auto_commit());
    CHECK(consumer_config{bootstrap}.get("enable.auto.commit") == "false");
    CHECK(with({{"group.id", "g"}}).enable_auto_commit());
    CHECK_FALSE(with({{"enable.auto.commit", "false"}}).enable_auto_commit());
    require_error({{"enable.auto.commit", "true"}}, "enable.auto.commit", {"group.id"});
}

TEST_CASE("group protocol rules, as Java's ConsumerConfig post-processing", "[config]") {
    require_error({{"group.id", "g"}, {"group.remote.assignor", "uniform"}}, "group.remote.assignor",
                  {"group.protocol=classic"});
    auto kip848 = with({{"group.id", "g"}, {"group.protocol", "consumer"}, {"group.remote.assignor", "uniform"}});
    CHECK(kip848.group_protocol() == kafka::group_protocol::consumer);
    CHECK(kip848.group_remote_assignor() == "uniform");

    require_error({{"group.id", "g"}, {"group.protocol", "consumer"}, {"session.timeout.ms", "10000"}},
                  "session.timeout.ms", {"cannot be set when group.protocol=consumer"});
    require_error({{"group.id", "g"}, {"group.protocol", "consumer"}, {"heartbeat.interval.ms", "1000"}},
                  "heartbeat.interval.ms", {"group.protocol=consumer"});
    require_error({{"group.id", "g"},
                   {"group.protocol", "consumer"},
                   {"partition.assignment.strategy", "range"},
                   {"heartbeat.interval.ms", "1000"},
                   {"session.timeout.ms", "10000"}},
                  "partition.assignment.strategy",
                  {"partition.assignment.strategy, heartbeat.interval.ms, session.timeout.ms"});
    // Blank counts as unset, as in Java.
    CHECK_NOTHROW(with({{"group.id", "g"}, {"group.protocol", "consumer"}, {"partition.assignment.strategy", " "}}));
    // A blank remote assignor under classic is fine too.
    CHECK_NOTHROW(with({{"group.remote.assignor", " "}}));
}

TEST_CASE("heartbeat.interval.ms must be below session.timeout.ms, as Java's Heartbeat", "[config]") {
    require_error({{"group.id", "g"}, {"heartbeat.interval.ms", "45000"}}, "heartbeat.interval.ms",
                  {"must be lower than session.timeout.ms", "45000"});
    require_error({{"group.id", "g"}, {"session.timeout.ms", "2000"}}, "heartbeat.interval.ms", {"(3000)", "(2000)"});
    // Java builds no Heartbeat without a group, so nothing is checked then.
    CHECK_NOTHROW(with({{"heartbeat.interval.ms", "45000"}}));
    CHECK_NOTHROW(with({{"group.id", "g"}, {"heartbeat.interval.ms", "44999"}}));
}

TEST_CASE("warnings where Java only logs", "[config]") {
    auto has_warning = [](const consumer_config& c, const std::string& part) {
        for (auto& w : c.warnings())
            if (contains(w, part)) return true;
        return false;
    };
    auto reconnect = with({{"reconnect.backoff.ms", "200"}});
    CHECK(reconnect.reconnect_backoff_max() == 200ms);  // Java: exponential reconnect backoff disabled
    CHECK(has_warning(reconnect, "reconnect.backoff.max.ms"));
    CHECK(with({{"reconnect.backoff.ms", "200"}, {"reconnect.backoff.max.ms", "5000"}}).reconnect_backoff_max() == 5s);

    CHECK(has_warning(with({{"retry.backoff.ms", "2000"}}), "retry.backoff.max.ms"));
    CHECK(
        has_warning(with({{"socket.connection.setup.timeout.ms", "60000"}}), "socket.connection.setup.timeout.max.ms"));
    CHECK(has_warning(with({{"group.instance.id", "i1"}}), "group.instance.id is set but group.id is not"));
    CHECK(has_warning(with({{"sasl.mechanism", "PLAIN"}}), "sasl.* settings are unused"));
    CHECK(has_warning(with({{"ssl.ca.location", "/ca.pem"}}), "does not use TLS"));
    // Java does not object to fetch.max.bytes below max.partition.fetch.bytes, nor do we.
    auto fetch = with({{"fetch.max.bytes", "1024"}, {"max.partition.fetch.bytes", "1048576"}});
    CHECK(fetch.warnings().empty());
}

TEST_CASE("client.id is generated when empty, as Java's maybeOverrideClientId", "[config]") {
    auto a = with({{"group.id", "g"}});
    CHECK(a.client_id().rfind("consumer-g-", 0) == 0);
    CHECK(a.client_id().size() > std::string("consumer-g-").size());
    CHECK(with({{"group.id", "g"}, {"group.instance.id", "w1"}}).client_id() == "consumer-g-w1");
    CHECK(consumer_config{bootstrap}.client_id().rfind("consumer-null-", 0) == 0);
    CHECK(with({{"client.id", "billing"}}).client_id() == "billing");
    CHECK(with({{"group.id", "g"}}).client_id() != a.client_id());  // a process-wide sequence
}

TEST_CASE("SASL: mechanisms, credentials and sasl.jaas.config", "[config]") {
    auto sasl = [](std::map<std::string, std::string> p) {
        p.emplace("security.protocol", "SASL_SSL");
        return p;
    };
    require_error(sasl({{"sasl.mechanism", "plain"}}), "sasl.mechanism",
                  {"not supported"});  // mechanism names are case-sensitive
#ifdef KAFKA_HAVE_GSSAPI
    // No mechanism is Java's default, GSSAPI, where a user name and password mean nothing.
    require_error(sasl({{"sasl.username", "u"}, {"sasl.password", "p"}}), "sasl.username",
                  {"sasl.mechanism is not set, so it is GSSAPI", "do not apply"});
#else
    require_error(sasl({{"sasl.mechanism", "GSSAPI"}}), "sasl.mechanism", {"GSSAPI (Kerberos) is not built"});
    require_error(sasl({{"sasl.username", "u"}, {"sasl.password", "p"}}), "sasl.mechanism",
                  {"needs sasl.mechanism", "GSSAPI"});
#endif
    require_error(sasl({{"sasl.mechanism", "PLAIN"}}), "sasl.username", {"needs credentials"});
    require_error(sasl({{"sasl.mechanism", "PLAIN"}, {"sasl.username", "u"}}), "sasl.password",
                  {"sasl.password is not"});
    require_error(sasl({{"sasl.mechanism", "PLAIN"}, {"sasl.password", "p"}}), "sasl.username",
                  {"sasl.username is not"});

    const std::string plain =
        R"(org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p@ss \"quoted\"";)";
    auto cfg = with(sasl({{"sasl.mechanism", "PLAIN"}, {"sasl.jaas.config", plain}}));
    CHECK(cfg.sasl_mechanism() == kafka::sasl_mechanism::plain);
    CHECK(cfg.sasl_username() == "alice");
    CHECK(cfg.sasl_password() == "p@ss \"quoted\"");

    auto scram = with(sasl({{"sasl.mechanism", "SCRAM-SHA-256"},
                            {"sasl.jaas.config",
                             "org.apache.kafka.common.security.scram.ScramLoginModule required\n"
                             "  username=bob\n  password=\"hunter2\";"}}));
    CHECK(scram.sasl_mechanism() == kafka::sasl_mechanism::scram_sha_256);
    CHECK(scram.sasl_username() == "bob");
    CHECK(scram.sasl_password() == "hunter2");

    require_error(
        sasl(
            {{"sasl.mechanism", "PLAIN"}, {"sasl.jaas.config", plain}, {"sasl.username", "u"}, {"sasl.password", "p"}}),
        "sasl.jaas.config", {"not both"});
    require_error({{"sasl.jaas.config", "com.sun.security.auth.module.LdapLoginModule required userProvider=x;"}},
                  "sasl.jaas.config", {"LdapLoginModule", "not supported by this client"});
    require_error({{"sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\""}},
                  "sasl.jaas.config", {"ended by ';'"});
    require_error({{"sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule mandatory username=u password=p;"}},
                  "sasl.jaas.config", {"control flag"});
    require_error(
        {{"sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=u;"}},
        "sasl.jaas.config", {"password option is missing"});
    require_error(
        {{"sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=u password=p tokenauth=true;"}},
        "sasl.jaas.config", {"tokenauth"});
}

TEST_CASE("TLS: PEM files in pairs", "[config]") {
    auto tls = with({{"security.protocol", "SSL"},
                     {"ssl.ca.location", "/etc/ca.pem"},
                     {"ssl.certificate.location", "/etc/client.pem"},
                     {"ssl.key.location", "/etc/client.key"},
                     {"ssl.key.password", "kp"}});
    CHECK(tls.uses_tls());
    CHECK(tls.ssl_certificate_location() == "/etc/client.pem");
    CHECK(tls.ssl_key_location() == "/etc/client.key");
    CHECK(tls.ssl_key_password() == "kp");
    require_error({{"security.protocol", "SSL"}, {"ssl.certificate.location", "/etc/client.pem"}}, "ssl.key.location",
                  {"set together"});
    require_error({{"security.protocol", "SSL"}, {"ssl.key.location", "/etc/client.key"}}, "ssl.certificate.location",
                  {"set together"});
}

TEST_CASE("secrets never appear in to_string() or in errors", "[config]") {
    const std::string jaas =
        R"(org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="jaas-secret";)";
    auto cfg = with({{"security.protocol", "SASL_SSL"},
                     {"sasl.mechanism", "SCRAM-SHA-512"},
                     {"sasl.jaas.config", jaas},
                     {"ssl.certificate.location", "/c.pem"},
                     {"ssl.key.location", "/k.pem"},
                     {"ssl.key.password", "key-secret"},
                     {"client.id", "c"}});
    auto dump = cfg.to_string();
    CHECK_FALSE(contains(dump, "jaas-secret"));
    CHECK_FALSE(contains(dump, "key-secret"));
    CHECK(contains(dump, "sasl.jaas.config = [hidden]"));
    CHECK(contains(dump, "ssl.key.password = [hidden]"));
    CHECK(contains(dump, "security.protocol = SASL_SSL"));

    auto direct = with({{"security.protocol", "SASL_PLAINTEXT"},
                        {"sasl.mechanism", "PLAIN"},
                        {"sasl.username", "u"},
                        {"sasl.password", "pw-secret"}});
    CHECK_FALSE(contains(direct.to_string(), "pw-secret"));
    CHECK(contains(direct.to_string(), "sasl.password = [hidden]"));
    CHECK(contains(direct.to_string(), "sasl.username = u"));

    // A malformed JAAS text: the error names the key but not the text (it holds a password).
    try {
        with({{"sasl.jaas.config",
               R"(org.apache.kafka.common.security.plain.PlainLoginModule required password="leak-me" username=)"}});
        FAIL("accepted a malformed sasl.jaas.config");
    } catch (const config_error& e) {
        CHECK(e.key() == "sasl.jaas.config");
        CHECK(contains(e.what(), "[hidden]"));
        CHECK_FALSE(contains(e.what(), "leak-me"));
    }
    // The stores' passwords and PEM text (a private key) are hidden too.
    auto stores = with({{"ssl.truststore.password", "trust-secret"},
                        {"ssl.keystore.password", "store-secret"},
                        {"ssl.keystore.key", "-----BEGIN PRIVATE KEY-----key-secret-----END PRIVATE KEY-----"}});
    for (auto secret : {"trust-secret", "store-secret", "key-secret"})
        CHECK_FALSE(contains(stores.to_string(), secret));
    CHECK(contains(stores.to_string(), "ssl.keystore.key = [hidden]"));
}

TEST_CASE("Java .properties syntax", "[config]") {
    auto p = kafka::parse_properties(
        "# a comment\n"
        "! another comment\n"
        "\n"
        "   bootstrap.servers = b1:9092,\\\n"
        "                       b2:9092\n"
        "group.id: orders\r\n"
        "client.id   billing  \n"
        "client.rack=\n"
        "sasl.password=tab\\there\\u00e9\\\\end\n"
        "key\\=with\\:seps = v\n"
        "max.poll.records=10\n"
        "max.poll.records=20\n"
        "  # indented comment\n"
        "last=no-newline");
    CHECK(p.at("bootstrap.servers") == "b1:9092,b2:9092");
    CHECK(p.at("group.id") == "orders");
    CHECK(p.at("client.id") == "billing");
    CHECK(p.at("client.rack").empty());
    CHECK(p.at("sasl.password") == "tab\there\xC3\xA9\\end");
    CHECK(p.at("key=with:seps") == "v");
    CHECK(p.at("max.poll.records") == "20");
    CHECK(p.at("last") == "no-newline");
    CHECK(p.size() == 8);
}

TEST_CASE("from_properties_file reads and validates a file", "[config]") {
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    auto path = std::filesystem::temp_directory_path() / ("kafka_test_config_" + std::to_string(stamp) + ".properties");
    {
        std::ofstream out(path);
        out << "# consumer\nbootstrap.servers=[::1]:9092\ngroup.id=g\nmax.poll.records: 42\n"
               "key.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n";
    }
    auto cfg = consumer_config::from_properties_file(path);
    CHECK(cfg.bootstrap_servers() == std::vector<std::pair<std::string, std::uint16_t>>{{"::1", 9092}});
    CHECK(cfg.group_id() == "g");
    CHECK(cfg.max_poll_records() == 42);
    {
        std::ofstream out(path);
        out << "bootstrap.servers=h:1\nfetch.mni.bytes=1\n";
    }
    require_config_error([&] { consumer_config::from_properties_file(path); }, "fetch.mni.bytes", {"did you mean"});
    std::filesystem::remove(path);
    try {
        consumer_config::from_properties_file(path);
        FAIL("read a missing file");
    } catch (const config_error& e) {
        CHECK(e.key().empty());
        CHECK(contains(e.what(), path.string()));
    }
}

TEST_CASE("the builder produces the same properties and the same validation", "[config]") {
    auto built = consumer_config_builder{}
                     .bootstrap_servers({"b1:9092", "b2:9092"})
                     .group_id("orders")
                     .group_instance_id("w1")
                     .client_id("billing")
                     .enable_auto_commit(false)
                     .auto_commit_interval(2s)
                     .session_timeout(30s)
                     .heartbeat_interval(5s)
                     .max_poll_interval(10min)
                     .max_poll_records(100)
                     .fetch_min_bytes(1024)
                     .fetch_max_wait(250ms)
                     .isolation_level(kafka::isolation_level::read_committed)
                     .auto_offset_reset(kafka::offset_reset_strategy::earliest)
                     .partition_assignment_strategy({"cooperative-sticky"})
                     .security_protocol(kafka::security_protocol::sasl_ssl)
                     .sasl_mechanism(kafka::sasl_mechanism::scram_sha_256)
                     .sasl_credentials("alice", "secret")
                     .ssl_ca_location("/etc/ca.pem")
                     .metrics_recording_level(kafka::metrics_recording_level::debug)
                     .set("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    const std::map<std::string, std::string> expected = {
        {"bootstrap.servers", "b1:9092,b2:9092"},
        {"group.id", "orders"},
        {"group.instance.id", "w1"},
        {"client.id", "billing"},
        {"enable.auto.commit", "false"},
        {"auto.commit.interval.ms", "2000"},
        {"session.timeout.ms", "30000"},
        {"heartbeat.interval.ms", "5000"},
        {"max.poll.interval.ms", "600000"},
        {"max.poll.records", "100"},
        {"fetch.min.bytes", "1024"},
        {"fetch.max.wait.ms", "250"},
        {"isolation.level", "read_committed"},
        {"auto.offset.reset", "earliest"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"security.protocol", "SASL_SSL"},
        {"sasl.mechanism", "SCRAM-SHA-256"},
        {"sasl.username", "alice"},
        {"sasl.password", "secret"},
        {"ssl.ca.location", "/etc/ca.pem"},
        {"metrics.recording.level", "DEBUG"},
        {"key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer"},
    };
    CHECK(built.properties() == expected);
    auto from_builder = built.build();
    consumer_config from_map(expected);
    CHECK(from_builder.to_string() == from_map.to_string());
    CHECK(from_builder.originals() == from_map.originals());
    CHECK(from_builder.session_timeout() == 30s);
    CHECK(from_builder.sasl_username() == "alice");

    // Same validation path: the same errors.
    require_config_error([] { consumer_config_builder{}.bootstrap_servers("h:1").max_poll_records(0).build(); },
                         "max.poll.records", {"must be at least 1"});
    require_config_error([] { consumer_config_builder{}.bootstrap_servers("h:1").enable_auto_commit(true).build(); },
                         "enable.auto.commit", {"group.id"});
    require_config_error([] { consumer_config_builder{}.group_id("g").build(); }, "bootstrap.servers",
                         {"missing required"});

    // by_duration written as ISO-8601.
    auto by = [](std::chrono::milliseconds d) {
        return consumer_config_builder{}.bootstrap_servers("h:1").auto_offset_reset_by_duration(d);
    };
    CHECK(by(90min).properties().at("auto.offset.reset") == "by_duration:PT5400S");
    CHECK(by(1500ms).properties().at("auto.offset.reset") == "by_duration:PT1.500S");
    CHECK(by(50ms).properties().at("auto.offset.reset") == "by_duration:PT0.050S");
    CHECK(by(50ms).build().auto_offset_reset_duration() == 50ms);
    CHECK(by(90min).build().auto_offset_reset() == kafka::offset_reset_strategy::by_duration);
    require_config_error([&] { by(-1s).build(); }, "auto.offset.reset", {"negative"});
}

TEST_CASE(
    "a properties file shared with a producer, admin client or Kafka Streams: their keys are accepted with a warning",
    "[config]") {
    auto cfg = kafka::consumer_config::from_properties_file([] {
        auto path = std::filesystem::temp_directory_path() / ("shared-" + std::to_string(::getpid()) + ".properties");
        std::ofstream(path) << "bootstrap.servers=127.0.0.1:9092\n"
                               "group.id=g\n"
                               "acks=all\n"
                               "linger.ms=5\n"
                               "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
                               "enable.idempotence=true\n"
                               "transactional.id=tx-1\n"
                               "bootstrap.controllers=127.0.0.1:9093\n"
                               "application.id=app\n"
                               "producer.sasl.jaas.config=secret stuff\n";
        return path;
    }());
    CHECK(cfg.group_id() == "g");
    CHECK(cfg.other_client_keys().size() == 8);
    CHECK(cfg.other_client_keys().at("acks") == "all");
    auto warned = [&](const std::string& key, const std::string& client) {
        for (auto const& w : cfg.warnings())
            if (contains(w, "configuration '" + key + "' was supplied but is not used: it is a " + client + " setting"))
                return true;
        return false;
    };
    CHECK(warned("acks", "producer"));
    CHECK(warned("linger.ms", "producer"));
    CHECK(warned("key.serializer", "producer"));
    CHECK(warned("transactional.id", "producer"));
    CHECK(warned("bootstrap.controllers", "admin client"));
    CHECK(warned("application.id", "Kafka Streams"));
    CHECK(warned("producer.sasl.jaas.config", "Kafka Streams"));
    // They are not the consumer's: get() refuses them as before, and to_string() lists them apart
    // (hiding what may be a secret).
    require_config_error([&] { (void)cfg.get("acks"); }, "acks", {"unknown configuration"});
    auto text = cfg.to_string();
    CHECK(contains(text, "# other clients' settings, not used by a consumer:\nacks = all\n"));
    CHECK(contains(text, "producer.sasl.jaas.config = [hidden]\n"));
    CHECK_FALSE(contains(text, "secret stuff"));
}

TEST_CASE("typos stay refused, also those near another client's key", "[config]") {
    require_error({{"ack", "all"}}, "ack", {"unknown configuration 'ack'"});
    require_error({{"linger.msec", "5"}}, "linger.msec", {"unknown configuration 'linger.msec'"});
    require_error({{"max.pol.records", "5"}}, "max.pol.records", {"did you mean 'max.poll.records'?"});
    // A bare prefix is no key.
    require_error({{"producer.", "x"}}, "producer.", {"unknown configuration 'producer.'"});
}

TEST_CASE("SASL OAUTHBEARER: where the token comes from, and what does not go with it", "[config][oauth]") {
    auto oauth = [](std::map<std::string, std::string> p) {
        p.emplace("security.protocol", "SASL_PLAINTEXT");
        p.emplace("sasl.mechanism", "OAUTHBEARER");
        return p;
    };
    const std::string module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ";
    auto cfg =
        with(oauth({{"sasl.jaas.config",
                     module + R"(unsecuredLoginStringClaim_sub="alice" unsecuredLoginExtension_traceId="1";)"}}));
    CHECK(cfg.sasl_mechanism() == kafka::sasl_mechanism::oauthbearer);
    CHECK(cfg.oauth_login().options ==
          std::vector<std::pair<std::string, std::string>>{{"unsecuredLoginStringClaim_sub", "alice"},
                                                           {"unsecuredLoginExtension_traceId", "1"}});
    CHECK_FALSE(cfg.oauth_token_file());
    auto refresh = cfg.oauth_refresh();
    CHECK(refresh.window_factor == 0.8);
    CHECK(refresh.buffer == 300s);

    auto file = with(oauth({{"sasl.oauthbearer.token.endpoint.url", "file:///run/secrets/kafka.jwt"},
                            {"sasl.login.callback.handler.class",
                             "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"},
                            {"sasl.login.refresh.buffer.seconds", "30"}}));
    CHECK(file.oauth_token_file() == std::filesystem::path("/run/secrets/kafka.jwt"));
    CHECK(with(oauth({{"sasl.oauthbearer.token.endpoint.url", "file:/t.jwt"}})).oauth_token_file() ==
          std::filesystem::path("/t.jwt"));
    CHECK(file.oauth_refresh().buffer == 30s);

    require_error(oauth({{"sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"}}),
                  "sasl.oauthbearer.token.endpoint.url", {"not built into this client", "Policies::token_provider"});
    require_error(oauth({{"sasl.login.callback.handler.class", "com.example.MyHandler"}}),
                  "sasl.login.callback.handler.class", {"cannot be loaded"});
    require_error(oauth({{"sasl.login.callback.handler.class",
                          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"}}),
                  "sasl.login.callback.handler.class", {"sasl.oauthbearer.token.endpoint.url"});
    require_error(oauth({{"sasl.username", "u"}, {"sasl.password", "p"}}), "sasl.username", {"token"});
    require_error(oauth({{"sasl.jaas.config",
                          "org.apache.kafka.common.security.plain.PlainLoginModule required "
                          "username=u password=p;"}}),
                  "sasl.jaas.config", {"OAuthBearerLoginModule"});
    require_error(oauth({{"sasl.jaas.config", module + R"(clientId="c" clientSecret="s";)"}}), "sasl.jaas.config",
                  {"OIDC", "Policies::token_provider"});
    require_error(oauth({{"sasl.jaas.config", module + R"(unsecuredLoginStringClaim_sub="a" colour="blue";)"}}),
                  "sasl.jaas.config", {"'colour'"});
    require_error(oauth({{"sasl.jaas.config", module + R"(unsecuredLoginStringClaim_sub="a";)"},
                         {"sasl.oauthbearer.token.endpoint.url", "file:///t.jwt"}}),
                  "sasl.jaas.config", {"keep one"});
    require_error({{"security.protocol", "SASL_PLAINTEXT"},
                   {"sasl.mechanism", "PLAIN"},
                   {"sasl.jaas.config", module + R"(unsecuredLoginStringClaim_sub="a";)"}},
                  "sasl.jaas.config", {"OAUTHBEARER"});
    // OAUTHBEARER settings under another mechanism are reported unused.
    auto plain = with({{"security.protocol", "SASL_PLAINTEXT"},
                       {"sasl.mechanism", "PLAIN"},
                       {"sasl.username", "u"},
                       {"sasl.password", "p"},
                       {"sasl.login.refresh.buffer.seconds", "30"}});
    bool warned = false;
    for (auto& w : plain.warnings()) warned = warned || contains(w, "sasl.login.refresh.buffer.seconds is unused");
    CHECK(warned);
}

TEST_CASE("SASL/GSSAPI: Krb5LoginModule's options and the service name", "[config]") {
    auto gssapi = [](std::map<std::string, std::string> p) {
        p.emplace("security.protocol", "SASL_PLAINTEXT");
        p.emplace("sasl.mechanism", "GSSAPI");
        return p;
    };
    const std::string keytab =
        R"(com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab="/etc/alice.keytab" principal="alice@KAFKA.TEST";)";
#ifdef KAFKA_HAVE_GSSAPI
    auto cfg = with(gssapi({{"sasl.kerberos.service.name", "kafka"}, {"sasl.jaas.config", keytab}}));
    CHECK(cfg.sasl_mechanism() == kafka::sasl_mechanism::gssapi);
    CHECK(cfg.kerberos_service_name() == "kafka");
    auto login = cfg.kerberos_login();
    CHECK(login.kerberos());
    CHECK(login.option("keyTab") == "/etc/alice.keytab");
    CHECK(login.option("principal") == "alice@KAFKA.TEST");

    // Java's default mechanism; the service name may come from the login module instead.
    auto by_default = with({{"security.protocol", "SASL_SSL"},
                            {"sasl.jaas.config",
                             "com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true "
                             "serviceName=kafka;"}});
    CHECK(by_default.sasl_mechanism() == kafka::sasl_mechanism::gssapi);
    CHECK(by_default.kerberos_service_name() == "kafka");
    // No sasl.jaas.config: the default ticket cache, as useTicketCache=true.
    CHECK_NOTHROW(with(gssapi({{"sasl.kerberos.service.name", "kafka"}})));

    require_error(gssapi({{"sasl.jaas.config", keytab}}), "sasl.kerberos.service.name",
                  {"needs the brokers' Kerberos service name"});
    require_error(gssapi({{"sasl.kerberos.service.name", "kafka"}, {"sasl.username", "u"}, {"sasl.password", "p"}}),
                  "sasl.username", {"do not apply", "Kerberos tickets"});
    require_error(gssapi({{"sasl.kerberos.service.name", "kafka"},
                          {"sasl.jaas.config",
                           "org.apache.kafka.common.security.plain.PlainLoginModule required username=u password=p;"}}),
                  "sasl.jaas.config", {"must name Krb5LoginModule"});
    require_error({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "PLAIN"}, {"sasl.jaas.config", keytab}},
                  "sasl.jaas.config", {"Krb5LoginModule, which is for sasl.mechanism=GSSAPI"});
    auto unused = with({{"sasl.kerberos.service.name", "kafka"}});
    CHECK(std::any_of(unused.warnings().begin(), unused.warnings().end(),
                      [](auto const& w) { return contains(w, "applies to sasl.mechanism=GSSAPI only"); }));
#else
    require_error(gssapi({{"sasl.kerberos.service.name", "kafka"}, {"sasl.jaas.config", keytab}}), "sasl.mechanism",
                  {"GSSAPI (Kerberos) is not built"});
#endif
    // The login module's options, whatever the build: what a client login cannot do is refused.
    auto krb5 = [](std::string options) {
        return std::map<std::string, std::string>{
            {"sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required " + options + ";"}};
    };
    require_error(krb5("useKeyTab=true principal=a@R"), "sasl.jaas.config", {"useKeyTab=true needs keyTab"});
    require_error(krb5("useKeyTab=true keyTab=/k"), "sasl.jaas.config", {"useKeyTab=true needs keyTab"});
    require_error(krb5("keyTab=/k principal=a@R useTicketCache=true"), "sasl.jaas.config",
                  {"keyTab is only read with useKeyTab=true"});
    require_error(krb5("principal=a@R"), "sasl.jaas.config", {"never prompts"});
    require_error(krb5("useTicketCache=true renewTGT=true"), "sasl.jaas.config", {"renewTGT=true is not done here"});
    require_error(krb5("useTicketCache=true debug=true"), "sasl.jaas.config", {"KRB5_TRACE"});
    require_error(krb5("useTicketCache=true isInitiator=false"), "sasl.jaas.config", {"acceptor"});
    require_error(krb5("useTicketCache=maybe"), "sasl.jaas.config", {"must be true or false"});
    require_error(krb5("useTicketCache=true tryFirstPass=true"), "sasl.jaas.config",
                  {"'tryFirstPass' is not one Krb5LoginModule takes"});
    require_error(krb5("useTicketCache=false ticketCache=/tmp/c useKeyTab=true keyTab=/k principal=a@R"),
                  "sasl.jaas.config", {"ticketCache is only read with useTicketCache=true"});
}
