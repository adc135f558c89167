#!/usr/bin/env bash
# offset_identity.sh: offsets stored in PostgreSQL belong to the log they
# were read from. One consumer group, one tenant, three logs under the same
# topic name (the broker restarted between jobs, as when a topic is
# re-created or the embedded broker of `import` starts again):
#   job 1: 3000 records on log A;
#   job 2: the same 3000 records on log B (new cluster id): the stored
#          offsets name cluster A (or, if the id could not be read in time,
#          the message before each position differs), so every partition
#          is read from offset 0;
#   job 3: 6000 records on log C, produced before any worker runs, with the
#          stored cluster ids erased (as for a topic re-created on the same
#          cluster): the stored positions are inside log C, so only the
#          job/seq of the message before each position shows they belong
#          to another log.
# Before the fix, job 2 stayed IN_PROGRESS (or failed with "records lost")
# and job 3 skipped about half of its records. Each job must be complete
# with every seq journaled once (fl_check); the offsets stored at the end
# must be log C's (sum = 6000, cluster id of C).
FL_NAME=offset_identity
FL_EMBEDDED=1 # restarts the broker (a new log under the same name); the real
              # cluster's counterpart is kafka_topic_recreated.sh
source "$(dirname "$0")/lib.bash"

fl_gen 3000 "$FL_T/a.mrc"
fl_gen 6000 "$FL_T/c.mrc"
resets() { grep -c "does not belong to this log" "$FL_T"/w*.log 2>/dev/null | awk -F: '{s += $NF} END {print s + 0}'; }

fl_broker_start 8
fl_worker_start 1
fl_produce "$FL_T/a.mrc"
J1=$(fl_job_id)
fl_produce_wait
fl_log "job $J1 $(fl_wait_job "$J1" 90)"
fl_workers_stop
fl_check -q 0 3000 "$J1"
stored=$(fl_q "select sum(next_offset) from kafka_offsets where group_id = '$FL_GROUP'")
[ "$stored" -eq 3000 ] || fl_fail "offsets stored after job 1: $stored, expected 3000"

# job 2: a new log (another cluster id), the same group
fl_broker_restart 8
fl_worker_start 2
fl_produce "$FL_T/a.mrc"
J2=$(fl_job_id)
fl_produce_wait
fl_log "job $J2 $(fl_wait_job "$J2" 90)"
fl_workers_stop
r2=$(resets)
[ "$r2" -eq 8 ] || fl_fail "job 2: $r2 partitions reported as of another log, expected 8"
# recognised by the cluster id, or (when the id could not be read in time)
# by the message before the stored position
grep -Eq "it was read from Kafka cluster|the message at offset" "$FL_T/w2.log" || fl_fail "job 2: no reason"
fl_check -q 1 3000 "$J2"
[ "$(fl_q "select count(*) from journal where job_id = $J2 and outcome = 'DUPLICATE'")" -eq 3000 ] ||
  fl_fail "job 2: the same records must be 3000 duplicates"

# job 3: a new log filled before any worker reads it; cluster ids erased
fl_broker_restart 8
fl_produce "$FL_T/c.mrc"
J3=$(fl_job_id)
fl_produce_wait
fl_q "update kafka_offsets set cluster_id = null where group_id = '$FL_GROUP'" >/dev/null
fl_worker_start 3
fl_log "job $J3 $(fl_wait_job "$J3" 120)"
fl_workers_stop
r3=$(grep -c "does not belong to this log (the message at offset" "$FL_T/w3.log" || true)
[ "$r3" -eq 8 ] || fl_fail "job 3: $r3 partitions refuted by their message, expected 8"
stored=$(fl_q "select sum(next_offset) from kafka_offsets where group_id = '$FL_GROUP'")
[ "$stored" -eq 6000 ] || fl_fail "offsets stored after job 3: $stored, expected 6000 (log C)"
[ "$(fl_q "select count(distinct cluster_id) from kafka_offsets where group_id = '$FL_GROUP'")" -eq 1 ] ||
  fl_fail "stored offsets name several clusters"
[ "$(fl_q "select count(*) from kafka_offsets where group_id = '$FL_GROUP' and last_job = $J3")" -eq 8 ] ||
  fl_fail "stored offsets do not name job $J3"
fl_check -q 2 6000 "$J3"
[ "$(fl_q "select count(*) from journal where job_id = $J3 and outcome = 'CREATED'")" -eq 3000 ] ||
  fl_fail "job 3: records 3001..6000 must be created"

# a worker of the same group restarted on log C: the stored positions are
# consistent, checked by their message, and nothing is read again
fl_worker_start 4 --exit-when-idle 3 --stats-json
wait "${FL_WPID[4]}" || fl_fail "worker 4 exited $?"
unset "FL_WPID[4]"
grep -q '"consumed":0,' "$FL_T/w4.out" || fl_fail "worker 4 read again: $(cat "$FL_T/w4.out")"
grep -q '"offset_resets":0,' "$FL_T/w4.out" || fl_fail "worker 4 reset: $(cat "$FL_T/w4.out")"
fl_check 3 6000 "$J3"
