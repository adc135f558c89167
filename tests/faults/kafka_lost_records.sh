#!/usr/bin/env bash
# kafka_lost_records.sh: a log that lost records nobody read. On the real
# cluster, 2,000 records are produced into 2 partitions while no worker
# runs; a worker reads 500 of them (--max-records) and stops, its offsets
# stored; then the Admin API's DeleteRecords moves the log start of the
# partition it read furthest 100 records past its stored offset. The next
# worker must stop with an error that names the topic, the partition and
# the exact lost range, not skip them: the job never completes.
FL_NAME=kafka_lost # short: tenants are at most 31 characters
source "$(dirname "$0")/lib.bash"
fl_kafka_need

N=2000
fl_gen $N "$FL_T/in.mrc"
fl_broker_start 2
# no credit limit: nothing consumes while the file is produced
fl_produce "$FL_T/in.mrc" --max-backlog 0 --max-backlog-bytes 0
fl_produce_wait
JOB=$(fl_job_id)
fl_log "job $JOB: $N records produced, no worker yet"

fl_worker_start 1 --max-records 500
fl_worker_exit 1 60
[ "$FL_RC" = 0 ] || fl_fail "worker 1 exited $FL_RC"
read -r part next <<<"$(fl_q "select partition || ' ' || next_offset from kafka_offsets
  where topic = '$FL_TOPIC' order by next_offset desc limit 1")"
[ -n "$part" ] && [ "$next" -gt 0 ] || fl_fail "no stored offset after 500 records"
end_off=$(kcat -Q -b "$FL_BS" -t "$FL_TOPIC:$part:-1" 2>/dev/null | awk '{print $NF}')
cut=$((next + 100))
[ "$cut" -lt "$end_off" ] || fl_fail "partition $part: stored $next, end $end_off: nothing to lose"
processed_before=$(fl_processed "$JOB")
fl_log "partition $part: stored offset $next of $end_off; DeleteRecords up to $cut"
fl_kafka delete-records "$FL_TOPIC" "$part" "$cut" || fl_fail "DeleteRecords"

fl_worker_start 2
fl_worker_exit 2 60
[ "$FL_RC" = 1 ] || fl_fail "worker 2 exited $FL_RC, want 1"
want="records lost from the log: topic $FL_TOPIC partition $part offsets $next..$((cut - 1))"
grep -qF "$want" "$FL_T/w2.log" || fl_fail "worker 2 did not say '$want'"
st=$(fl_q "select status from jobs where id = $JOB")
[ "$st" != COMPLETED ] || fl_fail "job $JOB COMPLETED with 100 records lost"
lost=$((N - $(fl_q "select count(distinct seq) from journal where job_id = $JOB")))
[ "$lost" -ge 100 ] || fl_fail "only $lost records missing from the journal, 100 were deleted"
echo "scenario $FL_NAME: records sent $N, processed before the loss $processed_before, worker stopped naming offsets $next..$((cut - 1)) of partition $part; job $st, $lost not stored"
