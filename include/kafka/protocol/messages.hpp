// Every protocol message the consumer uses, one header per API.
#pragma once

#include <kafka/protocol/messages/api_versions.hpp>
#include <kafka/protocol/messages/consumer_group_heartbeat.hpp>
#include <kafka/protocol/messages/describe_groups.hpp>
#include <kafka/protocol/messages/fetch.hpp>
#include <kafka/protocol/messages/find_coordinator.hpp>
#include <kafka/protocol/messages/heartbeat.hpp>
#include <kafka/protocol/messages/join_group.hpp>
#include <kafka/protocol/messages/leave_group.hpp>
#include <kafka/protocol/messages/list_offsets.hpp>
#include <kafka/protocol/messages/metadata.hpp>
#include <kafka/protocol/messages/offset_commit.hpp>
#include <kafka/protocol/messages/offset_fetch.hpp>
#include <kafka/protocol/messages/offset_for_leader_epoch.hpp>
#include <kafka/protocol/messages/sasl_authenticate.hpp>
#include <kafka/protocol/messages/sasl_handshake.hpp>
#include <kafka/protocol/messages/sync_group.hpp>
