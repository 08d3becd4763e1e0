// Finding the group coordinator (Java's CoordinatorRequestManager): FindCoordinator to the least
// loaded broker, retried after retry.backoff.ms, and a connection of its own to the coordinator
// (node id coordinator_node_id(broker)), so group traffic never waits behind a long Fetch.
//
// Shared by every group membership kind and by commits outside any membership (assign() with
// group.id). Non-blocking steps; errors that must reach the user are kept as a value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <kafka/client/backoff.hpp>
#include <kafka/client/network_client.hpp>
#include <kafka/exceptions.hpp>
#include <kafka/protocol/messages/find_coordinator.hpp>

namespace kafka::engine {

template <transport Transport>
class coordinator_locator {
public:
    using client_type = client::network_client<Transport>;
    using time_point = typename Transport::clock_type::time_point;

    coordinator_locator(client_type& client, std::string group_id, client::exponential_backoff retry_backoff)
        : client_(client), group_id_(std::move(group_id)), retry_backoff_(std::move(retry_backoff)) {}

    /// retry.backoff.ms / retry.backoff.max.ms: the wait before a failed group request is sent
    /// again, growing per consecutive failure (the commit manager's requests use the same policy).
    const client::exponential_backoff& retry_backoff() const noexcept { return retry_backoff_; }

    /// The coordinator's broker id, when known.
    std::optional<std::int32_t> coordinator() const noexcept { return coordinator_; }
    /// The node id of the coordinator's own connection, when known.
    std::optional<std::int32_t> node() const noexcept {
        if (!coordinator_) return std::nullopt;
        return client::coordinator_node_id(*coordinator_);
    }

    /// One step of Java's ensureCoordinatorReady: true when the coordinator is known; otherwise
    /// sends FindCoordinator (one at a time, after the backoff) and returns false.
    bool ensure(time_point now) {
        if (coordinator_) return true;
        if (in_flight_ || now < retry_at_) return false;
        auto node = client_.least_loaded_node();
        if (!node) return false;
        protocol::FindCoordinatorRequest req;
        req.key = group_id_;
        req.key_type = 0;
        req.coordinator_keys = {group_id_};
        in_flight_ = true;
        client_.send(*node, std::move(req)).add_listener([this](auto& f) { on_response(f); });
        return false;
    }

    /// The coordinator moved or its connection failed: close that connection and look again.
    void mark_unknown() {
        if (coordinator_)
            client_.disconnect(client::coordinator_node_id(*coordinator_), make_error_code(errc::not_coordinator));
        coordinator_.reset();
    }

    /// Marks the coordinator unknown when `ec` says it moved or cannot be reached; returns whether it did.
    bool forget_if_moved(std::error_code ec) {
        if (ec == client_errc::disconnected || ec == client_errc::request_timed_out || ec == errc::not_coordinator ||
            ec == errc::coordinator_not_available) {
            mark_unknown();
            return true;
        }
        return false;
    }

    /// A lookup error the user must see (not authorized to use the group), once.
    std::optional<error_report> take_fatal() {
        auto f = std::move(fatal_);
        fatal_.reset();
        return f;
    }

private:
    template <class F>
    void on_response(F& f) {
        in_flight_ = false;
        auto retry = [this] { retry_at_ = client_.now() + retry_backoff_.after(failures_++); };
        if (f.failed()) return retry();
        auto& r = f.value();
        std::int16_t err;
        std::int32_t id;
        std::string host;
        std::int32_t port;
        if (r.version >= 4) {
            if (r.body.coordinators.empty()) return retry();
            auto const& c = r.body.coordinators.front();
            err = c.error_code, id = c.node_id, host = c.host, port = c.port;
        } else {
            err = r.body.error_code, id = r.body.node_id, host = r.body.host, port = r.body.port;
        }
        if (err != 0) {
            auto e = static_cast<errc>(err);
            if (e == errc::group_authorization_failed)
                fatal_ = error_report{make_error_code(e), "not authorized to use group '" + group_id_ + "'"};
            return retry();
        }
        // No broker has a negative id or a port outside 0..65535: an answer naming one is retried.
        if (id < 0 || port < 0 || port > 65535) return retry();
        client_.set_node(client::coordinator_node_id(id), host, static_cast<std::uint16_t>(port));
        coordinator_ = id;
        failures_ = 0;
    }

    client_type& client_;
    std::string group_id_;
    client::exponential_backoff retry_backoff_;
    int failures_ = 0;  // lookups failed in a row
    std::optional<std::int32_t> coordinator_;
    bool in_flight_ = false;
    time_point retry_at_{};
    std::optional<error_report> fatal_;
};

}  // namespace kafka::engine
