#!/usr/bin/env bash
# Real Apache Kafka brokers (KRaft, plain jars on the local JDK) for the integration tests.
#
#   kafka-broker.sh start   [--name N] [--version V] [--nodes 1|3] [--port-base P] [--topics "t1:6,t2:3"]
#                           [--racks r1,r2,r3] [--broker-config KEY=VALUE]... [--if-not-running]
#   kafka-broker.sh stop    [--name N]
#   kafka-broker.sh status  [--name N]            exit 0 when every node runs, 1 otherwise
#   kafka-broker.sh env     [--name N]            prints the `export VAR=value` lines (also in <run dir>/env;
#                                                 KAFKA_RACKS: the --racks of the start, in node order)
#   kafka-broker.sh kill-node    [--name N] --node I   SIGKILL one node
#   kafka-broker.sh stop-node    [--name N] --node I   SIGTERM one node (controlled shutdown)
#   kafka-broker.sh restart-node [--name N] --node I   (stop it if running, then) start it again and wait
#   kafka-broker.sh move    [--name N] --plaintext-base P   restart ALL nodes at once with their PLAINTEXT
#                           listener on new ports (node i on P+10*(i-1)); data, controller ports (the KRaft
#                           quorum) and the other listeners stay. P = the start's --port-base moves them back.
#                           Nodes stop together (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT), start
#                           together (a lone KRaft node has no quorum) and it waits until all answer
#                           metadata. Afterwards env/topic/produce/consume/restart-node/status use the new
#                           ports. Nothing to do (0) when all nodes already run there.
#   kafka-broker.sh topic   [--name N] create TOPIC PARTITIONS [RF] | delete TOPIC | list | describe [TOPIC]
#   kafka-broker.sh produce [--name N] TOPIC [KCAT ARGS...]     stdin lines -> TOPIC (kcat -P, PLAINTEXT)
#   kafka-broker.sh consume [--name N] TOPIC [KCAT ARGS...]     TOPIC from the beginning to its end -> stdout
#
# Defaults: name "single", version 4.3.1, 1 node, port base 19092. Run dir: .cache/run/<name>/ (wiped on start).
# One node:  PLAINTEXT P, CONTROLLER P+1, SASL_PLAINTEXT P+2, SSL P+3, SASL_SSL P+4, OAUTH P+5
#            (SASL_PLAINTEXT, OAUTHBEARER; extension "tenant" must be "kafka-cpp"), REAUTH P+6
#            (SASL_PLAINTEXT, 5 s sessions), KERB P+7 (SASL_PLAINTEXT, GSSAPI) and a private MIT
#            Kerberos KDC (realm KAFKA.TEST, TCP) on P+8, TLS12 P+9 (SSL offering TLS 1.2 only), all on
#            127.0.0.1. `stop` stops the KDC too.
# Three nodes: node i has PLAINTEXT P+10*(i-1), CONTROLLER P+10*(i-1)+1 and PROXIED P+10*(i-1)+2, a
#            plaintext listener that advertises P+10*(i-1)+3, where a TCP proxy (tests/chaos/proxy.py) is
#            expected to forward to it (env: KAFKA_BOOTSTRAP_PROXIED, KAFKA_PROXY_ROUTES "listen:target ...").
# After `move --plaintext-base Q` only PLAINTEXT differs: node i on Q+10*(i-1) (META_PLAIN_BASE in the run dir's meta).
# --racks: one broker.rack per node, in node order (node ids are 1..N). --broker-config (repeatable): a
# property added to every node's server.properties after the generated ones (so it wins), e.g.
# replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector. Both are kept for
# restart-node (it reuses the node's server.properties).
# Environment: KAFKA_START_TIMEOUT (s, default 90), KAFKA_STOP_TIMEOUT (s, default 30),
#              KAFKA_BROKER_JVM_OPTS (appended to the broker JVM options), KAFKA_CACHE (default <repo>/.cache).
set -euo pipefail
KAFKA_PROG=kafka-broker
# shellcheck source=kafka/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/kafka/common.sh"

usage() { sed -n '2,39s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }
die() { kafka_die "$@"; }
note() { kafka_note "$@"; }

# ---------------------------------------------------------------- arguments
[ $# -ge 1 ] || usage
cmd=$1; shift
case "$cmd" in -h|--help|help) usage 0 ;; esac
name=single version="" nodes="" port_base="" topics="" node="" if_not_running=0 racks="" plain_base_arg=""
args=() broker_configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name)           name=${2:?--name needs a value}; shift 2 ;;
    --version)        version=${2:?--version needs a value}; shift 2 ;;
    --nodes)          nodes=${2:?--nodes needs a value}; shift 2 ;;
    --port-base)      port_base=${2:?--port-base needs a value}; shift 2 ;;
    --topics)         topics=${2?--topics needs a value}; shift 2 ;;
    --node)           node=${2:?--node needs a value}; shift 2 ;;
    --racks)          racks=${2:?--racks needs a value}; shift 2 ;;
    --broker-config)  broker_configs+=("${2:?--broker-config needs KEY=VALUE}"); shift 2 ;;
    --plaintext-base) plain_base_arg=${2:?--plaintext-base needs a value}; shift 2 ;;
    --if-not-running) if_not_running=1; shift ;;
    --name=*|--version=*|--nodes=*|--port-base=*|--topics=*|--node=*|--racks=*|--broker-config=*|--plaintext-base=*)
                      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    -h|--help)        usage 0 ;;
    --)               shift; args+=("$@"); break ;;
    *)                args+=("$1"); shift ;;
  esac
done
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "bad --name '$name' (letters, digits, _ . -)"
[ "$name" != mock ] || die "the name 'mock' belongs to scripts/mock-cluster.sh"

run=$KAFKA_CACHE_DIR/run/$name
krb=$run/krb5   # the one-node cluster's KDC: configuration, database, logs, keytabs
start_timeout=${KAFKA_START_TIMEOUT:-90}
stop_timeout=${KAFKA_STOP_TIMEOUT:-30}
[[ $start_timeout =~ ^[0-9]+$ && $stop_timeout =~ ^[0-9]+$ ]] || die "KAFKA_START_TIMEOUT/KAFKA_STOP_TIMEOUT must be whole seconds"

# ---------------------------------------------------------------- process helpers
# alive PID [MARK]: the process exists, is not a zombie, and its command line names MARK (default: a
# node directory of this run dir, i.e. a broker of ours; the KDC's is "$run/krb5/")
alive() {
  local pid=$1 mark=${2:-$run/node} state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark" || return 1
}
node_pid() { cat "$run/node$1/pid" 2>/dev/null || true; }
node_alive() { alive "$(node_pid "$1")"; }

