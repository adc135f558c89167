#!/usr/bin/env bash
# netns_scaling.sh: import throughput for 1, 2, 4, 8 workers, each worker on
# its own simulated host (scripts/netns.bash: a network namespace with a
# veth pair to a bridge), PostgreSQL and the broker behind a real network
# delay instead of the sink's injected sleep, with the CPU time of each
# part, to name what limits the rate.
#
#   bench/netns_scaling.sh        (root; prints a Markdown table on stdout)
#
# Set up once: a PostgreSQL of its own (scripts/pgtmp.sh start --listen on
# the bridge address), a 1-node Kafka cluster (scripts/kafka.sh --host on
# that address, directory under /tmp), one host per worker, N generated
# records (seed 1). Each delay D of the list: netem of D ms on both ends of
# each host's veth pair when the kernel has netem; without it
# bench/delay_proxy.py listens on the servers' address inside each host
# (that address put on the host's lo) and forwards to the servers with D ms
# each way (restarted for each D; D = 0 then goes through the proxy too, so
# that only the delay differs). Either way each round trip from a worker to
# PostgreSQL or Kafka costs 2 x D; the
# producer runs in the root namespace next to the broker (no delay) and
# reads its credit from PostgreSQL over the Unix socket.
#
# Per run, a fresh tenant: the workers (`marcpipe work`, default options,
# group per run) start, then `marcpipe produce --partitions 8` (8 partitions),
# and the run ends when the job is COMPLETED; records/s = N / (time from the
# producer's start to the job's completion: the group join and the first
# batch included, like `marcpipe bench`). CPU seconds over the run, from
# /proc (utime + stime, clock ticks): PostgreSQL = the postmaster and every
# backend (ended ones through the postmaster's cutime/cstime); workers =
# the worker processes, read just before their SIGTERM; producer + broker =
# `marcpipe produce` (/usr/bin/time) + the broker's JVM; proxy = the delay
# proxy (the cost of emulating the network, not of marcpipe). "machine busy"
# is the share of both cores busy over the run from /proc/stat, everything
# on the machine included.
#
# Environment: MARCPIPE (default build/marcpipe), MP_NETNS_RECORDS (20000),
# MP_NETNS_WORKERS ("1 2 4 8"), MP_NETNS_DELAY_MS (delays in ms, "0 2"),
# MP_NETNS_REPEAT (1: runs per delay and worker count, interleaved: run 1
# of every configuration, then run 2 ...; each row of the table is the run
# with the median records/s),
# MP_NETNS_OUT (per-run lines, default /tmp/mpnetns-bench.runs);
# MP_NETNS_TABLE_ONLY=1 prints the table of MP_NETNS_OUT and runs nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mp=${MARCPIPE:-$root/build/marcpipe}
N=${MP_NETNS_RECORDS:-20000}
WORKERS=${MP_NETNS_WORKERS:-1 2 4 8}
DELAYS=${MP_NETNS_DELAY_MS:-0 2}
REPEAT=${MP_NETNS_REPEAT:-1}
RUNS_OUT=${MP_NETNS_OUT:-/tmp/mpnetns-bench.runs}
# table TEXT: the Markdown table of $RUNS_OUT ("records/s after it": the
# records over the time from the first commit to the job's end, which
# leaves the group join and the first batch out)
table() {
  echo "$N records, 8 partitions, workers on their own hosts, $1; $REPEAT run(s) per row (each row: the run with the median records/s)."
  echo
  echo "| delay ms | workers | runs | records/s | job s | first commit s | records/s after it | PostgreSQL CPU s | workers CPU s | producer + broker CPU s | proxy CPU s | machine busy % | load average (start-end) | most CPU |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  for d in $DELAYS; do for w in $WORKERS; do
    awk -v d="$d" -v w="$w" '$1 == d && $2 == w { $1 = ""; print }' "$RUNS_OUT" | sort -k2,2n | awk -v d="$d" '
      { for (i = 1; i <= 10; i++) v[NR, i] = $i; n = NR }
      END {
        if (n == 0) exit
        m = int((n + 1) / 2)   # the run with the median rate
        split("PostgreSQL workers producer+broker proxy", name, " ")
        top = 5; for (i = 6; i <= 8; i++) if (v[m, i] > v[m, top]) top = i
        printf "| %s | %d | %d | %d | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
          d, v[m, 1], n, v[m, 2], v[m, 3], v[m, 4], v[m, 2] * v[m, 3] / (v[m, 3] - v[m, 4]), v[m, 5], v[m, 6], v[m, 7], v[m, 8], v[m, 9], v[m, 10], name[top - 4]
      }'
  done; done
}
if [ "${MP_NETNS_TABLE_ONLY:-0}" = 1 ]; then # the table of an earlier run
  table "delay: see the runs"; exit 0
