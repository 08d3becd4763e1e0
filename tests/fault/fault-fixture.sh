#!/usr/bin/env bash
# ctest fixtures of the fault suite (tests/fault):
#   cluster-start | cluster-stop   the 3-node Kafka 4.3.1 cluster `flt3` (port base 59092, topic f6: 6 partitions, RF 3;
#                                  node i in rack ri, RackAwareReplicaSelector)
#   mock-start    | mock-stop      two librdkafka mock clusters, each in a cache directory of its own so that
#                                  nobody else's scripts/mock-cluster.sh (.cache/run/mock) is touched:
#                                  .cache/fault/mock3 (3 brokers) and .cache/fault/mock1 (1 broker)
# The tests read .cache/run/flt3/env and .cache/fault/mock{3,1}/run/mock/env; they inject faults with
# `KAFKA_CACHE=<dir> scripts/mock-cluster.sh cmd ...` and `scripts/kafka-broker.sh kill-node --name flt3 ...`.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
broker=$top/scripts/kafka-broker.sh
mock=$top/scripts/mock-cluster.sh
name=${FAULT_CLUSTER_NAME:-flt3}
port=${FAULT_CLUSTER_PORT_BASE:-59092}
mock_root=$top/.cache/fault
case "${1:-}" in
cluster-start)
  "$broker" stop --name "$name" >/dev/null 2>&1 || true
  # Racks r1/r2/r3 (node i in rack ri) and the rack-aware replica selector (KIP-392), for the
  # fetch-from-follower tests in test_cluster_fetching.cpp; nothing else changes for a consumer
  # without client.rack (the selector then picks the leader).
  "$broker" start --name "$name" --version 4.3.1 --nodes 3 --port-base "$port" --topics "f6:6:3" \
    --racks r1,r2,r3 --broker-config replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector \
    >/dev/null
  echo "cluster $name ready: $(grep KAFKA_BOOTSTRAP= "$top/.cache/run/$name/env")"
  ;;
cluster-stop)
  "$broker" stop --name "$name"
  ;;
mock-start)
  for n in 3 1; do
    KAFKA_CACHE=$mock_root/mock$n "$mock" stop >/dev/null 2>&1 || true
    KAFKA_CACHE=$mock_root/mock$n "$mock" start --brokers "$n" >/dev/null
    # librdkafka 2.0's mock writes the LeaderEpoch of ListOffsets v4+ responses as an int64 (the
    # protocol says int32), which no conforming client can parse: it serves ListOffsets up to v3 here.
    KAFKA_CACHE=$mock_root/mock$n "$mock" cmd apiversion 2 0 3 >/dev/null
    echo "mock cluster with $n broker(s): $(grep BOOTSTRAP= "$mock_root/mock$n/run/mock/env")"
  done
  ;;
mock-stop)
  rc=0
  for n in 3 1; do KAFKA_CACHE=$mock_root/mock$n "$mock" stop || rc=1; done
  exit $rc
  ;;
*)
  echo "usage: $0 cluster-start | cluster-stop | mock-start | mock-stop" >&2
  exit 2
  ;;
esac
