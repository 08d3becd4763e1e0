#!/usr/bin/env bash
# Resolves the Apache Kafka broker (and its tools) from Maven Central into .cache/kafka-<version>/libs.
# Idempotent: a version whose libs/ is complete is left alone.
#   scripts/kafka-jars.sh            the default versions (KAFKA_VERSIONS, default "4.3.1 3.9.2")
#   scripts/kafka-jars.sh 4.1.1      one given version
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KAFKA_CACHE:-$top/.cache}
versions=("$@")
((${#versions[@]})) || read -r -a versions <<< "${KAFKA_VERSIONS:-4.3.1 3.9.2}"

for v in "${versions[@]}"; do
  home=$cache/kafka-$v
  if [ -f "$home/.complete" ]; then continue; fi
  echo "kafka-jars: resolving Apache Kafka $v (first run downloads ~100 MB)" >&2
  mkdir -p "$home/libs"
  case "$v" in
    3.*) logging='
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>' ;;
    4.0.*|4.1.*) l=2.24.3 ;;&
    4.*) l=${l:-2.25.4}; logging="
  <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$l</version></dependency>
  <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$l</version></dependency>
  <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$l</version></dependency>" ;;
    *) echo "kafka-jars: unsupported version $v" >&2; exit 2 ;;
  esac
  cat > "$home/pom.xml" <<POM
<project><modelVersion>4.0.0</modelVersion>
 <groupId>local.test</groupId><artifactId>kafka-broker-libs</artifactId><version>1</version><packaging>pom</packaging>
 <dependencies>
  <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$v</version></dependency>
  <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$v</version></dependency>
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.36</version></dependency>$logging
 </dependencies></project>
POM
  mvn -B -q -f "$home/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$home/libs"
  ls "$home/libs" | grep -q "^kafka_2.13-$v.jar$" || { echo "kafka-jars: kafka_2.13-$v.jar missing after resolve" >&2; exit 1; }
  touch "$home/.complete"
done