load_meta() { # sets version nodes port_base plain_base home cluster_id of an existing run dir
  [ -f "$run/meta" ] || return 1
  local META_PLAIN_BASE="" META_CLUSTER_ID=""
  # shellcheck disable=SC1091
  . "$run/meta"
  version=$META_VERSION nodes=$META_NODES port_base=$META_PORT_BASE home=$META_HOME
  plain_base=${META_PLAIN_BASE:-$META_PORT_BASE} cluster_id=$META_CLUSTER_ID
}
write_meta() {
  printf 'META_VERSION=%q\nMETA_NODES=%q\nMETA_PORT_BASE=%q\nMETA_PLAIN_BASE=%q\nMETA_HOME=%q\nMETA_CLUSTER_ID=%q\n' \
    "$version" "$nodes" "$port_base" "$plain_base" "$home" "$cluster_id" > "$run/meta.tmp"
  mv "$run/meta.tmp" "$run/meta"
}
require_meta() {
  load_meta || die "no Kafka named '$name' has been started (no $run/meta); run: $0 start --name $name"
}
any_alive() { local i; for ((i = 1; i <= nodes; i++)); do node_alive "$i" && return 0; done; return 1; }

# PLAINTEXT moves (cmd_move); CONTROLLER and, with one node, SASL_PLAINTEXT/SSL/SASL_SSL stay on port_base
plain_port() { echo $((plain_base + 10 * ($1 - 1))); }
ctrl_port() { echo $((port_base + 10 * ($1 - 1) + 1)); }
# Three nodes: the PROXIED listener, and the port it advertises (where a TCP proxy forwards to it)
proxied_port() { echo $((port_base + 10 * ($1 - 1) + 2)); }
proxy_port() { echo $((port_base + 10 * ($1 - 1) + 3)); }
bootstrap() {
  local i out=""
  for ((i = 1; i <= nodes; i++)); do out+=${out:+,}127.0.0.1:$(plain_port "$i"); done
  echo "$out"
}

