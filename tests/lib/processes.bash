# processes.bash: the pipeline's processes for the shell tests (sourced
# after prelude.bash and db.bash, once tl_tmpdir and tl_tenant ran): Kafka
# (a `marcpipe broker` with a control FIFO on its stdin, or the real
# cluster of MP_KAFKA_BOOTSTRAP), `marcpipe work` processes with short
# session timeouts, the producer, and bounded waits. Every process started
# here is stopped by its pid at exit; logs are $TL_TMP/*.log, and a
# failure prints their last lines (tl_dump_logs is in TL_ON_FAIL).
#
# State: TL_BS (bootstrap servers), TL_REAL (1: the real cluster),
# TL_PARTITIONS, TL_TOPIC, TL_DLQ, TL_GROUP, TL_WORKER_OPTS (options of
# every worker started after a change), TL_WPID[ID] (worker pids), TL_PPID
# (the producer), TL_BPID (the broker), TL_RC (tl_worker_exit's status).
# TL_EMBEDDED=1 keeps the test on the embedded broker even when
# MP_KAFKA_BOOTSTRAP is set (it needs the control channel).
: "${MARCPIPE:?MARCPIPE not set}" "${TL_TMP:?tl_tmpdir first}" "${TL_TENANT:?tl_tenant first}"

TL_TOPIC=marcpipe.Default.$TL_TENANT.DI_INCOMING_MARC_BIB_RECORD
TL_DLQ=marcpipe.Default.$TL_TENANT.DI_ERROR
TL_GROUP=${TL_GROUP:-tl.$TL_NAME.$$}
TL_EMBEDDED=${TL_EMBEDDED:-0}
TL_SLOW_MS=${TL_SLOW_MS:-100}
TL_BPID=
TL_PPID=
TL_BS=
TL_REAL=0
TL_RC=0
TL_NCTL=0 # control commands sent to the broker
TL_PARTITIONS=8
declare -A TL_WPID=()
TL_WORKER_OPTS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=1000
                --batch 100 --batch-ms 50)
TL_T0=$SECONDS

tl_log() { echo "[$TL_NAME +$((SECONDS - TL_T0))s] $*" >&2; }

