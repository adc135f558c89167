#!/usr/bin/env bash
# rebalance.sh: while batches are in flight a third worker joins the group
# and later one of the first two leaves (SIGTERM: it finishes its batches,
# commits and leaves). Partitions move twice; every record must be stored
# exactly once with exact counts.
FL_NAME=rebalance
source "$(dirname "$0")/lib.bash"

N=4000
fl_slow_job $N

fl_wait_processed "$JOB" $((N / 4)) 60
fl_log "worker 3 joins at $(fl_processed "$JOB") processed"
fl_worker_start 3
fl_wait_processed "$JOB" $((N * 11 / 20)) 60
# batches in flight: the leaving worker must finish them before it goes
fl_log "worker 1 leaves (SIGTERM) at $(fl_processed "$JOB") processed"
fl_worker_stop 1

fl_produce_wait
st=$(fl_wait_job "$JOB" 100)
fl_log "job $JOB $st"
grep -q 'finishing the batches in flight' "$FL_T/w1.log" || fl_fail "worker 1 did not drain"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 2 $N "$JOB"
