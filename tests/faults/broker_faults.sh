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
N=20000
FL_EMBEDDED=1 # the broker's control channel

. "$(dirname "$0")/lib.bash"
# as before the library: default batches, counters as JSON at exit
FL_WORKER_OPTS=(-X session.timeout.ms=6000 --stats-json)

# ---- scenario ----
"$MARCPIPE" gen --records "$N" -q -o "$FL_T/in.mrc" || fl_fail "gen"
fl_broker_start 8
TOPIC=marcpipe.Default.$FL_TENANT.DI_INCOMING_MARC_BIB_RECORD

# The group's coordinator is broker 2 (taken down later); the workers'
# first joins fail with a retriable coordinator error.
fl_broker_ctl "coordinator group marcpipe.inventory 2" "err JoinGroup 3 COORDINATOR_LOAD_IN_PROGRESS"
fl_worker_start 1
fl_worker_start 2
# The idempotent producer's first InitProducerId fails retriably too.
fl_broker_ctl "err InitProducerId 2 COORDINATOR_LOAD_IN_PROGRESS"
"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --max-backlog 2000 -q \
  "$FL_T/in.mrc" >"$FL_T/job" 2>"$FL_T/p1.log" &
FL_PPID=$!
fl_wait_until 20 test -s "$FL_T/job" || fl_fail "no job id"
JOB=$(cat "$FL_T/job")
produced_at_least() { [ "$(fl_summary_json "$JOB" produced)" -ge "$1" ]; }
processed_at_least() { [ "$(fl_summary_json "$JOB" processed)" -ge "$1" ]; }

fl_wait_until 60 produced_at_least 2000 || fl_fail "job stuck before 2000 produced"
fl_broker_ctl "err Produce 6 NOT_LEADER_FOR_PARTITION" "err Fetch 6 NOT_LEADER_FOR_PARTITION"
fl_wait_until 60 processed_at_least 5000 || fl_fail "job stuck before 5000 processed"
fl_broker_ctl "err OffsetCommit 4 COORDINATOR_NOT_AVAILABLE" "err Produce 3 REQUEST_TIMED_OUT"
fl_wait_until 60 processed_at_least 8000 || fl_fail "job stuck before 8000 processed"
# Broker 2 (coordinator and leader of some partitions) is down for longer
# than the workers' session timeout (6 s).
fl_broker_ctl "down 2"
sleep 8
fl_broker_ctl "up 2"
fl_wait_until 60 processed_at_least 12000 || fl_fail "job stuck before 12000 processed after broker 2 came back"
fl_broker_ctl "leader $TOPIC 0 3" "leader $TOPIC 1 3" "leader $TOPIC 2 1" "leader $TOPIC 5 2"
fl_wait_until 60 processed_at_least 15000 || fl_fail "job stuck before 15000 processed after leader moves"
# A heartbeat answered "rebalance in progress": the group rebalances again.
fl_broker_ctl "err Fetch 4 NOT_LEADER_FOR_PARTITION" "leader $TOPIC 0 1" \
  "err Heartbeat 2 REBALANCE_IN_PROGRESS"

fl_produce_wait
grep -q "$N records read, $N delivered, 0 rejected" "$FL_T/p1.log" || fl_fail "producer summary"
completed() { [ "$(fl_summary_json "$JOB" status)" = COMPLETED ]; }
fl_wait_until 90 completed || fl_fail "job not COMPLETED: $(fl_summary_json "$JOB" status), processed $(fl_summary_json "$JOB" processed)"
fl_workers_stop
CONSUMED=$(fl_worker_sum consumed)
echo "workers consumed $CONSUMED messages for $N records; rebalances $(fl_worker_sum rebalances), kafka commit errors $(fl_worker_sum kafka_commit_errors), database retries $(fl_worker_sum retries)"
fl_check -c "$N" 1 "$N" "$JOB" # every record CREATED once
