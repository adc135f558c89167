#!/usr/bin/env bash
# circ.sh: circulation events end to end: events/s from the first produced
# event until every service (blocks, audit) has committed the last, with C
# consumers per service, and each consumer's peak RSS; then the push-style
# overload figure (a consumer with an unbounded window started behind a full
# backlog, killed) against pull.
#
#   bench/circ.sh [BUILD_DIR]     env: EVENTS="100000 1000000" CONSUMERS="1 2"
#                                      PATRONS (default EVENTS/100)
#                                      OVERLOAD_EVENTS (100000; 0 = skip)
# Needs PostgreSQL in PG* (scripts/pgtmp.sh). Kafka: $MP_KAFKA_BOOTSTRAP, else
# the embedded broker (topic with 4 partitions). Each configuration gets a
# fresh tenant (schema dropped at exit). Prints one table row per run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
M=$build/marcpipe
EVENTS=${EVENTS:-"100000 1000000"}
CONSUMERS=${CONSUMERS:-"1 2"}
T=$(mktemp -d -t mpcirc.XXXXXX)
BPID=
PIDS=()
schemas=()
cleanup() {
  local p s
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  [ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null || true
  wait 2>/dev/null || true
  for s in "${schemas[@]}"; do psql -X -q -c "drop schema if exists $s cascade" >/dev/null 2>&1 || true; done
  rm -rf "$T"
}
trap cleanup EXIT

if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ]; then
  BS=$MP_KAFKA_BOOTSTRAP
else
  mkfifo "$T/ctl"
  "$M" broker --partitions 4 --bootstrap-file "$T/bs" <"$T/ctl" >"$T/broker.out" 2>"$T/broker.log" &
  BPID=$!
  exec 7>"$T/ctl"
  for i in $(seq 300); do [ -s "$T/bs" ] && break; sleep 0.1; done
  BS=$(cat "$T/bs")
fi
# short sessions: a member that leaves does not stall the group for 45 s
WOPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000)
q() { PGOPTIONS="-c search_path=$1_marcpipe" psql -X -At -c "$2"; }
processed() { q "$1" "select coalesce(sum(processed), 0) from circ_progress where service = '$2'"; }
rss_of() { python3 -c 'import json,sys; print(max(json.loads(open(f).read().strip().splitlines()[-1])["peak_rss_kb"] for f in sys.argv[1:]))' "$@"; }

echo "| events | consumers per service | events/s (end to end) | produce s | blocks peak RSS MiB | audit peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|"
n_run=0
for n in $EVENTS; do
  "$M" circ gen --seed 5 --patrons "${PATRONS:-$((n / 100))}" --events "$n" \
    --tenant bench -o "$T/ev.ndjson"
  for c in $CONSUMERS; do
    n_run=$((n_run + 1))
    tenant=cb_$$_$n_run
    schemas+=("${tenant}_marcpipe")
    sed "s/\"tenant\":\"bench\"/\"tenant\":\"$tenant\"/" "$T/ev.ndjson" >"$T/run.ndjson"
    [ -n "$BPID" ] && echo "topic marcpipe.Default.$tenant.CIRCULATION 4" >&7
    "$M" circ limits --tenant "$tenant" >/dev/null # migrate before timing
    PIDS=()
    for s in blocks audit; do
      for k in $(seq "$c"); do
        "$M" circ work --service $s -b "$BS" --tenant "$tenant" --stats-json \
          "${WOPTS[@]}" -v >"$T/$s.$k.json" 2>"$T/$s.$k.log" &
        PIDS+=($!)
      done
    done
    # time from when every member has partitions assigned (at most 60 s)
    for i in $(seq 600); do
      [ "$(grep -l 'marcpipe work: assigned' "$T"/blocks.*.log "$T"/audit.*.log 2>/dev/null | wc -l)" -ge $((2 * c)) ] && break
      sleep 0.1
    done
    sleep 1
    t0=$(date +%s.%N)
    "$M" circ produce -b "$BS" --tenant "$tenant" "$T/run.ndjson" >/dev/null 2>"$T/produce.log"
    t1=$(date +%s.%N)
    while [ "$(processed "$tenant" blocks)" -lt "$n" ] || [ "$(processed "$tenant" audit)" -lt "$n" ]; do
      sleep 0.2
    done
    t2=$(date +%s.%N)
    # SIGTERM: each drains, commits and prints its counters (peak RSS)
    for p in "${PIDS[@]}"; do kill -TERM "$p"; done
    for p in "${PIDS[@]}"; do wait "$p"; done
    PIDS=()
    rb=$(rss_of "$T"/blocks.*.json); ra=$(rss_of "$T"/audit.*.json)
    rm -f "$T"/blocks.*.json "$T"/audit.*.json
    awk -v n="$n" -v c="$c" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v rb="$rb" -v ra="$ra" \
      'BEGIN{printf "| %d | %d | %.0f | %.1f | %.1f | %.1f |\n", n, c, n/(t2-t0), t1-t0, rb/1024, ra/1024}'
  done
