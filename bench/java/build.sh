#!/usr/bin/env bash
# bench/java/build.sh [OUT_DIR]: compiles ConsumeBench.java against the Kafka jars in
# .cache/kafka-${KAFKA_VERSION:-4.3.1}/libs into OUT_DIR (default <repo>/.cache/bench/java-bench);
# skips javac when OUT_DIR/ConsumeBench.class is newer than the source. Prints on stdout the command
# prefix that runs it (shell-quoted; append the arguments), e.g.
#   eval "$(bench/java/build.sh) -b 127.0.0.1:9092 -t d1 -p 6 -n 10000000"
# bench/java/run.sh does exactly that.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/.cache/bench/java-bench}
libs=$top/.cache/kafka-${KAFKA_VERSION:-4.3.1}/libs
compgen -G "$libs/kafka-clients-*.jar" > /dev/null ||
  { echo "bench/java/build.sh: no kafka-clients jar in $libs (scripts/install-deps.sh fetches it)" >&2; exit 1; }
mkdir -p "$out"
src=$here/ConsumeBench.java
if [ ! "$out/ConsumeBench.class" -nt "$src" ]; then
  javac -nowarn -encoding UTF-8 -cp "$libs/*" -d "$out" "$src" >&2
fi

# JVM options. -Xms512m -Xmx512m: a fixed heap, so a run of a few seconds spends nothing on growing it
# (the tool default here for ConsumerPerformance is -Xmx512m too); the GC is the JVM's ergonomic choice
# (G1 on this 2-core, 24 GB machine). No AlwaysPreTouch: peak RSS is one of the figures taken. The fixed
# heap lets G1 use most of it as young generation, so peak RSS is ~560 MB on 10 M x 100 B (~295 MB
# with a growing heap, JAVA_BENCH_JVM_OPTS=-Xms8m, which read ~5% slower; measured 2026-12-06).
# Logging: kafka-clients logs through slf4j to log4j2 (log4j-slf4j-impl in libs); log4j2.properties
# here keeps WARN and above, on stderr, so stdout holds only the two java-bench lines.
# JAVA_BENCH_JVM_OPTS (whitespace-separated) adds options after these, e.g. -Xlog:gc for a look at the GC.
read -r -a more <<< "${JAVA_BENCH_JVM_OPTS:-}"
jvm=(java -Xms512m -Xmx512m -Djava.awt.headless=true
     "-Dlog4j2.configurationFile=$here/log4j2.properties" "${more[@]}"
     -cp "$out:$libs/*" ConsumeBench)
printf '%q ' "${jvm[@]}" | sed 's/ $//'
echo
