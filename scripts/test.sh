#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (Debian
# packages, the Kafka broker jars), builds everything, and runs
#   1. ctest: unit tests, header self-containment, integration tests against real
#      Kafka 4.3.1 and 3.9.2 brokers (started and stopped by ctest fixtures), fault tests;
#   2. the unit and simulated tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and a
#      two-minute chaos soak (tests/chaos) whose consumers are built with both sanitizers;
#   3. the tests that run the consumer's threads (heartbeat thread, wakeup and guarded calls
#      from another thread, frames released on another thread, the executor driver) under
#      ThreadSanitizer (target thread_tests; suppressions in tests/tsan.supp);
#   4. the unit tests and the examples of the asynchronous face built with clang 14;
#   5. a short libFuzzer run of the response and record-batch decoders and of the whole engine
#      against a fake cluster whose responses are mutated (its seeds include every input it found).
#
#   scripts/test.sh                 everything
#   FUZZ_SECONDS=60 scripts/test.sh longer fuzzing (default 20 s per target)
#   SKIP_SANITIZE=1 / SKIP_TSAN=1 / SKIP_CLANG=1 / SKIP_FUZZ=1   leave a stage out (local iterations only)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-2}
stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

stage "dependencies"
scripts/install-deps.sh

stage "build"
# -O1 without debug information: -g costs 30-45 % of the compile time here (quickstart 81 s against
# 56 s, a simulated-time test file 48 s against 33 s, measured on 2 cores) and CI reads failures
# from the tests' output; -O1 instead of -O2 takes another 30 % off (test_security.cpp 62 s at -O2,
# 43 s at -O1). Nothing here is timed: speed is measured by bench/ in its own Release build
# (build-bench). A build of your own keeps RelWithDebInfo's -O2 -g; the sanitizer stages have -g.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -DNDEBUG" >/dev/null
cmake --build build -j "$jobs"

stage "ctest: unit, integration (real brokers), fault"
# Two at a time: the suites against each broker mostly wait on the brokers, so they overlap well;
# tests that must not overlap say so with RESOURCE_LOCK (fault, package_build) or share one
# ctest entry per broker.
# The chaos soak runs in the sanitizer stage instead, its members built with ASan + UBSan.
(cd build && ctest -j "$jobs" --output-on-failure --timeout 1200 -E '^chaos\.soak$')

if [ -z "${SKIP_SANITIZE:-}" ]; then
  stage "unit and simulated tests, and the chaos soak, under address + undefined sanitizers"
  # -g1: line tables only, enough for the sanitizers' symbolized stack traces; full -g made this
  # stage's build most of its time (the tests themselves run in under 10 s).
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DKAFKA_SANITIZE=ON \
        -DKAFKA_BUILD_EXAMPLES=OFF -DKAFKA_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$jobs" --target unit_tests sim_tests chaos_member
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/tests/unit_tests --order rand
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/tests/sim_tests --order rand
  # Two minutes of the chaos soak (tests/chaos/soak.py, seed 1) against a real 3-node cluster, its nine
  # consumers built with the sanitizers: a member that dies of a sanitizer's report fails the soak.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -R '^chaos\.soak$')
fi

if [ -z "${SKIP_TSAN:-}" ]; then
  stage "the threaded tests under the thread sanitizer"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKAFKA_TSAN=ON \
        -DKAFKA_BUILD_EXAMPLES=OFF -DKAFKA_BUILD_BENCH=OFF >/dev/null
  cmake --build build-tsan -j "$jobs" --target thread_tests
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$top/tests/tsan.supp" \
    build-tsan/tests/thread_tests --order rand
fi

if [ -z "${SKIP_CLANG:-}" ]; then
  stage "unit tests and the examples built with clang 14"
  # The asynchronous face (coroutines, completion tokens) is where compilers disagree.
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE= \
        -DKAFKA_BUILD_BENCH=OFF >/dev/null
  cmake --build build-clang -j "$jobs" --target unit_tests quickstart coroutine_consumer multi_topic_server
  build-clang/tests/unit_tests --order rand
fi

if [ -z "${SKIP_FUZZ:-}" ]; then
  stage "fuzzing the decoders and the engine"
  JOBS=$jobs scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi

stage "all tests passed"
