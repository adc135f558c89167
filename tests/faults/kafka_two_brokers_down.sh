#!/usr/bin/env bash
# kafka_two_brokers_down.sh: two of the three nodes of the real cluster die
# by kill -9 at 30 % of the job: the controller quorum and every partition's
# in-sync quorum (min.insync.replicas 2) are gone, so nothing can be written
# or elected. The producer (acks=all, idempotent) and the workers must wait
# without losing anything; after 8 s the two nodes come back with their data
# and the job must finish with every record stored exactly once. The
# cluster is shared: ctest runs this alone (RUN_SERIAL).
FL_NAME=kafka_two_down # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need
trap 'fl_kafka_heal; fl_cleanup' EXIT
[ "$(cat "$MP_KAFKA_DIR/nodes")" = 3 ] || { echo "SKIP: needs a 3-node cluster"; exit 77; }

N=3000
FL_SLOW_MS=300 fl_slow_job $N --max-backlog 300
fl_wait_processed "$JOB" $((N * 30 / 100)) 90
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
survivor=$(fl_kafka leader "$FL_TOPIC" 0)
down=()
for i in 1 2 3; do [ "$i" = "$survivor" ] || down+=("$i"); done
fl_log "kill -9 of nodes ${down[*]} (node $survivor, leader of partition 0, left) at $at processed"
for i in "${down[@]}"; do fl_kafka kill-node "$i"; done
sleep 8
fl_log "after 8 s with 2 of 3 nodes down: $(fl_processed "$JOB") processed; nodes ${down[*]} start again"
for i in "${down[@]}"; do fl_kafka start-node "$i"; done
fl_kafka wait || fl_fail "the nodes did not come back"

fl_produce_wait
st=$(fl_wait_job "$JOB" 150)
fl_log "job $JOB $st"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 1 $N "$JOB"