fi
[ -x "$mp" ] || { echo "netns_scaling: no marcpipe at $mp (build first)" >&2; exit 1; }
source "$root/scripts/netns.bash"
ns_available || { echo "netns_scaling: needs root and network namespaces (ip netns)" >&2; exit 77; }

T=$(mktemp -d /tmp/mpnetns-bench.XXXXXX)
PROXY_PID= PGTMP_DIR=
WPIDS=()
bench_cleanup() {
  local p
  for p in "${WPIDS[@]+"${WPIDS[@]}"}"; do kill -KILL "$p" 2>/dev/null || true; done
  [ -z "$PROXY_PID" ] || kill -TERM "$PROXY_PID" 2>/dev/null || true
  bash "$root/scripts/kafka.sh" stop --dir "$T/kafka" >/dev/null 2>&1 || true
  [ -z "$PGTMP_DIR" ] || bash "$root/scripts/pgtmp.sh" stop "$PGTMP_DIR"
  rm -rf "$T"
}
trap bench_cleanup EXIT
log() { echo "netns_scaling: $*" >&2; }

max=0
for w in $WORKERS; do [ "$w" -le "$max" ] || max=$w; done
ns_setup
for i in $(seq 1 "$max"); do ns_host "h$i"; done

eval "$(bash "$root/scripts/pgtmp.sh" start --listen "$NS_ADDR/24")"
PGTMP_DIR=$MP_PGTMP
BS=$(bash "$root/scripts/kafka.sh" start --brokers 1 --dir "$T/kafka" --host "$NS_ADDR" 2>"$T/kafka.log")
KPORT=${BS##*:}
MODE=netem
ns_netem_available || MODE=proxy
any=0
for d in $DELAYS; do [ "$d" = 0 ] || any=1; done
[ $any = 1 ] || MODE=none
if [ $MODE = proxy ]; then
  nss=()
  for i in $(seq 1 "$max"); do
    ip -n "$(ns_netns "h$i")" addr add "$NS_ADDR/32" dev lo
    nss+=("$(ns_netns "h$i")")
  done
fi
set_delay() { # D: the delay of every host from now on
  case $MODE in
    netem) for i in $(seq 1 "$max"); do ns_delay "h$i" "$1"; done ;;
    proxy)
      if [ -n "$PROXY_PID" ]; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true
      fi
      : >"$T/proxy.out"
      python3 "$here/delay_proxy.py" --delay-ms "$1" --addr "$NS_ADDR" \
        --ports "$PGPORT,$KPORT" "${nss[@]}" >"$T/proxy.out" 2>"$T/proxy.log" &
      PROXY_PID=$!
      for _ in $(seq 100); do grep -q ready "$T/proxy.out" && break; sleep 0.1; done
      grep -q ready "$T/proxy.out" || { cat "$T/proxy.log" >&2; exit 1; } ;;
  esac
}
case $MODE in
  netem) MODE_TEXT="netem on both ends of each veth pair" ;;
  proxy) MODE_TEXT="bench/delay_proxy.py (this kernel has no netem), each way, 0 ms included" ;;
  none) MODE_TEXT="none: the veth pairs alone" ;;
esac
log "servers on $NS_ADDR (PostgreSQL :$PGPORT, Kafka :$KPORT); delay: $MODE_TEXT"
"$mp" gen --records "$N" --seed 1 -q -o "$T/in.mrc"

TCK=$(getconf CLK_TCK)
ticks() { # PID...: utime + stime (+ cutime + cstime with -c) in clock ticks
  local c=0 p sum=0
  [ "${1:-}" = -c ] && { c=1; shift; }
  for p in "$@"; do
    local f; f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }   # fields from 3 on (the command may hold spaces)
    read -r -a a <<<"$f"
    sum=$((sum + a[11] + a[12]))
    [ $c = 0 ] || sum=$((sum + a[13] + a[14]))
  done
  echo $sum
}
pg_ticks() {
  local pm; pm=$(head -1 "$PGTMP_DIR/data/postmaster.pid")
  echo $(( $(ticks -c "$pm") + $(ticks $(ps --ppid "$pm" -o pid= )) ))
}
broker_pid() { cat "$T/kafka/node1/pid"; }
busy() { # "busy total" jiffies of the whole machine
  awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t - $5 - $6, t}' /proc/stat
}
now() { date +%s.%N; }
secs() { awk -v t="$1" -v k="$TCK" 'BEGIN{printf "%.1f", t / k}'; }

