#!/usr/bin/env bash
# produce_file.sh: `marcpipe produce` against `marcpipe broker` and a real
# PostgreSQL: a clean file gives a job with its total recorded and every
# record in Kafka; a file with bad records journals them and still records
# the total; a failed delivery (injected through the broker's control
# channel) fails the job with the reason; --resume continues a job from
# its recorded produced prefix; while the total is unknown the producer's
# lease carries the share of the file read, which `status` shows. Needs PG*
# set (scripts/test.sh).
set -euo pipefail
MARCPIPE=${MARCPIPE:?MARCPIPE not set}
DATA=${MP_TEST_DATA:?MP_TEST_DATA not set}
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir T
tl_tenant "prod_it_$$"
TENANT=$TL_TENANT
TL_EMBEDDED=1 # the broker's control channel
. "$TL_LIB/processes.bash"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited non-zero" >&2' ERR
tl_broker_start 8
BS=$TL_BS

grep -q -- '--max-backlog-bytes' <<<"$("$MARCPIPE" produce --help)" || fail "--help"
rc=0; "$MARCPIPE" produce "$DATA/iso2709/traject--test_data.utf8.mrc" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "no -b: exit $rc"

# 1. clean file: 30 records (SOURCES.md)
JOB=$("$MARCPIPE" produce -b "$BS" --tenant "$TENANT" \
      "$DATA/iso2709/traject--test_data.utf8.mrc" 2>"$T/p1.err") || { cat "$T/p1.err"; fail "produce exit"; }
grep -q '30 records read, 30 delivered, 0 rejected' "$T/p1.err" || { cat "$T/p1.err"; fail "summary"; }
[ "$(tl_q "select total from jobs where id=$JOB")" = 30 ] || fail "job total"
[ "$(tl_q "select status from jobs where id=$JOB")" = IN_PROGRESS ] || fail "job status $(tl_q "select status from jobs where id=$JOB")"

# 2. bad records: 8 records, the reader rejects some; all accounted for
JOB2=$("$MARCPIPE" produce -b "$BS" --tenant "$TENANT" \
       "$DATA/malformed/pymarc--bad_records.mrc" 2>"$T/p2.err") || { cat "$T/p2.err"; fail "produce 2"; }
REJ=$(grep -c 'rejected (seq' "$T/p2.err" || true)
[ "$REJ" -ge 1 ] || fail "no rejected record reported"
[ "$(tl_q "select total from jobs where id=$JOB2")" = 8 ] || fail "job 2 total"
grep -q "8 records read, $((8 - REJ)) delivered, $REJ rejected" "$T/p2.err" || { cat "$T/p2.err"; fail "summary 2"; }
[ "$(tl_q "select count(*) from journal where job_id=$JOB2 and outcome='ERROR' and partition=-1 and raw is not null and file_offset > 0")" = "$REJ" ] || fail "journal rows"
# each journaled seq is a record number the produce command reported
for s in $(tl_q "select seq from journal where job_id=$JOB2 order by seq"); do
  grep -q "rejected (seq $s): .*record $s at byte" "$T/p2.err" || fail "seq $s not reported with its position"
done
[ "$(tl_q "select count(*) from journal where job_id=$JOB2 and outcome='ERROR'")" = "$(tl_q "select count(*) from journal where job_id=$JOB2 and partition=-1")" ] || fail "journal partitions"

# 3. a delivery that cannot succeed fails the job loudly
tl_broker_cmd "err Produce 100000 TOPIC_AUTHORIZATION_FAILED"
for _ in $(seq 300); do grep -q '^ok' "$T/broker.out" && break; sleep 0.1; done
grep -q '^ok' "$T/broker.out" || fail "broker did not take the error injection: $(cat "$T/broker.out" "$T/broker.log")"
rc=0
JOB3=$("$MARCPIPE" produce -b "$BS" --tenant "$TENANT" \
       "$DATA/iso2709/traject--test_data.utf8.mrc" 2>"$T/p3.err") || rc=$?
[ "$rc" -eq 1 ] || fail "failed delivery: exit $rc"
grep -q 'FAILED: delivery of record' "$T/p3.err" || { cat "$T/p3.err"; fail "reason"; }
[ "$(tl_q "select status from jobs where id=$JOB3")" = FAILED ] || fail "job 3 not FAILED"
tl_q "select failure_reason from jobs where id=$JOB3" | grep -q 'delivery of record' || fail "failure reason"
tl_broker_cmd "clear Produce"

# 4. a broker down for a while is an infrastructure fault, not data: the
#    producer retries and every record still arrives
tl_broker_cmd "rtt 1 200"
tl_broker_cmd "down 2"
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" -X message.timeout.ms=60000 \
  "$DATA/iso2709/solrmarc--uva_001_2000.mrc" >"$T/j4" 2>"$T/p4.err" &
