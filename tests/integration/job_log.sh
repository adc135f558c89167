#!/usr/bin/env bash
# job_log.sh: `marcpipe log` on the real 2,000-record UVA sample. The log
# has one line per record (seqs 1..2000, in order), its outcomes add up to
# the job's counters, and the two UPDATED records say why: u194 and u678
# matched the Instances of u193 and u679 through a shared OCLC number
# (the key is in the line). --outcome filters, --json carries the same
# rows, --record N shows the record as `dump` prints it (001 and 245 of
# the source file), its Instance (same id and hrid) and its journal row.
# Needs PG*, MARCPIPE, MP_TEST_DATA.
set -euo pipefail
: "${MP_TEST_DATA:?}"
. "$(dirname "$0")/lib/import_lib.bash"
it_setup it_joblog
F="$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc"
# Two workers with their default sinks: records sharing only an OCLC
# number match each other in one batch, in batches that follow each other
# and in overlapping batches of two sinks (they take turns on the key).
it_import "$F" -w 2
[ "$IT_RC" -eq 0 ] || it_fail "import exit $IT_RC"
J=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["job"])' "$TMP/out.json")
"$MARCPIPE" log "$J" --tenant "$T" >"$TMP/log.txt"
"$MARCPIPE" log "$J" --tenant "$T" --json >"$TMP/log.json"
"$MARCPIPE" log "$J" --tenant "$T" --outcome updated >"$TMP/upd.txt"
"$MARCPIPE" log "$J" --tenant "$T" --outcome CREATED --json >"$TMP/cre.json"
"$MARCPIPE" status "$J" --tenant "$T" --json >"$TMP/status.json"
"$MARCPIPE" log "$J" --tenant "$T" --record 187 >"$TMP/rec.txt"
"$MARCPIPE" log "$J" --tenant "$T" --record 187 --json >"$TMP/rec.json"
"$MARCPIPE" dump --to text "$F" >"$TMP/dump.txt"
rc=0; "$MARCPIPE" log "$J" --tenant "$T" --outcome bogus 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || it_fail "--outcome bogus: exit $rc, want 2"
rc=0; "$MARCPIPE" log 999999 --tenant "$T" 2>"$TMP/nf.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "job 999999 not found" "$TMP/nf.err" || it_fail "unknown job: exit $rc"
rc=0; "$MARCPIPE" log "$J" --tenant "$T" --record 2001 2>"$TMP/nr.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no record 2001" "$TMP/nr.err" || it_fail "unknown record: exit $rc"

python3 - "$TMP" <<'PY'
import json, sys, re
d = sys.argv[1]
fail = []
lines = [l.rstrip("\n").split("\t") for l in open(f"{d}/log.txt")]
seqs = [int(l[0]) for l in lines]
if seqs != list(range(1, 2001)): fail.append(f"log seqs: {len(seqs)} lines, not 1..2000 in order")
rows = [json.loads(l) for l in open(f"{d}/log.json")]
if [r["seq"] for r in rows] != seqs: fail.append("--json rows differ from the text lines")
st = json.load(open(f"{d}/status.json"))
count = {}
for r in rows: count[r["outcome"]] = count.get(r["outcome"], 0) + 1
want = {"CREATED": st["created"], "UPDATED": st["updated"], "DUPLICATE": st["duplicates"],
        "SKIPPED": st["skipped"], "ERROR": st["errors"]}
want = {k: v for k, v in want.items() if v}
if count != want: fail.append(f"outcomes {count} != counters {want}")
if want.get("UPDATED") != 2 or want.get("CREATED") != 1998: fail.append(f"counters {want}")
upd = [l.rstrip("\n").split("\t") for l in open(f"{d}/upd.txt")]
# which record of a pair comes first depends on the partitions' race, so
# the pair is unordered: the other record's Instance, by the OCLC number
got = sorted((frozenset((u[3].split(":")[1], u[4].split(" (")[1].rstrip(")"))), u[5])
             for u in upd)
want_upd = sorted([(frozenset(("u194", "u193")), "matched on OCLC number 10697279"),
                   (frozenset(("u678", "u679")), "matched on OCLC number 10710641")])
if len(upd) != 2 or got != want_upd: fail.append(f"updated lines {upd}")
upd_seq = {u[3]: int(u[0]) for u in upd}
cre = [json.loads(l) for l in open(f"{d}/cre.json")]
if len(cre) != 1998 or any(c["outcome"] != "CREATED" or c["why"] != "no Instance matched" for c in cre):
    fail.append("--outcome CREATED rows")
# --record 187 (u194; updated unless u193 came second): the source as dump
# prints it, the Instance, the journal row
rec = json.load(open(f"{d}/rec.json"))
first = "SIRSI:u194" in upd_seq  # u194 matched the Instance of u193
if first and (rec["journal"]["match_kind"] != "oclc" or
              rec["journal"]["match_value"] != "10697279"):
    fail.append(f"record journal {rec['journal']}")
kept = "u193" if first else "u194"  # an update keeps the Instance's hrid
if rec["instance"]["hrid"] != kept or rec["instance"]["id"] != rec["journal"]["instance_id"]:
    fail.append("record Instance")
dump = open(f"{d}/dump.txt").read()
blocks = [b for b in re.split(r"\n\n+", dump) if "\n001 u194\n" in "\n" + b + "\n"]
if len(blocks) != 1 or blocks[0].strip() != rec["source"].strip():
    fail.append("record source differs from `dump` of u194")
txt = open(f"{d}/rec.txt").read()
if (first and "matched on OCLC number 10697279" not in txt) or "001 u194" not in txt \
        or f'"hrid": "{kept}"' not in txt:
    fail.append("record text view")
for f in fail: print("FAIL " + f)
sys.exit(1 if fail else 0)
PY
echo "job_log: ok (2000 lines; u194 -> u193 and u678 -> u679 by OCLC number)"
