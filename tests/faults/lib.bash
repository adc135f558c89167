# lib.bash: shared helpers of the fault scenarios (tests/faults/*.sh).
# Sourced, never run: ctest registers only the *.sh files.
#
# A scenario runs against the real Apache Kafka cluster of MP_KAFKA_BOOTSTRAP
# when it is set (scripts/test.sh starts one: scripts/kafka.sh; the records
# topic is then created by `marcpipe produce` with the scenario's partitions),
# otherwise, or when the scenario sets FL_EMBEDDED=1 because it needs the
# control channel, its own `marcpipe broker` (control FIFO on stdin); its own
# tenant (schema flt_<name>_<pid>_marcpipe, dropped at exit), worker
# processes with short session timeouts, and the producer, against the
# PostgreSQL of the PG* environment (scripts/pgtmp.sh). It ends with
# fl_check, which prints one line
#   scenario NAME: runs R, records sent S, stored T, lost L, duplicated D
# and fails unless nothing is lost or duplicated and the counters are exact.
# Every wait is bounded; a failure prints the worker logs.
set -euo pipefail
MARCPIPE=${MARCPIPE:?MARCPIPE not set}
DATA=${MP_TEST_DATA:?MP_TEST_DATA not set}
: "${PGHOST:?PG* not set (eval \"\$(bash scripts/pgtmp.sh start)\")}"

FL_NAME=${FL_NAME:-$(basename "$0" .sh)}
FL_T=$(mktemp -d -t "mpfault.$FL_NAME.XXXXXX")
FL_TENANT=flt_${FL_NAME}_$$
FL_SCHEMA=${FL_TENANT}_marcpipe
FL_TOPIC=marcpipe.Default.$FL_TENANT.DI_INCOMING_MARC_BIB_RECORD
FL_DLQ=marcpipe.Default.$FL_TENANT.DI_ERROR
FL_GROUP=flt.$FL_NAME.$$
FL_BPID=
FL_PPID=
FL_BS=
FL_REAL=0         # 1: the real cluster of MP_KAFKA_BOOTSTRAP
FL_PARTITIONS=8
declare -A FL_WPID=()
FL_WORKER_OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
                --batch 100 --batch-ms 50)
FL_T0=$SECONDS

fl_log() { echo "[$FL_NAME +$((SECONDS - FL_T0))s] $*" >&2; }

