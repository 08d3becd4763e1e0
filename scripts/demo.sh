#!/usr/bin/env bash
# The main job, from a fresh machine: installs what is missing, builds the
# consumer, starts a local single-node Apache Kafka broker (127.0.0.1:18092),
# produces sample data with a third-party producer (kcat), and runs the
# project's kcat-style consumer, kafka-consume, in a consumer group until it
# has read everything; then stops the broker.
#
#   scripts/demo.sh            the demo
#   KEEP_BROKER=1 scripts/demo.sh   leave the broker running afterwards (stop: scripts/kafka-broker.sh stop --name demo)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '\n>>> %s\n' "$*"; }

say "installing dependencies (Debian packages, Kafka jars) if missing"
scripts/install-deps.sh

say "building kafka-consume"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j 2 --target kafka-consume

say "starting Apache Kafka 4.3.1 on 127.0.0.1:18092"
scripts/kafka-broker.sh stop --name demo >/dev/null 2>&1 || true
scripts/kafka-broker.sh start --name demo --port-base 18092 --topics "orders:6" >/dev/null
[ -n "${KEEP_BROKER:-}" ] || trap 'scripts/kafka-broker.sh stop --name demo >/dev/null' EXIT

say "producing 10000 orders with kcat (keys customer-N, JSON values, lz4)"
seq 1 10000 | awk '{printf "customer-%d:{\"order\":%d,\"amount\":%d.%02d}\n", $1 % 97, $1, $1 % 500, $1 % 100}' \
  | scripts/kafka-broker.sh produce --name demo orders -K : -z lz4

say "consuming them in group 'demo-group' (first and last 3 lines shown)"
build/examples/kafka-consume -b 127.0.0.1:18092 -t orders -g demo-group -o beginning -c 10000 \
  -f 'partition %p offset %o  %k  %s\n' > build/demo-output.txt
head -3 build/demo-output.txt; echo "..."; tail -3 build/demo-output.txt

say "the group's committed offsets, as Kafka's own tool reports them"
scripts/kafka/run-tool.sh ConsumerGroupCommand --bootstrap-server 127.0.0.1:18092 --describe --group demo-group 2>/dev/null \
  | sed '/^$/d'
