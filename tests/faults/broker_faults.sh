#!/usr/bin/env bash
# broker_faults.sh: fault scenario "broker faults": a 20,000-record job runs
# through `marcpipe broker` (a separate process) with `marcpipe produce` and
# two `marcpipe work` processes while the broker's control channel injects
# infrastructure faults: retriable request errors on JoinGroup (while the
# workers join), InitProducerId, Produce, Fetch, OffsetCommit and Heartbeat,
# the group coordinator (also a partition leader) down for longer than the
# session timeout and back, and partition leaders moved. Producer and workers must
# recover by themselves: the job ends COMPLETED with every seq 1..20000
# journaled exactly once, 20,000 instances, no record applied twice. Needs
# PG* set (scripts/test.sh).
set -euo pipefail
MARCPIPE=${MARCPIPE:?MARCPIPE not set}
N=20000

# ---- helpers (self-contained) ----
T=$(mktemp -d)
TENANT=fk_bfault_$$
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
start_broker
TOPIC=marcpipe.Default.$TENANT.DI_INCOMING_MARC_BIB_RECORD
NCTL=0
# ctl LINE...: send control commands, wait for their answers, all "ok"
ctl() {
  local l
  for l in "$@"; do echo "$l" >&3; NCTL=$((NCTL + 1)); done
  wait_until 10 test "$(grep -c '' "$T/broker.out")" -gt "$NCTL" || fail "broker did not answer '$*'"
  ! grep -q '^error' "$T/broker.out" || fail "broker control: $(grep '^error' "$T/broker.out")"
  echo "fault: $*"
}

# The group's coordinator is broker 2 (taken down later); the workers'
# first joins fail with a retriable coordinator error.
ctl "coordinator group marcpipe.inventory 2" "err JoinGroup 3 COORDINATOR_LOAD_IN_PROGRESS"
start_workers 2
# The idempotent producer's first InitProducerId fails retriably too.
ctl "err InitProducerId 2 COORDINATOR_LOAD_IN_PROGRESS"
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --max-backlog 2000 -q \
  "$T/in.mrc" >"$T/job" 2>"$T/p1.err" &
PP=$!; PIDS+=($PP)
wait_until 20 test -s "$T/job" || fail "no job id"
JOB=$(cat "$T/job")
produced_at_least() { [ "$(job_field "$JOB" produced)" -ge "$1" ]; }
processed_at_least() { [ "$(job_field "$JOB" processed)" -ge "$1" ]; }

wait_until 60 produced_at_least 2000 || fail "job stuck before 2000 produced"
ctl "err Produce 6 NOT_LEADER_FOR_PARTITION" "err Fetch 6 NOT_LEADER_FOR_PARTITION"
wait_until 60 processed_at_least 5000 || fail "job stuck before 5000 processed"
ctl "err OffsetCommit 4 COORDINATOR_NOT_AVAILABLE" "err Produce 3 REQUEST_TIMED_OUT"
wait_until 60 processed_at_least 8000 || fail "job stuck before 8000 processed"
# Broker 2 (coordinator and leader of some partitions) is down for longer
# than the workers' session timeout (6 s).
ctl "down 2"
sleep 8
ctl "up 2"
wait_until 60 processed_at_least 12000 || fail "job stuck before 12000 processed after broker 2 came back"
ctl "leader $TOPIC 0 3" "leader $TOPIC 1 3" "leader $TOPIC 2 1" "leader $TOPIC 5 2"
wait_until 60 processed_at_least 15000 || fail "job stuck before 15000 processed after leader moves"
# A heartbeat answered "rebalance in progress": the group rebalances again.
ctl "err Fetch 4 NOT_LEADER_FOR_PARTITION" "leader $TOPIC 0 1" \
  "err Heartbeat 2 REBALANCE_IN_PROGRESS"

rc=0; wait "$PP" || rc=$?
[ "$rc" = 0 ] || fail "producer exit $rc"
grep -q "$N records read, $N delivered, 0 rejected" "$T/p1.err" || fail "producer summary"
completed() { [ "$(job_field "$JOB" status)" = COMPLETED ]; }
wait_until 90 completed || fail "job not COMPLETED: $(job_field "$JOB" status), processed $(job_field "$JOB" processed)"
stop_workers
check_exact "$JOB" "$N"

LOST=$((N - STORED))
wsum() { local i s=0; for i in 1 2; do s=$((s + $(jq -r ".$1" "$T/w$i.json"))); done; echo "$s"; }
echo "workers consumed $CONSUMED messages for $N records; rebalances $(wsum rebalances), kafka commit errors $(wsum kafka_commit_errors), database retries $(wsum retries)"
echo "scenario broker_faults: runs 1, records sent $N, stored $STORED, lost $LOST, duplicated $DUPS"
[ "$LOST" = 0 ] && [ "$DUPS" = 0 ] || fail "lost $LOST duplicated $DUPS"
