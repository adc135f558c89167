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

TENANT=fk_bfault_$$
. "$(dirname "${BASH_SOURCE[0]}")/pipeline.bash"

# ---- scenario ----
"$MARCPIPE" gen --records "$N" -q -o "$T/in.mrc" || fail "gen"
start_broker
TOPIC=marcpipe.Default.$TENANT.DI_INCOMING_MARC_BIB_RECORD

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
echo "workers consumed $CONSUMED messages for $N records; rebalances $(wsum rebalances), kafka commit errors $(wsum kafka_commit_errors), database retries $(wsum retries)"
echo "scenario broker_faults: runs 1, records sent $N, stored $STORED, lost $LOST, duplicated $DUPS"
[ "$LOST" = 0 ] && [ "$DUPS" = 0 ] || fail "lost $LOST duplicated $DUPS"
