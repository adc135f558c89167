#!/usr/bin/env bash
# producer_kill.sh: fault scenario "producer killed": `marcpipe produce` is
# killed with SIGKILL in the middle of a 20,000-record file while two
# workers consume; `marcpipe produce --resume JOB` finishes the job. The
# job must end COMPLETED with every seq 1..20000 journaled exactly once,
# 20,000 instances, no record applied twice. Also: resuming a completed job
# has nothing to do, resuming a FAILED job is refused, a bad id is a usage
# error. Needs PG* set (scripts/test.sh); runs `marcpipe broker` as a
# process.
set -euo pipefail
MARCPIPE=${MARCPIPE:?MARCPIPE not set}
N=20000

# ---- helpers (self-contained) ----
T=$(mktemp -d)
TENANT=fk_pkill_$$
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
  for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
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

# ---- scenario ----
"$MARCPIPE" gen --records "$N" -q -o "$T/in.mrc" || fail "gen"
rc=0; "$MARCPIPE" produce -b 127.0.0.1:1 --resume x 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--resume x: exit $rc, expected 2"
start_broker
start_workers 2

# Small credit: the producer stays at most 1000 records ahead of the workers,
# so it is still producing when it is killed.
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --max-backlog 1000 -q \
  "$T/in.mrc" >"$T/job" 2>"$T/p1.err" &
PP=$!; PIDS+=($PP)
wait_until 20 test -s "$T/job" || fail "no job id"
JOB=$(cat "$T/job")
produced_between() { local p; p=$(job_field "$JOB" produced); [ "$p" -ge "$1" ] && [ "$p" -lt "$2" ]; }
wait_until 60 produced_between 4000 "$N" || fail "job never reached 4000 produced records"
kill -KILL "$PP"; wait "$PP" 2>/dev/null || true
P1=$(job_field "$JOB" produced)
[ "$(job_field "$JOB" total)" = null ] || fail "killed producer recorded a total"
[ "$P1" -lt "$N" ] || fail "kill came too late: $P1 produced"
[ "$(job_field "$JOB" status)" = PRODUCING ] || fail "status after kill: $(job_field "$JOB" status)"

"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$JOB" --max-backlog 1000 -q \
  >"$T/job2" 2>"$T/p2.err" || fail "produce --resume exit $?"
[ "$(cat "$T/job2")" = "$JOB" ] || fail "resume printed '$(cat "$T/job2")'"
grep -q "after $P1 records already produced" "$T/p2.err" || fail "resume did not start at $P1"
grep -q "$N records read ($P1 skipped as produced)" "$T/p2.err" || fail "resume summary"
completed() { [ "$(job_field "$JOB" status)" = COMPLETED ]; }
wait_until 90 completed || fail "job not COMPLETED: $(job_field "$JOB" status), processed $(job_field "$JOB" processed)"
stop_workers
check_exact "$JOB" "$N"
[ "$CONSUMED" -ge "$N" ] || fail "workers consumed only $CONSUMED messages"

# A completed job has nothing to resume; a FAILED one is refused.
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$JOB" >"$T/job3" 2>"$T/p3.err" \
  || fail "resume of a completed job: exit $?"
grep -q "nothing to resume" "$T/p3.err" || fail "completed job message"
echo "err Produce 100000 TOPIC_AUTHORIZATION_FAILED" >&3
wait_until 10 grep -q '^ok' "$T/broker.out" || fail "broker control"
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" -q "$T/in.mrc" >"$T/job4" 2>"$T/p4.err" || rc=$?
[ "$rc" -eq 1 ] || fail "failing producer: exit $rc"
echo "clear Produce" >&3
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$(cat "$T/job4")" 2>"$T/p5.err" || rc=$?
[ "$rc" -eq 1 ] || fail "resume of a FAILED job: exit $rc"
grep -q "cannot be resumed" "$T/p5.err" || fail "FAILED job message"

LOST=$((N - STORED))
echo "producer killed after $P1 records recorded as produced; workers consumed $((CONSUMED - N)) messages more than the file has (sent again by the resumed run)"
echo "scenario producer_kill: runs 2, records sent $CONSUMED, stored $STORED, lost $LOST, duplicated $DUPS"
[ "$LOST" = 0 ] && [ "$DUPS" = 0 ] || fail "lost $LOST duplicated $DUPS"