# wait_gone SECONDS PID... -> 0 when all are gone
wait_gone() {
  local secs=$1 p left; shift
  local deadline=$((SECONDS + secs))
  while :; do
    left=0
    for p in "$@"; do alive "$p" && left=1; done
    ((left)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# stop_nodes SIG_TIMEOUT NODE... : SIGTERM, wait, SIGKILL
stop_nodes() {
  local secs=$1 i p; shift
  local pids=()
  for i in "$@"; do p=$(node_pid "$i"); alive "$p" && { kill -TERM "$p" 2>/dev/null || true; pids+=("$p"); }; done
  ((${#pids[@]})) || return 0
  if ! wait_gone "$secs" "${pids[@]}"; then
    note "nodes still running after ${secs}s; sending SIGKILL"
    for p in "${pids[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
    wait_gone 10 "${pids[@]}" || die "could not kill pids ${pids[*]}"
  fi
  for i in "$@"; do rm -f "$run/node$i/pid"; done
}
kill_nodes() { # SIGKILL now
  local i p pids=()
  for i in "$@"; do p=$(node_pid "$i"); alive "$p" && { kill -KILL "$p" 2>/dev/null || true; pids+=("$p"); }; done
  ((${#pids[@]})) && { wait_gone 10 "${pids[@]}" || die "could not kill pids ${pids[*]}"; }
  for i in "$@"; do rm -f "$run/node$i/pid"; done
}
all_nodes() { seq 1 "$nodes"; }

# ---------------------------------------------------------------- readiness
# kcat_meta BOOTSTRAP [kcat -X options...] -> prints the number of brokers in a metadata response
kcat_meta() {
  local b=$1; shift
  timeout 15 kcat -b "$b" -L -m 5 "$@" 2>/dev/null | sed -n 's/^ \([0-9][0-9]*\) brokers:.*/\1/p' | head -n1
}
probe() { # probe LABEL BOOTSTRAP EXPECTED_BROKERS [kcat -X...]: retries until the deadline
  local label=$1 b=$2 want=$3 got; shift 3
  while :; do
    if command -v kcat >/dev/null; then
      got=$(kcat_meta "$b" "$@" || true)
      [ "$got" = "$want" ] && return 0
    else
      kafka_run_tool "$version" TopicCommand --bootstrap-server "$b" --list >/dev/null 2>&1 && return 0
    fi
    ((SECONDS < deadline)) || { note "$label ($b) did not answer metadata with $want broker(s) in time (last: ${got:-none})"; return 1; }
    sleep 0.5
  done
}

fail_start() { # fail_start MESSAGE NODE...(logs to show)
  local msg=$1 i; shift
  echo "$KAFKA_PROG: error: $msg" >&2
  for i in "$@"; do
    echo "----- last 40 lines of $run/node$i/server.log -----" >&2
    tail -n 40 "$run/node$i/server.log" >&2 2>/dev/null || true
  done
  exit 1   # the EXIT trap kills what was started
}

# wait_started DEADLINE "NODE:LOGOFFSET"... : grep "Kafka Server started" past the offset, watch the JVM
wait_started() {
  local pending=("$@") next item i off
  while ((${#pending[@]})); do
    next=()
    for item in "${pending[@]}"; do
      i=${item%%:*} off=${item#*:}
      if tail -n +"$((off + 1))" "$run/node$i/server.log" 2>/dev/null | grep -q "Kafka Server started"; then
        continue
      fi
      node_alive "$i" || fail_start "node $i (pid $(node_pid "$i")) exited during start-up" "$i"
      next+=("$item")
    done
    pending=("${next[@]+"${next[@]}"}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      local n=(); for item in "${pending[@]}"; do n+=("${item%%:*}"); done
      fail_start "node(s) ${n[*]} did not log 'Kafka Server started' within ${start_timeout}s" "${n[@]}"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- config
port_owner() {
  local p=$1 line
  if command -v ss >/dev/null; then
    line=$(ss -ltnpH "sport = :$p" 2>/dev/null | head -n1)
    [ -n "$line" ] && { echo "$line" | awk '{print $4, $6}'; return 0; }
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "something accepting connections"; return 0; }
  return 1
}
check_ports() {
  local i label p owner bad=0 labels
  for ((i = 1; i <= nodes; i++)); do
    if ((nodes == 1)); then labels=(PLAINTEXT CONTROLLER SASL_PLAINTEXT SSL SASL_SSL OAUTH REAUTH KERB KDC TLS12)
    else labels=(PLAINTEXT CONTROLLER PROXIED); fi
    p=$((port_base + 10 * (i - 1)))   # a fresh start: plain_base = port_base
    for label in "${labels[@]}"; do
      if owner=$(port_owner "$p"); then
        echo "$KAFKA_PROG: error: port $p (node $i $label) is already in use: $owner" >&2; bad=1
      fi
      p=$((p + 1))
    done
  done
  ((bad == 0)) || die "pick free ports with --port-base, or stop whatever holds them"
}

write_server_properties() { # NODE
  local i=$1 p c f voters="" j
  p=$(plain_port "$i") c=$(ctrl_port "$i") f=$run/node$i/server.properties
  for ((j = 1; j <= nodes; j++)); do voters+=${voters:+,}$j@127.0.0.1:$(ctrl_port "$j"); done
  local rf=$((nodes >= 3 ? 3 : 1)) isr=$((nodes >= 3 ? 2 : 1))
  {
    echo "# generated by scripts/kafka-broker.sh for '$name' (Kafka $version, node $i of $nodes)"
    echo "process.roles=broker,controller"
    echo "node.id=$i"
    echo "controller.quorum.voters=$voters"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=PLAINTEXT"
    if ((nodes == 1)); then
      local b=$port_base
      local sasl_ports="SASL_PLAINTEXT://127.0.0.1:$((b + 2)),SSL://127.0.0.1:$((b + 3)),SASL_SSL://127.0.0.1:$((b + 4)),OAUTH://127.0.0.1:$((b + 5)),REAUTH://127.0.0.1:$((b + 6)),KERB://$krb_host:$((b + 7)),TLS12://127.0.0.1:$((b + 9))"
      echo "listeners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$c,$sasl_ports"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:$p,$sasl_ports"
      echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,OAUTH:SASL_PLAINTEXT,REAUTH:SASL_PLAINTEXT,KERB:SASL_PLAINTEXT,TLS12:SSL"
    else
      # PROXIED: a plaintext listener for clients that reach the node through a TCP proxy
      # (tests/chaos/proxy.py): it advertises the proxy's port, so metadata sends them through it too.
      echo "listeners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$c,PROXIED://127.0.0.1:$(proxied_port "$i")"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:$p,PROXIED://127.0.0.1:$(proxy_port "$i")"
      echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT"
    fi
    echo "log.dirs=$run/node$i/data"
    cat <<EOF
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=6000
group.consumer.session.timeout.ms=10000
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
EOF
    case "$version" in
      3.*) echo "group.coordinator.rebalance.protocols=classic,consumer" ;;
      *)   echo "share.coordinator.state.topic.replication.factor=$rf"
           echo "share.coordinator.state.topic.min.isr=$isr"
           # share groups (KIP-932): members heard from every second, gone after 10 s; a group
           # may set share.record.lock.duration.ms as low as 1 s (tests of lock expiry)
           echo "group.share.min.heartbeat.interval.ms=500"
           echo "group.share.heartbeat.interval.ms=1000"
           echo "group.share.min.session.timeout.ms=6000"
           echo "group.share.session.timeout.ms=10000"
           echo "group.share.min.record.lock.duration.ms=1000" ;;
    esac
    # a node restarted after SIGKILL waits for its old session to expire (default 9 s)
    echo "broker.heartbeat.interval.ms=1000"
    echo "broker.session.timeout.ms=6000"
    if ((nodes == 1)); then
      local tls=$run/tls l m
      echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
      for l in sasl_plaintext sasl_ssl; do
        echo "listener.name.$l.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin=\"admin-secret\" user_alice=\"alice-secret\";"
        for m in scram-sha-256 scram-sha-512; do
          echo "listener.name.$l.$m.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
        done
      done
      # OAUTH: OAUTHBEARER checked by our subclass of Kafka's unsecured validator (alg=none tokens,
      # expiry and principal checked; of the SASL extensions, "tenant" must be "kafka-cpp", see
      # scripts/kafka/TenantExtensionValidator.java). REAUTH: PLAIN and OAUTHBEARER sessions that last
      # 5 s (KIP-368), with the stock validator (every extension accepted).
      local oauth_module="org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
      echo "listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER"
      echo "listener.name.oauth.oauthbearer.sasl.jaas.config=$oauth_module"
      echo "listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=kafkacpp.rig.TenantExtensionValidator"
      echo "listener.name.reauth.sasl.enabled.mechanisms=PLAIN,OAUTHBEARER"
      echo "listener.name.reauth.oauthbearer.sasl.jaas.config=$oauth_module"
      echo "listener.name.reauth.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin=\"admin-secret\" user_alice=\"alice-secret\";"
      echo "listener.name.reauth.plain.connections.max.reauth.ms=5000"
      echo "listener.name.reauth.oauthbearer.connections.max.reauth.ms=5000"
      # KERB: GSSAPI against the run dir's KDC with the broker's keytab. The service name is the global
      # setting: a listener-prefixed sasl.kerberos.service.name was not picked up when this was tried.
      echo "sasl.kerberos.service.name=$krb_service"
      echo "listener.name.kerb.sasl.enabled.mechanisms=GSSAPI"
      # TLS12: the SSL listener's keys, but a broker that speaks TLS 1.2 only (a 1.3-only client must fail)
      echo "listener.name.tls12.ssl.enabled.protocols=TLSv1.2"
      echo "listener.name.kerb.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"$krb/broker.keytab\" principal=\"$krb_service/$krb_host@$krb_realm\";"
      cat <<EOF
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.keystore.p12
ssl.keystore.password=changeit
ssl.key.password=changeit
ssl.truststore.type=PKCS12
ssl.truststore.location=$tls/truststore.p12
ssl.truststore.password=changeit
listener.name.ssl.ssl.client.auth=requested
EOF
    fi
    if ((${#rack_list[@]})); then echo "broker.rack=${rack_list[$((i - 1))]}"; fi
    if ((${#broker_configs[@]})); then
      echo "# --broker-config"
      printf '%s\n' "${broker_configs[@]}"
    fi
  } > "$f"
}

write_env() {
  local f=$run/env tls=$run/tls
  q() { # plain when safe, else single-quoted: readable by sh, bash and simple KEY=VALUE parsers
    if [[ $2 =~ ^[A-Za-z0-9_./:@,+=-]*$ ]]; then printf 'export %s=%s\n' "$1" "$2"
    else printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; fi
  }
  {
    q KAFKA_NAME "$name"
    q KAFKA_RUN_DIR "$run"
    q KAFKA_VERSION "$version"
    q KAFKA_HOME "$home"
    q KAFKA_NODES "$nodes"
    q KAFKA_CLUSTER_ID "$cluster_id"
    q KAFKA_BOOTSTRAP "$(bootstrap)"
    q KAFKA_RACKS "$racks"
    if ((nodes == 1)); then
      q KAFKA_BOOTSTRAP_SASL_PLAINTEXT "127.0.0.1:$((port_base + 2))"
      q KAFKA_BOOTSTRAP_SSL "127.0.0.1:$((port_base + 3))"
      q KAFKA_BOOTSTRAP_TLS12 "127.0.0.1:$((port_base + 9))"
      q KAFKA_BOOTSTRAP_SASL_SSL "127.0.0.1:$((port_base + 4))"
      q KAFKA_BOOTSTRAP_OAUTH "127.0.0.1:$((port_base + 5))"
      q KAFKA_BOOTSTRAP_REAUTH "127.0.0.1:$((port_base + 6))"
      q KAFKA_CA_FILE "$tls/ca.pem"
      q KAFKA_OTHER_CA_FILE "$tls/other-ca.pem"
      q KAFKA_CLIENT_CERT "$tls/client.pem"
      q KAFKA_CLIENT_KEY "$tls/client.key"
      q KAFKA_OTHER_CLIENT_CERT "$tls/other-client.pem"
      q KAFKA_OTHER_CLIENT_KEY "$tls/other-client.key"
      q KAFKA_SASL_MECHANISMS "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
      q KAFKA_SASL_USER alice
      q KAFKA_SASL_PASSWORD alice-secret
      q KAFKA_SASL_ADMIN_USER admin
      q KAFKA_SASL_ADMIN_PASSWORD admin-secret
      q KAFKA_BOOTSTRAP_KERBEROS "$krb_host:$((port_base + 7))"
      q KAFKA_KRB5_CONFIG "$krb/krb5.conf"
      q KAFKA_KRB5_REALM "$krb_realm"
      q KAFKA_KRB5_KDC "127.0.0.1:$((port_base + 8))"
      q KAFKA_KRB5_SERVICE_NAME "$krb_service"
      q KAFKA_KRB5_CLIENT_PRINCIPAL "$krb_client@$krb_realm"
      q KAFKA_KRB5_CLIENT_KEYTAB "$krb/$krb_client.keytab"
      q KAFKA_KRB5_UNKNOWN_PRINCIPAL "$krb_unknown@$krb_realm"
      q KAFKA_KRB5_UNKNOWN_KEYTAB "$krb/$krb_unknown.keytab"
    else
      local i routes="" proxied=""
      for ((i = 1; i <= nodes; i++)); do
        proxied+=${proxied:+,}127.0.0.1:$(proxy_port "$i") routes+=${routes:+ }$(proxy_port "$i"):$(proxied_port "$i")
      done
      q KAFKA_BOOTSTRAP_PROXIED "$proxied"
      q KAFKA_PROXY_ROUTES "$routes"
      local v
      for v in KAFKA_BOOTSTRAP_SASL_PLAINTEXT KAFKA_BOOTSTRAP_SSL KAFKA_BOOTSTRAP_TLS12 KAFKA_BOOTSTRAP_SASL_SSL KAFKA_BOOTSTRAP_OAUTH \
               KAFKA_BOOTSTRAP_REAUTH KAFKA_CA_FILE \
               KAFKA_OTHER_CA_FILE KAFKA_CLIENT_CERT KAFKA_CLIENT_KEY KAFKA_OTHER_CLIENT_CERT \
               KAFKA_OTHER_CLIENT_KEY KAFKA_SASL_MECHANISMS KAFKA_SASL_USER KAFKA_SASL_PASSWORD \
               KAFKA_SASL_ADMIN_USER KAFKA_SASL_ADMIN_PASSWORD \
               KAFKA_BOOTSTRAP_KERBEROS KAFKA_KRB5_CONFIG KAFKA_KRB5_REALM KAFKA_KRB5_KDC KAFKA_KRB5_SERVICE_NAME \
               KAFKA_KRB5_CLIENT_PRINCIPAL KAFKA_KRB5_CLIENT_KEYTAB KAFKA_KRB5_UNKNOWN_PRINCIPAL \
               KAFKA_KRB5_UNKNOWN_KEYTAB; do q "$v" ""; done
    fi
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

new_cluster_id() { # a Kafka Uuid in its base64url form, without the tool JVM
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id == -* || $id == AAAAAAAAAAAAAAAAAAAAA* ]] || break
  done
  echo "$id"
}

launch_node() { # NODE ; appends to server.log
  local i=$1; local nd=$run/node$i cp="$home/libs/*" krb_opts=()
  if ((nodes == 1)); then
    # the KERB listener's JAAS login reads the rig's krb5.conf (never the machine's), and the OAUTH
    # listener's callback handler is our class; KAFKA_BROKER_JVM_OPTS comes later, so it can override
    ensure_rig_jar
    cp+=:$rig_jar
    krb_opts=("-Djava.security.krb5.conf=$krb/krb5.conf")
  fi
  mkdir -p "$nd/logs"
  rm -f "$nd/pid"
  # shellcheck disable=SC2086 # option word lists on purpose
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$nd/pid" \
    java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      "${krb_opts[@]+"${krb_opts[@]}"}" ${KAFKA_BROKER_JVM_OPTS:-} "-Dkafka.logs.dir=$nd/logs" \
      "$(kafka_log_opt "$version" broker)" -cp "$cp" kafka.Kafka "$nd/server.properties" \
    >> "$nd/server.log" 2>&1 < /dev/null &
  local t=0
  until [ -s "$nd/pid" ]; do sleep 0.05; t=$((t + 1)); ((t < 200)) || die "node $i did not start (no pid file)"; done
}

# ---------------------------------------------------------------- broker-side classes of the rig
# scripts/kafka/*.java (the OAUTH listener's TenantExtensionValidator), compiled with the JDK against
# this version's own jars into .cache/rig/kafka-<version>/kafkacpp-rig.jar, again only when a source
# is newer than the jar. It is built in a temporary directory and renamed into place, so two starts
# of the same version at once both find a whole jar.
ensure_rig_jar() { # sets rig_jar
  local dir=$KAFKA_CACHE_DIR/rig/kafka-$version src stale=0 tmp
  local srcs=("$KAFKA_SCRIPTS_DIR"/*.java)
  rig_jar=$dir/kafkacpp-rig.jar
  if [ -f "$rig_jar" ]; then
    for src in "${srcs[@]}"; do if [ "$src" -nt "$rig_jar" ]; then stale=1; fi; done
  else
    stale=1
  fi
  ((stale)) || return 0
  if ! command -v javac >/dev/null || ! command -v jar >/dev/null; then
    die "javac and jar not found: the one-node rig compiles a broker plug-in (a JDK; run scripts/install-deps.sh)"
  fi
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  if ! javac -J-Xmx256m -nowarn -Xlint:none -d "$tmp/classes" -cp "$home/libs/*" "${srcs[@]}" > "$tmp/build.log" 2>&1 \
     || ! jar cf "$tmp/kafkacpp-rig.jar" -C "$tmp/classes" . >> "$tmp/build.log" 2>&1; then
    cat "$tmp/build.log" >&2
    rm -rf "$tmp"
    die "compiling ${srcs[*]} against the Kafka $version jars failed"
  fi
  mv -f "$tmp/kafkacpp-rig.jar" "$rig_jar"
  rm -rf "$tmp"
  note "compiled the rig's broker classes for Kafka $version into $rig_jar"
}

# ---------------------------------------------------------------- Kerberos KDC (one-node clusters)
# A private MIT KDC per run dir, so GSSAPI needs neither the machine's /etc/krb5.conf nor a system KDC:
# realm KAFKA.TEST on 127.0.0.1:P+8, with its configuration, database, stash, logs and keytabs in
# $run/krb5. Principals:
#   kafka/127.0.0.1  the broker. Clients name the service kafka/<host they connect to> and the KERB
#                    listener advertises 127.0.0.1, so that is the instance (no DNS, no reverse lookup).
#   alice            a client, with alice.keytab.
#   mallory          mallory.keytab holds keys of a principal that is deleted right after: a client
#                    the KDC does not know (the "wrong principal" case).
# It runs from `start` until `stop` (a failed start stops it too); kill-node leaves it alone, and
# restart-node/move start it again if it is gone.
krb_realm=KAFKA.TEST
krb_service=kafka
krb_host=127.0.0.1
krb_client=alice
krb_unknown=mallory
# krb5kdc, kdb5_util and kadmin.local live in sbin, which a non-root PATH often lacks
krb_path=$PATH:/usr/local/sbin:/usr/sbin:/sbin
krb_env() { env PATH="$krb_path" KRB5_CONFIG="$krb/krb5.conf" KRB5_KDC_PROFILE="$krb/kdc.conf" "$@"; }
kdc_pid() { cat "$krb/kdc.pid" 2>/dev/null || true; }
kdc_alive() { alive "$(kdc_pid)" "$krb/"; }

check_krb_tools() {
  local t
  for t in krb5kdc kdb5_util kadmin.local kinit; do
    PATH=$krb_path command -v "$t" >/dev/null \
      || die "$t not found: the one-node rig runs a Kerberos KDC (run scripts/install-deps.sh: krb5-kdc krb5-admin-server krb5-user)"
  done
}

setup_kdc() { # writes $krb: configuration, database, principals, keytabs (the KDC is not started)
  local port=$((port_base + 8)) pw q
  mkdir -p "$krb"
  chmod 700 "$krb"   # the stash file and the keytabs are keys
  # udp_preference_limit=1: every client (the broker's JVM, librdkafka through Cyrus SASL, ours) uses
  # TCP, the one transport all of them do alike. No DNS, no reverse lookups, no canonicalisation: the
  # service principal is built from the address exactly as the client was given it. The default ticket
  # cache is a file here, so a client that forgets KRB5CCNAME still leaves the user's own cache alone.
  cat > "$krb/krb5.conf" <<KRB5CONF
# generated by scripts/kafka-broker.sh for '$name': the private realm of its KDC
[libdefaults]
  default_realm = $krb_realm
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
  default_ccache_name = FILE:$krb/default.ccache

[realms]
  $krb_realm = {
    kdc = 127.0.0.1:$port
  }

[domain_realm]
  127.0.0.1 = $krb_realm
  localhost = $krb_realm
KRB5CONF
  cat > "$krb/kdc.conf" <<KDCCONF
# generated by scripts/kafka-broker.sh for '$name'; kadmind is not run (kadmin.local edits the database)
[kdcdefaults]
  kdc_listen = 127.0.0.1:$port
  kdc_tcp_listen = 127.0.0.1:$port

[realms]
  $krb_realm = {
    database_name = $krb/principal
    key_stash_file = $krb/stash
    acl_file = $krb/kadm5.acl
    max_life = 1d
    max_renewable_life = 7d
  }

[logging]
  kdc = FILE:$krb/kdc.log
  admin_server = FILE:$krb/kadmin.log
  default = FILE:$krb/krb5lib.log
KDCCONF
  : > "$krb/kadm5.acl"
  # the master password only seeds the stash file, which is all the KDC needs from then on
  pw=$(head -c 24 /dev/urandom | base64 | tr -d '\n')
  krb_env kdb5_util -r "$krb_realm" create -s -P "$pw" > "$krb/setup.log" 2>&1 \
    || { cat "$krb/setup.log" >&2; die "creating the Kerberos database in $krb failed"; }
  local queries=(
    "addprinc -randkey $krb_service/$krb_host"
    "addprinc -randkey $krb_client"
    "addprinc -randkey $krb_unknown"
    "ktadd -k \"$krb/broker.keytab\" $krb_service/$krb_host"
    "ktadd -k \"$krb/$krb_client.keytab\" $krb_client"
    "ktadd -k \"$krb/$krb_unknown.keytab\" $krb_unknown"
    "delprinc -force $krb_unknown"
  )
  for q in "${queries[@]}"; do
    krb_env kadmin.local -r "$krb_realm" -q "$q" >> "$krb/setup.log" 2>&1 \
      || { cat "$krb/setup.log" >&2; die "kadmin.local -q '$q' failed"; }
  done
  # kadmin.local has not always reported a failed query in its exit status: check the results
  for q in broker "$krb_client" "$krb_unknown"; do
    [ -s "$krb/$q.keytab" ] || { cat "$krb/setup.log" >&2; die "no keytab $krb/$q.keytab after kadmin.local"; }
  done
}

launch_kdc() { # starts krb5kdc in its own session (like the brokers) and waits until it accepts TCP
  local port=$((port_base + 8)) t=0 pid
  rm -f "$krb/kdc.pid"
  # -n: stay in the foreground, so the pid written by the wrapper is the KDC's (-P writes the same)
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
  krb_env setsid bash -c 'echo $$ > "$0"; exec "$@"' "$krb/kdc.pid" \
    krb5kdc -n -r "$krb_realm" -P "$krb/kdc.pid" >> "$krb/kdc.out" 2>&1 < /dev/null &
  while :; do
    pid=$(kdc_pid)
    if [ -n "$pid" ] && ! kdc_alive; then
      tail -n 20 "$krb/kdc.out" "$krb/kdc.log" >&2 2>/dev/null || true
      die "the KDC (krb5kdc, 127.0.0.1:$port) exited during start-up"
    fi
    if [ -n "$pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    t=$((t + 1))
    ((t < 200)) || die "the KDC (krb5kdc) did not accept connections on 127.0.0.1:$port within 20s"
    sleep 0.1
  done
}

stop_kdc() { # SIGTERM the run dir's KDC, SIGKILL after 5 s; 1 when it would not go
  local pid t=0
  pid=$(kdc_pid)
  if alive "$pid" "$krb/"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" "$krb/"; do
      t=$((t + 1))
      if ((t == 50)); then note "the KDC (pid $pid) still runs after 5s; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
      if ((t >= 150)); then note "could not kill the KDC (pid $pid)"; return 1; fi
      sleep 0.1
    done
  fi
  rm -f "$krb/kdc.pid"
}

ensure_kdc() { # restart-node/move: a one-node cluster's brokers log in to the KDC when they start
  ((nodes == 1)) && [ -f "$krb/kdc.conf" ] || return 0
  kdc_alive && return 0
  note "the KDC of '$name' is not running; starting it again"
  launch_kdc
}

parse_topics() { # validates --topics, fills topic_specs
  topic_specs=()
  local IFS=, spec t p r
  for spec in $topics; do
    spec=${spec// /}
    [ -n "$spec" ] || continue
    IFS=: read -r t p r <<< "$spec"
    p=${p:-1} r=${r:-$((nodes >= 3 ? 3 : 1))}
    [[ $t =~ ^[A-Za-z0-9._-]+$ && $p =~ ^[1-9][0-9]*$ && $r =~ ^[1-9][0-9]*$ ]] \
      || die "bad topic spec '$spec' in --topics (want NAME[:PARTITIONS[:RF]], comma separated)"
    topic_specs+=("$t:$p:$r")
  done
}

parse_racks() { # validates --racks, fills rack_list (empty: no broker.rack)
  rack_list=()
  [ -n "$racks" ] || return 0
  local IFS=, r
  for r in $racks; do
    [[ $r =~ ^[A-Za-z0-9._-]+$ ]] || die "bad rack '$r' in --racks (letters, digits, . _ -)"
    rack_list+=("$r")
  done
  ((${#rack_list[@]} == nodes)) || die "--racks names ${#rack_list[@]} rack(s) for $nodes node(s): give one per node"
}

create_topic() { # TOPIC PARTS RF
  KAFKA_VERSION=$version timeout 120 "$KAFKA_SCRIPTS_DIR/run-tool.sh" TopicCommand --bootstrap-server "$(bootstrap)" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor "$3" >/dev/null \
    || { note "creating topic $1 ($2 partitions, RF $3) failed"; return 1; }
}

# ---------------------------------------------------------------- commands
cmd_start() {
  ((${#args[@]} == 0)) || die "start: unexpected argument '${args[0]}'"
  local want_version=${version:-$KAFKA_DEFAULT_VERSION} want_nodes=${nodes:-1} want_base=${port_base:-19092}
  if load_meta && any_alive; then
    if ((if_not_running)); then
      if [ "$version:$nodes:$port_base" != "$want_version:$want_nodes:$want_base" ]; then
        note "'$name' is already running as Kafka $version, $nodes node(s), port base $port_base (not what was asked)"
      fi
      ((plain_base == port_base)) || note "'$name' has its PLAINTEXT listeners moved: $(bootstrap)"
      return 0
    fi
    die "Kafka '$name' is already running (Kafka $version, $nodes node(s), bootstrap $(bootstrap)); stop it first: $0 stop --name $name"
  fi
  version=$want_version nodes=$want_nodes port_base=$want_base plain_base=$want_base
  kafka_check_version "$version"
  [[ $nodes == 1 || $nodes == 3 ]] || die "--nodes must be 1 or 3"
  local span=$((nodes == 1 ? 9 : 10 * (nodes - 1) + 1))   # the highest port used is P+span
  [[ $port_base =~ ^[0-9]+$ ]] && ((port_base >= 1024 && port_base + span <= 65535)) \
    || die "--port-base must be a number between 1024 and $((65535 - span))"
  command -v java >/dev/null || die "java not found (run scripts/install-deps.sh)"
  ((nodes == 1)) && check_krb_tools
  command -v kcat >/dev/null || note "kcat not found: readiness is checked with TopicCommand (slower)"
  parse_topics
  parse_racks
  local kv
  for kv in "${broker_configs[@]+"${broker_configs[@]}"}"; do
    [[ $kv =~ ^[A-Za-z0-9][A-Za-z0-9._-]*=[^$'\n']*$ ]] || die "bad --broker-config '$kv' (want KEY=VALUE on one line)"
  done
  # a KDC of the previous run of this name outlives killed nodes (only `stop` ends it); it would hold
  # P+8 and lose its files to the wipe below
  if kdc_alive; then note "stopping the KDC left by the previous run of '$name' (pid $(kdc_pid))"; fi
  stop_kdc || die "the KDC of the previous run of '$name' (pid $(kdc_pid)) does not stop"
  check_ports
  home=$(kafka_home "$version")
  local t0=$SECONDS

  # a leftover run of this name (all nodes dead by now) goes away with its data
  rm -rf "$run"
  mkdir -p "$run"
  started_ok=0
  trap 'rc=$?; if [ "${started_ok:-1}" != 1 ]; then kill_nodes $(all_nodes) >/dev/null 2>&1 || true; stop_kdc >/dev/null 2>&1 || true; fi; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cluster_id=$(new_cluster_id)
  write_meta

  if ((nodes == 1)); then
    "$KAFKA_TOP/scripts/tls-setup.sh" "$KAFKA_CACHE_DIR/tls" || die "TLS set-up failed"
    mkdir -p "$run/tls"
    cp -p "$KAFKA_CACHE_DIR/tls/"*.pem "$KAFKA_CACHE_DIR/tls/"*.key "$KAFKA_CACHE_DIR/tls/"*.p12 \
      "$KAFKA_CACHE_DIR/tls/password" "$run/tls/"
    ensure_rig_jar
    # the KDC must answer before the brokers start: the KERB listener's JAAS login asks it for a ticket
    setup_kdc
    launch_kdc
  fi

  local i scram=()
  if ((nodes == 1)); then
    local m u
    for m in SCRAM-SHA-256 SCRAM-SHA-512; do
      for u in admin alice; do scram+=(--add-scram "$m=[name=$u,password=$u-secret]"); done
    done
  fi
  for ((i = 1; i <= nodes; i++)); do
    mkdir -p "$run/node$i/data"
    write_server_properties "$i"
    KAFKA_VERSION=$version timeout 120 "$KAFKA_SCRIPTS_DIR/run-tool.sh" StorageTool format --cluster-id "$cluster_id" \
      --config "$run/node$i/server.properties" "${scram[@]+"${scram[@]}"}" > "$run/node$i/format.log" 2>&1 \
      || { cat "$run/node$i/format.log" >&2; die "formatting node $i failed"; }
  done

  local t_format=$((SECONDS - t0))
  note "starting Kafka $version '$name' ($nodes node(s), bootstrap $(bootstrap))"
  deadline=$((SECONDS + start_timeout))
  local waits=()
  for ((i = 1; i <= nodes; i++)); do launch_node "$i"; waits+=("$i:0"); done
  wait_started "${waits[@]}"
  probe PLAINTEXT "$(bootstrap)" "$nodes" || fail_start "the cluster did not become ready" $(all_nodes)
  if ((nodes == 1)) && command -v kcat >/dev/null; then
    local tls=$run/tls
    # PLAIN only: librdkafka < 2.6.1 (kcat here) fails SCRAM against Kafka 4.x brokers (client nonce bug)
    probe "SASL_PLAINTEXT/PLAIN" "127.0.0.1:$((port_base + 2))" 1 -X security.protocol=SASL_PLAINTEXT \
      -X sasl.mechanisms=PLAIN -X sasl.username=alice -X sasl.password=alice-secret \
      || fail_start "the SASL_PLAINTEXT listener does not work" 1
    probe SSL "127.0.0.1:$((port_base + 3))" 1 -X security.protocol=SSL -X "ssl.ca.location=$tls/ca.pem" \
      || fail_start "the SSL listener does not work" 1
    probe "TLS12 (TLS 1.2 only)" "127.0.0.1:$((port_base + 9))" 1 -X security.protocol=SSL -X "ssl.ca.location=$tls/ca.pem" \
      || fail_start "the TLS12 listener does not work" 1
    probe "SASL_SSL/PLAIN" "127.0.0.1:$((port_base + 4))" 1 -X security.protocol=SASL_SSL \
      -X "ssl.ca.location=$tls/ca.pem" -X sasl.mechanisms=PLAIN -X sasl.username=alice -X sasl.password=alice-secret \
      || fail_start "the SASL_SSL listener does not work" 1
    probe "OAUTH/OAUTHBEARER" "127.0.0.1:$((port_base + 5))" 1 -X security.protocol=SASL_PLAINTEXT \
      -X sasl.mechanisms=OAUTHBEARER -X enable.sasl.oauthbearer.unsecure.jwt=true -X sasl.oauthbearer.config=principal=alice \
      || fail_start "the OAUTH (OAUTHBEARER) listener does not work" 1
    # GSSAPI as alice: librdkafka runs the kinit command itself, into a ticket cache of the run dir
    # (never the user's default cache); the service principal it asks for is kafka/127.0.0.1
    KRB5_CONFIG=$krb/krb5.conf KRB5CCNAME=FILE:$krb/probe.ccache PATH=$krb_path \
      probe "KERB/GSSAPI" "$krb_host:$((port_base + 7))" 1 -X security.protocol=SASL_PLAINTEXT \
      -X sasl.mechanisms=GSSAPI -X "sasl.kerberos.service.name=$krb_service" \
      -X "sasl.kerberos.keytab=$krb/$krb_client.keytab" -X "sasl.kerberos.principal=$krb_client@$krb_realm" \
      -X 'sasl.kerberos.kinit.cmd=kinit -k -t "%{sasl.kerberos.keytab}" %{sasl.kerberos.principal}' \
      || fail_start "the KERB (GSSAPI) listener does not work (KDC log: $krb/kdc.log)" 1
  fi
  write_env
  local t_ready=$((SECONDS - t0)) spec t p r
  for spec in "${topic_specs[@]+"${topic_specs[@]}"}"; do
    IFS=: read -r t p r <<< "$spec"
    create_topic "$t" "$p" "$r" || fail_start "topic creation failed" $(all_nodes)
  done
  started_ok=1
  trap - EXIT INT TERM
  note "Kafka $version '$name' is up in $((SECONDS - t0))s (set-up+format ${t_format}s, ready at ${t_ready}s, then ${#topic_specs[@]} topic(s)); env: $run/env"
  cat "$run/env"
}

cmd_stop() {
  local kdc_note="" stopped=0
  kdc_alive && kdc_note=" and its KDC (pid $(kdc_pid))"
  if ! load_meta; then
    note "no Kafka named '$name' is running (nothing in $run)"
  elif ! any_alive; then
    note "Kafka '$name' is not running${kdc_note:+; stopping its KDC}"
    rm -f "$run"/node*/pid
  else
    note "stopping Kafka '$name' ($nodes node(s))$kdc_note"
    stop_nodes "$stop_timeout" $(all_nodes)
    stopped=1
  fi
  # the KDC goes in every case, also when the nodes are already gone (kill-node, a crash)
  stop_kdc || die "the KDC does not stop"
  ((stopped == 0)) || note "stopped"
}

cmd_status() {
  if ! load_meta; then echo "$name: not started"; return 1; fi
  local i up=0 p
  echo "$name: Kafka $version, $nodes node(s), run dir $run"
  for ((i = 1; i <= nodes; i++)); do
    p=$(plain_port "$i")
    if node_alive "$i"; then
      echo "  node $i: running, pid $(node_pid "$i"), PLAINTEXT 127.0.0.1:$p, CONTROLLER 127.0.0.1:$(ctrl_port "$i")"
      up=$((up + 1))
    else
      echo "  node $i: stopped"
    fi
  done
  if ((nodes == 1 && up == 1)); then
    echo "  SASL_PLAINTEXT 127.0.0.1:$((port_base + 2)), SSL 127.0.0.1:$((port_base + 3)), SASL_SSL 127.0.0.1:$((port_base + 4))"
    echo "  OAUTH (OAUTHBEARER) 127.0.0.1:$((port_base + 5)), REAUTH (PLAIN/OAUTHBEARER, 5 s sessions) 127.0.0.1:$((port_base + 6))"
    echo "  KERB (GSSAPI) $krb_host:$((port_base + 7)), TLS12 (SSL, TLS 1.2 only) 127.0.0.1:$((port_base + 9))"
  fi
  if ((nodes == 1)); then
    if kdc_alive; then echo "  KDC ($krb_realm): running, pid $(kdc_pid), 127.0.0.1:$((port_base + 8))"
    else echo "  KDC ($krb_realm): stopped"; fi
  fi
  ((up == nodes))
}

cmd_env() {
  require_meta
  [ -f "$run/env" ] || die "'$name' has no env file (its start did not finish)"
  any_alive || note "warning: Kafka '$name' is not running"
  cat "$run/env"
}

node_arg() {
  require_meta
  [[ $node =~ ^[0-9]+$ ]] && ((node >= 1 && node <= nodes)) || die "--node must be between 1 and $nodes"
}

cmd_kill_node() {
  node_arg
  if ! node_alive "$node"; then note "node $node of '$name' is not running"; return 0; fi
  note "SIGKILL node $node of '$name' (pid $(node_pid "$node"))"
  kill_nodes "$node"
}

cmd_stop_node() {
  node_arg
  if ! node_alive "$node"; then note "node $node of '$name' is not running"; return 0; fi
  note "stopping node $node of '$name'"
  stop_nodes "$stop_timeout" "$node"
}

cmd_restart_node() {
  node_arg
  if node_alive "$node"; then stop_nodes "$stop_timeout" "$node"; fi
  local lines
  lines=$(wc -l < "$run/node$node/server.log" 2>/dev/null || echo 0)
  echo "===== restart $(date '+%F %T') =====" >> "$run/node$node/server.log"
  lines=$((lines + 1))
  note "restarting node $node of '$name'"
  local t0=$SECONDS
  deadline=$((SECONDS + start_timeout))
  started_ok=0
  trap 'rc=$?; if [ "${started_ok:-1}" != 1 ]; then kill_nodes '"$node"' >/dev/null 2>&1 || true; fi; exit $rc' EXIT
  ensure_kdc
  launch_node "$node"
  wait_started "$node:$lines"
  probe "node $node" "127.0.0.1:$(plain_port "$node")" "$(any_count)" \
    || fail_start "node $node did not become ready" "$node"
  started_ok=1
  trap - EXIT
  note "node $node is up again in $((SECONDS - t0))s"
}
# move --plaintext-base P: every node's PLAINTEXT listener (listeners, advertised.listeners) to
# P+10*(i-1), a full restart of the cluster. The controller ports stay, so the KRaft quorum and its
# metadata log are the same; the brokers register their new endpoints when they come up.
cmd_move() {
  require_meta
  ((${#args[@]} == 0)) || die "move: unexpected argument '${args[0]}'"
  [ -n "$plain_base_arg" ] || die "usage: move [--name N] --plaintext-base P"
  local want=$plain_base_arg
  [[ $want =~ ^[0-9]+$ ]] && ((want >= 1024 && want + 10 * (nodes - 1) <= 65535)) \
    || die "--plaintext-base must be a number between 1024 and $((65535 - 10 * (nodes - 1)))"
  [ -f "$run/env" ] || die "'$name' has no env file (its start did not finish)"
  local i all_up=1
  for ((i = 1; i <= nodes; i++)); do node_alive "$i" || all_up=0; done
  if ((want == plain_base && all_up)); then
    note "'$name' already runs with PLAINTEXT on $(bootstrap)"
    return 0
  fi
  # The new ports: not one of the ports that stay (controllers, the one-node cluster's other
  # listeners), and free unless a PLAINTEXT listener of this cluster holds it (it stops first).
  local fixed=() old=() p owner bad=0
  for ((i = 1; i <= nodes; i++)); do fixed+=("$(ctrl_port "$i")"); old+=("$(plain_port "$i")"); done
  ((nodes == 1)) && fixed+=($((port_base + 2)) $((port_base + 3)) $((port_base + 4)) $((port_base + 5)) $((port_base + 6)) \
                           $((port_base + 7)) $((port_base + 8)) $((port_base + 9)))
  for ((i = 1; i <= nodes; i++)); do
    p=$((want + 10 * (i - 1)))
    if [[ " ${fixed[*]} " == *" $p "* ]]; then
      echo "$KAFKA_PROG: error: port $p (node $i PLAINTEXT) is one of the ports '$name' keeps (${fixed[*]})" >&2
      bad=1; continue
    fi
    [[ " ${old[*]} " == *" $p "* ]] && continue
    if owner=$(port_owner "$p"); then
      echo "$KAFKA_PROG: error: port $p (node $i PLAINTEXT) is already in use: $owner" >&2; bad=1
    fi
  done
  ((bad == 0)) || die "pick another --plaintext-base"
  local racks_now
  racks_now=$(KAFKA_RACKS="" && . "$run/env" && printf '%s' "${KAFKA_RACKS:-}") || die "cannot read $run/env"

  local from
  from=$(bootstrap)
  note "moving '$name' from PLAINTEXT $from to base $want: stopping all $nodes node(s)"
  local t0=$SECONDS
  stop_nodes "$stop_timeout" $(all_nodes)
  local t_stop=$((SECONDS - t0))
  plain_base=$want
  for ((i = 1; i <= nodes; i++)); do
    p=$(plain_port "$i")
    sed -E -i "s#^((listeners|advertised\.listeners)=(.*,)?)PLAINTEXT://127\.0\.0\.1:[0-9]+#\1PLAINTEXT://127.0.0.1:$p#" \
      "$run/node$i/server.properties"
    grep -Eq "^listeners=(.*,)?PLAINTEXT://127\.0\.0\.1:$p(,|\$)" "$run/node$i/server.properties" \
      && grep -Eq "^advertised\.listeners=(.*,)?PLAINTEXT://127\.0\.0\.1:$p(,|\$)" "$run/node$i/server.properties" \
      || die "could not set PLAINTEXT port $p in $run/node$i/server.properties"
  done
  # the run dir says where the nodes are from now on, also when the start below fails (run move again)
  write_meta
  racks=$racks_now
  write_env

  local waits=() lines
  deadline=$((SECONDS + start_timeout))
  started_ok=0
  trap 'rc=$?; if [ "${started_ok:-1}" != 1 ]; then kill_nodes $(all_nodes) >/dev/null 2>&1 || true; fi; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for ((i = 1; i <= nodes; i++)); do
    lines=$(wc -l < "$run/node$i/server.log" 2>/dev/null || echo 0)
    echo "===== move to PLAINTEXT 127.0.0.1:$(plain_port "$i") $(date '+%F %T') =====" >> "$run/node$i/server.log"
    waits+=("$i:$((lines + 1))")
  done
  ensure_kdc
  for ((i = 1; i <= nodes; i++)); do launch_node "$i"; done
  wait_started "${waits[@]}"
  probe PLAINTEXT "$(bootstrap)" "$nodes" || fail_start "the cluster did not become ready on $(bootstrap)" $(all_nodes)
  started_ok=1
  trap - EXIT INT TERM
  note "'$name' runs with PLAINTEXT on $(bootstrap) (was $from) after $((SECONDS - t0))s (stopped in ${t_stop}s)"
}

any_count() { local i c=0; for ((i = 1; i <= nodes; i++)); do node_alive "$i" && c=$((c + 1)); done; echo $c; }

cmd_topic() {
  require_meta
  any_alive || die "Kafka '$name' is not running"
  local sub=${args[0]:-} rf
  case "$sub" in
    create)
      ((${#args[@]} >= 3 && ${#args[@]} <= 4)) || die "usage: topic [--name N] create TOPIC PARTITIONS [RF]"
      rf=${args[3]:-$((nodes >= 3 ? 3 : 1))}
      [[ ${args[2]} =~ ^[1-9][0-9]*$ && $rf =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS and RF must be positive numbers"
      create_topic "${args[1]}" "${args[2]}" "$rf" ;;
    delete)
      ((${#args[@]} == 2)) || die "usage: topic [--name N] delete TOPIC"
      kafka_run_tool "$version" TopicCommand --bootstrap-server "$(bootstrap)" --delete --topic "${args[1]}" ;;
    list)
      kafka_run_tool "$version" TopicCommand --bootstrap-server "$(bootstrap)" --list ;;
    describe)
      kafka_run_tool "$version" TopicCommand --bootstrap-server "$(bootstrap)" --describe ${args[1]:+--topic "${args[1]}"} ;;
    *) die "usage: topic [--name N] create TOPIC PARTITIONS [RF] | delete TOPIC | list | describe [TOPIC]" ;;
  esac
}

cmd_produce() {
  require_meta
  ((${#args[@]} >= 1)) || die "usage: produce [--name N] TOPIC [KCAT ARGS...] < lines"
  command -v kcat >/dev/null || die "kcat not found"
  kcat -P -b "$(bootstrap)" -t "${args[0]}" "${args[@]:1}"
}

cmd_consume() {
  require_meta
  ((${#args[@]} >= 1)) || die "usage: consume [--name N] TOPIC [KCAT ARGS...]"
  command -v kcat >/dev/null || die "kcat not found"
  kcat -C -b "$(bootstrap)" -t "${args[0]}" -o beginning -e -q "${args[@]:1}"
}

case "$cmd" in
  start)        cmd_start ;;
  stop)         cmd_stop ;;
  status)       cmd_status ;;
  env)          cmd_env ;;
  kill-node)    cmd_kill_node ;;
  stop-node)    cmd_stop_node ;;
  restart-node) cmd_restart_node ;;
  move)         cmd_move ;;
  topic)        cmd_topic ;;
  produce)      cmd_produce ;;
  consume)      cmd_consume ;;
  *)            echo "$KAFKA_PROG: unknown command '$cmd'" >&2; usage ;;
esac
