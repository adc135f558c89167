# pipeline.bash: helpers of the pipeline fault scenarios (sourced by
# producer_kill.sh and broker_faults.sh): a `marcpipe broker` process with a
# control channel, worker processes, job status, and the exact-count check.
# The sourcing script sets MARCPIPE and TENANT (a fresh tenant: the schema
# is dropped at exit) and runs under set -euo pipefail; needs PG* set.
# Every process started here is stopped by its pid at exit.
T=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  psql -X -q -c "drop schema if exists ${TENANT}_marcpipe cascade" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$T"/*.err "$T"/*.out; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
  exit 1
}
q() { PGOPTIONS="-c search_path=${TENANT}_marcpipe" psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
# wait_until SECONDS CMD...: poll CMD every 0.2 s
wait_until() {
  local n=$(($1 * 5)); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
  return 1
}
job_field() { "$MARCPIPE" status "$1" --tenant "$TENANT" --json | jq -r ".$2"; }
start_broker() {
  mkfifo "$T/ctl"
  "$MARCPIPE" broker --tenant "$TENANT" --partitions 8 --bootstrap-file "$T/bs" \
    <"$T/ctl" >"$T/broker.out" 2>"$T/broker.err" &
  PIDS+=($!)
  exec 3>"$T/ctl"
  wait_until 20 test -s "$T/bs" || fail "broker did not start"
  BS=$(cat "$T/bs")
}
# start_workers K: K worker processes, counters as JSON in $T/wI.json at exit
WPIDS=()
start_workers() {
  local i
  for i in $(seq "$1"); do
    "$MARCPIPE" work -b "$BS" --tenant "$TENANT" -X session.timeout.ms=6000 \
      --stats-json >"$T/w$i.json" 2>"$T/w$i.err" &
    WPIDS+=($!); PIDS+=($!)
  done
}
# stop_workers: SIGTERM, wait; CONSUMED = the sum of their consumed counters
stop_workers() {
  local p i rc
  for p in "${WPIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${WPIDS[@]}"; do rc=0; wait "$p" || rc=$?; [ "$rc" = 0 ] || fail "worker $p exit $rc"; done
  CONSUMED=0
  for i in $(seq "${#WPIDS[@]}"); do
    CONSUMED=$((CONSUMED + $(jq -r .consumed "$T/w$i.json")))
  done
  WPIDS=()
}
# check_exact JOB N: the job is complete with N distinct records, once each;
# sets STORED and DUPS
check_exact() {
  local job=$1 n=$2
  local rows seqs lo hi inst ver dupo processed created
  rows=$(q "select count(*) from journal where job_id=$job")
  seqs=$(q "select count(distinct seq) from journal where job_id=$job")
  lo=$(q "select min(seq) from journal where job_id=$job")
  hi=$(q "select max(seq) from journal where job_id=$job")
  inst=$(q "select count(*) from instances where source_job=$job")
  ver=$(q "select count(*) from instances where version <> 1")
  dupo=$(q "select count(*) from journal where job_id=$job and outcome <> 'CREATED'")
  processed=$(job_field "$job" processed)
  created=$(job_field "$job" created)
  STORED=$seqs
  DUPS=$((rows - seqs + ver + dupo + processed - n))
  [ "$DUPS" -ge 0 ] || DUPS=0
  [ "$rows" = "$n" ] || fail "journal rows $rows, expected $n"
  [ "$seqs" = "$n" ] && [ "$lo" = 1 ] && [ "$hi" = "$n" ] || fail "journal seqs: $seqs distinct in $lo..$hi"
  [ "$inst" = "$n" ] || fail "instances $inst, expected $n"
  [ "$ver" = 0 ] || fail "$ver instances applied more than once"
  [ "$dupo" = 0 ] || fail "$dupo journal rows are not CREATED"
  [ "$processed" = "$n" ] && [ "$created" = "$n" ] || fail "job counters processed $processed created $created"
  [ "$(q "select count(*) from source_records where job_id=$job")" = "$n" ] || fail "source_records"
}
# answered: the broker printed an answer for every command sent (its first
# line is the bootstrap servers)
answered() { [ "$(grep -c '' "$T/broker.out")" -gt "$NCTL" ]; }
# ctl LINE...: send control commands to the broker, wait for their answers,
# all "ok"
NCTL=0
# ctl LINE...: send control commands, wait for their answers, all "ok"
ctl() {
  local l
  for l in "$@"; do echo "$l" >&3; NCTL=$((NCTL + 1)); done
  local t0=$SECONDS
  wait_until 30 answered ||
    fail "broker did not answer '$*' in 30 s ($(($(grep -c '' "$T/broker.out") - 1)) answers for $NCTL commands)"
  ! grep -q '^error' "$T/broker.out" || fail "broker control: $(grep '^error' "$T/broker.out")"
  echo "fault: $* (answered in $((SECONDS - t0)) s)"
}
# wsum FIELD: sum of a counter over the workers' --stats-json files
wsum() {
  local f s=0
  for f in "$T"/w*.json; do s=$((s + $(jq -r ".$1" "$f"))); done
  echo "$s"
}