tl_dump_logs() {
  local f
  for f in "$TL_TMP"/*.log; do
    [ -s "$f" ] || continue
    echo "---- $(basename "$f") (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
}
TL_ON_FAIL+=(tl_dump_logs)

# tl_dump_state: on a failure, where the records stand: the jobs' progress
# and the stored offsets per partition, each worker's lease (its lag per
# partition, pause state and counters as of its last heartbeat) and the
# database sessions that are not idle (a batch waiting on a lock shows
# there). Bounded: each query gives up after 5 s.
tl_dump_state() {
  local q
  for q in "SELECT job_id, partition, processed, updated_at FROM job_progress ORDER BY 1, 2" \
           "SELECT partition, next_offset, updated_at FROM kafka_offsets ORDER BY 1" \
           "SELECT holder, heartbeat_at, stats - 'batch_size' - 'txn_seconds' FROM leases WHERE role = 'worker'" \
           "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, left(query, 80)
              FROM pg_stat_activity WHERE state <> 'idle' AND pid <> pg_backend_pid()"; do
    echo "---- ${q%% FROM*} FROM ${q#* FROM }" | head -n 1 >&2
    PGOPTIONS="-c search_path=$TL_SCHEMA -c statement_timeout=5000" \
      timeout -k 2 10 psql -X -q -At -F ' | ' -c "$q" >&2 2>&1 || true
  done
}
TL_ON_FAIL+=(tl_dump_state)

tl_stop_all() {
  local id
  for id in "${!TL_WPID[@]}"; do kill -KILL "${TL_WPID[$id]}" 2>/dev/null || true; done
  [ -n "$TL_PPID" ] && kill -KILL "$TL_PPID" 2>/dev/null
  [ -n "$TL_BPID" ] && kill -TERM "$TL_BPID" 2>/dev/null
  wait 2>/dev/null || true
}
tl_at_exit tl_stop_all

# tl_wait_until SECONDS CMD...: true once CMD is (polled every TL_POLL
# seconds, default 0.1), false after SECONDS
tl_wait_until() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep "${TL_POLL:-0.1}"
  done
}

# tl_broker_start [PARTITIONS]: the real cluster when MP_KAFKA_BOOTSTRAP is
# set and TL_EMBEDDED is not 1 (the records topic is created by `marcpipe
# produce` with PARTITIONS), else `marcpipe broker` for the tenant; sets
# TL_BS.
tl_broker_start() {
  TL_PARTITIONS=${1:-8}
  if [ -n "${MP_KAFKA_BOOTSTRAP:-}" ] && [ "$TL_EMBEDDED" != 1 ]; then
    TL_REAL=1
    TL_BS=$MP_KAFKA_BOOTSTRAP
    tl_log "real Kafka cluster at $TL_BS, topic $TL_TOPIC ($TL_PARTITIONS partitions)"
    return 0
  fi
  mkfifo "$TL_TMP/ctl"
  "$MARCPIPE" broker --tenant "$TL_TENANT" --partitions "$TL_PARTITIONS" \
    --bootstrap-file "$TL_TMP/bs" <"$TL_TMP/ctl" >"$TL_TMP/broker.out" 2>"$TL_TMP/broker.log" &
  TL_BPID=$!
  exec 7>"$TL_TMP/ctl"
  TL_NCTL=0
  tl_wait_until 30 test -s "$TL_TMP/bs" || fail "broker wrote no bootstrap file"
  TL_BS=$(cat "$TL_TMP/bs")
}

# tl_broker_cmd LINE...: control commands to the embedded broker, not waited for
tl_broker_cmd() {
  [ "$TL_REAL" = 0 ] || fail "tl_broker_cmd needs the embedded broker (TL_EMBEDDED=1)"
  local l
  for l in "$@"; do echo "$l" >&7; TL_NCTL=$((TL_NCTL + 1)); done
}

# tl_broker_ctl LINE...: control commands; waits (30 s) until the broker
# answered every command sent so far (its first output line is the
# bootstrap list), and fails on an "error" answer
tl_broker_answered() { [ "$(grep -c '' "$TL_TMP/broker.out")" -gt "$TL_NCTL" ]; }
tl_broker_ctl() {
  local t0=$SECONDS
  tl_broker_cmd "$@"
  tl_wait_until 30 tl_broker_answered ||
    fail "broker did not answer '$*' in 30 s ($(($(grep -c '' "$TL_TMP/broker.out") - 1)) answers for $TL_NCTL commands)"
  ! grep -q '^error' "$TL_TMP/broker.out" || fail "broker control: $(grep '^error' "$TL_TMP/broker.out")"
  echo "fault: $* (answered in $((SECONDS - t0)) s)"
}

# tl_broker_restart [PARTITIONS]: stop the broker and start a new one (an
# empty log under the same topic name, like a topic re-created)
tl_broker_restart() {
  [ "$TL_REAL" = 0 ] || fail "tl_broker_restart needs the embedded broker (TL_EMBEDDED=1)"
  exec 7>&-
  kill -TERM "$TL_BPID" 2>/dev/null || true
  wait "$TL_BPID" 2>/dev/null || true
  rm -f "$TL_TMP/ctl" "$TL_TMP/bs"
  tl_broker_start "$@"
}

# tl_worker_start ID [work options...]: `marcpipe work` in the background
# (stdout appended to $TL_TMP/wID.out, stderr to wID.log); TL_WPID[ID].
# TL_WRAP (an array, empty by default) is put before the command, e.g.
# `ip netns exec NS env PGHOST=ADDR` for a worker on a simulated host: it
# must exec the command, so that the pid is the worker's.
TL_WRAP=()
tl_worker_start() {
  local id=$1; shift
  "${TL_WRAP[@]}" "$MARCPIPE" work -b "$TL_BS" --tenant "$TL_TENANT" -G "$TL_GROUP" \
    "${TL_WORKER_OPTS[@]}" "$@" >>"$TL_TMP/w$id.out" 2>>"$TL_TMP/w$id.log" &
  TL_WPID[$id]=$!
}

tl_worker_alive() { kill -0 "${TL_WPID[$1]}" 2>/dev/null; }

# tl_worker_exit ID SECONDS: wait (bounded) until worker ID exits by
# itself; its exit status in TL_RC
tl_worker_exit() {
  local id=$1
  TL_POLL=0.2 tl_wait_until "$2" eval '! tl_worker_alive "$id"' || fail "worker $id still running after $2 s"
  TL_RC=0
  wait "${TL_WPID[$id]}" || TL_RC=$?
  unset "TL_WPID[$id]"
}

# tl_worker_kill ID: SIGKILL, reaped
tl_worker_kill() {
  kill -KILL "${TL_WPID[$1]}" 2>/dev/null || true
  wait "${TL_WPID[$1]}" 2>/dev/null || true
  unset "TL_WPID[$1]"
}

# tl_workers_stop [ID...]: SIGTERM to the workers named (default: all) at
# once, so none waits for a rebalance the others would cause by leaving
# one after the other; each must exit 0 within 30 s
tl_workers_stop() {
  local ids=("$@") id pid rc
  [ $# -gt 0 ] || ids=("${!TL_WPID[@]}")
  for id in "${ids[@]}"; do kill -TERM "${TL_WPID[$id]}" 2>/dev/null || true; done
  for id in "${ids[@]}"; do
    pid=${TL_WPID[$id]}
    tl_wait_until 30 eval '! kill -0 "$pid" 2>/dev/null' ||
      fail "worker $id still running 30 s after SIGTERM"
    rc=0; wait "$pid" || rc=$?
    unset "TL_WPID[$id]"
    [ "$rc" -eq 0 ] || fail "worker $id exited $rc after SIGTERM"
  done
}

# tl_worker_sum FIELD: a counter summed over the workers' --stats-json
# output (worker options with --stats-json: $TL_TMP/w*.out)
tl_worker_sum() {
  local f s=0
  for f in "$TL_TMP"/w*.out; do s=$((s + $(jq -s "map(.$1 // 0) | add // 0" "$f"))); done
  echo "$s"
}

# tl_produce FILE [produce options...]: the producer in the background; the
# job id lands in $TL_TMP/job (tl_job_id), its pid in TL_PPID
tl_produce() {
  local file=$1; shift
  : >"$TL_TMP/job"
  # the newest job before this producer: tl_job_id waits for a newer one
  TL_JOB_BEFORE=$(tl_q "select coalesce(max(id), 0) from jobs" 2>/dev/null || true)
  local parts=()
  [ "$TL_REAL" = 0 ] || parts=(--partitions "$TL_PARTITIONS")
  "$MARCPIPE" produce -b "$TL_BS" --tenant "$TL_TENANT" -q "${parts[@]}" "$@" "$file" \
    >"$TL_TMP/job" 2>"$TL_TMP/produce.log" &
  TL_PPID=$!
}

# tl_job_id: the job id of the running producer (waits until the job exists
# in the database: the producer creates it before the first record; a job
# that existed before tl_produce is not it)
tl_job_id() {
  local j=
  tl_wait_until 20 eval 'j=$(tl_q "select max(id) from jobs where id > ${TL_JOB_BEFORE:-0}" 2>/dev/null) && [ -n "$j" ]' ||
    fail "no job created after 20 s"
  echo "$j"
}

# tl_produce_wait: the producer's exit status must be 0
tl_produce_wait() {
  local rc=0
  wait "$TL_PPID" || rc=$?
  TL_PPID=
  [ "$rc" -eq 0 ] || fail "produce exited $rc"
}

# tl_processed JOB: records processed so far
tl_processed() {
  tl_q "select coalesce(sum(processed), 0) from job_progress where job_id = $1"
}

# tl_wait_processed JOB N [TIMEOUT]: until at least N are processed (60 s)
tl_wait_processed() {
  local job=$1 n=$2
  tl_wait_until "${3:-60}" eval '[ "$(tl_processed "$job")" -ge "$n" ]' ||
    fail "job $job: fewer than $n processed after ${3:-60} s"
}

# tl_wait_job JOB [TIMEOUT]: until the job's status is final (90 s); prints it
tl_wait_job() {
  local job=$1 st=
  TL_POLL=0.2 tl_wait_until "${2:-90}" eval 'st=$(tl_q "select status from jobs where id = $job")
    case $st in COMPLETED|COMPLETED_WITH_ERRORS|FAILED) true ;; *) false ;; esac' ||
    fail "job $job still $st after ${2:-90} s ($(tl_processed "$job") processed, total $(tl_q "select total from jobs where id = $job"))"
  echo "$st"
}

# tl_gen N OUT: N generated records (fixed seed) in ISO 2709
tl_gen() {
  "$MARCPIPE" gen --records "$1" --seed 7 -q -o "$2" || fail "gen"
}

# tl_slow_job N [produce options...]: N generated records, broker with 8
# partitions, workers 1 and 2 with slow batches (50 records, TL_SLOW_MS ms
# inside each transaction) so faults land mid-job, producer running; sets JOB
tl_slow_job() {
  local n=$1; shift
  tl_gen "$n" "$TL_TMP/in.mrc"
  tl_broker_start 8
  TL_WORKER_OPTS+=(--batch 50 --sink-latency-ms "$TL_SLOW_MS")
  tl_worker_start 1
  tl_worker_start 2
  tl_produce "$TL_TMP/in.mrc" "$@"
  JOB=$(tl_job_id)
}

# tl_job_json JOB [FIELD]: `marcpipe status JOB --json`, or one field of it
tl_job_json() {
  if [ $# -gt 1 ]; then
    "$MARCPIPE" status "$1" --json --tenant "$TL_TENANT" | jq -r ".$2"
  else
    "$MARCPIPE" status "$1" --json --tenant "$TL_TENANT"
  fi
}

# ---- the real cluster's own faults (scripts/kafka.sh) ----
TL_KSH=${MP_SOURCE_DIR:-$(cd "$TL_LIB/../.." && pwd)}/scripts/kafka.sh

# tl_kafka_need: the test needs the real cluster and its directory
# (MP_KAFKA_BOOTSTRAP, MP_KAFKA_DIR: scripts/test.sh); without: skip (77)
tl_kafka_need() {
  if [ -z "${MP_KAFKA_BOOTSTRAP:-}" ] || [ ! -f "${MP_KAFKA_DIR:-}/bootstrap" ]; then
    echo "SKIP: $TL_NAME needs the real Kafka cluster (MP_KAFKA_BOOTSTRAP, MP_KAFKA_DIR)"
    exit 77
  fi
}

# tl_kafka ARGS...: scripts/kafka.sh on the test cluster
tl_kafka() { bash "$TL_KSH" "$@" --dir "$MP_KAFKA_DIR"; }

# tl_kafka_heal: every node of the cluster running and answering again
# (tests that stop nodes call it at exit: the cluster is shared)
tl_kafka_heal() {
  local i n
  n=$(cat "$MP_KAFKA_DIR/nodes")
  for i in $(seq 1 "$n"); do tl_kafka start-node "$i" >/dev/null 2>&1 || true; done
  tl_kafka wait >/dev/null 2>&1 || echo "WARNING: Kafka cluster not healed" >&2
}
