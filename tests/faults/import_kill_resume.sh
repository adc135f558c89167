#!/usr/bin/env bash
# import_kill_resume.sh: `marcpipe import` killed with SIGKILL mid-job takes
# its embedded broker with it, and with it every record delivered but not
# yet processed. `marcpipe produce --resume JOB` used to skip every record
# the dead run had recorded as produced, so those records were lost and the
# job stayed IN_PROGRESS forever (issue: 10,893 produced, 4,761 processed).
# Now a resume skips only the records the journal holds and sends every
# other one again (keyed by seq: one consumed twice is a replay). Here:
# 20,000 records, import killed once 3,000 are processed, its workers
# stopped; a new `marcpipe broker`, two workers and `produce --resume` must
# bring the job to COMPLETED with every seq journaled once (fl_check).
FL_NAME=import_kill_resume
source "$(dirname "$0")/lib.bash"
N=20000
fl_gen $N "$FL_T/in.mrc"
# Its workers are held slower than the producer (100 ms per batch of 200),
# so records are in flight at the kill however fast this machine sinks:
# with full-speed workers they kept up with the recorded prefix and the
# scenario had nothing to lose.
"$MARCPIPE" import --tenant "$FL_TENANT" --max-backlog 6000 --batch 200 \
  --sink-latency-ms 100 "$FL_T/in.mrc" >"$FL_T/import.out" 2>"$FL_T/import.log" &
IPID=$!
JOB=$(fl_job_id)
fl_wait_processed "$JOB" 3000 90
KIDS=$(pgrep -P "$IPID" || true)
kill -KILL "$IPID"; wait "$IPID" 2>/dev/null || true
# its workers notice and stop (MARCPIPE_IMPORT_PID); bounded wait, then KILL
for k in $KIDS; do
  for _ in $(seq 300); do kill -0 "$k" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$k" 2>/dev/null || true
done
P1=$(fl_q "select produced from jobs where id = $JOB")
D1=$(fl_processed "$JOB")
fl_log "import killed: job $JOB produced $P1, processed $D1"
[ "$D1" -lt "$P1" ] || fl_fail "nothing was in flight (processed $D1, produced $P1): the kill came too late"
[ "$(fl_q "select status from jobs where id = $JOB")" = PRODUCING ] || fl_fail "status after the kill"

fl_broker_start 8
fl_worker_start 1
fl_worker_start 2
"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --resume "$JOB" -q \
  >"$FL_T/resume.out" 2>"$FL_T/produce.log" || fl_fail "produce --resume exited $?"
K=$(sed -n "s/.*: $N records read (\([0-9]*\) skipped as processed).*/\1/p" "$FL_T/produce.log")
[ "$K" = "$D1" ] || fl_fail "resume skipped '$K', the journal had $D1"
fl_log "resume: $K skipped as processed, $((N - K)) sent"
fl_log "job $JOB $(fl_wait_job "$JOB" 120)"
fl_workers_stop
fl_check 1 $N "$JOB"
