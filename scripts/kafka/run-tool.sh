#!/usr/bin/env bash
# Runs one Apache Kafka command-line class from the jars in .cache/kafka-<version>/libs,
# with tool logging (WARN and above) on stderr so stdout stays parseable.
#   scripts/kafka/run-tool.sh CLASS [ARGS...]
# CLASS is a short name (TopicCommand, ConsumerGroupCommand, ConsoleProducer, ConsoleConsumer,
# ConsoleShareConsumer, ProducerPerformance, ConsumerPerformance, ConfigCommand, FeatureCommand, MetadataQuorumCommand,
# BrokerApiVersionsCommand, AclCommand, GetOffsetShell, StorageTool, ...) mapped to the right
# package for the version, or a fully qualified class name.
# Environment: KAFKA_VERSION (default 4.3.1), KAFKA_TOOL_JVM_OPTS (replaces the default JVM options),
#              KAFKA_CACHE (default <repo>/.cache).
set -euo pipefail
KAFKA_PROG=run-tool
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  [ $# -ge 1 ] && exit 0 || exit 2
fi
kafka_run_tool "${KAFKA_VERSION:-$KAFKA_DEFAULT_VERSION}" "$@"
