#!/usr/bin/env bash
# librdkafka's mock Kafka cluster as a background process, steered by line commands.
#
#   mock-cluster.sh start [--brokers N] [--topics "t1:4,t2:2:3"] [--if-not-running]
#                                    N brokers (default 3) on random 127.0.0.1 ports; prints the env lines
#   mock-cluster.sh cmd COMMAND...   one command to the host, e.g. `cmd down 1`, `cmd leader t1 0 2`;
#                                    prints the answer ("ok" / "error: ..."), exit 0 on ok, 1 on error
#   mock-cluster.sh stop             quit the host (SIGTERM/SIGKILL if it does not answer)
#   mock-cluster.sh status           exit 0 when running
#   mock-cluster.sh env              the env lines (KAFKA_MOCK_BOOTSTRAP, ...), also in .cache/run/mock/env
#   mock-cluster.sh build            (re)build .cache/bin/mock-cluster-host when host.c is newer
#
# Commands are those of scripts/mock-cluster/host.c: topic NAME PARTS RF | down ID | up ID | rtt ID MS |
# leader TOPIC PART ID | coordinator group KEY ID | error APIKEY COUNT ERR... | apiversion APIKEY MIN MAX | ...
# The mock serves PLAINTEXT only (no SASL/TLS) and auto-creates unknown topics (4 partitions) on Metadata.
set -euo pipefail
prog=mock-cluster
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
cache=${KAFKA_CACHE:-$top/.cache}
run=$cache/run/mock
bin=$cache/bin/mock-cluster-host
src=$here/mock-cluster/host.c

die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }
usage() { sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }

alive() {
  local pid
  pid=$(cat "$run/pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q mock-cluster-host
}

build() {
  if [ -x "$bin" ] && [ ! "$src" -nt "$bin" ]; then return 0; fi
  command -v cc >/dev/null || die "no C compiler (cc); run scripts/install-deps.sh"
  pkg-config --exists rdkafka 2>/dev/null || die "librdkafka development files not found (pkg-config rdkafka); run scripts/install-deps.sh"
  mkdir -p "$(dirname "$bin")"
  note "building $bin"
  # shellcheck disable=SC2046 # pkg-config output is a word list
  cc -O1 -o "$bin.tmp" "$src" $(pkg-config --cflags --libs rdkafka) || die "building $src failed"
  mv "$bin.tmp" "$bin"
}

# send LINE -> prints the host's one-line answer; returns 0 for "ok..."
send() {
  local line=$1 before after answer deadline
  alive || die "the mock cluster is not running (start it with: $0 start)"
  exec 8>"$run/lock"
  flock -w 30 8 || die "another command is still waiting for its answer"
  before=$(wc -l < "$run/out.log")
  # the host keeps the FIFO open for reading and writing, so this open cannot block for long
  printf '%s\n' "$line" | timeout 5 tee "$run/cmd.fifo" >/dev/null || die "could not write to $run/cmd.fifo"
  deadline=$((SECONDS + 15))
  while :; do
    after=$(wc -l < "$run/out.log")
    ((after > before)) && break
    alive || { [ "$line" = quit ] && return 0; die "the mock cluster exited (see $run/host.log)"; }
    ((SECONDS < deadline)) || die "no answer to '$line' within 15 s"
    sleep 0.02
  done
  answer=$(sed -n "$((before + 1))p" "$run/out.log")
  exec 8>&-
  printf '%s\n' "$answer"
  [[ $answer == ok* ]]
}

cmd_start() {
  local brokers=3 topics="" if_not_running=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --brokers) brokers=${2:?--brokers needs a value}; shift 2 ;;
      --topics) topics=${2?--topics needs a value}; shift 2 ;;
      --if-not-running) if_not_running=1; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [[ $brokers =~ ^[1-9][0-9]?$ ]] || die "--brokers must be 1..99"
  if alive; then
    ((if_not_running)) && return 0
    die "the mock cluster is already running ($(grep BOOTSTRAP= "$run/env" 2>/dev/null || echo '?')); stop it first: $0 stop"
  fi
  build
  rm -rf "$run"
  mkdir -p "$run"
  mkfifo "$run/cmd.fifo"
  : > "$run/out.log"
  # stdin is the FIFO opened read-write: it never sees EOF while the host runs, so many writers can come and go
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$run/pid" "$bin" "$brokers" \
    0<>"$run/cmd.fifo" >>"$run/out.log" 2>>"$run/host.log" &
  local deadline=$((SECONDS + 15)) boot
  until [ -s "$run/out.log" ]; do
    if [ -s "$run/pid" ] && ! alive; then cat "$run/host.log" >&2; die "the mock cluster host exited at start"; fi
    ((SECONDS < deadline)) || { cmd_stop >/dev/null 2>&1 || true; die "the mock cluster host printed no bootstrap in 15 s"; }
    sleep 0.05
  done
  boot=$(head -n1 "$run/out.log")
  [[ $boot == 127.0.0.1:* ]] || { cmd_stop >/dev/null 2>&1 || true; die "unexpected first line from the host: $boot"; }
  {
    echo "export KAFKA_MOCK_BOOTSTRAP=$boot"
    echo "export KAFKA_MOCK_BROKERS=$brokers"
    echo "export KAFKA_MOCK_RUN_DIR=$run"
    echo "export KAFKA_MOCK_FIFO=$run/cmd.fifo"
  } > "$run/env"
  local specs=() spec t p r
  IFS=, read -r -a specs <<< "$topics"
  for spec in "${specs[@]+"${specs[@]}"}"; do
    spec=${spec// /}
    [ -n "$spec" ] || continue
    IFS=: read -r t p r <<< "$spec"
    send "topic $t ${p:-1} ${r:-1}" >/dev/null || { cmd_stop >/dev/null 2>&1 || true; die "creating mock topic '$spec' failed"; }
  done
  note "mock cluster with $brokers broker(s) at $boot (pid $(cat "$run/pid"))"
  cat "$run/env"
}

cmd_stop() {
  if ! alive; then note "the mock cluster is not running"; rm -f "$run/pid"; return 0; fi
  local pid
  pid=$(cat "$run/pid")
  send quit >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 5))
  while alive && ((SECONDS < deadline)); do sleep 0.05; done
  if alive; then kill -TERM "$pid" 2>/dev/null || true; sleep 1; fi
  if alive; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  alive && die "could not stop pid $pid"
  rm -f "$run/pid"
  note "stopped"
}

[ $# -ge 1 ] || usage
c=$1; shift
case "$c" in
  start)  cmd_start "$@" ;;
  stop)   cmd_stop ;;
  cmd)    [ $# -ge 1 ] || die "usage: $0 cmd COMMAND [ARGS...]"; send "$*" ;;
  status) if alive; then echo "running, pid $(cat "$run/pid"), $(head -n1 "$run/out.log")"; else echo "not running"; exit 1; fi ;;
  env)    [ -f "$run/env" ] || die "the mock cluster was never started"; alive || note "warning: the mock cluster is not running"; cat "$run/env" ;;
  build)  build ;;
  -h|--help|help) usage 0 ;;
  *)      echo "$prog: unknown command '$c'" >&2; usage ;;
esac
