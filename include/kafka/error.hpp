// Error codes: the broker's (Kafka's numbered error codes) and the client's own.
//
// Both are std::error_category so they travel in std::error_code, compare
// with ==, and print a readable message. `kafka::errc` values are exactly the
// codes on the wire; `kafka::client_errc` are failures detected by this library
// (malformed bytes, bad CRC, unsupported codec, timeouts, misuse).
#pragma once

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace kafka {

/// Kafka's error codes, as sent by brokers (the numeric value is the wire code).
enum class errc : std::int16_t {
    unknown_server_error = -1,
    none = 0,
    offset_out_of_range = 1,
    corrupt_message = 2,
    unknown_topic_or_partition = 3,
    invalid_fetch_size = 4,
    leader_not_available = 5,
    not_leader_or_follower = 6,
    request_timed_out = 7,
    broker_not_available = 8,
    replica_not_available = 9,
    message_too_large = 10,
    stale_controller_epoch = 11,
    offset_metadata_too_large = 12,
    network_exception = 13,
    coordinator_load_in_progress = 14,
    coordinator_not_available = 15,
    not_coordinator = 16,
    invalid_topic_exception = 17,
    record_list_too_large = 18,
    not_enough_replicas = 19,
    not_enough_replicas_after_append = 20,
    invalid_required_acks = 21,
    illegal_generation = 22,
    inconsistent_group_protocol = 23,
    invalid_group_id = 24,
    unknown_member_id = 25,
    invalid_session_timeout = 26,
    rebalance_in_progress = 27,
    invalid_commit_offset_size = 28,
    topic_authorization_failed = 29,
    group_authorization_failed = 30,
    cluster_authorization_failed = 31,
    invalid_timestamp = 32,
    unsupported_sasl_mechanism = 33,
    illegal_sasl_state = 34,
    unsupported_version = 35,
    topic_already_exists = 36,
    invalid_partitions = 37,
    invalid_replication_factor = 38,
    invalid_replica_assignment = 39,
    invalid_config = 40,
    not_controller = 41,
    invalid_request = 42,
    unsupported_for_message_format = 43,
    policy_violation = 44,
    out_of_order_sequence_number = 45,
    duplicate_sequence_number = 46,
    invalid_producer_epoch = 47,
    invalid_txn_state = 48,
    invalid_producer_id_mapping = 49,
    invalid_transaction_timeout = 50,
    concurrent_transactions = 51,
    transaction_coordinator_fenced = 52,
    transactional_id_authorization_failed = 53,
    security_disabled = 54,
    operation_not_attempted = 55,
    kafka_storage_error = 56,
    log_dir_not_found = 57,
    sasl_authentication_failed = 58,
    unknown_producer_id = 59,
    reassignment_in_progress = 60,
    delegation_token_auth_disabled = 61,
    delegation_token_not_found = 62,
    delegation_token_owner_mismatch = 63,
    delegation_token_request_not_allowed = 64,
    delegation_token_authorization_failed = 65,
    delegation_token_expired = 66,
    invalid_principal_type = 67,
    non_empty_group = 68,
    group_id_not_found = 69,
    fetch_session_id_not_found = 70,
    invalid_fetch_session_epoch = 71,
    listener_not_found = 72,
    topic_deletion_disabled = 73,
    fenced_leader_epoch = 74,
    unknown_leader_epoch = 75,
    unsupported_compression_type = 76,
    stale_broker_epoch = 77,
    offset_not_available = 78,
    member_id_required = 79,
    preferred_leader_not_available = 80,
    group_max_size_reached = 81,
    fenced_instance_id = 82,
    eligible_leaders_not_available = 83,
    election_not_needed = 84,
    no_reassignment_in_progress = 85,
    group_subscribed_to_topic = 86,
    invalid_record = 87,
    unstable_offset_commit = 88,
    throttling_quota_exceeded = 89,
    producer_fenced = 90,
    resource_not_found = 91,
    duplicate_resource = 92,
    unacceptable_credential = 93,
    inconsistent_voter_set = 94,
    invalid_update_version = 95,
    feature_update_failed = 96,
    principal_deserialization_failure = 97,
    snapshot_not_found = 98,
    unknown_topic_id = 100,
    duplicate_broker_registration = 101,
    broker_id_not_registered = 102,
    inconsistent_topic_id = 103,
    inconsistent_cluster_id = 104,
    transactional_id_not_found = 105,
    fetch_session_topic_id_error = 106,
    ineligible_replica = 107,
    new_leader_elected = 108,
    offset_moved_to_tiered_storage = 109,
    fenced_member_epoch = 110,
    unreleased_instance_id = 111,
    unsupported_assignor = 112,
    stale_member_epoch = 113,
    mismatched_endpoint_type = 114,
    unsupported_endpoint_type = 115,
    unknown_controller_id = 116,
    unknown_subscription_id = 117,
    telemetry_too_large = 118,
    invalid_registration = 119,
    transaction_abortable = 120,
    invalid_record_state = 121,
    share_session_not_found = 122,
    invalid_share_session_epoch = 123,
    fenced_state_epoch = 124,
    invalid_voter_key = 125,
    duplicate_voter = 126,
    voter_not_found = 127,
    invalid_regular_expression = 128,
    rebootstrap_required = 129,
    streams_invalid_topology = 130,
    streams_invalid_topology_epoch = 131,
    streams_topology_fenced = 132,
    share_session_limit_reached = 133,
};

namespace detail {
struct error_info {
    std::int16_t code;
    std::string_view name;
    bool retriable;
};
// Code, name and retriability (the Java client's exception extends RetriableException).
inline constexpr error_info error_table[] = {
    {-1, "UNKNOWN_SERVER_ERROR", false},
    {0, "NONE", false},
    {1, "OFFSET_OUT_OF_RANGE", false},
    {2, "CORRUPT_MESSAGE", true},
    {3, "UNKNOWN_TOPIC_OR_PARTITION", true},
    {4, "INVALID_FETCH_SIZE", false},
    {5, "LEADER_NOT_AVAILABLE", true},
    {6, "NOT_LEADER_OR_FOLLOWER", true},
    {7, "REQUEST_TIMED_OUT", true},
    {8, "BROKER_NOT_AVAILABLE", false},
    {9, "REPLICA_NOT_AVAILABLE", true},
    {10, "MESSAGE_TOO_LARGE", false},
    {11, "STALE_CONTROLLER_EPOCH", false},
    {12, "OFFSET_METADATA_TOO_LARGE", false},
    {13, "NETWORK_EXCEPTION", true},
    {14, "COORDINATOR_LOAD_IN_PROGRESS", true},
    {15, "COORDINATOR_NOT_AVAILABLE", true},
    {16, "NOT_COORDINATOR", true},
    {17, "INVALID_TOPIC_EXCEPTION", false},
    {18, "RECORD_LIST_TOO_LARGE", false},
    {19, "NOT_ENOUGH_REPLICAS", true},
    {20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true},
    {21, "INVALID_REQUIRED_ACKS", false},
    {22, "ILLEGAL_GENERATION", false},
    {23, "INCONSISTENT_GROUP_PROTOCOL", false},
    {24, "INVALID_GROUP_ID", false},
    {25, "UNKNOWN_MEMBER_ID", false},
    {26, "INVALID_SESSION_TIMEOUT", false},
    {27, "REBALANCE_IN_PROGRESS", false},
    {28, "INVALID_COMMIT_OFFSET_SIZE", false},
    {29, "TOPIC_AUTHORIZATION_FAILED", false},
    {30, "GROUP_AUTHORIZATION_FAILED", false},
    {31, "CLUSTER_AUTHORIZATION_FAILED", false},
    {32, "INVALID_TIMESTAMP", false},
    {33, "UNSUPPORTED_SASL_MECHANISM", false},
    {34, "ILLEGAL_SASL_STATE", false},
    {35, "UNSUPPORTED_VERSION", false},
    {36, "TOPIC_ALREADY_EXISTS", false},
    {37, "INVALID_PARTITIONS", false},
    {38, "INVALID_REPLICATION_FACTOR", false},
    {39, "INVALID_REPLICA_ASSIGNMENT", false},
    {40, "INVALID_CONFIG", false},
    {41, "NOT_CONTROLLER", true},
    {42, "INVALID_REQUEST", false},
    {43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false},
    {44, "POLICY_VIOLATION", false},
    {45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false},
    {46, "DUPLICATE_SEQUENCE_NUMBER", false},
    {47, "INVALID_PRODUCER_EPOCH", false},
    {48, "INVALID_TXN_STATE", false},
    {49, "INVALID_PRODUCER_ID_MAPPING", false},
    {50, "INVALID_TRANSACTION_TIMEOUT", false},
    {51, "CONCURRENT_TRANSACTIONS", true},
    {52, "TRANSACTION_COORDINATOR_FENCED", false},
    {53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false},
    {54, "SECURITY_DISABLED", false},
    {55, "OPERATION_NOT_ATTEMPTED", false},
    {56, "KAFKA_STORAGE_ERROR", true},
    {57, "LOG_DIR_NOT_FOUND", false},
    {58, "SASL_AUTHENTICATION_FAILED", false},
    {59, "UNKNOWN_PRODUCER_ID", false},
    {60, "REASSIGNMENT_IN_PROGRESS", false},
    {61, "DELEGATION_TOKEN_AUTH_DISABLED", false},
    {62, "DELEGATION_TOKEN_NOT_FOUND", false},
    {63, "DELEGATION_TOKEN_OWNER_MISMATCH", false},
    {64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false},
    {65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false},
    {66, "DELEGATION_TOKEN_EXPIRED", false},
    {67, "INVALID_PRINCIPAL_TYPE", false},
    {68, "NON_EMPTY_GROUP", false},
    {69, "GROUP_ID_NOT_FOUND", false},
    {70, "FETCH_SESSION_ID_NOT_FOUND", true},
    {71, "INVALID_FETCH_SESSION_EPOCH", true},
    {72, "LISTENER_NOT_FOUND", true},
    {73, "TOPIC_DELETION_DISABLED", false},
    {74, "FENCED_LEADER_EPOCH", true},
    {75, "UNKNOWN_LEADER_EPOCH", true},
    {76, "UNSUPPORTED_COMPRESSION_TYPE", false},
    {77, "STALE_BROKER_EPOCH", false},
    {78, "OFFSET_NOT_AVAILABLE", true},
    {79, "MEMBER_ID_REQUIRED", false},
    {80, "PREFERRED_LEADER_NOT_AVAILABLE", true},
    {81, "GROUP_MAX_SIZE_REACHED", false},
    {82, "FENCED_INSTANCE_ID", false},
    {83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true},
    {84, "ELECTION_NOT_NEEDED", true},
    {85, "NO_REASSIGNMENT_IN_PROGRESS", false},
    {86, "GROUP_SUBSCRIBED_TO_TOPIC", false},
    {87, "INVALID_RECORD", false},
    {88, "UNSTABLE_OFFSET_COMMIT", true},
    {89, "THROTTLING_QUOTA_EXCEEDED", true},
    {90, "PRODUCER_FENCED", false},
    {91, "RESOURCE_NOT_FOUND", false},
    {92, "DUPLICATE_RESOURCE", false},
    {93, "UNACCEPTABLE_CREDENTIAL", false},
    {94, "INCONSISTENT_VOTER_SET", false},
    {95, "INVALID_UPDATE_VERSION", false},
    {96, "FEATURE_UPDATE_FAILED", false},
    {97, "PRINCIPAL_DESERIALIZATION_FAILURE", false},
    {98, "SNAPSHOT_NOT_FOUND", false},
    {100, "UNKNOWN_TOPIC_ID", true},
    {101, "DUPLICATE_BROKER_REGISTRATION", false},
    {102, "BROKER_ID_NOT_REGISTERED", false},
    {103, "INCONSISTENT_TOPIC_ID", true},
    {104, "INCONSISTENT_CLUSTER_ID", false},
    {105, "TRANSACTIONAL_ID_NOT_FOUND", false},
    {106, "FETCH_SESSION_TOPIC_ID_ERROR", true},
    {107, "INELIGIBLE_REPLICA", false},
    {108, "NEW_LEADER_ELECTED", false},
    {109, "OFFSET_MOVED_TO_TIERED_STORAGE", false},
    {110, "FENCED_MEMBER_EPOCH", false},
    {111, "UNRELEASED_INSTANCE_ID", false},
    {112, "UNSUPPORTED_ASSIGNOR", false},
    {113, "STALE_MEMBER_EPOCH", false},
    {114, "MISMATCHED_ENDPOINT_TYPE", false},
    {115, "UNSUPPORTED_ENDPOINT_TYPE", false},
    {116, "UNKNOWN_CONTROLLER_ID", false},
    {117, "UNKNOWN_SUBSCRIPTION_ID", false},
    {118, "TELEMETRY_TOO_LARGE", false},
    {119, "INVALID_REGISTRATION", false},
    {120, "TRANSACTION_ABORTABLE", false},
    {121, "INVALID_RECORD_STATE", false},
    {122, "SHARE_SESSION_NOT_FOUND", true},
    {123, "INVALID_SHARE_SESSION_EPOCH", true},
    {124, "FENCED_STATE_EPOCH", false},
    {125, "INVALID_VOTER_KEY", false},
    {126, "DUPLICATE_VOTER", false},
    {127, "VOTER_NOT_FOUND", false},
    {128, "INVALID_REGULAR_EXPRESSION", false},
    {129, "REBOOTSTRAP_REQUIRED", false},
    {130, "STREAMS_INVALID_TOPOLOGY", false},
    {131, "STREAMS_INVALID_TOPOLOGY_EPOCH", false},
    {132, "STREAMS_TOPOLOGY_FENCED", false},
    {133, "SHARE_SESSION_LIMIT_REACHED", false},
};

constexpr const error_info* find_error(std::int16_t code) noexcept {
    for (auto const& e : error_table)
        if (e.code == code) return &e;
    return nullptr;
}
}  // namespace detail

/// Name of a wire error code ("NOT_COORDINATOR"), or "UNKNOWN_CODE" for one this library does not know.
constexpr std::string_view error_name(std::int16_t code) noexcept {
    auto e = detail::find_error(code);
    return e ? e->name : std::string_view("UNKNOWN_CODE");
}

/// True when the Java client treats the error as retriable (the same request may succeed later).
constexpr bool is_retriable(errc e) noexcept {
    auto i = detail::find_error(static_cast<std::int16_t>(e));
    return i && i->retriable;
}

class broker_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "kafka"; }
    std::string message(int code) const override {
        auto e = detail::find_error(static_cast<std::int16_t>(code));
        if (!e) return "unknown broker error code " + std::to_string(code);
        std::string text(e->name);
        for (auto& c : text) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text + " (" + std::string(e->name) + ")";
    }
};

