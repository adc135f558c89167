#!/usr/bin/env bash
# kafka_broker_kill.sh: on the real 3-node cluster (replication 3,
# min.insync.replicas 2, the producer's acks=all), the node that leads
# partition 0 of the records topic dies by kill -9 at 20 % of the job
# (with it go the leadership of its other partitions and, perhaps, the group
# coordinator), and comes back with its data at 50 %. Every record must be
# stored exactly once with exact counts. The cluster is shared, so ctest
# runs this scenario alone (RUN_SERIAL).
FL_NAME=kafka_node_kill # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need
trap 'fl_kafka_heal; fl_cleanup' EXIT

N=8000 # at ~330 records/s: a failover of up to ~15 s still ends mid-job
# slow batches (50 records, 300 ms inside each transaction): both faults
# land while the job runs
FL_SLOW_MS=600 fl_slow_job $N
fl_wait_processed "$JOB" $((N * 20 / 100)) 90
fl_kafka leaders "$FL_TOPIC" >"$FL_T/leaders" || fl_fail "no leaders for $FL_TOPIC"
node=$(awk '$1 == 0 {print $2}' "$FL_T/leaders")
led=$(awk -v n="$node" '$2 == n' "$FL_T/leaders" | wc -l)
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
fl_log "kill -9 of node $node (leader of $led of $FL_PARTITIONS partitions) at $at processed"
fl_kafka kill-node "$node"
# the cluster fences the dead node and partition 0 gets a new leader while
# the job runs on
end=$((SECONDS + 30))
while [ "$(fl_kafka leader "$FL_TOPIC" 0)" = "$node" ]; do
  [ $SECONDS -lt $end ] || fl_fail "partition 0 still led by the dead node $node after 30 s"
  sleep 0.2
done
fl_log "partition 0 now led by node $(fl_kafka leader "$FL_TOPIC" 0) at $(fl_processed "$JOB") processed"
fl_wait_processed "$JOB" $((N * 50 / 100)) 120
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the node came back"
fl_log "node $node restarted at $at processed"
fl_kafka start-node "$node"
fl_kafka wait || fl_fail "node $node did not come back"

fl_produce_wait
st=$(fl_wait_job "$JOB" 120)
fl_log "job $JOB $st"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_check 1 $N "$JOB"
