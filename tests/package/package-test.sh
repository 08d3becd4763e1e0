#!/usr/bin/env bash
# A package test (ctest package.MODE): the library taken by an outside project as a user takes it,
# built and run against the test broker.
#   package-test.sh MODE WORK_DIR GENERATOR CXX_COMPILER
# MODE: find_package (first a fresh `cmake -S <source tree> -B WORK_DIR/lib` and `cmake --install`
# into WORK_DIR/prefix, as a new user does), add_subdirectory or fetchcontent (of the source tree
# this script lives in). The project tests/package/MODE is configured and built (Debug, -O0) in
# WORK_DIR/build; then records are produced into a new topic and its consume_records must print
# exactly those.
# The broker comes from KAFKA_ENV_FILE (set by ctest: the env file of scripts/kafka-broker.sh).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 MODE WORK_DIR GENERATOR CXX_COMPILER" >&2; exit 2; }
mode=$1 work=$2 generator=$3 cxx=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
step() { printf '%s: %s (%ss)\n' "package.$mode" "$1" "$SECONDS"; }
fail() { echo "package.$mode: FAILED: $*" >&2; exit 1; }

[ -n "${KAFKA_ENV_FILE:-}" ] && [ -f "$KAFKA_ENV_FILE" ] || fail "KAFKA_ENV_FILE does not name a broker env file"
# shellcheck disable=SC1090
. "$KAFKA_ENV_FILE"
[ -n "${KAFKA_NAME:-}" ] && [ -n "${KAFKA_BOOTSTRAP:-}" ] || fail "$KAFKA_ENV_FILE lacks KAFKA_NAME or KAFKA_BOOTSTRAP"

rm -rf "$work"
mkdir -p "$work"
configure=(-S "$here/$mode" -B "$work/build" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx"
           -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0)
case "$mode" in
  find_package)
    step "configure the library and install it into $work/prefix"
    { cmake -S "$top" -B "$work/lib" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" -DKAFKA_BUILD_TESTS=OFF \
            -DKAFKA_BUILD_EXAMPLES=OFF -DKAFKA_BUILD_BENCH=OFF &&
      cmake --install "$work/lib" --prefix "$work/prefix"; } >"$work/install.log" 2>&1 ||
      { cat "$work/install.log"; fail "install"; }
    configure+=(-DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF) ;;
  add_subdirectory|fetchcontent)
    configure+=(-DKAFKA_CONSUMER_SOURCE_DIR="$top") ;;
  *) fail "unknown mode '$mode'" ;;
esac

step "configure"
cmake "${configure[@]}" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
if [ "$mode" = find_package ]; then
  # The package found must be the one just installed, not another one on the machine.
  found=$(sed -n 's/^kafka_consumer_DIR:PATH=//p' "$work/build/CMakeCache.txt")
  [ "$found" = "$work/prefix/lib/cmake/kafka_consumer" ] || fail "found kafka_consumer in '$found', not in $work/prefix"
fi
step "build"
cmake --build "$work/build" -j 1 >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }

topic=package-$mode-$$-$(date +%s)
count=40
step "produce $count records into $topic (3 partitions)"
"$top/scripts/kafka-broker.sh" topic --name "$KAFKA_NAME" create "$topic" 3 >/dev/null
seq 1 "$count" | sed "s/.*/key-&:$mode-value-&/" > "$work/expected"
"$top/scripts/kafka-broker.sh" produce --name "$KAFKA_NAME" "$topic" -K : < "$work/expected"
sed -i 's/:/=/' "$work/expected"

step "consume_records $KAFKA_BOOTSTRAP $topic"
status=0
"$work/build/consume_records" "$KAFKA_BOOTSTRAP" "$topic" "$topic-group" "$count" >"$work/consumed" || status=$?
[ "$status" -eq 0 ] || fail "consume_records exited with status $status; it printed $(wc -l <"$work/consumed") lines"
if ! diff <(sort "$work/expected") <(sort "$work/consumed") >"$work/diff"; then
  cat "$work/diff" >&2
  fail "consume_records printed other records than the $count produced (diff above: < expected, > printed)"
fi
step "ok: the $count records produced, each once"