inline const std::error_category& broker_category() noexcept {
    static const broker_category_impl instance;
    return instance;
}

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), broker_category()}; }

/// Errors detected by the client itself.
enum class client_errc {
    truncated = 1,            // a read ran past the end of the data
    negative_length,          // a length prefix below -1, or null where null is not allowed
    malformed_varint,         // a varint longer than its type allows
    malformed_response,       // well-formed bytes whose content makes no sense
    correlation_mismatch,     // a response for a request we did not send
    unsupported_version,      // no version of an API that both sides support
    crc_mismatch,             // record batch or message CRC does not match its bytes
    corrupt_record,           // impossible lengths, offsets or counts inside a batch
    unsupported_magic,        // record format magic other than 0, 1, 2
    unsupported_compression,  // a codec id Kafka does not define
    codec_not_built,          // a codec Kafka defines but this build left out
    decompression_failed,     // the codec rejected the compressed bytes
    request_timed_out,
    disconnected,
    invalid_config,
    illegal_state,
    wakeup,
    closed,
};

class client_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "kafka.client"; }
    std::string message(int c) const override {
        switch (static_cast<client_errc>(c)) {
            case client_errc::truncated:
                return "data ends before the value being read";
            case client_errc::negative_length:
                return "invalid negative or null length";
            case client_errc::malformed_varint:
                return "malformed varint";
            case client_errc::malformed_response:
                return "malformed response";
            case client_errc::correlation_mismatch:
                return "response correlation id does not match the request";
            case client_errc::unsupported_version:
                return "no API version supported by both client and broker";
            case client_errc::crc_mismatch:
                return "record CRC mismatch (corrupt data)";
            case client_errc::corrupt_record:
                return "corrupt record batch";
            case client_errc::unsupported_magic:
                return "unsupported record format (magic byte)";
            case client_errc::unsupported_compression:
                return "unknown compression codec";
            case client_errc::codec_not_built:
                return "compression codec not built into this program";
            case client_errc::decompression_failed:
                return "decompression failed";
            case client_errc::request_timed_out:
                return "request timed out";
            case client_errc::disconnected:
                return "connection closed";
            case client_errc::invalid_config:
                return "invalid configuration";
            case client_errc::illegal_state:
                return "illegal state";
            case client_errc::wakeup:
                return "woken up";
            case client_errc::closed:
                return "consumer is closed";
        }
        return "unknown client error " + std::to_string(c);
    }
};

inline const std::error_category& client_category() noexcept {
    static const client_category_impl instance;
    return instance;
}

inline std::error_code make_error_code(client_errc e) noexcept { return {static_cast<int>(e), client_category()}; }

}  // namespace kafka

template <>
struct std::is_error_code_enum<kafka::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<kafka::client_errc> : std::true_type {};
