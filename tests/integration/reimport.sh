#!/usr/bin/env bash
# reimport.sh: `marcpipe import` of the same real file twice (two jobs,
# default profile: match 001 then 035, update, else create). The second job
# creates nothing and every record is a DUPLICATE (identical bytes), the
# number of Instances does not move, no version moves, and `marcpipe
# status --json` of the second job reports the same counts.
# Needs PG* (scripts/test.sh sets them), MARCPIPE, MP_TEST_DATA.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?PostgreSQL required}"
T=it_reimport
S=${T}_marcpipe
F="$MP_TEST_DATA/iso2709/mrrctestbed--bibliographic-sample.mrc" # 386 records
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
out1=$W/out1 out2=$W/out2

"$MARCPIPE" import -q --json --tenant "$T" "$F" >"$out1" 2>/dev/null
inst1=$(psql -XAtq -c "SELECT count(*) FROM $S.instances")
ver1=$(psql -XAtq -c "SELECT sum(version) FROM $S.instances")
"$MARCPIPE" import -q --json --tenant "$T" "$F" >"$out2" 2>/dev/null
inst2=$(psql -XAtq -c "SELECT count(*) FROM $S.instances")
ver2=$(psql -XAtq -c "SELECT sum(version) FROM $S.instances")
job2=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]["job"])' "$out2")
status=$("$MARCPIPE" status --json --tenant "$T" "$job2")

python3 - "$out1" "$out2" "$inst1" "$inst2" "$ver1" "$ver2" "$status" <<'PY'
import json, sys
o1, o2, i1, i2, v1, v2, st = sys.argv[1:]
def last(p):
    return [json.loads(l) for l in open(p) if l.startswith("{")][-1]
a, b, s = last(o1), last(o2), json.loads(st)
fail = []
if a["records"] != 386 or b["records"] != 386: fail.append(f"records {a['records']}, {b['records']}")
if a["errors"] or b["errors"]: fail.append("errors")
if int(i1) != a["created"]: fail.append(f"first job created {a['created']} but {i1} Instances")
if b["created"] != 0: fail.append(f"second job created {b['created']}")
applied = a["created"] + a["updated"] + a["duplicates"]
if b["duplicates"] != applied: fail.append(f"second job duplicates {b['duplicates']}, want {applied}")
if i1 != i2: fail.append(f"Instances {i1} -> {i2}")
if v1 != v2: fail.append(f"sum of versions {v1} -> {v2}")
if (s["created"], s["duplicates"], s["processed"]) != (0, b["duplicates"], 386):
    fail.append(f"status {s}")
if s["status"] != "COMPLETED": fail.append(f"status {s['status']}")
for f in fail: print("FAIL " + f)
sys.exit(1 if fail else 0)
PY
echo "reimport: ok ($inst2 Instances, second job all duplicates)"
