#!/usr/bin/env bash
# producer_kill.sh: fault scenario "producer killed": `marcpipe produce` is
# killed with SIGKILL in the middle of a 20,000-record file while two
# workers consume; `marcpipe produce --resume JOB` finishes the job. The
# job must end COMPLETED with every seq 1..20000 journaled exactly once,
# 20,000 instances, no record applied twice. Also: resuming a completed job
# has nothing to do, resuming a FAILED job is refused, a bad id is a usage
# error. Needs PG* set (scripts/test.sh); runs `marcpipe broker` as a
# process.
N=20000
FL_EMBEDDED=1 # the broker's control channel

. "$(dirname "$0")/lib.bash"
# as before the library: default batches, counters as JSON at exit
FL_WORKER_OPTS=(-X session.timeout.ms=6000 --stats-json)

# ---- scenario ----
"$MARCPIPE" gen --records "$N" -q -o "$FL_T/in.mrc" || fl_fail "gen"
rc=0; "$MARCPIPE" produce -b 127.0.0.1:1 --resume x 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fl_fail "--resume x: exit $rc, expected 2"
fl_broker_start 8
fl_worker_start 1
fl_worker_start 2

# Small credit: the producer stays at most 1000 records ahead of the workers,
# so it is still producing when it is killed.
"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --max-backlog 1000 -q \
  "$FL_T/in.mrc" >"$FL_T/job" 2>"$FL_T/p1.log" &
FL_PPID=$!
fl_wait_until 20 test -s "$FL_T/job" || fl_fail "no job id"
JOB=$(cat "$FL_T/job")
produced_between() { local p; p=$(fl_summary_json "$JOB" produced); [ "$p" -ge "$1" ] && [ "$p" -lt "$2" ]; }
fl_wait_until 60 produced_between 4000 "$N" || fl_fail "job never reached 4000 produced records"
kill -KILL "$FL_PPID"; wait "$FL_PPID" 2>/dev/null || true; FL_PPID=
P1=$(fl_summary_json "$JOB" produced)
[ "$(fl_summary_json "$JOB" total)" = null ] || fl_fail "killed producer recorded a total"
[ "$P1" -lt "$N" ] || fl_fail "kill came too late: $P1 produced"
[ "$(fl_summary_json "$JOB" status)" = PRODUCING ] || fl_fail "status after kill: $(fl_summary_json "$JOB" status)"

"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --resume "$JOB" --max-backlog 1000 -q \
  >"$FL_T/job2" 2>"$FL_T/p2.log" || fl_fail "produce --resume exit $?"
[ "$(cat "$FL_T/job2")" = "$JOB" ] || fl_fail "resume printed '$(cat "$FL_T/job2")'"
grep -q "after $P1 records already produced" "$FL_T/p2.log" || fl_fail "resume did not start at $P1"
# the records already processed are skipped, the others sent again
K=$(sed -n "s/.*: $N records read (\([0-9]*\) skipped as processed).*/\1/p" "$FL_T/p2.log")
[ -n "$K" ] && [ "$K" -gt 0 ] && [ "$K" -lt "$N" ] || fl_fail "resume summary: $(tail -n 2 "$FL_T/p2.log")"
completed() { [ "$(fl_summary_json "$JOB" status)" = COMPLETED ]; }
fl_wait_until 90 completed || fl_fail "job not COMPLETED: $(fl_summary_json "$JOB" status), processed $(fl_summary_json "$JOB" processed)"
fl_workers_stop
CONSUMED=$(fl_worker_sum consumed)
fl_check -c "$N" 2 "$N" "$JOB" # every record CREATED once
[ "$CONSUMED" -ge "$N" ] || fl_fail "workers consumed only $CONSUMED messages"

# A completed job has nothing to resume; a FAILED one is refused.
"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --resume "$JOB" >"$FL_T/job3" 2>"$FL_T/p3.log" \
  || fl_fail "resume of a completed job: exit $?"
grep -q "nothing to resume" "$FL_T/p3.log" || fl_fail "completed job message"
fl_broker_ctl "err Produce 100000 TOPIC_AUTHORIZATION_FAILED"
rc=0; "$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" -q "$FL_T/in.mrc" >"$FL_T/job4" 2>"$FL_T/p4.log" || rc=$?
[ "$rc" -eq 1 ] || fl_fail "failing producer: exit $rc"
fl_broker_ctl "clear Produce"
rc=0; "$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --resume "$(cat "$FL_T/job4")" 2>"$FL_T/p5.log" || rc=$?
[ "$rc" -eq 1 ] || fl_fail "resume of a FAILED job: exit $rc"
grep -q "cannot be resumed" "$FL_T/p5.log" || fl_fail "FAILED job message"

echo "producer killed after $P1 records recorded as produced; workers consumed $((CONSUMED - N)) messages more than the file has (sent again by the resumed run)"
