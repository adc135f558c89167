#!/usr/bin/env bash
# errors_export_formats.sh: `marcpipe errors --export` gives back the
# original bytes in their own format and says what it could not export.
# Before: a record too big for ISO 2709 (its raw bytes MARC-in-JSON) was
# written into the ISO 2709 file, and rejects without bytes (MARCXML/JSON
# parse errors) gave "exported 0 of 1" with exit 0. Journal rows are
# written with psql: seq 2 an ISO 2709 record (bytes of a real file), seq 4
# MARC-in-JSON, seq 5 a MARCXML record, seq 6 no bytes, seq 8 another ISO
# 2709 record. Expected: FILE = the two ISO 2709 records, FILE.json the
# JSON record, FILE.xml a collection holding the XML record, each byte for
# byte; exit 1 naming seq 6. Without seq 6: exit 0.
set -euo pipefail
: "${MARCPIPE:?}" "${MP_TEST_DATA:?}" "${PGHOST:?}"
T="exf$$"
. "$(dirname "$0")/../lib/prelude.bash"
. "$TL_LIB/db.bash"
tl_tmpdir W
tl_tenant "$T"
F="$MP_TEST_DATA/iso2709/solrmarc--uva_001_2000.mrc"
python3 - "$F" "$W" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
n1 = int(data[:5]); n2 = int(data[n1:n1 + 5])
open(sys.argv[2] + '/r1', 'wb').write(data[:n1])
open(sys.argv[2] + '/r2', 'wb').write(data[n1:n1 + n2])
open(sys.argv[2] + '/j', 'wb').write(b'{"leader":"00000nam a2200000 a 4500","fields":[{"001":"big1"}]}')
open(sys.argv[2] + '/x', 'wb').write(b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader></record>')
PY
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
"$MARCPIPE" jobs --tenant "$T" >/dev/null || fail "jobs on an empty tenant"
id=$(psql -qAt -v ON_ERROR_STOP=1 <<SQL
SET search_path TO ${T}_marcpipe;
INSERT INTO jobs (status, file_name, total) VALUES ('COMPLETED_WITH_ERRORS', 'mixed', 8) RETURNING id;
SQL
)
psql -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET search_path TO ${T}_marcpipe;
INSERT INTO journal (job_id, seq, partition, outcome, error_class, reason, raw) VALUES
  ($id, 2, 0, 'ERROR', 'MP_EMAPPING', 'r2', decode('$(hex "$W/r1")', 'hex')),
  ($id, 4, 1, 'ERROR', 'MP_EMAPPING', 'too big for ISO 2709', decode('$(hex "$W/j")', 'hex')),
  ($id, 5, -1, 'ERROR', 'MP_EFORMAT', 'xml', decode('$(hex "$W/x")', 'hex')),
  ($id, 6, -1, 'ERROR', 'MP_EFORMAT', 'not well-formed', NULL),
  ($id, 8, 0, 'ERROR', 'MP_EMAPPING', 'r8', decode('$(hex "$W/r2")', 'hex'));
SQL
rc=0; "$MARCPIPE" errors "$id" --tenant "$T" --export "$W/out.mrc" >/dev/null 2>"$W/err" || rc=$?
[ "$rc" = 1 ] || fail "exit $rc with a record without bytes, want 1"
cat "$W/r1" "$W/r2" | cmp - "$W/out.mrc" || fail "ISO 2709 file differs"
cmp "$W/j" "$W/out.mrc.json" || fail "JSON file differs"
python3 - "$W/out.mrc.xml" "$W/x" <<'PY' || fail "XML file"
import sys, xml.dom.minidom
doc = open(sys.argv[1], 'rb').read()
assert open(sys.argv[2], 'rb').read() in doc
d = xml.dom.minidom.parseString(doc)
assert len(d.getElementsByTagName("record")) == 1
PY
grep -q "exported 4 of 5 rejected records: 2 to $W/out.mrc, 1 to $W/out.mrc.json, 1 to $W/out.mrc.xml" "$W/err" ||
  fail "message: $(cat "$W/err")"
grep -q "1 rejected records have no bytes to export (the first is seq 6)" "$W/err" || fail "message: $(cat "$W/err")"
# stdout holds one format: the others are refused, exit 1
rc=0; "$MARCPIPE" errors "$id" --tenant "$T" --export - >"$W/std" 2>"$W/err" || rc=$?
[ "$rc" = 1 ] || fail "stdout export exit $rc"
cmp "$W/out.mrc" "$W/std" || fail "stdout export"
grep -q "2 rejected records are in another format" "$W/err" || fail "message: $(cat "$W/err")"
# everything exportable: exit 0
psql -qAt -c "DELETE FROM ${T}_marcpipe.journal WHERE job_id = $id AND seq = 6" >/dev/null
"$MARCPIPE" errors "$id" --tenant "$T" --export "$W/all.mrc" >/dev/null 2>"$W/err" || fail "exit $? with every record exported"
echo "errors_export_formats: ok"