fl_dump() { # the logs, for a failure
  local f
  for f in "$FL_T"/*.log; do
    [ -f "$f" ] || continue
    echo "---- $(basename "$f") (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
}

fl_fail() {
  echo "FAIL: scenario $FL_NAME: $*" >&2
  fl_dump
  exit 1
}

fl_cleanup() {
  local id
  for id in "${!FL_WPID[@]}"; do
    kill -KILL "${FL_WPID[$id]}" 2>/dev/null || true
  done
  [ -n "$FL_PPID" ] && kill -KILL "$FL_PPID" 2>/dev/null || true
  [ -n "$FL_BPID" ] && kill -TERM "$FL_BPID" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -X -q -c "drop schema if exists $FL_SCHEMA cascade" >/dev/null 2>&1 || true
  rm -rf "$FL_T"
}
trap fl_cleanup EXIT

# fl_q SQL: one query in the scenario's schema, unaligned, tuples only.
fl_q() {
  PGOPTIONS="-c search_path=$FL_SCHEMA" psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# fl_broker_start [PARTITIONS]: start `marcpipe broker` for the tenant;
# sets FL_BS. Control commands: fl_broker_cmd.
fl_broker_start() {
  FL_PARTITIONS=${1:-8}
  if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ] && [ "${FL_EMBEDDED:-0}" != 1 ]; then
    FL_REAL=1
    FL_BS=$MP_KAFKA_BOOTSTRAP
    fl_log "real Kafka cluster at $FL_BS, topic $FL_TOPIC ($FL_PARTITIONS partitions)"
    return 0
  fi
  mkfifo "$FL_T/ctl"
  "$MARCPIPE" broker --tenant "$FL_TENANT" --partitions "${1:-8}" \
    --bootstrap-file "$FL_T/bs" <"$FL_T/ctl" >"$FL_T/broker.out" 2>"$FL_T/broker.log" &
  FL_BPID=$!
  exec 7>"$FL_T/ctl"
  local i
  for i in $(seq 300); do [ -s "$FL_T/bs" ] && break; sleep 0.1; done
  [ -s "$FL_T/bs" ] || fl_fail "broker wrote no bootstrap file"
  FL_BS=$(cat "$FL_T/bs")
}

fl_broker_cmd() {
  [ "$FL_REAL" = 0 ] || fl_fail "fl_broker_cmd needs the embedded broker (FL_EMBEDDED=1)"
  echo "$*" >&7
}

# fl_broker_restart [PARTITIONS]: stop the broker and start a new one (an
# empty log under the same topic name, like a topic re-created); sets FL_BS.
fl_broker_restart() {
  [ "$FL_REAL" = 0 ] || fl_fail "fl_broker_restart needs the embedded broker (FL_EMBEDDED=1)"
  exec 7>&-
  kill -TERM "$FL_BPID" 2>/dev/null || true
  wait "$FL_BPID" 2>/dev/null || true
  rm -f "$FL_T/ctl" "$FL_T/bs"
  fl_broker_start "$@"
}

# fl_worker_start ID [work options...]: a `marcpipe work` process in the
# background (log $FL_T/wID.log); FL_WPID[ID] is its pid. FL_WRAP (an
# array, empty by default) is put before the command, e.g. `ip netns exec
# NS env PGHOST=ADDR` for a worker on a simulated host: it must exec the
# command, so that the pid is the worker's.
FL_WRAP=()
fl_worker_start() {
  local id=$1; shift
  "${FL_WRAP[@]}" "$MARCPIPE" work -b "$FL_BS" --tenant "$FL_TENANT" -G "$FL_GROUP" \
    "${FL_WORKER_OPTS[@]}" "$@" >>"$FL_T/w$id.out" 2>>"$FL_T/w$id.log" &
  FL_WPID[$id]=$!
}

fl_worker_alive() { kill -0 "${FL_WPID[$1]}" 2>/dev/null; }

# fl_worker_exit ID SECONDS: wait (bounded) until worker ID exits by
# itself; its exit status in FL_RC.
fl_worker_exit() {
  local end=$((SECONDS + $2))
  while fl_worker_alive "$1"; do
    [ $SECONDS -lt $end ] || fl_fail "worker $1 still running after $2 s"
    sleep 0.2
  done
  FL_RC=0
  wait "${FL_WPID[$1]}" || FL_RC=$?
  unset "FL_WPID[$1]"
}

# fl_worker_kill ID: SIGKILL, reaped.
fl_worker_kill() {
  kill -KILL "${FL_WPID[$1]}" 2>/dev/null || true
  wait "${FL_WPID[$1]}" 2>/dev/null || true
  unset "FL_WPID[$1]"
}

# fl_worker_stop ID: SIGTERM, waits (bounded) and fails on a non-zero exit.
fl_worker_stop() {
  local pid=${FL_WPID[$1]} i rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fl_fail "worker $1 still running 30 s after SIGTERM"
  wait "$pid" || rc=$?
  unset "FL_WPID[$1]"
  [ "$rc" -eq 0 ] || fl_fail "worker $1 exited $rc after SIGTERM"
  fl_log "worker $1 stopped"
}

# fl_workers_stop: SIGTERM to every worker at once (so none waits for a
# rebalance the others would cause by leaving one after the other), then
# each must exit 0 within 30 s.
fl_workers_stop() {
  local id pid i rc
  for id in "${!FL_WPID[@]}"; do kill -TERM "${FL_WPID[$id]}" 2>/dev/null || true; done
  for id in "${!FL_WPID[@]}"; do
    pid=${FL_WPID[$id]}
    for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fl_fail "worker $id still running 30 s after SIGTERM"
    rc=0; wait "$pid" || rc=$?
    unset "FL_WPID[$id]"
    [ "$rc" -eq 0 ] || fl_fail "worker $id exited $rc after SIGTERM"
  done
}

# fl_produce FILE [produce options...]: run the producer in the background;
# the job id lands in $FL_T/job (read with fl_job_id), its pid in FL_PPID.
fl_produce() {
  local file=$1; shift
  : >"$FL_T/job"
  local parts=()
  [ "$FL_REAL" = 0 ] || parts=(--partitions "$FL_PARTITIONS")
  "$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" -q "${parts[@]}" "$@" "$file" \
    >"$FL_T/job" 2>"$FL_T/produce.log" &
  FL_PPID=$!
}

# fl_job_id: the job id of the running producer (waits until it exists in
# the database: the producer creates it before the first record).
fl_job_id() {
  local i j
  for i in $(seq 200); do
    j=$(fl_q "select max(id) from jobs" 2>/dev/null || true)
    [ -n "$j" ] && { echo "$j"; return 0; }
    sleep 0.1
  done
  fl_fail "no job created after 20 s"
}

# fl_produce_wait: the producer's exit status must be 0.
fl_produce_wait() {
  local rc=0
  wait "$FL_PPID" || rc=$?
  FL_PPID=
  [ "$rc" -eq 0 ] || fl_fail "produce exited $rc"
}

# fl_processed JOB: records processed so far.
fl_processed() {
  fl_q "select coalesce(sum(processed), 0) from job_progress where job_id = $1"
}

# fl_wait_processed JOB N [TIMEOUT]: wait until at least N are processed.
fl_wait_processed() {
  local end=$((SECONDS + ${3:-60}))
  while [ "$(fl_processed "$1")" -lt "$2" ]; do
    [ $SECONDS -lt $end ] || fl_fail "job $1: fewer than $2 processed after ${3:-60} s"
    sleep 0.1
  done
}

# fl_wait_job JOB [TIMEOUT]: wait until the job's status is final.
fl_wait_job() {
  local end=$((SECONDS + ${2:-90})) st
  while :; do
    st=$(fl_q "select status from jobs where id = $1")
    case $st in COMPLETED|COMPLETED_WITH_ERRORS|FAILED) echo "$st"; return 0 ;; esac
    [ $SECONDS -lt $end ] ||
      fl_fail "job $1 still $st after ${2:-90} s ($(fl_processed "$1") processed, total $(fl_q "select total from jobs where id = $1"))"
    sleep 0.2
  done
}

# fl_check [-q] RUNS SENT JOB [ERRORS]: the verdict line. SENT = records in the
# input file; ERRORS = expected error outcomes (default 0). The tenant is
# fresh, so every Instance comes from this scenario's jobs.
fl_check() {
  local quiet=0
  [ "$1" = -q ] && { quiet=1; shift; } # an intermediate check: no line
  local runs=$1 sent=$2 job=$3 want_err=${4:-0}
  local st total journal inrange progress dupsrc ok=1 why=""
  st=$(fl_q "select status from jobs where id = $job")
  total=$(fl_q "select coalesce(total, -1) from jobs where id = $job")
  journal=$(fl_q "select count(*) from journal where job_id = $job")
  inrange=$(fl_q "select count(distinct seq) from journal where job_id = $job and seq between 1 and $sent")
  progress=$(fl_q "select coalesce(sum(processed), 0) from job_progress where job_id = $job")
  dupsrc=$(fl_q "select count(*) - count(distinct seq) from source_records where job_id = $job")
  local lost=$((sent - inrange))
  # rows outside 1..SENT, counters moved twice (or not at all), source
  # records twice: each is a duplicate (or a miscount) of its own
  local d1=$((journal - inrange)) d2=$((progress - journal))
  local dup=$((${d1#-} + ${d2#-} + dupsrc))
  [ $quiet -eq 1 ] || echo "scenario $FL_NAME: runs $runs, records sent $sent, stored $journal, lost $lost, duplicated $dup"
  [ "$lost" -eq 0 ] || { ok=0; why+=" lost=$lost"; }
  [ "$dup" -eq 0 ] || { ok=0; why+=" duplicated=$dup"; }
  [ "$total" -eq "$sent" ] || { ok=0; why+=" total=$total"; }
  local want_st=COMPLETED
  [ "$want_err" -gt 0 ] && want_st=COMPLETED_WITH_ERRORS
  [ "$st" = "$want_st" ] || { ok=0; why+=" status=$st"; }
  # counters: records in == created + updated + duplicates + skipped + errors,
  # and each counter equals its journal outcomes
  local c j o
  for o in created updated duplicates skipped errors; do
    c=$(fl_q "select coalesce(sum($o), 0) from job_progress where job_id = $job")
    case $o in duplicates) j=DUPLICATE ;; errors) j=ERROR ;; *) j=${o^^} ;; esac
    j=$(fl_q "select count(*) from journal where job_id = $job and outcome = '$j'")
    [ "$c" -eq "$j" ] || { ok=0; why+=" $o=$c/journal=$j"; }
  done
  local sum
  sum=$(fl_q "select coalesce(sum(created + updated + duplicates + skipped + errors), 0) from job_progress where job_id = $job")
  [ "$sum" -eq "$sent" ] || { ok=0; why+=" outcomes=$sum"; }
  local errs
  errs=$(fl_q "select count(*) from journal where job_id = $job and outcome = 'ERROR'")
  [ "$errs" -eq "$want_err" ] || { ok=0; why+=" errors=$errs (want $want_err)"; }
  # an Instance per CREATED outcome of the scenario's jobs, no more
  local inst created
  inst=$(fl_q "select count(*) from instances")
  created=$(fl_q "select count(*) from journal where outcome = 'CREATED'")
  [ "$inst" -eq "$created" ] || { ok=0; why+=" instances=$inst/created=$created"; }
  [ $ok -eq 1 ] || fl_fail "job $job:$why"
}

# fl_pg_setup: for scenarios that stop or restart the PostgreSQL of
# scripts/pgtmp.sh (MP_PGTMP: data in $MP_PGTMP/data); sets PGTMP, BIN and
# PGOPTS (the options pgtmp.sh started it with) and defines as_pg (as the
# postgres user when root) and pg_up (start it again).
fl_pg_setup() {
  PGTMP=${MP_PGTMP:?MP_PGTMP not set: this scenario restarts the cluster of scripts/pgtmp.sh}
  [ -d "$PGTMP/data" ] || fl_fail "no cluster at $PGTMP/data"
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  PGOPTS="-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_up() {
  as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 -o "$PGOPTS" start >/dev/null ||
    fl_fail "PostgreSQL did not start again"
}

# fl_gen N OUT: N generated records (fixed seed) in ISO 2709.
fl_gen() {
  "$MARCPIPE" gen --records "$1" --seed 7 -q -o "$2" || fl_fail "gen"
}

# fl_slow_job N [produce options...]: N generated records, broker with 8
# partitions, workers 1 and 2 with slow batches (50 records, FL_SLOW_MS
# (default 100) ms inside each transaction) so faults land mid-job, producer
# running; sets JOB.
fl_slow_job() {
  local n=$1; shift
  fl_gen "$n" "$FL_T/in.mrc"
  fl_broker_start 8
  FL_WORKER_OPTS+=(--batch 50 --sink-latency-ms "${FL_SLOW_MS:-100}")
  fl_worker_start 1
  fl_worker_start 2
  fl_produce "$FL_T/in.mrc" "$@"
  JOB=$(fl_job_id)
}

fl_summary_json() { # JOB: `marcpipe status --json`
  "$MARCPIPE" status "$1" --json --tenant "$FL_TENANT"
}

# ---- the real cluster's own faults (scripts/kafka.sh) ----
FL_KSH=${MP_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/scripts/kafka.sh

# fl_kafka_need: the scenario needs the real cluster and its directory
# (MP_KAFKA_BOOTSTRAP, MP_KAFKA_DIR: scripts/test.sh); without: skip (77).
fl_kafka_need() {
  if [ -z "${MP_KAFKA_BOOTSTRAP:-}" ] || [ ! -f "${MP_KAFKA_DIR:-}/bootstrap" ]; then
    echo "SKIP: scenario $FL_NAME needs the real Kafka cluster (MP_KAFKA_BOOTSTRAP, MP_KAFKA_DIR)"
    exit 77
  fi
}

# fl_kafka ARGS...: scripts/kafka.sh on the test cluster
fl_kafka() { bash "$FL_KSH" "$@" --dir "$MP_KAFKA_DIR"; }

# fl_kafka_heal: every node of the cluster running and answering again
# (scenarios that stop nodes call it at exit: the cluster is shared)
fl_kafka_heal() {
  local i n
  n=$(cat "$MP_KAFKA_DIR/nodes")
  for i in $(seq 1 "$n"); do fl_kafka start-node "$i" >/dev/null 2>&1 || true; done
  fl_kafka wait >/dev/null 2>&1 || echo "WARNING: Kafka cluster not healed" >&2
}
