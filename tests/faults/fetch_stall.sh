#!/usr/bin/env bash
# fetch_stall.sh: fault scenario "a partition's fetch wedged": the worker's
# consumer pauses partition 1 behind the worker's back (test hook
# MP_FAULT_WEDGE_PARTITION), as a librdkafka fetcher left stopped after
# leader moves looks to the worker: nothing held, nothing asked for, the
# partition's records in Kafka. First with the stall check off (--stall-ms
# 0), the wedge on partition 1's first message: the job must stop short of
# its total with partition 1 behind, the others done. Then a worker with
# the check on (--stall-ms 2000) is wedged right after its assignment,
# before the message before partition 1's stored position arrives (the
# check that the position belongs to this log, identity.h, is still
# waiting for it; librdkafka reports a lag of 0): it must restart the
# partition's fetch at exactly that message's offset, say so, count it
# (fetch_restarts, in --stats-json and in its lease for serve), and the
# job must end COMPLETED with every record CREATED once.
FL_NAME=fetch_stall
source "$(dirname "$0")/lib.bash"
fl_hooks_need

N=8000 # 2,000 records per partition: more than one fetch each
fl_gen $N "$FL_T/in.mrc"
fl_broker_start 4

# ---- the check off: the job stops short ----
MP_FAULT_WEDGE_PARTITION=1 fl_worker_start 1 --stall-ms 0
fl_produce "$FL_T/in.mrc" # its credit follows the records processed
JOB=$(fl_job_id)
fl_wait_until 60 grep -q "MP_FAULT_WEDGE_PARTITION: partition 1 paused" "$FL_T/w1.log" ||
  fl_fail "worker 1 did not reach the fault hook"
p1_behind() { # partition 1 behind every other partition, which are done
  local q="select coalesce(sum(processed), 0) from job_progress where job_id = $JOB"
  local done1 others
  done1=$(fl_q "$q and partition = 1")
  others=$(fl_q "$q and partition in (0, 2, 3)")
  [ "$others" -ge $((N * 3 / 4)) ] && [ "$done1" -lt $((N / 4)) ]
}
fl_wait_until 60 p1_behind || fl_fail "the other partitions did not finish"
before=$(fl_processed "$JOB")
sleep 5 # twice the stall period of the second worker: nothing moves here
after=$(fl_processed "$JOB")
[ "$after" -eq "$before" ] || fl_fail "processed moved from $before to $after with partition 1 wedged"
[ "$after" -lt "$N" ] || fl_fail "all $N processed although partition 1 was wedged"
[ "$(fl_summary_json "$JOB" status)" = IN_PROGRESS ] || fl_fail "job not IN_PROGRESS with partition 1 wedged"
grep -q "restarting its fetch" "$FL_T/w1.log" && fl_fail "worker 1 restarted a fetch with the check off"
fl_log "check off: job stuck at $after of $N, partition 1 wedged"
fl_workers_stop

# ---- the check on: wedged at assignment, restarted ----
stored=$(fl_q "select next_offset from kafka_offsets where partition = 1")
[ "$stored" -ge 1 ] || fl_fail "partition 1 has no stored position ($stored)"
MP_FAULT_WEDGE_PARTITION=1:assign fl_worker_start 2 --stall-ms 2000 --stats-json -v
fl_wait_until 60 grep -q "MP_FAULT_WEDGE_PARTITION: partition 1 paused in librdkafka right after its assignment" "$FL_T/w2.log" ||
  fl_fail "worker 2 did not reach the fault hook"
fl_produce_wait
st=$(fl_wait_job "$JOB" 60)
[ "$st" = COMPLETED ] || fl_fail "job $st with the stall check on, processed $(fl_processed "$JOB")"
at=$((stored - 1)) # the message before the stored position, still to check
grep -q "partition 1: [0-9]* messages (offsets $at to [0-9]*) not fetched for 2 s though the partition is not paused: restarting its fetch at offset $at\$" \
  "$FL_T/w2.log" || fl_fail "worker 2 did not say it restarted partition 1's fetch at offset $at: $(grep -i 'restart\|stall' "$FL_T/w2.log")"
# no broker was away here: the restart must not be put down to an outage
grep -q "the cluster reported" "$FL_T/w2.log" &&
  fl_fail "worker 2 put the restart down to a cluster error: $(grep 'cluster reported\|kafka: ' "$FL_T/w2.log")"
# the lease carries the count to serve (/metrics: marcpipe_worker_fetch_restarts_total)
lease_restarts() {
  fl_q "select coalesce(max((stats->>'fetch_restarts')::int), 0) from leases where role = 'worker'"
}
fl_wait_until 30 eval '[ "$(lease_restarts)" -ge 1 ]' ||
  fl_fail "worker 2's lease counts $(lease_restarts) fetch restarts, expected >= 1"
fl_workers_stop
restarts=$(jq -r .fetch_restarts "$FL_T/w2.out" | tail -n 1)
[ "$restarts" -ge 1 ] || fl_fail "fetch_restarts $restarts, expected >= 1"
fl_log "check on: job COMPLETED, $restarts fetch restart(s)"
fl_check -c "$N" 2 "$N" "$JOB"
