#!/usr/bin/env bash
# circ_seed.sh: the seed scenario of patron blocks. Limit 10 items charged
# out; a patron checks out 11 items. The blocks consumer dies around the
# first check-out: once between the PostgreSQL COMMIT of the batch that
# holds it and the Kafka offset commit (MP_FAULT_CRASH_AFTER_PG_COMMIT=1),
# and once by kill -9 right after its restart. At 10 loans the patron is
# not blocked; at the 11th the patron is blocked for max-items-charged-out,
# and the summary says 11 open loans; the audit log has the 11 events once.
FL_NAME=circ_seed
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/circ.bash"
fl_hooks_need

U=u-seed
ev() { # ev N: the N-th check-out of patron U
  printf '{"eventId":"seed-%02d","eventType":"ITEM_CHECKED_OUT","tenant":"%s","userId":"%s","patronGroup":"undergrad","eventTime":"2026-03-%02dT10:00:00Z","loanId":"l-seed-%02d","itemId":"i-seed-%02d","dueDate":"2026-04-%02dT23:59:59Z"}\n' \
    "$1" "$FL_TENANT" "$U" "$1" "$1" "$1" "$1"
}
ev 1 >"$FL_T/first.ndjson"
for n in $(seq 2 10); do ev "$n"; done >"$FL_T/next9.ndjson"
ev 11 >"$FL_T/eleventh.ndjson"

circ_kafka_start
"$MARCPIPE" circ limits --tenant "$FL_TENANT" default max-items-charged-out 10 \
  >"$FL_T/limits.out" || fl_fail "circ limits"
[ "$(cat "$FL_T/limits.out")" = "default max-items-charged-out 10.00" ] ||
  fl_fail "limit not set: $(cat "$FL_T/limits.out")"
circ_worker_start a audit
# the blocks consumer dies right after PostgreSQL committed the batch with
# the first check-out, before Kafka has its offset
MP_FAULT_CRASH_AFTER_PG_COMMIT=1 circ_worker_start b blocks
J1=$(circ_produce_sync "$FL_T/first.ndjson")
circ_wait_hook b
[ "$(fl_q "select count(*) from circ_loans where user_id = '$U'")" -eq 1 ] ||
  fl_fail "the first check-out is not in PostgreSQL after the crash"
fl_log "blocks consumer died after committing the first check-out"
# restarted, and killed again at once (it may be joining the group or
# fetching the first check-out again): kill -9, then a last restart
circ_worker_start b blocks
sleep 0.$((RANDOM % 10))
fl_worker_kill b
fl_log "blocks consumer killed -9 after its restart"
circ_worker_start b blocks

J2=$(circ_produce_sync "$FL_T/next9.ndjson")
circ_wait blocks "$J1" 1
circ_wait blocks "$J2" 9
circ_wait audit "$J2" 9
rc=0; "$MARCPIPE" circ blocks "$U" --tenant "$FL_TENANT" --at 2026-03-20T00:00:00Z \
  >"$FL_T/blocks10.out" || rc=$?
[ "$rc" -eq 0 ] || fl_fail "at 10 loans: exit $rc, want 0 (not blocked): $(cat "$FL_T/blocks10.out")"
grep -q "^$U: not blocked" "$FL_T/blocks10.out" || fl_fail "at 10 loans: $(cat "$FL_T/blocks10.out")"
grep -Eq '^  max-items-charged-out +10  limit +10.00  ok$' "$FL_T/blocks10.out" ||
  fl_fail "at 10 loans: $(cat "$FL_T/blocks10.out")"

J3=$(circ_produce_sync "$FL_T/eleventh.ndjson")
circ_wait blocks "$J3" 1
circ_wait audit "$J3" 1
rc=0; "$MARCPIPE" circ blocks "$U" --tenant "$FL_TENANT" --at 2026-03-20T00:00:00Z \
  >"$FL_T/blocks11.out" || rc=$?
cat "$FL_T/blocks11.out" >&2
[ "$rc" -eq 3 ] || fl_fail "at 11 loans: exit $rc, want 3 (blocked)"
grep -q "^$U: blocked (max-items-charged-out) at 2026-03-20T00:00:00Z$" "$FL_T/blocks11.out" ||
  fl_fail "at 11 loans: not blocked for max-items-charged-out"
