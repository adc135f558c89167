#!/usr/bin/env bash
# import_signals.sh: signals never kill the embedded broker, and the summary
# after SIGINT is the database's.
# 1. `marcpipe import` of 10,000 generated records while SIGCHLD is sent to
#    it without pause: before the fix a signal landing on the mock
#    cluster's thread killed it ("Mock cluster failed to poll ...:
#    Interrupted system call") and the import hung. Now librdkafka's threads
#    are created with signals blocked: the job must be COMPLETED with 10,000
#    distinct records, one Instance each.
# 2. SIGINT once 1,000 records are processed: the import exits 1 and its
#    summary's created count equals the database's (it said "created 0"
#    while thousands were committed).
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_signals
S=${T}_marcpipe
"$MARCPIPE" gen --records 10000 --seed 5 -q -o "$TMP/g.mrc"
"$MARCPIPE" import -q --json --tenant "$T" "$TMP/g.mrc" >"$TMP/out.json" 2>"$TMP/err.log" &
pid=$!
end=$((SECONDS + 90)) n=0
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do
  kill -CHLD "$pid" 2>/dev/null || true
  n=$((n + 1))
done
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  it_fail "import still running after 90 s of SIGCHLD ($n signals)"
fi
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || it_fail "import exit $rc under SIGCHLD"
! grep -q "failed to poll" "$TMP/err.log" || it_fail "the embedded broker died: $(grep 'failed to poll' "$TMP/err.log")"
[ "$n" -gt 1000 ] || it_fail "only $n signals sent"
got=$(it_sql "SELECT status, total FROM $S.jobs")
[ "$got" = $'COMPLETED\t10000' ] || it_fail "job: '$got'"
it_verdict 10000
echo "import under $n SIGCHLD: job COMPLETED, 10000 records once each"

# 2. SIGINT mid-job
it_sql "DROP SCHEMA $S CASCADE" >/dev/null 2>&1
"$MARCPIPE" gen --records 30000 --seed 6 -q -o "$TMP/g30.mrc"
"$MARCPIPE" import --tenant "$T" --max-backlog 4000 "$TMP/g30.mrc" >"$TMP/out.txt" 2>"$TMP/err.log" &
pid=$!
processed() { it_sql "SELECT coalesce(sum(processed), 0) FROM $S.job_progress" 2>/dev/null || echo 0; }
end=$((SECONDS + 60))
while [ "$(processed)" -lt 1000 ]; do
  kill -0 "$pid" 2>/dev/null || it_fail "import ended before 1000 records were processed"
  [ $SECONDS -lt $end ] || { kill -KILL "$pid"; it_fail "1000 records not processed in 60 s"; }
  sleep 0.2
done
kill -INT "$pid"
end=$((SECONDS + 60))
while kill -0 "$pid" 2>/dev/null; do
  [ $SECONDS -lt $end ] || { kill -KILL "$pid"; it_fail "import still running 60 s after SIGINT"; }
  sleep 0.2
done
rc=0; wait "$pid" || rc=$?
[ "$rc" = 1 ] || it_fail "import exit $rc after SIGINT, want 1"
db=$(it_sql "SELECT sum(created) FROM $S.job_progress")
said=$(sed -n 's/^  records [0-9]*  created \([0-9]*\) .*/\1/p' "$TMP/out.txt")
[ -n "$said" ] && [ "$said" = "$db" ] || it_fail "summary says created '$said', the database $db: $(cat "$TMP/out.txt")"
[ "$db" -ge 1000 ] || it_fail "created $db"
echo "SIGINT: summary created $said = database $db"
