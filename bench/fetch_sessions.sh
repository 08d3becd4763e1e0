#!/usr/bin/env bash
# bench/fetch_sessions.sh: what incremental fetch sessions (KIP-227) save when a consumer reads many
# partitions, measured against real brokers.
#
#   bench/fetch_sessions.sh [--records N] [--rounds R] [--idle S] [--keep]
#
# Two 3-node Kafka 4.3.1 clusters run side by side: "bs-on" as shipped (fetch sessions on) and
# "bs-off" with max.incremental.fetch.session.cache.slots=0 (the brokers hand out no session, so every
# Fetch names every partition, as before KIP-227). Each gets topic s1000 (1000 partitions, RF 1, so
# about 333 per broker) holding N records (default 2,000,000) of 100 B, written by Kafka's
# ProducerPerformance. Each round runs build-bench/bench/consume_bench (Release) once per cluster, in
# alternating order: assign all 1000 partitions, read the N records, then 1 s to settle and S seconds (default 10) of
# polling with nothing left to read. Reported per cluster, medians over the rounds (min-max): the
# process CPU (user+sys, /usr/bin/time), CPU per million records, bytes sent per request over the read,
# and bytes sent per request while idle (the steady-state Fetch). Ports 29092-29113 and 29292-29313;
# the clusters are stopped at the end unless --keep. Raw output: .cache/bench/sessions-<time>/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

records=2000000 rounds=5 idle=10 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --idle) idle=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/fetch_sessions.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $records =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ && $idle =~ ^[0-9]+$ ]] ||
  { echo "bench/fetch_sessions.sh: --records, --rounds and --idle take whole numbers" >&2; exit 2; }

log() { printf '[fetch_sessions %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
out=$top/.cache/bench/sessions-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

scripts/install-deps.sh >/dev/null
log "building consume_bench (build-bench, Release)"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DKAFKA_BUILD_BENCH=ON \
      -DKAFKA_BUILD_TESTS=OFF -DKAFKA_BUILD_EXAMPLES=OFF >/dev/null
ninja -C build-bench -j2 consume_bench >/dev/null
OURS=$top/build-bench/bench/consume_bench

declare -A base=([bs-on]=29092 [bs-off]=29292)
stop_all() { for c in bs-on bs-off; do scripts/kafka-broker.sh stop --name "$c" >/dev/null 2>&1 || true; done; }
[ "$keep" = 1 ] || trap stop_all EXIT

awk 'BEGIN { for (i = 0; i < 1000; i++) { s = sprintf("{\"id\":%d,\"v\":\"", i);
  while (length(s) < 98) s = s sprintf("%c", 97 + (i + length(s)) % 26); print s "\"}" } }' >"$out/payload.txt"

for c in bs-on bs-off; do
  extra=()
  [ "$c" = bs-off ] && extra=(--broker-config max.incremental.fetch.session.cache.slots=0)
  log "starting $c (3 nodes, port base ${base[$c]}) ${extra[*]:-}"
  scripts/kafka-broker.sh start --name "$c" --nodes 3 --port-base "${base[$c]}" --topics "s1000:1000:1" \
    "${extra[@]}" >"$out/start-$c.txt" 2>&1 || { cat "$out/start-$c.txt" >&2; exit 1; }
  log "producing $records records into $c/s1000"
  scripts/kafka/run-tool.sh ProducerPerformance --topic s1000 --num-records "$records" \
    --payload-file "$out/payload.txt" --throughput -1 \
    --command-property bootstrap.servers=127.0.0.1:${base[$c]} acks=1 linger.ms=20 \
    >"$out/produce-$c.txt" 2>&1 || { cat "$out/produce-$c.txt" >&2; exit 1; }
done

printf 'round\tcluster\tcpu_s\twall_s\trecords\tbytes_per_request\tidle_bytes_per_request\n' >"$out/runs.tsv"
run_one() { # ROUND CLUSTER
  local f=$out/run-$2-$1.txt
  /usr/bin/time -f 'time %e %U %S %M' "$OURS" -b "127.0.0.1:${base[$2]}" -t s1000 -n "$records" \
    --idle "$idle" --timeout 300 >"$f" 2>&1 || { cat "$f" >&2; exit 1; }
  awk -v r="$1" -v c="$2" '
    /^consume_bench: [0-9]+ records/ { n = $2 }
    /bytes sent per request/ && !/idle/ { b = $(NF-4) }
    /idle: .* bytes sent per request/ { ib = $(NF-4) }
    /^time / { wall = $2; cpu = $3 + $4 }
    END { printf "%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\n", r, c, cpu, wall, n, b, ib }' "$f" >>"$out/runs.tsv"
}
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=(bs-on bs-off); else order=(bs-off bs-on); fi
  for c in "${order[@]}"; do log "round $r: $c"; run_one "$r" "$c"; done
done

python3 - "$out" "$records" "$idle" <<'PY' | tee "$out/report.md"
import csv, statistics as st, sys
out, records, idle = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
def col(c, k): return [float(r[k]) for r in rows if r["cluster"] == c and r[k] not in ("", None)]
def fmt(v, d=3): return f"{st.median(v):.{d}f} ({min(v):.{d}f}-{max(v):.{d}f})" if v else "-"
print(f"| brokers | CPU s | CPU s per M records | bytes sent per request (read) | bytes per request (idle {idle} s) |")
print("|---|---|---|---|---|")
name = {"bs-on": "fetch sessions (as shipped)", "bs-off": "no sessions (cache.slots=0)"}
for c in ("bs-on", "bs-off"):
    cpu = col(c, "cpu_s")
    print(f"| {name[c]} | {fmt(cpu)} | {fmt([x * 1e6 / records for x in cpu])} | "
          f"{fmt(col(c, 'bytes_per_request'), 0)} | {fmt(col(c, 'idle_bytes_per_request'), 0)} |")
on, off = col("bs-on", "cpu_s"), col("bs-off", "cpu_s")
if on and off:
    print(f"\nCPU on/off (medians): {st.median(on) / st.median(off):.2f}; rounds: {len(on)}; raw: {out}/runs.tsv")
PY
