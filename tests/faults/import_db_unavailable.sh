#!/usr/bin/env bash
# import_db_unavailable.sh: PostgreSQL stops for good under `marcpipe import`
# (as when its disk is full). Before: workers retried forever and import
# hung, ignoring SIGTERM; the job stayed PRODUCING with nobody on it. The
# policy now (README): workers retry with backoff; import gives the job up
# once the database has been unreachable for MARCPIPE_DB_UNAVAILABLE_S
# (120 s by default, 5 s here) and exits 1 with "FAILED ... database
# unavailable: <reason>", leaving the job as the database has it. Once the
# server is back, `produce --resume` with a new broker and two workers must
# complete the job with every record once (fl_check).
# Needs MP_PGTMP; ctest runs it alone (RUN_SERIAL).
FL_NAME=import_db_unavailable
source "$(dirname "$0")/lib.bash"
fl_pg_setup
IPID=
trap '[ -n "$IPID" ] && kill -KILL "$IPID" 2>/dev/null; as_pg "$BIN/pg_ctl" -D "$PGTMP/data" status >/dev/null 2>&1 || pg_up; fl_cleanup' EXIT

N=20000
fl_gen $N "$FL_T/in.mrc"
MARCPIPE_DB_UNAVAILABLE_S=5 "$MARCPIPE" import --tenant "$FL_TENANT" --max-backlog 4000 \
  "$FL_T/in.mrc" >"$FL_T/import.out" 2>"$FL_T/import.log" &
IPID=$!
JOB=$(fl_job_id)
fl_wait_processed "$JOB" 2000 60
fl_log "pg_ctl stop -m fast at $(fl_processed "$JOB") processed"
as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null || fl_fail "pg_ctl stop"
end=$((SECONDS + 120))
while kill -0 "$IPID" 2>/dev/null; do
  [ $SECONDS -lt $end ] || fl_fail "import still running 120 s after the database stopped"
  sleep 0.5
done
rc=0; wait "$IPID" || rc=$?; IPID=
[ "$rc" -eq 1 ] || fl_fail "import exited $rc, want 1"
grep -q "^job $JOB FAILED" "$FL_T/import.out" || fl_fail "summary: $(cat "$FL_T/import.out")"
grep -q "^  failure: database unavailable: " "$FL_T/import.out" || fl_fail "summary: $(cat "$FL_T/import.out")"
grep -q "giving up: \`marcpipe produce --resume $JOB\` continues it" "$FL_T/import.log" || fl_fail "no resume hint"
pg_up
st=$(fl_q "select status from jobs where id = $JOB")
[ "$st" = PRODUCING ] || fl_fail "job $JOB is $st after the import gave up, want PRODUCING"
fl_log "import gave up (exit 1); database back, job $JOB $st with $(fl_processed "$JOB") processed"

fl_broker_start 8
fl_worker_start 1
fl_worker_start 2
"$MARCPIPE" produce -b "$FL_BS" --tenant "$FL_TENANT" --resume "$JOB" -q \
  >"$FL_T/resume.out" 2>"$FL_T/produce.log" || fl_fail "produce --resume exited $?"
fl_log "job $JOB $(fl_wait_job "$JOB" 120)"
fl_workers_stop
fl_check 1 $N "$JOB"
