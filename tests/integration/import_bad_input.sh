#!/usr/bin/env bash
# import_bad_input.sh: malformed records in the middle of a sound file.
# Into iso2709/folio-mdi--100.mrc (100 records, SOURCES.md) are spliced:
# after record 30 pymarc's bad record 5 (non-numeric directory entry), after
# record 60 a record cut short and terminated, after record 80 pymarc's
# record 7 (no fields), and at the end a record cut short with no
# terminator. Expected: the 100 good records imported, exactly 4 journal
# errors at seqs 31, 62, 83, 104, each with a reason naming the file and
# that record number and a file offset inside that record's bytes; job
# COMPLETED_WITH_ERRORS, exit 1, and `errors --export` gives back exactly
# the 4 bad records' bytes in order.
. "$(dirname "$0")/lib/import_lib.bash"
: "${MP_TEST_DATA:?}"
it_setup it_badin
python3 - "$MP_TEST_DATA" "$TMP" <<'PY'
import json, sys
data, tmp = sys.argv[1], sys.argv[2]
src = open(f"{data}/iso2709/folio-mdi--100.mrc", "rb").read()
good = [r + b"\x1d" for r in src.split(b"\x1d") if r.strip()]
assert len(good) == 100, len(good)
bad = open(f"{data}/malformed/pymarc--bad_records.mrc", "rb").read()
pym = [r + b"\x1d" for r in bad.split(b"\x1d")[:8]]
inserts = {30: pym[4], 60: good[10][:300] + b"\x1d", 80: pym[6]}
out, expect = [], []
for i, r in enumerate(good):
    if i in inserts:
        out.append(inserts[i]); expect.append(len(out))
    out.append(r)
out.append(good[20][:500]); expect.append(len(out))
off, spans = 0, []
for r in out:
    spans.append((off, len(r))); off += len(r)
open(f"{tmp}/spliced.mrc", "wb").write(b"".join(out))
open(f"{tmp}/bad.mrc", "wb").write(b"".join(out[s - 1] for s in expect))
json.dump([[s, *spans[s - 1]] for s in expect], open(f"{tmp}/expect.json", "w"))
PY
it_import "$TMP/spliced.mrc"
[ "$IT_RC" = 1 ] || it_fail "import exit $IT_RC, want 1 (records rejected)"
job=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["job"])' "$TMP/out.json")
"$MARCPIPE" errors "$job" --tenant "$T" --json >"$TMP/errors.json"
"$MARCPIPE" errors "$job" --tenant "$T" --export "$TMP/export.mrc" >/dev/null 2>&1
cmp "$TMP/export.mrc" "$TMP/bad.mrc" || it_fail "exported bytes differ from the spliced bad records"
db=$(it_sql "SELECT (SELECT count(*) FROM ${T}_marcpipe.instances),
                    count(*), count(DISTINCT seq), min(seq), max(seq),
                    count(*) FILTER (WHERE outcome = 'CREATED'),
                    count(*) FILTER (WHERE outcome = 'ERROR')
             FROM ${T}_marcpipe.journal WHERE job_id = $job")
python3 - "$TMP" "$db" <<'PY'
import json, sys
tmp = sys.argv[1]
s = json.loads(open(f"{tmp}/out.json").read().splitlines()[-1])
expect = json.load(open(f"{tmp}/expect.json"))
errs = [json.loads(l) for l in open(f"{tmp}/errors.json")]
inst, rows, distinct, lo, hi, created, nerr = map(int, sys.argv[2].split("\t"))
bad = []
if s["status"] != "COMPLETED_WITH_ERRORS": bad.append(f"status {s['status']}")
if (s["records"], s["created"], s["errors"]) != (104, 100, 4):
    bad.append(f"records {s['records']} created {s['created']} errors {s['errors']}")
if (inst, rows, distinct, lo, hi, created, nerr) != (100, 104, 104, 1, 104, 100, 4):
    bad.append(f"database: instances {inst}, journal {rows}/{distinct} seqs {lo}..{hi}, "
               f"{created} CREATED, {nerr} ERROR")
if [e["seq"] for e in errs] != [x[0] for x in expect]:
    bad.append(f"error seqs {[e['seq'] for e in errs]}, want {[x[0] for x in expect]}")
for e, (seq, start, length) in zip(errs, expect):
    print(f"seq {e['seq']} at {e['file_offset']} ({e['error_class']}): {e['reason']}")
    if f"spliced.mrc: record {seq} at byte " not in e["reason"]:
        bad.append(f"seq {seq}: reason does not name the file and record: {e['reason']}")
    if e["file_offset"] is None or not start <= e["file_offset"] < start + length:
        bad.append(f"seq {seq}: file offset {e['file_offset']} outside the record "
                   f"[{start}, {start + length})")
    if e["raw_length"] != length: bad.append(f"seq {seq}: raw_length {e['raw_length']} != {length}")
classes = [e["error_class"] for e in errs]
if classes[-1] != "MP_ETRUNCATED": bad.append(f"last error class {classes[-1]}, want MP_ETRUNCATED")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
