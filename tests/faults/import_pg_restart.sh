#!/usr/bin/env bash
# import_pg_restart.sh: PostgreSQL restarted under `marcpipe import` (the
# all-in-one: embedded broker, worker processes). The workers always
# retried and completed the job, but import's own connections (progress,
# job control) never reconnected: it never saw the job end, never exited,
# and ignored SIGTERM. Now they reconnect: the import must exit 0 by itself
# with the job COMPLETED and every record once (fl_check). Then, with the
# server stopped, SIGTERM must end an import within 30 s (a second SIGTERM
# if the first waits for the database).
# Needs the throwaway cluster of scripts/pgtmp.sh: MP_PGTMP; ctest runs it
# alone (RUN_SERIAL), like pg_restart.sh.
FL_NAME=import_pg_restart
source "$(dirname "$0")/lib.bash"
fl_pg_setup
IPID=
trap '[ -n "$IPID" ] && kill -KILL "$IPID" 2>/dev/null; as_pg "$BIN/pg_ctl" -D "$PGTMP/data" status >/dev/null 2>&1 || pg_up; fl_cleanup' EXIT

N=20000
fl_gen $N "$FL_T/in.mrc"
"$MARCPIPE" import --tenant "$FL_TENANT" --max-backlog 4000 "$FL_T/in.mrc" \
  >"$FL_T/import.out" 2>"$FL_T/import.log" &
IPID=$!
JOB=$(fl_job_id)
fl_wait_processed "$JOB" 2000 60
fl_log "pg_ctl restart -m fast at $(fl_processed "$JOB") processed"
as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -m fast -w -t 60 restart -o "$PGOPTS" >/dev/null ||
  fl_fail "pg_ctl restart"
end=$((SECONDS + 120))
while kill -0 "$IPID" 2>/dev/null; do
  [ $SECONDS -lt $end ] || fl_fail "import still running 120 s after the restart (job $(fl_q "select status from jobs where id = $JOB"))"
  sleep 0.5
done
rc=0; wait "$IPID" || rc=$?; IPID=
[ "$rc" -eq 0 ] || fl_fail "import exited $rc"
grep -q "^job $JOB COMPLETED" "$FL_T/import.out" || fl_fail "summary: $(cat "$FL_T/import.out")"
fl_check -q 1 $N "$JOB"

# the server stopped under an import: SIGTERM ends it
"$MARCPIPE" import --tenant "$FL_TENANT" --max-backlog 4000 "$FL_T/in.mrc" \
  >"$FL_T/import2.out" 2>"$FL_T/import2.log" &
IPID=$!
end=$((SECONDS + 60))
until [ "$(fl_q "select count(*) from jobs where id > $JOB and status = 'PRODUCING'")" -gt 0 ]; do
  [ $SECONDS -lt $end ] || fl_fail "second job not started"
  sleep 0.2
done
as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null || fl_fail "pg_ctl stop"
sleep 2
kill -TERM "$IPID"
end=$((SECONDS + 30)) again=0
while kill -0 "$IPID" 2>/dev/null; do
  if [ $SECONDS -ge $((end - 15)) ] && [ $again -eq 0 ]; then kill -TERM "$IPID"; again=1; fi
  [ $SECONDS -lt $end ] || fl_fail "import still running 30 s after SIGTERM with the database down"
  sleep 0.5
done
rc=0; wait "$IPID" || rc=$?; IPID=
[ "$rc" -eq 1 ] || fl_fail "import exited $rc after SIGTERM, want 1"
pg_up
fl_log "database down: SIGTERM ended the import (second signal: $again)"
fl_check 1 $N "$JOB"
