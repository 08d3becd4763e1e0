// The values of the consumer's enumerated settings (auto.offset.reset, isolation.level,
// security.protocol, ...), apart from consumer_config so that the engine's layers can name them
// without the configuration table. The string each value stands for is in the matching *_names
// array, in the order of the enumerators.
#pragma once

#include <cstdint>
#include <string_view>

namespace kafka {

/// auto.offset.reset, as Java 4.x's AutoOffsetResetStrategy (by_duration came with KIP-1106).
enum class offset_reset_strategy { earliest, latest, none, by_duration };
/// isolation.level; the values are those sent in Fetch and ListOffsets requests.
enum class isolation_level : std::int8_t { read_uncommitted = 0, read_committed = 1 };
enum class group_protocol { classic, consumer };
enum class security_protocol { plaintext, ssl, sasl_plaintext, sasl_ssl };
enum class sasl_mechanism { plain, scram_sha_256, scram_sha_512, oauthbearer, gssapi };
enum class client_dns_lookup { use_all_dns_ips, resolve_canonical_bootstrap_servers_only };
enum class metadata_recovery_strategy { none, rebootstrap };
enum class metrics_recording_level { info, debug, trace };
/// share.acknowledgement.mode (KafkaShareConsumer).
///  implicit: every record a poll() returned is accepted by the next poll(), commitSync() or
///            commitAsync(); acknowledge() is refused.
///  explicit_: each delivered record is acknowledged with acknowledge() before the next poll().
enum class share_acknowledgement_mode { implicit, explicit_ };
/// share.acquire.mode (KafkaShareConsumer, ShareFetch v2): batch_optimized lets the broker hand over
/// whole batches (max.poll.records is a soft limit); record_limit makes max.poll.records a hard limit.
/// The values are those sent in ShareFetch.
enum class share_acquire_mode : std::int8_t { batch_optimized = 0, record_limit = 1 };

inline constexpr std::string_view offset_reset_names[] = {"earliest", "latest", "none"};
inline constexpr std::string_view isolation_level_names[] = {"read_uncommitted", "read_committed"};  // by wire value
inline constexpr std::string_view group_protocol_names[] = {"classic", "consumer"};
inline constexpr std::string_view security_protocol_names[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
inline constexpr std::string_view sasl_mechanism_names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER",
                                                            "GSSAPI"};
inline constexpr std::string_view client_dns_lookup_names[] = {"use_all_dns_ips",
                                                               "resolve_canonical_bootstrap_servers_only"};
inline constexpr std::string_view metadata_recovery_names[] = {"none", "rebootstrap"};
inline constexpr std::string_view metrics_recording_level_names[] = {"INFO", "DEBUG", "TRACE"};
inline constexpr std::string_view share_acknowledgement_mode_names[] = {"implicit", "explicit"};
inline constexpr std::string_view share_acquire_mode_names[] = {"batch_optimized", "record_limit"};
/// The partition assignors this library ships, by the names they use on the wire.
inline constexpr std::string_view builtin_assignor_names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
inline constexpr std::string_view tls_version_names[] = {"TLSv1.2", "TLSv1.3"};

}  // namespace kafka