done

# push vs pull under overload: the whole backlog is in Kafka before one
# blocks consumer starts; it is killed (kill -9) halfway. Push-style
# (unbounded window) holds what it has fetched and not applied: those are
# the events a push bus would have lost with it. Pull holds its window.
n=${OVERLOAD_EVENTS:-100000}
[ "$n" -gt 0 ] || exit 0 # OVERLOAD_EVENTS=0: rates only
"$M" circ gen --seed 6 --patrons $((n / 100)) --events "$n" --tenant bench -o "$T/ev.ndjson"
echo
echo "| mode | window | events | held (fetched, not applied) at the kill | peak RSS MiB before the kill | processed after the restart |"
echo "|---|---:|---:|---:|---:|---|"
for mode in pull push; do
  n_run=$((n_run + 1))
  tenant=cb_$$_$n_run
  schemas+=("${tenant}_marcpipe")
  sed "s/\"tenant\":\"bench\"/\"tenant\":\"$tenant\"/" "$T/ev.ndjson" >"$T/run.ndjson"
  [ -n "$BPID" ] && echo "topic marcpipe.Default.$tenant.CIRCULATION 4" >&7
  "$M" circ produce -b "$BS" --tenant "$tenant" --max-backlog 0 --max-backlog-bytes 0 "$T/run.ndjson" >/dev/null 2>"$T/produce.log"
  win=20000; [ $mode = push ] && win=0
  "$M" circ work --service blocks -b "$BS" --tenant "$tenant" --window $win \
    "${WOPTS[@]}" --status-ms 200 >"$T/status.ndjson" 2>"$T/w.log" &
  wp=$!
  PIDS=($wp)
  while [ "$(processed "$tenant" blocks)" -lt $((n / 2)) ]; do sleep 0.05; done
  held=$(tail -n1 "$T/status.ndjson" | python3 -c 'import json,sys; s=json.loads(sys.stdin.read()); print(s["consumed"]-s["committed"])')
  rss=$(tail -n1 "$T/status.ndjson" | python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["peak_rss_kb"]/1024,1))')
  kill -KILL $wp; wait $wp 2>/dev/null || true
  "$M" circ work --service blocks -b "$BS" --tenant "$tenant" --window $win \
    "${WOPTS[@]}" --exit-when-idle 4 >/dev/null 2>"$T/w2.log"
  PIDS=()
  q "$tenant" "select md5(string_agg(circ_summary(user_id)::text, '' order by user_id)) from circ_patrons" >"$T/$mode.md5"
  echo "| $mode | $win | $n | $held | $rss | $(processed "$tenant" blocks) processed |"
done
if cmp -s "$T/pull.md5" "$T/push.md5"; then echo "pull and push runs end with identical summaries"; else echo "summaries DIFFER"; fi
