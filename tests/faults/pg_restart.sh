#!/usr/bin/env bash
# pg_restart.sh: PostgreSQL is restarted in the middle of a job
# (pg_ctl restart -m fast), and later is unavailable for 3 s (stop, sleep,
# start). Workers retry their batches with backoff and never turn records
# into errors; the producer's credit reads and its final total retry too.
# Needs the throwaway cluster of scripts/pgtmp.sh: MP_PGTMP (data dir
# $MP_PGTMP/data, socket dir = PGHOST, port = PGPORT).
FL_NAME=pg_restart
source "$(dirname "$0")/lib.bash"
fl_pg_setup
# whatever happens, leave the cluster running for the other tests
trap 'as_pg "$BIN/pg_ctl" -D "$PGTMP/data" status >/dev/null 2>&1 || pg_up; fl_cleanup' EXIT

N=4000
# a small backlog keeps the producer reading credit from the database
fl_slow_job $N --max-backlog 800

fl_wait_processed "$JOB" $((N / 4)) 60
fl_log "pg_ctl restart -m fast at $(fl_processed "$JOB") processed"
as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -m fast -w -t 60 restart -o "$PGOPTS" >/dev/null ||
  fl_fail "pg_ctl restart"

fl_wait_processed "$JOB" $((N * 3 / 5)) 60
fl_log "PostgreSQL down for 3 s at $(fl_processed "$JOB") processed"
as_pg "$BIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null || fl_fail "pg_ctl stop"
sleep 3
pg_up

fl_produce_wait
st=$(fl_wait_job "$JOB" 100)
fl_log "job $JOB $st"
retries=$(cat "$FL_T"/w*.log | grep -c 'failed (MP_ETRANSIENT' || true)
fl_log "batches retried after database failures: $retries"
[ "$retries" -gt 0 ] || fl_fail "no batch was retried: the outages did not hit a batch"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 2 $N "$JOB"
