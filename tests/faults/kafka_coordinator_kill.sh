#!/usr/bin/env bash
# kafka_coordinator_kill.sh: on the real 3-node cluster, the node that is
# the coordinator of the workers' consumer group (found with Kafka's own
# kafka-consumer-groups --describe --state: scripts/kafka.sh coordinator)
# dies by kill -9 at 20 % of the job, with two workers in the group. The
# group must move to another coordinator and be Stable again with both
# workers, the job must go on, and the node comes back with its data at
# 60 %. Every record stored exactly once with exact counters. The cluster
# is shared, so ctest runs this scenario alone (RUN_SERIAL).
FL_NAME=kafka_coord_kill # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need
trap 'fl_kafka_heal; fl_cleanup' EXIT
[ "$(cat "$MP_KAFKA_DIR/nodes")" -ge 2 ] || { echo "SKIP: needs 2 or more nodes"; exit 77; }

N=6000
FL_WORKER_OPTS+=(-v) # the logs show each rebalance
# slow batches (50 records, 600 ms inside each transaction): the job runs
# through the coordinator's failover and the node's return
FL_SLOW_MS=600 fl_slow_job $N
fl_wait_processed "$JOB" $((N * 20 / 100)) 90
# both workers in the group, Stable, before the fault
end=$((SECONDS + 30))
while :; do
  read -r coord state members <<<"$(fl_kafka coordinator "$FL_GROUP" 2>/dev/null || true)"
  [ "${state:-}" = Stable ] && [ "${members:-}" = 2 ] && break
  [ $SECONDS -lt $end ] || fl_fail "group $FL_GROUP not Stable with 2 members after 30 s (${state:-?}, ${members:-?})"
  sleep 0.5
done
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the fault"
fl_log "kill -9 of node $coord (coordinator of $FL_GROUP, $state, $members members) at $at processed"
fl_kafka kill-node "$coord"

# a new coordinator; the group Stable again with both workers
end=$((SECONDS + 45))
while :; do
  read -r now state members <<<"$(fl_kafka coordinator "$FL_GROUP" 2>/dev/null || true)"
  [ -n "${now:-}" ] && [ "$now" != "$coord" ] && [ "${state:-}" = Stable ] &&
    [ "${members:-}" = 2 ] && break
  [ $SECONDS -lt $end ] ||
    fl_fail "no Stable group of 2 on a new coordinator 45 s after the kill (${now:-?} ${state:-?} ${members:-?})"
  sleep 0.5
done
fl_log "group $FL_GROUP on coordinator $now, $state with $members members, at $(fl_processed "$JOB") processed"
before=$(fl_processed "$JOB")
fl_wait_processed "$JOB" $((before + 200)) 60
fl_wait_processed "$JOB" $((N * 60 / 100)) 90
at=$(fl_processed "$JOB")
[ "$at" -lt $N ] || fl_fail "the job ended before the node came back"
fl_log "node $coord restarted at $at processed"
fl_kafka start-node "$coord"
fl_kafka wait || fl_fail "node $coord did not come back"

fl_produce_wait
st=$(fl_wait_job "$JOB" 120)
fl_log "job $JOB $st"
t=$SECONDS; fl_workers_stop; fl_log "workers stopped in $((SECONDS - t)) s"
fl_log "worker logs: $(cat "$FL_T"/w[12].log | grep -c 'revoked [0-9]* partitions' || true) revocations (2 at the stop), Kafka errors: $(cat "$FL_T"/w[12].log | grep -o 'kafka: [A-Za-z_]*' | sort | uniq -c |
  awk '{printf "%s%s x%d", sep, $3, $1; sep = ", "}'), $(grep -ho 'replayed [0-9]*' "$FL_T"/w[12].log | awk '{n += $2} END {print n + 0}') records replayed"
fl_check 1 $N "$JOB"
