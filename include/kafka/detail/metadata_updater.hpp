// Keeping the cluster metadata fresh, for every consumer type: a Metadata request to the least
// loaded broker when the metadata asks for one (metadata.max.age.ms, an error seen, a topic
// unknown), one at a time; re-bootstrapping (KIP-899, KIP-1102) when the brokers it knows cannot
// be reached; the brokers' addresses handed to the network client. What a consumer reads from the
// answer beyond that (pattern subscriptions, authorization problems) it does in on_update.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <kafka/client/metadata.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/config.hpp>
#include <kafka/detail/logging.hpp>
#include <kafka/error.hpp>
#include <kafka/protocol/messages/metadata.hpp>

namespace kafka::detail {

template <class Transport>
class metadata_updater {
public:
    using client_type = client::network_client<Transport>;
    using clock = typename Transport::clock_type;
    using time_point = typename clock::time_point;
    using metadata_type = client::basic_metadata<clock>;

    metadata_updater(client_type& client, metadata_type& metadata, consumer_logger<clock>& log,
                     const consumer_config& config)
        : client_(client),
          metadata_(metadata),
          log_(log),
          config_(config),
          rebootstrap_enabled_(config.metadata_recovery_strategy() == metadata_recovery_strategy::rebootstrap),
          rebootstrap_trigger_(config.metadata_recovery_rebootstrap_trigger()) {}

    /// Called with every answer that updated the metadata.
    void on_update(std::function<void(const protocol::MetadataResponse&)> f) { on_update_ = std::move(f); }
    bool in_flight() const noexcept { return in_flight_; }

    // Metadata comes from the known brokers; from the bootstrap servers before the first answer
    // and while re-bootstrapping. Re-bootstrap (metadata.recovery.strategy=rebootstrap, KIP-899 and
    // KIP-1102, as Java's NetworkClient) when the last attempt to reach each known broker failed,
    // or refreshes have been failing for metadata.recovery.rebootstrap.trigger.ms: the cluster may
    // have moved to addresses only bootstrap.servers leads to.
    void maybe_update(time_point now) {
        if (in_flight_ || !metadata_.has_topics_to_fetch()) return;
        if (metadata_.time_to_next_update(now) > clock::duration::zero()) return;
        using pool = typename client_type::node_pool;
        bool from_bootstrap = rebootstrapping_ || metadata_.update_version() == 0;
        auto node = client_.least_loaded_node(from_bootstrap ? pool::bootstrap : pool::brokers);
        if (!from_bootstrap && rebootstrap_enabled_) {
            if (!node || client_.all_unreachable(pool::brokers))
                rebootstrap("no broker the consumer knows can be reached");
            else if (metadata_.failing_for(now) >= rebootstrap_trigger_)
                rebootstrap("no metadata for " +
                            std::to_string(
                                std::chrono::duration_cast<std::chrono::milliseconds>(rebootstrap_trigger_).count()) +
                            " ms (metadata.recovery.rebootstrap.trigger.ms)");
            if (rebootstrapping_) node = client_.least_loaded_node(pool::bootstrap);
        }
        if (!node) return;
        in_flight_ = true;
        metadata_.record_attempt(now);
        client_.send(*node, metadata_.build_request(config_.allow_auto_create_topics())).add_listener([this](auto& f) {
            in_flight_ = false;
            if (f.failed()) {
                // A broker that cannot be reached was logged as its connection failed.
                bool connection = f.error().category() != broker_category();
                log_.log_limited(connection ? log_level::debug : log_level::warn, "metadata",
                                 "metadata request failed: " + f.error().message(), client_.now());
                return;
            }
            log_.clear("metadata");
            on_metadata(f.value().body);
        });
    }

private:
    // Goes back to bootstrap.servers for the next metadata (their names are resolved again as
    // they are connected to), until one answers.
    void rebootstrap(const std::string& why) {
        rebootstrapping_ = true;
        metadata_.request_update();
        std::string servers;
        for (auto const& [host, port] : config_.bootstrap_servers())
            servers += (servers.empty() ? "" : ",") + host + ":" + std::to_string(port);
        log_.log(log_level::info, "re-bootstrapping from bootstrap.servers " + servers + ": " + why);
    }

    void on_metadata(const protocol::MetadataResponse& resp) {
        if (resp.error_code != 0) {  // a top-level error (v13+): the answer describes no cluster
            auto ec = make_error_code(static_cast<errc>(resp.error_code));
            if (ec == errc::rebootstrap_required && rebootstrap_enabled_) {
                rebootstrap("the broker answered REBOOTSTRAP_REQUIRED");
                return;
            }
            log_.log_limited(log_level::warn, "metadata",
                             "metadata response with error " + ec.message() +
                                 (ec == errc::rebootstrap_required
                                      ? " (metadata.recovery.strategy=none: the consumer does not re-bootstrap)"
                                      : "") +
                                 "; retrying",
                             client_.now());
            return;
        }
        rebootstrapping_ = false;
        metadata_.update(resp, client_.now());
        for (auto const& [id, b] : metadata_.brokers()) client_.set_node(id, b.host, b.port);
        if (on_update_) on_update_(resp);
    }

    client_type& client_;
    metadata_type& metadata_;
    consumer_logger<clock>& log_;
    const consumer_config& config_;
    bool rebootstrap_enabled_;                       // metadata.recovery.strategy=rebootstrap
    std::chrono::milliseconds rebootstrap_trigger_;  // metadata.recovery.rebootstrap.trigger.ms
    bool rebootstrapping_ = false;                   // metadata from bootstrap.servers until one answers
    bool in_flight_ = false;
    std::function<void(const protocol::MetadataResponse&)> on_update_;
};

}  // namespace kafka::detail