grep -Eq '^  max-items-charged-out +11  limit +10.00  BLOCKED$' "$FL_T/blocks11.out" ||
  fl_fail "at 11 loans: the condition line is wrong"
"$MARCPIPE" circ summary "$U" --tenant "$FL_TENANT" >"$FL_T/summary.json" ||
  fl_fail "circ summary"
loans=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(len(s["openLoans"]), sorted(l["loanId"] for l in s["openLoans"])[0])' "$FL_T/summary.json")
[ "$loans" = "11 l-seed-01" ] || fl_fail "summary: '$loans', want 11 open loans from l-seed-01"
audit=$(fl_q "select count(*), count(distinct event_id) from circ_audit where user_id = '$U'")
[ "$audit" = "11|11" ] || fl_fail "audit rows (all|distinct) $audit, want 11|11"
"$MARCPIPE" circ audit --user "$U" --tenant "$FL_TENANT" --since 2026-03-11 \
  >"$FL_T/audit.out" 2>"$FL_T/audit.err" || fl_fail "circ audit"
[ "$(wc -l <"$FL_T/audit.out")" -eq 1 ] || fl_fail "audit since 03-11: $(wc -l <"$FL_T/audit.out") rows, want 1"
for j in "$J1" "$J2" "$J3"; do circ_job_status "$j" COMPLETED; done
# the other conditions: l-seed-01 recalled to 03-25, a fine of 60.00; on
# 04-05 loans 02..04 (due 04-02..04-04) and the recalled one are overdue
{ printf '{"eventId":"seed-recall","eventType":"LOAN_DUE_DATE_CHANGED","tenant":"%s","userId":"%s","eventTime":"2026-03-18T10:00:00Z","loanId":"l-seed-01","dueDate":"2026-03-25T23:59:59Z","dueDateChangedByRecall":true}\n' "$FL_TENANT" "$U"
  printf '{"eventId":"seed-fine","eventType":"FEE_FINE_BALANCE_CHANGED","tenant":"%s","userId":"%s","eventTime":"2026-03-18T10:00:00Z","feeFineId":"f-seed","balance":60.00}\n' "$FL_TENANT" "$U"
} >"$FL_T/recall.ndjson"
J5=$(circ_produce_sync "$FL_T/recall.ndjson")
circ_wait blocks "$J5" 2
rc=0; "$MARCPIPE" circ blocks "$U" --tenant "$FL_TENANT" --at 2026-04-05T12:00:00Z --json \
  >"$FL_T/blocks.json" || rc=$?
[ "$rc" -eq 3 ] || fl_fail "on 04-05: exit $rc, want 3"
got=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(" ".join("%s=%s/%s%s" % (c["condition"], c["value"], c["limit"], "!" if c["blocked"] else "") for c in s["conditions"]))' "$FL_T/blocks.json")
want="max-items-charged-out=11/10.00! max-lost-items=0/2.00 max-overdue-items=4/5.00 max-overdue-recalls=1/1.00 max-outstanding-balance=60.00/50.00! max-recall-overdue-days=10/7.00!"
[ "$got" = "$want" ] || fl_fail "on 04-05: $got, want $want"
# a run with a line that is not an event: journaled with its line and byte
# offset, the run COMPLETED_WITH_ERRORS once both services have the rest
{ echo 'not an event'
  printf '{"eventId":"seed-other","eventType":"ITEM_CHECKED_OUT","tenant":"%s","userId":"u-other","eventTime":"2026-03-12T10:00:00Z","loanId":"l-other","itemId":"i-other","dueDate":"2026-04-12T23:59:59Z"}\n' "$FL_TENANT"
} >"$FL_T/mixed.ndjson"
J4=$(circ_produce_sync "$FL_T/mixed.ndjson")
circ_wait blocks "$J4" 1
circ_wait audit "$J4" 1
circ_job_status "$J4" COMPLETED_WITH_ERRORS
"$MARCPIPE" errors "$J4" --tenant "$FL_TENANT" >"$FL_T/errors.out" || fl_fail "marcpipe errors"
grep -q "mixed.ndjson: line 1 at byte 0: not a JSON object" "$FL_T/errors.out" ||
  fl_fail "the rejected line is not journaled: $(cat "$FL_T/errors.out")"
fl_workers_stop
echo "scenario $FL_NAME: patron $U blocked at the 11th check-out (limit 10), 11 open loans, 11 audit rows; consumer killed twice around the first check-out"
