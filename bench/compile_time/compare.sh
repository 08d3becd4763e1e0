#!/usr/bin/env bash
# Compile time of one TU against the include/ of several commits, interleaved (A B C A B C ...)
# and the minimum CPU time of each kept, so that the load of a shared machine affects all alike.
# Usage: compare.sh [-n ROUNDS] FILE.cpp "FLAGS" REV...   (e.g. compare.sh -n 3 examples/quickstart.cpp "-O0 -g" main HEAD)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=3
while getopts n: o; do case $o in n) rounds=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1))
src=$1 flags=$2; shift 2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
declare -A best rss
for rev in "$@"; do
  mkdir -p "$work/$rev"
  git -C "$root" archive "$rev" include | tar -x -C "$work/$rev"
done
for _ in $(seq "$rounds"); do
  for rev in "$@"; do
    # shellcheck disable=SC2086
    line=$(KAFKA_INCLUDE="$work/$rev/include" "$here/measure.sh" "$src" $flags)
    t=$(sed -E 's/.*cpu= *([0-9.]+) s.*/\1/' <<<"$line")
    m=$(sed -E 's/.*rss= *([0-9]+) MB.*/\1/' <<<"$line")
    if [ -z "${best[$rev]:-}" ] || [ "$(echo "$t < ${best[$rev]}" | bc)" = 1 ]; then best[$rev]=$t; fi
    rss[$rev]=$m
  done
done
for rev in "$@"; do
  printf '%-40s %-8s %-12s cpu=%6.2f s (min of %d)  rss=%5d MB\n' "$(basename "$src")" "$flags" \
    "$(git -C "$root" rev-parse --short "$rev")" "${best[$rev]}" "$rounds" "${rss[$rev]}"
done
