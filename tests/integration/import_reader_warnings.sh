#!/usr/bin/env bash
# import_reader_warnings.sh: `marcpipe import` reports what the reader
# repaired. catmandu--bu_bibs.mrc (100 records, 238 warnings per
# SOURCES.md and `dump --count`): the --json summary counts 238 warnings by
# kind, the kinds add up, job_warnings holds one row per warning with the
# same record numbers, byte offsets and messages `marcpipe dump` prints;
# the text summary names the count; a file without repairs reports 0.
# Env (from ctest): MARCPIPE, MP_TEST_DATA, PG*.
source "$(dirname "$0")/lib/import_lib.bash"
it_setup cli_warnings
F="$MP_TEST_DATA/malformed/catmandu--bu_bibs.mrc"

"$MARCPIPE" dump --count "$F" >"$TMP/count" 2>"$TMP/dump.err" || true
grep -qxF "$F: 100 records, 0 rejected, 238 warnings" "$TMP/count" ||
  it_fail "dump --count: $(cat "$TMP/count")"

it_import "$F"
[ "$IT_RC" -eq 0 ] || it_fail "import exit $IT_RC"
job=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["job"])' "$TMP/out.json")
it_sql "SELECT kind, count(*) FROM ${T}_marcpipe.job_warnings WHERE job_id = $job
        GROUP BY 1 ORDER BY 1" >"$TMP/kinds.db"
python3 - "$IT_LIB" "$TMP/out.json" "$TMP/kinds.db" <<'EOF' || it_fail "summary"
import sys
sys.path.insert(0, sys.argv[1])
import import_summary as s
j = s.load(sys.argv[2])
bad = s.completed_exactly(j, 100, 2)
if j["reader_warnings"] != 238:
    bad.append("reader_warnings %r, want 238" % j["reader_warnings"])
by = j["reader_warnings_by_kind"]
if sum(by.values()) != 238:
    bad.append("kinds add up to %d" % sum(by.values()))
db = dict(l.split("\t") for l in open(sys.argv[3]).read().split("\n") if l)
if {k: int(v) for k, v in db.items()} != by:
    bad.append("by kind %r, table %r" % (by, db))
if by.get("MP_EFIELD") != 197 or by.get("MP_ECHARSET") != 17:
    bad.append("by kind %r" % by)
if bad:
    print("; ".join(bad))
    sys.exit(1)
EOF

# each warning's row: the record number, byte offset and message dump prints
sed -n 's/^.*: record \([0-9]*\) at byte \([0-9]*\)\(, field [0-9A-Za-z]*\)\?: warning: \(.*\)$/\1\t\2\t\4/p' \
  "$TMP/dump.err" | sort >"$TMP/w.dump"
it_sql "SELECT recno, file_offset, message FROM ${T}_marcpipe.job_warnings
        WHERE job_id = $job" | sort >"$TMP/w.db"
[ "$(wc -l <"$TMP/w.dump")" -eq 238 ] || it_fail "dump printed $(wc -l <"$TMP/w.dump") warnings"
cmp -s "$TMP/w.dump" "$TMP/w.db" || it_fail "job_warnings differ from dump: $(diff "$TMP/w.dump" "$TMP/w.db" | head -4)"
[ "$(it_sql "SELECT count(DISTINCT recno) FROM ${T}_marcpipe.job_warnings WHERE job_id = $job")" = \
  "$(cut -f1 "$TMP/w.dump" | sort -u | wc -l)" ] || it_fail "records with warnings"

# the text summary, a second job of the same file: the same 238
timeout -k 10 80 "$MARCPIPE" import -q --tenant "$T" "$F" >"$TMP/out.txt" 2>"$TMP/err.log" ||
  it_fail "text import"
grep -q "^  reader warnings 238 (records repaired while read): MP_EFIELD 197, " "$TMP/out.txt" ||
  it_fail "text summary: $(cat "$TMP/out.txt")"
[ "$(it_sql "SELECT count(*) FROM ${T}_marcpipe.job_warnings")" = 476 ] || it_fail "rows of two jobs"

# a clean file: 0 warnings, no line
it_import "$MP_TEST_DATA/iso2709/folio-mdi--100.mrc"
python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).read().splitlines()[-1]); sys.exit(j["reader_warnings"] != 0 or j["reader_warnings_by_kind"] != {})' \
  "$TMP/out.json" || it_fail "clean file warnings: $(tail -c 300 "$TMP/out.json")"
echo "import_reader_warnings: ok"
