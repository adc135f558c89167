#!/usr/bin/env bash
# import_self_match.sh: records of one file that match each other.
# From folio-mdi--100.mrc (100 records, SOURCES.md), as MARC-in-JSON with
# 035/020/022 removed (no OCLC/ISBN/ISSN matching): records 1-62 get
# 001 "FOLIOstorage" and no 003 (a system's name, not an identifier), 63-72
# get 001 "777" with 003 "Xy", 73-100 keep their own 001/003.
# Before: the 62 became one Instance and 61 silent UPDATED outcomes. Now a
# 001 without a digit is not a match key: 62 CREATED; the 10 sharing a real
# identifier become one Instance (1 CREATED, 9 UPDATED), each of the 9
# journal rows names the record before it ("matched record 63 of the same
# job by match key Xy:777"), and the import summary, its JSON and `status`
# say "9 records matched a record of the same job (by match key Xy:777: 9)".
. "$(dirname "$0")/lib/import_lib.bash"
: "${MP_TEST_DATA:?}"
it_setup it_selfmatch
"$MARCPIPE" dump --to json "$MP_TEST_DATA/iso2709/folio-mdi--100.mrc" >"$TMP/in.jsonl"
python3 - "$TMP/in.jsonl" "$TMP/self.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 100
out = []
for i, r in enumerate(recs):
    f = [x for x in r["fields"] if list(x)[0] not in ("035", "020", "022")]
    if i < 62:
        f = [x for x in f if list(x)[0] != "003"]
        f = [{"001": "FOLIOstorage"} if list(x)[0] == "001" else x for x in f]
    elif i < 72:
        f = [x for x in f if list(x)[0] not in ("001", "003")]
        f = [{"001": "777"}, {"003": "Xy"}] + f
    r["fields"] = f
    out.append(r)
json.dump(out, open(sys.argv[2], "w"))
PY
it_import "$TMP/self.json"
[ "$IT_RC" = 0 ] || it_fail "import exit $IT_RC"
S=${T}_marcpipe
got=$(it_sql "SELECT outcome, count(*) FROM $S.journal GROUP BY 1 ORDER BY 1" | tr '\n\t' ' :')
[ "$got" = "CREATED:91 UPDATED:9 " ] || it_fail "outcomes: $got"
[ "$(it_sql "SELECT count(*) FROM $S.instances")" = 91 ] || it_fail "instances"
[ "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["matched_same_job"])' "$TMP/out.json")" = 9 ] ||
  it_fail "JSON summary: $(tail -n 1 "$TMP/out.json")"
job=$(it_sql "SELECT max(id) FROM $S.jobs")
# the journal says it for each of the 9: the record before, and the key
[ "$(it_sql "SELECT count(*) FROM $S.journal WHERE outcome = 'UPDATED'
             AND reason = format('matched record %s of the same job by match key Xy:777', seq - 1)")" = 9 ] ||
  it_fail "journal reasons: $(it_sql "SELECT seq, outcome, reason FROM $S.journal WHERE reason IS NOT NULL")"
[ "$(it_sql "SELECT count(*) FROM $S.journal WHERE reason IS NOT NULL")" = 9 ] || it_fail "other reasons"
"$MARCPIPE" status "$job" --tenant "$T" >"$TMP/status.txt"
grep -qx "  note       9 records matched a record of the same job (by match key Xy:777: 9); each replaced the one before" "$TMP/status.txt" ||
  it_fail "status: $(cat "$TMP/status.txt")"
# the text summary of import says it too
it_sql "DROP SCHEMA $S CASCADE" >/dev/null 2>&1
timeout -k 10 80 "$MARCPIPE" import -q --tenant "$T" "$TMP/self.json" >"$TMP/out.txt" 2>"$TMP/err.log" || it_fail "import (text) exit $?"
grep -qx "  note: 9 records matched a record of the same job (by match key Xy:777: 9); each replaced the one before" "$TMP/out.txt" ||
  it_fail "summary: $(cat "$TMP/out.txt")"
echo "import_self_match: ok"