run_one() { # WORKERS REP DELAY: one line "delay w rate job_s first_s pg_s workers_s prodbroker_s proxy_s busy% load"
  local w=$1 rep=$2 d=$3 tenant=nsb_${3}_${1}_${2}_$$ i
  local schema=${tenant}_marcpipe
  sleep 1
  local pg0 br0 px0=0 m0 t0 t1 tf="" load0
  load0=$(cut -d' ' -f1 /proc/loadavg)
  pg0=$(pg_ticks); br0=$(ticks "$(broker_pid)")
  [ -z "$PROXY_PID" ] || px0=$(ticks "$PROXY_PID")
  read -r -a m0 <<<"$(busy)"
  WPIDS=()
  for i in $(seq 1 "$w"); do
    ip netns exec "$(ns_netns "h$i")" env PGHOST="$NS_ADDR" PGPORT="$PGPORT" \
      "$mp" work -b "$BS" --tenant "$tenant" -G "nsb.$tenant" >"$T/w$i.log" 2>&1 &
    WPIDS+=($!)
  done
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$T/produce.time" \
    "$mp" produce -b "$BS" --tenant "$tenant" -q --partitions 8 "$T/in.mrc" >"$T/produce.out" 2>"$T/produce.log" &
  local ppid=$! st="" done_n=0 end=$((SECONDS + 600))
  while :; do
    st=$(PGOPTIONS="-c search_path=$schema" psql -X -At -c \
      "select j.status, coalesce(sum(p.processed), 0) from jobs j left join job_progress p on p.job_id = j.id group by j.id order by j.id desc limit 1" 2>/dev/null || true)
    done_n=${st#*|}; st=${st%|*}
    [ -n "$tf" ] || { [ "${done_n:-0}" -gt 0 ] 2>/dev/null && tf=$(now); }
    case $st in COMPLETED|COMPLETED_WITH_ERRORS|FAILED) break ;; esac
    [ $SECONDS -lt $end ] || { log "run $w/$rep: not done after 600 s"; break; }
    sleep 0.2
  done
  t1=$(now)
  wait "$ppid" || log "run $w/$rep: produce exited $?"
  local wt; wt=$(ticks "${WPIDS[@]}")
  for i in "${WPIDS[@]}"; do kill -TERM "$i" 2>/dev/null || true; done
  for i in "${WPIDS[@]}"; do wait "$i" || true; done
  WPIDS=()
  sleep 0.5 # the workers' backends end and are reaped
  local pg1 br1 px1=0 m1 prod
  pg1=$(pg_ticks); br1=$(ticks "$(broker_pid)")
  [ -z "$PROXY_PID" ] || px1=$(ticks "$PROXY_PID")
  read -r -a m1 <<<"$(busy)"
  prod=$(awk -v k="$TCK" '{printf "%d", ($1 + $2) * k}' "$T/produce.time")
  psql -X -q -c "drop schema if exists $schema cascade" >/dev/null 2>&1 || true
  [ "$st" = COMPLETED ] || { log "run $w/$rep: job $st ($done_n processed)"; return 0; }
  awk -v d="$d" -v w="$w" -v n="$N" -v t0="$t0" -v t1="$t1" -v tf="${tf:-$t1}" -v k="$TCK" \
      -v pg=$((pg1 - pg0)) -v wk="$wt" -v pb=$((prod + br1 - br0)) -v px=$((px1 - px0)) \
      -v b=$((m1[0] - m0[0])) -v tot=$((m1[1] - m0[1])) -v l0="$load0" -v l1="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "%s %d %.0f %.1f %.1f %.1f %.1f %.1f %.1f %.0f %s-%s\n", d, w, n / (t1 - t0), t1 - t0,
             tf - t0, pg / k, wk / k, pb / k, px / k, 100 * b / tot, l0, l1 }'
}

: >"$RUNS_OUT"
for rep in $(seq 1 "$REPEAT"); do
  for d in $DELAYS; do
    set_delay "$d"
    for w in $WORKERS; do
      line=$(run_one "$w" "$rep" "$d")
      [ -z "$line" ] || { echo "$line" >>"$RUNS_OUT"; log "delay $d ms, workers $w, run $rep: $line"; }
    done
  done
done

table "delay: $MODE_TEXT"
