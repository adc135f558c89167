#!/usr/bin/env bash
# job_control.sh: cancel, resume, delete and stalled detection on 10,000
# generated records (`marcpipe gen`), against an uninterrupted import of
# the same file in its own tenant (A):
#  B: `marcpipe cancel --wait` from another process while the import runs:
#     the job ends CANCELLED with exact counters (processed = total =
#     journal rows < 10,000, created = Instances); `import --resume` then
#     ends COMPLETED and the tenant equals A (journal seqs 1..10000 once,
#     outcome counts, every Instance's match key, content hash and
#     version); `delete --yes` removes journal, source records and job,
#     the Instances stay;
#  C: the import and its workers killed with -9: the job shows STALLED
#     (`jobs`, `status --json`), `cancel` cancels it at once, resume
#     completes it equal to A;
#  D: Ctrl-C (SIGINT to the process group): CANCELLED "import
#     interrupted", resume completes it equal to A.
# Needs PG*, MARCPIPE, MP_TEST_DATA. Leases renew every 300 ms here.
set -euo pipefail
. "$(dirname "$0")/lib/import_lib.bash"
export MARCPIPE_HEARTBEAT_MS=300
tl_tmpdir TMP
G=$TMP/g10k.mrc
"$MARCPIPE" gen --records 10000 --seed 7 -q -o "$G"
drop() { psql -XAtq -c "DROP SCHEMA IF EXISTS $1_marcpipe CASCADE" >/dev/null 2>&1 || true; }
err_tails() { tail -5 "$TMP"/*.err 2>/dev/null; }
TL_ON_FAIL+=(err_tails)
# wait until job 1 of tenant $1 has processed records (the run is in flight)
wait_processing() {
  for _ in $(seq 1 300); do
    n=$("$MARCPIPE" status 1 --tenant "$1" --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["processed"])' 2>/dev/null || echo 0)
    [ "${n:-0}" -gt 0 ] && return 0
    sleep 0.1
  done
  fail "tenant $1: nothing processed"
}
# the tenant's state to compare: outcome counts, journal seqs, Instances
state() {
  psql -XAtq -F $'\t' -c "SELECT outcome, count(*), count(DISTINCT seq), min(seq), max(seq)
      FROM $1_marcpipe.journal GROUP BY outcome ORDER BY outcome" \
    -c "SELECT count(*), md5(string_agg(match_key || ':' || content_hash || ':' || version,
      ',' ORDER BY match_key)) FROM $1_marcpipe.instances"
}
SLOW=(--max-backlog 1500)  # keep the producer inside the file when the cancel comes

for t in jc_a jc_b jc_c jc_d; do drop $t; done
"$MARCPIPE" import -q --tenant jc_a "$G" >"$TMP/a.out" 2>"$TMP/a.err" || fail "A import"
state jc_a >"$TMP/a.state"
grep -q "^CREATED	10000	10000	1	10000$" "$TMP/a.state" || fail "A: $(cat "$TMP/a.state")"

# ---- B: cancel from another process, then resume ----
"$MARCPIPE" import -q --json "${SLOW[@]}" --tenant jc_b "$G" >"$TMP/b.out" 2>"$TMP/b.err" &
ipid=$!
wait_processing jc_b
"$MARCPIPE" cancel 1 --tenant jc_b --wait --json >"$TMP/b.cancel" 2>"$TMP/b.cancel.err" || fail "cancel"
rc=0; wait $ipid || rc=$?
[ "$rc" -eq 1 ] || fail "cancelled import exit $rc, want 1"
read -r st processed total created errors < <(python3 -c 'import json,sys
s=json.load(open(sys.argv[1])); print(s["status"], s["processed"], s["total"], s["created"], s["errors"])' "$TMP/b.cancel")
journal=$(psql -XAtq -c "SELECT count(*) FROM jc_b_marcpipe.journal")
inst=$(psql -XAtq -c "SELECT count(*) FROM jc_b_marcpipe.instances")
[ "$st" = CANCELLED ] || fail "B status $st"
[ "$processed" = "$total" ] && [ "$journal" = "$total" ] && [ "$inst" = "$created" ] ||
  fail "B counters: processed $processed total $total journal $journal created $created Instances $inst"
[ "$total" -gt 0 ] && [ "$total" -lt 10000 ] || fail "B cancelled after $total records"
"$MARCPIPE" import -q --tenant jc_b --resume 1 >"$TMP/b2.out" 2>"$TMP/b2.err" || fail "B resume"
grep -q "^job 1 COMPLETED" "$TMP/b2.out" || fail "B resume: $(cat "$TMP/b2.out")"
state jc_b >"$TMP/b.state"
diff "$TMP/a.state" "$TMP/b.state" >/dev/null || fail "B after resume differs: $(cat "$TMP/b.state")"
"$MARCPIPE" status 1 --tenant jc_b --json | python3 -c 'import json,sys
s=json.load(sys.stdin); assert (s["status"], s["processed"], s["created"], s["resumes"]) == ("COMPLETED", 10000, 10000, 1), s'
# delete: refused without --yes off a terminal; then journal and records go, Instances stay
rc=0; "$MARCPIPE" delete 1 --tenant jc_b </dev/null 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "delete without --yes: exit $rc"
"$MARCPIPE" delete 1 --tenant jc_b --yes >"$TMP/del.out" || fail "delete"
grep -q "10000 journal rows" "$TMP/del.out" || fail "delete: $(cat "$TMP/del.out")"
left=$(psql -XAtq -c "SELECT (SELECT count(*) FROM jc_b_marcpipe.journal) + (SELECT count(*) FROM jc_b_marcpipe.source_records) + (SELECT count(*) FROM jc_b_marcpipe.jobs) + (SELECT count(*) FROM jc_b_marcpipe.job_progress)")
[ "$left" = 0 ] || fail "delete left $left rows"
[ "$(psql -XAtq -c "SELECT count(*) FROM jc_b_marcpipe.instances")" = 10000 ] || fail "delete touched Instances"
rc=0; "$MARCPIPE" status 1 --tenant jc_b >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "deleted job still there"

# ---- C: processes killed: STALLED, cancel at once, resume ----
setsid "$MARCPIPE" import -q "${SLOW[@]}" --tenant jc_c "$G" >"$TMP/c.out" 2>"$TMP/c.err" &
ipid=$!
wait_processing jc_c
kill -9 -- -"$ipid"; wait "$ipid" 2>/dev/null || true
stalled=""
for _ in $(seq 1 200); do
  "$MARCPIPE" jobs --tenant jc_c | grep -q "^1 .*STALLED" && { stalled=yes; break; }
  sleep 0.1
done
[ -n "$stalled" ] || fail "C never STALLED: $("$MARCPIPE" jobs --tenant jc_c)"
"$MARCPIPE" status 1 --tenant jc_c --json | python3 -c 'import json,sys
s=json.load(sys.stdin); assert s["stalled"] and s["state"] == "STALLED" and s["status"] in ("PRODUCING", "IN_PROGRESS"), s'
"$MARCPIPE" cancel 1 --tenant jc_c 2>"$TMP/c.cancel" || fail "cancel stalled"
grep -q "CANCELLED (nobody was running it)" "$TMP/c.cancel" || fail "C cancel: $(cat "$TMP/c.cancel")"
"$MARCPIPE" import -q --tenant jc_c --resume 1 >"$TMP/c2.out" 2>"$TMP/c2.err" || fail "C resume"
state jc_c >"$TMP/c.state"
diff "$TMP/a.state" "$TMP/c.state" >/dev/null || fail "C after resume differs: $(cat "$TMP/c.state")"

# ---- D: Ctrl-C ----
setsid "$MARCPIPE" import -q "${SLOW[@]}" --tenant jc_d "$G" >"$TMP/d.out" 2>"$TMP/d.err" &
ipid=$!
wait_processing jc_d
kill -INT -- -"$ipid"
rc=0; wait "$ipid" || rc=$?
[ "$rc" -eq 1 ] || fail "interrupted import exit $rc"
"$MARCPIPE" status 1 --tenant jc_d --json | python3 -c 'import json,sys
s=json.load(sys.stdin); assert s["status"] == "CANCELLED" and s["failure_reason"] == "import interrupted", s'
"$MARCPIPE" import -q --tenant jc_d --resume 1 >"$TMP/d2.out" 2>"$TMP/d2.err" || fail "D resume"
state jc_d >"$TMP/d.state"
diff "$TMP/a.state" "$TMP/d.state" >/dev/null || fail "D after resume differs: $(cat "$TMP/d.state")"
rc=0; "$MARCPIPE" import -q --tenant jc_d --resume 1 2>"$TMP/d3.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "is COMPLETED: only a cancelled or stalled job" "$TMP/d3.err" || fail "resume of a completed job: exit $rc"
echo "job_control: ok (cancel at $total of 10000 exact; resume, stalled and Ctrl-C runs equal the uninterrupted import)"
