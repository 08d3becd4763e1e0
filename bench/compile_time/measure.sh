#!/usr/bin/env bash
# Compile-time measurement of one translation unit: CPU seconds (user+sys) and peak memory of the
# compiler, with the flags CMake gives the examples (defines and include path of kafka::consumer).
# Usage: measure.sh [-c COMPILER] [-n RUNS] FILE.cpp [EXTRA FLAGS...]
#   KAFKA_INCLUDE=DIR measures against another copy of include/ (e.g. an older commit's).
#   e.g. measure.sh examples/quickstart.cpp -O0 -g
# Prints: FILE FLAGS  cpu=S.SS s (min of RUNS)  rss=N MB
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
inc=${KAFKA_INCLUDE:-$here/include}
cxx=${CXX:-g++-12}
runs=1
while getopts c:n: o; do
  case $o in c) cxx=$OPTARG ;; n) runs=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
src=$1; shift
defs="-DASIO_NO_DEPRECATED -DASIO_STANDALONE -DKAFKA_HAVE_GZIP=1 -DKAFKA_HAVE_LZ4=1 -DKAFKA_HAVE_OPENSSL=1 -DKAFKA_HAVE_SNAPPY=1 -DKAFKA_HAVE_ZSTD=1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
best=""; rss=0
for _ in $(seq "$runs"); do
  /usr/bin/time -f '%U %S %M' -o "$tmp/t" nice -n 10 "$cxx" $defs -I"$inc" -std=gnu++20 "$@" \
    -c "$src" -o "$tmp/o.o"
  read -r u s m < "$tmp/t"
  t=$(echo "$u + $s" | bc)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  rss=$m
done
printf '%-45s %-10s %-22s cpu=%6.2f s  rss=%5d MB\n' "$(basename "$src")" "$(basename "$cxx")" "$*" "$best" $((rss / 1024))
