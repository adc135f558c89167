#!/usr/bin/env bash
# kafka_topic_recreated.sh: the records topic is deleted and created again
# under the same name while the offsets the workers stored for the old one
# stay in PostgreSQL. Job 1 (1,500 records, 2 partitions) is imported and
# checked exactly; the topic is deleted (Admin API DeleteTopics); job 2
# (600 other records) is produced into the new topic, whose offsets start
# at 0 again, below the stored ones. Every record of job 2 must be imported,
# exactly once.
#
# The workers tell the new topic from the old one by the log identity stored
# with each offset (migration 003: cluster id, job/seq of the message before
# it, checked against the log's watermarks): the new topic's offsets are
# below the stored ones, so they read it from its start; job 2 must pass the
# exactly-once verdict.
FL_NAME=kafka_recreated # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need

N1=1500 N2=600
fl_gen $N1 "$FL_T/in1.mrc"
"$MARCPIPE" gen --records $N2 --seed 8 -q -o "$FL_T/in2.mrc" || fl_fail "gen"
fl_broker_start 2
fl_worker_start 1
fl_worker_start 2
fl_produce "$FL_T/in1.mrc"
JOB1=$(fl_job_id)
fl_produce_wait
st=$(fl_wait_job "$JOB1" 90)
fl_workers_stop
fl_check 0 $N1 "$JOB1"
stored=$(fl_q "select string_agg(partition || ':' || next_offset, ' ' order by partition)
  from kafka_offsets where topic = '$FL_TOPIC'")
fl_log "job $JOB1 $st; offsets stored for the old topic: $stored"

fl_kafka delete-topic "$FL_TOPIC" || fl_fail "DeleteTopics"
fl_log "topic deleted; job 2 re-creates it"
fl_produce "$FL_T/in2.mrc"
JOB2=$(fl_job_id)
fl_produce_wait
[ "$JOB2" != "$JOB1" ] || fl_fail "no second job"
fl_worker_start 3
fl_worker_start 4
# job 2 completes, or a worker stops, within a bound
end=$((SECONDS + 60)) st=
while :; do
  st=$(fl_q "select status from jobs where id = $JOB2")
  case $st in COMPLETED|COMPLETED_WITH_ERRORS|FAILED) break ;; esac
  fl_worker_alive 3 && fl_worker_alive 4 || break
  [ $SECONDS -lt $end ] || break
  sleep 0.2
done
[ "$st" = COMPLETED ] || {
  got=$(fl_q "select count(distinct seq) from journal where job_id = $JOB2")
  grep -h "records lost\|log start\|out of range" "$FL_T"/w3.log "$FL_T"/w4.log 2>/dev/null | head -n 3
  fl_fail "job 2 $st with $got of $N2 records after the topic was re-created (stored offsets: $stored)"
}
fl_workers_stop
# two jobs in the tenant: the verdict on job 2, then on both
fl_check 1 $N2 "$JOB2"
