#!/usr/bin/env bash
# kafka_cluster_restart.sh: the whole real cluster stops at 30 % of the job
# (every node, SIGTERM; scripts/kafka.sh restart) and starts again from its
# data on disk. The producer and the workers started before wait through
# the outage and finish the job after it: every record stored exactly once
# with exact counts. The cluster is shared: ctest runs this alone
# (RUN_SERIAL).
FL_NAME=kafka_restart # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need
trap 'fl_kafka_heal; fl_cleanup' EXIT

N=3000
# slow batches, and a small credit: the producer is still reading the file
# when the cluster stops, so both sides of the pipeline wait through it
FL_SLOW_MS=300 fl_slow_job $N --max-backlog 300
fl_wait_processed "$JOB" $((N * 30 / 100)) 90
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
t=$SECONDS
fl_kafka restart || fl_fail "cluster restart"
fl_log "cluster stopped and started again in $((SECONDS - t)) s (at $at processed; now $(fl_processed "$JOB"))"

fl_produce_wait
st=$(fl_wait_job "$JOB" 150)
fl_log "job $JOB $st"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 1 $N "$JOB"
