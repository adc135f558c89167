#!/usr/bin/env bash
# worker_kill.sh: workers die by SIGKILL at random moments of a job and are
# restarted; one more dies exactly between the PostgreSQL COMMIT of a batch
# and the Kafka offset commit (MP_FAULT_CRASH_AFTER_PG_COMMIT). Every record
# must be stored exactly once and the job must complete with exact counts.
FL_NAME=worker_kill
source "$(dirname "$0")/lib.bash"
fl_hooks_need

N=4000
KILLS=4
fl_gen $N "$FL_T/in.mrc"
fl_broker_start 8
# slow batches keep the job running long enough to kill workers in it
FL_WORKER_OPTS+=(--batch 50 --sink-latency-ms 100)
fl_worker_start 1
# worker 2 first dies in the crash window: PostgreSQL has its 3rd batch,
# Kafka does not have that batch's offsets
MP_FAULT_CRASH_AFTER_PG_COMMIT=3 fl_worker_start 2
fl_produce "$FL_T/in.mrc"
JOB=$(fl_job_id)
end=$((SECONDS + 60))
while fl_worker_alive 2; do
  [ $SECONDS -lt $end ] || fl_fail "worker 2 did not reach the fault hook in 60 s"
  sleep 0.1
done
rc=0; wait "${FL_WPID[2]}" || rc=$?
unset "FL_WPID[2]"
[ "$rc" -eq 137 ] || fl_fail "worker 2 exited $rc, expected 137 from the fault hook"
grep -q 'MP_FAULT_CRASH_AFTER_PG_COMMIT: exiting after batch 3' "$FL_T/w2.log" ||
  fl_fail "worker 2 did not crash in the hook"
fl_log "worker 2 died after a PostgreSQL COMMIT at $(fl_processed "$JOB") processed"
fl_worker_start 2

RANDOM=$$
for k in $(seq $KILLS); do
  # a random point inside the k-th of KILLS+1 slices of the job
  at=$(( (k * N + RANDOM % (N / 2)) / (KILLS + 1) ))
  fl_wait_processed "$JOB" "$at" 60
  id=$(( RANDOM % 2 + 1 ))
  fl_log "kill -9 worker $id at $(fl_processed "$JOB") processed"
  fl_worker_kill "$id"
  sleep 0.$(( RANDOM % 10 ))
  fl_worker_start "$id"
done

fl_produce_wait
st=$(fl_wait_job "$JOB" 100)
fl_log "job $JOB $st"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check $((KILLS + 1)) $N "$JOB"