PP=$!
sleep 2
tl_broker_cmd "up 2"
tl_broker_cmd "rtt 1 0"
wait "$PP" || { cat "$T/p4.err"; fail "produce with a broker down"; }
grep -q '2000 records read, 2000 delivered, 0 rejected' "$T/p4.err" || { cat "$T/p4.err"; fail "summary 4"; }
[ "$(tl_q "select total from jobs where id=$(cat "$T/j4")")" = 2000 ] || fail "job 4 total"

# 5. --resume: a job whose producer died after 4 of the 8 records of the
#    bad-records file were processed (journaled: the rejected ones as their
#    errors, the others as created): the resumed run skips them, keeps the
#    seqs, journals only the later rejects and records the total. The job
#    row has no file name: FILE is required and given.
TOPIC=marcpipe.Default.$TENANT.DI_INCOMING_MARC_BIB_RECORD
J5=$(tl_q "insert into jobs (status, topic, produced) values ('PRODUCING', '$TOPIC', 4) returning id")
tl_q "insert into journal (job_id, seq, partition, outcome)
   select $J5, s, coalesce((select partition from journal where job_id = $JOB2 and seq = s), 0),
          coalesce((select outcome from journal where job_id = $JOB2 and seq = s), 'CREATED')
   from generate_series(1, 4) s" >/dev/null
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$J5" 2>"$T/p5.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'has no file name' "$T/p5.err" || fail "resume without a file name: exit $rc"
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$J5" \
  "$DATA/malformed/pymarc--bad_records.mrc" >"$T/j5" 2>"$T/p5.err" || { cat "$T/p5.err"; fail "resume"; }
[ "$(cat "$T/j5")" = "$J5" ] || fail "resume printed $(cat "$T/j5")"
REJ_LATE=$(tl_q "select count(*) from journal where job_id=$JOB2 and seq > 4")
grep -q "8 records read (4 skipped as processed), $((4 - REJ_LATE)) delivered, $REJ_LATE rejected" "$T/p5.err" || { cat "$T/p5.err"; fail "resume summary"; }
[ "$(tl_q "select string_agg(seq::text, ',' order by seq) from journal where job_id=$J5 and seq > 4")" = \
  "$(tl_q "select string_agg(seq::text, ',' order by seq) from journal where job_id=$JOB2 and seq > 4")" ] || fail "resumed rejects"
[ "$(tl_q "select total || ' ' || produced || ' ' || status from jobs where id=$J5")" = "8 8 IN_PROGRESS" ] || fail "resumed job row"
# nothing left: exit 0, same id; a FAILED job is refused
"$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$J5" >"$T/j5b" 2>"$T/p5b.err" || fail "resume done job"
[ "$(cat "$T/j5b")" = "$J5" ] && grep -q 'nothing to resume' "$T/p5b.err" || fail "resume done job message"
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume "$JOB3" 2>"$T/p5c.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'cannot be resumed' "$T/p5c.err" || fail "resume FAILED job: exit $rc"
rc=0; "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --resume 999999 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "resume unknown job: exit $rc"

# 6. its progress through the file while the total is unknown: a producer
#    held at its backlog (no workers) publishes the share of the file read
#    in its lease; `status` shows it; it is gone with the producer
MARCPIPE_HEARTBEAT_MS=200 "$MARCPIPE" produce -b "$BS" --tenant "$TENANT" --max-backlog 100 \
  "$DATA/iso2709/solrmarc--uva_001_2000.mrc" >"$T/j6" 2>"$T/p6.err" &
PP=$!
for _ in $(seq 100); do [ -s "$T/j6" ] && break; sleep 0.1; done
J6=$(cat "$T/j6")
share() { "$MARCPIPE" status "$J6" --tenant "$TENANT" --json | jq -r '.input_read // 0'; }
for _ in $(seq 100); do awk -v s="$(share)" 'BEGIN { exit !(s > 0) }' && break; sleep 0.1; done
s6=$(share)
awk -v s="$s6" 'BEGIN { exit !(s > 0 && s < 0.5) }' ||
  fail "input_read of a producer held after ~100 of 2,000 records: $s6"
"$MARCPIPE" status "$J6" --tenant "$TENANT" | grep -q "total not known yet; .* of the file read" ||
  fail "status: $("$MARCPIPE" status "$J6" --tenant "$TENANT")"
kill -TERM "$PP"
wait "$PP" || true
[ "$(share)" = 0 ] || fail "input_read $(share) after the producer ended"

echo ok
