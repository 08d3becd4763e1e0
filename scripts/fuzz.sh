#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, writes their seed corpora and
# runs each target for a while. Exits non-zero, naming the crashing input, if any
# target crashes (or leaks, times out, runs out of memory).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        default 30
#
# Environment: BUILD_DIR (default <repo>/build-fuzz), CC / CXX (default clang-14 /
# clang++-14), JOBS (ninja -j, default 1), FUZZ_REPLAY_ONLY (targets whose corpus is replayed once
# instead of fuzzed), FUZZ_TARGETS (default "fuzz_record_set
# fuzz_responses fuzz_engine"), FUZZ_KEEP_GOING=1 (fork mode: keep fuzzing after a crash, leak, timeout
# or OOM, collect every artifact, still exit non-zero at the end; useful while a known bug
# that a seed triggers is not fixed yet).
# The corpus kept in $BUILD_DIR/corpus/<target> grows from run to run (seeds are rewritten
# each time); crashing inputs go to $BUILD_DIR/artifacts/<target>/. Reproduce one with
#   $BUILD_DIR/tests/fuzz/<target> <input>
set -euo pipefail

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build-fuzz}
jobs=${JOBS:-1}
targets=${FUZZ_TARGETS:-"fuzz_record_set fuzz_responses fuzz_engine"}
export CC=${CC:-clang-14}
export CXX=${CXX:-clang++-14}

# A cache made with another compiler cannot be switched: start that build directory afresh.
if [[ -f $build/CMakeCache.txt ]] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*$(basename "$CXX")\$" "$build/CMakeCache.txt"; then
  echo "fuzz.sh: $build was configured with another compiler; reconfiguring from scratch" >&2
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles" "$build/build.ninja"
fi
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKAFKA_FUZZ=ON -DKAFKA_BUILD_TESTS=ON -DKAFKA_BUILD_EXAMPLES=OFF -DKAFKA_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j "$jobs" fuzz_targets

"$build/tests/fuzz/fuzz_seed_corpus" "$build/corpus" "$repo/tests/data/records"

status=0
for t in $targets; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  log=$build/logs/$t.log
  mkdir -p "$(dirname "$log")"
  # Artifacts are named after the input's hash, so a crash seen before rewrites its old file:
  # what this run produced is what is newer than this marker.
  marker=$build/logs/$t.started
  touch "$marker"
  sleep 1  # mtime granularity: an artifact written this run is strictly newer
  new_artifacts() { find "$artifacts" -type f -newer "$marker" -printf '%T@ %p\n' | sort -n | cut -d' ' -f2-; }
  echo "== $t: ${seconds}s, corpus $corpus"
  rc=0
  keep_going=()
  if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
    keep_going=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
  fi
  # Crashes, leaks, timeouts and OOMs all end the run with a non-zero status and an
  # artifact; -print_final_stats gives a summary line for CI logs.
  # fuzz_engine reaches ~17k edges per input: libFuzzer's entropic schedule then spends 80% of the
  # time updating its feature frequencies (perf); the plain schedule runs six times as many inputs.
  schedule=()
  if [[ $t == fuzz_engine ]]; then
    schedule=(-entropic=0)
  fi
  # FUZZ_REPLAY_ONLY: targets whose corpus is only replayed (every input run once, -runs=0), not
  # explored: for a target with a finding still open (tests/fuzz/RESULTS.md), so that CI checks it
  # against every input kept without turning red on what is already known.
  duration=(-max_total_time="$seconds")
  if [[ " ${FUZZ_REPLAY_ONLY:-} " == *" $t "* ]]; then
    duration=(-runs=0)
    echo "   (replaying the corpus only: FUZZ_REPLAY_ONLY)"
  fi
  "$build/tests/fuzz/$t" "${duration[@]}" -rss_limit_mb=2048 -timeout=25 "${schedule[@]}" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "${keep_going[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$log" | tr '\n' ' ' || true
  echo
  found=$(new_artifacts)
  if (( rc == 0 )) && [[ -n $found ]]; then
    rc=1  # keep-going mode: the run ends normally but left artifacts behind
  fi
  if (( rc != 0 )); then
    status=1
    echo "!! $t failed (exit $rc); log: $log" >&2
    grep -E -m 20 'ERROR: |runtime error|SUMMARY:|==[0-9]+== ' "$log" >&2 || true
    [[ -n $found ]] || found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    for input in $found; do
      echo "!! crashing input: $input" >&2
      echo "!! reproduce:      $build/tests/fuzz/$t $input" >&2
      if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
        # Fork mode keeps the crash reports in child logs: re-run the input for its reason.
        "$build/tests/fuzz/$t" -rss_limit_mb=2048 -timeout=25 "$input" 2>&1 |
          grep -E -m 1 'runtime error|ERROR: ' | sed 's/^/!!   /' >&2 || true
      fi
    done
  fi
done
exit $status
