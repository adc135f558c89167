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

TENANT=fk_pkill_$$
. "$(dirname "${BASH_SOURCE[0]}")/pipeline.bash"

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
# the records already processed are skipped, the others sent again
K=$(sed -n "s/.*: $N records read (\([0-9]*\) skipped as processed).*/\1/p" "$T/p2.err")
[ -n "$K" ] && [ "$K" -gt 0 ] && [ "$K" -lt "$N" ] || fail "resume summary: $(tail -n 2 "$T/p2.err")"
completed() { [ "$(job_field "$JOB" status)" = COMPLETED ]; }
wait_until 90 completed || fail "job not COMPLETED: $(job_field "$JOB" status), processed $(job_field "$JOB" processed)"
stop_workers
check_exact "$JOB" "$N"
[ "$CONSUMED" -ge "$N" ] || fail "workers consumed only $CONSUMED messages"

# A completed job has nothing to resume; a FAILED one is refused.
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$JOB" >"$T/job3" 2>"$T/p3.err" \
  || fail "resume of a completed job: exit $?"
grep -q "nothing to resume" "$T/p3.err" || fail "completed job message"
ctl "err Produce 100000 TOPIC_AUTHORIZATION_FAILED"
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" -q "$T/in.mrc" >"$T/job4" 2>"$T/p4.err" || rc=$?
[ "$rc" -eq 1 ] || fail "failing producer: exit $rc"
ctl "clear Produce"
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$(cat "$T/job4")" 2>"$T/p5.err" || rc=$?
[ "$rc" -eq 1 ] || fail "resume of a FAILED job: exit $rc"
grep -q "cannot be resumed" "$T/p5.err" || fail "FAILED job message"

LOST=$((N - STORED))
echo "producer killed after $P1 records recorded as produced; workers consumed $((CONSUMED - N)) messages more than the file has (sent again by the resumed run)"
echo "scenario producer_kill: runs 2, records sent $CONSUMED, stored $STORED, lost $LOST, duplicated $DUPS"
[ "$LOST" = 0 ] && [ "$DUPS" = 0 ] || fail "lost $LOST duplicated $DUPS"
