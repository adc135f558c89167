#!/usr/bin/env bash
# db_cli.sh: `marcpipe status / jobs / errors` against PostgreSQL (PG* set by
# scripts/test.sh). Journal rows are written with psql so the commands are
# tested on their own: errors --export must give back the exact bytes of
# real MARC records, in sequence order.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?}"
T="cli$$"
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
F="$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc"

# the first two records of a real file, split by their leader lengths
python3 - "$F" "$W" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
n1 = int(data[:5]); n2 = int(data[n1:n1 + 5])
open(sys.argv[2] + '/r1', 'wb').write(data[:n1])
open(sys.argv[2] + '/r2', 'wb').write(data[n1:n1 + n2])
PY
cat "$W/r1" "$W/r2" >"$W/expected.mrc"
h1=$(od -An -v -tx1 "$W/r1" | tr -d ' \n')
h2=$(od -An -v -tx1 "$W/r2" | tr -d ' \n')

"$MARCPIPE" jobs --tenant "$T" >"$W/jobs0" || fail "jobs on an empty tenant failed"
[ "$(wc -l <"$W/jobs0")" = 1 ] || fail "empty tenant lists jobs"

id=$(psql -qAt -v ON_ERROR_STOP=1 <<SQL
SET search_path TO ${T}_marcpipe;
INSERT INTO jobs (status, file_name, file_format, total, started_at)
  VALUES ('IN_PROGRESS', 'uva.mrc', 'iso2709', 10, now() - interval '5 seconds') RETURNING id;
SQL
)
psql -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET search_path TO ${T}_marcpipe;
INSERT INTO journal (job_id, seq, partition, kafka_offset, outcome, error_class, reason, raw)
  VALUES ($id, 7, 2, 41, 'ERROR', 'MP_EMAPPING', 'record 7: no title', decode('$h2', 'hex')),
         ($id, 3, -1, NULL, 'ERROR', 'MP_ELEADER', 'uva.mrc: record 3 at byte 0: bad', decode('$h1', 'hex'));
UPDATE journal SET file_offset = 0 WHERE job_id = $id AND seq = 3;
INSERT INTO job_progress (job_id, partition, processed, created, errors) VALUES
  ($id, -1, 1, 0, 1), ($id, 2, 5, 4, 1);
UPDATE jobs SET topic = 't.records' WHERE id = $id;
-- a live worker of the job's topic (lease.h): the job is running, not STALLED
INSERT INTO leases (holder, role, topic, host, pid, expires_at)
  VALUES ('test:1:worker', 'worker', 't.records', 'test', 1, now() + interval '1 hour');
SQL

out=$("$MARCPIPE" status "$id" --tenant "$T")
echo "$out" | grep -q "^job $id: IN_PROGRESS" || fail "status: $out"
echo "$out" | grep -q "processed  6 of 10 (60.0%)" || fail "status counts: $out"
echo "$out" | grep -q "created 4 .*errors 2" || fail "status outcomes: $out"
"$MARCPIPE" status "$id" --tenant "$T" --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["total"] == 10 and o["processed"] == 6 and o["errors"] == 2, o
assert o["status"] == "IN_PROGRESS" and o["file_name"] == "uva.mrc", o
assert o["completed_at"] is None and o["elapsed_seconds"] > 0, o
' || fail "status --json"

"$MARCPIPE" jobs --tenant "$T" | grep -Eq "^$id +IN_PROGRESS +6/10 +2  uva.mrc$" || fail "jobs line"
# the worker gone (its lease expired): STALLED, in text and JSON
psql -qAt -c "UPDATE ${T}_marcpipe.leases SET expires_at = now() - interval '1 second'" >/dev/null
"$MARCPIPE" jobs --tenant "$T" | grep -Eq "^$id +STALLED +6/10 +2  uva.mrc$" || fail "stalled jobs line"
"$MARCPIPE" status "$id" --tenant "$T" | grep -q "^job $id: STALLED (was IN_PROGRESS" || fail "stalled status"
"$MARCPIPE" status "$id" --tenant "$T" --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["status"] == "IN_PROGRESS" and o["state"] == "STALLED" and o["stalled"], o
' || fail "stalled status --json"
[ "$("$MARCPIPE" jobs --tenant "$T" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
  fail "jobs --json"

"$MARCPIPE" errors "$id" --tenant "$T" >"$W/errs"
[ "$(wc -l <"$W/errs")" = 2 ] || fail "errors lines: $(cat "$W/errs")"
head -n1 "$W/errs" | grep -q $'^3\tbyte 0\tMP_ELEADER\t' || fail "errors order/first: $(cat "$W/errs")"
tail -n1 "$W/errs" | grep -q $'^7\tp2@41\tMP_EMAPPING\trecord 7: no title$' || fail "errors second"
"$MARCPIPE" errors "$id" --tenant "$T" --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["seq"] for r in rows] == [3, 7], rows
assert rows[0]["file_offset"] == 0 and rows[0]["kafka_offset"] is None, rows
' || fail "errors --json"
"$MARCPIPE" errors "$id" --tenant "$T" --export "$W/out.mrc" 2>"$W/exp.err" >/dev/null
cmp "$W/out.mrc" "$W/expected.mrc" || fail "export differs from the original bytes"
grep -q "exported 2 of 2" "$W/exp.err" || fail "export message: $(cat "$W/exp.err")"

# failures and usage
if "$MARCPIPE" status 999999 --tenant "$T" 2>"$W/e"; then fail "missing job succeeded"; fi
grep -q "job 999999 not found" "$W/e" || fail "missing job message: $(cat "$W/e")"
set +e
"$MARCPIPE" status --tenant "$T" 2>/dev/null; [ $? = 2 ] || fail "usage exit code"
"$MARCPIPE" status 1 --tenant "Bad-Name" 2>"$W/e"; [ $? = 2 ] || fail "bad tenant not a usage error"
"$MARCPIPE" jobs --db "host=/nonexistent password=s3cr3t" --tenant "$T" 2>"$W/e"
[ $? = 1 ] || fail "unreachable database accepted"
set -e
grep -q "s3cr3t" "$W/e" && fail "password printed: $(cat "$W/e")"
grep -q "password=\*\*\*" "$W/e" || fail "no masked conninfo: $(cat "$W/e")"
echo "db_cli: ok"
