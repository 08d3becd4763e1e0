# Shared helpers for scripts/kafka-broker.sh and scripts/kafka/run-tool.sh. Source it; do not run it.
# Paths: the repository root is two levels above this file; jars live in ${KAFKA_CACHE:-<root>/.cache}/kafka-<version>/libs.

KAFKA_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_TOP=$(cd "$KAFKA_SCRIPTS_DIR/../.." && pwd)
KAFKA_CACHE_DIR=${KAFKA_CACHE:-$KAFKA_TOP/.cache}
KAFKA_DEFAULT_VERSION=4.3.1

# JVM options for short CLI tools (TopicCommand, StorageTool, ...) and for the load generators.
KAFKA_TOOL_JVM_DEFAULT="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"
KAFKA_PERF_JVM_DEFAULT="-Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true"

kafka_die() { echo "${KAFKA_PROG:-kafka}: error: $*" >&2; exit 1; }
kafka_note() { echo "${KAFKA_PROG:-kafka}: $*" >&2; }

kafka_check_version() {
  case "$1" in
    3.*|4.*) ;;
    *) kafka_die "unsupported Kafka version '$1' (expected 3.x or 4.x, e.g. 4.3.1 or 3.9.2)" ;;
  esac
}

# kafka_home VERSION -> prints the directory holding libs/ (resolving the jars first if they are missing)
kafka_home() {
  local v=$1 home=$KAFKA_CACHE_DIR/kafka-$1
  kafka_check_version "$v"
  if [ ! -f "$home/.complete" ] || ! compgen -G "$home/libs/kafka_2.13-$v.jar" >/dev/null; then
    kafka_note "Kafka $v jars not found in $home/libs; running scripts/kafka-jars.sh $v"
    KAFKA_CACHE=$KAFKA_CACHE_DIR "$KAFKA_TOP/scripts/kafka-jars.sh" "$v" >&2 \
      || kafka_die "scripts/kafka-jars.sh $v failed"
  fi
  printf '%s\n' "$home"
}

# kafka_log_opt VERSION broker|tools -> the -D option selecting our logging config
kafka_log_opt() {
  case "$1" in
    3.*) printf '%s\n' "-Dlog4j.configuration=file:$KAFKA_SCRIPTS_DIR/log4j-$2.properties" ;;
    *)   printf '%s\n' "-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2-$2.properties" ;;
  esac
}

# kafka_tool_class VERSION NAME -> fully qualified main class. A name containing a dot is used as is.
kafka_tool_class() {
  local v=$1 n=$2 major=${1%%.*}
  case "$n" in *.*) printf '%s\n' "$n"; return ;; esac
  case "$major:$n" in
    *:StorageTool)                 echo kafka.tools.StorageTool ;;
    *:ConfigCommand)               echo kafka.admin.ConfigCommand ;;
    *:Kafka)                       echo kafka.Kafka ;;
    3:ConsoleProducer)             echo kafka.tools.ConsoleProducer ;;
    3:BrokerApiVersionsCommand)    echo kafka.admin.BrokerApiVersionsCommand ;;
    3:AclCommand)                  echo kafka.admin.AclCommand ;;
    *:ConsoleConsumer)             echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    *:ConsoleShareConsumer)        echo org.apache.kafka.tools.consumer.ConsoleShareConsumer ;;
    *:ConsumerGroupCommand)        echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    *:ShareGroupCommand)           echo org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
    *)                             echo "org.apache.kafka.tools.$n" ;;
  esac
}

# kafka_tool_jvm_opts CLASS -> JVM options for a CLI class (KAFKA_TOOL_JVM_OPTS overrides)
kafka_tool_jvm_opts() {
  if [ -n "${KAFKA_TOOL_JVM_OPTS:-}" ]; then printf '%s\n' "$KAFKA_TOOL_JVM_OPTS"; return; fi
  case "$1" in
    *Performance|*Verifiable*) printf '%s\n' "$KAFKA_PERF_JVM_DEFAULT" ;;
    *) printf '%s\n' "$KAFKA_TOOL_JVM_DEFAULT" ;;
  esac
}

# kafka_run_tool VERSION CLASS ARGS... (runs in the foreground; stdout is the tool's, logs go to stderr)
kafka_run_tool() {
  local v=$1 cls home opts
  cls=$(kafka_tool_class "$v" "$2"); shift 2
  home=$(kafka_home "$v")
  opts=$(kafka_tool_jvm_opts "$cls")
  # shellcheck disable=SC2086 # opts is a word list on purpose
  java $opts "$(kafka_log_opt "$v" tools)" -cp "$home/libs/*" "$cls" "$@"
}
