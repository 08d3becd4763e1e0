#!/usr/bin/env bash
# ctest fixture: start NAME VERSION PORT_BASE | stop NAME
# Starts a single-node broker with the topics and sample data the integration
# tests expect, produced by a third-party producer (kcat).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
broker=$top/scripts/kafka-broker.sh
case "${1:-}" in
start)
  name=$2 version=$3 port=$4
  "$broker" stop --name "$name" >/dev/null 2>&1 || true
  "$broker" start --name "$name" --version "$version" --port-base "$port" \
    --topics "conformance:3,sample:6,sample-gzip:1,sample-snappy:1,sample-lz4:1,sample-zstd:1" >/dev/null
  # 300 records in "conformance" partition 0: values msg-0 .. msg-299, keys k-0 .. k-299.
  seq 0 299 | sed 's/.*/k-&:msg-&/' | "$broker" produce --name "$name" conformance -p 0 -K : >/dev/null
  # "sample": 6000 records spread over 6 partitions by key.
  seq 0 5999 | sed 's/.*/key-&:value-&/' | "$broker" produce --name "$name" sample -K : >/dev/null
  for codec in gzip snappy lz4 zstd; do
    seq 0 999 | sed "s/.*/$codec-&/" | "$broker" produce --name "$name" "sample-$codec" -z "$codec" >/dev/null
  done
  echo "broker $name ($version) ready on 127.0.0.1:$port"
  ;;
stop)
  "$broker" stop --name "$2"
  ;;
*)
  echo "usage: $0 start NAME VERSION PORT_BASE | stop NAME" >&2
  exit 2
  ;;
esac
