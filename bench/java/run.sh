#!/usr/bin/env bash
# bench/java/run.sh -b HOST:PORT -t TOPIC -p PARTITIONS -n N [--timeout S] [-X key=value]...
# Builds bench/java (bench/java/build.sh, into .cache/bench/java-bench unless JAVA_BENCH_OUT is set)
# and runs ConsumeBench with these arguments: Apache Kafka's KafkaConsumer, a warm-up pass, then the
# timed pass. stdout:
#   java-bench warm-up: R records, B value bytes, S s, X records/s
#   java-bench: R records, B value bytes, S s, X records/s
# Exit 0: N records read in the timed pass; 3: fewer within the timeout; 1: error; 2: bad arguments.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=$("$here/build.sh" ${JAVA_BENCH_OUT:+"$JAVA_BENCH_OUT"})
eval "exec $prefix \"\$@\""
